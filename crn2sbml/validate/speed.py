"""Check 5: speed. The measured time for each layer to settle within the
tolerance, from the all-zero state, against the bound from
each rail's lambda = -kappa*(z_r + q'(sigma)) (kappa*sqrt(z_r^2 + 4 eps) for
the smoothed ReLU; theory.settling_time, layer by layer); and
the same measurement on a single neuron against its exact solution, which
checks the measurement itself."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..compile import compile_network
from ..network import Layer, Network
from ..simulate import NumpySimulator
from ..theory import convergence_rates, one_neuron_trajectory, settling_time
from .result import CheckResult, Plot, Series
from .subject import Options, Subject, no_network, not_simulable

GRID = 4001  # time points per trajectory; the measurement is good to one grid step
# The bound is exact for a first-layer rail from 0 (theory.escape_time), so the
# measured crossing can sit right at it; the integrator (rtol 1e-10) moves a
# crossing at relative distance 1e-6 by ~1e-4 of the bound: allow 1e-3.
MEASUREMENT_RTOL = 1e-3


def settle_time(time: np.ndarray, values: np.ndarray, target: np.ndarray, tol: float) -> float:
    """First grid time after which every column stays within relative ``tol`` of ``target``."""
    outside = np.any(np.abs(values - target) > tol * np.abs(target), axis=1)
    if not outside.any():
        return float(time[0])
    last = int(np.flatnonzero(outside)[-1])
    return float(time[last + 1]) if last + 1 < len(time) else math.inf


def layer_bounds(network: Network, x: np.ndarray, speed: float, tol: float) -> list[float]:
    """settling_time of the network cut after each layer: the bound for that layer."""
    return [settling_time(replace(network, layers=network.layers[:l],
                                  outputs=tuple(f"cut{l}_{j}" for j in range(network.layers[l - 1].n_out))), x, speed, tol,
                          start="zero")
            for l in range(1, len(network.layers) + 1)]


def exact_settle_time(z: float, epsilon: float, speed: float, tol: float) -> float:
    """From y(0) = 0: u(t) = -(a/c) e^(-lambda t) and |y - a| = (a + c)|u|/(1 + |u|) <= tol*a."""
    lam = math.sqrt(z * z + 4 * epsilon)
    a = 0.5 * (z + lam) if z >= 0 else 2 * epsilon / (lam - z)
    c = epsilon / a
    return math.log((a / c) * (a + c - tol * a) / (tol * a)) / (speed * lam)


def _one_neuron(z: float, epsilon: float, speed: float, tol: float) -> dict:
    """Measure a lone neuron (input 1, weight z) on the same grid as the model."""
    net = Network((Layer(np.array([[z]]), np.zeros(1), epsilon),), inputs=("x",), outputs=("y",))
    sim = NumpySimulator(compile_network(net, speed=speed, inputs=[1.0], start="zero"))  # exact_settle_time is from 0
    exact = exact_settle_time(z, epsilon, speed, tol)
    tc = sim.time_course(3 * exact, GRID)
    y = tc.values[:, 0]
    a = float(net.forward([1.0])[0])
    closed = one_neuron_trajectory(tc.time, 0.0, z, epsilon, speed)
    return {
        "z": z, "exact": exact, "measured": settle_time(tc.time, y[:, None], np.array([a]), tol),
        "grid_step": float(tc.time[1]), "max_rel_dev_from_exact_solution": float(np.max(np.abs(y - closed) / a)),
    }


def check_speed(subject: Subject, options: Options) -> CheckResult:
    refused = not_simulable("speed", subject)
    if refused:
        return refused
    if subject.network is None:
        return no_network("speed", subject)
    net, crn, tol = subject.network, subject.crn, options.settle_tol
    speed = crn.speed
    eps = net.layers[0].epsilon
    # the measurement itself, on the slowest neuron (z = 0 is impossible with weight 0, so z small) and a fast one
    single = [_one_neuron(z, eps, speed, tol) for z in (1e-3, 0.5)]
    figures: dict = {"tolerance_rel": tol, "start": "all-zero", "grid_points": GRID, "one_neuron": single}
    for s in single:
        if abs(s["measured"] - s["exact"]) > 2 * s["grid_step"] or s["max_rel_dev_from_exact_solution"] > 1e-6:
            return CheckResult("speed", False, f"the settling-time measurement is off on a single neuron (z={s['z']}): "
                               f"measured {s['measured']:.4g}, exact {s['exact']:.4g}", figures)
    xs = options.inputs(crn, 3, salt=7)
    layers = sorted({s.layer for s in crn.floating})
    rows, plots = [], []
    for x in xs:
        bounds = layer_bounds(net, x, speed, tol)
        # the bound is from the all-zero state, whatever initial state the model stores
        tc = subject.simulator("numpy").time_course(1.5 * bounds[-1], GRID, inputs=x, y0=np.zeros(len(crn.floating)))
        want = subject.expected_state(x)[0]
        measured = []
        for layer in layers:
            cols = [k for k, s in enumerate(crn.floating) if s.layer == layer]
            measured.append(settle_time(tc.time, tc.values[:, cols], want[cols], tol))
        # per-rail lambda = -(z_r + q'(sigma)), slowest per layer
        lam = [float(np.min(r)) for r in convergence_rates(net, x, speed)]
        rows.append({"input": x, "measured": measured, "bound": bounds, "grid_step": float(tc.time[1]),
                     "min_lambda_per_layer": lam})
    figures["per_input"] = rows
    ratio = max((m - r["grid_step"]) / b for r in rows for m, b in zip(r["measured"], r["bound"]))
    figures["measurement_rtol"] = MEASUREMENT_RTOL
    figures["max_measured_over_bound"] = ratio
    plots.append(Plot("settling time per layer (all-zero start): measured vs bound", "layer", "time",
                      tuple(Series(f"{kind}, input {i}", tuple(float(l) for l in layers), tuple(r[kind]),
                                   style="o-" if kind == "measured" else "s--")
                            for i, r in enumerate(rows) for kind in ("measured", "bound")),
                      xticks=tuple(float(l) for l in layers)))
    for i, r in enumerate(rows):
        for l, (m, b) in enumerate(zip(r["measured"], r["bound"]), start=1):
            # the grid overestimates by up to one step, and the bound is tight for a neuron at z = 0
            if not m - r["grid_step"] <= b * (1 + MEASUREMENT_RTOL):
                when = f"settles at t={m:.4g}" if math.isfinite(m) else f"has not settled by t={1.5 * r['bound'][-1]:.4g}"
                return CheckResult("speed", False, f"layer {l} {when} (to {tol:g}, all-zero start, input "
                                   f"{np.array2string(r['input'], precision=3, threshold=6)}), beyond its bound {b:.4g} "
                                   "from each rail's lambda = -kappa*(z_r + q'(sigma))", figures, tuple(plots))
    s = single[0]
    return CheckResult("speed", True, f"every layer settles within its bound (max measured/bound {ratio:.2f}); "
                       f"single-neuron measurement {s['measured']:.4g} vs exact {s['exact']:.4g}", figures, tuple(plots))
