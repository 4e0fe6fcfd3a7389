"""Network -> CRN (activation lowering) and CRN -> Network (read-back).

The construction is docs/design.md section 2: per neuron an inflow 0 -> Y (eps),
a catalytic reaction per non-zero weight (sign picks production or
degradation, rate |w|), a bias reaction, and the activation's self terms
(2Y -> Y for the smoothed ReLU). Dual-rail activations and unbounded inputs
give a unit several such species (rails), read out as a signed value."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from .activations import Rail
from .crn import CRN, READOUT_FORMS, LayerInfo, Parameter, Reaction, Species
from .errors import NetworkError
from .inputs import encode_input, input_encoding
from .names import hidden_species_id, parameter_id, rail_id, reaction_id, unit_tag, weight_parameter_id
from .network import LARGEST_NUMBER, SMALLEST_NUMBER, Layer, Network, check_number
from .theory import fixed_point_bounds, input_box

# How emitted models show multi-rail units' signed values unless told
# (crn.READOUT_FORMS). "rules" while COPASI's default steady-state task refuses
# the negative concentrations a signed readout species has (see compile_network).
DEFAULT_READOUTS = "rules"

# Where every neuron species starts (the IR's and the emitted models' initial
# state): "bound" = at an upper bound of its fixed point over the input box
# (theory.fixed_point_bounds), "zero" = at 0.
STARTS = ("bound", "zero")


Side = tuple[tuple[str, int], ...]


def _power_term(species: str, power: int, k: float) -> tuple[Side, Side]:
    """(reactants, products) for the term k*y^power: 0 -> Y for power 0, else
    power Y -> (power +- 1) Y as k is positive or negative."""
    if power == 0:
        return (), ((species, 1),)
    n = power + (1 if k > 0 else -1)
    return ((species, power),), (((species, n),) if n > 0 else ())


@dataclass(frozen=True)
class _Unit:
    """A lowered unit as the next layer sees it: its species, their readout
    coefficients, and the readout's constant."""

    species: tuple[str, ...]
    suffixes: tuple[str, ...]  # rail suffixes, used in weight parameter ids
    readout: tuple[float, ...]
    offset: float

    @property
    def plain(self) -> bool:
        return self.readout == (1.0,) and self.offset == 0.0


