"""Seeded random networks: roadrunner's checked steady state, the numpy
simulator and the forward pass agree to 1e-8 relative."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_network, oracle_forward
from crn2sbml.simulate import find_steady_state
from crn2sbml import NumpySimulator, RoadRunnerSimulator, SteadyStateError, compile_network

RTOL = 1e-8
SHAPES = [
    ((1, 1), 1e-4),
    ((2, 4, 1), 1e-2),
    ((3, 6, 6, 2), 1e-3),
    ((5, 3, 3, 3, 3, 2), 0.1),  # deep and narrow
    ((8, 16, 4), 1.0),
    ((4, 12, 12, 12, 3), 1e-4),
]


@pytest.mark.parametrize("sizes,eps", SHAPES)
def test_roadrunner_numpy_and_forward_pass_agree(sizes, eps, rng):
    net = make_network(rng, sizes, eps, zero_frac=0.25)
    for _ in range(2):
        x = rng.uniform(0, 2, sizes[0])
        x[rng.random(sizes[0]) < 0.2] = 0.0  # zero inputs too
        want = np.array(oracle_forward(net, x))
        assert np.allclose(net.forward(x), want, rtol=1e-12, atol=0)
        crn = compile_network(net, inputs=x)
        rr = find_steady_state(RoadRunnerSimulator(crn), net, rtol=RTOL)
        nps = find_steady_state(NumpySimulator(crn), net, rtol=RTOL)
        for ss in (rr, nps):
            assert np.all(ss.values > 0)
            assert np.allclose(ss.output_values, want, rtol=RTOL, atol=0), ss.backend
        assert np.allclose(rr.values, nps.values, rtol=RTOL, atol=0)


def test_sign_patterns_all_positive_all_negative(rng):
    for sign in (1.0, -1.0):
        net = make_network(rng, (3, 5, 2), 0.01, zero_frac=0.0)
        layers = tuple(type(l)(sign * np.abs(l.weights), sign * np.abs(l.bias), l.epsilon) for l in net.layers)
        net = type(net)(layers)
        x = rng.uniform(0.1, 1, 3)
        ss = find_steady_state(RoadRunnerSimulator(compile_network(net, inputs=x)), net)
        assert np.allclose(ss.output_values, oracle_forward(net, x), rtol=RTOL, atol=0)


@pytest.mark.parametrize("kappa", [0.1, 1.0, 25.0])
def test_speed_factor_keeps_fixed_point_and_scales_time(kappa, rng):
    net = make_network(rng, (3, 4, 2), 0.01)
    x = rng.uniform(0, 1, 3)
    ss = find_steady_state(RoadRunnerSimulator(compile_network(net, speed=kappa, inputs=x)), net)
    assert np.allclose(ss.output_values, oracle_forward(net, x), rtol=RTOL, atol=0)
    # convergence is kappa times faster: at time t/kappa the state equals the kappa=1 state at t
    base = RoadRunnerSimulator(compile_network(net, inputs=x)).time_course(10.0, 11)
    fast = RoadRunnerSimulator(compile_network(net, speed=kappa, inputs=x)).time_course(10.0 / kappa, 11)
    assert np.allclose(base.values, fast.values, rtol=1e-6, atol=1e-10)


def test_wrong_fixed_point_is_refused(rng):
    """The check compares with the forward pass: a CRN that computes something
    else (here: a weight changed behind the network's back) is refused."""
    net = make_network(rng, (2, 3, 1), 0.01, zero_frac=0.0)
    x = np.array([1.0, 0.5])
    other = make_network(np.random.default_rng(1), (2, 3, 1), 0.01, zero_frac=0.0)
    crn = compile_network(other, inputs=x)
    with pytest.raises(SteadyStateError, match="forward pass"):
        find_steady_state(RoadRunnerSimulator(crn), net)
    with pytest.raises(SteadyStateError, match="forward pass"):
        find_steady_state(NumpySimulator(crn), net)
