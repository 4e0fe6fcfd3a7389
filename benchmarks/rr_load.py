#!/usr/bin/env python
"""roadrunner load time and peak memory: rate constants as global parameters
(today's formulation, what `crn2sbml compile` writes by default) against local
to their kinetic laws (what RoadRunnerSimulator loads from LOCAL_MIN_REACTIONS
up), first load (JIT) and cached load (loadState), in one run.

    python benchmarks/rr_load.py [--shapes 64-64-10,128-64-10] [--repeats 1] [--seed 0]

Each load runs in a fresh process, its peak RSS taken over the load alone
(the process's high-water mark reset just before; the SBML text, held by
the process, is in it), the two
formulations alternating, so a busy machine slows both alike; the ratios
local / global are what to compare. See benchmarks/README.md."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMULATIONS = ("global", "local")


def worker(shape: str, seed: int, formulation: str, cache: str) -> None:
    """One load in this process; prints {"seconds", "peak_mb", "reactions"}."""
    sys.path.insert(0, str(HERE))
    import run as bench

    from crn2sbml import compile_network
    from crn2sbml.simulate.roadrunner import _roadrunner, load_roadrunner, model_text

    dims = tuple(int(v) for v in shape.split("-"))
    crn = compile_network(bench.make_network(dims, seed))
    text, reactions = model_text(crn, None, formulation), len(crn.reactions)
    del crn
    _roadrunner()  # LLVM's import is not the load
    exact = bench._reset_peak_rss()  # the load's own peak (the SBML text it reads included)
    start = time.perf_counter()
    rr = load_roadrunner(text, Path(cache))
    seconds = time.perf_counter() - start
    peak = bench._peak_rss_mb()
    assert len(rr.model.getReactionIds()) == reactions
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "exact_peak": exact, "reactions": reactions}))


def _run(shape: str, seed: int, formulation: str, cache: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", shape, str(seed), formulation, str(cache)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shapes", default="64-64-10,128-64-10")
    ap.add_argument("--repeats", type=int, default=1, help="loads of each kind (medians are reported)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        shape, seed, formulation, cache = args.worker
        worker(shape, int(seed), formulation, cache)
        return
    print(f"{'shape':>11} {'reactions':>9} {'load':>6} | {'global s':>8} {'local s':>8} {'ratio':>6} | "
          f"{'global MB':>9} {'local MB':>8} {'ratio':>6}", flush=True)
    for shape in args.shapes.split(","):
        with tempfile.TemporaryDirectory(prefix="rr-load-") as tmp:
            runs: dict[tuple[str, str], list[dict]] = {}
            for rep in range(args.repeats):
                for kind in ("first", "cached"):
                    for formulation in FORMULATIONS:
                        cache = Path(tmp) / f"{formulation}-{rep}"
                        if kind == "first":  # an empty cache: JIT-compile, then save the state
                            for f in cache.glob("*.rrstate"):
                                f.unlink()
                        one = _run(shape, args.seed, formulation, cache)
                        runs.setdefault((kind, formulation), []).append(one)
                        print(f"  ({shape} {kind} {formulation}: {one['seconds']:.2f} s, {one['peak_mb']:.0f} MB)",
                              file=sys.stderr, flush=True)
            for kind in ("first", "cached"):
                g, loc = (runs[(kind, f)] for f in FORMULATIONS)
                gs, ls = statistics.median(r["seconds"] for r in g), statistics.median(r["seconds"] for r in loc)
                gm, lm = statistics.median(r["peak_mb"] for r in g), statistics.median(r["peak_mb"] for r in loc)
                print(f"{shape:>11} {g[0]['reactions']:>9,} {kind:>6} | {gs:8.2f} {ls:8.2f} {ls / gs:6.2f} | "
                      f"{gm:9.0f} {lm:8.0f} {lm / gm:6.2f}", flush=True)


if __name__ == "__main__":
    main()
