"""SBML -> CRN: read a model written by crn2sbml back into the IR, from the
structure (reactions, stoichiometry, kinetic laws) and the crn2sbml annotations."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import libsbml
import numpy as np

from .crn import CRN, SPECIES_ROLES, LayerInfo, Parameter, Reaction, Species
from .emit.sbml import NAMESPACE, SPEED
from .activations import get_activation
from .errors import ModelReadError, NetworkError
from .names import construction_ids
from .network import check_input_ranges
from .sbml_packages import resolve_packages
from .sbml_quantities import Quantities, read_quantities


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


MAX_SBML_BYTES = 1 << 30  # 1 GiB; the 784-100-10 model is 95 MB


def sbml_text(source: str | os.PathLike[str]) -> tuple[str, str]:
    """(SBML text, label for messages) of a file, or of SBML text when
    ``source`` starts with '<'. Checked before any C library sees it: at
    most MAX_SBML_BYTES, UTF-8, and no DOCTYPE (SBML needs none; entity
    declarations are how external-entity and entity-expansion attacks work)."""
    text = str(source)
    if text.lstrip().startswith("<"):
        label = "SBML text"
    else:
        path = Path(source)
        label = f"'{path}'"
        try:
            size = path.stat().st_size if path.is_file() else None
        except OSError as exc:  # e.g. a file name longer than the system allows
            raise ModelReadError(f"cannot read SBML file {label[:80]}: {exc.strerror or exc}") from None
        if size is None:
            raise ModelReadError(f"cannot read SBML file {label}: no such file")
        if size > MAX_SBML_BYTES:
            raise ModelReadError(f"{label} is {size:,} bytes; crn2sbml reads SBML files of at most "
                                 f"{MAX_SBML_BYTES:,} bytes")
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelReadError(f"cannot read SBML file {label}: {exc}; give a UTF-8 SBML file") from None
    # anywhere, not only before <sbml: a comment can hold the text "<sbml" ahead of a real DOCTYPE
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ModelReadError(f"{label} declares a DOCTYPE or entities; SBML needs neither, and crn2sbml refuses "
                             "them (external entities, entity expansion): remove the declaration")
    return text, label


def parse_sbml(text: str, label: str = "SBML text", *, flatten: bool = True) -> libsbml.SBMLDocument:
    """libsbml's document of SBML ``text`` already read through ``sbml_text``;
    a ModelReadError naming ``label`` when it is not readable SBML. With
    ``flatten``, a comp document is flattened and other packages refused
    (``sbml_packages.resolve_packages``; callers that keep the text call it themselves)."""
    doc = libsbml.readSBMLFromString(text)
    fatal = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if fatal or doc.getModel() is None:
        msg = fatal[0].getMessage().strip().splitlines()[0] if fatal else "no model element"
        raise ModelReadError(f"{label} is not readable SBML: {msg}")
    if flatten:
        resolve_packages(doc, label)
    return doc


def document_from(source: str | os.PathLike[str]) -> libsbml.SBMLDocument:
    """Read an SBML file, or SBML text when ``source`` starts with '<' (after ``sbml_text``'s checks)."""
    return parse_sbml(*sbml_text(source))


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


@dataclass(frozen=True, eq=False)
class ModelRead:
    """What the reader made of an SBML model.

    ``crn`` is the model as written, as a mass-action IR: rate constants at
    their current SBML values. ``recorded`` holds, for every rate constant
    changed by hand since compile time, the value its crn2sbml annotation
    recorded. ``problems`` are findings that make the model something other
    than crn2sbml's construction (an element without annotation, a zero or
    non-finite rate); ``unsupported`` are features the mass-action IR cannot
    carry (non-mass-action laws, rules, events), so simulating the IR would
    not be simulating the model. ``dropped``: content the IR leaves out
    though the model computes it (an assignment rule on a parameter no rate
    law reads): the dynamics are whole, but not everything the model
    reports. ``foreign``: the model has no crn2sbml annotation and nothing
    of crn2sbml's construction. ``quantities``: the model's volume and the
    quantity (amount or concentration) each species is declared in."""

    crn: CRN
    recorded: dict[str, float] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    foreign: bool = False
    dropped: tuple[str, ...] = ()
    quantities: Quantities = field(default_factory=Quantities)


def read_sbml(source: str | os.PathLike[str]) -> CRN:
    """The CRN of an SBML model written by crn2sbml (file path or SBML text);
    a foreign model, or one the IR cannot carry, is a ModelReadError."""
    read = read_model(source)
    if read.foreign:
        raise ModelReadError(
            "the SBML model has no crn2sbml annotation, so its network is unknown; "
            "compile the network JSON with 'crn2sbml compile' and use that SBML"
        )
    if read.unsupported or read.problems:
        raise ModelReadError((read.unsupported + read.problems)[0])
    return read.crn


def read_model(source: str | os.PathLike[str] | libsbml.SBMLDocument) -> ModelRead:
    """Read any SBML model (file path, SBML text or a parsed document) into
    the IR without giving up on the first oddity: crn2sbml's own models
    through their annotations, others (or ours, edited beyond recognition) as
    a plain mass-action CRN whose boundary and constant species are its inputs."""
    doc = source if isinstance(source, libsbml.SBMLDocument) else document_from(source)
    model = doc.getModel()
    quantities = read_quantities(model)
    unsupported, dropped = _unsupported_features(model)
    unsupported += quantities.refused
    net = _crn_node(model, "network")
    if net is not None:
        try:
            read = _read_annotated(model, net, unsupported, quantities)
            return replace(read, dropped=tuple(dropped))
        except ModelReadError as exc:
            unsupported.append(f"the crn2sbml annotations do not describe a network ({exc}); read as a plain CRN")
    partial = _partial_construction(model) if net is None else ""
    read = _read_plain(model, unsupported, quantities, foreign=net is None and not partial)
    return replace(read, problems=(partial, *read.problems) if partial else read.problems, dropped=tuple(dropped))


def _partial_construction(model: libsbml.Model) -> str:
    """Why a model without crn2sbml's model-level annotation is still one of
    ours ('' when it is foreign): some elements keep crn2sbml annotations,
    or its ids follow the construction (rate constants w_L1_u0_i0, ... each
    with its reaction R_<id>). Validated as foreign it would pass unchecked."""
    fix = "regenerate it with crn2sbml compile"
    elements = [*model.getListOfSpecies(), *model.getListOfParameters(), *model.getListOfReactions()]
    marked = [e.getId() for e in elements if any(_crn_node(e, tag) is not None
                                                  for tag in ("species", "parameter", "readout"))]
    if marked:
        return (f"the model has lost crn2sbml's model-level annotation but {len(marked)} of its elements keep "
                f"crn2sbml annotations ({', '.join(marked[:3])}{', ...' if len(marked) > 3 else ''}): a crn2sbml "
                f"model with annotations removed, not a foreign one; {fix}")
    ids = construction_ids([p.getId() for p in model.getListOfParameters()],
                           [r.getId() for r in model.getListOfReactions()])
    if ids:
        return (f"the model has no crn2sbml annotations but its ids follow crn2sbml's construction (rate constants "
                f"{', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''}, each with its reaction R_<id>): a crn2sbml "
                f"model with its annotations removed, not a foreign one; {fix}")
    return ""


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _unsupported_features(model: libsbml.Model) -> tuple[list[str], list[str]]:
    """(unsupported, dropped): events, initial assignments, rules other than
    readouts, stoichiometry math; and assignment rules on parameters that
    nothing in the dynamics reads, which the IR leaves out (crn2sbml's own
    readouts, annotated, are derived from the species and not dropped)."""
    found = []
    if model.getNumEvents():
        found.append(f"the model has {model.getNumEvents()} event(s); a mass-action CRN has none")
    if model.getNumInitialAssignments():
        found.append(f"the model has {model.getNumInitialAssignments()} initial assignment(s); give initial "
                     "values as numbers")
    for rx in model.getListOfReactions():
        if rx.isSetFast() and rx.getFast():  # at quasi-equilibrium, not at its law's rate
            found.append(f"reaction {rx.getId()} is fast; crn2sbml simulates every reaction at its law's rate")
        for ref in (*rx.getListOfReactants(), *rx.getListOfProducts()):
            if ref.getLevel() < 3 and ref.isSetStoichiometryMath():
                found.append(f"reaction {rx.getId()} has stoichiometry math for {ref.getSpecies()}; give "
                             "stoichiometries as numbers")
    dropped: list[str] = []
    if not model.getNumRules():
        return found, dropped
    parameters = {p.getId(): p for p in model.getListOfParameters()}
    read: set[str] = set()  # every name the dynamics read: the laws, and the rules of what they read (closure)
    for rx in model.getListOfReactions():
        law = rx.getKineticLaw()
        if law is not None and law.getMath() is not None:
            names: list[str] = []
            names_in(law.getMath(), names)
            read.update(names)
    rules = [(r.getVariable() if r.isSetVariable() else "", r) for r in model.getListOfRules()]
    grew = True
    while grew:
        grew = False
        for target, rule in rules:
            if rule.getMath() is not None and (target in read or target not in parameters):
                names = []
                names_in(rule.getMath(), names)
                grew |= not read.issuperset(names)
                read.update(names)
    for target, rule in rules:
        kind = "rate rule" if rule.isRate() else "algebraic rule" if rule.isAlgebraic() else "assignment rule"
        if rule.isAssignment() and target in parameters and target not in read:
            if _crn_node(parameters[target], "readout") is None:
                dropped.append(f"the assignment rule for {target} is not simulated (no rate law reads {target}), "
                               f"so {target} is not reported")
            continue  # a readout: it changes nothing in the dynamics
        found.append(f"the model has {_article(kind)} {kind}{f' for {target}' if target else ''}; a mass-action "
                     "CRN is defined by its reactions alone")
    return found, dropped


class _NotMassAction(Exception):
    pass


def _factors(ast: libsbml.ASTNode) -> tuple[float, dict[str, float]]:
    """A product of names and numbers with numeric powers: (coefficient,
    {name: power}); anything else raises _NotMassAction. Operators are told
    apart by their character, not getType() (see names_in)."""
    if ast.isNumber():
        return float(ast.getValue()), {}
    if ast.isName():
        return 1.0, {ast.getName(): 1.0}
    n = ast.getNumChildren()
    op = ast.getCharacter() if ast.isOperator() else ""
    if op == "*" or (ast.isFunction() and ast.getName() == "times"):
        coef, powers = 1.0, {}
        for i in range(n):
            c, p = _factors(ast.getChild(i))
            coef *= c
            for k, v in p.items():
                powers[k] = powers.get(k, 0.0) + v
        return coef, powers
    if op == "/" and n == 2:
        a, pa = _factors(ast.getChild(0))
        b, pb = _factors(ast.getChild(1))
        if b == 0:
            raise _NotMassAction("division by zero")
        for k, v in pb.items():
            pa[k] = pa.get(k, 0.0) - v
        return a / b, pa
    if (op == "^" or (ast.isFunction() and ast.getName() in ("pow", "power"))) and n == 2:
        exponent = ast.getChild(1)
        if not exponent.isNumber():
            raise _NotMassAction("a power with a non-numeric exponent")
        e = float(exponent.getValue())
        c, p = _factors(ast.getChild(0))
        return c ** e, {k: v * e for k, v in p.items()}
    raise _NotMassAction(f"the factor '{libsbml.formulaToL3String(ast)}'")


def _mass_action(rx: libsbml.Reaction, values: dict[str, float], constants: set[str], quantities: Quantities,
                 annotated: frozenset[str] = frozenset()) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], float, list[str]]:
    """(reactants, products, the law's coefficient of prod(reactant
    concentration^stoichiometry), the law's parameter ids) of a reaction, or
    _NotMassAction. A reactant the law reads as an amount (``quantities.as_amounts``)
    is its concentration times the volume. A modifier the law multiplies by
    (an enzyme, as the SBML Test Suite writes catalysts) is a catalyst: a
    reactant and a product alike. Local parameters count as the law's
    parameters only when ``annotated`` (crn2sbml's own rate constants written local)."""

    def refs(lst: libsbml.ListOfSpeciesReferences) -> tuple[tuple[str, int], ...]:
        out: dict[str, int] = {}
        for ref in lst:
            n = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
            if not (np.isfinite(n) and n == int(n) and n >= 1):
                raise _NotMassAction(f"stoichiometry {n} of {ref.getSpecies()}")
            out[ref.getSpecies()] = out.get(ref.getSpecies(), 0) + int(n)
        return tuple(out.items())

    reactants, products = refs(rx.getListOfReactants()), refs(rx.getListOfProducts())
    law = rx.getKineticLaw()
    if law is None or law.getMath() is None:
        raise _NotMassAction("no kinetic law")
    local = {p.getId(): p.getValue() for p in law.getListOfLocalParameters()} \
        if law.getLevel() == 3 else {p.getId(): p.getValue() for p in law.getListOfParameters()}
    coef, powers = _factors(law.getMath())
    want = dict(reactants)
    for sid, n in want.items():
        if powers.pop(sid, 0.0) != n:
            raise _NotMassAction(f"the law's power of {sid} is not its stoichiometry {n}")
        if sid in quantities.as_amounts:
            coef *= quantities.volume ** n
    catalysts: dict[str, int] = {}
    for mod in rx.getListOfModifiers():
        sid = mod.getSpecies()
        power = powers.get(sid, 0.0)
        if sid in local or sid in want or power == 0:
            continue
        if not (power == int(power) and power >= 1):
            raise _NotMassAction(f"the law's power of modifier {sid} is {power:g}, not a whole number")
        catalysts[sid] = int(powers.pop(sid))
        if sid in quantities.as_amounts:
            coef *= quantities.volume ** catalysts[sid]
    if catalysts:
        reactants, products = _with_catalysts(reactants, catalysts), _with_catalysts(products, catalysts)
    params = []
    for name, power in powers.items():
        if name in local:
            value = local[name]
            if name in annotated:
                params.append(name)
        elif name in values:
            value = values[name]
            if name not in constants:
                params.append(name)
        else:
            raise _NotMassAction(f"'{name}' is not a parameter, compartment or reactant")
        coef *= value ** power
    return reactants, products, coef, params


