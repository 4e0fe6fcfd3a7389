"""Wet-lab hand-off sheet: HTML (plots embedded as PNG) and CSV tables.
Species with role and initial concentration, reactions with rates in nM and
seconds and the plausibility verdict, expected outputs for the test inputs,
the settling time, counts, Gillespie accuracy against molecule numbers and
accuracy against rate spread; with a DNA design (``crn2sbml export --dna``),
its verdict and the strands to order (crn2sbml.export.dna_section)."""

from __future__ import annotations

import base64
import csv
import html
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..crn import CRN
from ..network import Network
from ..simulate.numpy_backend import NumpySimulator
from .dna_section import DnaSection, dna_parts
from .robustness import RobustnessRow, robustness_table
from .stochastic import StochasticRow, accuracy_table
from .units import AVOGADRO, RateIssue, UnitScale, check_rates, rate_table


MAX_GILLESPIE_MOLECULES = 1e5  # per model unit; above it the run is too long for a hand-off sheet


@dataclass(frozen=True)
class SheetOptions:
    molecules: tuple[float, ...] = (10.0, 100.0, 1000.0)
    repeats: int = 3
    spreads: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2)
    samples: int = 5
    seed: int = 20210031


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(header: list[str], rows: list[list]) -> str:
    def cell(v):
        return f"{v:.4g}" if isinstance(v, float) else html.escape(str(v))
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _readout_rows(network: Network, crn: CRN, inputs: list[np.ndarray], t_end: float) -> list[tuple[float, float]]:
    """A classifier's readout time: (T, fraction whose class at T is the network's)."""
    from ..predict import readout_curve

    x = np.array(inputs, dtype=float)
    times = np.geomspace(t_end * 1e-3, t_end, 10)
    return readout_curve(crn, x, np.argmax(network.forward(x), axis=1), times, target=1.0).rows()


