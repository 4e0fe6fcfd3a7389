"""SBML emitter, built directly with python-libsbml (docs/design.md section 4: the
Antimony library is too slow for large models).

Units are declared throughout (second, mole, litre, and each rate constant's
unit by reaction order), so libsbml's full consistency check, units included,
reports nothing. Every species and parameter carries a crn2sbml annotation
(layer, unit, role) from which :mod:`crn2sbml.readback` rebuilds the CRN."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Iterator
from xml.sax.saxutils import escape, quoteattr

import libsbml

from .._atomic import write_lines_atomic
from ..activations import get_activation
from ..crn import CRN, LayerInfo, Parameter, Readout
from ..errors import OutputError
from ..names import (COMPARTMENT, CONCENTRATION, PARAMETERS_SLOT as _PARAMETERS_SLOT, READOUT_RATE,
                     REACTIONS_SLOT as _REACTIONS_SLOT, SPEED, rate_unit_id, readout_reaction_id)
from ._common import check_writable, model_notes, readout_expression, readout_name, species_name

NAMESPACE = "https://w3id.org/crn2sbml/annotation/v1"
PREFIX = "crn2sbml"
FORMAT_VERSION = "1"
SBO_REACTION = 176  # biochemical reaction
SBO_MASS_ACTION = 12  # mass action rate law
SBO_RATE_CONSTANT = 9  # kinetic constant
SBO_SPEED = 2  # quantitative systems description parameter
SBO_COMPARTMENT = 290  # physical compartment
SBO_SPECIES = 247  # simple chemical
LEVELS = {(3, 1), (3, 2)}


def kinetic_formula(crn: CRN, reaction_index: int) -> str:
    """The explicit mass-action law ``cell * kappa * k * X * Y`` (no 1/2 factor)."""
    r = crn.reactions[reaction_index]
    factors = [COMPARTMENT, SPEED, r.rate]
    factors += [s if n == 1 else f"{s}^{n}" for s, n in r.reactants]
    return " * ".join(factors)


# libsbml writes doubles with 15 significant digits. Annotations keep the exact
# repr so that network -> SBML -> network is lossless; the readback trusts them
# only while they still round to the SBML value (so hand edits win).
def _annotation(tag: str, attrs: dict[str, object]) -> str:
    body = " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items())
    return f'<{PREFIX}:{tag} xmlns:{PREFIX}="{NAMESPACE}" {body}/>'


def _check(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise OutputError(f"libsbml refused {what}: {libsbml.OperationReturnValue_toString(code)}")


def _add_unit(model: libsbml.Model, uid: str, parts: list[tuple[int, float]]) -> None:
    ud = model.createUnitDefinition()
    ud.setId(uid)
    for kind, exponent in parts:
        if exponent == 0:
            continue
        u = ud.createUnit()
        u.setKind(kind)
        u.setExponent(exponent)
        u.setScale(0)
        u.setMultiplier(1.0)


def _parameter_annotation(p: Parameter) -> str:
    attrs: dict[str, object] = {"role": p.role, "layer": p.layer, "unit": p.unit}
    if p.source is not None:
        attrs["source"] = p.source
    # rails only where there are several, so single-rail models stay as they were
    if p.rail:
        attrs["rail"] = p.rail
    if p.source_rail:
        attrs["source_rail"] = p.source_rail
    attrs["value"] = repr(p.value)
    if p.origin is not None:
        attrs["origin"] = repr(p.origin)
    return _annotation("parameter", attrs)


def _layer_annotation(index: int, info: LayerInfo) -> str:
    params = ""
    if info.activation_params:
        fn = get_activation(info.activation, info.activation_params)
        params = f" params={quoteattr(json.dumps(fn.json_params()))}"
    return (
        f'<{PREFIX}:layer index="{index}" activation={quoteattr(info.activation)} '
        f'epsilon="{info.epsilon!r}" size="{info.size}"{params}/>'
    )


# The streaming writer swaps placeholders (crn2sbml.names.PARAMETERS_SLOT,
# REACTIONS_SLOT: ids no user name maps to) for the chunked rate parameters and reactions.
CHUNK = 2000  # elements per scratch document when streaming


def _new_document(level: int, version: int) -> libsbml.SBMLDocument:
    if (level, version) not in LEVELS:
        raise OutputError(f"SBML Level {level} Version {version} is not supported; use 3.2 (default) or 3.1")
    return libsbml.SBMLDocument(level, version)


def _add_rate_parameter(model: libsbml.Model, p: Parameter, order: int) -> None:
    par = model.createParameter()
    par.setId(p.id)
    par.setValue(p.value)
    par.setUnits(rate_unit_id(order))
    par.setConstant(True)
    par.setSBOTerm(SBO_RATE_CONSTANT)
    par.setAnnotation(_parameter_annotation(p))


def _add_reaction(model: libsbml.Model, crn: CRN, idx: int) -> None:
    r = crn.reactions[idx]
    rx = model.createReaction()
    rx.setId(r.id)
    rx.setReversible(False)
    if model.getVersion() == 1:
        rx.setFast(False)
    rx.setSBOTerm(SBO_REACTION)
    for sid, n in r.reactants:
        ref = rx.createReactant()
        ref.setSpecies(sid)
        ref.setStoichiometry(n)
        ref.setConstant(True)
    for sid, n in r.products:
        ref = rx.createProduct()
        ref.setSpecies(sid)
        ref.setStoichiometry(n)
        ref.setConstant(True)
    law = rx.createKineticLaw()
    law.setMath(libsbml.parseL3Formula(kinetic_formula(crn, idx)))
    law.setSBOTerm(SBO_MASS_ACTION)


# --- rate constants as local parameters ----------------------------------------------
# roadrunner's code generator resolves every global parameter of a kinetic law
# by a linear id search, so loading grows superlinearly with the rate constants;
# with them as local parameters of their laws it loads 0.5-0.7x as long from
# 1,262 reactions up (docs/design.md section 4.3). The laws' text is unchanged
# (a local parameter keeps its id), and each carries the same crn2sbml
# annotation, so the readback and the structure check read it as the global.
RATE_CONSTANTS = ("global", "local")
# written files ("auto"): local from this size, where roadrunner's first load of the global form
# took 1.4x (4,958 reactions) to 3.3x (79,730: 3,169 s against 950 s) as long (benchmarks/README.md);
# below it globals, which COPASI and sensitivities by name prefer (validation runs COPASI up to 5,000)
FILE_LOCAL_MIN_REACTIONS = 5000


def check_rate_constants(rate_constants: str) -> str:
    if rate_constants not in RATE_CONSTANTS:
        raise OutputError(f"rate constants {rate_constants!r}: use one of {', '.join(RATE_CONSTANTS)}")
    return rate_constants


def file_rate_constants(crn: CRN, rate_constants: str = "auto") -> str:
    """The form of a written file's rate constants: "auto" is "local" from
    ``FILE_LOCAL_MIN_REACTIONS`` reactions, else "global"."""
    if rate_constants == "auto":
        return "local" if len(crn.reactions) >= FILE_LOCAL_MIN_REACTIONS else "global"
    return check_rate_constants(rate_constants)


def _add_local_rate_constant(rx: libsbml.Reaction, p: Parameter, order: int) -> None:
    local = rx.getKineticLaw().createLocalParameter()
    local.setId(p.id)
    local.setValue(p.value)
    local.setUnits(rate_unit_id(order))
    local.setSBOTerm(SBO_RATE_CONSTANT)
    _check(local.setAnnotation(_parameter_annotation(p)), f"the annotation of local parameter {p.id}")


def _orders(crn: CRN) -> dict[str, int]:
    return {r.rate: r.order for r in crn.reactions}


def _build(
    crn: CRN,
    level: int,
    version: int,
    add_parameters: Callable[[libsbml.Model], None],
    add_reactions: Callable[[libsbml.Model], None],
) -> libsbml.SBMLDocument:
    """The document around the two bulk lists, which the callers fill: in full
    (``to_document``) or with one placeholder each (the streaming writer)."""
    check_writable(crn)
    doc = _new_document(level, version)
    model = doc.createModel()
    model.setId(crn.model_id)
    model.setName(crn.name)
    layers = "".join(_layer_annotation(i, info) for i, info in enumerate(crn.layers, start=1))
    ranges = f" input_ranges={quoteattr(json.dumps(crn.input_ranges))}" if crn.input_ranges else ""
    # the network's own names where they were mapped to safe ids (crn2sbml.names)
    for key, labels in (("inputs", crn.input_labels), ("outputs", crn.output_labels)):
        ranges += f" {key}={quoteattr(json.dumps(list(labels)))}" if labels else ""
    _check(
        model.setAnnotation(
            f'<{PREFIX}:network xmlns:{PREFIX}="{NAMESPACE}" version="{FORMAT_VERSION}" '
            f"name={quoteattr(crn.name)} description={quoteattr(crn.description)}{ranges}>{layers}</{PREFIX}:network>"
        ),
        "the model annotation",
    )
    notes = "".join(f"<p>{escape(p)}</p>" for p in model_notes(crn))
    _check(model.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml">{notes}</body>'), "the model notes")
    model.setTimeUnits("second")
    model.setSubstanceUnits("mole")
    model.setExtentUnits("mole")
    model.setVolumeUnits("litre")
    orders = sorted({r.order for r in crn.reactions})
    for n in orders:
        _add_unit(
            model,
            rate_unit_id(n),
            [(libsbml.UNIT_KIND_MOLE, 1 - n), (libsbml.UNIT_KIND_LITRE, n - 1), (libsbml.UNIT_KIND_SECOND, -1)],
        )

    if crn.readouts and crn.readout_form != "none":
        _add_unit(model, CONCENTRATION, [(libsbml.UNIT_KIND_MOLE, 1), (libsbml.UNIT_KIND_LITRE, -1)])

    comp = model.createCompartment()
    comp.setId(COMPARTMENT)
    comp.setSize(1.0)
    comp.setSpatialDimensions(3)
    comp.setUnits("litre")
    comp.setConstant(True)
    comp.setSBOTerm(SBO_COMPARTMENT)

    for s in crn.species:
        sp = model.createSpecies()
        sp.setId(s.id)
        sp.setName(species_name(crn, s.id))
        sp.setCompartment(COMPARTMENT)
        sp.setInitialConcentration(s.initial)
        sp.setSubstanceUnits("mole")
        sp.setHasOnlySubstanceUnits(False)
        sp.setBoundaryCondition(s.boundary)
        sp.setConstant(False)
        sp.setSBOTerm(SBO_SPECIES)
        attrs = {"role": s.role, "layer": s.layer, "unit": s.unit, "initial": repr(s.initial)}
        if s.rail:
            attrs["rail"] = s.rail
        sp.setAnnotation(_annotation("species", attrs))

    kappa = model.createParameter()
    kappa.setId(SPEED)
    kappa.setName("global speed factor")
    kappa.setValue(crn.speed)
    kappa.setUnits("dimensionless")
    kappa.setConstant(True)
    kappa.setSBOTerm(SBO_SPEED)

    add_parameters(model)

    if crn.readout_form == "rules":
        _add_readout_rules(model, crn)
    add_reactions(model)
    if crn.readout_form == "species":
        _add_readout_species(model, crn, 1 in orders)
    return doc


def _add_readout_rules(model: libsbml.Model, crn: CRN) -> None:
    """Each signed readout as a parameter set by an assignment rule."""
    for r in crn.readouts:
        par = model.createParameter()
        par.setId(r.id)
        par.setName(readout_name(crn, r))
        par.setUnits(CONCENTRATION)
        par.setConstant(False)
        par.setAnnotation(_annotation("readout", {"layer": r.layer, "unit": r.unit}))
        rule = model.createAssignmentRule()
        rule.setVariable(r.id)
        math = libsbml.parseL3Formula(readout_expression(r, " dimensionless", f" {CONCENTRATION}"))
        if math is None:
            raise OutputError(f"libsbml could not parse the readout of {r.id}")
        _check(rule.setMath(math), f"the readout rule of {r.id}")


def readout_law(r: Readout) -> str:
    """The readout species' relaxation law: d R/dt = kappa * k_readout * (value - R)."""
    return f"{COMPARTMENT} * {SPEED} * {READOUT_RATE} * ({readout_expression(r, ' dimensionless', f' {CONCENTRATION}')} - {r.id})"


