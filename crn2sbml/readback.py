"""SBML -> CRN: read a model written by crn2sbml back into the IR, from the
structure (reactions, stoichiometry, kinetic laws) and the crn2sbml annotations."""

from __future__ import annotations

import json
import os
from pathlib import Path

import libsbml

from .crn import CRN, SPECIES_ROLES, LayerInfo, Parameter, Reaction, Species
from .emit.sbml import COMPARTMENT, NAMESPACE, SPEED
from .activations import get_activation
from .errors import ModelReadError, NetworkError


def _json_attr(node: libsbml.XMLNode, name: str, where: str) -> object:
    if node.getAttrIndex(name) < 0:
        return None
    try:
        return json.loads(node.getAttrValue(name))
    except ValueError:
        raise ModelReadError(f"{where}: annotation {name} is not valid JSON; regenerate the model") from None


def _int_or(node: libsbml.XMLNode, name: str, where: str, default: int) -> int:
    return _int(node, name, where) if node.getAttrIndex(name) >= 0 else default


def _crn_node(element: libsbml.SBase, tag: str) -> libsbml.XMLNode | None:
    ann = element.getAnnotation()
    if ann is None:
        return None
    for i in range(ann.getNumChildren()):
        child = ann.getChild(i)
        if child.getURI() == NAMESPACE and child.getName() == tag:
            return child
    return None


def _attr(node: libsbml.XMLNode, name: str, where: str) -> str:
    idx = node.getAttrIndex(name)
    if idx < 0:
        raise ModelReadError(f"{where}: crn2sbml annotation lacks '{name}'; regenerate the model with crn2sbml compile")
    return node.getAttrValue(idx)


def _int(node: libsbml.XMLNode, name: str, where: str) -> int:
    text = _attr(node, name, where)
    try:
        return int(text)
    except ValueError:
        raise ModelReadError(f"{where}: annotation {name}={text!r} is not an integer") from None


def _exact(node: libsbml.XMLNode, name: str, sbml_value: float) -> float:
    """The annotation's exact double if it still rounds to the SBML value
    (libsbml keeps 15 digits), else the SBML value (it was edited since)."""
    if node.getAttrIndex(name) < 0:
        return sbml_value
    try:
        exact = float(node.getAttrValue(name))
    except ValueError:
        return sbml_value
    return exact if float(f"{exact:.15g}") == sbml_value else sbml_value


def names_in(ast: libsbml.ASTNode, out: list[str]) -> None:
    # isName(), not getType() == AST_NAME: once libsedml is loaded (tellurium
    # imports it), SWIG may hand back its ASTNode whose getType() is an opaque enum
    if ast.isName():
        out.append(ast.getName())
    for i in range(ast.getNumChildren()):
        names_in(ast.getChild(i), out)


def document_from(source: str | os.PathLike[str]) -> libsbml.SBMLDocument:
    """Read an SBML file, or SBML text when ``source`` starts with '<'."""
    text = str(source)
    if text.lstrip().startswith("<"):
        doc = libsbml.readSBMLFromString(text)
        label = "SBML text"
    else:
        path = Path(source)
        if not path.is_file():
            raise ModelReadError(f"cannot read SBML file '{path}': no such file")
        doc = libsbml.readSBMLFromFile(str(path))
        label = f"'{path}'"
    fatal = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if fatal or doc.getModel() is None:
        msg = fatal[0].getMessage().strip().splitlines()[0] if fatal else "no model element"
        raise ModelReadError(f"{label} is not readable SBML: {msg}")
    return doc


def _check_layout(species: list[Species], parameters: list[Parameter], layers: list[LayerInfo]) -> None:
    """The annotations must describe a whole network: layer l's species are its
    units 0..size-1 (inputs are layer 0), and every parameter names an existing
    unit (weights also an existing source unit of the layer before)."""
    sizes = [len({s.unit for s in species if s.layer == 0})] + [info.size for info in layers]
    fix = "the annotations do not describe a network; regenerate the model with crn2sbml compile"
    for s in species:
        last = len(sizes) - 1
        want = "input" if s.layer == 0 else "output" if s.layer == last else "hidden"
        if not 0 <= s.layer <= last or s.role != want:
            raise ModelReadError(f"species '{s.id}' is a {s.role} species in layer {s.layer} of {last}; {fix}")
    for l, size in enumerate(sizes):
        units = sorted({s.unit for s in species if s.layer == l})
        if units != list(range(size)) or size < 1:
            raise ModelReadError(f"layer {l} declares {size} units but has species for units {units}; {fix}")
    for p in parameters:
        ok = 1 <= p.layer < len(sizes) and 0 <= p.unit < sizes[p.layer]
        if ok and p.role == "weight":
            ok = p.source is not None and 0 <= p.source < sizes[p.layer - 1]
        if not ok:
            raise ModelReadError(
                f"parameter '{p.id}' names layer {p.layer}, unit {p.unit}"
                + (f", source {p.source}" if p.role == "weight" else "")
                + f", which the model does not have; {fix}"
            )


