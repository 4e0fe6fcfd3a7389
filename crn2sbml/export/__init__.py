"""Exporters for the outside world: COMBINE/OMEX with SED-ML, COPASI .cps,
Tellurium, formal CRN text for DNA compilers (Nuskell, Visual DSD) and a
wet-lab hand-off sheet in physical units. One module per format, an explicit
registry ``EXPORTERS``; every export is staged and moved into place together
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
from ..errors import InputError, UnknownNameError
from ..network import Network
from .units import CHEMISTRIES, RateIssue, UnitScale, check_rates, check_volume, get_chemistry


class RateRangeWarning(UserWarning):
    """A rate constant, in physical units, is outside the chosen chemistry's plausible range."""


@dataclass(frozen=True)
class ExportContext:
    network: Network
    crn: CRN
    inputs: tuple[np.ndarray, ...]
    scale: UnitScale = UnitScale()
    chemistry: str = "dsd"
    report: Path | None = None
    volume: float | None = None  # litres, for the Gillespie table of the sheet
    t_end: float = field(default=0.0)  # settling time in model units (set by export)


def _nuskell(ctx: ExportContext, stage: Path) -> list[str]:
    from .formal import to_nuskell

    name = f"{ctx.crn.name}.crn.txt"
    (stage / name).write_text(to_nuskell(ctx.crn.with_inputs(ctx.inputs[0]), ctx.scale, ctx.scale.time(ctx.t_end)))
    return [name]


def _dsd(ctx: ExportContext, stage: Path) -> list[str]:
    from .formal import to_dsd

    name = f"{ctx.crn.name}.dsd"
    (stage / name).write_text(to_dsd(ctx.crn.with_inputs(ctx.inputs[0]), ctx.scale, ctx.t_end))
    return [name]


def _omex(ctx: ExportContext, stage: Path) -> list[str]:
    from .omex import write_omex

    name = f"{ctx.crn.name}.omex"
    write_omex(ctx.network, ctx.crn, list(ctx.inputs), stage / name, ctx.report)
    return [name]


def _copasi(ctx: ExportContext, stage: Path) -> list[str]:
    from .copasi import write_cps

    names = []
    for k, x in enumerate(ctx.inputs, start=1):
        name = f"{ctx.crn.name}_input{k}.cps"
        write_cps(ctx.crn, x, ctx.t_end, stage / name)
        names.append(name)
    return names


def _tellurium(ctx: ExportContext, stage: Path) -> list[str]:
    from ..emit import to_antimony, to_sbml
    from .tellurium import tellurium_script

    crn = ctx.crn.with_inputs(ctx.inputs[0])
    base = ctx.crn.name
    (stage / f"{base}.ant").write_text(to_antimony(crn))
    (stage / f"{base}.xml").write_text(to_sbml(crn))
    (stage / f"{base}_tellurium.py").write_text(tellurium_script(ctx.crn, ctx.network, list(ctx.inputs), ctx.t_end))
    return [f"{base}.ant", f"{base}.xml", f"{base}_tellurium.py"]


def _sheet(ctx: ExportContext, stage: Path) -> list[str]:
    from .sheet import SheetOptions, write_sheet
    from .units import molecules_per_unit

    options = SheetOptions()
    if ctx.volume is not None:
        n = molecules_per_unit(ctx.scale, ctx.volume)
        options = SheetOptions(molecules=tuple(sorted({*options.molecules, n})))
    write_sheet(ctx.network, ctx.crn, list(ctx.inputs), ctx.scale, ctx.chemistry, ctx.t_end, stage, options)
    base = ctx.crn.name
    return [f"{base}_sheet.html"] + [f"{base}_{t}.csv" for t in ("species", "reactions", "outputs", "stochastic", "robustness")]


EXPORTERS: dict[str, Callable[[ExportContext, Path], list[str]]] = {
    "omex": _omex,
    "copasi": _copasi,
    "tellurium": _tellurium,
    "nuskell": _nuskell,
    "dsd": _dsd,
    "sheet": _sheet,
}


def get_exporter(name: str) -> Callable[[ExportContext, Path], list[str]]:
    if name not in EXPORTERS:
        raise UnknownNameError(f"unknown export format '{name}'; known formats: {', '.join(EXPORTERS)}")
    return EXPORTERS[name]


def default_inputs(network: Network) -> list[np.ndarray]:
    """Unit vectors and all-ones: a small set of test inputs."""
    n = network.n_inputs
    return [np.eye(n)[i] for i in range(n)] + ([np.ones(n)] if n > 1 else [])


def export(network: Network, crn: CRN, formats: tuple[str, ...], out_dir: str | os.PathLike[str], *,
           inputs: list | None = None, scale: UnitScale = UnitScale(), chemistry: str = "dsd",
           report: str | os.PathLike[str] | None = None, volume: float | None = None) -> tuple[dict[str, list[Path]], list[RateIssue]]:
    """Write each format into ``out_dir``; returns the files per format and the
    rate-range issues (also issued as RateRangeWarning). Arguments are checked
    before the folder is touched."""
    from ..compile import start_at_bound
    from ..theory import settling_time

    # models for other people's tools start above their fixed point, so a plain
    # steady-state solve from the initial state lands on the positive one
    crn = start_at_bound(crn, network)
    exporters = {f: get_exporter(f) for f in formats}
    get_chemistry(chemistry)
    if volume is not None:
        check_volume(volume)
    xs = [network.check_input(x) for x in (inputs if inputs else default_inputs(network))]
    if not xs:
        raise InputError("no test inputs; give at least one, e.g. --inputs '1,0;0,1'")
    for x in xs:
        crn.with_inputs(x)  # checks signs and ranges
    t_end = max(settling_time(network, crn.with_inputs(x).input_values, crn.speed, tol=1e-9) for x in xs)
    ctx = ExportContext(network, crn, tuple(np.asarray(x, float) for x in xs), scale, chemistry,
                        Path(report) if report else None, volume, t_end)
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


__all__ = ["CHEMISTRIES", "EXPORTERS", "ExportContext", "RateRangeWarning", "UnitScale", "check_rates",
           "default_inputs", "export", "get_exporter"]
