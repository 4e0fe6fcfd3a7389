"""Soloveichik, Seelig & Winfree, "DNA as a universal substrate for chemical
kinetics", PNAS 107 (2010) 5393-5398: Figure 2 (X1 -> X2 + X3) and Figure 3
(X1 + X2 -> X3), generalised to any number of reactants and products.

A signal S is a strand ``h a_S b_S c_S`` (toeholds a_S, c_S around the
branch b_S). The gate L binds the first reactant at ``a*``, each further
reactant after a displacement (buffered by a helper strand), and releases
a strand that opens the translator T, which releases every product with a
fresh history domain. Reactions of order 0 and 1 also bind fuel signals,
after their reactant (schemes/base.py), so every gate has a helper strand,
and the first is the module's own.
The paper's gate is not correct on the annihilation ``2Y -> Y`` (the second
copy can bind before the first has reacted; docs/dna.md); here every
binding after the first is buffered by a helper strand (the strand it
displaces), and that gate verifies (tests/test_dna.py)."""

from __future__ import annotations

from typing import Sequence

from ..complexes import Complex, free_strand
from .base import Scheme


class Soloveichik2010(Scheme):
    name = "soloveichik2010"
    buffers = ("helper",)
    # signed 2-2-1 network: worst 0.083 at 30, 0.069 at 300, 0.038 at 1000; its gates at 10 uM (docs/dna.md)
    fuel = 1000.0
    citation = "Soloveichik, Seelig, Winfree, PNAS 107:5393-5398 (2010), Figs. 2-3"

    def signal(self, species: str) -> Complex:
        a, b, c = self._domains(species)
        return free_strand(species, f"h_{species} {a} {b} {c}", "signal")

    @staticmethod
    def _domains(species: str) -> tuple[str, str, str]:
        return f"ta_{species}", f"b_{species}", f"tc_{species}"

    def gates(self, index: int, reactants: Sequence[str], products: Sequence[str]) -> list[Complex]:
        ds = [self._domains(s) for s in reactants]
        top, top_s, closing, helpers = [], [], [], []
        for k in range(len(ds) - 1):  # every reactant but the last: its b c and the next one's a
            (_, b, c), (a_next, _, _) = ds[k], ds[k + 1]
            top += [b, c, a_next, "+"]
            top_s += ["(", "(", "(", "+"]
            closing.append([f"{a_next}*", f"{c}*", f"{b}*"])
            helpers.append(free_strand(f"helper{index}_{k}", f"{b} {c} {a_next}", "fuel"))
        _, x, y = ds[-1]
        outs = [(f"d{index}_{k}", *self._domains(p)) for k, p in enumerate(products)]
        tail = [d for d, a, _, _ in outs for d in (d, a)]
        doms = top + [x, y, *tail, "+", f"{y}*", f"{x}*"] + [d for part in reversed(closing) for d in part]
        doms.append(f"{ds[0][0]}*")
        shape = top_s + ["(", "(", *["."] * len(tail), "+", ")", ")"] + [")"] * 3 * len(closing) + ["."]
        gate = Complex.parse(f"gate{index}", " ".join(doms), " ".join(shape), "fuel")
        t_doms, t_shape = [], []
        for d, a, b, c in outs:
            t_doms += [d, a, b, c, "+"]
            t_shape += ["(", "(", ".", ".", "+"]
        for d, a, _, _ in reversed(outs):
            t_doms += [f"{a}*", f"{d}*"]
            t_shape += [")", ")"]
        t_doms.append(f"{y}*")
        t_shape.append(".")
        translator = Complex.parse(f"translator{index}", " ".join(t_doms), " ".join(t_shape), "fuel")
        return [gate, translator, *helpers]


__all__ = ["Soloveichik2010"]
