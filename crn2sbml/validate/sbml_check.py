"""Check 1: libsbml's full consistency check, units included."""

from __future__ import annotations

import libsbml

from .result import CheckResult
from .subject import Options, Subject


def check_sbml(subject: Subject, options: Options) -> CheckResult:
    doc = libsbml.readSBMLFromString(subject.sbml)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    problems = [doc.getError(i) for i in range(doc.getNumErrors())]
    errors = [e for e in problems if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    warnings = [e for e in problems if e.getSeverity() == libsbml.LIBSBML_SEV_WARNING]
    first = [f"line {e.getLine()}: {e.getShortMessage()}: {e.getMessage().strip().splitlines()[0]}" for e in problems[:10]]
    figures = {"errors": len(errors), "warnings": len(warnings), "level": doc.getLevel(),
               "version": doc.getVersion(), "first_messages": first}
    if errors or warnings:
        return CheckResult("sbml", False, f"libsbml consistency (units included): {len(errors)} errors, "
                           f"{len(warnings)} warnings; first: {first[0]}", figures)
    return CheckResult("sbml", True, f"SBML L{doc.getLevel()}V{doc.getVersion()}: 0 errors, 0 warnings "
                       "(full consistency check, units included)", figures)
