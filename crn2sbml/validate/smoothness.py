"""Check 6: smoothness. d(output)/d(rate constant) four ways, for every rate
constant (or a stated random sample); outputs are the output units' readouts
(sum_r a_r y_r + c over the unit's rails).

- chain rule on the network (``analytic_gradient``): every rail species sits
  at the root of F_r = z_r*y + q(y) with dF_r/dy = -lambda_r
  (theory.convergence_rates, per rail), so dy_r/dk = (dF_r/dk) / lambda_r.
  For a weight reaction dF_r/dk = s*x*y_r (s = +-1 the reaction's net change
  of y_r, x the catalyst species), giving s*x*sigma'(z_r) with sigma' =
  y/lambda the activation's ``unit_derivative``; for a bias s*sigma'(z_r);
  for a q-term k*y^p (eps: p = 0) dF_r/dk = s*y_r^p. The unit's value moves by
  a_r*dy_r; downstream layers multiply by W and the activation's derivative
  (sum_r a_r s_r sigma'(s_r z + t_r)).
- implicit function theorem on the CRN (``NumpySimulator.sensitivities``):
  at the simulated fixed point, J dy/dk = -dF/dk over all floating species at
  once, J the analytic mass-action Jacobian, dF/dk the stoichiometry column
  times the reaction's monomial. Knows nothing of layers, rails or activations.
- roadrunner: its unscaled concentration control coefficients (getuCC) on
  small models; otherwise central finite differences of roadrunner's steady
  state (time course + Newton polish, positivity and residual checked).
- numpy: central finite differences of the batch simulator's steady state
  (each member's fixed point at its own rate constants, Newton-polished).

Plus a sweep of one last-layer weight across a kink of the unsmoothed
activation (ReLU's 0, hardtanh's +-1, ...): the CRN's output and derivative are
smooth where the unsmoothed network's derivative jumps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..crn import CRN, Parameter
from ..errors import SteadyStateError
from ..inputs import encode_input
from ..network import Layer, Network
from ..simulate import find_steady_state
from ..theory import convergence_rates, settling_time
from .result import CheckResult, Plot, Series
from .subject import Options, Subject, no_network, not_simulable

FD_STEP = 1e-4  # relative step of the central differences ...
FD_FLOOR = 1e-2  # ... taken of max(k, FD_FLOOR): on a tiny k (1e-4 in a trained
# 784-100-10) a purely relative step leaves rounding error 1e-5 of the derivative


def fd_steps(value: float) -> tuple[float, float]:
    """The steps (up, down) of a rate constant's difference quotient
    (y(k + up) - y(k - down)) / (up + down): central, FD_STEP x max(k,
    FD_FLOOR), where k allows it; on a k below FD_STEP x FD_FLOOR the step
    down stops at k/2 (rates stay positive) and the step up keeps its size,
    so a weight of 1e-17 (an imported network) still moves the output by more
    than rounding."""
    h = FD_STEP * max(abs(value), FD_FLOOR)
    return h, min(h, 0.5 * abs(value))


UCC_RTOL = 1e-3  # getuCC differentiates with roadrunner's own (global, left alone) MCA step size
IFT_RTOL = 1e-8  # two exact derivations: they agree to rounding
SWEEP_POINTS = 81


def reaction_signs(crn: CRN) -> dict[str, int]:
    """For each rate constant of the construction used by a reaction: +1 if
    the reaction makes its rail species, -1 if it removes it (parameters
    without a reaction, or added by hand without a unit, are left out)."""
    species = {(s.layer, s.unit, s.rail): s.id for s in crn.species if not s.boundary}
    params = crn.parameter_index
    signs = {}
    for r in crn.reactions:
        p = params[r.rate]
        target = species.get((p.layer, p.unit, p.rail))
        if target is not None and p.role not in ("unknown", "derived"):
            signs[r.rate] = r.net_change(target)
    return signs


def _rail_state(network: Network, x: np.ndarray) -> list[np.ndarray]:
    """Every unit's species values (units, rails), layer by layer: the inputs
    as their species encode them, then each rail at sigma(s_r z + t_r)."""
    ranges = network.input_ranges
    inputs = [encode_input(float(v), ranges[i] if ranges else None) for i, v in enumerate(x)]
    width = max(len(e) for e in inputs)
    table = np.array([e + [0.0] * (width - len(e)) for e in inputs])
    return [table] + [layer.fn.rail_values(z, layer.epsilon)
                      for layer, z in zip(network.layers, network.preactivations(x))]


def analytic_gradient(network: Network, x: np.ndarray, params: list[Parameter], signs: list[int]) -> np.ndarray:
    """d(outputs)/dk for each parameter, (P, n_outputs), by the chain rule
    through the rails. ``x`` is the network-level input."""
    x = np.asarray(x, dtype=float)
    layers = network.layers
    zs = network.preactivations(x)
    rails = _rail_state(network, x)
    rail_slopes = [layer.fn.unit_derivative(layer.fn.rail_inputs(z), layer.epsilon) for layer, z in zip(layers, zs)]
    lam = [np.reshape(r, (layer.n_out, -1)) for layer, r in zip(layers, convergence_rates(network, x))]
    slopes = [layer.fn.derivative(z, layer.epsilon) for layer, z in zip(layers, zs)]
    out = np.zeros((len(params), network.n_outputs))
    for row, (p, s) in enumerate(zip(params, signs)):
        l, j, r = p.layer, p.unit, p.rail
        fn = layers[l - 1].fn
        if p.role == "weight":
            seed = s * rails[l - 1][p.source, p.source_rail] * rail_slopes[l - 1][j, r]
        elif p.role == "bias":
            seed = s * rail_slopes[l - 1][j, r]
        else:
            power = next(t.power for t in fn.q_terms(layers[l - 1].epsilon) if t.role == p.role)
            seed = s * rails[l][j, r] ** power / lam[l - 1][j, r]
        d = np.zeros(layers[l - 1].n_out)
        d[j] = fn.rails[r].readout * seed
        for m in range(l, len(layers)):
            d = slopes[m] * (layers[m].weights @ d)
        out[row] = d
    return out


def _numpy_fd(subject: Subject, x: np.ndarray, params: list[Parameter]) -> tuple[np.ndarray, np.ndarray, float]:
    """Central differences of the batch simulator's steady-state outputs, all
    parameters in one batch (row 0 unperturbed): each member's fixed point at
    its own rate constants (``BatchSystem.fixed_points``: no time course, which
    cost 30 s at 784-100-10), Newton-polished on the mass-action rates.
    Returns (gradient, unperturbed state, residual)."""
    system = subject.batch
    rate_ids = np.array(system.rate_ids)
    k = np.tile(system.k, (2 * len(params) + 1, 1))
    steps = np.array([fd_steps(p.value) for p in params]).reshape(-1, 2)
    for row, p in enumerate(params):
        hit = rate_ids == p.id
        k[2 * row + 1, hit] += steps[row, 0]
        k[2 * row + 2, hit] -= steps[row, 1]
    xs = subject.input_species(x)
    state, residual = system.polish(system.fixed_points(xs, k), xs, k=k)
    if not np.all(np.isfinite(state) & (state > 0)):
        raise SteadyStateError("numpy: a perturbed model has no positive steady state")
    y = subject.outputs(state)[0]
    return (y[1::2] - y[2::2]) / steps.sum(axis=1)[:, None], state[0], float(np.max(residual))


def _roadrunner(subject: Subject, x: np.ndarray, params: list[Parameter], horizon: float,
                options: Options) -> tuple[str, list[int], np.ndarray]:
    """roadrunner's own sensitivities (getuCC) on small models, else central
    differences of its steady state, on a random sample of
    ``options.roadrunner_parameters`` of ``params``, through the Simulator
    protocol only (rate overrides last for one call)."""
    sim = subject.simulator("roadrunner")
    crn = subject.crn
    readout = subject.readout_matrix[0]  # (n_outputs, n): outputs = state @ A.T + c
    picks = [int(i) for i in sorted(options.rng(10).choice(len(params), size=min(options.roadrunner_parameters,
                                                                                  len(params)), replace=False))]
    sample = f"{len(picks)} sampled parameters" if len(picks) < len(params) else f"all {len(params)} parameters"
    if len(crn.reactions) <= options.ucc_max_reactions:
        assert subject.reference is not None
        ss = find_steady_state(sim, subject.reference, inputs=x, rtol=options.rtol)  # the state getuCC linearises at
        used = [s for s, col in zip(sim.species, np.any(readout != 0, axis=0)) if col]
        d = sim.sensitivities(ss.values, [params[i].id for i in picks], used, inputs=x)  # (picks, len(used))
        grads = d @ readout[:, [sim.species.index(s) for s in used]].T
        return f"roadrunner getuCC (unscaled concentration control coefficients) on {sample}", picks, grads
    grads = []
    for i in picks:
        p = params[i]
        ys = []
        up, down = fd_steps(p.value)
        for change in (up, -down):
            changed = {p.id: p.value + change}
            end = sim.advance(horizon, inputs=x, parameters=changed)
            values, residual = sim.polish(end, inputs=x, parameters=changed)
            if np.any(values <= 0) or residual > 1e-10 * max(1.0, float(np.max(values))):
                raise SteadyStateError(f"roadrunner: perturbed {p.id} has no checked steady state (residual {residual:.3g})")
            ys.append(readout @ values)
        grads.append((ys[0] - ys[1]) / (up + down))
    return (f"finite differences (step {FD_STEP:g} x max(k, {FD_FLOOR:g}), down at most k/2) of roadrunner's steady state "
            f"(time course + Newton polish) on {sample}"), picks, np.array(grads)


def _disagreement(a: np.ndarray, b: np.ndarray, scale: float) -> float:
    return float(np.max(np.abs(a - b) / (np.abs(a) + 1e-3 * scale))) if a.size else 0.0


def check_smoothness(subject: Subject, options: Options) -> CheckResult:
    refused = not_simulable("smoothness", subject)
    if refused:
        return refused
    if subject.network is None:
        return no_network("smoothness", subject)
    crn, net = subject.crn, subject.network
    signs = reaction_signs(crn)
    params = [p for p in crn.parameters if p.id in signs]  # a rate without a reaction has no effect
    sampled = len(params) > options.max_parameters
    if sampled:
        picks = options.rng(8).choice(len(params), size=options.max_parameters, replace=False)
        params = [params[i] for i in sorted(picks)]
    x = options.inputs(crn, 4, salt=9)[-1]
    h = settling_time(net, x, crn.speed, tol=1e-8)
    analytic = analytic_gradient(net, x, params, [signs[p.id] for p in params])
    numeric, state, residual = _numpy_fd(subject, x, params)
    # the implicit function theorem at the simulated fixed point, through the readout matrix
    implicit = subject.simulator("numpy").sensitivities(state, [p.id for p in params], inputs=x) \
        @ subject.readout_matrix[0].T
    skipped = subject.roadrunner_skipped(options)
    method, rr_rows, rr_grad = (skipped, [], np.zeros((0, len(crn.output_names)))) if skipped else \
        _roadrunner(subject, x, params, h, options)
    scale = float(np.max(np.abs(analytic))) if analytic.size else 1.0
    err_ift = _disagreement(analytic, implicit, scale)
    err_np = _disagreement(analytic, numeric, scale)
    err_rr = _disagreement(analytic[rr_rows], rr_grad, scale)
    ucc = method.startswith("roadrunner getuCC")
    rr_tol = UCC_RTOL if ucc else options.gradient_rtol
    sweep_plots, sweep = _sweep(subject, options)
    figures: dict = {
        "input": x, "parameters": [p.id for p in params],
        "sample": f"random sample of {len(params)} of {len(signs)} (seed {options.seed})" if sampled else "all",
        "roadrunner_sample": "not run" if skipped else
        f"{len(rr_rows)} of the {len(params)} parameters (random, seed {options.seed})",
        "roadrunner_method": method, "fd_step": f"{FD_STEP:g} x max(k, {FD_FLOOR:g}) (down at most k/2)",
        "tolerance": f"|a - b| <= {options.gradient_rtol:g} * (|a| + 1e-3 * max|a|)",
        "max_disagreement_implicit": err_ift, "implicit_tolerance": IFT_RTOL,
        "max_disagreement_numpy": err_np, "max_disagreement_roadrunner": err_rr,
        "roadrunner_tolerance": rr_tol,
        "numpy_max_residual": residual, "analytic": analytic, "implicit": implicit, "numpy_fd": numeric,
        "roadrunner": rr_grad, "roadrunner_rows": rr_rows, "sweep": sweep,
    }
    plots = (_gradient_plot(params, analytic, numeric, rr_rows, rr_grad), *sweep_plots)
    for which, err, tol in (("the implicit function theorem (J dy = -dF/dk)", err_ift, IFT_RTOL),
                            ("numpy finite differences", err_np, options.gradient_rtol), ("roadrunner", err_rr, rr_tol)):
        if not err <= tol:
            return CheckResult("smoothness", False, f"d(output)/d(rate): {which} disagrees with the chain rule by "
                               f"{err:.3g} (tolerance {tol:g})", figures, plots)
    if sweep["max_rel_error"] > options.rtol:
        return CheckResult("smoothness", False, f"sweep of {sweep['parameter']}: the simulated output leaves the "
                           f"smoothed forward pass by {sweep['max_rel_error']:.3g}", figures, plots)
    agree = (f"and numpy finite differences (to {err_np:.1e}) agree ({skipped})" if skipped else
             f"numpy finite differences (to {err_np:.1e}) and roadrunner "
             f"({'getuCC' if ucc else 'finite differences'} on {len(rr_rows)} of them, to {err_rr:.1e}) agree")
    return CheckResult("smoothness", True, f"{len(params)} rate constants: chain rule, implicit function theorem "
                       f"(to {err_ift:.1e}), {agree}; sweep of {sweep['parameter']}: derivative jump "
                       f"{sweep['crn_max_derivative_jump']:.2g} per step vs {sweep['unsmoothed_max_derivative_jump']:.2g} "
                       f"for {sweep['unsmoothed']}", figures, plots)


def _with_weight(net: Network, layer: int, unit: int, source: int, value: float) -> Network:
    layers = list(net.layers)
    old = layers[layer - 1]
    w = old.weights.copy()
    w[unit, source] = value
    layers[layer - 1] = Layer(w, old.bias, old.epsilon, old.activation, old.activation_params)
    return replace(net, layers=tuple(layers))


def _unsmoothed(net: Network, x: np.ndarray) -> np.ndarray:
    """The eps -> 0 network: every layer's unsmoothed activation."""
    h = np.asarray(x, dtype=float)
    for layer in net.layers:
        h = layer.fn.unsmoothed(h @ layer.weights.T + layer.bias)
    return h