def _add_readout_species(model: libsbml.Model, crn: CRN, has_order1_unit: bool) -> None:
    """Each signed readout R = sum_r a_r y_r + c as a species relaxing to it
    through one reaction 0 -> R with law cell*kappa*k_readout*(value - R),
    k_readout = 1: tools without rules (GillesPy2's ODE solver) run it and show
    the output under its own id and name. Why not mass action: R is signed (a
    logit, an identity output), and mass action keeps every concentration >= 0;
    a mass-action pair R_pos - R_neg would be a difference again, which is what
    the rails already are. The law is linear, so R follows the rails with time
    constant 1/kappa and never feeds back into the network (the rails are
    modifiers). Readout species and reactions carry the crn2sbml ``readout``
    annotation: crn2sbml's reader leaves them out of the network's dynamics."""
    if not crn.readouts:
        return
    if not has_order1_unit:
        _add_unit(model, rate_unit_id(1), [(libsbml.UNIT_KIND_SECOND, -1)])
    par = model.createParameter()
    par.setId(READOUT_RATE)
    par.setName("relaxation rate of the readout species")
    par.setValue(1.0)
    par.setUnits(rate_unit_id(1))
    par.setConstant(True)
    par.setSBOTerm(SBO_RATE_CONSTANT)
    par.setAnnotation(_annotation("readout", {}))
    start = {s.id: s.initial for s in crn.species}
    for r in crn.readouts:
        sp = model.createSpecies()
        sp.setId(r.id)
        sp.setName(readout_name(crn, r))
        sp.setCompartment(COMPARTMENT)
        sp.setInitialConcentration(r.value(start))  # already at its value for the initial state
        sp.setSubstanceUnits("mole")
        sp.setHasOnlySubstanceUnits(False)
        sp.setBoundaryCondition(False)
        sp.setConstant(False)
        sp.setSBOTerm(SBO_SPECIES)
        sp.setAnnotation(_annotation("readout", {"layer": r.layer, "unit": r.unit}))
        rx = model.createReaction()
        rx.setId(readout_reaction_id(r.id))
        rx.setReversible(True)  # the law is negative while R is above its value
        if model.getVersion() == 1:
            rx.setFast(False)
        rx.setAnnotation(_annotation("readout", {"layer": r.layer, "unit": r.unit}))
        ref = rx.createProduct()
        ref.setSpecies(r.id)
        ref.setStoichiometry(1)
        ref.setConstant(True)
        for sid, _ in r.terms:
            rx.createModifier().setSpecies(sid)
        law = rx.createKineticLaw()
        math = libsbml.parseL3Formula(readout_law(r))
        if math is None:
            raise OutputError(f"libsbml could not parse the readout law of {r.id}")
        _check(law.setMath(math), f"the readout law of {r.id}")


