"""BatchSimulator.time_courses held to independent integrators: libroadrunner's
CVODE (rtol 1e-10, atol 1e-14) on random networks of every activation and on a
stiff case, scipy's DOP853 at rtol 1e-13 where CVODE's own error is the larger,
and the exact one-neuron solution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from conftest import make_network
from crn2sbml import BatchSimulator, InputError, Layer, Network, RoadRunnerSimulator, compile_network
from crn2sbml.activations import known_activations
from crn2sbml.theory import one_neuron_trajectory

TOL = 1e-6  # the stated accuracy against CVODE at rtol 1e-10
TIMES = np.array([0.1, 0.5, 2.0, 10.0])
PARAMS = {"polynomial": {"q": {"3": -1.0}}, "hardtanh": {"min_val": -0.5, "max_val": 2.0}}


def cvode_states(crn, xs: np.ndarray, times: np.ndarray, species: tuple[str, ...]) -> np.ndarray:
    """(B, T, n) concentrations from roadrunner's CVODE, one input at a time."""
    rr = RoadRunnerSimulator(crn, rtol=1e-10, atol=1e-14)
    rr.rr.timeCourseSelections = [f"[{s}]" for s in species]  # roadrunner's own CVODE, driven directly
    out = []
    for x in xs:
        rr.set_inputs(x)  # writes the inputs into the loaded model and resets it
        out.append(np.array(rr.rr.simulate(times=np.concatenate([[0.0], times])))[1:])
    return np.array(out)


def readout_error(sim: BatchSimulator, got: np.ndarray, states: np.ndarray) -> float:
    """Max over members, times and outputs of |got - want| relative to the
    readout's scale sum |a_r| y_r + |offset| (a signed output is a difference of rails)."""
    want = states @ sim.readout_matrix.T + sim.readout_offset
    scale = states @ np.abs(sim.readout_matrix).T + np.abs(sim.readout_offset)
    return float(np.max(np.abs(got - want) / np.maximum(np.maximum(scale, np.abs(want)), 1e-300)))


def random_network(rng: np.random.Generator, activation: str, eps: float = 0.02) -> Network:
    sizes = (3, 5, 2)
    layers = []
    for (n_in, n_out), act in zip(zip(sizes, sizes[1:]), (activation, "smoothed_relu" if activation == "relu" else activation)):
        layers.append(Layer(rng.normal(size=(n_out, n_in)) * 1.5 / math.sqrt(n_in), rng.normal(scale=0.3, size=n_out),
                            eps, act, PARAMS.get(act, {})))
    return Network(tuple(layers), input_ranges=[(-1.0, 1.0), (0.0, None), (None, None)])


@pytest.mark.parametrize("activation", known_activations())
def test_matches_cvode_for_every_activation(activation, rng):
    net = random_network(rng, activation)
    crn = compile_network(net)
    sim = BatchSimulator(crn)
    xs = np.column_stack([rng.uniform(-1, 1, 4), rng.uniform(0, 3, 4), rng.normal(size=4)])
    run = sim.time_courses(xs, TIMES, species=True)
    want = cvode_states(crn, xs, TIMES, sim.species)
    assert not run.failed.any()
    assert readout_error(sim, run.outputs, want) <= TOL
    assert np.max(np.abs(run.states - want) / np.maximum(want, 1e-300)) <= TOL


def test_stiff_case_matches_cvode_and_a_tight_explicit_reference(rng):
    """eps 1e-4 and weights x8: fast modes (lambda in the tens) next to slow ones
    (2 sqrt(eps) = 0.02)."""
    net = make_network(rng, (6, 8, 3), 1e-4)
    net = Network(tuple(Layer(8.0 * l.weights, 8.0 * l.bias, l.epsilon) for l in net.layers))
    crn = compile_network(net, start="zero")  # the explicit reference below starts at 0
    sim = BatchSimulator(crn)
    xs = rng.uniform(0, 1, (5, 6))
    times = np.array([0.05, 0.5, 1.0, 5.0, 20.0])
    run = sim.time_courses(xs, times, species=True)
    assert not run.failed.any()
    assert readout_error(sim, run.outputs, cvode_states(crn, xs, times, sim.species)) <= TOL
    for b in range(2):  # an explicit method at extreme tolerance: slow but independent
        x = sim.input_species(xs[b: b + 1])
        sol = solve_ivp(lambda t, y: sim.system.rhs(y[None, :], x)[0], (0, times[-1]), np.zeros(len(sim.species)),
                        method="DOP853", rtol=1e-13, atol=1e-20, t_eval=times)
        assert np.max(np.abs(run.states[b] - sol.y.T) / sol.y.T) <= 1e-7


def test_exact_one_neuron_solution():
    eps, w, b = 0.01, 1.7, -0.4
    sim = BatchSimulator(compile_network(Network((Layer([[w]], [b], eps),))))
    xs = np.linspace(0.0, 2.0, 9)[:, None]
    times = np.array([0.01, 0.3, 1.0, 4.0, 50.0])
    for y0 in (0.0, 3.0):
        run = sim.time_courses(xs, times, y0=[y0])
        exact = np.array([one_neuron_trajectory(times, y0, w * x + b, eps) for x in xs[:, 0]])
        assert np.max(np.abs(run.outputs[:, :, 0] - exact) / exact) <= 1e-7


def test_late_times_reach_the_checked_steady_state(rng):
    net = make_network(rng, (4, 6, 3), 0.05)
    sim = BatchSimulator(compile_network(net, start="zero"))
    xs = rng.uniform(0, 1, (30, 4))
    run = sim.time_courses(xs, [0.0, 400.0])
    assert np.allclose(run.outputs[:, 0], sim.readout(np.zeros((1, len(sim.species)))))
    assert np.max(np.abs(run.outputs[:, 1] - net.forward(xs)) / net.forward(xs)) <= 1e-7


@pytest.mark.parametrize("times", [[], [1.0, 1.0], [2.0, 1.0], [-1.0, 2.0], [1.0, float("nan")]])
def test_bad_times(times, rng):
    sim = BatchSimulator(compile_network(make_network(rng, (2, 3, 1), 0.01)))
    with pytest.raises(InputError, match="strictly increasing"):
        sim.time_courses([[0.5, 0.5]], times)


def test_members_do_not_depend_on_their_batch(rng):
    """Per-member steps: a member's course is the same alone as in a batch whose
    other members take many more or fewer steps (finished members are dropped
    from the working arrays as the batch runs, and each carries its own slope)."""
    net = make_network(rng, (5, 6, 3), 1e-3)
    net = Network(tuple(Layer(scale * l.weights, scale * l.bias, l.epsilon) for l, scale in zip(net.layers, (6.0, 1.0))))
    sim = BatchSimulator(compile_network(net))
    xs = np.vstack([rng.uniform(0, 1, (6, 5)), rng.uniform(0, 0.01, (6, 5))])
    times = np.array([0.2, 3.0, 30.0])
    run = sim.time_courses(xs, times, species=True)
    # over a quarter finish before the last: the working arrays get compacted (COMPACT = 0.75)
    assert not run.failed.any() and np.sum(run.steps < run.steps.max()) > 0.25 * len(xs)
    for b in (0, 5, 6, 11):
        alone = sim.time_courses(xs[b: b + 1], times, species=True)
        assert alone.steps[0] == run.steps[b]
        assert np.max(np.abs(alone.states[0] - run.states[b]) / run.states[b]) <= 1e-12
