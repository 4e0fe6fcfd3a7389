"""A compiled CRN as a DNA strand-displacement system: one module per formal
reaction, each enumerated by peppercorn and verified by crnverifier on its
own (in parallel), then composed into one DNA-level reaction network.

Composition: a module's DNA species keep module-unique names, except the
signals (one strand per formal species, shared by every module that uses
it), the buffer strands a scheme shares per species, and the released
history variants of a signal, which are identified with it (``verify.variants``:
they differ only in a history domain no other module binds). A buffer only
one module uses is that module's own (``private``): its level is a knob on
that module's rate alone. The whole
system's verdict is crnverifier's modular CRN bisimulation over the modules.

A reaction of order one (``Y -> 2Y``, ``Y -> 0``: a bias or a linear term)
runs, by default, catalysed by a unit signal ``one`` held at one formal unit
(``ONE + Y -> ONE + 2Y``, ``ONE + Y -> ONE``): the same rate, and a
bimolecular module like every weight's. A first-order gate is faster than a
bimolecular one by the gate level over the buffers (fuel times the largest
signal), so at the time unit the bimolecular modules need it would have to
run with its gates far below the cap, and a steady flux spends them within
the read time (docs/dna.md).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from ..crn import CRN
from ..errors import UnsupportedError
from .enumerate import Enumerated, enumerate_module
from .schemes import FORMS, Module, Scheme
from .verify import Verdict, variants, verify_module, verify_system

# peppercorn's rate constants are per molar and second; the system is in nM and s
PER_M_TO_PER_NM = 1e-9


@dataclass(frozen=True)
class DnaReaction:
    reactants: tuple[str, ...]
    products: tuple[str, ...]
    rate: float  # 1/s or 1/(nM s)
    module: int


@dataclass
class DnaSystem:
    """The DNA-level network of a CRN under a scheme. ``roles``: DNA species ->
    signal / fuel / buffer / intermediate / waste; ``stands_for``: DNA species
    -> the formal species it is read as (signals and their variants)."""

    crn: CRN
    scheme: Scheme
    modules: list[Module]
    enumerated: list[Enumerated]
    verdicts: list[Verdict]
    whole: bool
    whole_seconds: float
    kernels: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    module_of: dict[str, int] = field(default_factory=dict)  # fuels and intermediates -> their module
    reactions: list[DnaReaction] = field(default_factory=list)
    identified: int = 0  # released history variants identified with their signal
    private: dict[int, list[str]] = field(default_factory=dict)  # module -> the buffers only it uses
    unit: str | None = None  # the unit signal that catalyses first-order reactions (one formal unit), if any

    @property
    def catalysts(self) -> list[str]:
        """The signals no reaction changes: the inputs, and the unit signal."""
        return [*(s.id for s in self.crn.inputs), *([self.unit] if self.unit else [])]

    def formal_start(self) -> dict[str, float]:
        """Every signal's start in formal units (the unit signal at one)."""
        return {**{s.id: s.initial for s in self.crn.species}, **({self.unit: 1.0} if self.unit else {})}

    @property
    def correct(self) -> bool:
        return self.whole and all(v.correct for v in self.verdicts)

    def module_reactions(self, module: int) -> list[DnaReaction]:
        if not hasattr(self, "_by_module"):
            self._by_module: dict[int, list[DnaReaction]] = {}
            for r in self.reactions:
                self._by_module.setdefault(r.module, []).append(r)
        return self._by_module.get(module, [])

    def module_fuels(self, module: int) -> list[str]:
        if not hasattr(self, "_fuels"):
            self._fuels: dict[int, list[str]] = {}
            for name, m in self.module_of.items():
                if self.roles[name] == "fuel":
                    self._fuels.setdefault(m, []).append(name)
        return self._fuels.get(module, [])


def reaction_species(crn: CRN, reaction) -> tuple[list[str], list[str]]:
    expand = lambda side: [s for s, n in side for _ in range(n)]  # noqa: E731
    return expand(reaction.reactants), expand(reaction.products)


def unit_signal(crn: CRN) -> str:
    """The unit signal's name: ``one``, unless the CRN has a species of that name."""
    taken = {s.id.lower() for s in crn.species}
    name, k = "one", 1
    while name in taken:
        k += 1
        name = f"one_{k}"
    return name


