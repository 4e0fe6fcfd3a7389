"""Helpers shared by the text emitters."""

from __future__ import annotations

from ..crn import CRN, Reaction


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
    return f"layer {layer} ({kind}): {info.size} {units}, {info.activation}, eps = {num(info.epsilon)}"


def reactions_by_layer(crn: CRN) -> list[list[int]]:
    """Reaction indices grouped by the layer of their rate parameter."""
    groups: list[list[int]] = [[] for _ in crn.layers]
    params = crn.parameter_index
    for i, r in enumerate(crn.reactions):
        groups[params[r.rate].layer - 1].append(i)
    return groups
