"""One conformance suite over every registered backend (``BACKENDS``): a
backend is tested by being registered. Oracles are independent of the
backends: the exact one-neuron solution, a forward pass written from the
formula (conftest.oracle_forward), and mass-action rates evaluated here
reaction by reaction from the IR."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest

from crn2sbml import Layer, Network, compile_network, load_network
from crn2sbml.errors import InputError, SimulationError, SteadyStateError, UnsupportedError
from crn2sbml.reference import Reference
from crn2sbml.simulate import BACKENDS, Capability, Simulator, find_steady_state, get_simulator
from crn2sbml.simulate.base import SimulatorBase
from crn2sbml.theory import one_neuron_trajectory

from conftest import oracle_forward

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
NAMES = sorted(BACKENDS)


def has(name: str, capability: Capability) -> bool:
    return capability in BACKENDS[name].capabilities


def neuron(w: float = 1.5, b: float = -0.4, eps: float = 0.05) -> Network:
    return Network((Layer(np.array([[w]]), np.array([b]), eps),), inputs=("x",), outputs=("y",))


def sigma(z: float, eps: float) -> float:
    r = math.sqrt(z * z + 4 * eps)
    return (z + r) / 2 if z >= 0 else 2 * eps / (r - z)


def mass_action_rates(crn, state: np.ndarray, inputs) -> np.ndarray:
    """dc/dt written from the definition, one reaction at a time."""
    enc = crn.with_inputs(inputs)
    conc = {s.id: s.initial for s in enc.inputs} | dict(zip((s.id for s in crn.floating), state))
    out = dict.fromkeys((s.id for s in crn.floating), 0.0)
    for r in crn.reactions:
        rate = crn.speed * crn.parameter_index[r.rate].value
        for s, n in r.reactants:
            rate *= conc[s] ** n
        for s in out:
            out[s] += r.net_change(s) * rate
    return np.array(list(out.values()))


@pytest.fixture(scope="module")
def xor():
    net = load_network(ROOT / "models" / "xor.json")
    return net, compile_network(net)


@pytest.fixture(scope="module", params=NAMES)
def backend(request, xor):
    net, crn = xor
    sim = get_simulator(request.param, crn)
    yield request.param, sim
    sim.close()


def test_backend_declares_the_protocol(backend, xor):
    name, sim = backend
    assert isinstance(sim, Simulator)
    assert sim.name == name
    assert isinstance(sim.capabilities, frozenset) and all(isinstance(c, Capability) for c in sim.capabilities)
    assert Capability.STEADY_STATE in sim.capabilities
    assert sim.species == tuple(s.id for s in xor[1].floating)


@pytest.mark.parametrize("x", [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.3, 0.8)])
def test_steady_state_is_the_forward_pass(backend, xor, x):
    name, sim = backend
    net, _ = xor
    ss = find_steady_state(sim, net, inputs=x)
    assert ss.checked_against_network and ss.backend == name
    np.testing.assert_allclose(ss.output_values, oracle_forward(net, x), rtol=1e-8)
    assert np.all(ss.values > 0)


def test_calls_leave_nothing_behind(backend, xor):
    """Inputs, rate overrides and initial states last for one call: the same
    call gives the same answer before and after other calls."""
    name, sim = backend
    net, crn = xor
    eps = next(p.id for p in crn.parameters if p.role == "eps")
    before = sim.advance(3.0, inputs=(1.0, 0.0))
    sim.advance(3.0, inputs=(0.0, 1.0), y0=np.full(len(sim.species), 7.0), parameters={eps: 0.5})
    with contextlib.suppress(SimulationError):  # Newton far from the fixed point may fail; it must leave nothing
        sim.polish(before, inputs=(0.2, 0.2), parameters={eps: 0.3})
    np.testing.assert_allclose(sim.advance(3.0, inputs=(1.0, 0.0)), before, rtol=1e-12)
    assert find_steady_state(sim, net, inputs=(1.0, 0.0)).output_values == pytest.approx(oracle_forward(net, (1.0, 0.0)),
                                                                                      rel=1e-8)


def test_rates_are_mass_action(backend, xor, rng):
    name, sim = backend
    _, crn = xor
    state = rng.uniform(0.1, 2.0, len(sim.species))
    x = (0.7, 0.2)
    np.testing.assert_allclose(sim.rates(state, inputs=x), mass_action_rates(crn, state, x), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_rate_override_moves_the_fixed_point_to_the_closed_form(name):
    net = neuron()
    crn = compile_network(net)
    eps_id = next(p.id for p in crn.parameters if p.role == "eps")
    with get_simulator(name, crn) as sim:
        ss = find_steady_state(sim, inputs=[2.0], parameters={eps_id: 0.2})
        assert not ss.checked_against_network  # an override changes the network: checked without it
        assert ss.values[0] == pytest.approx(sigma(1.5 * 2.0 - 0.4, 0.2), rel=1e-9)
        # ... and the override is gone afterwards
        assert find_steady_state(sim, net, inputs=[2.0]).values[0] == pytest.approx(sigma(2.6, 0.05), rel=1e-9)


@pytest.mark.parametrize("name", [n for n in NAMES if has(n, Capability.TIME_COURSE)])
@pytest.mark.parametrize("y0", [0.0, 0.3, 40.0])
def test_time_course_is_the_exact_one_neuron_solution(name, y0):
    w, b, eps, x = 1.5, -0.4, 0.05, 0.5
    crn = compile_network(neuron(w, b, eps))
    with get_simulator(name, crn) as sim:
        tc = sim.time_course(8.0, 33, y0=np.array([y0]), inputs=[x])
    np.testing.assert_allclose(tc["y"], one_neuron_trajectory(tc.time, y0, w * x + b, eps), rtol=1e-6, atol=1e-12)


def test_a_backend_without_time_courses_says_so():
    """Every registered backend has time courses today; one that lacks the
    capability inherits a refusal that names what it can do."""

    class SteadyOnly(SimulatorBase):
        name = "steady-only"
        capabilities = frozenset({Capability.STEADY_STATE})

    with pytest.raises(UnsupportedError, match="steady-only simulator does not compute time courses.*steady_state"):
        SteadyOnly(compile_network(neuron())).time_course(1.0, 3)


@pytest.mark.parametrize("name", [n for n in NAMES if has(n, Capability.SENSITIVITIES)])
def test_sensitivities_are_the_closed_form_derivative(name):
    """dy/dk for a lone neuron at its fixed point: d sigma/dz * dz/dk with
    sigma' = sigma/sqrt(z^2 + 4 eps); the weight reaction's k multiplies x."""
    w, b, eps, x = 1.5, -0.4, 0.05, 0.5
    net = neuron(w, b, eps)
    crn = compile_network(net)
    weight = next(p.id for p in crn.parameters if p.role == "weight")
    with get_simulator(name, crn) as sim:
        ss = find_steady_state(sim, net, inputs=[x])
        d = sim.sensitivities(ss.values, [weight], inputs=[x])
    z = w * x + b
    want = x * sigma(z, eps) / math.sqrt(z * z + 4 * eps)
    assert d.shape == (1, 1)
    assert d[0, 0] == pytest.approx(want, rel=1e-3 if name == "roadrunner" else 1e-9)  # getuCC: roadrunner's MCA step


@pytest.mark.parametrize("name", NAMES)
def test_bad_arguments_are_input_errors(name):
    with get_simulator(name, compile_network(neuron())) as sim:
        with pytest.raises(InputError, match="unknown rate parameter 'nope'"):
            sim.advance(1.0, parameters={"nope": 1.0})
        with pytest.raises(InputError, match="finite number >= 0"):
            sim.advance(1.0, parameters={sim.crn.parameters[0].id: -1.0})
        with pytest.raises(InputError, match="non-negative"):
            sim.advance(1.0, y0=np.array([-1.0]))
        with pytest.raises(InputError, match="takes 1 values"):
            sim.advance(1.0, inputs=[1.0, 2.0])


@pytest.mark.parametrize("name", NAMES)
def test_a_wrong_network_is_never_accepted(name):
    """The acceptance check holds every backend to the forward pass: a
    reference network with another bias is refused."""
    net = neuron()
    wrong = neuron(b=0.4)
    with get_simulator(name, compile_network(net)) as sim:
        with pytest.raises(SteadyStateError, match="does not check out"):
            find_steady_state(sim, Reference(wrong, sim.crn), inputs=[1.0], retries=0)
