"""Every file format crn2sbml writes, in one registry: its name, which command
writes it, a one-line description (the CLI's help texts read it) and its writer.

``compile`` formats need the CRN alone; their writer is an ``emit.Format``
(render to text, write to a file). ``export`` formats also need the network,
test inputs and physical units; their writer is an exporter
``(ExportContext, stage folder) -> file names``. Writers are named
"module:attribute" and imported on first use, so the registry can be read
(help texts, errors) without loading an exporter, and the emit and export
packages can read it without an import cycle. Adding a format is its writer
and one line here."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from .errors import UnknownNameError

COMPILE, EXPORT = "compile", "export"
_OPTION = {COMPILE: "crn2sbml compile --formats", EXPORT: "crn2sbml export --format"}


@dataclass(frozen=True)
class OutputFormat:
    name: str
    command: str  # COMPILE or EXPORT: which command writes it
    description: str
    target: str  # "module:attribute" of the writer

    @property
    def writer(self) -> Any:
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


OUTPUT_FORMATS: dict[str, OutputFormat] = {f.name: f for f in (
    OutputFormat("sbml", COMPILE, "SBML Level 3", "crn2sbml.emit.writers:SBML"),
    OutputFormat("antimony", COMPILE, "Antimony text", "crn2sbml.emit.writers:ANTIMONY"),
    OutputFormat("crn", COMPILE, "plain-text CRN", "crn2sbml.emit.writers:CRN_TEXT"),
    OutputFormat("omex", EXPORT, "COMBINE/OMEX archive with SED-ML", "crn2sbml.export.writers:omex"),
    OutputFormat("copasi", EXPORT, "COPASI .cps, one per test input", "crn2sbml.export.writers:copasi"),
    OutputFormat("tellurium", EXPORT, "Tellurium script with Antimony and SBML", "crn2sbml.export.writers:tellurium"),
    OutputFormat("nuskell", EXPORT, "formal CRN for Nuskell", "crn2sbml.export.writers:nuskell"),
    OutputFormat("dsd", EXPORT, "Visual DSD script", "crn2sbml.export.writers:dsd"),
    OutputFormat("sheet", EXPORT, "wet-lab sheet in physical units, HTML and CSV", "crn2sbml.export.writers:sheet"),
)}


def output_formats(command: str) -> dict[str, OutputFormat]:
    """The formats ``command`` (COMPILE or EXPORT) writes, in registry order."""
    return {name: f for name, f in OUTPUT_FORMATS.items() if f.command == command}


def get_output_format(name: str, command: str) -> OutputFormat:
    """The format ``name`` written by ``command``, or UnknownNameError listing
    the ones it writes (and which command writes ``name``, if another does)."""
    known = output_formats(command)
    if name in known:
        return known[name]
    what = "format" if command == COMPILE else "export format"
    other = OUTPUT_FORMATS.get(name)
    hint = f"; '{name}' is written by {_OPTION[other.command]} {name}" if other is not None else ""
    raise UnknownNameError(f"unknown {what} '{name}'; known formats: {', '.join(known)}{hint}")


def formats_help(command: str) -> str:
    """The CLI's help text for the formats ``command`` writes."""
    return "comma-separated, from " + ", ".join(f"{n} ({f.description})" for n, f in output_formats(command).items())
