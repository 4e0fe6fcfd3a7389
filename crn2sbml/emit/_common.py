"""Helpers shared by the text emitters."""

from __future__ import annotations

from ..activations import get_activation
from ..crn import CRN, Reaction, Readout


def num(value: float) -> str:
    """Shortest text that reads back as the same double."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def side(terms: tuple[tuple[str, int], ...]) -> str:
    return " + ".join(s if n == 1 else f"{n} {s}" for s, n in terms)


def reaction_equation(r: Reaction) -> str:
    return f"{side(r.reactants)} -> {side(r.products)}".strip()


def layer_header(crn: CRN, layer: int) -> str:
    info = crn.layers[layer - 1]
    kind = "output layer" if layer == len(crn.layers) else "hidden layer"
    units = "unit" if info.size == 1 else "units"
    fn = get_activation(info.activation, info.activation_params).describe()
    return f"layer {layer} ({kind}): {info.size} {units}, {fn}, eps = {num(info.epsilon)}"


def readout_expression(r: Readout, coefficient_unit: str = "", offset_unit: str = "") -> str:
    """A readout as infix math, e.g. 'y_pos - 0.01 * y_neg + 2'. The units
    tag numbers for SBML Level 3 (' dimensionless', ' concentration')."""
    out = ""
    for s, a in r.terms:
        term = s if abs(a) == 1 else f"{num(abs(a))}{coefficient_unit} * {s}"
        out += (f" {'-' if a < 0 else '+'} {term}") if out else (f"-{term}" if a < 0 else term)
    if r.offset:
        out += f" {'-' if r.offset < 0 else '+'} {num(abs(r.offset))}{offset_unit}"
    return out


def reactions_by_layer(crn: CRN) -> list[list[int]]:
    """Reaction indices grouped by the layer of their rate parameter."""
    groups: list[list[int]] = [[] for _ in crn.layers]
    params = crn.parameter_index
    for i, r in enumerate(crn.reactions):
        groups[params[r.rate].layer - 1].append(i)
    return groups


def layer_readouts(crn: CRN, layer: int) -> list[Readout]:
    return [r for r in crn.readouts if r.layer == layer]
