"""Lakin, Youssef, Cardelli & Phillips, "Abstractions for DNA circuit
design", J. R. Soc. Interface 9 (2012) 470-486, Figure 5 (A + B -> C + D),
the 3-domain variant with one fuel strand per gate that releases every
product and one reverse strand per reactant.

A signal S is a strand ``h t f_S`` (h: any history domain, t: the global
toehold, f_S: S's branch domain). The gate holds each reactant's ``f_S t``
and each product's ``i t f_P`` (i: a fresh history domain) on one bottom
strand ending in an open toehold ``t*``: the reactants bind and displace in
turn, then the fuel strand ``t i_1 t ... i_n t`` releases the products. A
reaction without products releases a strand of the inert branch ``g``.

A formal reactant's reverse strand ``f_S t`` is shared by every module S
enters, so every gate here also binds a fuel signal after its reactants
(``fuel_signals``): the strand that binding displaces, ``f_aux_i t``, is
the module's own buffer, with no new toehold. (A module-own toehold for the
fuel strand instead made strands pair with other modules' gates at -16 to
-20 kcal/mol by ViennaRNA on XOR, against -8.5 with the fuel signal.)"""

from __future__ import annotations

from typing import Sequence

from ..complexes import Complex, free_strand
from .base import Scheme

INERT = "g"  # the branch domain of the waste strand a reaction without products releases


class Lakin2012(Scheme):
    name = "lakin2012"
    buffers = ("back_",)
    fuel = 1000.0  # signed 2-2-1 network: worst 0.072 at 100, 0.036 at 1000, and a shorter time unit (docs/dna.md)
    fuel_signals = 1
    citation = "Lakin, Youssef, Cardelli, Phillips, J. R. Soc. Interface 9:470-486 (2012), Fig. 5, 3-domain variant"

    def signal(self, species: str) -> Complex:
        return free_strand(species, f"h_{species} t f_{species}", "signal")

    def branch_of(self, species: str) -> str:
        return f"f_{species}"

    def gates(self, index: int, reactants: Sequence[str], products: Sequence[str]) -> list[Complex]:
        outs = [self.branch_of(p) for p in products] or [INERT]
        hist = [f"i{index}_{k}" for k in range(len(outs))]
        doms, shape = [], []
        for s in reactants:
            doms += [f"f_{s}", "t", "+"]
            shape += ["(", "(", "+"]
        for i, f in zip(hist, outs):
            doms += [i, "t", f, "+"]
            shape += ["(", "(", ".", "+"]
        for i in reversed(hist):
            doms += ["t*", f"{i}*"]
            shape += [")", ")"]
        for s in reversed(reactants):
            doms += ["t*", f"f_{s}*"]
            shape += [")", ")"]
        doms.append("t*")
        shape.append(".")
        gate = Complex.parse(f"gate{index}", " ".join(doms), " ".join(shape), "fuel")
        fuel = free_strand(f"fuel{index}", " ".join(["t", *[d for i in hist for d in (i, "t")]]), "fuel")
        # a fuel signal's reverse strand is the module's own (base.py); a formal reactant's is shared
        back = [free_strand(f"back_{s}", f"f_{s} t", "fuel") for s in dict.fromkeys(reactants)]
        return [gate, fuel, *back]


__all__ = ["Lakin2012"]
