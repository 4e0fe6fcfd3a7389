#!/usr/bin/env python
"""The batch simulator (crn2sbml.BatchSimulator) against the physical limit and
against per-input integrators, measured in one run.

    python benchmarks/batch.py [--batch 10000] [--tc-batch 1000] [--times 0.1,1,5,20]
                               [--diffrax-sample 50] [--out benchmarks/batch_results.json]

1. Steady states, 10,000 inputs uniform in [0, 1], at 64-20-10 and 784-100-10
   (random weights N(0, 1/fan_in), biases N(0, 0.01), eps 0.01): the closed-
   form forward pass (matmul + sigma_eps) and ``BatchSimulator.solve`` (fast
   path + independent per-reaction mass-action check on every member), medians
   of 3 alternating runs, and their ratio (target: within 10x). The first call
   (numba import + JIT, or its disk cache) is reported apart.
2. Time courses, ``--tc-batch`` inputs x ``--times`` on 64-20-10 from the
   all-zero state: ``BatchSimulator.time_courses`` against a roadrunner loop
   (CVODE, rtol 1e-10, atol 1e-14: ``set_inputs`` + ``simulate(times=...)`` per
   input, load time apart) that is also the reference: max relative error of
   the outputs at each time (target <= 1e-6; time target >= 20x faster).
3. diffrax (optional: ``pip install jax diffrax``; skipped with the reason when
   absent): Kvaerno5 (implicit, for the stiff start) vmapped over
   ``--diffrax-sample`` inputs, rtol 1e-8, jit time apart, scaled to the batch.
"""

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

import crn2sbml  # noqa: E402
from crn2sbml import BatchSimulator, RoadRunnerSimulator, compile_network  # noqa: E402

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


def forward_closed_form(net: crn2sbml.Network, x: np.ndarray) -> np.ndarray:
    """The physical limit: matmul + sigma_eps per layer, nothing else."""
    h = x
    for layer in net.layers:
        z = h @ layer.weights.T + layer.bias
        h = 0.5 * (z + np.sqrt(z * z + 4.0 * layer.epsilon))
    return h


def rel_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))


def steady(shape: tuple[int, ...], batch: int, repeats: int = 3) -> dict:
    net = make_network(shape)
    crn = compile_network(net)
    t0 = time.perf_counter()
    sim = BatchSimulator(crn)
    build = time.perf_counter() - t0
    x = np.random.default_rng([SEED, 1]).uniform(0.0, 1.0, size=(batch, shape[0]))
    t0 = time.perf_counter()
    sim.solve(x[:10])
    first = time.perf_counter() - t0
    t_fwd, t_sol = [], []
    for _ in range(repeats):  # alternate, so both see the same machine load
        t0 = time.perf_counter()
        want = forward_closed_form(net, x)
        t_fwd.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        solution = sim.solve(x)
        t_sol.append(time.perf_counter() - t0)
    ratios = [s / f for s, f in zip(t_sol, t_fwd)]
    return {"shape": "-".join(map(str, shape)), "reactions": len(crn.reactions), "batch": batch, "build_s": build,
            "first_call_s": first, "forward_s": statistics.median(t_fwd), "solve_s": statistics.median(t_sol),
            "ratio": statistics.median(ratios), "err_vs_forward": rel_error(sim.readout(solution.states), want),
            "residual_max": float(np.max(solution.residual)), "resolved": int(solution.resolved.sum()),
            "failed": int(solution.failed.sum())}


def time_courses(batch: int, times: np.ndarray) -> tuple[dict, BatchSimulator, np.ndarray, crn2sbml.CRN]:
    shape = (64, 20, 10)
    net = make_network(shape)
    crn = compile_network(net)
    sim = BatchSimulator(crn)
    x = np.random.default_rng([SEED, 4]).uniform(0.0, 1.0, size=(batch, shape[0]))
    t0 = time.perf_counter()
    run = sim.time_courses(x, times)
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    rr = RoadRunnerSimulator(crn, rtol=1e-10, atol=1e-14)
    load = time.perf_counter() - t0
    rr.rr.timeCourseSelections = [f"[{s}]" for s in rr.species]  # the IR's floating order, as the batch's
    ref = []
    t0 = time.perf_counter()
    for xi in x:
        rr.set_inputs(xi)
        ref.append(np.array(rr.rr.simulate(times=np.concatenate([[0.0], times])))[1:])
    t_rr = time.perf_counter() - t0
    want = np.array(ref) @ sim.readout_matrix.T + sim.readout_offset
    err = np.max(np.abs(run.outputs - want) / np.abs(want), axis=(0, 2))
    return ({"shape": "64-20-10", "batch": batch, "times": times.tolist(), "batch_s": t_batch,
             "steps_median": float(np.median(run.steps)), "steps_max": int(run.steps.max()),
             "rejected_total": int(run.rejected.sum()), "failed": int(run.failed.sum()),
             "roadrunner_load_s": load, "roadrunner_loop_s": t_rr, "speedup_vs_roadrunner": t_rr / t_batch,
             "max_rel_err_vs_cvode": err.tolist()}, sim, x, want)


