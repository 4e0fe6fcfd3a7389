"""What a translation scheme is: per formal reaction (one module), the
domain-level complexes that implement it, written from the scheme's paper.

Every formal species S is carried by single strands of one shape (the
scheme's ``signal``); a module's gates and fuels are supplied in excess and
its products are released as new strands of the same shape (a fresh history
domain each), so every strand of that shape stands for S."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar, Sequence

from ..complexes import Complex

FUEL_HISTORY = "h_fuel"  # the history domain of every fuel signal (src_i, aux_i)
# The six reaction forms the construction emits (docs/design.md section 2), by name.
FORMS = ("0 -> Y", "X + Y -> X + 2Y", "X + Y -> X", "Y -> 2Y", "Y -> 0", "2Y -> Y")


def reaction_form(reactants: Sequence[str], products: Sequence[str]) -> str:
    """The form of a formal reaction, from its species multisets alone."""
    r, p = Counter(reactants), Counter(products)
    if not r and len(p) == 1 and sum(p.values()) == 1:
        return "0 -> Y"
    if len(r) == 1:
        (y, n), = r.items()
        if n == 1 and p == Counter({y: 2}):
            return "Y -> 2Y"
        if n == 1 and not p:
            return "Y -> 0"
        if n == 2 and p == Counter({y: 1}):
            return "2Y -> Y"
    if len(r) == 2 and all(n == 1 for n in r.values()):
        for x in r:  # x: the catalyst
            (y,) = set(r) - {x}
            if p == Counter({x: 1, y: 2}):
                return "X + Y -> X + 2Y"
            if p == Counter({x: 1}):
                return "X + Y -> X"
    left = " + ".join(f"{n} {s}" if n > 1 else s for s, n in sorted(r.items())) or "0"
    right = " + ".join(f"{n} {s}" if n > 1 else s for s, n in sorted(p.items())) or "0"
    return f"{left} -> {right}"


@dataclass(frozen=True)
class Module:
    """One formal reaction's implementation: its complexes (signals first) and
    the formal reaction they must implement."""

    index: int
    reaction: str  # the formal reaction's id in the CRN
    reactants: tuple[str, ...]
    products: tuple[str, ...]
    form: str
    complexes: tuple[Complex, ...]

    @property
    def signals(self) -> tuple[Complex, ...]:
        return tuple(c for c in self.complexes if c.role == "signal")

    @property
    def fuels(self) -> tuple[Complex, ...]:
        return tuple(c for c in self.complexes if c.role == "fuel")


class Scheme:
    """A published translation scheme. ``refused`` names the reaction forms
    it is not correct on (verified per form; ../shared measurements and the
    tests), each with the reason, so it is never used on them."""

    name: ClassVar[str]
    citation: ClassVar[str]
    toehold: ClassVar[int] = 6  # nt
    branch: ClassVar[int] = 15  # nt
    refused: ClassVar[dict[str, str]] = {}
    # strands a module's first step releases and its reverse takes back:
    # supplied in excess they buffer that step, and no firing consumes them
    buffers: ClassVar[tuple[str, ...]] = ()
    # default fuel excess over the largest signal (--fuel): measured per scheme (docs/dna.md)
    fuel: ClassVar[float] = 30.0
    # fuel signals every module's gate binds at least (after its reactants): 1 gives
    # a bimolecular module a strand of its own too, where the scheme's others are shared
    fuel_signals: ClassVar[int] = 0

    def is_buffer(self, name: str) -> bool:
        return name.startswith(self.buffers) if self.buffers else False

    def is_toehold(self, domain: str) -> bool:
        return domain.startswith("t")

    def length(self, domain: str) -> int:
        return self.toehold if self.is_toehold(domain) else self.branch

    def signal(self, species: str) -> Complex:
        raise NotImplementedError

    def gates(self, index: int, reactants: Sequence[str], products: Sequence[str]) -> list[Complex]:
        """The fuels (and any helper strands) of module ``index``."""
        raise NotImplementedError

    def module(self, index: int, reaction: str, reactants: Sequence[str], products: Sequence[str]) -> Module:
        """The module's complexes. A gate of a reaction of order 0 or 1 also
        binds fuel signals (``src``/``aux``, supplied in excess), after its
        reactant, so that it binds two strands in all (and at least
        ``fuel_signals`` of them, for a scheme whose reactant strands are
        shared): a strand its first
        bindings displace then belongs to this module alone, and supplying
        more of it slows this module without touching the others
        (realise.py). (A fuel bound before the reactant would make an
        intermediate from fuels alone, and crnverifier's search of ``Y ->
        2Y`` would not end.)"""
        form = reaction_form(reactants, products)
        signals = [self.signal(s) for s in dict.fromkeys([*reactants, *products])]
        n = max(2 - len(reactants), self.fuel_signals)
        extra = [f"src{index}", f"aux{index}"][2 - n:]
        # fuel signals share one history domain: nothing reads it, and every domain costs an orthogonal sequence
        fuels = [Complex(name, ((FUEL_HISTORY, *(c := self.signal(name)).strands[0][1:]),), c.structure, "fuel")
                 for name in extra]
        return Module(index, reaction, tuple(reactants), tuple(products), form,
                      tuple(signals + fuels + self.gates(index, [*reactants, *extra], products)))


__all__ = ["FORMS", "Module", "Scheme", "reaction_form"]
