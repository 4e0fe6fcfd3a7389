"""Closed-form facts of the construction (docs/design.md section 2): the
convergence rate of each neuron, a settling-time bound for the whole CRN,
and the exact one-neuron solution. Used to size simulations and as oracles."""

from __future__ import annotations

import math

import numpy as np

from .network import Network

# Inputs without a declared upper bound are assumed to stay below this when the
# compiler bounds the fixed point (declare input_ranges in the network to widen).
NOMINAL_INPUT_MAX = 1.0


def input_box(network: Network, carried: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of every network input: its declared range, an undeclared or
    open upper end NOMINAL_INPUT_MAX (lower end -NOMINAL_INPUT_MAX when open),
    and [0, NOMINAL_INPUT_MAX] without declared ranges; widened to hold the
    ``carried`` input (the one a model is compiled with) where it lies beyond."""
    n = network.n_inputs
    if not network.input_ranges:
        lo, hi = np.zeros(n), np.full(n, NOMINAL_INPUT_MAX)
    else:
        lo = np.array([-NOMINAL_INPUT_MAX if r[0] is None else r[0] for r in network.input_ranges], dtype=float)
        hi = np.array([max(NOMINAL_INPUT_MAX, l) if r[1] is None else r[1] for r, l in zip(network.input_ranges, lo)],
                      dtype=float)
    if carried is not None:
        x = np.asarray(carried, dtype=float)
        lo, hi = np.minimum(lo, x), np.maximum(hi, x)
    return lo, hi


def fixed_point_bounds(network: Network, box: tuple[np.ndarray, np.ndarray] | None = None
                       ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Interval bounds (lo, hi), each (units, rails), on every neuron species'
    fixed point for inputs in ``box`` (default ``input_box``), layer by layer:
    a rail's root sigma(z_r) increases with z_r, so sigma at the ends of z_r's
    interval bounds it; a unit's value is bounded through its rails' readouts."""
    lo, hi = box if box is not None else input_box(network)
    out = []
    for layer in network.layers:
        fn = layer.fn
        wp, wn = np.maximum(layer.weights, 0.0), np.minimum(layer.weights, 0.0)
        z_lo = wp @ lo + wn @ hi + layer.bias
        z_hi = wp @ hi + wn @ lo + layer.bias
        ends = np.stack([fn.rail_inputs(z_lo), fn.rail_inputs(z_hi)])  # (2, units, rails)
        y_lo = fn.unit_reference(ends.min(axis=0), layer.epsilon)
        y_hi = fn.unit_reference(ends.max(axis=0), layer.epsilon)
        out.append((y_lo, y_hi))
        a = np.array([r.readout for r in fn.rails])
        lo = np.where(a > 0, y_lo, y_hi) @ a + fn.offset
        hi = np.where(a > 0, y_hi, y_lo) @ a + fn.offset
    return out


def convergence_rates(network: Network, x: np.ndarray, speed: float = 1.0) -> list[np.ndarray]:
    """lambda of every species at its fixed point, layer by layer (shape
    (units, rails)): -(d/dy)(z_r*y + q(y)) at y = sigma(z_r), times the speed."""
    rates = []
    for layer, z in zip(network.layers, network.preactivations(x)):
        fn = layer.fn
        z_r = fn.rail_inputs(z)
        sigma = fn.unit_reference(z_r, layer.epsilon)
        dq = sum(t.power * t.coefficient * sigma ** (t.power - 1) for t in fn.q_terms(layer.epsilon) if t.power >= 1)
        lam = -speed * (z_r + dq)
        rates.append(lam[..., 0] if lam.shape[-1] == 1 else lam)  # (units,) for one rail
    return rates


STARTS = ("either", "zero", "bound")


def settling_time(network: Network, x: np.ndarray, speed: float = 1.0, tol: float = 1e-10,
                  start: str = "either", box: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Time for the CRN to come within relative ``tol`` of its fixed point:
    the layers settle one after another, each at its slowest rate. ``start``:
    "zero" (every neuron at 0), "bound" (every neuron at its compile-time upper
    bound, ``fixed_point_bounds``: what compile_network starts from by
    default) or "either" (the larger of the two; the default, so a caller need
    not know how the CRN was compiled). ``box``: the input box the "bound"
    start was computed for (default: the one compile_network uses for x).

    With a = sigma, c = eps/a and u = (y - a)/(y + c), the smoothed ReLU's
    relative error is |u(0)| e^(-lambda t) (a + c)/a to first order: from 0 the
    spread |u(0)| (a+c)/a is 1 + a^2/eps, from y0 > a it is u(0)(a + c)/a.
    Any other q can leave y = 0 (or come down from y0) more slowly than that
    formula says, so its layers take the larger of it and each rail's exact
    time (``escape_time``, ``descent_time``)."""
    if start not in STARTS:
        raise ValueError(f"start is {start!r}; use one of {', '.join(STARTS)}")
    # compile_network's box holds the input the model carries
    bounds = fixed_point_bounds(network, input_box(network, x) if box is None else box) if start != "zero" else None
    total = 0.0
    for l, (layer, lam, z) in enumerate(zip(network.layers, convergence_rates(network, x, speed),
                                            network.preactivations(x))):
        fn = layer.fn
        sigma = fn.rail_values(z, layer.epsilon)
        terms = fn.q_terms(layer.epsilon)
        plain = {(t.power, t.coefficient) for t in terms} == {(0, layer.epsilon), (2, -1.0)}
        spreads = []
        if start != "bound":
            spreads.append(1.0 + float(np.max(sigma * sigma)) / layer.epsilon)
        if bounds is not None:
            y0 = np.maximum(bounds[l][1], sigma)
            c = layer.epsilon / sigma
            spreads.append(float(np.max((y0 - sigma) / (y0 + c) * (sigma + c) / sigma)))
        step = math.log(max(max(spreads), tol) / tol) / float(np.min(lam))
        if not plain:
            if start != "bound":
                step = max(step, float(np.max(escape_time(fn.rail_inputs(z), sigma, terms, tol))) / speed)
            if bounds is not None:
                down = descent_time(fn.rail_inputs(z), sigma, np.maximum(bounds[l][1], sigma), terms, tol)
                step = max(step, float(np.max(down)) / speed)
        total += step
    return total


# Gauss-Legendre panels on s in [0, 1], geometric towards s = 0 (see escape_time)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_PANELS = np.concatenate([[0.0], 2.0 ** -np.arange(30, -1, -1.0)])


def escape_time(z: np.ndarray, a: np.ndarray, terms, tol: float) -> np.ndarray:
    """Exact time for dy/dt = z*y + q(y) (speed 1) from y = 0 to within
    relative ``tol`` of its positive root ``a``, elementwise. With
    y = a(1 - e^-s), T = int_0^log(1/tol) ds / g(y), g(y) = f(y)/(a - y) > 0
    smooth (g(0) = eps/a, g(a) = lambda): composite Gauss-Legendre on panels
    that shrink geometrically towards s = 0, where 1/g changes fastest."""
    z, a = np.asarray(z, dtype=float)[..., None], np.asarray(a, dtype=float)[..., None]
    span = math.log(1.0 / tol)
    lo, hi = span * _PANELS[:-1], span * _PANELS[1:]
    s = (0.5 * (hi - lo)[:, None] * (_GL_X + 1.0) + lo[:, None]).ravel()
    w = (0.5 * (hi - lo)[:, None] * _GL_W).ravel()
    y = a * -np.expm1(-s)
    f = z * y + sum(t.coefficient * y ** t.power for t in terms)
    g = f / (a * np.exp(-s))
    return np.sum(w / g, axis=-1)


def descent_time(z: np.ndarray, a: np.ndarray, y0: np.ndarray, terms, tol: float) -> np.ndarray:
    """Exact time for dy/dt = z*y + q(y) (speed 1) from y0 >= a down to within
    relative ``tol`` of its positive root ``a``, elementwise (0 where already
    there). With y = a + (y0 - a) e^-s, T = int_0^S ds / g(y), S =
    log((y0 - a)/(tol a)), g(y) = -f(y)/(y - a) > 0 smooth with g(a) = lambda:
    Gauss-Legendre on 32 equal panels."""
    z, a, y0 = (np.asarray(v, dtype=float)[..., None] for v in (z, a, y0))
    span = np.log(np.maximum((y0 - a) / (tol * a), 1.0))
    edges = np.linspace(0.0, 1.0, 33)
    s01 = (0.5 * (edges[1:] - edges[:-1])[:, None] * (_GL_X + 1.0) + edges[:-1, None]).ravel()
    w01 = (0.5 * (edges[1:] - edges[:-1])[:, None] * _GL_W).ravel()
    s = span * s01
    d = (y0 - a) * np.exp(-s)
    y = a + d
    f = z * y + sum(t.coefficient * y ** t.power for t in terms)
    g = np.where(d > 0, -f / np.where(d > 0, d, 1.0), 1.0)
    return np.sum(span * w01 / g, axis=-1)


def one_neuron_trajectory(t: np.ndarray, y0: float, z: float, epsilon: float, speed: float = 1.0) -> np.ndarray:
    """Exact solution of ``dy/dt = speed*(eps + z*y - y^2)``: with ``a = sigma_eps(z)``,
    ``c = eps/a`` and ``u = (y-a)/(y+c)``, ``u(t) = u(0) exp(-speed*lambda*t)``."""
    lam = math.sqrt(z * z + 4.0 * epsilon)
    a = 0.5 * (z + lam) if z >= 0 else 2.0 * epsilon / (lam - z)
    c = epsilon / a
    u = (y0 - a) / (y0 + c) * np.exp(-speed * lam * np.asarray(t, dtype=float))
    return (a + c * u) / (1.0 - u)
