"""Module by module, the domain-level reactions peppercorn enumerates from a
scheme's complexes, condensed to reactions between resting states (a whole
network at once does not finish: docs/dna.md)."""

from __future__ import annotations

import sys
import time
from types import ModuleType
from dataclasses import dataclass

from ..errors import MissingDependencyError
from .schemes import Module, Scheme

# nM: the concentration peppercorn's PIL states for every complex of a module;
# the rates it reports are per molar and second, whatever the concentrations
PIL_CONCENTRATION = 100.0


@dataclass(frozen=True)
class Reaction:
    reactants: tuple[str, ...]
    products: tuple[str, ...]
    rate: float
    unit: str  # "/s" or "/M/s"


@dataclass(frozen=True)
class Enumerated:
    """A module's condensed DNA-level network: its resting complexes (name ->
    kernel) and reactions, with module-unique names for the complexes
    peppercorn found (``m<index>_...``)."""

    module: Module
    complexes: dict[str, str]
    reactions: tuple[Reaction, ...]
    pil: str  # the input, peppercorn's PIL
    seconds: float


def module_pil(module: Module, scheme: Scheme) -> str:
    domains = sorted(set().union(*(c.domains for c in module.complexes)))
    lines = [f"# module {module.index}: {module.reaction} ({module.form}), scheme {scheme.name}"]
    lines += [f"length {d} = {scheme.length(d)}" for d in domains]
    lines += [f"{c.name} = {c.kernel} @initial {PIL_CONCENTRATION:g} nM" for c in module.complexes]
    return "\n".join(lines) + "\n"


def peppercorn() -> ModuleType:
    """peppercornenumerator, imported without its side effect: its utils set
    the process's recursion limit to 10**6, which turns a deep recursion
    anywhere else in the process into a C stack overflow."""
    limit = sys.getrecursionlimit()
    try:
        import peppercornenumerator.enumerator
        import peppercornenumerator.input
        import peppercornenumerator.objects
    except ImportError:
        raise MissingDependencyError("crn2sbml dna needs peppercorn: pip install 'crn2sbml[dna]'") from None
    finally:
        sys.setrecursionlimit(limit)
    return peppercornenumerator


def _fresh_registries(pepper: ModuleType) -> None:
    """dsdobjects keeps one registry of named domains and complexes per
    process (inherited by forked workers): each module starts anew."""
    objects = pepper.objects
    for kind in (objects.PepperDomain, objects.PepperStrand, objects.PepperComplex, objects.PepperMacrostate,
                 objects.PepperReaction):
        objects.clear_singletons(kind)


def enumerate_module(module: Module, scheme: Scheme) -> Enumerated:
    pepper = peppercorn()
    _fresh_registries(pepper)
    Enumerator, read_pil = pepper.enumerator.Enumerator, pepper.input.read_pil
    start = time.perf_counter()
    pil = module_pil(module, scheme)
    named, _ = read_pil(pil)
    init = list(named.values())
    enum = Enumerator(init, named_complexes=init)
    # remote toeholds (binding far from the displaced branch) are slow and
    # multiply the states; each complex grows by at most the strands it binds
    enum.reject_remote = True
    enum.max_complex_size = max(len(c.strands) for c in module.complexes) + len(module.reactants) + 1
    enum.enumerate()
    enum.condense()
    given = {c.name: c for c in module.complexes}
    # peppercorn numbers the complexes it finds from a process-wide counter:
    # name them by their kernel instead, so a module's network (and the
    # verifier's search order) does not depend on what ran before it
    found = sorted({cx.kernel_string for m in enum.resting_macrostates for cx in m.complexes
                    if cx.name not in given})
    names = {k: f"m{module.index}_c{n}" for n, k in enumerate(found)}

    def rename(cx) -> str:
        return cx.name if cx.name in given else names[cx.kernel_string]

    complexes = {c.name: c.kernel for c in module.complexes}
    complexes.update({v: k for k, v in names.items()})
    reactions = []
    for r in enum.condensed_reactions:
        rate = r.rate_constant
        reactions.append(Reaction(tuple(sorted(rename(x) for x in r.reactants)),
                                  tuple(sorted(rename(x) for x in r.products)), float(rate[0]), str(rate[1])))
    reactions.sort(key=lambda r: (r.reactants, r.products))
    return Enumerated(module, complexes, tuple(reactions), pil, time.perf_counter() - start)


__all__ = ["Enumerated", "PIL_CONCENTRATION", "Reaction", "enumerate_module", "module_pil", "peppercorn"]
