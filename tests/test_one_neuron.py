"""The exact one-neuron solution (docs/design.md section 2) against the simulators,
and the smoothed ReLU's stated facts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crn2sbml import Layer, Network, NumpySimulator, RoadRunnerSimulator, compile_network, get_activation, one_neuron_trajectory


def exact(t: np.ndarray, y0: float, z: float, eps: float, kappa: float) -> np.ndarray:
    """y(t) of dy/dt = kappa (eps + z y - y^2), from u = (y-a)/(y+c), du/dt = -kappa*lambda*u."""
    lam = math.sqrt(z * z + 4 * eps)
    a = (z + lam) / 2
    c = (lam - z) / 2  # = eps / a, the magnitude of the negative root
    u = (y0 - a) / (y0 + c) * np.exp(-kappa * lam * t)
    return (a + c * u) / (1 - u)


def neuron(w: float, b: float, eps: float) -> Network:
    return Network((Layer([[w]], [b], eps),), inputs=("x",), outputs=("y",))


CASES = [  # (w, b, x, eps, y0, kappa)
    (1.0, 0.0, 0.0, 0.01, 0.0, 1.0),  # z = 0: the slowest neuron
    (2.0, -0.5, 1.0, 0.01, 0.0, 1.0),
    (-1.5, 0.2, 1.0, 1e-3, 3.0, 1.0),  # z < 0, start above the fixed point
    (0.7, 1.0, 2.0, 1.0, 10.0, 5.0),  # large eps, fast kappa
    (1.0, -3.0, 0.5, 1e-4, 0.0, 1.0),  # tiny eps, strongly negative z
]


@pytest.mark.parametrize("w,b,x,eps,y0,kappa", CASES)
@pytest.mark.parametrize("backend", ["roadrunner", "numpy"])
def test_time_course_matches_exact_solution(w, b, x, eps, y0, kappa, backend):
    net = neuron(w, b, eps)
    z = w * x + b
    crn = compile_network(net, speed=kappa, inputs=[x])
    sim = RoadRunnerSimulator(crn) if backend == "roadrunner" else NumpySimulator(crn)
    t_end = 12.0 / (kappa * math.sqrt(z * z + 4 * eps))
    tc = sim.time_course(t_end, 41, y0=np.array([y0]))
    want = exact(tc.time, y0, z, eps, kappa)
    assert np.allclose(tc["y"], want, rtol=1e-6, atol=1e-12), np.max(np.abs(tc["y"] - want))
    assert tc["y"][-1] == pytest.approx(want[-1], rel=1e-6)


def test_library_exact_solution_matches_formula():
    t = np.linspace(0, 30, 50)
    for z, eps, y0 in [(0.0, 0.01, 0.0), (-2.0, 0.1, 5.0), (3.0, 1e-3, 0.2)]:
        assert np.allclose(one_neuron_trajectory(t, y0, z, eps, 2.0), exact(t, y0, z, eps, 2.0), rtol=1e-12)


def test_convergence_is_monotone_from_any_start():
    t = np.linspace(0, 50, 400)
    for y0 in [0.0, 1e-9, 0.05, 1.0, 1e3]:
        y = exact(t, y0, 0.3, 0.01, 1.0)
        a = (0.3 + math.sqrt(0.09 + 0.04)) / 2
        d = np.abs(y - a)
        assert np.all(np.diff(d) <= 1e-15)


@pytest.mark.parametrize("eps", [1e-4, 1e-2, 1.0])
def test_smoothed_relu_facts(eps):
    act = get_activation("smoothed_relu")
    z = np.concatenate([np.linspace(-50, 50, 2001), [0.0]])
    s = act.reference(z, eps)
    gap = s - np.maximum(z, 0)
    assert np.all(s > 0)
    assert np.all(gap > 0) and np.all(gap <= math.sqrt(eps) * (1 + 1e-12))
    assert act.reference(np.array([0.0]), eps)[0] == pytest.approx(math.sqrt(eps), rel=1e-14)
    # sigma' = sigma^2/(sigma^2+eps) against central differences
    h = 1e-6
    fd = (act.reference(z + h, eps) - act.reference(z - h, eps)) / (2 * h)
    d = act.derivative(z, eps)
    assert np.all((d > 0) & (d < 1))
    assert np.allclose(d, fd, rtol=1e-5, atol=1e-9)
    # it is the positive root of eps + z y - y^2
    assert np.allclose(eps + z * s - s * s, 0, atol=1e-9 * np.maximum(1, z * z))