def compile_network(
    network: Network, *, speed: float = 1.0, inputs: Sequence[float] | None = None, start: str = "bound",
    readouts: str = DEFAULT_READOUTS,
) -> CRN:
    """Lower ``network`` to its mass-action CRN. ``inputs`` sets the input
    values (zeros by default; signed where the network declares input_ranges).

    ``start`` sets every neuron species' initial value. "bound" (the default,
    as in the CLI and models/): an upper bound of its fixed point for every
    input in the declared ranges and for ``inputs`` (theory.input_box; see
    start_box). The neuron's rate eps + z*y - y^2 is concave in y, so
    Newton's method started above the positive root descends monotonically to
    it: a tool's plain steady-state solve (roadrunner's NLEQ2) then lands on the
    positive fixed point instead of the negative root it finds from 0.
    "zero": every neuron at 0, the construction's textbook start, where a
    plain steady-state solve can land on a negative root.

    A unit with rails (s_r, t_r, a_r) and readout offset c gets one species per
    rail at sigma(s_r z + t_r). The next layer reads a source unit through its
    readout: weight ``W a_r`` on each source species, and ``W c`` folded into the bias."""
    x0 = np.zeros(network.n_inputs) if inputs is None else network.check_input(inputs)
    if x0.ndim != 1:
        raise NetworkError("compile takes one input vector, not a batch")
    if readouts not in READOUT_FORMS:
        raise NetworkError(f"readouts is {readouts!r}; use one of {', '.join(READOUT_FORMS)}")
    if start not in STARTS:
        raise NetworkError(f"start is {start!r}; use one of {', '.join(STARTS)}")
    try:
        speed = check_number(speed, "speed")
    except (TypeError, ValueError):
        raise NetworkError(f"speed is {speed!r}; the speed factor must be a finite number > 0") from None
    # the bound is rounded up to 4 significant digits: short numbers in the files
    tops = _tops(network, x0) if start == "bound" else None
    ids = network.ids  # safe ids: a reserved name is mapped, and keeps its name (crn2sbml.names)
    species: list[Species] = []
    prev: list[_Unit] = []
    for i, name in enumerate(ids.inputs):
        bounds = network.input_ranges[i] if network.input_ranges else None
        rails, offset = input_encoding(bounds)
        rails_ids = tuple(rail_id(name, r.suffix) for r in rails)
        for r, (sid, value) in enumerate(zip(rails_ids, encode_input(float(x0[i]), bounds))):
            species.append(Species(sid, "input", 0, i, value, r))
        prev.append(_Unit(rails_ids, tuple(r.suffix for r in rails), tuple(r.readout for r in rails), offset))
    parameters: list[Parameter] = []
    reactions: list[Reaction] = []
    n_layers = len(network.layers)
    for l, layer in enumerate(network.layers, start=1):
        last = l == n_layers
        fn = layer.fn
        rails = fn.rails
        names = list(ids.outputs) if last else [hidden_species_id(l, j) for j in range(layer.n_out)]
        terms = fn.q_terms(layer.epsilon)
        role = "output" if last else "hidden"
        # rates equal |w|, |b| only for single plain rails fed by plain units;
        # otherwise record the network value for an exact read-back
        exact = len(rails) == 1 and rails[0] == Rail("") and all(u.plain for u in prev)
        shift = np.array([u.offset for u in prev])
        units: list[_Unit] = []
        for j, base in enumerate(names):
            row = layer.weights[j]
            b_eff = float(layer.bias[j] + row @ shift) if shift.any() else float(layer.bias[j])
            unit_ids = tuple(rail_id(base, r.suffix) for r in rails)
            for r, (rail, y) in enumerate(zip(rails, unit_ids)):
                species.append(Species(y, role, l, j, 0.0 if tops is None else float(tops[l - 1][j, r]), r))
                tag = unit_tag(l, j, rail.suffix)
                for term in terms:
                    pid = parameter_id(term.role, tag)
                    _rate(abs(term.coefficient), speed, f"layers[{l - 1}] (its {term.role} term)")
                    parameters.append(Parameter(pid, abs(term.coefficient), term.role, l, j, rail=r))
                    reactions.append(Reaction(reaction_id(pid), *_power_term(y, term.power, term.coefficient), pid))
                for i in np.flatnonzero(row):
                    src = prev[i]
                    for sr, (x, suffix, a) in enumerate(zip(src.species, src.suffixes, src.readout)):
                        w = rail.scale * float(row[i]) * a
                        if w == 0.0:
                            continue
                        pid = weight_parameter_id(tag, int(i), suffix)
                        origin = None if exact else float(row[i])
                        _rate(abs(w), speed, f"layers[{l - 1}].weights[{j}][{i}]")
                        parameters.append(Parameter(pid, abs(w), "weight", l, j, int(i), r, sr, origin))
                        products = ((x, 1), (y, 2)) if w > 0 else ((x, 1),)
                        reactions.append(Reaction(reaction_id(pid), ((x, 1), (y, 1)), products, pid))
                b = rail.scale * b_eff + rail.shift
                origin = None if exact else float(layer.bias[j])
                if b != 0.0 or (origin is not None and origin != 0.0):
                    pid = parameter_id("b", tag)
                    _rate(abs(b), speed, f"layers[{l - 1}].bias[{j}]")
                    parameters.append(Parameter(pid, abs(b), "bias", l, j, rail=r, origin=origin))
                    reactions.append(Reaction(reaction_id(pid), *_power_term(y, 1, b), pid))
            units.append(_Unit(unit_ids, tuple(r.suffix for r in rails), tuple(r.readout for r in rails), fn.offset))
        prev = units
    return CRN(
        name=network.name,
        species=tuple(species),
        parameters=tuple(parameters),
        reactions=tuple(reactions),
        layers=tuple(
            LayerInfo(layer.activation, layer.epsilon, layer.n_out, layer.activation_params) for layer in network.layers
        ),
        speed=float(speed),
        description=network.description,
        input_ranges=network.input_ranges,
        readout_form=readouts,
        input_labels=network.inputs if ids.inputs != network.inputs else (),
        output_labels=network.outputs if ids.outputs != network.outputs else (),
    )


