#!/usr/bin/env python
"""Batch steady states of a CRN for many inputs at once (crn2sbml.BatchSimulator)
against a per-input roadrunner loop and scipy's stiff solvers, measured in one run.

    python benchmarks/batch.py [--batch 10000] [--rr-sample 50] [--scipy-sample 20]
                               [--scaling-batch 2000] [--out benchmarks/batch_results.json]

1. A random 64-20-10 network (weights N(0, 1/fan_in), biases N(0, 0.01), eps
   0.01, seeded as in benchmarks/run.py) and ``--batch`` inputs uniform in
   [0, 1]. Timed (median of 3): ``steady_states`` (layer roots + mass-action
   Newton polish), the same without the polish, and ``relax`` (backward Euler
   on the coupled dynamics, steps doubling, until settled) + polish.
2. roadrunner: ``RoadRunnerSimulator`` loaded once (load time reported apart),
   then ``set_inputs`` + checked ``steady_state`` on ``--rr-sample`` inputs;
   per-input time scaled to the batch.
3. scipy: ``solve_ivp`` BDF (sparse analytic Jacobian) and LSODA (dense
   Jacobian) on the numpy backend's mass-action right-hand side, per input,
   from 0 to each input's settling time (``crn2sbml.settling_time``, tol 1e-10),
   on ``--scipy-sample`` inputs; scaled to the batch.
4. Scaling: time per layer and per reaction for growing width (64-w-10) and
   depth (64-32x d-10) at ``--scaling-batch`` inputs; log-log plot saved as
   benchmarks/batch_scaling.png.

Every member's result is checked against the forward pass (the oracle) and the
roadrunner states against the batch states (1e-8 relative)."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crn2sbml.simulate import find_steady_state
import crn2sbml  # noqa: E402
from crn2sbml import BatchSimulator, RoadRunnerSimulator, compile_network, settling_time  # noqa: E402
from crn2sbml.simulate.numpy_backend import MassActionSystem  # noqa: E402

EPSILON = 0.01
BIAS_SCALE = 0.1
SEED = 0


def make_network(shape: tuple[int, ...], seed: int = SEED) -> crn2sbml.Network:
    rng = np.random.default_rng([seed, *shape])
    layers = tuple(
        crn2sbml.Layer(rng.normal(size=(n_out, n_in)) / math.sqrt(n_in), BIAS_SCALE * rng.normal(size=n_out), EPSILON)
        for n_in, n_out in zip(shape, shape[1:])
    )
    return crn2sbml.Network(layers=layers, name="net_" + "_".join(map(str, shape)))


def timed(fn, repeats: int = 3):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def rel_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))


def main_problem(args) -> dict:
    shape = (64, 20, 10)
    net = make_network(shape)
    crn = compile_network(net)
    x = np.random.default_rng([SEED, 1]).uniform(0.0, 1.0, size=(args.batch, shape[0]))
    forward = net.forward(x)
    t0 = time.perf_counter()
    sim = BatchSimulator(crn)
    build = time.perf_counter() - t0
    res: dict = {"shape": "-".join(map(str, shape)), "reactions": len(crn.reactions), "batch": args.batch,
                 "build_s": build}

    t_full, states = timed(lambda: sim.steady_states(x))
    res["steady_states_s"] = t_full
    res["steady_states_err"] = rel_error(sim.readout(states), forward)
    res["residual_max"] = float(np.max(sim.last_residual))
    t_root, raw = timed(lambda: sim.steady_states(x, polish=False))
    res["roots_only_s"] = t_root
    res["roots_only_err"] = rel_error(sim.readout(raw), forward)

    def relax_polish():
        got, t_reached = sim.relax(x)
        ok = np.all(np.isfinite(got), axis=1)
        polished, _ = sim.system.polish(got[ok], sim.input_species(x[ok]))
        return got, polished, t_reached

    t_relax, (relaxed, polished, t_reached) = timed(relax_polish)
    res["relax_polish_s"] = t_relax
    res["relax_err_before_polish"] = rel_error(sim.readout(relaxed), forward)
    res["relax_polish_err"] = rel_error(sim.readout(polished), forward)
    res["relax_time_reached_median"] = float(np.median(t_reached))
    res["relax_vs_root_states"] = rel_error(polished, states)
    states_1e6 = sim.steady_states(x[:1000], y0=1e6)
    res["start_1e6_vs_0"] = rel_error(states_1e6, states[:1000])

    # roadrunner, per input
    n_rr = min(args.rr_sample, args.batch)
    t0 = time.perf_counter()
    rr = RoadRunnerSimulator(compile_network(net, inputs=x[0]))
    res["rr_load_s"] = time.perf_counter() - t0
    order = [rr.species.index(s) for s in sim.species]
    rr_states = []
    t0 = time.perf_counter()
    for xi in x[:n_rr]:
        rr.set_inputs(xi)
        rr_states.append(find_steady_state(rr, net, rtol=1e-8).values[order])
    per = (time.perf_counter() - t0) / n_rr
    res["rr_sample"] = n_rr
    res["rr_per_input_s"] = per
    res["rr_scaled_s"] = per * args.batch
    res["rr_vs_batch_states"] = rel_error(np.array(rr_states), states[:n_rr])

    # scipy stiff solvers, per input
    from scipy.integrate import solve_ivp

    n_sp = min(args.scipy_sample, args.batch)
    system = MassActionSystem(crn)
    y0 = np.zeros(system.n)
    order_np = [system.floating.index(s) for s in sim.species]
    for method in ("BDF", "LSODA"):
        jac = system.jacobian if method == "BDF" else (lambda t, c: system.jacobian(t, c).toarray())
        got = []
        t0 = time.perf_counter()
        for xi in x[:n_sp]:
            system.set_inputs(sim.input_species(xi)[0])
            t_end = settling_time(net, xi, tol=1e-10)
            sol = solve_ivp(system.rhs, (0.0, t_end), y0, method=method, jac=jac, rtol=1e-8, atol=1e-12)
            got.append(sol.y[order_np, -1])
        per = (time.perf_counter() - t0) / n_sp
        res[f"scipy_{method}_per_input_s"] = per
        res[f"scipy_{method}_scaled_s"] = per * args.batch
        res[f"scipy_{method}_vs_batch_states"] = rel_error(np.array(got), states[:n_sp])
    res["scipy_sample"] = n_sp
    return res


def scaling(args) -> list[dict]:
    rows = []
    shapes = [("width", (64, w, 10), f"64-{w}-10") for w in (8, 16, 32, 64, 128, 256)]
    shapes += [("depth", (64, *([32] * d), 10), f"64-32x{d}-10") for d in (1, 2, 4, 8, 16)]
    for series, shape, label in shapes:
        net = make_network(shape)
        crn = compile_network(net)
        sim = BatchSimulator(crn)
        x = np.random.default_rng([SEED, 2]).uniform(0.0, 1.0, size=(args.scaling_batch, shape[0]))
        t, states = timed(lambda: sim.steady_states(x), repeats=2)
        t_root, _ = timed(lambda: sim.steady_states(x, polish=False), repeats=2)
        err = rel_error(sim.readout(states), net.forward(x))
        layers, reactions = len(shape) - 1, len(crn.reactions)
        rows.append({"series": series, "shape": label, "layers": layers, "reactions": reactions,
                     "seconds": t, "roots_only_s": t_root, "per_layer_ms": 1e3 * t / layers,
                     "per_reaction_us": 1e6 * t / reactions,
                     "per_reaction_input_ns": 1e9 * t / (reactions * args.scaling_batch), "max_rel_err": err})
    return rows


def large(args) -> dict:
    """784-100-10 (about 80,000 reactions; roadrunner takes ~17 min to load it,
    DESIGN.md section 4): layer roots for the whole batch, polish on a sample."""
    shape = (784, 100, 10)
    net = make_network(shape)
    t0 = time.perf_counter()
    crn = compile_network(net)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim = BatchSimulator(crn)
    build = time.perf_counter() - t0
    x = np.random.default_rng([SEED, 3]).uniform(0.0, 1.0, size=(args.batch, shape[0]))
    t_root, raw = timed(lambda: sim.steady_states(x, polish=False), repeats=1)
    n = min(1000, args.batch)
    t_pol, states = timed(lambda: sim.steady_states(x[:n]), repeats=1)
    return {"shape": "784-100-10", "reactions": len(crn.reactions), "compile_s": compile_s, "build_s": build,
            "roots_only_s": t_root, "roots_only_err": rel_error(sim.readout(raw), net.forward(x)),
            "polish_sample": n, "polished_s": t_pol, "polished_err": rel_error(sim.readout(states), net.forward(x[:n])),
            "residual_max": float(np.max(sim.last_residual))}


def plot(rows: list[dict], path: Path, batch: int) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for series, marker, color in (("width", "o", "tab:blue"), ("depth", "s", "tab:green")):
        pts = [r for r in rows if r["series"] == series]
        ax.loglog([r["reactions"] for r in pts], [r["seconds"] for r in pts], marker + "-", color=color,
                  label=f"{series}: " + ", ".join(r["shape"] for r in pts[:: max(1, len(pts) // 3)]) + ", ...")
        ax.loglog([r["reactions"] for r in pts], [r["roots_only_s"] for r in pts], marker + ":", color=color,
                  label=f"{series}, layer roots only (no polish)")
    ax.set_xlabel("reactions")
    ax.set_ylabel(f"seconds for {batch} inputs")
    ax.set_title("BatchSimulator.steady_states")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--rr-sample", type=int, default=50)
    ap.add_argument("--scipy-sample", type=int, default=20)
    ap.add_argument("--scaling-batch", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=HERE / "batch_results.json")
    ap.add_argument("--no-scaling", action="store_true")
    ap.add_argument("--large", action="store_true", help="also 784-100-10 (batch roots; polish on 1,000 inputs)")
    args = ap.parse_args()
    started = time.perf_counter()
    res = main_problem(args)
    b = res["batch"]
    print(f"BatchSimulator on {res['shape']} ({res['reactions']} reactions), {b} inputs, {os.cpu_count()} cores")
    print(f"  build                                   {res['build_s']:8.3f} s")
    print(f"  steady_states (roots + polish)          {res['steady_states_s']:8.3f} s   max rel err vs forward "
          f"{res['steady_states_err']:.1e}, max |dc/dt| {res['residual_max']:.1e}")
    print(f"  steady_states(polish=False)             {res['roots_only_s']:8.3f} s   max rel err {res['roots_only_err']:.1e}")
    print(f"  relax (backward Euler dynamics) + polish{res['relax_polish_s']:8.3f} s   max rel err "
          f"{res['relax_polish_err']:.1e} (before polish {res['relax_err_before_polish']:.1e}; "
          f"median time reached {res['relax_time_reached_median']:.3g})")
    print(f"  start at 1e6 vs start at 0 (1000 inputs): max rel difference {res['start_1e6_vs_0']:.1e}")
    print(f"roadrunner: load {res['rr_load_s']:.2f} s; set_inputs + steady_state {1e3 * res['rr_per_input_s']:.1f} ms/input "
          f"({res['rr_sample']} inputs) -> {res['rr_scaled_s']:.1f} s for {b}; states vs batch {res['rr_vs_batch_states']:.1e}")
    for m in ("BDF", "LSODA"):
        print(f"scipy solve_ivp {m:5s}: {1e3 * res[f'scipy_{m}_per_input_s']:.1f} ms/input ({res['scipy_sample']} inputs) -> "
              f"{res[f'scipy_{m}_scaled_s']:.1f} s for {b}; states vs batch {res[f'scipy_{m}_vs_batch_states']:.1e}")
    t = res["steady_states_s"]
    res["ratios"] = {
        "roadrunner_loop_over_batch": res["rr_scaled_s"] / t,
        "roadrunner_loop_incl_load_over_batch": (res["rr_scaled_s"] + res["rr_load_s"]) / t,
        "scipy_BDF_over_batch": res["scipy_BDF_scaled_s"] / t,
        "scipy_LSODA_over_batch": res["scipy_LSODA_scaled_s"] / t,
        "roadrunner_loop_over_relax": res["rr_scaled_s"] / res["relax_polish_s"],
    }
    print("speed-up of steady_states over: " + ", ".join(f"{k.replace('_over_batch', '')} {v:.0f}x"
                                                          for k, v in res["ratios"].items() if k.endswith("batch")))
    print(f"  (relax + polish: {res['ratios']['roadrunner_loop_over_relax']:.0f}x over the roadrunner loop)")
    rows = [] if args.no_scaling else scaling(args)
    if rows:
        print(f"\nscaling, {args.scaling_batch} inputs (steady_states with polish; roots only in brackets)")
        print(f"{'series':6s} {'shape':18s} {'layers':>6s} {'reactions':>9s} {'seconds':>8s} {'ms/layer':>9s} "
              f"{'us/reaction':>11s} {'ns/(rx*input)':>13s} {'max rel err':>11s}")
        for r in rows:
            print(f"{r['series']:6s} {r['shape']:18s} {r['layers']:6d} {r['reactions']:9d} {r['seconds']:8.3f} "
                  f"{r['per_layer_ms']:9.1f} {r['per_reaction_us']:11.2f} {r['per_reaction_input_ns']:13.2f} "
                  f"{r['max_rel_err']:11.1e}  [{r['roots_only_s']:.3f} s]")
        png = HERE / "batch_scaling.png"
        if plot(rows, png, args.scaling_batch):
            print(f"plot: {png.relative_to(HERE.parent)}")
    big = large(args) if args.large else None
    if big:
        print(f"\n784-100-10 ({big['reactions']} reactions): compile {big['compile_s']:.2f} s, build {big['build_s']:.2f} s; "
              f"steady_states(polish=False) for {b} inputs {big['roots_only_s']:.2f} s (max rel err "
              f"{big['roots_only_err']:.1e}); with polish, {big['polish_sample']} inputs {big['polished_s']:.2f} s "
              f"(max rel err {big['polished_err']:.1e}, max |dc/dt| {big['residual_max']:.1e})")
    out = {"large": big, "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__},
           "main": res, "scaling": rows, "total_s": time.perf_counter() - started}
    args.out.write_text(json.dumps(out, indent=1))
    print(f"total {out['total_s']:.0f} s; results in {args.out}")


if __name__ == "__main__":
    main()