def _add_items(model: libsbml.Model, crn: CRN, kind: str, indices: range, orders: dict[str, int],
               rate_constants: str = "global") -> None:
    """Rate parameters (kind "parameter") or reactions, by index into the CRN;
    with local rate constants, only the parameters no reaction uses are global."""
    local = rate_constants == "local"
    for i in indices:
        if kind == "parameter":
            p = crn.parameters[i]
            if not (local and p.id in orders):
                _add_rate_parameter(model, p, orders.get(p.id, 1))
        else:
            _add_reaction(model, crn, i)
            if local:
                rate = crn.reactions[i].rate
                _add_local_rate_constant(model.getReaction(model.getNumReactions() - 1),
                                         crn.parameter_index[rate], orders[rate])


def to_document(crn: CRN, level: int = 3, version: int = 2, rate_constants: str = "global") -> libsbml.SBMLDocument:
    """Build the whole SBML document for ``crn`` (Level 3 Version 2 by default;
    rate constants as global parameters by default, or "local" to the laws)."""
    orders = _orders(crn)
    check_rate_constants(rate_constants)
    return _build(
        crn, level, version,
        lambda m: _add_items(m, crn, "parameter", range(len(crn.parameters)), orders, rate_constants),
        lambda m: _add_items(m, crn, "reaction", range(len(crn.reactions)), orders, rate_constants),
    )


