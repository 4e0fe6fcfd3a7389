"""The DNA-level answer against the forward pass, per scheme and fuel excess:
XOR and a signed 2-2-1 network (weights of both signs, identity output),
each compiled at its first input, designed at c0 = 10 nM, simulated in
roadrunner at three inputs. Prints the formal time unit, what the inputs
are supplied at per free strand, and the worst error from the read time to
twice it (the figure the report and the tolerance use).

    python benchmarks/dna_accuracy.py                          # both schemes, their default fuel
    python benchmarks/dna_accuracy.py --scheme soloveichik2010 --fuel 30,60
    python benchmarks/dna_accuracy.py --networks wide --native   # against the scheme's unimolecular gates
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crn2sbml import compile_network, load_network, network_from_dict  # noqa: E402
from crn2sbml.dna import dna_design, known_schemes  # noqa: E402
from crn2sbml.dna.answer import dna_answers  # noqa: E402
from crn2sbml.dna.realise import realise  # noqa: E402

SIGNED = {"name": "signed", "epsilon": 0.001, "inputs": ["x0", "x1"], "outputs": ["y0"], "layers": [
    {"weights": [[1.2, -0.7], [-0.5, 0.9]], "bias": [0.1, -0.2], "activation": "smoothed_relu"},
    {"weights": [[0.8, -1.1]], "bias": [0.05], "activation": "identity"}]}
# a few inputs, one hidden layer of four, signed weights up to 1.85, identity output
WIDE = {"name": "wide", "epsilon": 0.001, "inputs": ["a", "b", "c"], "outputs": ["y"], "layers": [
    {"weights": [[0.03, 1.36, 1.22], [-0.51, -0.3, -0.53], [0.57, -0.06, 0.75], [-1.85, 1.57, -0.1]],
     "bias": [0.2, -0.04, -0.11, 0.14], "activation": "smoothed_relu"},
    {"weights": [[0.82, -0.2, -0.15, 0.69]], "bias": [0.1], "activation": "identity"}]}
CASES = {"xor": (lambda: load_network(ROOT / "models/xor.json"), [[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]),
         "signed": (lambda: network_from_dict(SIGNED), [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]),
         "wide": (lambda: network_from_dict(WIDE), [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scheme", action="append", choices=known_schemes(), help="default: every scheme")
    ap.add_argument("--fuel", help="comma-separated fuel excesses (default: each scheme's own)")
    ap.add_argument("--networks", default="xor,signed", help="comma-separated: xor, signed, wide")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--native", action="store_true",
                    help="also the design whose first-order reactions run as the scheme's own unimolecular gates")
    args = ap.parse_args()
    fuels = [float(f) for f in args.fuel.split(",")] if args.fuel else [None]
    print(f"{'network':8} {'scheme':16} {'first order':11} {'fuel':>5} {'time unit (s)':>13} {'input total/free':>16} "
          f"{'spent':>6}  errors at the inputs (tolerance 0.1 of max(1,|y|)); spent: the largest share of a module's "
          f"gates spent by twice the read time")
    for case in args.networks.split(","):
        make, inputs = CASES[case]
        net = make()
        crn = compile_network(net, inputs=inputs[0])
        for scheme, catalysed in [(s, c) for s in args.scheme or known_schemes() for c in (True, False)[:1 + args.native]]:
            design = dna_design(crn, scheme, jobs=args.jobs, catalysed=catalysed)
            for fuel in fuels:
                real = realise(design.system, c0=10.0, fuel=fuel)
                t = time.perf_counter()
                answers = dna_answers(design.system, real, net, inputs)
                held = max(real.totals.values(), default=1.0)
                errors = "  ".join(f"{x}: {a.error:.3f}{'' if a.ok else ' (over)'}" for x, a in zip(inputs, answers))
                spent = max(a.spent for a in answers)
                print(f"{case:8} {scheme:16} {'catalysed' if catalysed else 'native':11} {real.fuel:5g} "
                      f"{real.seconds:13,.0f} {held:16.4f} {spent:6.3f}  {errors}"
                      f"   [{time.perf_counter() - t:.0f} s to simulate]", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
