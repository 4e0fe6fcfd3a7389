"""Validation: model by model, the properties the construction promises
(docs/design.md section 1), each as a check with its figures and plots.

    report = validate("build/xor/xor.xml", network="models/xor.json")
    report.passed, report["fixed_point"].reason
    write_report(report, "build/xor/report")     # report.json + report.html

Checks, in order (one module each): sbml (libsbml consistency, units
included), structure (mass action, inputs only catalysts, exactly the
construction), fixed_point (checked steady state = forward pass), convergence
(many inputs x many initial states end at the same positive point),
speed (settling time per layer against the bound), smoothness (gradients
three ways and a parameter sweep), agreement (roadrunner, COPASI, numpy),
dna (where crn2sbml dna wrote an implementation: its verdict and its
DNA-level answer)."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Callable

from .._progress import Bar, progress_enabled
from ..errors import Crn2SbmlError
from ..network import Network
from .agreement import check_agreement
from .convergence import check_convergence
from .dna_check import check_dna
from .fixed_point import check_fixed_point
from .report import to_html, write_report
from .result import CheckResult, Plot, Series, ValidationReport
from .sbml_check import check_sbml
from .smoothness import check_smoothness
from .speed import check_speed
from .structure import check_structure
from .subject import Options, Subject, load_subject

Check = Callable[[Subject, Options], CheckResult]

DOCUMENT_CHECKS = frozenset({"sbml", "structure"})  # the checks that read libsbml's document (Subject.document)
CHECKS: dict[str, Check] = {
    "sbml": check_sbml,
    "structure": check_structure,
    "fixed_point": check_fixed_point,
    "convergence": check_convergence,
    "speed": check_speed,
    "smoothness": check_smoothness,
    "agreement": check_agreement,
    "dna": check_dna,
}


def run_check(name: str, subject: Subject, options: Options) -> CheckResult:
    """One check, timed. A simulator that fails or cannot establish a steady
    state, a sampled input the reference network does not accept (its
    input_ranges differ from the model's), a model a backend refuses: each is
    a failed check with its reason, not a crash."""
    start = time.perf_counter()
    try:
        result = CHECKS[name](subject, options)
    except Crn2SbmlError as exc:
        result = CheckResult(name, False, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    reason = " ".join(result.reason.split())  # one line: simulator messages can span several
    return replace(result, reason=reason, seconds=seconds)


def validate(
    model: str | os.PathLike[str],
    network: Network | str | os.PathLike[str] | None = None,
    *,
    options: Options | None = None,
    checks: tuple[str, ...] | None = None,
    accept_edits: bool = False,
) -> ValidationReport:
    """Validate an SBML file as it comes (crn2sbml's own, edited, or foreign)
    or a network JSON. ``network`` (a Network or a JSON path) is what the
    model must compute; without it the model is held to the network it was
    compiled from (its annotations), so a hand edit fails the structure check,
    or, with ``accept_edits``, to the network it now encodes."""
    options = options or Options()
    start = time.perf_counter()
    subject = load_subject(model, network, accept_edits=accept_edits)
    ranges = options.sampling_ranges(subject.crn)  # InputError before any check runs
    names = tuple(CHECKS) if checks is None else checks
    try:  # the simulators' load spinners (subject.simulator) follow options.progress too
        with progress_enabled(options.progress), Bar(total=len(names), desc=subject.label, unit="check") as bar:
            # sbml takes libsbml's document apart, so the checks that only read it run first
            order = list(names)
            if "sbml" in order and "structure" in order[order.index("sbml"):]:
                order.remove("sbml")
                order.insert(order.index("structure") + 1, "sbml")
            done = {}
            for i, name in enumerate(order):
                bar.status(name)
                done[name] = run_check(name, subject, options)
                if not DOCUMENT_CHECKS.intersection(order[i + 1:]):
                    subject.release_document()  # 1.7 GB at 80,000 reactions
                bar.update()
            results = [done[name] for name in names]
    finally:
        subject.close()
    settings = {k: v for k, v in vars(options).items() if k != "progress"}
    settings["input_sampling_ranges"] = dict(zip(subject.crn.input_names, ranges.tolist()))
    settings["reference"] = REFERENCE_KINDS[subject.reference_kind]
    if subject.model.edits:
        settings["hand_edits"] = [str(e) for e in subject.model.edits]
    return ValidationReport(subject.label, subject.source, tuple(results), settings, time.perf_counter() - start)


REFERENCE_KINDS = {
    "given": "given (--network)",
    "compiled": "the network the model was compiled from (its annotations; hand edits not accepted)",
    "edits accepted": "the network the model encodes after its hand edits (edits accepted)",
    "read back": "read back from the model",
    "": "none: the model encodes no network",
}


__all__ = [
    "CHECKS", "CheckResult", "Options", "Plot", "Series", "Subject", "ValidationReport",
    "load_subject", "run_check", "to_html", "validate", "write_report",
]