def _placeholders(model: libsbml.Model, kind: str) -> None:
    if kind == "parameter":
        model.createParameter().setId(_PARAMETERS_SLOT)
    else:
        rx = model.createReaction()
        rx.setId(_REACTIONS_SLOT)
        rx.setReversible(False)


def _chunks(crn: CRN, level: int, version: int, kind: str, size: int, rate_constants: str = "global"
            ) -> Iterator[str]:
    """Rate parameters or reactions as SBML text (lines indented as inside
    their list), ``size`` at a time: each chunk is built in a scratch document
    by the same code as ``to_document``, serialised by libsbml and freed
    before the next."""
    orders = _orders(crn)
    count = len(crn.parameters) if kind == "parameter" else len(crn.reactions)
    for start in range(0, count, size):
        doc = _new_document(level, version)  # kept alive: it owns the model
        model = doc.createModel()
        _add_items(model, crn, kind, range(start, min(start + size, count)), orders, rate_constants)
        items = model.getListOfParameters() if kind == "parameter" else model.getListOfReactions()
        if not len(items):  # every rate constant of the chunk is local to its reaction
            continue
        text = items.toSBML()  # one call: faster than element by element
        yield text[text.index("\n") + 1 : text.rindex("\n") + 1]  # the items, without the list's tags


