"""Exporters for the outside world: COMBINE/OMEX with SED-ML, COPASI .cps,
Tellurium, formal CRN text for DNA compilers (Nuskell, Visual DSD) and a
wet-lab hand-off sheet in physical units. One module per format, chosen by
name from the output-format registry (crn2sbml.formats); every export is staged and moved into place together
(crn2sbml._atomic), so a failure leaves the output folder as it was."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .._atomic import ensure_dir, staged_folder
from ..crn import CRN
from ..errors import InputError
from ..formats import EXPORT, get_output_format, output_formats
from ..network import Network
from .dna_section import DnaSection, load_dna_section
from .units import CHEMISTRIES, RateIssue, UnitScale, check_rates, check_volume, get_chemistry


class RateRangeWarning(UserWarning):
    """A rate constant, in physical units, is outside the chosen chemistry's plausible range."""


@dataclass(frozen=True)
class ExportContext:
    """What an exporter gets: the model, its test inputs and physical units."""

    network: Network
    crn: CRN
    inputs: tuple[np.ndarray, ...]
    scale: UnitScale = UnitScale()
    chemistry: str = "dsd"
    report: Path | None = None
    volume: float | None = None  # litres, for the Gillespie table of the sheet
    t_end: float = field(default=0.0)  # settling time in model units (set by export)
    dna: DnaSection | None = None  # a verified DNA design: the sheet gains its strands and verdict


# writes its files into the stage folder and returns their names
Exporter = Callable[[ExportContext, Path], list[str]]


# the export formats of the one registry (crn2sbml.formats), name -> exporter
EXPORTERS: dict[str, Exporter] = {name: f.writer for name, f in output_formats(EXPORT).items()}


def get_exporter(name: str) -> Exporter:
    return get_output_format(name, EXPORT).writer


def default_inputs(network: Network) -> list[np.ndarray]:
    """Unit vectors and all-ones: a small set of test inputs."""
    n = network.n_inputs
    return [np.eye(n)[i] for i in range(n)] + ([np.ones(n)] if n > 1 else [])


def export(network: Network, crn: CRN, formats: tuple[str, ...], out_dir: str | os.PathLike[str], *,
           inputs: list | None = None, scale: UnitScale = UnitScale(), chemistry: str = "dsd",
           report: str | os.PathLike[str] | None = None, volume: float | None = None,
           dna: DnaSection | str | os.PathLike[str] | None = None) -> tuple[dict[str, list[Path]], list[RateIssue]]:
    """Write each format into ``out_dir``; returns the files per format and the
    rate-range issues (also issued as RateRangeWarning). ``dna``: a folder
    ``crn2sbml dna`` wrote for this model (or its loaded DnaSection), for the
    sheet's DNA section. Arguments are checked before the folder is touched."""
    from ..compile import start_at_bound
    from ..theory import settling_time

    # models for other people's tools start above their fixed point, so a plain
    # steady-state solve from the initial state lands on the positive one
    crn = start_at_bound(crn, network)
    exporters = {f: get_exporter(f) for f in formats}
    get_chemistry(chemistry)
    if dna is not None:
        if "sheet" not in exporters:  # only the sheet has a DNA section; silently ignoring it would mislead
            raise InputError(f"--dna goes with --format sheet (the formats given: {', '.join(formats) or 'none'}); "
                             "add sheet to --format or drop --dna")
        if not isinstance(dna, DnaSection):
            dna = load_dna_section(dna, crn.name)
    if volume is not None:
        check_volume(volume)
    if report is not None:
        from .omex import check_report

        check_report(report)
    xs = [network.check_input(x) for x in (inputs if inputs else default_inputs(network))]
    if not xs:
        raise InputError("no test inputs; give at least one, e.g. --inputs '1,0;0,1'")
    for x in xs:
        crn.with_inputs(x)  # checks signs and ranges
    t_end = max(settling_time(network, crn.with_inputs(x).input_values, crn.speed, tol=1e-9) for x in xs)
    ctx = ExportContext(network, crn, tuple(np.asarray(x, float) for x in xs), scale, chemistry,
                        Path(report) if report else None, volume, t_end, dna)
    issues = check_rates(crn, scale, chemistry)
    if issues:
        lines = "; ".join(i.describe() for i in issues[:5])
        more = f" (and {len(issues) - 5} more)" if len(issues) > 5 else ""
        warnings.warn(f"{len(issues)} rate constants are implausible for chemistry '{chemistry}': {lines}{more}",
                      RateRangeWarning, stacklevel=2)
    folder = ensure_dir(out_dir)
    written: dict[str, list[Path]] = {}
    with staged_folder(folder) as stage:
        for name, fn in exporters.items():
            written[name] = [folder / f for f in fn(ctx, stage)]
    return written, issues


__all__ = ["CHEMISTRIES", "EXPORTERS", "DnaSection", "ExportContext", "RateRangeWarning", "UnitScale", "check_rates",
           "default_inputs", "export", "get_exporter", "load_dna_section"]
