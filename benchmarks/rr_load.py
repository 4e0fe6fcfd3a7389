#!/usr/bin/env python
"""roadrunner load time and peak memory: rate constants as global parameters
(today's formulation, what `crn2sbml compile` writes by default) against local
to their kinetic laws (what RoadRunnerSimulator loads from LOCAL_MIN_REACTIONS
up), first load (JIT) and cached load (loadState), in one run.

    python benchmarks/rr_load.py [--shapes 64-64-10,128-64-10] [--repeats 1] [--seed 0]
                                 [--formulations global,local] [--timeout SECONDS]

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
    # getNumReactions, not len(getReactionIds()): roadrunner builds the whole id
    # list for each id: over 20 minutes at 79,730 reactions
    assert rr.model.getNumReactions() == reactions
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "exact_peak": exact, "reactions": reactions}))


def _run(shape: str, seed: int, formulation: str, cache: Path, timeout: float | None) -> dict:
    """One load's figures; {"timed_out": True} when it outlived `timeout`."""
    try:
        out = subprocess.run([sys.executable, __file__, "--worker", shape, str(seed), formulation, str(cache)],
                             check=True, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timed_out": True}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cell(runs: list[dict] | None, key: str, width: int, digits: int, timeout: float | None) -> tuple[str, float | None]:
    """A column's text and value: the median, '>T' when a load timed out, '-' when not run."""
    if not runs:
        return f"{'-':>{width}}", None
    if any(r.get("timed_out") for r in runs):
        return f"{'>' + format(timeout, '.0f') if key == 'seconds' else '?':>{width}}", None
    value = statistics.median(r[key] for r in runs)
    return f"{value:{width}.{digits}f}", value


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:6.2f}" if a and b else f"{'-':>6}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shapes", default="64-64-10,128-64-10")
    ap.add_argument("--repeats", type=int, default=1, help="loads of each kind (medians are reported)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--formulations", default=",".join(FORMULATIONS),
                    help="which to load: global, local or both (a ratio needs both)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds per load; a load that outlives it is stopped and shown as >SECONDS")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        shape, seed, formulation, cache = args.worker
        worker(shape, int(seed), formulation, cache)
        return
    chosen = [f for f in FORMULATIONS if f in args.formulations.split(",")]
    if not chosen:
        ap.error(f"--formulations: choose from {', '.join(FORMULATIONS)}")
    print(f"{'shape':>11} {'reactions':>9} {'load':>6} | {'global s':>8} {'local s':>8} {'ratio':>6} | "
          f"{'global MB':>9} {'local MB':>8} {'ratio':>6}", flush=True)
    for shape in args.shapes.split(","):
        with tempfile.TemporaryDirectory(prefix="rr-load-") as tmp:
            runs: dict[tuple[str, str], list[dict]] = {}
            for rep in range(args.repeats):
                for kind in ("first", "cached"):
                    for formulation in chosen:
                        cache = Path(tmp) / f"{formulation}-{rep}"
                        if kind == "first":  # an empty cache: JIT-compile, then save the state
                            for f in cache.glob("*.rrstate"):
                                f.unlink()
                        elif runs[("first", formulation)][-1].get("timed_out"):
                            runs.setdefault((kind, formulation), []).append({"timed_out": True})
                            continue  # nothing was cached
                        one = _run(shape, args.seed, formulation, cache, args.timeout)
                        runs.setdefault((kind, formulation), []).append(one)
                        said = ("stopped at the timeout" if one.get("timed_out")
                                else f"{one['seconds']:.2f} s, {one['peak_mb']:.0f} MB")
                        print(f"  ({shape} {kind} {formulation}: {said})", file=sys.stderr, flush=True)
            reactions = next((f"{r['reactions']:,}" for rs in runs.values() for r in rs if "reactions" in r), "?")
            for kind in ("first", "cached"):
                g, loc = (runs.get((kind, f)) for f in FORMULATIONS)
                (gs_t, gs), (ls_t, ls) = _cell(g, "seconds", 8, 2, args.timeout), _cell(loc, "seconds", 8, 2, args.timeout)
                (gm_t, gm), (lm_t, lm) = _cell(g, "peak_mb", 9, 0, args.timeout), _cell(loc, "peak_mb", 8, 0, args.timeout)
                print(f"{shape:>11} {reactions:>9} {kind:>6} | {gs_t} {ls_t} {_ratio(ls, gs)} | "
                      f"{gm_t} {lm_t} {_ratio(lm, gm)}", flush=True)


if __name__ == "__main__":
    main()