def stream_sbml(crn: CRN, level: int = 3, version: int = 2, chunk: int | None = None,
                rate_constants: str = "global") -> Iterator[str]:
    """The SBML text of ``crn`` in pieces, byte for byte what libsbml writes for
    the whole document, while libsbml holds at most ``chunk`` rate parameters
    or reactions at a time (default ``CHUNK``; 79,730 reactions take 2 GB as
    one document, 270 MB this way). ``rate_constants``: see ``to_document``."""
    chunk = chunk or CHUNK
    check_rate_constants(rate_constants)
    skeleton = libsbml.writeSBMLToString(
        _build(crn, level, version, lambda m: _placeholders(m, "parameter"), lambda m: _placeholders(m, "reaction"))
    )
    rest = skeleton
    for kind, slot in (("parameter", _PARAMETERS_SLOT), ("reaction", _REACTIONS_SLOT)):
        at = rest.index(f'id="{slot}"')
        line_start = rest.rindex("\n", 0, at) + 1
        line_end = rest.index("\n", at) + 1
        indent = rest[line_start:rest.index("<", line_start)]
        yield rest[:line_start]
        extra = indent[2:]  # items sit two spaces deeper than their list's tag
        for text in _chunks(crn, level, version, kind, chunk, rate_constants):
            yield extra + text[:-1].replace("\n", "\n" + extra) + "\n" if extra else text
        rest = rest[line_end:]
    yield rest


def to_sbml(crn: CRN, level: int = 3, version: int = 2, rate_constants: str = "global") -> str:
    return libsbml.writeSBMLToString(to_document(crn, level, version, rate_constants))


def write_sbml(crn: CRN, path: str | os.PathLike[str], level: int = 3, version: int = 2,
               rate_constants: str = "global") -> Path:
    """Write the SBML file atomically, streamed in chunks (``stream_sbml``), so
    memory stays bounded however large the network."""
    return write_lines_atomic(path, stream_sbml(crn, level, version, rate_constants=rate_constants))
