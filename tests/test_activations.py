"""Activations (issue 4): the polynomial family and its condition check, the
dual-rail family, signed inputs, and random networks mixing all of them,
checked against the activations' references and independent formulas."""

from __future__ import annotations

import json
import math

import antimony
import libsbml
import numpy as np
import pytest
import roadrunner
from hypothesis import given, settings
from hypothesis import strategies as st

from crn2sbml.simulate import find_steady_state
from crn2sbml import (
    InputError,
    Layer,
    Network,
    NetworkError,
    NumpySimulator,
    RoadRunnerSimulator,
    compile_network,
    get_activation,
    known_activations,
    network_from_crn,
    network_from_dict,
    read_sbml,
    to_antimony,
    to_sbml,
    to_text,
)
from crn2sbml.activations import smoothed_relu
from crn2sbml.cli import main
from crn2sbml.plots import GALLERY, main as plots_main, plot_activations
from test_formats import consistency

ACTIVATIONS = [
    *GALLERY,
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 1.7}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("polynomial", {"q": {"3": -1.0}}),
    ("polynomial", {"q": {"1": 0.5, "2": -0.25, "4": -2.0}}),
]
IDS = [f"{n}{''.join(f'-{k}' for k in p)}{i}" for i, (n, p) in enumerate(ACTIVATIONS)]
zs = st.floats(-4.0, 4.0, allow_nan=False)
epss = st.floats(1e-3, 0.3)
BOUNDED = settings(max_examples=25, deadline=None)


def one_unit(name: str, params: dict, eps: float) -> Network:
    """y = f(x) for a signed, unbounded input x (dual rail)."""
    return Network((Layer([[1.0]], [0.0], eps, name, params),), input_ranges=[(None, None)])


# --- registry and definitions ------------------------------------------------------
def test_registry_names_and_aliases():
    assert {"relu", "smoothed_relu", "identity", "linear", "leaky_relu", "hardtanh", "hardsigmoid", "abs",
            "polynomial"} <= set(known_activations())
    assert Layer([[1.0]], [0.0], 0.1, "linear").activation == "identity"
    assert Layer([[1.0]], [0.0], 0.1, "relu").activation == "smoothed_relu"
    assert Layer([[1.0]], [0.0], 0.1, "leaky_relu").activation_params == (("negative_slope", 0.01),)


@pytest.mark.parametrize("z", [-30.0, -1.0, 0.0, 0.3, 25.0])
def test_unsmoothed_counterparts_by_hand(z):
    eps = 0.04
    s = lambda v: (v + math.sqrt(v * v + 4 * eps)) / 2  # noqa: E731 - the textbook formula
    f = lambda n, **p: float(get_activation(n, p).reference(np.array(z), eps))  # noqa: E731
    assert f("identity") == pytest.approx(z, abs=1e-12)
    assert f("leaky_relu", negative_slope=0.1) == pytest.approx(s(z) - 0.1 * s(-z), rel=1e-9, abs=1e-12)
    assert f("hardtanh") == pytest.approx(s(z + 1) - s(z - 1) - 1, rel=1e-9, abs=1e-12)
    assert f("hardsigmoid") == pytest.approx(s(z / 6 + 0.5) - s(z / 6 - 0.5), rel=1e-9, abs=1e-12)
    assert f("abs") == pytest.approx(s(z) + s(-z), rel=1e-9)
    assert f("polynomial", q={"2": -1}) == pytest.approx(float(smoothed_relu(z, eps)), rel=1e-13)


