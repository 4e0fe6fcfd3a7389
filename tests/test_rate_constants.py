"""Rate constants local to their kinetic laws (roadrunner loads them faster):
the same dynamics as named global parameters in roadrunner, overrides and
sensitivities still held to the closed-form one-neuron solution, the
compiled-model cache keeping the two apart, and `compile --rate-constants
local` reading back to the same network."""

from __future__ import annotations

import math

import libsbml
import numpy as np
import pytest

from crn2sbml import Layer, Network, compile_network, network_from_crn, to_sbml
from crn2sbml.cli import main
from crn2sbml.emit.sbml import stream_sbml
from crn2sbml.errors import InputError, OutputError
from crn2sbml.readback import read_model
from crn2sbml.simulate import find_steady_state
from crn2sbml.simulate import roadrunner as rr_module
from crn2sbml.simulate.roadrunner import RoadRunnerSimulator, model_text, rate_constants_for

from conftest import make_network, oracle_forward


def neuron(w: float = 1.5, b: float = -0.4, eps: float = 0.05) -> Network:
    return Network((Layer(np.array([[w]]), np.array([b]), eps),), inputs=("x",), outputs=("y",))


def sigma(z: float, eps: float) -> float:
    r = math.sqrt(z * z + 4 * eps)
    return (z + r) / 2 if z >= 0 else 2 * eps / (r - z)


def mixed(rng: np.random.Generator) -> Network:
    """Dual-rail units and signed inputs besides plain ones."""
    sizes, acts = (3, 5, 4, 2), [("smoothed_relu", {}), ("leaky_relu", {"negative_slope": 0.1}), ("identity", {})]
    layers = tuple(Layer(rng.normal(size=(o, i)), rng.normal(scale=0.3, size=o), 0.01, a, p)
                   for (i, o), (a, p) in zip(zip(sizes, sizes[1:]), acts))
    return Network(layers, input_ranges=((-1.0, 1.0), (0.0, None), (None, None)))


def _rate_ids(text: str) -> tuple[set[str], int]:
    """(global parameter ids, local parameter count) of an SBML text."""
    doc = libsbml.readSBMLFromString(text)  # kept referenced: the model belongs to it (freed with it)
    model = doc.getModel()
    local = sum(rx.getKineticLaw().getNumLocalParameters() for rx in model.getListOfReactions())
    return {p.getId() for p in model.getListOfParameters()}, local


def test_local_text_holds_every_rate_constant_in_its_law(rng):
    crn = compile_network(mixed(rng))
    globals_, local = _rate_ids(to_sbml(crn, rate_constants="local"))
    assert globals_ == {"kappa"} | {r.id for r in crn.readouts} and local == len(crn.reactions)
    globals_, local = _rate_ids(to_sbml(crn))
    assert {p.id for p in crn.parameters} <= globals_ and local == 0
    # streamed in chunks, byte for byte the whole document
    assert "".join(stream_sbml(crn, chunk=5, rate_constants="local")) == to_sbml(crn, rate_constants="local")
    with pytest.raises(OutputError, match="use one of global, local"):
        to_sbml(crn, rate_constants="inline")


def test_local_formulation_simulates_like_the_global_one(rng):
    net = mixed(rng)
    crn = compile_network(net)
    sims = [RoadRunnerSimulator(crn, rate_constants=f, cache=False) for f in ("global", "local")]
    rates = {p.id for p in crn.parameters}
    assert not rates & sims[1]._globals and rates <= sims[0]._globals  # roadrunner knows no local rate constant
    for x in ([0.3, 0.7, -1.5], [-0.9, 0.0, 2.0]):
        a, b = (s.time_course(5.0, 11, inputs=x) for s in sims)
        np.testing.assert_allclose(b.values, a.values, rtol=1e-12, atol=1e-300)
        got = [find_steady_state(s, net, inputs=x) for s in sims]
        np.testing.assert_allclose(got[1].values, got[0].values, rtol=1e-12)
        np.testing.assert_allclose(sims[1].default_steady_state(inputs=x), sims[0].default_steady_state(inputs=x),
                                   rtol=1e-12)
        state = rng.uniform(0.1, 2.0, len(crn.floating))
        np.testing.assert_allclose(sims[1].rates(state, inputs=x), sims[0].rates(state, inputs=x), rtol=1e-12,
                                   atol=1e-300)


def test_overrides_on_local_rate_constants_reach_the_closed_form():
    net = neuron()
    crn = compile_network(net)
    eps_id = next(p.id for p in crn.parameters if p.role == "eps")
    with RoadRunnerSimulator(crn, rate_constants="local", cache=False) as sim:
        ss = find_steady_state(sim, inputs=[2.0], parameters={eps_id: 0.2})
        assert ss.values[0] == pytest.approx(sigma(1.5 * 2.0 - 0.4, 0.2), rel=1e-9)
        assert find_steady_state(sim, net, inputs=[2.0]).values[0] == pytest.approx(sigma(2.6, 0.05), rel=1e-9)
        sim.set_inputs([0.5])  # the twin follows the default inputs
        assert sim.advance(40.0, parameters={eps_id: 0.2})[0] == pytest.approx(sigma(0.35, 0.2), rel=1e-7)
        with pytest.raises(InputError, match="unknown rate parameter 'nope'"):
            sim.advance(1.0, parameters={"nope": 1.0})


