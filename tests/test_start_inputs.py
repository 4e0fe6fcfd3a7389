"""Issue 22 points 1-2: a model crn2sbml writes starts above its fixed point
for the inputs it carries, whichever way it was written, so a peer tool's
plain steady-state solve (roadrunner, Tellurium, COPASI) gives the network's
output; beyond the box where that start holds, the model's notes and
`validate` name the box. The oracle is the closed-form forward pass."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import crn2sbml as c2s
from benchmarks.interop import Case, _basico, _roadrunner
from crn2sbml.inputs import encode_input
from crn2sbml.validate import validate

ROOT = Path(__file__).resolve().parent.parent
RTOL = 1e-6


def _sparse_net() -> c2s.Network:
    """A seeded 5-10-4 network with half its weights zero (the issue's case)."""
    rng = np.random.default_rng(22)
    w1 = rng.normal(0, 1, (10, 5)) * (rng.random((10, 5)) < 0.5)
    w2 = rng.normal(0, 1, (4, 10)) * (rng.random((4, 10)) < 0.5)
    return c2s.network_from_dict({
        "name": "sparse", "epsilon": 0.01, "inputs": [f"x{i}" for i in range(5)],
        "outputs": [f"y{i}" for i in range(4)],
        "layers": [{"weights": w1.tolist(), "bias": rng.normal(0, 0.3, 10).tolist(), "activation": "smoothed_relu"},
                   {"weights": w2.tolist(), "bias": rng.normal(0, 0.3, 4).tolist(), "activation": "smoothed_relu"}],
    })


def _ranged_net() -> c2s.Network:
    """Declared ranges: a closed signed one, a closed positive one, an open one."""
    rng = np.random.default_rng(7)
    return c2s.network_from_dict({
        "name": "ranged", "epsilon": 0.01, "inputs": ["a", "b", "c"], "outputs": ["y0", "y1"],
        "input_ranges": [[-1, 1], [0, 2], [None, None]],
        "layers": [{"weights": rng.normal(0, 1, (6, 3)).tolist(), "bias": rng.normal(0, 0.3, 6).tolist(),
                    "activation": "smoothed_relu"},
                   {"weights": rng.normal(0, 1, (2, 6)).tolist(), "bias": [0.1, -0.1], "activation": "smoothed_relu"}],
    })


NETS = {"sparse": _sparse_net, "ranged": _ranged_net}
# per network: inputs inside the nominal box, at its edge, and twice beyond it
INPUTS = {
    "sparse": {"inside": [0.3, 0.1, 0.8, 0.5, 0.2], "edge": [1.0, 1.0, 0.0, 1.0, 1.0],
               "beyond": [2.0, 2.0, 0.0, 2.0, 2.0]},
    "ranged": {"inside": [0.2, 1.1, -0.4], "edge": [1.0, 2.0, -1.0], "beyond": [2.0, 4.0, -2.0]},
}
TOOLS = {
    "roadrunner": lambda case: _roadrunner(case, False),  # RoadRunner(sbml); reset(); set inputs; steadyState()
    "tellurium": lambda case: _roadrunner(case, False, antimony=True),  # te.loada(antimony), the same calls
    "copasi": _basico,  # basico.load_model; set initial concentrations; run_steadystate()
}


def _encodable(net: c2s.Network, x) -> bool:
    """Whether crn2sbml accepts ``x`` as the model's own input (declared closed ranges refuse beyond)."""
    try:
        net.check_input(x)
    except c2s.InputError:
        return False
    return True


def _case(crn: c2s.CRN, net: c2s.Network, folder: Path, xs: np.ndarray) -> Case:
    paths = c2s.write_model(crn, folder, ("sbml", "antimony"))
    return Case(crn.name, Path(paths["sbml"]), Path(paths["antimony"]), crn, net, xs, 0.0)


def _set_in_tool(case: Case, x) -> Case:
    """The case with ``x`` encoded the way a tool's user sets it: each input
    species directly, also beyond a declared range (which crn2sbml itself refuses)."""
    crn = case.crn
    values = {}
    for u in range(len(crn.input_names)):
        bounds = crn.input_ranges[u] if crn.input_ranges else None
        values.update(zip((s.id for s in crn.units[(0, u)]), encode_input(float(x[u]), bounds)))
    return Case(case.name, case.sbml, case.antimony, _Encoded(crn, values), case.network, np.array([x]), 0.0)


class _Encoded:
    """A CRN stand-in whose with_inputs() returns the tool-side encoding."""

    def __init__(self, crn: c2s.CRN, values: dict[str, float]):
        self._crn, self._values = crn, values

    def __getattr__(self, name):
        return getattr(self._crn, name)

    def with_inputs(self, x):
        return self

    @property
    def inputs(self):
        return [replace(s, initial=self._values[s.id]) for s in self._crn.inputs]


def _stated_box(notes: str, names) -> tuple[np.ndarray, np.ndarray]:
    """The input box the notes state, parsed back from their text."""
    lo, hi = [], []
    for n in names:
        m = re.search(rf"\b{re.escape(n)} in \[([^,\]]+), ([^\]]+)\]", notes)
        assert m, f"the notes state no range for {n}: {notes[:400]}"
        lo.append(float(m.group(1)))
        hi.append(float(m.group(2)))
    return np.array(lo), np.array(hi)


def _right(got: np.ndarray, want: np.ndarray) -> bool:
    return bool(np.all(np.abs(got - want) <= RTOL * np.maximum(1.0, np.abs(want))))


def test_readme_python_example_is_right_in_plain_roadrunner_and_tellurium(tmp_path, monkeypatch):
    import roadrunner
    import tellurium as te

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## In Python\s+```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "xor.json").write_text((ROOT / "models" / "xor.json").read_text())
    exec(compile(block, "README.md", "exec"), {})  # as written
    net = c2s.load_network(ROOT / "models" / "xor.json")
    want = net.forward([1, 0])
    sbml = tmp_path / "build" / "xor" / "xor.xml"
    r = roadrunner.RoadRunner(str(sbml))
    r.steadyState()
    assert _right(np.array([r["y"]]), want), (r["y"], want)
    t = te.loadSBMLModel(str(sbml))
    t.steadyState()
    assert _right(np.array([t["y"]]), want), (t["y"], want)
    ant = te.loada((tmp_path / "build" / "xor" / "xor.ant").read_text())
    ant.steadyState()
    assert _right(np.array([ant["y"]]), want)


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize("name", sorted(NETS))
def test_compiled_in_inputs_are_right_in_the_tools_default_path(name, tool, tmp_path):
    """The input the model carries, inside, at the edge of and twice beyond the
    nominal box: compiled in (crn2sbml accepts it), the tool's plain solve gives
    the forward pass. A value beyond a declared closed range is refused by
    crn2sbml with a message naming the range."""
    net = NETS[name]()
    for where, x in INPUTS[name].items():
        if not _encodable(net, x):
            with pytest.raises(c2s.InputError, match="input_ranges"):
                c2s.compile_network(net, inputs=x)
            continue
        crn = c2s.compile_network(net, inputs=x)
        case = _case(crn, net, tmp_path / where, np.array([x]))
        (got,) = list(TOOLS[tool](case))
        assert _right(got, net.forward(x)), (where, got, net.forward(x))
        assert np.all(x >= _stated_box(case.sbml.read_text(), crn.input_names)[0])
        assert np.all(x <= _stated_box(case.sbml.read_text(), crn.input_names)[1])


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize("name", sorted(NETS))
def test_inputs_set_in_the_tool_are_right_inside_the_stated_box(name, tool, tmp_path):
    """Compiled with the default inputs, then inputs set in the tool: right
    for every input inside the box the notes state; beyond it the notes (and
    validate) say where the guarantee stops."""
    net = NETS[name]()
    crn = c2s.compile_network(net)
    case = _case(crn, net, tmp_path, np.zeros((0, net.n_inputs)))
    lo, hi = _stated_box(case.sbml.read_text(), crn.input_names)
    assert _stated_box(case.antimony.read_text(), crn.input_names)[1].tolist() == hi.tolist()
    for where, x in INPUTS[name].items():
        x = np.array(x, dtype=float)
        (got,) = list(TOOLS[tool](_set_in_tool(case, x)))
        inside = bool(np.all((x >= lo) & (x <= hi)))
        assert inside == (where != "beyond"), (where, lo, hi)
        if inside:
            assert _right(got, net.forward(x)), (where, got, net.forward(x))


@pytest.mark.parametrize("name", sorted(NETS))
def test_validate_names_the_start_box(name, tmp_path):
    net = NETS[name]()
    crn = c2s.compile_network(net)
    sbml = c2s.write_model(crn, tmp_path, ("sbml",))["sbml"]
    report = validate(str(sbml), network=net, checks=("fixed_point",))
    fp = report["fixed_point"]
    assert fp.passed
    box = fp.figures["start_box"]
    lo, hi = _stated_box(Path(sbml).read_text(), crn.input_names)
    assert [box[n] for n in crn.input_names] == [[a, b] for a, b in zip(lo, hi)]
    assert "the initial state is above the fixed point for inputs in" in fp.reason


def test_the_start_holds_for_the_carried_input_beyond_the_nominal_box():
    """The issue's case: a sparse 5-10-4 network compiled with inputs in [0, 2]
    starts every neuron above its exact fixed point (the closed form)."""
    net = _sparse_net()
    rng = np.random.default_rng(3)
    for x in 2.0 * rng.random((10, 5)):
        crn = c2s.compile_network(net, inputs=x)
        want = c2s.expected_state(crn, net)
        start = np.array([s.initial for s in crn.species])
        neurons = np.array([not s.boundary for s in crn.species])
        assert np.all(start[neurons] >= want[neurons]), x
        assert c2s.start_box(crn, net) is not None


def test_inputs_changed_after_compiling_beyond_the_box_are_said(tmp_path):
    """A CRN whose inputs were changed in Python beyond its start's box: the
    notes name the nominal box the start still holds for (or say it holds for none)."""
    net = _sparse_net()
    crn = c2s.compile_network(net).with_inputs([2.0, 2.0, 0.0, 2.0, 2.0])
    box = c2s.start_box(crn, net)
    assert box is not None and box[1].max() == 1.0  # the nominal box; the carried input lies beyond it
    notes = c2s.to_sbml(crn)
    lo, hi = _stated_box(notes, crn.input_names)
    assert hi.max() == 1.0
    zero = c2s.compile_network(net, start="zero")
    assert c2s.start_box(zero, net) is None
    assert "not above the fixed point" in c2s.to_sbml(zero)
