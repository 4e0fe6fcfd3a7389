"""The COPASI backend against two independent references: the network's numpy
forward pass (steady state) and libRoadRunner (time courses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import COPASI  # noqa: F401  (a test dependency: fail, never skip, without it)

from crn2sbml.simulate import find_steady_state
import crn2sbml
from crn2sbml import Layer, Network, SteadyStateError, compile_network
from crn2sbml.simulate.copasi_backend import CopasiSimulator

# Newton from a state already within 1e-6 of a hyperbolic fixed point converges
# quadratically to rounding level (at most 1e-14 observed on these cases).
# 1e-10 (tighter than the project's default 1e-8) leaves four decades for
# platform differences while a skipped or stalled Newton step (error ~1e-6,
# the presimulation tolerance) or a wrong rate constant fails by far.
SS_RTOL = 1e-10
# Both integrators run at rtol 1e-10 (COPASI LSODA, roadrunner CVODE); their
# difference is at most 4e-9 observed. Loosening COPASI to rtol 1e-6 gives
# 1.6e-6, which fails.
TC_RTOL = 1e-6
TC_ATOL = 1e-12  # only for values that are exactly 0 at t = 0

CASES = [  # (layer sizes, epsilon, seed)
    ((2, 3, 1), 0.05, 0),
    ((2, 3, 1), 1e-3, 1),
    ((3, 5, 4, 2), 0.05, 2),
    ((3, 5, 4, 2), 1.0, 3),
    ((3, 5, 4, 2), 1e-3, 4),
]

ROOT = Path(__file__).resolve().parents[1]


def random_network(sizes: tuple[int, ...], eps: float, seed: int) -> tuple[Network, np.ndarray]:
    """Mixed-sign weights with about a quarter of them zero (no reaction), and
    a non-negative input."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        w = rng.normal(size=(n_out, n_in)) * (rng.random((n_out, n_in)) > 0.25)
        w[0, 0] = 0.0  # at least one zero weight in every layer
        layers.append(Layer(w, rng.normal(scale=0.5, size=n_out), eps))
    x = rng.uniform(0.0, 2.0, size=sizes[0])
    return Network(tuple(layers), name=f"random_{seed}"), x


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{'-'.join(map(str, c[0]))}_eps{c[1]:g}")
def case(request):
    net, x = random_network(*request.param)
    crn = compile_network(net, inputs=x)
    sim = CopasiSimulator(crn)
    yield net, x, crn, sim
    sim.close()


def test_steady_state_matches_forward_pass(case):
    net, x, crn, sim = case
    ss = find_steady_state(sim, net, rtol=SS_RTOL)
    np.testing.assert_allclose(ss.output_values, net.forward(x), rtol=SS_RTOL, atol=0)
    # every hidden neuron too, against the layer-by-layer forward pass
    for layer, values in enumerate(net.layer_values(x)[1:], start=1):
        got = [ss[s.id] for s in crn.layer_species(layer)]
        np.testing.assert_allclose(got, values, rtol=SS_RTOL, atol=0)
    assert ss.backend == "copasi" and ss.presimulated > 0
    assert np.all(ss.values > 0)


def test_time_course_matches_roadrunner(case):
    net, x, crn, sim = case
    t_end = crn2sbml.settling_time(net, x, crn.speed, tol=1e-3)  # most of the transient
    species = list(sim.species)
    ours = sim.time_course(t_end, 41, species)
    ref = crn2sbml.RoadRunnerSimulator(crn).time_course(t_end, 41, species)
    np.testing.assert_allclose(ours.time, ref.time, rtol=1e-12)
    assert ours.species == ref.species == tuple(species)
    np.testing.assert_allclose(ours.values, ref.values, rtol=TC_RTOL, atol=TC_ATOL)
    assert np.all(ours.values[-1] > 0)  # the trajectory actually moved


def test_set_inputs_moves_the_steady_state(case):
    net, x, crn, sim = case
    try:
        x2 = x[::-1] * 0.5
        sim.set_inputs(x2)
        ss = find_steady_state(sim, net, rtol=SS_RTOL)
        np.testing.assert_allclose(ss.output_values, net.forward(x2), rtol=SS_RTOL, atol=0)
        assert not np.allclose(ss.output_values, net.forward(x), rtol=1e-6)  # inputs really changed
    finally:
        sim.set_inputs(x)  # the fixture is shared across tests


