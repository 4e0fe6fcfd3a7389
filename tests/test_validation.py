"""The validation suite: it passes the example models, and it catches broken
models with the right check and reason. Broken models are made here by
editing the emitted SBML with libsbml; oracles are independent of the code
under test (the exact one-neuron solution, a scalar forward pass, raw
roadrunner)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Callable

import libsbml
import numpy as np
import pytest

from conftest import oracle_forward
from crn2sbml import Layer, Network, NumpySimulator, RoadRunnerSimulator, compile_network, load_network, write_model
from crn2sbml.cli import main
from crn2sbml.errors import InputError, ModelReadError
from crn2sbml.validate import CHECKS, Options, ValidationReport, validate, write_report
from crn2sbml.simulate.batch import BatchSystem
from crn2sbml.validate.smoothness import analytic_gradient, reaction_signs
from crn2sbml.validate.speed import exact_settle_time

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
XOR_XML = MODELS / "xor" / "xor.xml"
XOR_JSON = MODELS / "xor.json"


def edited(tmp_path: Path, name: str, edit: Callable[[libsbml.Model], object], source: Path = XOR_XML) -> Path:
    doc = libsbml.readSBMLFromFile(str(source))
    edit(doc.getModel())
    path = tmp_path / f"{name}.xml"
    assert libsbml.writeSBMLToFile(doc, str(path))
    return path


def failing(report: ValidationReport) -> set[str]:
    return {c.name for c in report.failed}


# --- a good model -----------------------------------------------------------------

@pytest.fixture(scope="module")
def xor_report() -> ValidationReport:
    return validate(XOR_XML, XOR_JSON)


def test_xor_passes_every_check(xor_report):
    assert [c.name for c in xor_report.checks] == list(CHECKS)
    assert xor_report.passed, xor_report.summary()
    assert xor_report["sbml"].figures["warnings"] == 0
    assert xor_report["fixed_point"].figures["max_rel_error"] <= 1e-8
    assert xor_report["convergence"].figures["trajectories"] == 64
    assert "getuCC" in xor_report["smoothness"].figures["roadrunner_method"]


def test_report_files(xor_report, tmp_path):
    paths = write_report(xor_report, tmp_path / "report")
    data = json.loads(paths["json"].read_text())
    assert data["passed"] is True and [c["name"] for c in data["checks"]] == list(CHECKS)
    assert all("figures" in c and "reason" in c for c in data["checks"])
    page = paths["html"].read_text()
    # plots are inline (offline): trajectories, settling, gradients, sweep (output and derivative)
    assert page.count("data:image/png;base64,") == 5
    assert "http" not in page.replace(str(XOR_XML), "")


# --- broken models: the right check fails, for the right reason ------------------------

def test_missing_annihilation_grows_without_bound(tmp_path):
    path = edited(tmp_path, "no_ann", lambda m: m.removeReaction("R_ann_L1_u0"))
    report = validate(path)
    assert {"structure", "convergence", "fixed_point"} <= failing(report)
    assert "R_ann_L1_u0 of the construction is missing" in report["structure"].reason
    assert report["convergence"].reason.startswith("unbounded growth: h1_0")
    assert report["sbml"].passed


def test_changed_rate_constant_is_caught_against_the_reference(tmp_path):
    path = edited(tmp_path, "rate", lambda m: m.getParameter("w_L1_u0_i0").setValue(1.5))
    # by default the model is held to the network it was compiled from (its annotations) ...
    report = validate(path, checks=("structure", "fixed_point"))
    assert failing(report) == {"structure", "fixed_point"}
    assert "edited by hand since compile" in report["structure"].reason
    assert "w_L1_u0_i0: compiled 1.0, now 1.5" in report["structure"].reason
    assert report["structure"].figures["hand_edits"] == ["w_L1_u0_i0: compiled 1.0, now 1.5"]
    # ... with the edit accepted it is a consistent CRN for another network, and the report says so ...
    accepted = validate(path, checks=("structure", "fixed_point"), accept_edits=True)
    assert accepted.passed, accepted.summary()
    assert "1 hand edit(s) accepted: w_L1_u0_i0: compiled 1.0, now 1.5" in accepted["structure"].reason
    assert "edits accepted" in accepted.settings["reference"]
    # ... held to the original network it has the wrong rate and the wrong fixed point
    report = validate(path, XOR_JSON, checks=("structure", "fixed_point", "convergence"))
    assert failing(report) == {"structure", "fixed_point", "convergence"}
    assert "rate constant w_L1_u0_i0 is 1.5 in the model; the construction gives 1.0" in report["structure"].reason
    assert "does not check out" in report["fixed_point"].reason


def test_changed_annihilation_rate_is_caught_without_a_reference(tmp_path):
    # network_from_crn does not read 'ann' back, so only the structure check can see this
    path = edited(tmp_path, "ann", lambda m: m.getParameter("ann_L2_u0").setValue(2.0))
    report = validate(path, checks=("structure",))
    assert "ann_L2_u0: compiled 1.0, now 2.0" in report["structure"].reason
    accepted = validate(path, checks=("structure",), accept_edits=True)
    assert "rate constant ann_L2_u0 is 2.0" in accepted["structure"].reason


def test_model_that_reads_back_as_no_network(tmp_path):
    # one neuron's inflow differs from its layer's: no network has that, so without a
    # reference every simulation check is reported as not run (failed), not crashed
    path = edited(tmp_path, "eps", lambda m: m.getParameter("eps_L1_u0").setValue(0.002))
    compiled = validate(path, checks=("structure", "fixed_point"))  # held to the network it was compiled from
    assert "eps_L1_u0: compiled 0.001, now 0.002" in compiled["structure"].reason
    assert "does not check out" in compiled["fixed_point"].reason
    report = validate(path, accept_edits=True)
    assert "does not read back as a network" in report["structure"].reason
    assert all(c.reason.startswith("not run:") for c in report.checks if c.name not in ("sbml", "structure"))
    assert not report.passed and report["sbml"].passed
    held = validate(path, XOR_JSON, checks=("structure",))
    assert "rate constant eps_L1_u0 is 0.002" in held["structure"].reason


def test_reaction_consuming_an_input(tmp_path):
    path = edited(tmp_path, "consume", lambda m: m.getReaction("R_w_L1_u0_i0").removeProduct("x1"))
    report = validate(path, checks=("structure",))
    assert "reaction R_w_L1_u0_i0 changes input x1 by -1" in report["structure"].reason


def test_missing_inflow_fixed_point_at_zero_and_slow(tmp_path):
    path = edited(tmp_path, "no_inflow", lambda m: m.removeReaction("R_eps_L1_u0"))
    report = validate(path, XOR_JSON)
    assert {"structure", "fixed_point", "convergence", "speed"} <= failing(report)
    assert "R_eps_L1_u0 of the construction is missing" in report["structure"].reason
    # without inflow h1_0 decays towards 0 (the model starts above its fixed point): off by 100 %
    assert "does not check out (max relative error 1 against the forward pass" in report["fixed_point"].reason
    assert "h1_0 is 0 at" in report["convergence"].reason
    assert report["speed"].reason.startswith("layer 1 has not settled by t=")


def test_kinetic_law_that_is_not_mass_action(tmp_path):
    law = "cell * kappa * w_L1_u0_i0 * x1 * h1_0 / (1 + h1_0)"
    path = edited(tmp_path, "law", lambda m: m.getReaction("R_w_L1_u0_i0").getKineticLaw()
                  .setMath(libsbml.parseL3Formula(law)))
    report = validate(path, checks=("structure", "convergence"))
    assert report["structure"].reason.startswith("cannot be simulated as a mass-action CRN: reaction R_w_L1_u0_i0: "
                                                 f"the kinetic law '{law}' is not mass action")
    # the IR cannot carry the law, so simulating it would not be simulating the model: not run
    assert report["convergence"].reason.startswith("not run: the model cannot be simulated as a mass-action CRN")


def test_default_roadrunner_solver_is_wrong_where_the_checked_method_is_right(tmp_path):
    """The 4-8-8-3 network at input 0.5 with every neuron starting at 0:
    roadrunner's own steadyState() (NLEQ2 from the model's initial state)
    returns a fixed point with negative concentrations; the fixed-point check,
    which includes the range's midpoint, finds the positive one and says the
    start guarantees nothing. From the default start (above the fixed point)
    the same plain call is right on every sampled input."""
    net = load_network(MODELS / "random_4_8_8_3.json")
    x = np.full(net.n_inputs, 0.5)
    raw = RoadRunnerSimulator(compile_network(net, inputs=x, start="zero")).default_steady_state()
    assert raw.min() < 0
    assert RoadRunnerSimulator(compile_network(net, inputs=x)).default_steady_state().min() > 0
    default = validate(MODELS / "random_4_8_8_3.json", checks=("fixed_point",))["fixed_point"]
    assert default.passed and default.figures["roadrunner_default_solver"]["right"] == len(default.figures["inputs"])
    sbml = write_model(compile_network(net, start="zero"), tmp_path, ("sbml",))["sbml"]
    report = validate(sbml, network=net, checks=("fixed_point",))
    assert report.passed and "not above its fixed point" in report["fixed_point"].reason
    assert any(np.allclose(x, row) for row in report["fixed_point"].figures["inputs"])
    raw_record = report["fixed_point"].figures["roadrunner_default_solver"]
    midpoint = next(r for r in raw_record["runs"] if np.allclose(r["input"], x))
    assert midpoint["min_concentration"] < 0 and midpoint["max_rel_error"] > 1
    assert raw_record["right"] < raw_record["inputs"]


# --- the machinery against independent oracles -------------------------------------------

def test_batch_integrator_against_the_exact_one_neuron_solution():
    eps = 0.01
    net = Network((Layer(np.array([[1.0]]), np.array([-0.3]), eps),), inputs=("x",), outputs=("y",))
    system = BatchSystem(compile_network(net))
    xs = np.array([[0.0], [0.3], [1.0], [2.0]])
    y0 = np.array([[0.0], [1e-12], [1e3], [1e6]])
    run = system.integrate(y0, xs, 200.0, traced=(0,))
    polished, residual = system.polish(run.state, xs)
    assert np.all(residual < 1e-15)
    for m, (x, start) in enumerate(zip(xs[:, 0], y0[:, 0])):
        z = x - 0.3
        sigma = (z + math.sqrt(z * z + 4 * eps)) / 2
        assert run.state[m, 0] == pytest.approx(sigma, rel=1e-9)
        assert polished[m, 0] == pytest.approx(sigma, rel=1e-14)
        # backward Euler is first order (steps grow 25% a step): the path is only
        # roughly the exact one, but monotone towards sigma, as the exact one is
        t = run.trace_time[:, m]
        keep = np.isfinite(t) & (t > 0.05)
        path = run.trace[keep, m, 0]
        exact = np.array([_exact(tt, start, z, eps) for tt in t[keep]])
        assert np.allclose(path, exact, rtol=0.3)
        assert np.all(np.diff(path) * np.sign(sigma - start) >= 0)


def _exact(t: float, y0: float, z: float, eps: float) -> float:
    lam = math.sqrt(z * z + 4 * eps)
    a = (z + lam) / 2
    c = eps / a
    u = (y0 - a) / (y0 + c) * math.exp(-lam * t)
    return (a + c * u) / (1 - u)


def test_batch_integrator_flags_divergence():
    net = load_network(XOR_JSON)
    crn = compile_network(net)
    broken = type(crn)(crn.name, crn.species, crn.parameters,
                       tuple(r for r in crn.reactions if r.id != "R_ann_L1_u0"), crn.layers)
    system = BatchSystem(broken)
    run = system.integrate(np.zeros((2, system.n)), np.array([[1.0, 0.0], [0.0, 1.0]]), 100.0)
    assert run.diverged.tolist() == [True, False]


def test_analytic_gradient_against_finite_differences_of_a_scalar_forward_pass(rng):
    from conftest import make_network

    net = make_network(rng, (3, 4, 2), eps=0.02)
    crn = compile_network(net)
    x = np.array([0.2, 0.7, 0.4])
    signs = reaction_signs(crn)
    params = [p for p in crn.parameters if p.role in ("weight", "bias")]
    grad = analytic_gradient(net, x, params, [signs[p.id] for p in params])
    for row, p in enumerate(params):
        def out(value: float) -> np.ndarray:
            layers = list(net.layers)
            w, b = layers[p.layer - 1].weights.copy(), layers[p.layer - 1].bias.copy()
            if p.role == "weight":
                w[p.unit, p.source] = signs[p.id] * value
            else:
                b[p.unit] = signs[p.id] * value
            layers[p.layer - 1] = Layer(w, b, net.layers[p.layer - 1].epsilon)
            return np.array(oracle_forward(Network(tuple(layers)), x))
        h = 1e-6
        fd = (out(p.value + h) - out(p.value - h)) / (2 * h)
        assert np.allclose(grad[row], fd, rtol=1e-5, atol=1e-8), p.id
    # eps: every neuron of a layer shares it in the network, so the sum over a layer's eps parameters
    eps_params = [p for p in crn.parameters if p.role == "eps" and p.layer == 1]
    total = analytic_gradient(net, x, eps_params, [1] * len(eps_params)).sum(axis=0)
    bumped = [Layer(net.layers[0].weights, net.layers[0].bias, 0.02 + 1e-7), net.layers[1]]
    lowered = [Layer(net.layers[0].weights, net.layers[0].bias, 0.02 - 1e-7), net.layers[1]]
    fd = (np.array(oracle_forward(Network(tuple(bumped)), x))
          - np.array(oracle_forward(Network(tuple(lowered)), x))) / 2e-7
    assert np.allclose(total, fd, rtol=1e-5, atol=1e-9)


def test_exact_settle_time_matches_the_closed_form_solution():
    z, eps, tol = 0.2, 0.01, 1e-6
    t = exact_settle_time(z, eps, 1.0, tol)
    a = (z + math.sqrt(z * z + 4 * eps)) / 2
    assert abs(_exact(t, 0.0, z, eps) - a) == pytest.approx(tol * a, rel=1e-6)


# --- command line and suite ---------------------------------------------------------

def test_cli_validate_exit_codes(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["validate", str(XOR_XML), "--network", str(XOR_JSON), "--report", str(out), "--quiet"]) == 0
    assert (out / "report.json").is_file() and (out / "report.html").is_file()
    broken = edited(tmp_path, "no_inflow", lambda m: m.removeReaction("R_eps_L1_u0"))
    assert main(["validate", str(broken), "--quiet"]) == 1
    assert "FAIL structure" in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "missing.xml")]) == 2
    assert main(["validate", str(XOR_JSON), "--input-range", "1,0"]) == 2
    # xor declares no input_ranges: its inputs are concentrations
    assert main(["validate", str(XOR_JSON), "--input-range", "-1,1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "Traceback" not in err and "low < high" in err
    assert "declares no input_ranges" in err and "0 <= low < high" in err


def test_bad_usage_raises_narrow_errors(tmp_path):
    with pytest.raises(ModelReadError):
        validate(tmp_path / "nothing.xml")
    with pytest.raises(InputError):
        Options(input_range=(1.0, -1.0))
    with pytest.raises(InputError):  # a negative range needs declared input_ranges
        validate(XOR_JSON, options=Options(input_range=(-1.0, 1.0)))


# --- rails and signed inputs ----------------------------------------------------------

MIXED_RANGES = ((-1.0, 1.0), (None, None), (0.0, 2.0))
MIXED = {  # seed -> hidden activations; the output layer is identity (a signed output)
    7: (("leaky_relu", {"negative_slope": 0.1}), ("polynomial", {"q": {"2": -0.5, "3": -1.0}}), ("hardtanh", {})),
    8: (("hardsigmoid", {}), ("abs", {}), ("smoothed_relu", {})),
}


def mixed_network(seed: int, sizes=(3, 5, 4, 4, 2), eps: float = 0.01) -> Network:
    rng = np.random.default_rng(seed)
    acts = (*MIXED[seed], ("identity", {}))
    layers = []
    for (n_in, n_out), (name, params) in zip(zip(sizes, sizes[1:]), acts):
        w = rng.normal(size=(n_out, n_in)) / math.sqrt(n_in)
        w[rng.random(w.shape) < 0.2] = 0.0
        layers.append(Layer(w, rng.normal(scale=0.3, size=n_out), eps, name, params))
    return Network(tuple(layers), name=f"mixed{seed}", input_ranges=MIXED_RANGES)


@pytest.fixture(scope="module")
def mixed_files(tmp_path_factory) -> dict[int, Path]:
    from crn2sbml import save_network

    folder = tmp_path_factory.mktemp("mixed")
    return {seed: save_network(mixed_network(seed), folder / f"mixed{seed}.json") for seed in MIXED}


@pytest.mark.parametrize("seed", sorted(MIXED))
def test_mixed_activation_networks_with_signed_inputs_pass(mixed_files, seed):
    report = validate(mixed_files[seed])
    assert report.passed, report.summary()
    net = mixed_network(seed)
    assert {layer.activation for layer in net.layers} >= {a for a, _ in MIXED[seed]} | {"identity"}
    # sampled inputs are network-level and signed: declared ranges, [-1, 1] for the unbounded one
    assert report.settings["input_sampling_ranges"] == {"x0": [-1.0, 1.0], "x1": [-1.0, 1.0], "x2": [0.0, 2.0]}
    xs = np.array(report["fixed_point"].figures["inputs"])
    assert xs.shape == (6, 3) and xs[:, :2].min() == -1.0 and xs[:, 2].max() == 2.0
    smooth = report["smoothness"].figures
    assert smooth["max_disagreement_implicit"] <= 1e-8
    # every rate constant's kind is differentiated: weights on rails, biases, eps and q terms
    roles = {p.role for p in compile_network(net).parameters if p.id in smooth["parameters"]}
    assert {"weight", "bias", "eps"} <= roles
    assert report["convergence"].figures["max_output_rel_error"] <= 1e-8


def test_mixed_network_cli_exit_0_with_input_range(mixed_files):
    # --input-range sets the unbounded input's range; declared finite bounds stay
    assert main(["validate", str(mixed_files[8]), "--input-range", "-2,3", "--quiet"]) == 0


def test_sampling_ranges():
    crn = compile_network(Network(mixed_network(7).layers, input_ranges=((-1.0, 1.0), (None, None), (0.5, None))))
    assert Options().sampling_ranges(crn).tolist() == [[-1, 1], [-1, 1], [0.5, 1]]
    assert Options(input_range=(-3, 0)).sampling_ranges(crn).tolist() == [[-1, 1], [-3, 0], [0.5, 3.5]]
    plain = compile_network(load_network(XOR_JSON))
    assert Options().sampling_ranges(plain).tolist() == [[0, 1], [0, 1]]
    assert Options(input_range=(0, 5)).inputs(plain, 3, salt=0).tolist() == [[0, 0], [5, 5], [2.5, 2.5]]


def test_chain_rule_through_rails_equals_the_implicit_function_theorem():
    """Two derivations of d(output)/d(rate) for every rate constant of a mixed
    network: the chain rule through each rail (activations' unit_derivative,
    per-rail lambda) and J dy = -dF/dk on the CRN at its fixed point."""
    from crn2sbml.compile import expected_state

    net = mixed_network(7)
    x = np.array([-0.4, 0.7, 1.3])
    crn = compile_network(net, inputs=x)
    signs = reaction_signs(crn)
    params = [p for p in crn.parameters if p.id in signs]
    assert {p.role for p in params} == {"weight", "bias", "eps", "q2", "q3", "ann"}
    state = expected_state(crn, net)
    floating = [k for k, s in enumerate(crn.species) if not s.boundary]
    dy = NumpySimulator(crn).sensitivities(state[floating], [p.id for p in params])
    last = len(crn.layers)
    col = {s.id: i for i, s in enumerate(crn.floating)}
    readout = np.zeros((net.n_outputs, len(col)))
    for u in range(net.n_outputs):
        for sid, a in crn.readout(last, u).terms:
            readout[u, col[sid]] = a
    chain = analytic_gradient(net, x, params, [signs[p.id] for p in params])
    assert np.allclose(chain, dy @ readout.T, rtol=1e-9, atol=1e-12 * np.abs(chain).max())
    # a network weight feeds several rail rates k = |s_r W a_r'| (dk/dW = k/W); layer 1 (leaky
    # ReLU) has no readout offset, so d out/d W = sum of d out/dk * k/W, against the forward pass
    w = next(p for p in params if p.role == "weight" and p.layer == 2)
    rails = [p for p in params if p.role == "weight" and (p.layer, p.unit, p.source) == (w.layer, w.unit, w.source)]
    assert len(rails) == 2  # the source unit's two rails
    W = float(net.layers[1].weights[w.unit, w.source])
    total = sum(chain[params.index(p)] * p.value / W for p in rails)

    def out(value: float) -> np.ndarray:
        layers = list(net.layers)
        old = layers[1]
        m = old.weights.copy()
        m[w.unit, w.source] = value
        layers[1] = Layer(m, old.bias, old.epsilon, old.activation, old.activation_params)
        return Network(tuple(layers), input_ranges=MIXED_RANGES).forward(x)

    h = 1e-6
    fd = (out(W + h) - out(W - h)) / (2 * h)
    assert np.allclose(total, fd, rtol=1e-5, atol=1e-9)


def test_edited_rail_rate_is_caught(tmp_path, mixed_files):
    from crn2sbml import write_model

    net = mixed_network(8)
    sbml = write_model(compile_network(net), tmp_path / "m8", ("sbml",))["sbml"]
    pid = next(p.id for p in compile_network(net).parameters if p.role == "weight" and p.id.endswith("_neg"))
    path = edited(tmp_path, "rail", lambda m: m.getParameter(pid).setValue(m.getParameter(pid).getValue() * 1.5),
                  source=Path(sbml))
    report = validate(path, mixed_files[8], checks=("structure", "fixed_point"))
    assert failing(report) == {"structure", "fixed_point"}
    assert f"rate constant {pid} is" in report["structure"].reason


def test_polynomial_settling_bound_is_exact_escape_time(tmp_path):
    """For q other than eps - y^2 the smoothed-ReLU settling formula is not a
    bound (a 3-4-4-2 polynomial network settled in 9.33 against 8.81). The
    bound now includes each rail's exact escape time from 0, checked here
    against the quadratic's closed form and quadrature, and the speed check
    passes on that network."""
    from scipy.integrate import quad

    from crn2sbml.activations import get_activation
    from crn2sbml.theory import escape_time

    tol = 1e-6
    quadratic = get_activation("smoothed_relu")
    for z in (-1.0, 0.0, 0.3):
        a = quadratic.unit_reference(np.array([z]), 0.01)
        got = escape_time(np.array([z]), a, quadratic.q_terms(0.01), tol)[0]
        assert got == pytest.approx(exact_settle_time(z, 0.01, 1.0, tol), rel=1e-9)
    fn = get_activation("polynomial", {"q": {"1": 0.5, "3": -2.0}})
    terms = fn.q_terms(0.001)
    for z in (-0.5, 1.0):
        a = float(fn.unit_reference(np.array(z), 0.001))
        f = lambda y: z * y + sum(t.coefficient * y ** t.power for t in terms)  # noqa: E731
        ref = quad(lambda y: 1 / f(y), 0, a * (1 - tol), limit=500, points=[a / 2, 0.9 * a, 0.99 * a])[0]
        assert escape_time(np.array([z]), np.array([a]), terms, tol)[0] == pytest.approx(ref, rel=1e-8)

    rng = np.random.default_rng(8)
    qs = [{"2": -0.5, "3": -1.0}, {"3": -1.0}, {"2": -1.0, "4": -0.2}, {"1": 0.5, "3": -2.0}, {"2": 1.0, "3": -1.0}]
    layers = []
    for n_in, n_out in ((3, 4), (4, 4), (4, 2)):
        w = rng.normal(size=(n_out, n_in)) / np.sqrt(n_in) * 1.5
        q = qs[rng.integers(len(qs))]
        layers.append(Layer(w, rng.normal(scale=0.3, size=n_out), 0.1, "polynomial", {"q": q}))
    from crn2sbml import save_network

    path = save_network(Network(tuple(layers), name="poly"), tmp_path / "poly.json")
    report = validate(path, checks=("speed",))
    assert report.passed, report.summary()


def test_reference_with_other_input_ranges_is_caught(mixed_files):
    net = mixed_network(8)
    other = Network(net.layers, name=net.name, input_ranges=((-2.0, 2.0), (None, None), (0.0, 2.0)))
    report = validate(mixed_files[8], other, checks=("structure",))
    assert "input ranges are" in report["structure"].reason
    # narrower reference ranges: the sampled inputs fall outside them, a failed check, not a crash
    narrow = Network(net.layers, name=net.name, input_ranges=((-0.5, 0.5), (None, None), (0.0, 2.0)))
    report = validate(mixed_files[8], narrow, checks=("fixed_point",))
    assert not report.passed and "below its declared lower bound" in report["fixed_point"].reason


@pytest.mark.parametrize("field,value", [("fixed_point_inputs", 0), ("sweep_states", -3), ("sweep_inputs", 2.5),
                                         ("rtol", 0.0), ("settle_tol", float("nan"))])
def test_sample_count_or_tolerance_out_of_range_is_an_input_error(field, value):
    with pytest.raises(InputError, match=f"validation option {field} is"):
        Options(**{field: value})


def test_negated_readout_fails_the_structure_check(tmp_path):
    """A readout rule negated by hand (class_0 = neg - pos) used to pass every
    check: the simulation checks compare rails, not the readouts."""
    source = MODELS / "digits" / "digits.xml"

    def negate(m: libsbml.Model) -> None:
        rule = m.getRule("class_0")
        rule.setMath(libsbml.parseL3Formula("class_0_neg - class_0_pos"))

    path = edited(tmp_path, "negated", negate, source)
    report = validate(path, MODELS / "digits" / "digits.json", checks=("structure",))
    assert not report.passed
    reason = report["structure"].reason
    assert reason.startswith("a readout is not the construction's: readout class_0 is 'class_0_neg - class_0_pos'")
    assert validate(source, MODELS / "digits" / "digits.json", checks=("structure",)).passed


def test_smoothness_of_a_rate_constant_of_1e_17(tmp_path):
    """A weight of 1e-17 (as imported networks carry): a central step of at
    most k/2 moved the output by less than rounding, so finite differences gave
    0 against a chain-rule derivative near 1 and the check failed a smooth model."""
    net = {"name": "tiny", "epsilon": 0.05, "inputs": ["a", "b"], "outputs": ["o"],
           "layers": [{"weights": [[1e-17, 0.8], [0.6, -0.4]], "bias": [0.1, 0.2]},
                      {"weights": [[1.0, 0.7]], "bias": [0.0]}]}
    (tmp_path / "tiny.json").write_text(json.dumps(net))
    report = validate(tmp_path / "tiny.json", checks=("smoothness",))
    figures = report["smoothness"].figures
    k = figures["parameters"].index(next(p for p in figures["parameters"] if p.startswith("w_L1_u0_i0")))
    assert abs(np.asarray(figures["analytic"])[k]).max() > 0.1  # a derivative finite differences must see
    assert report.passed, report["smoothness"].reason