@pytest.mark.parametrize("formulation", ["global", "local"])
def test_sensitivities_are_the_closed_form_derivative(formulation):
    w, b, eps, x = 1.5, -0.4, 0.05, 0.5
    net = neuron(w, b, eps)
    crn = compile_network(net)
    weight = next(p.id for p in crn.parameters if p.role == "weight")
    bias = next(p.id for p in crn.parameters if p.role == "bias")
    with RoadRunnerSimulator(crn, rate_constants=formulation, cache=False) as sim:
        ss = find_steady_state(sim, net, inputs=[x])
        d = sim.sensitivities(ss.values, [weight, bias], inputs=[x])
    z = w * x + b
    slope = sigma(z, eps) / math.sqrt(z * z + 4 * eps)  # d sigma / dz
    # getuCC takes roadrunner's MCA step (1e-3); the implicit derivative only a finite-difference Jacobian
    tol = 1e-3 if formulation == "global" else 1e-6
    np.testing.assert_allclose(d[:, 0], [x * slope, -slope], rtol=tol)  # the bias reaction degrades y: dz/dk = -1


def test_cache_keeps_the_formulations_apart(rng, tmp_path):
    net = make_network(rng, (3, 4, 2), 0.01)
    x = [0.2, 0.5, 0.9]
    crn = compile_network(net, inputs=x)
    for formulation in ("global", "local", "local", "global"):  # the second pair loads from the cache
        sim = RoadRunnerSimulator(crn, rate_constants=formulation, cache=tmp_path)
        assert (crn.parameters[0].id in sim._globals) == (formulation == "global")
        out = [find_steady_state(sim, net)[s.id] for s in crn.outputs]
        np.testing.assert_allclose(out, oracle_forward(net, x), rtol=1e-8)
    assert len(list(tmp_path.glob("*.rrstate"))) == 2


def test_the_formulation_follows_the_size_and_the_given_text(rng, monkeypatch):
    crn = compile_network(make_network(rng, (3, 4, 2), 0.01))
    assert rate_constants_for(crn) == "global"  # small: named globals, as in the file
    monkeypatch.setattr(rr_module, "LOCAL_MIN_REACTIONS", 10)
    assert rate_constants_for(crn) == "local"
    assert _rate_ids(model_text(crn))[1] == len(crn.reactions)
    given = to_sbml(crn)
    assert model_text(crn, given) is given  # a file's text is loaded as given
    assert len(RoadRunnerSimulator(crn, given, cache=False)._globals) > 1


def test_compile_local_reads_back_to_the_network(rng, tmp_path, capsys):
    net = mixed(rng)
    path = tmp_path / "net.json"
    from crn2sbml import save_network

    save_network(net, path)
    assert main(["compile", str(path), "--out", str(tmp_path / "out"), "--formats", "sbml",
                 "--rate-constants", "local"]) == 0
    (sbml,) = (tmp_path / "out").glob("*.xml")
    assert _rate_ids(sbml.read_text())[1] > 0
    read = read_model(sbml)
    assert not (read.problems or read.unsupported or read.recorded)
    want = compile_network(net)
    assert sorted(read.crn.parameters, key=lambda p: p.id) == sorted(want.parameters, key=lambda p: p.id)
    assert read.crn.reactions == want.reactions
    back = network_from_crn(read.crn)
    for a, b in zip(back.layers, net.layers):
        np.testing.assert_array_equal(a.weights, b.weights)
        np.testing.assert_array_equal(a.bias, b.bias)
        assert (a.epsilon, a.activation, a.activation_params) == (b.epsilon, b.activation, b.activation_params)
    capsys.readouterr()
    assert main(["validate", str(sbml), "--quiet", "--checks", "sbml,structure,fixed_point"]) == 0, \
        capsys.readouterr().out


def test_written_files_hold_large_models_rate_constants_locally(rng, tmp_path):
    """write_model's default ("auto", compile's too): local rate constants from
    FILE_LOCAL_MIN_REACTIONS reactions, where roadrunner loads them fastest;
    named globals below (COPASI, sensitivities by name)."""
    from crn2sbml import Layer, Network, write_model
    from crn2sbml.emit.sbml import FILE_LOCAL_MIN_REACTIONS

    small = compile_network(Network((Layer(rng.normal(size=(3, 2)), np.zeros(3), 0.01),)))
    big = compile_network(Network((Layer(rng.normal(size=(70, 70)), np.zeros(70), 0.01),)))
    assert len(small.reactions) < FILE_LOCAL_MIN_REACTIONS <= len(big.reactions)
    for crn, local in ((small, False), (big, True)):
        sbml = write_model(crn, tmp_path / crn.name, ("sbml",))["sbml"].read_text()
        assert (_rate_ids(sbml)[1] > 0) == local
