#!/usr/bin/env python
"""crn2sbml scaling benchmark: time per layer and per reaction of every
pipeline phase, and how each grows with width and depth.

    python benchmarks/scaling.py [--widths 16,32,64,128,256] [--depths 1,2,4,8]
                                 [--batch 1000] [--roadrunner-max-reactions 6000]
                                 [--repeats 3] [--budget 1] [--seed 0]
                                 [--out benchmarks/scaling_results.json]
                                 [--plot benchmarks/scaling.png]

Two series of random networks (seeded, eps 0.01, as in benchmarks/run.py):
width 64-w-10 and depth 64-(32 x d)-10. For each, in this one process:
compile_network, write_sbml (streamed), write_antimony, the libsbml
consistency check as validation runs it, read back, BatchSimulator
construction, steady_states of --batch inputs (checked against the forward
pass to 1e-8 relative) and, up to --roadrunner-max-reactions, roadrunner's JIT
load. Prints a table (seconds and microseconds per reaction per phase) and a
fit: the log-log slope of time against reactions over the width series and the
time per added layer over the depth series. See benchmarks/README.md."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as bench
from batch import rel_error

import crn2sbml
from crn2sbml.readback import read_sbml
from crn2sbml.simulate.roadrunner import load_roadrunner
from crn2sbml.validate.sbml_check import consistency

TOLERANCE = 1e-8
# (key, column header, description)
PHASES: list[tuple[str, str, str]] = [
    ("compile", "compile", "compile_network"),
    ("sbml", "sbml", "write_sbml (streamed)"),
    ("antimony", "antim.", "write_antimony"),
    ("consistency", "check", "libsbml consistency (sbml_check.consistency)"),
    ("readback", "read", "readback.read_sbml"),
    ("batch_build", "bbuild", "BatchSimulator(crn)"),
    ("steady_states", "ss", "BatchSimulator.steady_states"),
    ("roadrunner", "rr", "roadrunner JIT load (load_roadrunner, no cache)"),
]


def int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of integers") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' needs positive integers")
    return values


def networks(widths: list[int], depths: list[int]) -> list[tuple[str, bench.Shape, str]]:
    out = [("width", (64, w, 10), f"64-{w}-10") for w in widths]
    return out + [("depth", (64, *([32] * d), 10), f"64-32x{d}-10") for d in depths]


def benchmark_network(series: str, shape: bench.Shape, name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Every phase of one network; a wrong result is recorded as a problem."""
    print(f"{bench._clock()} {name} ({series} series)", flush=True)
    net = bench.make_network(shape, args.seed)
    times: dict[str, bench.Timing] = {}
    problems: list[str] = []

    def phase(key: str, fn, repeats: int | None = None):
        result, times[key] = bench.measure(f"{name} {key}", fn, args.repeats if repeats is None else repeats, args.budget)
        return result

    crn = phase("compile", lambda: crn2sbml.compile_network(net))
    sbml, ant = workdir / f"{bench.model_name(shape)}.xml", workdir / f"{bench.model_name(shape)}.ant"
    phase("sbml", lambda: crn2sbml.write_sbml(crn, sbml))
    phase("antimony", lambda: crn2sbml.write_antimony(crn, ant))
    text = sbml.read_text()
    check = phase("consistency", lambda: consistency(text))
    if check.errors:
        problems.append(f"libsbml consistency: {len(check.errors)} errors, first {check.errors[0]}")
    back = phase("readback", lambda: read_sbml(text))
    if len(back.reactions) != len(crn.reactions) or back.species != crn.species:
        problems.append(f"read back {len(back.reactions)} reactions / {len(back.species)} species, "
                        f"wrote {len(crn.reactions)} / {len(crn.species)}")
    sim = phase("batch_build", lambda: crn2sbml.BatchSimulator(crn))
    x = np.random.default_rng([args.seed, *shape, 2]).uniform(0.0, 1.0, size=(args.batch, shape[0]))
    states = phase("steady_states", lambda: sim.steady_states(x))
    err = rel_error(sim.readout(states), net.forward(x))
    if not err <= TOLERANCE:
        problems.append(f"steady_states readout vs forward: max rel error {err:.1e} > {TOLERANCE:g}")
    reactions = len(crn.reactions)
    if reactions <= args.roadrunner_max_reactions:
        phase("roadrunner", lambda: load_roadrunner(text, None), repeats=1)
    else:
        print(f"  {bench._clock()} {name} roadrunner skipped: {reactions} reactions > "
              f"--roadrunner-max-reactions {args.roadrunner_max_reactions}", flush=True)
    for p in problems:
        print(f"  {bench._clock()} {name} WRONG: {p}", flush=True)
    return {
        "series": series, "shape": name, "sizes": list(shape), "layers": len(shape) - 1,
        "species": len(crn.species), "reactions": reactions, "sbml_mb": sbml.stat().st_size / 2**20,
        "seconds": {k: t.seconds for k, t in times.items()},
        "us_per_reaction": {k: 1e6 * t.seconds / reactions for k, t in times.items()},
        "timings": {k: asdict(t) for k, t in times.items()},
        "consistency_chunks": check.chunks, "consistency_warnings": len(check.warnings),
        "max_rel_err": err, "problems": problems,
    }


