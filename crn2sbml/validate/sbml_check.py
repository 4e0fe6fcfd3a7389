"""Check 1: libsbml's full consistency check, units included.

On large models the check runs in chunks of reactions. libsbml's general
consistency rules cost superlinear time in the reaction count (measured here:
207 s and 6 GB for the 79,730 reactions of 784-100-10, against 0.3 s for
4,958), while every rule that involves a reaction only looks at that reaction,
the elements it names, and the model-wide elements. So each chunk document
holds everything except the reactions and the parameters only kinetic laws
use, plus one chunk of reactions with the parameters they use. The one
model-wide rule that chunks would miss, unique ids, is checked separately."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import libsbml
import numpy as np

from ..readback import names_in
from .result import CheckResult
from .subject import Options, Subject

CHUNK_REACTIONS = 2000  # reactions per chunk document
CHUNK_ABOVE = 5000  # models with more reactions are checked in chunks


@dataclass(frozen=True)
class Consistency:
    """libsbml's verdict: each problem once, as "line N: short message: message"
    (no line in chunked mode: chunk documents have no source lines)."""

    level: int
    version: int
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    chunks: int  # 1: the whole document in one check
    checked: int = 0  # reactions in the chunks checked (chunked mode) ...
    reactions: int = 0  # ... of these

    @property
    def first(self) -> tuple[str, ...]:
        return (self.errors + self.warnings)[:10]


def _describe(e: libsbml.SBMLError, chunked: bool) -> str:
    where = "" if chunked else f"line {e.getLine()}: "  # chunk documents have no source lines
    return f"{where}{e.getShortMessage()}: {e.getMessage().strip().splitlines()[0]}"


def _collect(doc: libsbml.SBMLDocument, chunked: bool, errors: dict[str, None], warnings: dict[str, None]) -> None:
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errors[_describe(e, chunked)] = None
        elif e.getSeverity() == libsbml.LIBSBML_SEV_WARNING:
            warnings[_describe(e, chunked)] = None


def _math_names(element: libsbml.SBase | None) -> set[str]:
    out: list[str] = []
    if element is not None and element.getMath() is not None:
        names_in(element.getMath(), out)
    return set(out)


# Model lists are walked through their typed getters, never getListOfAllElements:
# once libsedml is loaded (tellurium imports it), SWIG may dispatch that list's
# items to libsedml's wrapper, which loops forever or crashes.
def _math_elements(model: libsbml.Model) -> list[libsbml.SBase]:
    """Elements with math outside the kinetic laws: rules, initial assignments,
    constraints and events' triggers, delays, priorities and assignments."""
    out: list[libsbml.SBase] = [model.getRule(i) for i in range(model.getNumRules())]
    out += [model.getInitialAssignment(i) for i in range(model.getNumInitialAssignments())]
    out += [model.getConstraint(i) for i in range(model.getNumConstraints())]
    for i in range(model.getNumEvents()):
        e = model.getEvent(i)
        out += [x for x in (e.getTrigger(), e.getDelay(), e.getPriority()) if x is not None]
        out += [e.getEventAssignment(j) for j in range(e.getNumEventAssignments())]
    return out


def _ids(model: libsbml.Model) -> Counter[str]:
    """SIds of the model's top-level elements (unit definitions have their own id space)."""
    lists = [(model.getNumFunctionDefinitions, model.getFunctionDefinition),
             (model.getNumCompartments, model.getCompartment), (model.getNumSpecies, model.getSpecies),
             (model.getNumParameters, model.getParameter), (model.getNumEvents, model.getEvent)]
    return Counter(get(i).getId() for count, get in lists for i in range(count()) if get(i).isSetId())


