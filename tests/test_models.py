"""models/: the checked-in generated files are what the compiler produces
now, and every example model's checked steady state equals its forward pass."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import oracle_forward
from crn2sbml.simulate import find_steady_state
from crn2sbml import RoadRunnerSimulator, load_network, network_from_crn, read_sbml

MODELS = Path(__file__).resolve().parent.parent / "models"
EXAMPLES = sorted(p.stem for p in MODELS.glob("*.json"))


def _regenerate_module():
    spec = importlib.util.spec_from_file_location("regenerate", MODELS / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_examples_present():
    assert {"xor", "random_4_8_8_3", "random_64_20_10"} <= set(EXAMPLES)


def test_checked_in_files_match_the_compiler(tmp_path):
    module = _regenerate_module()
    for p in MODELS.glob("*.json"):
        if p.stem not in module.RANDOM_EXAMPLES:
            shutil.copy(p, tmp_path / p.name)  # hand-written networks are sources
    for name in module.TRAINED:  # so are trained ones, in their own folder
        (tmp_path / name).mkdir()
        shutil.copy(MODELS / name / f"{name}.json", tmp_path / name / f"{name}.json")
    written = module.regenerate(tmp_path)
    assert written
    stale = []
    for new in written:
        old = MODELS / new.relative_to(tmp_path)
        if not old.is_file() or old.read_bytes() != new.read_bytes():
            stale.append(str(old.relative_to(MODELS.parent)))
    assert not stale, f"out of date, run `python models/regenerate.py`: {stale}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_sbml_reaches_the_forward_pass(name):
    net = load_network(MODELS / f"{name}.json")
    sbml_path = MODELS / name / f"{name}.xml"
    crn = read_sbml(sbml_path)
    assert network_from_crn(crn) == net
    rng = np.random.default_rng(7)
    sim = RoadRunnerSimulator(crn, sbml_path.read_text())
    for _ in range(3):
        x = rng.uniform(0, 1, net.n_inputs)
        sim.set_inputs(x)
        ss = find_steady_state(sim, net)
        assert np.allclose(ss.output_values, oracle_forward(net, x), rtol=1e-8, atol=0)


def test_xor_computes_xor():
    net = load_network(MODELS / "xor.json")
    sim = RoadRunnerSimulator(read_sbml(MODELS / "xor" / "xor.xml"))
    for x1 in (0, 1):
        for x2 in (0, 1):
            sim.set_inputs([x1, x2])
            y = find_steady_state(sim, net).output_values[0]
            assert (y > 0.5) == (x1 != x2)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_sbml_is_consistent(name):
    from test_formats import consistency

    assert consistency((MODELS / name / f"{name}.xml").read_text()) == []


def test_trained_digits_model():
    """models/digits: the sigma_eps-trained 64-20-10 network. Its SBML reads
    back to the JSON exactly, its CRN dynamics (batch integrator) reach the
    forward pass on real test images, and roadrunner agrees on a few. Its
    activations are not all smoothed ReLU (identity output), so the check is
    against net.forward, itself tested against oracle_forward elsewhere."""
    import sklearn  # noqa: F401  (a test dependency)
    from sklearn.datasets import load_digits

    from crn2sbml.experiments import crn_outputs

    net = load_network(MODELS / "digits" / "digits.json")
    assert net.sizes == (64, 20, 10) and net.layers[-1].activation == "identity"
    sbml_path = MODELS / "digits" / "digits.xml"
    crn = read_sbml(sbml_path)
    assert network_from_crn(crn) == net
    x, y = load_digits(return_X_y=True)
    sample = x[::60]
    sim = crn_outputs(net, crn, sample)
    assert sim["stalled"] == 0 and sim["diverged"] == 0
    assert np.allclose(sim["outputs"], net.forward(sample), rtol=1e-6, atol=1e-7)
    assert np.mean(np.argmax(net.forward(x), axis=1) == y) > 0.95
    rr = RoadRunnerSimulator(crn, sbml_path.read_text())
    for xi in sample[:3]:
        rr.set_inputs(xi)
        ss = find_steady_state(rr, net)
        assert np.allclose(ss.output_values, net.forward(xi), rtol=1e-8, atol=1e-10)
