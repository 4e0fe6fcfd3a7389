"""SBML emitter, built directly with python-libsbml (DESIGN.md section 4: the
Antimony library is too slow for large models).

Units are declared throughout (second, mole, litre, and each rate constant's
unit by reaction order), so libsbml's full consistency check, units included,
reports nothing. Every species and parameter carries a crn2sbml annotation
(layer, unit, role) from which :mod:`crn2sbml.readback` rebuilds the CRN."""

from __future__ import annotations

import os
from pathlib import Path
import json
from xml.sax.saxutils import quoteattr

import libsbml

from .._atomic import atomic_path
from ..activations import get_activation
from ..crn import CRN, LayerInfo, Parameter
from ..errors import OutputError
from ..network import model_id
from ._common import readout_expression

NAMESPACE = "https://w3id.org/crn2sbml/annotation/v1"
PREFIX = "crn2sbml"
FORMAT_VERSION = "1"
COMPARTMENT = "cell"
CONCENTRATION = "concentration"  # unit of readout parameters
SPEED = "kappa"
SBO_REACTION = 176  # biochemical reaction
SBO_MASS_ACTION = 12  # mass action rate law
SBO_RATE_CONSTANT = 9  # kinetic constant
SBO_SPEED = 2  # quantitative systems description parameter
SBO_COMPARTMENT = 290  # physical compartment
SBO_SPECIES = 247  # simple chemical
LEVELS = {(3, 1), (3, 2)}


def rate_unit_id(order: int) -> str:
    return f"rate_order{order}"


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


def to_document(crn: CRN, level: int = 3, version: int = 2) -> libsbml.SBMLDocument:
    """Build the SBML document for ``crn`` (Level 3 Version 2 by default)."""
    if (level, version) not in LEVELS:
        raise OutputError(f"SBML Level {level} Version {version} is not supported; use 3.2 (default) or 3.1")
    doc = libsbml.SBMLDocument(level, version)
    model = doc.createModel()
    model.setId(model_id(crn.name))
    model.setName(crn.name)
    layers = "".join(_layer_annotation(i, info) for i, info in enumerate(crn.layers, start=1))
    ranges = f" input_ranges={quoteattr(json.dumps(crn.input_ranges))}" if crn.input_ranges else ""
    _check(
        model.setAnnotation(
            f'<{PREFIX}:network xmlns:{PREFIX}="{NAMESPACE}" version="{FORMAT_VERSION}" '
            f"name={quoteattr(crn.name)} description={quoteattr(crn.description)}{ranges}>{layers}</{PREFIX}:network>"
        ),
        "the model annotation",
    )
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

    if crn.readouts:
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

    order_of = {r.rate: r.order for r in crn.reactions}
    for p in crn.parameters:
        par = model.createParameter()
        par.setId(p.id)
        par.setValue(p.value)
        par.setUnits(rate_unit_id(order_of.get(p.id, 1)))
        par.setConstant(True)
        par.setSBOTerm(SBO_RATE_CONSTANT)
        par.setAnnotation(_parameter_annotation(p))

    for r in crn.readouts:
        par = model.createParameter()
        par.setId(r.id)
        par.setName(f"signed value of layer {r.layer} unit {r.unit}")
        par.setUnits(CONCENTRATION)
        par.setConstant(False)
        par.setAnnotation(_annotation("readout", {"layer": r.layer, "unit": r.unit}))
        rule = model.createAssignmentRule()
        rule.setVariable(r.id)
        math = libsbml.parseL3Formula(readout_expression(r, " dimensionless", f" {CONCENTRATION}"))
        if math is None:
            raise OutputError(f"libsbml could not parse the readout of {r.id}")
        _check(rule.setMath(math), f"the readout rule of {r.id}")

    l3v1 = version == 1
    for idx, r in enumerate(crn.reactions):
        rx = model.createReaction()
        rx.setId(r.id)
        rx.setReversible(False)
        if l3v1:
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
    return doc


def to_sbml(crn: CRN, level: int = 3, version: int = 2) -> str:
    return libsbml.writeSBMLToString(to_document(crn, level, version))


def write_sbml(crn: CRN, path: str | os.PathLike[str], level: int = 3, version: int = 2) -> Path:
    """Write the SBML file atomically. libsbml streams straight to the file, so
    a large model is never held as a Python string as well."""
    doc = to_document(crn, level, version)
    with atomic_path(path) as tmp:
        if not libsbml.writeSBMLToFile(doc, str(tmp)):
            raise OutputError(f"libsbml could not write '{path}'")
    return Path(path)