def _rate(value: float, speed: float, where: str) -> None:
    """A rate constant derived from ``where`` must be writable, and so must
    its product with the speed factor, which every kinetic law computes."""
    try:
        check_number(value, f"the rate constant from {where}")
    except NetworkError as exc:
        raise NetworkError(f"{exc} (rates are |weight| times the rail's scale)") from None
    if value * speed > LARGEST_NUMBER:
        raise NetworkError(f"the rate constant from {where} ({value!r}) times the speed factor {speed!r} overflows "
                           f"the largest number a model can hold ({LARGEST_NUMBER!r}); lower the speed or the weight")


def _tops(network: Network, carried: np.ndarray) -> list[np.ndarray]:
    """The start values at the fixed point's upper bound over the input box
    widened to the ``carried`` input, each writable."""
    with np.errstate(over="ignore", invalid="ignore"):
        tops = [_round_up(hi) for _, hi in fixed_point_bounds(network, input_box(network, carried))]
    for l, top in enumerate(tops):
        mag = np.abs(top)
        bad = np.argwhere(~((mag == 0) | ((mag >= SMALLEST_NUMBER) & (mag <= LARGEST_NUMBER))))
        if bad.size:
            j = int(bad[0][0])
            raise NetworkError(f"the start value of layer {l + 1} unit {j} (an upper bound of its fixed point) is "
                               f"{float(top[tuple(bad[0])])!r}: layers[{l}].weights or .bias are too large for a model's "
                               "numbers; rescale the network or compile with start 'zero'")
    return tops


def start_at_bound(crn: CRN, network: Network) -> CRN:
    """``crn`` with every neuron species' initial value at its compile-time
    upper bound (compile_network(start="bound")) for the box holding its
    inputs; rates and inputs unchanged."""
    tops = _tops(network, crn.input_values)
    return replace(crn, species=tuple(
        s if s.boundary else replace(s, initial=float(tops[s.layer - 1][s.unit, s.rail])) for s in crn.species))


def start_box(crn: CRN, network: Network) -> tuple[np.ndarray, np.ndarray] | None:
    """The input box (lo, hi) for which ``crn``'s initial state is above the
    fixed point of every neuron species: the box holding the model's own
    inputs (what compile_network(start="bound") starts above), else the
    nominal box without them (the inputs were changed after compiling), else
    None (the start guarantees nothing, e.g. start="zero")."""
    start = np.array([s.initial for s in crn.species if not s.boundary])
    for box in (input_box(network, crn.input_values), input_box(network)):
        with np.errstate(over="ignore", invalid="ignore"):
            tops = [hi for _, hi in fixed_point_bounds(network, box)]
        need = np.array([tops[s.layer - 1][s.unit, s.rail] for s in crn.species if not s.boundary])
        if start.size and np.all(start >= need * (1 - 1e-12)):
            return box
    return None


def _round_up(values: np.ndarray, digits: int = 4) -> np.ndarray:
    """Each value rounded up (away from 0) to ``digits`` significant digits."""
    v = np.asarray(values, dtype=float)
    scale = 10.0 ** (np.floor(np.log10(np.abs(np.where(v == 0, 1.0, v)))) - digits + 1)
    up = np.ceil(v / scale) * scale
    return np.array([float(f"{c:.{digits}g}") for c in up.ravel()]).reshape(v.shape)  # exact short decimals