def test_sbml_file_read_by_copasi(tmp_path):
    net, x = random_network((3, 5, 4, 2), 0.05, 7)
    crn = compile_network(net, inputs=x)
    path = crn2sbml.write_sbml(crn, tmp_path / "model.xml")
    with CopasiSimulator(crn, path=path) as from_file, CopasiSimulator(crn) as from_string:
        a, b = find_steady_state(from_file, net, rtol=SS_RTOL), find_steady_state(from_string, net, rtol=SS_RTOL)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-12, atol=0)
    np.testing.assert_allclose(a.output_values, net.forward(x), rtol=SS_RTOL, atol=0)


def test_wrong_network_is_rejected():
    """The check can fail: the same CRN held against a network with one
    weight changed by 1% must not pass."""
    net, x = random_network((2, 3, 1), 0.05, 0)
    w = net.layers[-1].weights.copy()
    w[0, np.flatnonzero(w[0])[0]] *= 1.01
    wrong = Network((net.layers[0], Layer(w, net.layers[-1].bias, 0.05)), name=net.name)
    assert not np.allclose(wrong.forward(x), net.forward(x), rtol=1e-6)
    with CopasiSimulator(compile_network(net, inputs=x)) as sim:
        with pytest.raises(SteadyStateError, match="does not check out"):
            find_steady_state(sim, wrong)


def test_registry_and_no_leak():
    net, x = random_network((2, 3, 1), 0.05, 0)
    crn = compile_network(net, inputs=x)
    before = COPASI.CRootContainer.getDatamodelList().size()
    for _ in range(3):
        sim = crn2sbml.get_simulator("copasi", crn)
        assert sim.name == "copasi"
        np.testing.assert_allclose(find_steady_state(sim, net).output_values, net.forward(x), rtol=SS_RTOL)
        sim.close()
    del sim
    assert COPASI.CRootContainer.getDatamodelList().size() == before


def test_newton_resolution_follows_the_state_scale():
    """Regression: COPASI's Newton target (rates and Newton distances) has a
    rounding floor that grows with the concentrations and with kappa; a fixed
    resolution of 1e-14 sat below it, so COPASI reported 'no steady state'
    for models/random_4_8_8_3.json at input (5,5,5,5) (after a run at 0, as
    `crn2sbml validate --input-range 0,5` does) although Newton had converged."""
    from pathlib import Path

    from crn2sbml.simulate.copasi_backend import MIN_RESOLUTION

    net = crn2sbml.load_network(Path(__file__).resolve().parent.parent / "models" / "random_4_8_8_3.json")
    for speed, levels in ((1.0, (0.0, 5.0, 50.0, 5.0)), (100.0, (20.0,))):
        with CopasiSimulator(compile_network(net, speed=speed)) as sim:
            for v in levels:
                x = np.full(net.n_inputs, v)
                sim.set_inputs(x)
                ss = find_steady_state(sim, net, rtol=SS_RTOL)
                np.testing.assert_allclose(ss.output_values, net.forward(x), rtol=SS_RTOL, atol=0)
                resolution = sim._ss.getMethod().getParameter("Resolution").getValue()
                assert resolution >= MIN_RESOLUTION
                if v >= 5.0:  # scaled up from the fixed 1e-14 that failed here
                    assert resolution > 10 * MIN_RESOLUTION


def test_copasi_leaves_pythons_text_encoding_alone(tmp_path):
    """COPASI sets the whole C locale to "C" on import and on every SBML import;
    Python's default text encoding then turned into ASCII and any later
    read_text() of a non-ASCII file failed, in the user's process too."""
    import os
    import subprocess
    import sys

    script = (
        "import locale, pathlib, sys\n"
        "from crn2sbml.loader import load_model\n"
        "from crn2sbml.simulate import get_simulator\n"
        "before = locale.getencoding()\n"
        f"m = load_model({str(ROOT / 'models' / 'xor' / 'xor.xml')!r})\n"
        "sim = get_simulator('copasi', m.crn)\n"
        f"p = pathlib.Path({str(tmp_path / 'u.txt')!r}); p.write_text('\\u00b5M', encoding='utf-8')\n"
        "assert locale.getencoding() == before, (before, locale.getencoding())\n"
        "print(p.read_text())\n"
    )
    env = {**os.environ, "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, encoding="utf-8",
                         env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "\u00b5M"
