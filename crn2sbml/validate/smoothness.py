"""Check 6: smoothness. d(output)/d(rate constant) three ways, for every rate
constant (or a stated random sample):

- analytic, the chain rule on the network: a neuron's fixed point solves
  F = z*y + q(y) = 0 with dF/dy = -lambda (theory.convergence_rates), so
  dy/dk = (dF/dk) / lambda. For a weight reaction dF/dk = s*x*y (s = +-1 from
  the reaction, k = |w|), giving s*x*sigma'(z) with sigma' = y/lambda =
  sigma^2/(sigma^2 + eps) (the activation's derivative); for a bias s*sigma'(z);
  for a q-term k*y^p (eps: p = 0, ann = c in -c*y^2: p = 2) dF/dk = s*y^p, so
  dy/d eps = 1/lambda and dy/d ann = -y^2/lambda. Downstream layers multiply
  by sigma'(z) * W.
- roadrunner: its unscaled concentration control coefficients (getuCC) on
  small models; otherwise central finite differences of roadrunner's steady
  state (time course + Newton polish, positivity and residual checked).
- numpy: central finite differences of the batch integrator's steady state.

Plus a sweep of one rate constant across the kink of plain ReLU: the CRN's
output and derivative are smooth where ReLU's derivative jumps."""

from __future__ import annotations

import numpy as np

from ..activations import get_activation
from ..crn import CRN, Parameter
from ..errors import SteadyStateError
from ..network import Layer, Network
from ..theory import convergence_rates, settling_time
from .result import CheckResult, Plot, Series
from .subject import Options, Subject, no_network

FD_STEP = 1e-4  # relative step of the central differences
ROADRUNNER_FD_SAMPLE = 8  # parameters differenced in roadrunner when getuCC is too slow
UCC_RTOL = 1e-3  # getuCC differentiates with roadrunner's own (global, left alone) MCA step size
SWEEP_POINTS = 81


def reaction_signs(crn: CRN) -> dict[str, int]:
    """For each rate constant used by a reaction: +1 if the reaction makes its
    neuron, -1 if it removes it (parameters without a reaction are left out)."""
    neuron = {(s.layer, s.unit): s.id for s in crn.species}
    params = crn.parameter_index
    return {r.rate: r.net_change(neuron[params[r.rate].layer, params[r.rate].unit]) for r in crn.reactions}


def analytic_gradient(network: Network, x: np.ndarray, params: list[Parameter], signs: list[int]) -> np.ndarray:
    """d(outputs)/dk for each parameter, (P, n_outputs), by the chain rule."""
    values = network.layer_values(x)
    lam = convergence_rates(network, x)  # speed 1: the fixed point does not depend on kappa
    zs = [h @ layer.weights.T + layer.bias for layer, h in zip(network.layers, values)]
    slopes = [get_activation(layer.activation).derivative(z, layer.epsilon) for layer, z in zip(network.layers, zs)]
    out = np.zeros((len(params), network.n_outputs))
    for row, (p, s) in enumerate(zip(params, signs)):
        l, j = p.layer, p.unit
        if p.role == "weight":
            seed = s * values[l - 1][p.source] * slopes[l - 1][j]
        elif p.role == "bias":
            seed = s * slopes[l - 1][j]
        else:
            power = next(t.power for t in get_activation(network.layers[l - 1].activation)
                         .q_terms(network.layers[l - 1].epsilon) if t.role == p.role)
            seed = s * values[l][j] ** power / lam[l - 1][j]
        d = np.zeros(network.layers[l - 1].n_out)
        d[j] = seed
        for m in range(l, len(network.layers)):
            d = slopes[m] * (network.layers[m].weights @ d)
        out[row] = d
    return out


def _numpy_fd(subject: Subject, x: np.ndarray, params: list[Parameter], horizon: float) -> tuple[np.ndarray, float]:
    """Central differences of the batch integrator's steady state, all parameters in one batch."""
    system = subject.batch
    rate_ids = np.array(system.rate_ids)
    k = np.tile(system.k, (2 * len(params), 1))
    for row, p in enumerate(params):
        hit = rate_ids == p.id
        k[2 * row, hit] *= 1 + FD_STEP
        k[2 * row + 1, hit] *= 1 - FD_STEP
    run = system.integrate(np.zeros((len(k), system.n)), x, horizon, k=k)
    state, residual = system.polish(run.state, x, k=k)
    if run.diverged.any() or run.stalled.any() or np.any(state <= 0):
        raise SteadyStateError("numpy: a perturbed model has no positive steady state within the horizon")
    outs = [system.species.index(s.id) for s in subject.crn.outputs]
    y = state[:, outs]
    values = np.array([p.value for p in params])[:, None]
    return (y[0::2] - y[1::2]) / (2 * FD_STEP * values), float(np.max(residual))


