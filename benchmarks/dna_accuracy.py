"""The DNA-level answer against the forward pass, per scheme and fuel excess:
XOR and a signed 2-2-1 network (weights of both signs, identity output),
each compiled at its first input, designed at c0 = 10 nM, simulated in
roadrunner at three inputs. Prints the formal time unit, what the inputs
are supplied at per free strand, and the worst error from the read time to
twice it (the figure the report and the tolerance use).

    python benchmarks/dna_accuracy.py                          # both schemes, their default fuel
    python benchmarks/dna_accuracy.py --scheme soloveichik2010 --fuel 30,60
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
CASES = {"xor": (lambda: load_network(ROOT / "models/xor.json"), [[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]),
         "signed": (lambda: network_from_dict(SIGNED), [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scheme", action="append", choices=known_schemes(), help="default: every scheme")
    ap.add_argument("--fuel", help="comma-separated fuel excesses (default: each scheme's own)")
    ap.add_argument("--networks", default="xor,signed", help="comma-separated: xor, signed")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    fuels = [float(f) for f in args.fuel.split(",")] if args.fuel else [None]
    print(f"{'network':8} {'scheme':16} {'fuel':>5} {'time unit (s)':>13} {'input total/free':>16}  "
          f"errors at the inputs (tolerance 0.1 of max(1,|y|))")
    for case in args.networks.split(","):
        make, inputs = CASES[case]
        net = make()
        crn = compile_network(net, inputs=inputs[0])
        for scheme in args.scheme or known_schemes():
            design = dna_design(crn, scheme, jobs=args.jobs)
            for fuel in fuels:
                real = realise(design.system, c0=10.0, fuel=fuel)
                t = time.perf_counter()
                answers = dna_answers(design.system, real, net, inputs)
                held = max(real.totals.values(), default=1.0)
                errors = "  ".join(f"{x}: {a.error:.3f}{'' if a.ok else ' (over)'}" for x, a in zip(inputs, answers))
                print(f"{case:8} {scheme:16} {real.fuel:5g} {real.seconds:13,.0f} {held:16.4f}  {errors}"
                      f"   [{time.perf_counter() - t:.0f} s to simulate]", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