def diffrax_run(sim: BatchSimulator, x: np.ndarray, times: np.ndarray, want: np.ndarray, batch: int) -> dict:
    try:
        import jax
        import jax.numpy as jnp

        import diffrax
    except ImportError as exc:
        return {"skipped": f"{exc.name} is not installed (optional: pip install jax diffrax)"}
    jax.config.update("jax_enable_x64", True)
    ma = sim._mass_action  # the same per-reaction mass action, written in jax
    idx, pw, k = jnp.array(ma.idx), jnp.array(ma.pow), jnp.array(ma.k)
    reaction_of = jnp.array(np.repeat(np.arange(ma.k.size), np.diff(ma.ptr)))
    spc, val, n = jnp.array(ma.spc), jnp.array(ma.val), ma.n

    def rhs(t, y, xs):
        full = jnp.concatenate([y, xs, jnp.ones(1)])
        rate = k * jnp.prod(full[idx] ** pw, axis=1)
        return jnp.zeros(n).at[spc].add(val * rate[reaction_of])

    term = diffrax.ODETerm(rhs)
    solver = diffrax.Kvaerno5()
    control = diffrax.PIDController(rtol=1e-8, atol=1e-14)

    def one(xs):
        sol = diffrax.diffeqsolve(term, solver, 0.0, float(times[-1]), 1e-6, jnp.zeros(n), args=xs,
                                  saveat=diffrax.SaveAt(ts=jnp.array(times)), stepsize_controller=control,
                                  max_steps=100000)
        return sol.ys

    batched = jax.jit(jax.vmap(one))
    xs = jnp.array(sim.input_species(x))
    t0 = time.perf_counter()
    batched(xs[:2]).block_until_ready()
    jit = time.perf_counter() - t0
    t0 = time.perf_counter()
    ys = np.asarray(batched(xs).block_until_ready())
    seconds = time.perf_counter() - t0
    got = ys @ sim.readout_matrix.T + sim.readout_offset
    err = np.max(np.abs(got - want[: len(x)]) / np.abs(want[: len(x)]), axis=(0, 2))
    return {"sample": len(x), "jit_s": jit, "seconds": seconds, "scaled_s": seconds * batch / len(x),
            "max_rel_err_vs_cvode": err.tolist(), "solver": "Kvaerno5, rtol 1e-8"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--tc-batch", type=int, default=1000)
    ap.add_argument("--times", default="0.1,1,5,20")
    ap.add_argument("--diffrax-sample", type=int, default=50)
    ap.add_argument("--out", type=Path, default=HERE / "batch_results.json")
    args = ap.parse_args()
    started = time.perf_counter()
    times = np.array([float(t) for t in args.times.split(",")])
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; python "
          f"{platform.python_version()}, numpy {np.__version__}")
    rows = [steady(shape, args.batch) for shape in ((64, 20, 10), (784, 100, 10))]
    print(f"\n1. steady states, {args.batch} inputs: BatchSimulator.solve against the closed-form forward pass "
          "(medians of 3)")
    for r in rows:
        print(f"  {r['shape']:11s} {r['reactions']:6d} reactions: forward {r['forward_s']:.3f} s, solve "
              f"{r['solve_s']:.3f} s -> {r['ratio']:.1f}x (target <= 10x); max rel err vs forward "
              f"{r['err_vs_forward']:.1e}, max |dc/dt| {r['residual_max']:.1e}, re-solved {r['resolved']}, failed "
              f"{r['failed']}; build {r['build_s']:.2f} s, first call {r['first_call_s']:.2f} s")
    tc, sim, x, want = time_courses(args.tc_batch, times)
    print(f"\n2. time courses, {tc['batch']} inputs x {len(times)} times ({args.times}) on 64-20-10, from 0")
    print(f"  BatchSimulator.time_courses {tc['batch_s']:.2f} s ({tc['steps_median']:.0f} steps median, "
          f"{tc['steps_max']} max, {tc['rejected_total']} rejected, {tc['failed']} failed)")
    print(f"  roadrunner loop (CVODE rtol 1e-10): {tc['roadrunner_loop_s']:.2f} s (+ load {tc['roadrunner_load_s']:.2f} s)"
          f" -> batch is {tc['speedup_vs_roadrunner']:.0f}x faster (target >= 20x)")
    print("  max rel error of the outputs vs CVODE at t = " + ", ".join(
        f"{t:g}: {e:.1e}" for t, e in zip(times, tc["max_rel_err_vs_cvode"])) + " (target <= 1e-6)")
    dx = diffrax_run(sim, x[: args.diffrax_sample], times, want, args.tc_batch)
    if "skipped" in dx:
        print(f"\n3. diffrax: skipped - {dx['skipped']}")
    else:
        print(f"\n3. diffrax {dx['solver']}, vmap over {dx['sample']} inputs: {dx['seconds']:.2f} s (jit "
              f"{dx['jit_s']:.1f} s) -> {dx['scaled_s']:.1f} s for {args.tc_batch}; batch is "
              f"{dx['scaled_s'] / tc['batch_s']:.0f}x faster; max rel err vs CVODE "
              + ", ".join(f"{e:.1e}" for e in dx["max_rel_err_vs_cvode"]))
    out = {"machine": {"cores": os.cpu_count(), "load_average_at_start": os.getloadavg()[0],
                       "python": platform.python_version(), "numpy": np.__version__},
           "steady_states": rows, "time_courses": tc, "diffrax": dx, "total_s": time.perf_counter() - started}
    args.out.write_text(json.dumps(out, indent=1))
    print(f"\ntotal {out['total_s']:.0f} s; results in {args.out}")


if __name__ == "__main__":
    main()
