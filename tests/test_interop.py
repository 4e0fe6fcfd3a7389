"""The interop matrix (benchmarks/interop.py) in the test suite: each tool in
the test extra loads the checked-in small models the way its users do, takes
the steady state by its default path, and must match the forward pass; the
models emitted with every neuron at 0 must fail roadrunner's plain solve (the
check can fail). Plus every model's exported OMEX archive through
BioSimulators' own validator, and AMICI (marked amici, outside CI)."""

from __future__ import annotations

import re
import warnings
import zipfile

import numpy as np
import pytest

import crn2sbml as c2s
from benchmarks.interop import DEFAULT, MODELS, TOOLS, load_case, model_names, run_cell, run_one
from crn2sbml.cli import main
from crn2sbml.export import export
from crn2sbml.theory import fixed_point_bounds, input_box

SMALL = ("xor", "random_4_8_8_3")
# The warnings BioSimulators' validator gives on crn2sbml's archives, each
# explained in docs/export.md: it checks XPaths against models read from files
# only, and the derived models (one per test input) name '#model0' as source.
OMEX_WARNINGS = (
    re.escape("The SED-ML file at location `./simulation.sedml` has warnings."),
    re.escape("This tool validates XPaths for model changes and variables against their unmodified target "
              "models. As a result, this tool does not fully validate these XPaths. These XPaths could be "
              "invalidated by changes to their target models."),
    r"Data generator `plot_\w+` has warnings\.",
    r"Variable `task\w+` has warnings\.",
    re.escape("XPath could not be validated."),
)
INSTALLED = [t for t in TOOLS if not t.startswith("amici")]  # AMICI: a source build, tests marked amici
# copasi-sedml: the exported OMEX's SED-ML through COPASI's own SED-ML import, one task per input


@pytest.mark.parametrize("model", SMALL)
@pytest.mark.parametrize("tool", INSTALLED)
def test_tool_default_path_gives_the_forward_pass(tool, model):
    records = list(run_one(tool, model, 4, "bound"))
    assert [r["verdict"] for r in records] == ["right"] * 4, records


@pytest.mark.amici
@pytest.mark.parametrize("model", SMALL)
def test_amici_recommended_path_gives_the_forward_pass(model):
    # not in CI (AMICI is a source build): python -m pytest -m amici tests/test_interop.py
    records = list(run_one("amici+tight", model, 4, "bound"))
    assert [r["verdict"] for r in records] == ["right"] * 4, records


def test_every_tool_in_the_matrix_has_its_default_path():
    tools = {p.tool for p in TOOLS.values()}
    assert tools == {p.tool for p in TOOLS.values() if p.kind == DEFAULT}
    assert all(p.kind == DEFAULT or p.kind.startswith("recommended (") for p in TOOLS.values())


@pytest.mark.parametrize("tool", ["roadrunner", "tellurium-antimony"])
def test_zero_start_is_wrong_in_plain_steady_state(tool):
    # the failure the bound start fixes, so the matrix check above can fail
    records = list(run_one(tool, "xor", 4, "zero"))
    assert [r["verdict"] for r in records] == ["wrong"] * 4, records


def test_bounds_contain_every_fixed_point():
    for name in SMALL + ("digits",):
        case = load_case(name, 50)
        net = case.network
        bounds = fixed_point_bounds(net)
        for layer, z, (lo, hi) in zip(net.layers, net.preactivations(case.inputs), bounds):
            y = layer.fn.rail_values(z, layer.epsilon)
            assert np.all(y <= hi * (1 + 1e-12)) and np.all(y >= lo * (1 - 1e-12))
        start = {s.id: s.initial for s in case.crn.floating}
        assert all(v > 0 for v in start.values())


