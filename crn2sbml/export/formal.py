"""Formal-CRN text for DNA compilers: the Nuskell / crnsimulator syntax
(``A + B -> C + D [k = 0.5]``, ``X @constant 10``, ``Y @initial 0``) and the
Visual DSD CRN syntax (``directive simulation {...}``, ``| 10 X``,
``| A + B ->{0.5} C``). Concentrations in nM and rates in nM and seconds
(``UnitScale``)."""

from __future__ import annotations

from ..crn import CRN, Reaction
from .units import UnitScale, order_unit, rate_table


def _num(v: float) -> str:
    text = f"{v:.10g}"
    return text if ("." in text or "e" in text) else text + ".0"


def _side(terms: tuple[tuple[str, int], ...], sep: str = " + ", repeat: bool = False) -> str:
    parts = []
    for s, n in terms:
        if repeat:
            parts += [s] * n
        else:
            parts.append(s if n == 1 else f"{n} {s}")
    return sep.join(parts)


def _header(crn: CRN, scale: UnitScale, comment: str, t_end: float | None) -> list[str]:
    lines = [
        f"{comment} crn2sbml formal CRN '{crn.name}' (mass action; its steady state is the network's output)",
        f"{comment} concentrations in nM (1 model unit = {scale.nM:g} nM), time in s (1 model unit = {scale.seconds:g} s)",
        f"{comment} rates: order 0 in nM/s, order 1 in 1/s, order 2 in 1/(nM*s); speed factor kappa = {crn.speed:g} included",
        f"{comment} inputs are catalysts (held constant); outputs: {', '.join(s.id for s in crn.outputs)}",
    ]
    if t_end is not None:
        lines.append(f"{comment} settling time about {t_end:.4g} s")
    return lines


def to_nuskell(crn: CRN, scale: UnitScale = UnitScale(), t_end: float | None = None) -> str:
    """``t_end``: the settling time in seconds, noted in the header."""
    out = _header(crn, scale, "#", t_end)
    out.append("")
    for s in crn.species:
        out.append(f"{s.id} @{'constant' if s.boundary else 'initial'} {_num(scale.concentration(s.initial))}")
    out.append("")
    for r, row in zip(crn.reactions, rate_table(crn, scale)):
        out.append(f"{_side(r.reactants)} -> {_side(r.products)} [k = {_num(row.value)}]".strip())
    return "\n".join(out) + "\n"


def to_dsd(crn: CRN, scale: UnitScale = UnitScale(), t_end: float | None = None) -> str:
    """``t_end`` in model time units (the simulation's final time, in s, is scale.time(t_end))."""
    final = scale.time(t_end) if t_end is not None else 1000.0
    out = ["(* " + line.lstrip("/ ") + " *)" for line in _header(crn, scale, "//", final if t_end is not None else None)]
    out += [
        f"directive simulation {{ final = {_num(final)}; points = 1000 }}",
        "directive simulator deterministic",
        "directive parameters [",
    ]
    rows = rate_table(crn, scale)
    out += [f"  k_{row.reaction} = {_num(row.value)};  (* {row.unit} *)" for row in rows]
    if out[-1].endswith("*)"):
        out[-1] = out[-1].replace(";", "", 1)
    out.append("]")
    body = [f"{_num(scale.concentration(s.initial))} {s.id}" for s in crn.species]
    body += [_dsd_reaction(r) for r in crn.reactions]
    out += [f"| {line}" for line in body]
    return "\n".join(out) + "\n"


def _dsd_reaction(r: Reaction) -> str:
    return f"{_side(r.reactants, repeat=True)} ->{{k_{r.id}}} {_side(r.products, repeat=True)}".strip()


__all__ = ["to_nuskell", "to_dsd", "order_unit"]