def write_sheet(network: Network, crn: CRN, inputs: list[np.ndarray], scale: UnitScale, chemistry: str,
                t_end: float, folder: Path, options: SheetOptions = SheetOptions(),
                dna: DnaSection | None = None) -> list[RateIssue]:
    from ..plots import pyplot

    plt = pyplot("the hand-off sheet")
    name = crn.name
    issues = check_rates(crn, scale, chemistry)
    bad = {i.reaction: i for i in issues}
    species_rows = [[s.id, s.role, s.layer, s.unit, scale.concentration(crn.with_inputs(inputs[0]).species[k].initial)]
                    for k, s in enumerate(crn.species)]
    rate_rows = [[r.reaction, r.equation, r.order, r.parameter, r.model_value, r.value, r.unit,
                  "ok" if r.reaction not in bad else bad[r.reaction].describe()] for r in rate_table(crn, scale)]
    out_rows = []
    for x in inputs:
        want = np.asarray(network.forward(x), dtype=float)
        for o, v in zip(crn.output_names, want):
            out_rows.append([";".join(f"{v:g}" for v in x), o, float(v), scale.concentration(float(v))])
    big = [n for n in options.molecules if n > MAX_GILLESPIE_MOLECULES]
    small = [n for n in options.molecules if n <= MAX_GILLESPIE_MOLECULES]
    stoch: list[StochasticRow] = accuracy_table(crn, network, inputs, small, options.repeats, options.seed)
    robust: list[RobustnessRow] = robustness_table(crn, network, inputs, list(options.spreads), options.samples, options.seed)
    litre = [r.molecules / (scale.nM * 1e-9 * AVOGADRO) for r in stoch]

    _csv(folder / f"{name}_species.csv", ["species", "role", "layer", "unit", "initial_nM"], species_rows)
    _csv(folder / f"{name}_reactions.csv", ["reaction", "equation", "order", "parameter", "k_model", "k_physical",
                                            "unit", "plausible"], rate_rows)
    _csv(folder / f"{name}_outputs.csv", ["inputs", "output", "expected_model", "expected_nM"], out_rows)
    _csv(folder / f"{name}_stochastic.csv", ["molecules_per_unit", "volume_litre", "rms_error", "rel_error", "repeats"],
         [[r.molecules, v, r.rms_error, r.rel_error, r.repeats] for r, v in zip(stoch, litre)])
    _csv(folder / f"{name}_robustness.csv", ["log_spread", "rms_error", "max_error", "samples"],
         [[r.spread, r.rms_error, r.max_error, r.samples] for r in robust])

    # plots: time course (numpy backend), stochastic error, robustness
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for x in inputs:
        sim = NumpySimulator(crn.with_inputs(x))
        tc = sim.time_course(t_end, 200)
        conc = {s.id: s.initial for s in sim.crn.inputs}
        ys = np.array([sim.crn.output_values({**conc, **dict(zip(tc.species, row))}) for row in tc.values])
        for j, o in enumerate(crn.output_names):
            ax.plot(scale.time(tc.time), scale.concentration(ys[:, j]), label=f"{o} @ {list(map(float, x))}")
    ax.set_xlabel("time (s)"), ax.set_ylabel("concentration (nM)"), ax.legend(fontsize="x-small")
    fig.tight_layout()
    tc_png = _png(fig)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.loglog([r.molecules for r in stoch], [max(r.rel_error, 1e-16) for r in stoch], "o-")
    ax.set_xlabel("molecules per model unit"), ax.set_ylabel("relative RMS output error")
    fig.tight_layout()
    st_png = _png(fig)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot([r.spread for r in robust], [r.rms_error for r in robust], "o-", label="RMS")
    ax.plot([r.spread for r in robust], [r.max_error for r in robust], "s--", label="max")
    ax.set_xlabel("log-normal spread of every rate"), ax.set_ylabel("output error (model units)"), ax.legend()
    fig.tight_layout()
    rb_png = _png(fig)

    readout = _readout_rows(network, crn, inputs, t_end) if network.n_outputs > 1 else []

    img = '<img alt="{}" src="data:image/png;base64,{}">'
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(name)}: wet-lab hand-off</title>",
        "<style>body{font-family:sans-serif;max-width:70em}td,th{border:1px solid #ccc;padding:2px 6px}"
        "table{border-collapse:collapse;font-size:small}</style></head><body>",
        f"<h1>{html.escape(name)}: wet-lab hand-off</h1>",
        f"<p>1 model concentration unit = {scale.nM:g} nM; 1 model time unit = {scale.seconds:g} s; "
        f"speed factor kappa = {crn.speed:g}; chemistry '{html.escape(chemistry)}'.</p>",
        f"<p>Distinct species: {len(crn.species)} ({len(crn.inputs)} inputs); reactions: {len(crn.reactions)}; "
        f"settling time: {scale.time(t_end):.4g} s.</p>",
        f"<p>Rates outside the plausible range: {len(issues)}.</p>",
        "<h2>Species</h2>", _table(["species", "role", "layer", "unit", "initial (nM)"], species_rows),
        "<h2>Reactions</h2>", _table(["reaction", "equation", "order", "parameter", "k (model)", "k (physical)",
                                      "unit", "plausible"], rate_rows),
        "<h2>Expected outputs</h2>", _table(["inputs", "output", "expected (model)", "expected (nM)"], out_rows),
        img.format("time course", tc_png),
        *(["<h2>Readout time</h2><p>Fraction of the inputs above whose class (largest output) read at "
            "time T equals the network's, from the all-zero state.</p>",
            _table(["T (s)", "T (model)", "class agrees"], [[scale.time(t), t, a] for t, a in readout])] if readout else []),
        "<h2>Stochastic accuracy (Gillespie)</h2>",
        _table(["molecules per unit", "volume (L)", "RMS error", "relative error", "repeats"],
               [[r.molecules, v, r.rms_error, r.rel_error, r.repeats] for r, v in zip(stoch, litre)]),
        img.format("stochastic error", st_png),
        *[f"<p>Not simulated: {n:.3g} molecules per unit (above {MAX_GILLESPIE_MOLECULES:g}); "
          "the error falls roughly like 1/sqrt(molecules), extrapolate from the table.</p>" for n in big],
        "<h2>Robustness to rate errors</h2>",
        _table(["log-normal spread", "RMS error", "max error", "samples"],
               [[r.spread, r.rms_error, r.max_error, r.samples] for r in robust]),
        img.format("robustness", rb_png),
        *(dna_parts(dna, scale) if dna is not None else []),
        "</body></html>",
    ]
    (folder / f"{name}_sheet.html").write_text("\n".join(parts), encoding="utf-8")
    return issues
