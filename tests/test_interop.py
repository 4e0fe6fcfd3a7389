"""The interop matrix (benchmarks/interop.py) in the test suite: each tool in
the test extra loads the checked-in small models the way its users do, takes
the steady state by its default path, and must match the forward pass; the
models emitted with every neuron at 0 must fail roadrunner's plain solve (the
check can fail). Plus the OMEX archive against the rules BioSimulators'
validate-project applies."""

from __future__ import annotations

import re
import warnings
import zipfile

import numpy as np
import pytest

import crn2sbml as c2s
from benchmarks.interop import MODELS, TOOLS, load_case, run_cell, run_one
from crn2sbml.export import export
from crn2sbml.theory import fixed_point_bounds, input_box

SMALL = ("xor", "random_4_8_8_3")
INSTALLED = [t for t in TOOLS if t != "amici"]  # AMICI needs a C++ build of each model: see README
# copasi-sedml: the exported OMEX's SED-ML through COPASI's own SED-ML import, one task per input


@pytest.mark.parametrize("model", SMALL)
@pytest.mark.parametrize("tool", INSTALLED)
def test_tool_default_path_gives_the_forward_pass(tool, model):
    records = list(run_one(tool, model, 4, "bound"))
    assert [r["verdict"] for r in records] == ["right"] * 4, records


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


def test_omex_follows_biosimulators_rules(tmp_path):
    net = c2s.load_network(MODELS / "xor.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        written, _ = export(net, c2s.compile_network(net), ("omex",), tmp_path)
    (path,) = written["omex"]
    with zipfile.ZipFile(path) as z:
        manifest = z.read("manifest.xml").decode()
        sedml = z.read("simulation.sedml").decode()
        meta = z.read("metadata.rdf").decode()
    assert re.search(r'location="\."\s+format="http://identifiers.org/combine.specifications/omex"', manifest)
    sources = re.findall(r'<model [^>]*source="([^"]+)"', sedml)
    assert sources[0] == "xor.xml" and all(s == "#model0" for s in sources[1:]), sources
    assert "<dc:title>" in meta and "<dc:description>" in meta and "<dcterms:created>" in meta


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