def _roadrunner(subject: Subject, x: np.ndarray, params: list[Parameter], horizon: float,
                options: Options) -> tuple[str, list[int], np.ndarray]:
    sim = subject.roadrunner
    crn = subject.crn
    outputs = [s.id for s in crn.outputs]
    sim.set_inputs(x)
    if len(crn.reactions) <= options.ucc_max_reactions:
        assert subject.network is not None
        sim.steady_state(subject.network, rtol=options.rtol)  # the state getuCC linearises at
        grads = np.array([[sim.rr.getuCC(o, p.id) for o in outputs] for p in params])
        return "roadrunner getuCC (unscaled concentration control coefficients)", list(range(len(params))), grads
    picks = sorted(options.rng(10).choice(len(params), size=min(ROADRUNNER_FD_SAMPLE, len(params)), replace=False))
    index = [sim.floating.index(o) for o in outputs]
    grads = []
    for i in picks:
        p = params[i]
        ys = []
        try:
            for factor in (1 + FD_STEP, 1 - FD_STEP):
                sim.rr.model.setValue(p.id, p.value * factor)
                sim.rr.reset()
                sim.rr.simulate(0.0, horizon, 2)
                values, residual = sim.polish()
                if np.any(values <= 0) or residual > 1e-10 * max(1.0, float(np.max(values))):
                    raise SteadyStateError(f"roadrunner: perturbed {p.id} has no checked steady state (residual {residual:.3g})")
                ys.append(values[index])
        finally:
            sim.rr.model.setValue(p.id, p.value)  # the shared simulator goes back to the model as written
        grads.append((ys[0] - ys[1]) / (2 * FD_STEP * p.value))
    sim.rr.reset()
    return (f"central finite differences (step {FD_STEP:g} relative) of roadrunner's steady state "
            f"(time course + Newton polish) on {len(picks)} sampled parameters"), list(picks), np.array(grads)


def _disagreement(a: np.ndarray, b: np.ndarray, scale: float) -> float:
    return float(np.max(np.abs(a - b) / (np.abs(a) + 1e-3 * scale))) if a.size else 0.0


def check_smoothness(subject: Subject, options: Options) -> CheckResult:
    if subject.network is None:
        return no_network("smoothness", subject)
    crn, net = subject.crn, subject.network
    signs = reaction_signs(crn)
    params = [p for p in crn.parameters if p.id in signs]  # a rate without a reaction has no effect
    sampled = len(params) > options.max_parameters
    if sampled:
        picks = options.rng(8).choice(len(params), size=options.max_parameters, replace=False)
        params = [params[i] for i in sorted(picks)]
    x = options.inputs(len(crn.inputs), 4, salt=9)[-1]
    h = settling_time(net, x, crn.speed, tol=1e-8)
    analytic = analytic_gradient(net, x, params, [signs[p.id] for p in params])
    numeric, residual = _numpy_fd(subject, x, params, h)
    method, rr_rows, rr_grad = _roadrunner(subject, x, params, h, options)
    scale = float(np.max(np.abs(analytic))) if analytic.size else 1.0
    err_np = _disagreement(analytic, numeric, scale)
    err_rr = _disagreement(analytic[rr_rows], rr_grad, scale)
    ucc = method.startswith("roadrunner getuCC")
    rr_tol = UCC_RTOL if ucc else options.gradient_rtol
    sweep_plots, sweep = _sweep(subject, options)
    figures: dict = {
        "input": x, "parameters": [p.id for p in params],
        "sample": f"random sample of {len(params)} of {len(signs)} (seed {options.seed})" if sampled else "all",
        "roadrunner_method": method, "fd_step_rel": FD_STEP,
        "tolerance": f"|a - b| <= {options.gradient_rtol:g} * (|a| + 1e-3 * max|a|)",
        "max_disagreement_numpy": err_np, "max_disagreement_roadrunner": err_rr,
        "roadrunner_tolerance": rr_tol,
        "numpy_max_residual": residual, "analytic": analytic, "numpy_fd": numeric, "roadrunner": rr_grad,
        "roadrunner_rows": rr_rows, "sweep": sweep,
    }
    plots = (_gradient_plot(params, analytic, numeric, rr_rows, rr_grad), *sweep_plots)
    for which, err, tol in (("numpy finite differences", err_np, options.gradient_rtol), ("roadrunner", err_rr, rr_tol)):
        if not err <= tol:
            return CheckResult("smoothness", False, f"d(output)/d(rate): {which} disagrees with the chain rule by "
                               f"{err:.3g} (tolerance {tol:g})", figures, plots)
    if sweep["max_rel_error"] > options.rtol:
        return CheckResult("smoothness", False, f"sweep of {sweep['parameter']}: the simulated output leaves the "
                           f"smoothed forward pass by {sweep['max_rel_error']:.3g}", figures, plots)
    return CheckResult("smoothness", True, f"{len(params)} rate constants: chain rule, numpy finite differences (to {err_np:.1e}) and "
                       f"roadrunner ({'getuCC' if ucc else f'finite differences on {len(rr_rows)}'}, to {err_rr:.1e}) "
                       f"agree; sweep of {sweep['parameter']}: derivative jump "
                       f"{sweep['crn_max_derivative_jump']:.2g} per step vs {sweep['relu_max_derivative_jump']:.2g} for ReLU",
                       figures, plots)


