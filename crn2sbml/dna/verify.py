"""The verdict of crnverifier on each module and on the whole system: CRN
bisimulation of the module's condensed DNA-level reactions (fuels removed:
they are held in excess) against its formal reaction, with every signal
strand interpreted as its formal species; the whole system by crnverifier's
modular CRN bisimulation, which composes module verdicts when the modules
share only interpreted species."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .enumerate import Enumerated


@dataclass(frozen=True)
class Verdict:
    module: int
    reaction: str
    form: str
    correct: bool
    interpretation: dict[str, list[str]]  # DNA species -> the formal species it stands for ([] = none)
    seconds: float


def variants(e: Enumerated) -> dict[str, str]:
    """The free strands a module releases that differ from a signal only in
    their history domain (the first): DNA species -> formal species. No gate
    of another module binds a history domain, so they react as the signal."""
    shapes = {tuple(c.strands[0][1:]): c.name for c in e.module.signals}
    out = {}
    for name, kernel in e.complexes.items():
        tokens = kernel.split()
        if name not in shapes.values() and not any(t in "+)" or t.endswith("(") for t in tokens):
            formal = shapes.get(tuple(tokens[1:]))
            if formal is not None:
                out[name] = formal
    return out


def implementation_crn(e: Enumerated) -> list[list[list[str]]]:
    """The module's reactions as the composed system has them (history
    variants read as their signal), fuels and buffers removed."""
    fuels = {c.name for c in e.module.fuels}
    same = variants(e)
    return [[[same.get(x, x) for x in r.reactants if x not in fuels],
             [same.get(x, x) for x in r.products if x not in fuels]] for r in e.reactions]


def formal_crn(e: Enumerated) -> list[list[list[str]]]:
    return [[sorted(e.module.reactants), sorted(e.module.products)]]


def signal_interpretation(e: Enumerated) -> dict[str, list[str]]:
    return {c.name: [c.name] for c in e.module.signals}


def verify_module(e: Enumerated) -> Verdict:
    from crnverifier import crn_bisimulation_test

    start = time.perf_counter()
    formals = set(e.module.reactants) | set(e.module.products)
    ok, inter = crn_bisimulation_test(formal_crn(e), implementation_crn(e), formals=formals,
                                      interpretation=signal_interpretation(e))
    inter = {k: sorted(v.elements()) if hasattr(v, "elements") else sorted(v) for k, v in (inter or {}).items()}
    return Verdict(e.module.index, e.module.reaction, e.module.form, bool(ok), inter, time.perf_counter() - start)


def verify_system(enumerated: list[Enumerated]) -> tuple[bool, float]:
    """crnverifier's modular CRN bisimulation over every module."""
    from crnverifier.crn_bisimulation import modular_crn_bisimulation_test

    start = time.perf_counter()
    inter: dict[str, list[str]] = {}
    for e in enumerated:
        inter.update(signal_interpretation(e))
    formals = set().union(*(set(e.module.reactants) | set(e.module.products) for e in enumerated))
    ok, _ = modular_crn_bisimulation_test([formal_crn(e) for e in enumerated],
                                          [implementation_crn(e) for e in enumerated],
                                          formals=formals, interpretation=inter)
    return bool(ok), time.perf_counter() - start


__all__ = ["Verdict", "variants", "verify_module", "verify_system"]