def fit(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per phase: log-log slope of seconds against reactions over the width
    series; seconds per added layer (least squares) over the depth series."""
    out: dict[str, dict[str, Any]] = {}
    for key, _, _ in PHASES:
        width = [(r["reactions"], r["seconds"][key]) for r in rows if r["series"] == "width" and key in r["seconds"]]
        depth = [(r["layers"], r["seconds"][key]) for r in rows if r["series"] == "depth" and key in r["seconds"]]
        f: dict[str, Any] = {"width_points": len(width), "depth_points": len(depth)}
        if len(width) >= 2:
            f["width_loglog_slope"] = float(np.polyfit(*np.log(np.array(width, dtype=float)).T, 1)[0])
        if len(depth) >= 2:
            f["depth_s_per_layer"] = float(np.polyfit(*np.array(depth, dtype=float).T, 1)[0])
        out[key] = f
    return out


def format_table(rows: list[dict[str, Any]]) -> str:
    header = ["network", "layers", "reactions"] + [h for _, h, _ in PHASES] * 2
    body = [
        [r["shape"], str(r["layers"]), f"{r['reactions']:,}"]
        + [f"{r['seconds'][k]:.3f}" if k in r["seconds"] else "-" for k, _, _ in PHASES]
        + [f"{r['us_per_reaction'][k]:.2f}" if k in r["us_per_reaction"] else "-" for k, _, _ in PHASES]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    rule = "-" * len(line(header))
    n = 3 + len(PHASES)  # the microseconds-per-reaction group starts here
    start = len(line(header[:n])) + 2
    groups = "seconds".center(start - len(line(header[:3])) - 2).rjust(start - 2) + "  "
    groups += "microseconds per reaction".center(len(rule) - start)
    return "\n".join([rule, groups.rstrip(), line(header), rule, *map(line, body), rule])


def format_fit(fits: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'phase':48s} {'width: log-log slope':>21s} {'depth: ms per layer':>20s}"]
    for key, _, desc in PHASES:
        f = fits[key]
        slope = f"{f['width_loglog_slope']:.2f} ({f['width_points']} pts)" if "width_loglog_slope" in f else "-"
        per = f"{1e3 * f['depth_s_per_layer']:.1f} ({f['depth_points']} pts)" if "depth_s_per_layer" in f else "-"
        lines.append(f"{desc:48s} {slope:>21s} {per:>20s}")
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: Path, batch: int) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(10, 5))
    colors = plt.get_cmap("tab10").colors
    for (key, _, desc), color in zip(PHASES, colors):
        if key == "steady_states":
            desc += f" ({batch} inputs)"
        for series, marker, style in (("width", "o", "-"), ("depth", "s", "--")):
            pts = [(r["reactions"], r["seconds"][key]) for r in rows if r["series"] == series and key in r["seconds"]]
            if pts:
                ax.loglog(*zip(*pts), marker=marker, linestyle=style, color=color,
                          label=desc if series == "width" else None)
    ax.plot([], [], "ko-", label="width series 64-w-10")
    ax.plot([], [], "ks--", label="depth series 64-32xd-10")
    ax.set_xlabel("reactions")
    ax.set_ylabel("seconds")
    ax.set_title("crn2sbml pipeline: time per phase against reactions")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--widths", type=int_list, default=[16, 32, 64, 128, 256], help="w of 64-w-10 (default 16,32,64,128,256)")
    p.add_argument("--depths", type=int_list, default=[1, 2, 4, 8], help="d of 64-(32 x d)-10 (default 1,2,4,8)")
    p.add_argument("--batch", type=int, default=1000, help="inputs for steady_states (default 1000)")
    p.add_argument("--roadrunner-max-reactions", type=int, default=6000, metavar="N",
                   help="JIT-load in roadrunner only models with at most N reactions (default 6000; "
                        "load time grows about quadratically, 3.4 s at 4,958 reactions)")
    p.add_argument("--repeats", type=int, default=3, help="max runs of a phase, median reported (default 3; roadrunner once)")
    p.add_argument("--budget", type=float, default=1.0, help="stop repeating a phase once its runs took this long (default 1 s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=HERE / "scaling_results.json")
    p.add_argument("--plot", type=Path, default=HERE / "scaling.png")
    args = p.parse_args(argv)

    nets = networks(args.widths, args.depths)
    print(f"crn2sbml scaling: {len(nets)} networks, eps {bench.EPSILON}, seed {args.seed}, {args.batch} inputs, "
          f"roadrunner up to {args.roadrunner_max_reactions} reactions; all in this process", flush=True)
    with tempfile.TemporaryDirectory(prefix="crn2sbml-scaling-") as tmp:
        rows = [benchmark_network(series, shape, name, args, Path(tmp)) for series, shape, name in nets]
    fits = fit(rows)
    report = {
        "machine": bench.machine_info(),
        "settings": {"epsilon": bench.EPSILON, "seed": args.seed, "batch": args.batch, "repeats": args.repeats,
                     "budget_s": args.budget, "roadrunner_max_reactions": args.roadrunner_max_reactions,
                     "tolerance": TOLERANCE},
        "phases": {k: d for k, _, d in PHASES},
        "total_s": time.time() - bench._START,
        "rows": rows,
        "fit": fits,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nSeconds per phase (median of up to {args.repeats} runs; roadrunner once), then microseconds per "
          f"reaction; columns: " + ", ".join(f"{h} = {d}" for _, h, d in PHASES))
    print(format_table(rows))
    print("\nFit: log-log slope of time against reactions over the width series (1 = linear in reactions); "
          "time per added 32-wide layer over the depth series (least squares)")
    print(format_fit(fits))
    wrong = [f"{r['shape']}: {p}" for r in rows for p in r["problems"]]
    print("\nchecks: " + ("WRONG RESULTS:\n  " + "\n  ".join(wrong) if wrong else
                          f"all readouts within {TOLERANCE:g} of the forward pass (worst "
                          f"{max(r['max_rel_err'] for r in rows):.1e}), no consistency errors, read-back matches"))
    if plot(rows, args.plot, args.batch):
        print(f"plot: {args.plot}")
    print(f"total {report['total_s']:.0f} s; results in {args.out}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