def read_sbml(source: str | os.PathLike[str]) -> CRN:
    """The CRN of an SBML model written by crn2sbml (file path or SBML text)."""
    model = document_from(source).getModel()
    net = _crn_node(model, "network")
    if net is None:
        raise ModelReadError(
            "the SBML model has no crn2sbml annotation, so its network is unknown; "
            "compile the network JSON with 'crn2sbml compile' and use that SBML"
        )
    name = _attr(net, "name", "model")
    layers: list[LayerInfo] = []
    for i in range(net.getNumChildren()):
        child = net.getChild(i)
        if child.getName() != "layer":
            continue
        try:
            eps = float(_attr(child, "epsilon", "model layer"))
        except ValueError:
            raise ModelReadError("model layer annotation has a non-numeric epsilon") from None
        params = _json_attr(child, "params", "model layer") or {}
        activation = _attr(child, "activation", "model layer")
        try:
            canonical = get_activation(activation, params).params()  # type: ignore[arg-type]
        except (NetworkError, KeyError) as exc:
            raise ModelReadError(f"model layer annotation: {exc}") from None
        layers.append(LayerInfo(activation, eps, _int(child, "size", "model layer"), canonical))
    ranges = _json_attr(net, "input_ranges", "model") or []
    input_ranges = tuple(tuple(r) for r in ranges)  # type: ignore[union-attr]
    description = net.getAttrValue("description") if net.getAttrIndex("description") >= 0 else ""

    species: list[Species] = []
    for sp in model.getListOfSpecies():
        node = _crn_node(sp, "species")
        if node is None:
            raise ModelReadError(f"species '{sp.getId()}' has no crn2sbml annotation; it was not generated by crn2sbml")
        role = _attr(node, "role", f"species {sp.getId()}")
        if role not in SPECIES_ROLES:
            raise ModelReadError(f"species '{sp.getId()}' has role {role!r}; expected one of {SPECIES_ROLES}")
        initial = _exact(node, "initial", sp.getInitialConcentration() if sp.isSetInitialConcentration() else 0.0)
        species.append(
            Species(sp.getId(), role, _int(node, "layer", sp.getId()), _int(node, "unit", sp.getId()), initial,
                    _int_or(node, "rail", sp.getId(), 0))
        )

    speed = 1.0
    parameters: list[Parameter] = []
    for par in model.getListOfParameters():
        pid = par.getId()
        if pid == SPEED:
            speed = par.getValue()
            continue
        if _crn_node(par, "readout") is not None:
            continue  # derived from the species and the layer's activation
        node = _crn_node(par, "parameter")
        if node is None:
            raise ModelReadError(f"parameter '{pid}' has no crn2sbml annotation; it was not generated by crn2sbml")
        value = _exact(node, "value", par.getValue())
        source = _int(node, "source", pid) if node.getAttrIndex("source") >= 0 else None
        origin = float(node.getAttrValue("origin")) if node.getAttrIndex("origin") >= 0 else None
        parameters.append(
            Parameter(pid, value, _attr(node, "role", pid), _int(node, "layer", pid), _int(node, "unit", pid), source,
                      _int_or(node, "rail", pid, 0), _int_or(node, "source_rail", pid, 0), origin)
        )
    rate_ids = {p.id for p in parameters}

    reactions: list[Reaction] = []
    for rx in model.getListOfReactions():
        rid = rx.getId()
        law = rx.getKineticLaw()
        if law is None or law.getMath() is None:
            raise ModelReadError(f"reaction '{rid}' has no kinetic law")
        names: list[str] = []
        names_in(law.getMath(), names)
        rates = sorted({n for n in names if n in rate_ids})
        if len(rates) != 1:
            raise ModelReadError(
                f"reaction '{rid}' has rate parameters {rates}; a crn2sbml reaction uses exactly one "
                f"(its law is {COMPARTMENT} * {SPEED} * k * reactants)"
            )

        def refs(lst: libsbml.ListOfSpeciesReferences) -> tuple[tuple[str, int], ...]:
            out = []
            for ref in lst:
                n = ref.getStoichiometry()
                if n != int(n) or n < 1:
                    raise ModelReadError(f"reaction '{rid}' has stoichiometry {n} for {ref.getSpecies()}")
                out.append((ref.getSpecies(), int(n)))
            return tuple(out)

        reactions.append(Reaction(rid, refs(rx.getListOfReactants()), refs(rx.getListOfProducts()), rates[0]))
    _check_layout(species, parameters, layers)
    try:
        return CRN(name, tuple(species), tuple(parameters), tuple(reactions), tuple(layers), speed, description,
                   input_ranges)  # type: ignore[arg-type]
    except NetworkError as exc:
        raise ModelReadError(f"the SBML model is inconsistent: {exc}") from None