def consistency(text: str, chunk: int = CHUNK_REACTIONS, above: int = CHUNK_ABOVE, max_reactions: int = 0,
                rng: np.random.Generator | None = None, doc: libsbml.SBMLDocument | None = None) -> Consistency:
    """Full consistency check (units included) of SBML text, in chunks of
    ``chunk`` reactions when the model has more than ``above``; with
    ``max_reactions`` > 0 on a larger model, only a random sample of chunks
    holding at most that many reactions (ids are still checked model-wide).
    ``doc``: the text's document as already read (a read costs 7-15 s at
    80,000 reactions), the caller's no longer: chunked mode takes its reactions out."""
    if doc is None:
        doc = libsbml.readSBMLFromString(text)
    model = doc.getModel()
    errors: dict[str, None] = {}
    warnings: dict[str, None] = {}
    if model is None or model.getNumReactions() <= above or doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR):
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
        doc.checkConsistency()
        _collect(doc, False, errors, warnings)
        return Consistency(doc.getLevel(), doc.getVersion(), tuple(errors), tuple(warnings), 1)

    # Take the reactions out (from the end: O(1) each), then the parameters
    # that only kinetic laws name; what is left goes into every chunk.
    reactions = [model.removeReaction(i) for i in range(model.getNumReactions() - 1, -1, -1)][::-1]
    used = [_math_names(r.getKineticLaw()) for r in reactions]
    elsewhere = set().union(*(_math_names(e) for e in _math_elements(model)))
    movable = {model.getParameter(i).getId() for i in range(model.getNumParameters())} - elsewhere
    movable &= set().union(*used)
    params: dict[str, libsbml.Parameter] = {}
    removed: list[str] = []
    for i in range(model.getNumParameters() - 1, -1, -1):
        if model.getParameter(i).getId() in movable:
            p = model.removeParameter(i)
            params[p.getId()] = p
            removed.append(p.getId())
    # ids must be unique model-wide, which no chunk sees whole
    counts = _ids(model) + Counter(r.getId() for r in reactions if r.isSetId()) + Counter(removed)
    duplicates = [f"duplicate id '{sid}': {n} elements share it (SBML ids must be unique in a model)"
                  for sid, n in counts.items() if n > 1]
    starts = list(range(0, len(reactions), chunk))
    if 0 < max_reactions < len(reactions):
        picks = (rng or np.random.default_rng()).choice(len(starts), size=max(1, max_reactions // chunk), replace=False)
        starts = [starts[i] for i in sorted(picks)]
    chunks = 0
    for start in starts:
        # a fresh copy of the rest per chunk, so nothing of an earlier check
        # (its errors, the model's derived unit data) carries over
        part_doc = doc.clone()
        part = part_doc.getModel()
        names = set().union(*used[start:start + chunk])
        for pid, p in params.items():
            if pid in names:
                part.addParameter(p)
        for r in reactions[start:start + chunk]:
            part.addReaction(r)
        part_doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
        part_doc.checkConsistency()
        _collect(part_doc, True, errors, warnings)
        chunks += 1
    for text_ in duplicates:
        errors[text_] = None
    checked = sum(min(chunk, len(reactions) - start) for start in starts)
    return Consistency(doc.getLevel(), doc.getVersion(), tuple(errors), tuple(warnings), chunks,
                       checked, len(reactions))


def check_sbml(subject: Subject, options: Options) -> CheckResult:
    c = consistency(subject.sbml, max_reactions=options.sbml_max_reactions, rng=options.rng(13),
                    doc=subject.take_document())
    figures = {"errors": len(c.errors), "warnings": len(c.warnings), "level": c.level,
               "version": c.version, "first_messages": list(c.first), "chunks": c.chunks,
               "reactions_checked": c.checked if c.chunks > 1 else len(subject.crn.reactions)}
    how = "full consistency check, units included" + (f"; {c.chunks} chunks of reactions" if c.chunks > 1 else "")
    if c.checked < c.reactions:  # sampled: say so, and how to check every reaction
        how = (f"consistency check, units included, of everything but the reactions and of a random sample of "
               f"{c.chunks} chunks: {c.checked:,} of {c.reactions:,} reactions (--sbml-max-reactions "
               f"{options.sbml_max_reactions}; every reaction: crn2sbml validate MODEL --checks sbml "
               f"--sbml-max-reactions 0, about 0.5 ms per reaction); the structure check reads every reaction")
    # crn2sbml declares every unit, so its models have no warnings; another
    # tool's model is held to libsbml's errors only, its warnings reported
    foreign = subject.model.foreign
    if c.errors or (c.warnings and not foreign):
        return CheckResult("sbml", False, f"libsbml consistency ({how}): {len(c.errors)} errors, "
                           f"{len(c.warnings)} warnings; first: {c.first[0]}", figures)
    note = f" (a model without crn2sbml annotations: warnings reported, not failed; first: {c.first[0]})" \
        if c.warnings else ""
    return CheckResult("sbml", True, f"SBML L{c.level}V{c.version}: 0 errors, {len(c.warnings)} warnings "
                       f"({how}){note}", figures)