def _with_catalysts(side: tuple[tuple[str, int], ...], catalysts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    out = dict(side)
    for sid, n in catalysts.items():
        out[sid] = out.get(sid, 0) + n
    return tuple(out.items())


def _read_annotated(model: libsbml.Model, net: libsbml.XMLNode, unsupported: list[str], quantities: Quantities
                    ) -> ModelRead:
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
    ranges = _json_attr(net, "input_ranges", "model")
    ranges = [] if ranges is None else ranges  # ({} or "" are not "no ranges": check_input_ranges names them)
    labels = [_json_attr(net, key, "model") or [] for key in ("inputs", "outputs")]  # names mapped to safe ids
    if not all(isinstance(ls, list) and all(isinstance(n, str) for n in ls) for ls in labels):
        raise ModelReadError("model annotation: inputs and outputs must be lists of names; regenerate the model")
    description = net.getAttrValue("description") if net.getAttrIndex("description") >= 0 else ""

    species: list[Species] = []
    readout_species: set[str] = set()  # readouts="species": observers, not the network's dynamics
    for sp in model.getListOfSpecies():
        if _crn_node(sp, "readout") is not None:
            readout_species.add(sp.getId())
            continue
        node = _crn_node(sp, "species")
        if node is None:
            raise ModelReadError(f"species '{sp.getId()}' has no crn2sbml annotation")
        role = _attr(node, "role", f"species {sp.getId()}")
        if role not in SPECIES_ROLES:
            raise ModelReadError(f"species '{sp.getId()}' has role {role!r}; expected one of {SPECIES_ROLES}")
        initial = _exact(node, "initial", quantities.initial[sp.getId()])
        species.append(
            Species(sp.getId(), role, _int(node, "layer", sp.getId()), _int(node, "unit", sp.getId()), initial,
                    _int_or(node, "rail", sp.getId(), 0))
        )

    speed = 1.0
    problems: list[str] = []
    recorded: dict[str, float] = {}
    parameters: dict[str, Parameter] = {}
    values: dict[str, float] = {c.getId(): c.getSize() for c in model.getListOfCompartments()}
    readout_rules = False
    for par in model.getListOfParameters():
        pid = par.getId()
        values[pid] = par.getValue()
        readout_rules |= not par.getConstant() and _crn_node(par, "readout") is not None
        if pid == SPEED:
            speed = par.getValue()
            continue
        if _crn_node(par, "readout") is not None:
            continue  # derived from the species and the layer's activation
        node = _crn_node(par, "parameter")
        if node is None:
            problems.append(f"parameter '{pid}' has no crn2sbml annotation (added by hand?)")
            parameters[pid] = Parameter(pid, par.getValue(), "unknown", 0, 0)
            continue
        parameters[pid] = _annotated_parameter(pid, node, par.getValue(), recorded)
        values[pid] = parameters[pid].value
    _local_rate_constants(model, parameters, recorded)
    _check_layout(species, [p for p in parameters.values() if p.role != "unknown"], layers)
    try:  # one [low, high] per input unit: the encoding of every input reads its own
        input_ranges = check_input_ranges(ranges, len({s.unit for s in species if s.layer == 0}))
    except NetworkError as exc:
        raise ModelReadError(f"model annotation: {exc}; regenerate the model") from None
    if not (np.isfinite(speed) and speed > 0):
        raise ModelReadError(f"{SPEED} is {speed!r}; the speed factor must be a finite number > 0")

    reactions = _reactions(model, values, parameters, speed, SPEED, unsupported, quantities, readout_species)
    problems += _value_problems(parameters.values(), {r.rate for r in reactions})
    form = "species" if readout_species else "rules" if readout_rules else "none"
    try:
        crn = CRN(name, tuple(species), tuple(parameters.values()), reactions, tuple(layers), speed, description,
                  input_ranges, form, tuple(labels[0]), tuple(labels[1]))  # type: ignore[arg-type]
    except NetworkError as exc:
        raise ModelReadError(f"the SBML model is inconsistent: {exc}") from None
    return ModelRead(crn, recorded, tuple(problems), tuple(unsupported), quantities=quantities)


def _annotated_parameter(pid: str, node: libsbml.XMLNode, sbml_value: float, recorded: dict[str, float]
                         ) -> Parameter:
    value, compiled = _value(node, sbml_value)
    if compiled is not None:
        recorded[pid] = compiled
    source = _int(node, "source", pid) if node.getAttrIndex("source") >= 0 else None
    origin = float(node.getAttrValue("origin")) if node.getAttrIndex("origin") >= 0 else None
    return Parameter(pid, value, _attr(node, "role", pid), _int(node, "layer", pid), _int(node, "unit", pid), source,
                     _int_or(node, "rail", pid, 0), _int_or(node, "source_rail", pid, 0), origin)


def _local_rate_constants(model: libsbml.Model, parameters: dict[str, Parameter], recorded: dict[str, float]) -> None:
    """Rate constants written local to their kinetic laws (``compile
    --rate-constants local``) that carry crn2sbml's parameter annotation: the
    first law holding one defines it; ``_mass_action`` then names it as the
    reaction's rate, as it does a global."""
    for rx in model.getListOfReactions():
        law = rx.getKineticLaw()
        if law is None:
            continue
        for local in law.getListOfLocalParameters():
            node = _crn_node(local, "parameter")
            if node is not None and local.getId() not in parameters:
                parameters[local.getId()] = _annotated_parameter(local.getId(), node, local.getValue(), recorded)


def _reactions(model: libsbml.Model, values: dict[str, float], parameters: dict[str, Parameter], speed: float,
               speed_id: str | None, unsupported: list[str], quantities: Quantities,
               readouts: set[str] = frozenset()) -> tuple[Reaction, ...]:
    """The mass-action reactions, each with one rate parameter: the law's
    own when the law is speed * k * reactants (times the unit volume), else a
    derived parameter holding the law's effective constant. A law that is not
    mass action goes to ``unsupported`` and out of the IR. Reactions that
    change only ``readouts`` (readout species) are skipped: they observe the
    network and change nothing in it."""
    volume = quantities.volume
    constants = {c.getId() for c in model.getListOfCompartments()} | ({speed_id} if speed_id else set())
    reactions = []
    annotated = frozenset(p.id for p in parameters.values() if p.role not in ("unknown", "derived", "rate"))
    taken = set(values) | {sp.getId() for sp in model.getListOfSpecies()} | {r.getId() for r in model.getListOfReactions()}
    for rx in model.getListOfReactions():
        rid = rx.getId()
        changed = {ref.getSpecies() for ref in (*rx.getListOfReactants(), *rx.getListOfProducts())}
        if changed and changed <= readouts:
            continue
        try:
            reactants, products, coef, params = _mass_action(rx, values, constants, quantities, annotated)
        except _NotMassAction as exc:
            law = rx.getKineticLaw()
            text = libsbml.formulaToL3String(law.getMath()) if law is not None and law.getMath() is not None else ""
            unsupported.append(f"reaction {rid}: the kinetic law {text!r} is not mass action ({exc})")
            continue
        k = coef / volume / speed  # d[S]/dt = stoichiometry * law / volume
        if len(params) == 1 and params[0] in parameters and _same(parameters[params[0]].value, k):
            rate = params[0]
        else:
            rate = _fresh(f"{rid}_k", taken)
            parameters[rate] = Parameter(rate, k, "derived", 0, 0)
        reactions.append(Reaction(rid, reactants, products, rate))
    return tuple(reactions)


def _same(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def _fresh(base: str, taken: set[str]) -> str:
    rid, n = base, 1
    while rid in taken:
        n += 1
        rid = f"{base}{n}"
    taken.add(rid)
    return rid


def _value_problems(parameters, used: set[str]) -> list[str]:
    """Rate constants a CRN cannot have: non-finite or negative; zero ones
    (the construction never writes a reaction with rate 0)."""
    out = []
    for p in parameters:
        if p.id not in used:
            continue
        if not np.isfinite(p.value) or p.value < 0:
            out.append(f"rate constant {p.id} is {p.value!r}; a rate constant is a finite number >= 0")
        elif p.value == 0:
            out.append(f"rate constant {p.id} is 0; the construction writes no reaction with a zero rate")
    return out


def _read_plain(model: libsbml.Model, unsupported: list[str], quantities: Quantities, foreign: bool) -> ModelRead:
    """Any mass-action model: boundary or constant species are the inputs
    (layer 0), the rest floating (layer 1); no layers, so no network."""
    species = []
    inputs = floating = 0
    for sp in model.getListOfSpecies():
        initial = quantities.initial[sp.getId()]
        if sp.getBoundaryCondition() or sp.getConstant():
            species.append(Species(sp.getId(), "input", 0, inputs, initial))
            inputs += 1
        else:
            species.append(Species(sp.getId(), "hidden", 1, floating, initial))
            floating += 1
    values: dict[str, float] = {c.getId(): c.getSize() for c in model.getListOfCompartments()}
    parameters: dict[str, Parameter] = {}
    for par in model.getListOfParameters():
        values[par.getId()] = par.getValue()
        parameters[par.getId()] = Parameter(par.getId(), par.getValue(), "rate", 0, 0)
    reactions = _reactions(model, values, parameters, 1.0, None, unsupported, quantities)
    used = {r.rate for r in reactions}
    problems = _value_problems([p for p in parameters.values() if p.id in used], used)
    name = model.getName() or model.getId() or "model"
    try:
        crn = CRN(name, tuple(species), tuple(p for p in parameters.values() if p.id in used), reactions, ())
    except NetworkError as exc:
        raise ModelReadError(f"the SBML model is inconsistent: {exc}") from None
    return ModelRead(crn, {}, tuple(problems), tuple(unsupported), foreign, quantities=quantities)


def _value(node: libsbml.XMLNode, sbml_value: float) -> tuple[float, float | None]:
    """(value, compiled value if edited since): the annotation keeps the
    exact double, which wins while it still rounds to the SBML value
    (libsbml writes 15 digits); otherwise the model was edited by hand, the
    SBML value is the model's and the annotation's the compile-time record."""
    if node.getAttrIndex("value") < 0:
        return sbml_value, None
    try:
        exact = float(node.getAttrValue("value"))
    except ValueError:
        return sbml_value, None
    return (exact, None) if float(f"{exact:.15g}") == sbml_value else (sbml_value, exact)
