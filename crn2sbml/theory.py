"""Closed-form facts of the construction (docs/design.md section 2): the
convergence rate of each neuron, a settling-time bound for the whole CRN,
and the exact one-neuron solution. Used to size simulations and as oracles."""

from __future__ import annotations

import math

import numpy as np

from .network import Network


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


def settling_time(network: Network, x: np.ndarray, speed: float = 1.0, tol: float = 1e-10) -> float:
    """Time for the CRN started at zero to come within relative ``tol`` of its
    fixed point: the layers settle one after another, each at its slowest rate.
    For the smoothed ReLU, y(0)=0 gives |u(0)| (a+c)/a = 1 + a^2/eps. Any other
    q can escape from y = 0 more slowly than that formula says, so its layers
    take the larger of it and each rail's exact time from 0 (``escape_time``)."""
    total = 0.0
    for layer, lam, z in zip(network.layers, convergence_rates(network, x, speed), network.preactivations(x)):
        fn = layer.fn
        sigma = fn.rail_values(z, layer.epsilon)
        spread = 1.0 + float(np.max(sigma * sigma)) / layer.epsilon
        step = math.log(spread / tol) / float(np.min(lam))
        terms = fn.q_terms(layer.epsilon)
        if {(t.power, t.coefficient) for t in terms} != {(0, layer.epsilon), (2, -1.0)}:
            exact = escape_time(fn.rail_inputs(z), sigma, terms, tol) / speed
            step = max(step, float(np.max(exact)))
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


def one_neuron_trajectory(t: np.ndarray, y0: float, z: float, epsilon: float, speed: float = 1.0) -> np.ndarray:
    """Exact solution of dy/dt = speed*(eps + z*y - y^2): with a = sigma_eps(z),
    c = eps/a and u = (y-a)/(y+c), u(t) = u(0) exp(-speed*lambda*t)."""
    lam = math.sqrt(z * z + 4.0 * epsilon)
    a = 0.5 * (z + lam) if z >= 0 else 2.0 * epsilon / (lam - z)
    c = epsilon / a
    u = (y0 - a) / (y0 + c) * np.exp(-speed * lam * np.asarray(t, dtype=float))
    return (a + c * u) / (1.0 - u)