def expected_state(crn: CRN, network: Network) -> np.ndarray:
    """Every species' value at the CRN's fixed point, in ``crn.species`` order:
    inputs as encoded, each rail r of a unit at sigma(s_r z + t_r), where z is
    the network's pre-activation for the CRN's (decoded) input."""
    x = crn.input_values
    rails = [None] + [layer.fn.rail_values(z, layer.epsilon) for layer, z in
                      zip(network.layers, network.preactivations(x))]
    return np.array([s.initial if s.layer == 0 else rails[s.layer][s.unit, s.rail] for s in crn.species])


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def network_from_crn(crn: CRN) -> Network:
    """Read the network back from a CRN's structure and rate constants.

    Weight and bias signs come from the stoichiometry (net change of the
    neuron species), values from the rate parameters, so a CRN edited by hand
    reads back as the network it now computes. A rate derived through rails
    or folded input shifts carries its network value (``origin``): that exact
    value is read back while the rate still matches it, else the rate is
    mapped back through the rail (an edit wins over the other rails too)."""
    params = crn.parameter_index
    sizes = [len(crn.input_names)] + [info.size for info in crn.layers]
    weights = [np.zeros((sizes[l], sizes[l - 1])) for l in range(1, len(sizes))]
    biases = [np.zeros(sizes[l]) for l in range(1, len(sizes))]
    eps: list[set[float]] = [set() for _ in crn.layers]
    neuron_at = {(s.layer, s.unit, s.rail): s.id for s in crn.species}
    bias_terms: list[tuple[Parameter, float]] = []
    edited: set[tuple[str, int, int, int]] = set()  # slots read from an edited rail rate
    for r in crn.reactions:
        p = params[r.rate]
        l, j = p.layer, p.unit
        if not 1 <= l <= len(crn.layers):
            raise NetworkError(f"parameter {p.id} names layer {l}, which the model does not have")
        y = neuron_at.get((l, j, p.rail))
        if y is None:
            raise NetworkError(f"parameter {p.id} names unit {j} of layer {l}, which the model does not have")
        signed = r.net_change(y) * p.value
        if p.role == "weight":
            if p.origin is None:
                weights[l - 1][j, p.source] = signed
            else:  # rate = s_r * W * a_r' (rail r of this unit, rail r' of the source)
                factor = crn.encoding(l, j)[0][p.rail].scale * crn.encoding(l - 1, p.source)[0][p.source_rail].readout
                if not _close(factor * p.origin, signed):
                    weights[l - 1][j, p.source] = signed / factor
                    edited.add(("w", l, j, p.source))
                elif ("w", l, j, p.source) not in edited:
                    weights[l - 1][j, p.source] = p.origin
        elif p.role == "bias":
            bias_terms.append((p, signed))
        elif p.role == "eps":
            eps[l - 1].add(p.value)
    for p, signed in bias_terms:  # after the weights: a folded bias involves them
        l, j = p.layer, p.unit
        if p.origin is None:
            biases[l - 1][j] = signed
            continue
        # rate = s_r * (b + W c) + t_r, c the source units' readout offsets
        rail = crn.encoding(l, j)[0][p.rail]
        folded = float(weights[l - 1][j] @ np.array([crn.encoding(l - 1, i)[1] for i in range(sizes[l - 1])]))
        if not _close(rail.scale * (p.origin + folded) + rail.shift, signed):
            biases[l - 1][j] = (signed - rail.shift) / rail.scale - folded
            edited.add(("b", l, j, 0))
        elif ("b", l, j, 0) not in edited:
            biases[l - 1][j] = p.origin
    layers = []
    for l, info in enumerate(crn.layers):
        if len(eps[l]) > 1:
            raise NetworkError(
                f"layer {l + 1} has neurons with different inflow rates {sorted(eps[l])}; "
                "a layer has one epsilon"
            )
        layers.append(Layer(weights[l], biases[l], eps[l].pop() if eps[l] else info.epsilon,
                            info.activation, info.activation_params))
    return Network(
        layers=tuple(layers),
        inputs=crn.input_names,
        outputs=crn.output_names,
        name=crn.name,
        description=crn.description,
        input_ranges=crn.input_ranges,
    )
