"""Closed-form facts of the construction (DESIGN.md section 2): the
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
    For the smoothed ReLU, y(0)=0 gives |u(0)| (a+c)/a = 1 + a^2/eps."""
    total = 0.0
    for layer, lam, z in zip(network.layers, convergence_rates(network, x, speed), network.preactivations(x)):
        sigma = layer.fn.rail_values(z, layer.epsilon)
        spread = 1.0 + float(np.max(sigma * sigma)) / layer.epsilon
        total += math.log(spread / tol) / float(np.min(lam))
    return total


def one_neuron_trajectory(t: np.ndarray, y0: float, z: float, epsilon: float, speed: float = 1.0) -> np.ndarray:
    """Exact solution of dy/dt = speed*(eps + z*y - y^2): with a = sigma_eps(z),
    c = eps/a and u = (y-a)/(y+c), u(t) = u(0) exp(-speed*lambda*t)."""
    lam = math.sqrt(z * z + 4.0 * epsilon)
    a = 0.5 * (z + lam) if z >= 0 else 2.0 * epsilon / (lam - z)
    c = epsilon / a
    u = (y0 - a) / (y0 + c) * np.exp(-speed * lam * np.asarray(t, dtype=float))
    return (a + c * u) / (1.0 - u)
