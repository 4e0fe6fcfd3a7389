"""The verdict of crnverifier on each module and on the whole system: CRN
bisimulation of the module's condensed DNA-level reactions (fuels removed:
they are held in excess) against its formal reaction, with every signal
strand interpreted as its formal species; the whole system by crnverifier's
modular CRN bisimulation, which composes module verdicts when the modules
share only interpreted species."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from .enumerate import Enumerated

ORDERS = 4  # reorderings a failed bisimulation search is repeated on


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


def _orders(reactions: list) -> list[list]:
    """The reactions as given, then ``ORDERS`` seeded reorderings of them."""
    return [list(reactions)] + [random.Random(k).sample(reactions, len(reactions)) for k in range(1, ORDERS + 1)]


def _as_lists(inter) -> dict[str, list[str]]:
    return {k: sorted(v.elements()) if hasattr(v, "elements") else sorted(v) for k, v in (inter or {}).items()}


def verify_module(e: Enumerated) -> Verdict:
    """crnverifier's search for a bisimulation that extends the signals'
    interpretation. Its search can miss one that exists, depending on the
    order of the implementation reactions (crnverifier 0.3, seen on
    three-strand gates), so a failed search is repeated on ``ORDERS``
    seeded reorderings; whatever one finds is then checked as the full
    interpretation on the reactions as given, so a verdict of correct always
    rests on a bisimulation crnverifier has checked."""
    from crnverifier import crn_bisimulation_test

    start = time.perf_counter()
    formals = set(e.module.reactants) | set(e.module.products)
    fcrn, icrn = formal_crn(e), implementation_crn(e)
    ok, inter = False, None
    for attempt, order in enumerate(_orders(icrn)):
        ok, inter = crn_bisimulation_test(fcrn, order, formals=formals, interpretation=signal_interpretation(e))
        if ok:
            break
    if ok and attempt:
        ok, _ = crn_bisimulation_test(fcrn, icrn, formals=formals, interpretation=_as_lists(inter))
    return Verdict(e.module.index, e.module.reaction, e.module.form, bool(ok), _as_lists(inter) if ok else {},
                   time.perf_counter() - start)


def verify_system(enumerated: list[Enumerated], verdicts: list[Verdict]) -> tuple[bool, float]:
    """crnverifier's modular CRN bisimulation over every module, searched
    from the signals' interpretation; failing that (its search is order
    sensitive, see ``verify_module``), checked with every module's
    interpretation as its verdict found it, then searched again on seeded
    reorderings. Correct whenever one attempt finds a modular bisimulation."""
    from crnverifier.crn_bisimulation import modular_crn_bisimulation_test

    start = time.perf_counter()
    signals: dict[str, list[str]] = {}
    for e in enumerated:
        signals.update(signal_interpretation(e))
    found = dict(signals)
    for v in verdicts:
        found.update(v.interpretation)
    formals = set().union(*(set(e.module.reactants) | set(e.module.products) for e in enumerated))
    fcrns, icrns = [formal_crn(e) for e in enumerated], [implementation_crn(e) for e in enumerated]
    reordered = [list(modules) for modules in zip(*(_orders(m) for m in icrns))][1:]
    attempts = [(icrns, signals), (icrns, found), *((modules, signals) for modules in reordered)]
    for modules, inter in attempts:
        ok, _ = modular_crn_bisimulation_test(fcrns, modules, formals=formals, interpretation=inter)
        if ok:
            break
    return bool(ok), time.perf_counter() - start


__all__ = ["Verdict", "variants", "verify_module", "verify_system"]
