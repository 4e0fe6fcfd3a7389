"""The batch simulator (crn2sbml.BatchSimulator): steady states of many inputs
and initial states at once, from the CRN's reactions alone. Checked against
roadrunner's checked steady state, the exact one-neuron solution and the
forward pass; the integrator it shares with validation stays importable there."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import make_network, oracle_forward
from crn2sbml.simulate import _dense, find_steady_state
from crn2sbml.simulate._dense import DensePlan
from crn2sbml import BatchSimulator, InputError, Layer, Network, RoadRunnerSimulator, compile_network
from crn2sbml.theory import one_neuron_trajectory

RTOL = 1e-8
MIXED = [
    ("smoothed_relu", {}),
    ("identity", {}),
    ("abs", {}),
    ("leaky_relu", {"negative_slope": 0.1}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("hardsigmoid", {}),
    ("polynomial", {"q": {"3": -1.0}}),
    ("polynomial", {"q": {"1": 0.5, "2": -0.25, "4": -2.0}}),
]


def signed_network(rng: np.random.Generator, sizes, activations) -> Network:
    """Random weights; rails from signed activations and dual-rail / shifted inputs."""
    layers = []
    for (n_in, n_out), (name, params) in zip(zip(sizes, sizes[1:]), activations):
        w = rng.normal(size=(n_out, n_in)) / math.sqrt(n_in)
        layers.append(Layer(w, rng.normal(scale=0.3, size=n_out), float(rng.uniform(0.005, 0.05)), name, params))
    ranges = [(-1.0, 1.0), (0.0, None), (None, None)] * (sizes[0] // 3) + [(None, None)] * (sizes[0] % 3)
    return Network(tuple(layers), input_ranges=ranges)


def _rel(got, want, scale=None):
    scale = np.abs(want) if scale is None else np.maximum(scale, np.abs(want))
    return float(np.max(np.abs(got - want) / np.maximum(scale, 1e-300)))


def _roadrunner_states(net: Network, xs: np.ndarray, sim: BatchSimulator) -> np.ndarray:
    rr = RoadRunnerSimulator(compile_network(net, inputs=xs[0]))
    order = [rr.species.index(s) for s in sim.species]
    out = []
    for x in xs:
        rr.set_inputs(x)
        out.append(find_steady_state(rr, net, rtol=RTOL).values[order])
    return np.array(out)


@pytest.mark.parametrize("sizes,eps", [((2, 4, 1), 1e-2), ((5, 8, 6, 3), 1e-3), ((8, 16, 4), 1.0)])
def test_agrees_with_roadrunner_smoothed_relu(sizes, eps, rng):
    net = make_network(rng, sizes, eps, zero_frac=0.25)
    sim = BatchSimulator(compile_network(net))
    xs = rng.uniform(0, 2, (3, sizes[0]))
    xs[0, 0] = 0.0
    solution = sim.solve(xs)
    got = solution.states
    assert np.all(got > 0) and solution.positive.all()
    assert not solution.failed.any() and not solution.resolved.any()
    assert _rel(got, _roadrunner_states(net, xs, sim)) <= RTOL
    assert np.max(solution.residual) <= 1e-12
    want = np.array([oracle_forward(net, x) for x in xs])
    assert _rel(sim.outputs(xs), want) <= 1e-12


@pytest.mark.parametrize("act", range(len(MIXED)), ids=[f"{n}{i}" for i, (n, _) in enumerate(MIXED)])
def test_agrees_with_roadrunner_rails_and_signed_activations(act, rng):
    """Every activation in a hidden layer, a random one after it, signed inputs
    (shifted and dual rail)."""
    for trial in range(2):
        acts = [MIXED[act], MIXED[int(rng.integers(len(MIXED)))], MIXED[int(rng.integers(len(MIXED)))]]
        net = signed_network(rng, (4, 5, 4, 2), acts)
        sim = BatchSimulator(compile_network(net))
        xs = np.column_stack([rng.uniform(-1, 1, 3), rng.uniform(0, 3, 3), rng.normal(size=3), rng.normal(size=3)])
        got = sim.steady_states(xs)
        assert np.all(got > 0), acts
        assert _rel(got, _roadrunner_states(net, xs, sim)) <= RTOL, acts
        # outputs are readouts of rails: error relative to the rails they combine
        scale = got @ np.abs(sim.readout_matrix).T + np.abs(sim.readout_offset)
        assert _rel(sim.outputs(xs), net.forward(xs), scale) <= 1e-11, acts


def test_exact_one_neuron_solution(rng):
    """y' = eps + w x y + b y - y^2: the limit is the exact solution at t -> inf,
    and the integrator follows the exact trajectory."""
    eps = 0.01
    w, b = 1.7, -0.4
    net = Network((Layer([[w]], [b], eps),))
    sim = BatchSimulator(compile_network(net))
    xs = np.linspace(0.0, 2.0, 41)[:, None]
    z = w * xs[:, 0] + b
    exact = np.array([one_neuron_trajectory(np.array([1e6]), 0.0, zi, eps)[0] for zi in z])
    for y0 in (0.0, 0.3, 1e6):
        assert _rel(sim.steady_states(xs, y0=[y0])[:, 0], exact) <= 1e-13
    t = np.array([0.5, 2.0])
    run = sim.integrate(xs[[5, 30]], t, y0=[0.0], h0=1e-6, max_steps=20000, strides=2000)
    for m, (i, tm) in enumerate(zip((5, 30), t)):
        assert run.state[m, 0] == pytest.approx(one_neuron_trajectory(np.array([tm]), 0.0, z[i], eps)[0], rel=1e-2)  # first order


def test_many_initial_states_converge_to_one_point(rng):
    net = signed_network(rng, (3, 6, 4, 2), [("smoothed_relu", {}), ("hardtanh", {"min_val": -1.0, "max_val": 1.0}),
                                              ("identity", {})])
    sim = BatchSimulator(compile_network(net))
    x = np.array([0.3, 1.2, -0.7])
    n = len(sim.species)
    starts = np.vstack([np.zeros(n), np.full(n, 1e6), np.full(n, 1e-12), rng.uniform(0, 10, (40, n)),
                        10.0 ** rng.uniform(-6, 6, (40, n))])
    got = sim.steady_states(np.tile(x, (len(starts), 1)), y0=starts)
    assert np.all(got > 0)
    assert np.max(np.abs(got - got[0]) / got[0]) <= 1e-13
    assert _rel(got[0], sim.steady_states(x)[0]) <= 1e-14


def test_large_batch_matches_forward_pass(rng):
    net = make_network(rng, (64, 20, 10), 0.01)
    sim = BatchSimulator(compile_network(net))
    xs = rng.uniform(0, 1, (2000, 64))
    assert _rel(sim.outputs(xs), net.forward(xs)) <= 1e-12


PATHS = ["dense", "general"]  # the BLAS path of quadratic rails (``_dense``), and the layer-polynomial one


def _simulator(net: Network, path: str) -> BatchSimulator:
    sim = BatchSimulator(compile_network(net))
    if path == "general":
        sim.__dict__["_dense"] = "forced off by the test"
    assert isinstance(sim._dense, DensePlan) == (path == "dense")
    return sim


def _one_member_wrong(sim: BatchSimulator, monkeypatch, member: int, factor: float) -> None:
    """Corrupt one member's last state after the fast path's roots, before the
    check (a batch of one chunk)."""
    system = sim.system
    fast = type(system)._solve_polynomial

    def corrupted(self, full, old, h, closed_form=True):
        ok = fast(self, full, old, h, closed_form)
        if closed_form and full.shape[0] > member:
            full[member, self.n - 1] *= factor
        return ok

    monkeypatch.setattr(type(system), "_solve_polynomial", corrupted)
    steps = _dense.steps
    calls = []

    def corrupted_steps(work):
        roots, check = steps(work)

        def wrong_roots(c1, const1, disc, two_c0, inv, y):
            roots(c1, const1, disc, two_c0, inv, y)
            calls.append(1)
            if len(calls) % len(sim._dense.layers) == 0 and y.shape[0] > member:  # the last layer
                y[member, -1] *= factor

        return wrong_roots, check

    monkeypatch.setattr(_dense, "steps", corrupted_steps)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("factor", [1 + 1e-6, 0.5, -1.0])
def test_check_catches_a_wrong_member_and_resolves_it(factor, path, rng, monkeypatch):
    """A member the fast path got wrong (slightly, badly, negative) fails the
    independent mass-action check, is re-solved the slow way and reported."""
    net = make_network(rng, (6, 8, 3), 0.01)
    sim = _simulator(net, path)
    xs = rng.uniform(0, 1, (20, 6))
    _one_member_wrong(sim, monkeypatch, 7, factor)
    solution = sim.solve(xs)
    assert solution.resolved.tolist() == [i == 7 for i in range(20)]
    assert not solution.failed.any() and solution.positive.all()  # of the states returned
    assert _rel(sim.readout(solution.states), net.forward(xs)) <= 1e-12  # the re-solved member too


@pytest.mark.parametrize("path", PATHS)
def test_check_catches_perturbed_fast_path_coefficients(path, rng):
    """Folded coefficients that disagree with the reactions (a wrong weight in
    the fast path only): every member is caught and re-solved from the reactions."""
    net = make_network(rng, (5, 7, 2), 0.02, zero_frac=0.0)
    sim = BatchSimulator(compile_network(net))
    poly = sim.system.polynomials[0]
    poly.coef[poly.powers.tolist().index(1), 0, 0] += 0.3  # input 0 -> neuron 0 of layer 1, before the plan is built
    if path == "general":
        sim.__dict__["_dense"] = "forced off by the test"
    else:
        assert sim._dense.layers[0].coef[0, 0] == poly.coef[1, 0, 0]  # the dense path folded the wrong weight in
    xs = rng.uniform(0.1, 1, (15, 5))
    solution = sim.solve(xs)
    assert solution.resolved.all() and not solution.failed.any()
    assert _rel(sim.readout(solution.states), net.forward(xs)) <= 1e-12


@pytest.mark.parametrize("numba", ["0", "1"])
def test_dense_path_with_a_wrong_rate_constant_fails_members(numba, rng, monkeypatch):
    """A rate constant the dense path read wrong (its copy of one weight
    reaction's coefficient) is caught on every member it touches by the check,
    which reads the CRN's own rate constants; with the slow way blocked too,
    those members are reported failed, the others pass. Compiled and numpy steps,
    on a batch of several chunks."""
    monkeypatch.setenv("CRN2SBML_NUMBA", numba)
    net = make_network(rng, (64, 20, 10), 0.01, zero_frac=0.0)
    sim = _simulator(net, "dense")
    layer = sim._dense.layers[0]
    layer.coef[3, 5] *= 1.001  # the weight of input 3 into neuron 5 of layer 1
    layer.stacked[3, 5] *= 1.001
    xs = rng.uniform(0, 1, (3 * sim._dense.rows + 7, 64))
    xs[::2, 3] = 0.0  # where input 3 is 0 the wrong weight changes nothing
    monkeypatch.setattr(type(sim.system), "polish", lambda self, state, inputs, k=None: (state * 2.0, None))
    solution = sim.solve(xs)
    assert solution.failed.tolist() == [i % 2 == 1 for i in range(len(xs))]
    assert np.all(np.isnan(solution.states[1::2]))
    assert _rel(sim.readout(solution.states[::2]), net.forward(xs[::2])) <= 1e-12


def test_dense_check_is_the_mass_action_residual(rng, monkeypatch):
    """The dense check, at states far from the fixed point: its max |dc/dt| is
    the per-reaction residual's, its scaled residual bounds the per-reaction one
    (exact gross flux) from above; numpy and compiled steps agree."""
    net = make_network(rng, (9, 12, 4), 0.01)
    sim = _simulator(net, "dense")
    xs = rng.uniform(0, 1, (300, 9))
    states = rng.uniform(0.01, 2, (300, len(sim.species)))
    full = sim.system._full(states, sim.input_species(xs))
    want, want_scaled = sim._mass_action._residual_numpy(full)
    for numba in ("0", "1"):
        monkeypatch.setenv("CRN2SBML_NUMBA", numba)
        roots, check = _dense.steps(1)

        layers = iter(sim._dense.layers)  # one chunk: each layer once, in order

        def given(c1, const1, disc, two_c0, inv, y):  # roots replaced by the prescribed states
            y[...] = states[:, next(layers).cols]

        monkeypatch.setattr(_dense, "steps", lambda work: (given, check))
        got, got_scaled, positive = sim._dense.solve(sim.input_species(xs), np.empty_like(states))
        monkeypatch.undo()
        assert positive.all() and np.allclose(got, want, rtol=1e-12)
        assert np.all(got_scaled >= want_scaled * (1 - 1e-12))


def test_dense_path_from_several_threads(rng, monkeypatch):
    """Each thread has its own buffers (and the compiled steps take no lock)."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("CRN2SBML_NUMBA", "1")
    net = make_network(rng, (16, 24, 5), 0.01)
    sim = _simulator(net, "dense")
    batches = [rng.uniform(0, 1, (int(n), 16)) for n in rng.integers(1, 3 * sim._dense.rows, 12)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(sim.outputs, batches))
    assert all(_rel(got, net.forward(x)) <= 1e-12 for got, x in zip(results, batches))


@pytest.mark.parametrize("path", PATHS)
def test_unresolvable_member_is_reported_failed(path, rng, monkeypatch):
    """If the slow way cannot fix a member either, it is failed with NaN states."""
    net = make_network(rng, (3, 4, 2), 0.01)
    sim = _simulator(net, path)
    xs = rng.uniform(0, 1, (5, 3))
    monkeypatch.setattr(type(sim.system), "polish", lambda self, state, inputs, k=None: (state * 2.0, None))
    _one_member_wrong(sim, monkeypatch, 2, 3.0)
    solution = sim.solve(xs)
    assert solution.failed.tolist() == [False, False, True, False, False]
    assert np.all(np.isnan(solution.states[2])) and np.all(np.isfinite(solution.states[[0, 1, 3, 4]]))


def test_residual_matches_numpy_evaluation(rng, monkeypatch):
    """The numba-compiled per-reaction residual (forced on for this small
    batch) and the chunked numpy one agree, and both equal the ODE right-hand side."""
    from crn2sbml.simulate import _residual

    monkeypatch.setenv(_residual.NUMBA_ENV, "1")
    assert _residual._numba_kernel(1) is not None  # numba is a dependency: the compiled path is the one tested
    net = signed_network(rng, (4, 5, 4, 2), [MIXED[6], MIXED[3], MIXED[2]])
    sim = BatchSimulator(compile_network(net))
    xs = np.column_stack([rng.uniform(-1, 1, 9), rng.uniform(0, 3, 9), rng.normal(size=9), rng.normal(size=9)])
    states = rng.uniform(0.1, 2, (9, len(sim.species)))  # far from the fixed point: large residuals
    full = sim.system._full(states, sim.input_species(xs))
    got, got_scaled = sim._mass_action.residual(full)
    want, want_scaled = sim._mass_action._residual_numpy(full)
    assert np.allclose(got, want, rtol=1e-12) and np.allclose(got_scaled, want_scaled, rtol=1e-12)
    assert np.allclose(got, np.max(np.abs(sim.system.rhs(states, sim.input_species(xs))), axis=1), rtol=1e-10)


THREADED_RESIDUAL = """
import sys
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import numba
from crn2sbml import BatchSimulator, compile_network, network_from_dict
rng = np.random.default_rng(0)
net = network_from_dict({"epsilon": 0.01, "layers": [{"weights": rng.normal(size=(6, 3)).tolist()},
                                                     {"weights": rng.normal(size=(2, 6)).tolist()}]})
sim = BatchSimulator(compile_network(net))
full = sim.system._full(rng.uniform(0.1, 2, (4000, len(sim.species))), sim.input_species(rng.uniform(0, 1, (4000, 3))))
want = sim._mass_action._residual_numpy(full)[0]
with ThreadPoolExecutor(4) as pool:
    results = list(pool.map(lambda _: sim._mass_action.residual(full)[0], range(16)))
assert all(np.allclose(r, want, rtol=1e-12) for r in results)
print(numba.threading_layer())
"""


def test_compiled_residual_from_several_threads_at_once():
    """numba's portable threading layer (workqueue, the one every platform has)
    aborts the process when two threads enter a parallel kernel together (a
    threaded sweep): the calls are serialized."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, CRN2SBML_NUMBA="1", NUMBA_THREADING_LAYER="workqueue")
    done = subprocess.run([sys.executable, "-c", THREADED_RESIDUAL], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0 and done.stdout.strip() == "workqueue", done.stderr[-2000:]


def test_bad_inputs_and_initial_states(rng):
    sim = BatchSimulator(compile_network(make_network(rng, (2, 3, 1), 0.01)))
    with pytest.raises(InputError, match=r"shape \(batch, 2\)"):
        sim.steady_states(np.zeros((4, 3)))
    with pytest.raises(InputError, match="negative"):
        sim.steady_states([[-1.0, 0.0]])
    with pytest.raises(InputError, match="non-negative"):
        sim.steady_states([[1.0, 0.0]], y0=[-1.0, 0.0, 0.0, 0.0])


def test_relax_integrates_to_the_same_fixed_point(rng):
    """Backward Euler on the coupled dynamics with doubling steps lands on the
    fixed point the root path finds, from 0 and from 1e6."""
    net = signed_network(rng, (3, 7, 5, 2), [("smoothed_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
                                              ("identity", {})])
    sim = BatchSimulator(compile_network(net))
    xs = np.column_stack([rng.uniform(-1, 1, 50), rng.uniform(0, 3, 50), rng.normal(size=50)])
    want = sim.steady_states(xs)
    for y0 in (0.0, 1e6):
        got, t = sim.relax(xs, y0=np.full(len(sim.species), y0))
        assert np.all(t > 0)
        assert _rel(got, want) <= 1e-10


def test_fast_integrator_matches_the_generic_mass_action_path(rng):
    """The layer-polynomial backward Euler (k = None) and the generic one on the
    reaction rates (explicit k) take the same steps to rounding."""
    net = make_network(rng, (4, 6, 3), 0.05)
    sim = BatchSimulator(compile_network(net))
    xs = rng.uniform(0, 1, (6, 4))
    system = sim.system
    y0 = np.zeros((6, system.n))
    fast = system.integrate(y0, sim.input_species(xs), 5.0)
    generic = system.integrate(y0, sim.input_species(xs), 5.0, k=system.k)
    assert np.allclose(fast.time, generic.time, rtol=1e-12)
    assert _rel(fast.state, generic.state) <= 1e-9


def test_refuses_a_crn_coupling_neurons_of_one_layer(rng):
    from dataclasses import replace

    from crn2sbml import NetworkError, Parameter, Reaction

    crn = compile_network(make_network(rng, (2, 3, 1), 0.01))
    a, b = [s.id for s in crn.floating if s.layer == 1][:2]
    extra = Reaction("R_couple", ((a, 1), (b, 1)), ((a, 1),), "k_couple")
    crn = replace(crn, parameters=crn.parameters + (Parameter("k_couple", 0.5, "extra", 1, 0),),
                  reactions=crn.reactions + (extra,))
    with pytest.raises(NetworkError, match="layer-diagonal"):
        BatchSimulator(crn)