def test_settling_time_from_the_bound_covers_a_simulation():
    net = c2s.load_network(MODELS / "xor.json")
    crn = c2s.compile_network(net, start="bound")
    lo, hi = input_box(net)
    for x in (lo, hi, np.array([1.0, 0.0])):
        t = c2s.settling_time(net, x, 1.0, 1e-6, start="bound")
        enc = crn.with_inputs(x)
        end = c2s.NumpySimulator(enc).time_course(t, 3)
        got = enc.output_values({**{s.id: s.initial for s in enc.inputs},
                                 **dict(zip([s.id for s in enc.floating], end.values[-1]))})
        assert np.allclose(got, net.forward(x), rtol=1e-5)


def test_names_and_notes_in_sbml():
    import libsbml

    doc = libsbml.readSBMLFromFile(str(load_case("digits", 1).sbml))
    m = doc.getModel()
    assert m.getParameter("class_0").getName() == "class_0"
    assert m.getSpecies("px0").getName() == "px0"
    notes = m.getNotesString()
    assert "simulate for T =" in notes and "above its fixed point" in notes


@pytest.mark.parametrize("name", model_names())
def test_exported_omex_passes_biosimulators_validation(name, tmp_path):
    # BioSimulators' own validator (what `biosimulators-utils validate-project`
    # runs) on the archive `crn2sbml export --format omex` writes: no error, and
    # only the warnings docs/export.md explains
    from biosimulators_utils.combine.data_model import CombineArchiveContentFormat
    from biosimulators_utils.combine.io import CombineArchiveReader
    from biosimulators_utils.combine.validation import validate
    from biosimulators_utils.config import get_config
    from biosimulators_utils.utils.core import flatten_nested_list_of_strings

    assert main(["export", str(MODELS / name / f"{name}.xml"), "--format", "omex", "--out", str(tmp_path / "out")]) == 0
    (archive,) = (tmp_path / "out").glob("*.omex")
    config = get_config()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = CombineArchiveReader().run(str(archive), str(tmp_path / "unpacked"), config=config)
        errors, found = validate(read, str(tmp_path / "unpacked"),
                                 formats_to_validate=list(CombineArchiveContentFormat.__members__.values()),
                                 config=config)
    assert errors == [], flatten_nested_list_of_strings(errors)
    lines = {line.strip(" -") for line in flatten_nested_list_of_strings(found).splitlines() if line.strip()}
    unexplained = {line for line in lines if not any(re.fullmatch(w, line) for w in OMEX_WARNINGS)}
    assert not unexplained, unexplained


@pytest.mark.parametrize("readouts, verdict", [("species", "right"), ("rules", "refused")])
def test_gillespy2_ode_runs_signed_outputs_as_readout_species(readouts, verdict):
    # digits has signed (identity) outputs: GillesPy2's ODE solver refuses their
    # assignment rules and runs readout species (compile_network(readouts=...))
    records = list(run_one("gillespy2-ode", "digits", 1, "bound", readouts))
    assert [r["verdict"] for r in records] == [verdict], records


def test_a_cell_over_its_budget_is_slow_not_a_failure():
    # the matrix's time budget: a cell killed at its budget counts the inputs it
    # did not reach as "slow" and the matrix goes on (no timeout of the whole run)
    cell = run_cell("roadrunner", "xor", 3, budget=0.5)
    assert cell.counts.get("slow", 0) + cell.counts.get("right", 0) == 3 and cell.counts.get("slow"), cell
    assert cell.verdict == "slow" and "slow (>0.5 s)" in cell.text()


def test_omex_changes_carry_exact_input_values(tmp_path):
    # phrasedml writes a change's newValue with 6 significant digits; the archive
    # must set the inputs exactly, or every SED-ML runner misses digits by 1e-6
    net = c2s.load_network(MODELS / "xor.json")
    x = np.array([0.123456789012345, 0.987654321098765])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        written, _ = export(net, c2s.compile_network(net), ("omex",), tmp_path, inputs=[x])
    with zipfile.ZipFile(written["omex"][0]) as z:
        sedml = z.read("simulation.sedml").decode()
    values = dict(re.findall(r"@id=&apos;(\w+)&apos;\]/@initialConcentration\" newValue=\"([^\"]+)\"", sedml))
    assert {k: float(v) for k, v in values.items()} == {"x1": x[0], "x2": x[1]}, sedml
