"""How an SBML model gives its species' values, read into the IR's
concentrations in one volume.

SBML keeps each species' amount. Its symbol in formulas is that amount
(``hasOnlySubstanceUnits="true"``) or the concentration amount / size of its
compartment; its initial value is an ``initialAmount`` or an
``initialConcentration``; a rate law is an extent per time, so
d[S]/dt = stoichiometry * law / size. The IR holds concentrations, so the
reader needs one positive compartment size, each species' initial
concentration, and which species the laws read as amounts. Each species is
reported in the quantity the model declares it in (``quantity``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import libsbml

QUANTITIES = ("concentration", "amount")


@dataclass(frozen=True)
class Quantities:
    """``volume``: the one compartment size (1.0 when it is not one positive
    number; ``refused`` then says why). ``initial``: each species' initial
    concentration. ``as_amounts``: species whose symbol in formulas is an
    amount. ``declared``: species -> "amount" or "concentration", the
    quantity the model gives it in (an amount with hasOnlySubstanceUnits or an
    initialAmount, else a concentration)."""

    volume: float = 1.0
    initial: dict[str, float] = field(default_factory=dict)
    as_amounts: frozenset[str] = frozenset()
    declared: dict[str, str] = field(default_factory=dict)
    refused: tuple[str, ...] = ()

    def scale(self, species: str) -> float:
        """The factor from the IR's concentration to the declared quantity."""
        return self.volume if self.declared.get(species) == "amount" else 1.0


def _size_problem(c: libsbml.Compartment) -> str:
    if not c.isSetSize():
        return (f"compartment '{c.getId()}' has no size; a species' concentration in it is undefined: "
                "give it a size > 0")
    size = c.getSize()
    if not (math.isfinite(size) and size > 0):
        return (f"compartment '{c.getId()}' has size {size!r}; a concentration is amount / size: "
                "give it a finite size > 0")
    return ""


def read_quantities(model: libsbml.Model) -> Quantities:
    """The model's volume and species values, with a one-line reason for each
    way of giving them that the IR cannot carry (several compartment sizes, a
    size that is 0 or missing, a conversion factor, a species without an
    initial value)."""
    refused: list[str] = []
    comps = {c.getId(): c for c in model.getListOfCompartments()}
    used = [comps[cid] for cid in dict.fromkeys(sp.getCompartment() for sp in model.getListOfSpecies())
            if cid in comps]
    for c in used:
        if problem := _size_problem(c):
            refused.append(problem)
    sizes = sorted({c.getSize() for c in used if not _size_problem(c)})
    if len(sizes) > 1:
        refused.append(f"the model has compartments of sizes {sizes}; crn2sbml simulates one volume")
    volume = sizes[0] if len(sizes) == 1 else 1.0
    if model.isSetConversionFactor():
        refused.append(f"the model has a conversion factor ({model.getConversionFactor()}); give the "
                       "stoichiometries in the species' own units")
    initial: dict[str, float] = {}
    declared: dict[str, str] = {}
    amounts = set()
    for sp in model.getListOfSpecies():
        sid = sp.getId()
        if sp.isSetConversionFactor():
            refused.append(f"species '{sid}' has a conversion factor ({sp.getConversionFactor()}); give the "
                           "stoichiometries in the species' own units")
        own = comps.get(sp.getCompartment())
        size = own.getSize() if own is not None and not _size_problem(own) else volume
        if sp.getHasOnlySubstanceUnits():
            amounts.add(sid)
        if sp.isSetInitialConcentration():
            initial[sid] = sp.getInitialConcentration()
        elif sp.isSetInitialAmount():
            initial[sid] = sp.getInitialAmount() / size
        else:
            initial[sid] = 0.0
            if not model.getInitialAssignmentBySymbol(sid):  # (initial assignments are refused on their own)
                refused.append(f"species '{sid}' has no initial value; give it an initialAmount or an "
                               "initialConcentration")
        in_amount = sp.getHasOnlySubstanceUnits() or (sp.isSetInitialAmount() and not sp.isSetInitialConcentration())
        declared[sid] = "amount" if in_amount else "concentration"
    return Quantities(volume, initial, frozenset(amounts), declared, tuple(refused))
