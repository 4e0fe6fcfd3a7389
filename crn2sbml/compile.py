"""Network -> CRN (activation lowering) and CRN -> Network (read-back).

The construction is DESIGN.md section 2: per neuron an inflow 0 -> Y (eps),
a catalytic reaction per non-zero weight (sign picks production or
degradation, rate |w|), a bias reaction, and the activation's self terms
(2Y -> Y for the smoothed ReLU)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .activations import get_activation
from .crn import CRN, LayerInfo, Parameter, Reaction, Species
from .errors import NetworkError
from .network import Layer, Network


def hidden_species_id(layer: int, unit: int) -> str:
    return f"h{layer}_{unit}"


def _signed(species: str, k: float) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]:
    """Y -> 2Y for k > 0, Y -> 0 for k < 0 (reactants, products)."""
    return ((species, 1),), (((species, 2),) if k > 0 else ())


def compile_network(
    network: Network, *, speed: float = 1.0, inputs: Sequence[float] | None = None
) -> CRN:
    """Lower ``network`` to its mass-action CRN. ``inputs`` sets the input
    species' initial concentrations (zeros by default)."""
    x0 = np.zeros(network.n_inputs) if inputs is None else network.check_input(inputs)
    if x0.ndim != 1:
        raise NetworkError("compile takes one input vector, not a batch")
    species: list[Species] = [
        Species(name, "input", 0, i, float(x0[i])) for i, name in enumerate(network.inputs)
    ]
    parameters: list[Parameter] = []
    reactions: list[Reaction] = []
    prev = list(network.inputs)
    n_layers = len(network.layers)
    for l, layer in enumerate(network.layers, start=1):
        last = l == n_layers
        names = list(network.outputs) if last else [hidden_species_id(l, j) for j in range(layer.n_out)]
        terms = get_activation(layer.activation).q_terms(layer.epsilon)
        role = "output" if last else "hidden"
        for j, y in enumerate(names):
            species.append(Species(y, role, l, j, 0.0))
            tag = f"L{l}_u{j}"
            for term in terms:
                pid = f"{term.role}_{tag}"
                parameters.append(Parameter(pid, abs(term.coefficient), term.role, l, j))
                if term.power == 0:
                    reactants, products = (), ((y, 1),)
                else:
                    change = 1 if term.coefficient > 0 else -1
                    reactants = ((y, term.power),)
                    products = ((y, term.power + change),) if term.power + change > 0 else ()
                reactions.append(Reaction(f"R_{pid}", reactants, products, pid))
            row = layer.weights[j]
            for i in np.flatnonzero(row):
                w = float(row[i])
                pid = f"w_{tag}_i{i}"
                x = prev[i]
                parameters.append(Parameter(pid, abs(w), "weight", l, j, int(i)))
                products = ((x, 1), (y, 2)) if w > 0 else ((x, 1),)
                reactions.append(Reaction(f"R_{pid}", ((x, 1), (y, 1)), products, pid))
            b = float(layer.bias[j])
            if b != 0.0:
                pid = f"b_{tag}"
                parameters.append(Parameter(pid, abs(b), "bias", l, j))
                reactions.append(Reaction(f"R_{pid}", *_signed(y, b), pid))
        prev = names
    return CRN(
        name=network.name,
        species=tuple(species),
        parameters=tuple(parameters),
        reactions=tuple(reactions),
        layers=tuple(LayerInfo(layer.activation, layer.epsilon, layer.n_out) for layer in network.layers),
        speed=float(speed),
        description=network.description,
    )


def network_from_crn(crn: CRN) -> Network:
    """Read the network back from a CRN's structure and rate constants.

    Weight and bias signs come from the stoichiometry (net change of the
    neuron species), values from the rate parameters, so a CRN edited by hand
    reads back as the network it now computes."""
    by_layer: dict[int, list[Species]] = {}
    for s in crn.species:
        by_layer.setdefault(s.layer, []).append(s)
    params = crn.parameter_index
    sizes = [len(by_layer.get(0, []))] + [info.size for info in crn.layers]
    weights = [np.zeros((sizes[l], sizes[l - 1])) for l in range(1, len(sizes))]
    biases = [np.zeros(sizes[l]) for l in range(1, len(sizes))]
    eps: list[set[float]] = [set() for _ in crn.layers]
    neuron_at = {(s.layer, s.unit): s.id for s in crn.species}
    for r in crn.reactions:
        p = params[r.rate]
        l, j = p.layer, p.unit
        if not 1 <= l <= len(crn.layers):
            raise NetworkError(f"parameter {p.id} names layer {l}, which the model does not have")
        y = neuron_at.get((l, j))
        if y is None:
            raise NetworkError(f"parameter {p.id} names unit {j} of layer {l}, which the model does not have")
        sign = r.net_change(y)
        if p.role == "weight":
            weights[l - 1][j, p.source] = sign * p.value
        elif p.role == "bias":
            biases[l - 1][j] = sign * p.value
        elif p.role == "eps":
            eps[l - 1].add(p.value)
    layers = []
    for l, info in enumerate(crn.layers):
        if len(eps[l]) > 1:
            raise NetworkError(
                f"layer {l + 1} has neurons with different inflow rates {sorted(eps[l])}; "
                "a layer has one epsilon"
            )
        layers.append(Layer(weights[l], biases[l], eps[l].pop() if eps[l] else info.epsilon, info.activation))
    return Network(
        layers=tuple(layers),
        inputs=tuple(s.id for s in by_layer.get(0, [])),
        outputs=tuple(s.id for s in crn.outputs),
        name=crn.name,
        description=crn.description,
    )