def kinks(fn, lo: float = -8.0, hi: float = 8.0, step: float = 1e-3) -> np.ndarray:
    """Where the unsmoothed activation's derivative jumps (found on a grid)."""
    z = np.arange(lo, hi + step / 2, step)
    jump = np.abs(np.diff(fn.unsmoothed(z), 2)) / step
    inner = jump[1:-1]
    peak = (inner > 0.05) & (inner >= jump[:-2]) & (inner > jump[2:])
    return z[2:-2][peak]


def _sweep_rates(crn: CRN, signs: dict[str, int], layer: int, unit: int, source: int, w: float,
                 grid: np.ndarray, offset: float) -> dict[str, np.ndarray] | None:
    """The rate constants that change when network weight W[unit, source] of
    ``layer`` goes from ``w`` to each value of ``grid`` (same sign): the weight
    reactions scale with |W|, a bias that folds the source's readout offset
    moves with W*offset. None if a bias rate would cross zero."""
    rates: dict[str, np.ndarray] = {}
    biased = {p.rail for p in crn.parameters if p.layer == layer and p.unit == unit and p.role == "bias" and p.id in signs}
    if offset != 0.0 and len(biased) < len(crn.encoding(layer, unit)[0]):
        return None  # a rail without a bias reaction would need one
    for p in crn.parameters:
        if p.layer != layer or p.unit != unit or p.id not in signs:
            continue
        if p.role == "weight" and p.source == source:
            rates[p.id] = p.value * np.abs(grid / w)
        elif p.role == "bias" and offset != 0.0:
            scale = crn.encoding(layer, unit)[0][p.rail].scale
            signed = signs[p.id] * p.value + scale * (grid - w) * offset
            if np.any(signed * signs[p.id] <= 0):
                return None
            rates[p.id] = np.abs(signed)
    return rates


