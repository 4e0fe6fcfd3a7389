#!/usr/bin/env python
"""Serial against a local dask cluster, for the two kinds of sweep, as the
command line runs them (each in a fresh process, cluster start-up included).

    python benchmarks/sweep.py [--samples 1000] [--skip-validation] [--out benchmarks/sweep_results.json]

1. `crn2sbml sweep models/digits/digits.json --eps 1,0.1,0.01,0.001 --speed 1,10,100
   --samples 1000 --seed 0` (12 points x 2 chunks of 500 inputs = 24 tasks),
   without and with `--measure`, each `--serial` and on the default local
   cluster; the two sweep.json files must be byte-identical.
2. `python -m validation` (every model in models/) `--serial` and on the
   default local cluster; summary.json must agree but for the timings.

Prints one table (wall seconds, the load average before each run: another job
on the machine shows there) and writes it as JSON."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRID = ["--eps", "1,0.1,0.01,0.001", "--speed", "1,10,100", "--seed", "0"]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    return seconds


def without_seconds(value):
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if k != "seconds"}
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--skip-validation", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "sweep_results.json"))
    args = parser.parse_args()
    crn2sbml = [sys.executable, "-m", "crn2sbml"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for measure in ([], ["--measure"]):
            outs = {}
            for where in (["--serial"], []):
                load = os.getloadavg()[0]
                out = Path(tmp) / f"sweep{'-m' if measure else ''}{'-serial' if where else '-dask'}"
                cmd = [*crn2sbml, "sweep", "models/digits/digits.json", *GRID, "--samples", str(args.samples),
                       *measure, *where, "--quiet", "--out", str(out)]
                seconds = timed(cmd)
                outs[bool(where)] = (out / "sweep.json").read_bytes()
                rows.append({"run": "crn2sbml sweep digits" + (" --measure" if measure else ""),
                             "executor": "serial" if where else "local cluster", "seconds": round(seconds, 1),
                             "load_before": round(load, 2), "command": " ".join(cmd[2:])})
                print(f"{rows[-1]['run']:<32s} {rows[-1]['executor']:<14s} {seconds:7.1f} s  (load {load:.2f})",
                      flush=True)
            if outs[True] != outs[False]:
                sys.exit("serial and distributed sweep.json differ")
        if not args.skip_validation:
            summaries = {}
            for where in (["--serial"], []):
                load = os.getloadavg()[0]
                out = Path(tmp) / f"validation{'-serial' if where else '-dask'}"
                cmd = [sys.executable, "-m", "validation", *where, "--quiet", "--out", str(out)]
                seconds = timed(cmd)
                summaries[bool(where)] = without_seconds(json.loads((out / "summary.json").read_text()))
                rows.append({"run": "python -m validation", "executor": "serial" if where else "local cluster",
                             "seconds": round(seconds, 1), "load_before": round(load, 2), "command": " ".join(cmd[1:])})
                print(f"{rows[-1]['run']:<32s} {rows[-1]['executor']:<14s} {seconds:7.1f} s  (load {load:.2f})",
                      flush=True)
            if summaries[True] != summaries[False]:
                sys.exit("serial and distributed summary.json differ")
    Path(args.out).write_text(json.dumps({"cores": os.cpu_count(), "rows": rows}, indent=1) + "\n")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