def _with_weight(net: Network, layer: int, unit: int, source: int, value: float) -> Network:
    layers = list(net.layers)
    old = layers[layer - 1]
    w = old.weights.copy()
    w[unit, source] = value
    layers[layer - 1] = Layer(w, old.bias, old.epsilon, old.activation)
    return Network(tuple(layers), net.inputs, net.outputs, net.name)


def _relu(net: Network, x: np.ndarray) -> np.ndarray:
    h = x
    for layer in net.layers:
        h = np.maximum(h @ layer.weights.T + layer.bias, 0.0)
    return h


def _sweep(subject: Subject, options: Options) -> tuple[tuple[Plot, ...], dict]:
    """Sweep the output neuron's weight from its most active input so that its
    pre-activation crosses zero (ReLU's kink), when the weight's sign allows."""
    crn, net = subject.crn, subject.network
    assert net is not None
    x = options.inputs(len(crn.inputs), 4, salt=12)[-1]  # random: the midpoint can zero ReLU's hidden layer (xor)
    values = net.layer_values(x)
    last = len(net.layers)
    h = values[last - 1]
    z = net.layers[-1].weights @ h + net.layers[-1].bias

    signs = reaction_signs(crn)

    def kink(q: Parameter) -> float:  # |w| at which ReLU's z crosses 0
        s = signs[q.id]
        return float(-(z[q.unit] - s * q.value * h[q.source]) / (s * h[q.source]))

    weights = [q for q in crn.parameters if q.role == "weight" and q.layer == last and q.id in signs]
    p = max(weights, key=lambda q: (kink(q) > 0, h[q.source]))
    s, xi, at = signs[p.id], float(h[p.source]), kink(p)
    out = next(sp.id for sp in crn.floating if sp.layer == last and sp.unit == p.unit)
    lo, hi = (max(at - 1 / xi, 0.0), at + 1 / xi) if at > 0 else (0.0, 2 * p.value)
    grid = np.linspace(lo, hi, SWEEP_POINTS)[1:]  # k > 0: a zero rate is no reaction
    system = subject.batch
    k = np.tile(system.k, (len(grid), 1))
    k[:, np.array(system.rate_ids) == p.id] = crn.speed * grid[:, None]
    nets = [_with_weight(net, last, p.unit, p.source, s * g) for g in grid]
    horizon = max(settling_time(n, x, crn.speed, tol=1e-8) for n in nets[:: max(len(nets) // 8, 1)])
    run = system.integrate(np.zeros((len(grid), system.n)), x, 1.5 * horizon, k=k)
    state, _ = system.polish(run.state, x, k=k)
    simulated = state[:, system.species.index(out)]
    smooth = np.array([n.forward(x)[p.unit] for n in nets])
    relu = np.array([_relu(n, x)[p.unit] for n in nets])
    analytic = np.array([analytic_gradient(n, x, [p], [s])[0, p.unit] for n in nets])
    d_sim, d_relu = np.gradient(simulated, grid), np.gradient(relu, grid)
    sweep = {
        "parameter": p.id, "input": x, "range": [float(grid[0]), float(grid[-1])], "points": len(grid),
        "output": out, "relu_kink_at": at if at > 0 else None,
        "max_rel_error": float(np.max(np.abs(simulated - smooth) / smooth)),
        "max_derivative_gap_fd_vs_analytic": float(np.max(np.abs(d_sim - analytic))),
        "crn_max_derivative_jump": float(np.max(np.abs(np.diff(analytic)))),
        "relu_max_derivative_jump": float(np.max(np.abs(np.diff(d_relu)))),
    }
    g = tuple(grid)
    plots = (
        Plot(f"output {out} vs rate constant {p.id}", p.id, out, (
            Series("CRN steady state (numpy)", g, tuple(simulated), style="o", alpha=0.5),
            Series("smoothed ReLU network (forward pass)", g, tuple(smooth)),
            Series("plain ReLU network", g, tuple(relu), style="--"))),
        Plot(f"d {out} / d {p.id}", p.id, "derivative", (
            Series("chain rule", g, tuple(analytic)),
            Series("finite differences of the CRN sweep", g, tuple(d_sim), style="o", alpha=0.5),
            Series("plain ReLU", g, tuple(d_relu), style="--"))),
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