def _sweep(subject: Subject, options: Options) -> tuple[tuple[Plot, ...], dict]:
    """Sweep a last-layer network weight W[j, i] (keeping its sign) so that
    unit j's pre-activation crosses a kink of the unsmoothed activation."""
    crn, net = subject.crn, subject.network
    assert net is not None
    x = options.inputs(crn, 4, salt=12)[-1]  # random: the midpoint can zero ReLU's hidden layer (xor)
    values = net.layer_values(x)
    last = len(net.layers)
    layer = net.layers[-1]
    fn = layer.fn
    h = values[last - 1]
    z = layer.weights @ h + layer.bias
    signs = reaction_signs(crn)
    offsets = [crn.encoding(last - 1, i)[1] for i in range(len(h))]
    candidates = []  # (reaches a kink, |h_i|, j, i, grid)
    for j, i in zip(*np.nonzero(layer.weights)):
        w, hi = float(layer.weights[j, i]), float(h[i])
        if abs(hi) < 1e-6:
            continue
        for at in kinks(fn):
            target = w + (at - z[j]) / hi
            if target * w > 0:
                half = 1.0 / abs(hi)  # z moves +-1 around the kink
                lo_w, hi_w = sorted((target - half, target + half))
                lo_w, hi_w = (max(lo_w, 0.0), hi_w) if w > 0 else (lo_w, min(hi_w, 0.0))
                grid = np.linspace(lo_w, hi_w, SWEEP_POINTS)
                candidates.append((True, abs(hi), int(j), int(i), grid[grid != 0.0], float(at)))
        candidates.append((False, abs(hi), int(j), int(i), np.linspace(0.0, 2 * w, SWEEP_POINTS)[1:], None))
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    for reaches, _, j, i, grid, at in candidates:
        w = float(layer.weights[j, i])
        rates = _sweep_rates(crn, signs, last, j, i, w, grid, offsets[i])
        if rates:
            break
    else:
        return (), {"parameter": None, "max_rel_error": 0.0, "crn_max_derivative_jump": 0.0,
                    "unsmoothed_max_derivative_jump": 0.0, "unsmoothed": fn.name,
                    "note": "no last-layer weight can be swept (no non-zero source)"}
    system = subject.batch
    k = np.tile(system.k, (len(grid), 1))
    for pid, v in rates.items():
        k[:, np.array(system.rate_ids) == pid] = crn.speed * v[:, None]
    nets = [_with_weight(net, last, j, i, g) for g in grid]
    xs = subject.input_species(x)
    state, _ = system.polish(system.fixed_points(xs, k), xs, k=k)
    outputs, scale = subject.outputs(state)
    simulated, scale = outputs[:, j], scale[:, j]
    smooth = np.array([n.forward(x)[j] for n in nets])
    plain = np.array([_unsmoothed(n, x)[j] for n in nets])
    zj = z[j] + (grid - w) * h[i]
    analytic = fn.derivative(zj, layer.epsilon) * h[i]  # d out_j / d W[j, i]
    d_sim, d_plain = np.gradient(simulated, grid), np.gradient(plain, grid)
    name = "plain ReLU" if fn.name == "smoothed_relu" else f"unsmoothed {fn.describe()}"
    out = net.outputs[j]
    label = f"W{last}[{j},{i}]"
    sweep = {
        "parameter": f"network weight {label} (rates {', '.join(sorted(rates))})", "input": x,
        "range": [float(grid[0]), float(grid[-1])], "points": len(grid), "output": out,
        "kink_at_z": at if reaches else None, "weight_at_kink": float(w + (at - z[j]) / h[i]) if reaches else None,
        "max_rel_error": float(np.max(np.abs(simulated - smooth) / np.maximum(np.maximum(scale, np.abs(smooth)), 1e-300))),
        "max_derivative_gap_fd_vs_analytic": float(np.max(np.abs(d_sim - analytic))),
        "crn_max_derivative_jump": float(np.max(np.abs(np.diff(analytic)))),
        "unsmoothed_max_derivative_jump": float(np.max(np.abs(np.diff(d_plain)))),
        "unsmoothed": name,
    }
    g = tuple(grid)
    plots = (
        Plot(f"output {out} vs weight {label}", label, out, (
            Series("CRN steady state (numpy)", g, tuple(simulated), style="o", alpha=0.5),
            Series("smoothed network (forward pass)", g, tuple(smooth)),
            Series(f"{name} network", g, tuple(plain), style="--"))),
        Plot(f"d {out} / d {label}", label, "derivative", (
            Series("chain rule", g, tuple(analytic)),
            Series("finite differences of the CRN sweep", g, tuple(d_sim), style="o", alpha=0.5),
            Series(name, g, tuple(d_plain), style="--"))),
    )
    return plots, sweep


def _gradient_plot(params: list[Parameter], analytic: np.ndarray, numeric: np.ndarray, rows: list[int],
                   rr: np.ndarray) -> Plot:
    a, n = analytic[:, 0], numeric[:, 0]
    line = (float(min(a.min(), n.min())), float(max(a.max(), n.max()))) if a.size else (0.0, 1.0)
    return Plot("d(first output)/d(rate constant): numerical vs chain rule", "chain rule", "numerical", (
        Series("y = x", line, line, style="k-", alpha=0.3),
        Series("numpy finite differences", tuple(a), tuple(n), style="o"),
        Series("roadrunner", tuple(a[rows]), tuple(rr[:, 0]) if len(rows) else (), style="x"),
    ))
