"""The export formats' writers, which the output-format registry
(crn2sbml.formats) names: each writes its files for one ExportContext into
the stage folder and returns their names. The format modules are imported
when a format is written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import ExportContext


def nuskell(ctx: ExportContext, stage: Path) -> list[str]:
    from .formal import to_nuskell

    name = f"{ctx.crn.name}.crn.txt"
    (stage / name).write_text(to_nuskell(ctx.crn.with_inputs(ctx.inputs[0]), ctx.scale, ctx.scale.time(ctx.t_end)), encoding="utf-8")
    return [name]


def dsd(ctx: ExportContext, stage: Path) -> list[str]:
    from .formal import to_dsd

    name = f"{ctx.crn.name}.dsd"
    (stage / name).write_text(to_dsd(ctx.crn.with_inputs(ctx.inputs[0]), ctx.scale, ctx.t_end), encoding="utf-8")
    return [name]


def omex(ctx: ExportContext, stage: Path) -> list[str]:
    from .omex import write_omex

    name = f"{ctx.crn.name}.omex"
    write_omex(ctx.network, ctx.crn, list(ctx.inputs), stage / name, ctx.report)
    return [name]


def copasi(ctx: ExportContext, stage: Path) -> list[str]:
    from .copasi import write_cps

    names = []
    for k, x in enumerate(ctx.inputs, start=1):
        name = f"{ctx.crn.name}_input{k}.cps"
        write_cps(ctx.crn, x, ctx.t_end, stage / name)
        names.append(name)
    return names


def tellurium(ctx: ExportContext, stage: Path) -> list[str]:
    from ..emit import to_antimony, to_sbml
    from .tellurium import tellurium_script

    crn = ctx.crn.with_inputs(ctx.inputs[0])
    base = ctx.crn.name
    (stage / f"{base}.ant").write_text(to_antimony(crn), encoding="utf-8")
    (stage / f"{base}.xml").write_text(to_sbml(crn), encoding="utf-8")
    (stage / f"{base}_tellurium.py").write_text(tellurium_script(ctx.crn, ctx.network, list(ctx.inputs), ctx.t_end),
                                                 encoding="utf-8")
    return [f"{base}.ant", f"{base}.xml", f"{base}_tellurium.py"]


def sheet(ctx: ExportContext, stage: Path) -> list[str]:
    from .sheet import SheetOptions, write_sheet
    from .units import molecules_per_unit

    options = SheetOptions()
    if ctx.volume is not None:
        n = molecules_per_unit(ctx.scale, ctx.volume)
        options = SheetOptions(molecules=tuple(sorted({*options.molecules, n})))
    write_sheet(ctx.network, ctx.crn, list(ctx.inputs), ctx.scale, ctx.chemistry, ctx.t_end, stage, options, ctx.dna)
    base = ctx.crn.name
    return [f"{base}_sheet.html"] + [f"{base}_{t}.csv" for t in ("species", "reactions", "outputs", "stochastic", "robustness")]