@pytest.mark.parametrize(("name", "params"), ACTIVATIONS, ids=IDS)
@BOUNDED
@given(z=zs, eps=epss)
def test_derivative_matches_finite_differences(name, params, z, eps):
    fn = get_activation(name, params)
    h = 1e-5
    fd = (fn.reference(np.array(z + h), eps) - fn.reference(np.array(z - h), eps)) / (2 * h)
    assert float(fn.derivative(np.array(z), eps)) == pytest.approx(float(fd), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize(("name", "params"), ACTIVATIONS, ids=IDS)
@BOUNDED
@given(z=zs, eps=epss)
def test_distance_to_unsmoothed_within_stated_bound(name, params, z, eps):
    fn = get_activation(name, params)
    lo, hi = fn.gap_bound(eps)
    gap = float(fn.reference(np.array(z), eps) - fn.unsmoothed(np.array(z)))
    tol = 1e-12 * (1 + abs(z))
    assert lo - tol <= gap <= hi + tol
    if name in ("hardtanh", "hardsigmoid"):
        assert abs(gap) < math.sqrt(eps)
    if name == "leaky_relu":
        alpha = fn.negative_slope
        assert -alpha * math.sqrt(eps) - tol < gap < math.sqrt(eps) + tol


@pytest.mark.parametrize(("name", "params"), ACTIVATIONS, ids=IDS)
@settings(max_examples=12, deadline=None)
@given(z=zs, eps=epss)
def test_numpy_fixed_point_equals_reference(name, params, z, eps):
    net = one_unit(name, params, eps)
    ss = find_steady_state(NumpySimulator(compile_network(net, inputs=[z])), net)
    want = float(get_activation(name, params).reference(np.array(z), eps))
    assert float(ss.output_values[0]) == pytest.approx(want, rel=1e-8, abs=1e-9 * (1 + abs(z)))


@pytest.fixture(scope="module")
def loaded() -> dict[int, RoadRunnerSimulator]:
    """One loaded roadrunner model per activation (JIT compiling is the cost)."""
    return {}


@pytest.mark.parametrize("k", range(len(ACTIVATIONS)), ids=IDS)
@settings(max_examples=10, deadline=None)
@given(z=zs)
def test_roadrunner_fixed_point_equals_reference(loaded, k, z):
    """z is set through the model's signed (dual-rail) input."""
    name, params = ACTIVATIONS[k]
    net = one_unit(name, params, 0.02)
    if k not in loaded:
        loaded[k] = RoadRunnerSimulator(compile_network(net))
    sim = loaded[k]
    sim.set_inputs([z])
    ss = find_steady_state(sim, net)
    want = float(get_activation(name, params).reference(np.array(z), 0.02))
    assert float(ss.output_values[0]) == pytest.approx(want, rel=1e-8, abs=1e-9 * (1 + abs(z)))


# --- the polynomial family -----------------------------------------------------------
@pytest.mark.parametrize(
    ("q", "eps", "fragment"),
    [
        ({"3": 1.0}, 0.1, "leading term"),
        ({"1": -1.0}, 0.1, "degree >= 2"),
        ({"2": 1.0, "3": -1.0}, 0.01, "positive root"),
        ({"0": 1.0, "2": -1.0}, 0.1, "constant"),
        ({"x": -1.0}, 0.1, "power 'x'"),
        ({"2": "big"}, 0.1, "q.2"),
        ({}, 0.1, "'q'"),
    ],
)
def test_invalid_q_is_rejected_with_the_reason(q, eps, fragment):
    with pytest.raises(NetworkError, match="activation") as info:
        Layer([[1.0]], [0.0], eps, "polynomial", {"q": q})
    assert fragment in str(info.value)


def test_valid_q_gives_the_positive_root():
    fn = get_activation("polynomial", {"q": {"2": -0.5, "3": -1.0}})
    z = np.linspace(-8, 8, 101)
    y = fn.unit_reference(z, 0.05)
    assert np.all(y > 0)
    assert np.max(np.abs(z * y + 0.05 - 0.5 * y**2 - y**3)) < 1e-12 * np.max(1 + np.abs(z) * y)


@BOUNDED
@given(c1=st.floats(-2, 2), c2=st.floats(-2, 0), c3=st.floats(-2, -0.1), eps=epss, z=st.floats(-6, 6))
def test_polynomial_gap_to_eps_zero_limit(c1, c2, c3, eps, z):
    """0 < sigma - g0 <= sigma(-c1) when every c_k <= 0 for k >= 2 (h0 convex:
    the gap is largest at the kink z = -c1)."""
    fn = get_activation("polynomial", {"q": {"1": c1, "2": c2, "3": c3}})
    sigma = float(fn.reference(np.array(z), eps))
    g0 = float(fn.unsmoothed(np.array(z)))
    assert g0 >= 0
    if g0 > 0:  # g0 is a root of z + c1 + c2 y + c3 y^2
        assert abs(z + c1 + c2 * g0 + c3 * g0 * g0) < 1e-9 * (1 + abs(z) + abs(c1))
    assert 0 < sigma - g0 <= fn.gap_bound(eps)[1] * (1 + 1e-9)
    assert fn.gap_bound(eps)[1] == pytest.approx(float(fn.unit_reference(np.array(-c1), eps)))


def test_polynomial_reactions():
    net = Network((Layer([[1.0]], [0.5], 0.1, "polynomial", {"q": {"1": -0.25, "2": 0.5, "3": -2.0}}),))
    text = to_text(compile_network(net))
    assert "-> y0  [eps_L1_u0 = 0.1]" in text
    assert "y0 ->  [q1_L1_u0 = 0.25]" in text
    assert "2 y0 -> 3 y0  [q2_L1_u0 = 0.5]" in text
    assert "3 y0 -> 2 y0  [q3_L1_u0 = 2]" in text


# --- dual rails -----------------------------------------------------------------------
def test_rails_and_readout_in_every_format():
    net = Network((Layer([[2.0, -1.0]], [0.5], 0.01, "identity"),), inputs=("a", "b"), outputs=("y",))
    crn = compile_network(net, inputs=[1.0, 3.0])
    assert [s.id for s in crn.outputs] == ["y_pos", "y_neg"]
    assert crn.output_names == ("y",)
    assert "readout y := y_pos - y_neg" in to_text(crn)
    assert "y := y_pos - y_neg; y has concentration;" in to_antimony(crn)
    doc = libsbml.readSBMLFromString(to_sbml(crn))  # keep the document alive while using its rule
    rule = doc.getModel().getAssignmentRuleByVariable("y")
    assert libsbml.formulaToL3String(rule.getMath()) == "y_pos - y_neg"
    ss = find_steady_state(RoadRunnerSimulator(crn), net)
    assert ss.outputs == ("y",)
    assert ss.output_values[0] == pytest.approx(2.0 - 3.0 + 0.5, rel=1e-9)


def test_next_layer_reads_both_rails_and_the_offset():
    """hardtanh's readout y_lo - y_hi + min_val: weights W*a_r, bias b + W*min."""
    net = Network((Layer([[1.0]], [0.0], 0.01, "hardtanh", {"min_val": -2.0, "max_val": 1.0}),
                   Layer([[3.0]], [0.25], 0.01)))
    params = compile_network(net).parameter_index
    assert params["w_L2_u0_i0_lo"].value == 3.0 and params["w_L2_u0_i0_hi"].value == 3.0
    assert params["b_L2_u0"].value == pytest.approx(abs(0.25 + 3.0 * -2.0))


# --- signed inputs --------------------------------------------------------------------
def test_input_shift_folds_into_bias_and_dual_rail_doubles_species():
    net = Network((Layer([[2.0, 1.0, -1.0]], [0.5], 0.01),), input_ranges=[(-1.0, 1.0), (0.0, None), (None, None)])
    crn = compile_network(net, inputs=[-0.5, 2.0, -3.0])
    assert [(s.id, s.initial) for s in crn.inputs] == [("x0", 0.5), ("x1", 2.0), ("x2_pos", 0.0), ("x2_neg", 3.0)]
    assert crn.parameter_index["b_L1_u0"].value == pytest.approx(abs(0.5 + 2.0 * -1.0))
    assert crn.input_values.tolist() == [-0.5, 2.0, -3.0]
    assert crn.with_inputs([1.0, 0.0, 4.0]).input_values.tolist() == [1.0, 0.0, 4.0]
    ss = find_steady_state(NumpySimulator(crn), net)
    assert ss.output_values[0] == pytest.approx(float(smoothed_relu(2 * -0.5 + 2.0 + 3.0 + 0.5, 0.01)), rel=1e-9)


@pytest.mark.parametrize(
    ("ranges", "x", "fragment"),
    [
        ((), [-1.0], "declare \"input_ranges\""),
        ([(-1.0, 1.0)], [-2.0], "below its declared lower bound"),
        ([(-1.0, 1.0)], [1.5], "above its declared upper bound"),
    ],
)
def test_out_of_range_input_names_input_and_fix(ranges, x, fragment):
    net = Network((Layer([[1.0]], [0.0], 0.01),), inputs=("u",), input_ranges=ranges)
    for call in (net.forward, lambda v: compile_network(net).with_inputs(v)):
        with pytest.raises(InputError, match="'u'") as info:
            call(x)
        assert fragment in str(info.value)


def test_json_activation_objects_and_input_ranges_round_trip():
    data = {
        "epsilon": 0.01,
        "input_ranges": [[-1, 1], [0, None], [None, None]],
        "layers": [
            {"weights": [[1, 2, 3]], "activation": {"name": "leaky_relu", "negative_slope": 0.2}},
            {"weights": [[1]], "activation": {"name": "polynomial", "q": {"2": -0.5, "3": -1.0}}},
            {"weights": [[1]], "activation": "linear"},
        ],
    }
    net = network_from_dict(data)
    assert net.input_ranges == ((-1.0, 1.0), (0.0, None), (None, None))
    assert net.layers[1].activation == "polynomial"
    assert network_from_dict(json.loads(net.to_json())) == net
    assert net.to_dict()["layers"][2]["activation"] == "identity"


@pytest.mark.parametrize(
    ("activation", "fragments"),
    [
        ({"name": "leaky_relu", "slope": 0.1}, ["layers[0].activation", "'slope'", "negative_slope"]),
        ({"name": "leaky_relu", "negative_slope": "x"}, ["layers[0].activation", "negative_slope"]),
        ({"name": "hardtanh", "min_val": 1, "max_val": 0}, ["layers[0].activation", "min_val"]),
        ({"name": "tanh"}, ["layers[0].activation", "unknown activation 'tanh'"]),
        ({"negative_slope": 0.1}, ["layers[0].activation", "name"]),
        ({"name": "polynomial", "q": {"3": 2}}, ["layers[0].activation", "leading"]),
    ],
)
def test_bad_activation_is_one_line_error_and_nothing_written(tmp_path, capsys, activation, fragments):
    (tmp_path / "bad.json").write_text(json.dumps({"epsilon": 0.01, "layers": [{"weights": [[1]], "activation": activation}]}))
    code = main(["compile", str(tmp_path / "bad.json"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert all(f in err[0] for f in fragments), err[0]
    assert not (tmp_path / "out").exists()


def test_cli_negative_input_without_ranges_names_the_fix(tmp_path, capsys):
    (tmp_path / "n.json").write_text(json.dumps({"epsilon": 0.01, "layers": [{"weights": [[1]]}]}))
    code = main(["compile", str(tmp_path / "n.json"), "--input", "-1", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "'x0'" in err and "input_ranges" in err
    assert not (tmp_path / "out").exists()


# --- random networks mixing every activation -----------------------------------------------
def mixed_network(rng: np.random.Generator, depth: int = 4) -> Network:
    sizes = [3] + list(rng.integers(2, 4, size=depth - 1)) + [2]
    choices = [(n, p) for n, p in ACTIVATIONS]
    layers = []
    for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        name, params = choices[int(rng.integers(len(choices)))] if l else ("identity", {})
        w = rng.normal(size=(n_out, n_in)) / math.sqrt(n_in)
        layers.append(Layer(w, rng.normal(scale=0.3, size=n_out), float(rng.uniform(0.005, 0.05)), name, params))
    return Network(tuple(layers), input_ranges=[(-1.0, 1.0), (0.0, None), (None, None)])


def _rates(rr: roadrunner.RoadRunner, state: dict[str, float]) -> dict[str, float]:
    ids = list(rr.model.getFloatingSpeciesIds())
    rr.model.setFloatingSpeciesConcentrations(np.array([state[s] for s in ids]))
    return dict(zip(ids, rr.getRatesOfChange()))


@pytest.mark.parametrize("seed", range(4))
def test_random_mixed_networks(seed, tmp_path):
    rng = np.random.default_rng(seed)
    net = mixed_network(rng)
    used = {layer.activation for layer in net.layers}
    x = [float(rng.uniform(-1, 1)), float(rng.uniform(0, 2)), float(rng.normal(scale=2))]
    crn = compile_network(net, inputs=x, speed=1.5)
    sbml = to_sbml(crn)
    assert consistency(sbml) == []
    ss = find_steady_state(RoadRunnerSimulator(crn, sbml), net, rtol=1e-8)
    assert ss.max_rel_error <= 1e-8
    assert ss.output_values == pytest.approx(net.forward(x), rel=1e-8, abs=1e-9)
    assert find_steady_state(NumpySimulator(crn), net).output_values == pytest.approx(ss.output_values, rel=1e-8, abs=1e-9)
    back = read_sbml(sbml)
    assert network_from_crn(back) == net and back.reactions == crn.reactions and back.species == crn.species
    antimony.clearPreviousLoads()  # Antimony is global state
    assert antimony.loadAntimonyString(to_antimony(crn)) >= 0, antimony.getLastError()
    a, b = roadrunner.RoadRunner(antimony.getSBMLString(antimony.getMainModuleName())), roadrunner.RoadRunner(sbml)
    assert sorted(a.model.getFloatingSpeciesIds()) == sorted(b.model.getFloatingSpeciesIds())
    state = {s: float(v) for s, v in zip(b.model.getFloatingSpeciesIds(), rng.uniform(0, 2, 1000))}
    ra, rb = _rates(a, state), _rates(b, state)
    assert all(ra[s] == pytest.approx(rb[s], rel=1e-12, abs=1e-15) for s in rb)
    assert used  # every seed mixes activations; together they cover the registry


def test_random_networks_cover_every_activation():
    used = {layer.activation for seed in range(4) for layer in mixed_network(np.random.default_rng(seed)).layers}
    assert len(used) >= 5, used


# --- the plot --------------------------------------------------------------------------------
def test_activation_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = plot_activations(tmp_path / "act.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plots_main(["activations", str(tmp_path / "cli.png"), "--epsilon", "0.01"]) == 0
    assert (tmp_path / "cli.png").read_bytes()[:4] == b"\x89PNG"


def test_hand_edited_rail_rates_win_over_origins():
    net = Network((Layer([[1.5, -0.5]], [0.25], 0.01, "leaky_relu", {"negative_slope": 0.2}),),
                  input_ranges=[(-1.0, 1.0), (None, None)])
    sbml = to_sbml(compile_network(net))

    def edited(pid: str, value: float) -> Network:
        doc = libsbml.readSBMLFromString(sbml)
        doc.getModel().getParameter(pid).setValue(value)
        return network_from_crn(read_sbml(libsbml.writeSBMLToString(doc)))

    # rate = |s_r * W * a| = |-1 * W * 1| on the neg rail; the pos rail still says 1.5
    assert edited("w_L1_u0_neg_i0", 2.0).layers[0].weights[0].tolist() == [2.0, -0.5]
    # rate = |b + W m| on the pos rail (b + W m = 0.25 - 1.5 < 0: Y -> 0)
    assert edited("b_L1_u0_pos", 0.125).layers[0].bias[0] == pytest.approx(-0.125 + 1.5)
    assert network_from_crn(read_sbml(sbml)) == net


def test_cli_compiles_and_simulates_signed_network(tmp_path, capsys):
    spec = {"name": "signed", "epsilon": 0.01, "inputs": ["u", "v"], "outputs": ["out"],
            "input_ranges": [[-1, 1], [None, None]],
            "layers": [{"weights": [[1, -2], [0.5, 1]], "bias": [0.1, 0],
                        "activation": {"name": "leaky_relu", "negative_slope": 0.1}},
                       {"weights": [[1, -1]], "activation": "linear"}]}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    assert main(["compile", str(tmp_path / "s.json"), "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert main(["simulate", str(tmp_path / "b" / "signed.xml"), "--input", "-0.5,-2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    want = network_from_dict(spec).forward([-0.5, -2.0])[0]
    assert report["inputs"] == {"u": -0.5, "v": -2.0}
    assert report["steady_state"]["out"] == pytest.approx(want, rel=1e-8)
