"""One loader for every command and for validation: a network JSON (compiled
here) or an SBML model as it comes (crn2sbml's own, edited by hand, or
foreign), with what is known about the network it encodes and what was
changed since compile time."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import libsbml

from .compile import compile_network, network_from_crn
from .crn import CRN
from .emit._common import readout_expression
from .emit.sbml import CONCENTRATION
from .errors import InputError, ModelReadError, NetworkError
from .network import Network, load_network
from .readback import parse_sbml, read_model, sbml_text
from .sbml_packages import resolve_packages
from .sbml_quantities import Quantities


@dataclass(frozen=True)
class Edit:
    """A rate constant changed by hand since compile time."""

    parameter: str
    compiled: float  # the value the crn2sbml annotation recorded
    current: float  # the value in the SBML now

    def __str__(self) -> str:
        return f"{self.parameter}: compiled {self.compiled!r}, now {self.current!r}"


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model and what it should compute.

    ``crn`` is the model as written. ``network`` is the network it encodes as
    it is (read back from its reactions; a JSON's own network), None when it
    does not read back (``readback_error`` says why). ``compiled`` is the
    network recorded at compile time, hand edits undone (``edits``).
    ``problems``, ``unsupported``, ``dropped`` and ``quantities`` come from
    the reader (:class:`~crn2sbml.readback.ModelRead`)."""

    source: str
    crn: CRN
    sbml: str | None  # the file's own SBML text (None for a network JSON)
    network: Network | None
    readback_error: str = ""
    compiled: Network | None = None
    edits: tuple[Edit, ...] = ()
    problems: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    foreign: bool = False
    readout_problems: tuple[str, ...] = ()  # readout rules that are not the construction's (edited by hand)
    dropped: tuple[str, ...] = ()
    quantities: Quantities = Quantities()

    @property
    def name(self) -> str:
        return self.crn.name

    def require_simulable(self) -> None:
        """Raise ModelReadError when simulating the IR would not be simulating the model."""
        if self.unsupported:
            more = f" (and {len(self.unsupported) - 1} more)" if len(self.unsupported) > 1 else ""
            raise ModelReadError(f"'{self.source}' cannot be simulated as a mass-action CRN: "
                                 f"{self.unsupported[0]}{more}")

    def require_network(self) -> Network:
        """The network the model encodes, or a ModelReadError saying why there is none."""
        if self.network is None:
            why = "it has no crn2sbml annotations" if self.foreign else self.readback_error
            raise ModelReadError(f"'{self.source}' does not read back as a network ({why})")
        return self.network


def canonical_formula(formula: str) -> str:
    return libsbml.formulaToL3String(libsbml.parseL3Formula(formula))


def readout_problems(crn: CRN, sbml: str | libsbml.SBMLDocument) -> list[str]:
    """Each readout rule must be the construction's combination of its unit's
    rails. The IR derives readouts from the construction, so a negated or
    altered rule would otherwise leave every simulation reporting the
    construction's output while the file (in any other tool) computes another."""
    if crn.readout_form != "rules" or not crn.readouts:
        return []
    # kept referenced: the model belongs to the document (freed with it)
    doc = libsbml.readSBMLFromString(sbml) if isinstance(sbml, str) else sbml
    model = doc.getModel()
    rules = {}
    for i in range(model.getNumRules()):
        rule = model.getRule(i)
        if rule.isAssignment() and rule.getMath() is not None:
            rules[rule.getVariable()] = libsbml.formulaToL3String(rule.getMath())
    problems = []
    for r in crn.readouts:
        want = canonical_formula(readout_expression(r, " dimensionless", f" {CONCENTRATION}"))
        got = rules.get(r.id)
        if got is None:
            problems.append(f"readout {r.id} has no assignment rule; the construction reads it as '{want}'")
        elif got != want:
            problems.append(f"readout {r.id} is '{got}'; the construction reads it as '{want}'")
    return problems


def _readback(crn: CRN) -> tuple[Network | None, str]:
    if not crn.layers:
        return None, "the model has no crn2sbml network annotation"
    try:
        return network_from_crn(crn), ""
    except NetworkError as exc:
        return None, str(exc)


def load_model(path: str | os.PathLike[str], *, speed: float | None = None) -> LoadedModel:
    """A network JSON (compiled with speed factor ``speed``, default 1) or an
    SBML file (``speed`` overrides its kappa; the SBML is then re-emitted)."""
    return load_model_and_document(path, speed=speed)[0]


def load_model_and_document(path: str | os.PathLike[str], *, speed: float | None = None
                            ) -> tuple[LoadedModel, libsbml.SBMLDocument | None]:
    """``load_model`` and libsbml's document of the file (None for a network
    JSON), for a caller that reads it again: at 80,000 reactions a read takes
    7-15 s and the document 1.7 GB, so it is the caller's to keep or drop."""
    p = Path(path)
    try:
        found = p.is_file()
    except OSError as exc:  # e.g. a name longer than the system allows (a file's content given as its name)
        raise ModelReadError(f"cannot read model '{str(p)[:60]}...': {exc.strerror or exc}") from None
    if not found:
        raise ModelReadError(f"cannot read model '{p}': no such file")
    if p.suffix.lower() == ".json":
        net = load_network(p)
        crn = compile_network(net, speed=1.0 if speed is None else speed)
        return LoadedModel(str(p), crn, None, net, compiled=net), None
    sbml, label = sbml_text(p)
    doc = parse_sbml(sbml, label, flatten=False)
    # a comp document is simulated flat, by every backend alike; roadrunner 2.10
    # crashes (SIGSEGV) on a ~100 kB XML comment, which libsbml writes back without
    if resolve_packages(doc, label) or "<!--" in sbml:
        sbml = libsbml.writeSBMLToString(doc)
    read = read_model(doc)
    crn: CRN = read.crn
    readouts = tuple(readout_problems(crn, doc))
    if speed is not None:
        if not crn.layers:
            raise InputError(f"--speed applies to models compiled by crn2sbml; '{p}' has no crn2sbml network "
                             "annotation (scale its rate constants instead)")
        crn, sbml = crn.with_speed(speed), None  # re-emitted with the new kappa
    network, error = _readback(crn)
    if network is None and not read.foreign and read.problems and not crn.layers:
        error = read.problems[0]  # crn2sbml's model with its annotations removed: say so
    if readouts and sbml is not None:  # (a new speed re-emits the model with the construction's readouts)
        network, error = None, "; ".join(readouts)
    edits = tuple(Edit(pid, value, crn.parameter_index[pid].value) for pid, value in read.recorded.items())
    compiled = network
    if edits:
        as_compiled = replace(crn, parameters=tuple(replace(q, value=read.recorded.get(q.id, q.value))
                                                    for q in crn.parameters))
        compiled, _ = _readback(as_compiled)
    loaded = LoadedModel(str(p), crn, sbml, network, error, compiled, edits, read.problems, read.unsupported,
                         read.foreign, readouts if sbml is not None else (), read.dropped, read.quantities)
    return loaded, (doc if sbml is not None else None)
