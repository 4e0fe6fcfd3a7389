"""crn2sbml dna at three sizes: modules, DNA species and reactions, the time
to enumerate and verify the modules, to verify the composition and to
realise the rates, against the time to compile the network; the cost per
formal reaction shows whether it grows linearly. With --fuel-plot, the XOR
readout's error against the fuel excess (PNG).

    python benchmarks/dna.py                      # xor, 4-8-8-3, 64-20-10 under lakin2012
    python benchmarks/dna.py --sizes xor --scheme soloveichik2010 --fuel-plot build/dna-fuel.png
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crn2sbml import compile_network, load_network  # noqa: E402
from crn2sbml.dna import dna_design  # noqa: E402
from crn2sbml.dna.answer import dna_answers  # noqa: E402
from crn2sbml.dna.realise import realise  # noqa: E402

MODELS = {"xor": "models/xor.json", "4-8-8-3": "models/random_4_8_8_3.json",
          "64-20-10": "models/random_64_20_10.json"}


def run(size: str, scheme: str, jobs: int) -> dict:
    net = load_network(ROOT / MODELS[size])
    t = time.perf_counter()
    crn = compile_network(net, inputs=[1.0] * net.n_inputs)
    compile_s = time.perf_counter() - t
    done = [0]

    def progress(k: int, n: int, reaction: str) -> None:
        if k % max(1, n // 20) == 0 or k == n:
            print(f"  {size}: {k}/{n} modules", file=sys.stderr, flush=True)
        done[0] = k

    t = time.perf_counter()
    design = dna_design(crn, scheme, jobs=jobs, progress=progress)
    total = time.perf_counter() - t
    s = design.system
    return {"size": size, "reactions": len(crn.reactions), "correct": design.correct, "species": len(s.kernels),
            "dna_reactions": len(s.reactions), "modules_s": design.seconds["enumerate_and_verify_modules"],
            "whole_s": design.seconds["verify_whole"], "realise_s": design.seconds["realise"], "total_s": total,
            "compile_s": compile_s}


def fuel_plot(path: str, scheme: str, jobs: int) -> None:
    from crn2sbml.plots import pyplot

    net = load_network(ROOT / MODELS["xor"])
    design = dna_design(compile_network(net, inputs=[1.0, 0.0]), scheme, jobs=jobs)
    fuels = [3, 10, 30, 100, 300, 1000]  # past 1000 XOR's gates would pass a tenth of MAX_CONCENTRATION
    errors = []
    for fuel in fuels:
        (a,) = dna_answers(design.system, realise(design.system, c0=10.0, fuel=fuel), net, [[1.0, 0.0]])
        errors.append(a.error)
        print(f"  fuel {fuel:5g}: error {a.error:.4f} (held from {a.read_at / 3600:.3g} h to twice that)")
    plt = pyplot("--fuel-plot")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.loglog(fuels, errors, "o-")
    ax.set_xlabel("fuel excess (--fuel)")
    ax.set_ylabel("|DNA readout - forward pass|")
    ax.set_title(f"XOR(1, 0) at the DNA level, {scheme}")
    fig.tight_layout()
    fig.savefig(path)
    print(f"  plot {path}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default=",".join(MODELS), help=f"comma-separated: {', '.join(MODELS)}")
    p.add_argument("--scheme", default="lakin2012")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--fuel-plot", help="also plot the XOR readout's error against the fuel (PNG/SVG path)")
    args = p.parse_args()
    print(f"scheme {args.scheme}, {args.jobs} worker processes, load average {os.getloadavg()[0]:.2f}")
    rows = [run(size, args.scheme, args.jobs) for size in args.sizes.split(",")]
    print(f"{'network':>9} {'formal':>6} {'DNA sp':>7} {'DNA rx':>7} {'verified':>8} {'modules s':>9} "
          f"{'whole s':>8} {'realise s':>9} {'total s':>8} {'x compile':>10} {'s/reaction':>10}")
    for r in rows:
        print(f"{r['size']:>9} {r['reactions']:6d} {r['species']:7d} {r['dna_reactions']:7d} "
              f"{str(r['correct']):>8} {r['modules_s']:9.1f} {r['whole_s']:8.1f} {r['realise_s']:9.1f} "
              f"{r['total_s']:8.1f} {r['total_s'] / r['compile_s']:10.0f} {r['total_s'] / r['reactions']:10.3f}")
    if len(rows) > 1:
        n = np.array([r["reactions"] for r in rows], float)
        t = np.array([r["total_s"] for r in rows], float)
        slope = np.polyfit(np.log(n), np.log(t), 1)[0]
        print(f"cost ~ reactions^{slope:.2f} (1.00 is linear); load average {os.getloadavg()[0]:.2f}")
    if args.fuel_plot:
        fuel_plot(args.fuel_plot, args.scheme, args.jobs)
    return 0 if all(r["correct"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