def plan(crn: CRN, scheme: Scheme, catalysed: bool = True) -> list[Module]:
    """One module per formal reaction; a form the scheme is not correct on
    (or one outside the construction's six) is refused by name.
    ``catalysed``: first-order reactions run catalysed by the unit signal
    (``unit_signal``; the module docstring says why)."""
    modules = []
    unit = unit_signal(crn)
    for i, r in enumerate(crn.reactions):
        reactants, products = reaction_species(crn, r)
        if catalysed and len(reactants) == 1:
            reactants, products = [unit, *reactants], [unit, *products]
        module = scheme.module(i, r.id, reactants, products)
        if module.form not in FORMS:
            raise UnsupportedError(
                f"reaction {r.id} has the form {module.form}, which no translation scheme covers (they cover "
                f"{', '.join(FORMS)}); use an activation whose reactions use only these forms")
        if module.form in scheme.refused:
            raise UnsupportedError(
                f"scheme {scheme.name} is not correct on {module.form} (reaction {r.id}): "
                f"{scheme.refused[module.form]} (--scheme)")
        modules.append(module)
    return modules


def _work(args: tuple[Scheme, Module]) -> tuple[Enumerated, Verdict]:
    enumerated = enumerate_module(args[1], args[0])
    return enumerated, verify_module(enumerated)


def build(crn: CRN, scheme: Scheme, *, jobs: int | None = None,
          progress: Callable[[int, int, str], None] | None = None, catalysed: bool = True) -> DnaSystem:
    """Enumerate and verify every module (``jobs`` processes; default: the
    cores), verify the composition, and compose the DNA-level network
    (``catalysed``: see ``plan``)."""
    modules = plan(crn, scheme, catalysed)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(modules)))
    work = [(scheme, m) for m in modules]
    results: list[tuple[Enumerated, Verdict]] = []
    if jobs == 1:
        for k, w in enumerate(work):
            results.append(_work(w))
            if progress:
                progress(k + 1, len(work), w[1].reaction)
    else:
        # peppercorn keeps process-wide registries of domains and complexes:
        # worker processes keep modules apart (and use both cores)
        with ProcessPoolExecutor(jobs) as pool:
            for k, res in enumerate(pool.map(_work, work, chunksize=1)):
                results.append(res)
                if progress:
                    progress(k + 1, len(work), work[k][1].reaction)
    enumerated = [e for e, _ in results]
    verdicts = [v for _, v in results]
    start = time.perf_counter()
    whole, _ = verify_system(enumerated, verdicts) if all(v.correct for v in verdicts) else (False, 0.0)
    unit = unit_signal(crn)
    system = DnaSystem(crn, scheme, modules, enumerated, verdicts, whole, time.perf_counter() - start,
                       unit=unit if any(unit in m.reactants for m in modules) else None)
    _compose(system)
    return system


def _compose(system: DnaSystem) -> None:
    scheme = system.scheme
    for e in system.enumerated:
        same = variants(e)
        system.identified += len(same)
        produced = {x for r in e.reactions for x in r.products}
        consumed = {x for r in e.reactions for x in r.reactants}
        for name, kernel in e.complexes.items():
            name = same.get(name, name)
            if name in system.kernels:
                continue
            given = next((c for c in e.module.complexes if c.name == name), None)
            if given is not None and given.role == "signal":
                role = "signal"
            elif given is not None:
                role = "buffer" if scheme.is_buffer(name) else "fuel"
            else:
                role = "intermediate" if name in consumed else "waste" if name in produced else "intermediate"
            system.kernels[name] = kernel
            system.roles[name] = role
            if role not in ("signal", "buffer"):
                system.module_of[name] = e.module.index
        for r in e.reactions:
            factor = PER_M_TO_PER_NM if len(r.reactants) == 2 else 1.0
            system.reactions.append(DnaReaction(tuple(same.get(x, x) for x in r.reactants),
                                                tuple(same.get(x, x) for x in r.products), r.rate * factor,
                                                e.module.index))
    users: dict[str, set[int]] = {}
    for r in system.reactions:
        for x in (*r.reactants, *r.products):
            if system.roles.get(x) == "buffer":
                users.setdefault(x, set()).add(r.module)
    for name, modules in sorted(users.items()):
        if len(modules) == 1:
            system.private.setdefault(next(iter(modules)), []).append(name)


__all__ = ["DnaReaction", "DnaSystem", "build", "plan", "reaction_species", "unit_signal"]
