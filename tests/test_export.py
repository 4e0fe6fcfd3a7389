"""Exporters, each opened again in the real tool: the OMEX archive with
libcombine and its SED-ML executed by tellurium; the .cps files by COPASI;
the Antimony and SBML by tellurium; the Nuskell-syntax CRN by crnsimulator's
parser (the one Nuskell's CRN syntax comes from), simulated independently.
Plus physical units, rate plausibility, Gillespie accuracy and robustness."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from crn2sbml.simulate import find_steady_state
import crn2sbml as c2s
from crn2sbml.cli import main
from crn2sbml.errors import InputError, UnknownNameError
from crn2sbml.export import RateRangeWarning, UnitScale, check_rates, export
from crn2sbml.export.robustness import robustness_table
from crn2sbml.export.stochastic import accuracy_table
from crn2sbml.export.units import molecules_per_unit, rate_table

MODELS = Path(__file__).resolve().parent.parent / "models"
INPUTS = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]


@pytest.fixture(scope="module")
def xor():
    net = c2s.load_network(MODELS / "xor.json")
    return net, c2s.compile_network(net)


@pytest.fixture(scope="module")
def exported(xor, tmp_path_factory):
    net, crn = xor
    out = tmp_path_factory.mktemp("export")
    report = out / "report.json"
    report.write_text(json.dumps({"passed": True}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written, issues = export(net, crn, ("omex", "copasi", "tellurium", "nuskell", "dsd", "sheet"), out / "x",
                                 inputs=INPUTS, scale=UnitScale.parse("10nM", "s"), chemistry="dsd", report=report, volume=1e-13)
    return net, crn, written, issues, caught


def _te():
    pytest.importorskip("six")
    return pytest.importorskip("tellurium")


def test_omex_reads_back_with_libcombine_and_runs_in_tellurium(exported):
    libcombine = pytest.importorskip("libcombine")
    te = _te()
    net, crn, written, _, _ = exported
    (path,) = written["omex"]
    archive = libcombine.CombineArchive()
    assert archive.initializeFromArchive(str(path))
    locations = {archive.getEntry(i).getLocation().lstrip("./"): archive.getEntry(i)
                 for i in range(archive.getNumEntries())}
    assert {"xor.xml", "simulation.sedml", "xor.json", "report.json"} <= set(locations)
    assert locations["simulation.sedml"].getMaster()
    back = c2s.network_from_dict(json.loads(archive.extractEntryToString("./xor.json")))
    assert np.allclose(back.forward([1, 0]), net.forward([1, 0]))
    sedml = archive.extractEntryToString("./simulation.sedml")
    archive.cleanUp()
    assert sedml.count("<task ") == len(INPUTS)
    # execute the SED-ML: the last point of every output data generator is the forward pass
    import libsedml

    doc = libsedml.readSedMLFromString(sedml)
    names = {doc.getDataGenerator(i).getId(): doc.getDataGenerator(i).getName()
             for i in range(doc.getNumDataGenerators())}
    results = te.executeCombineArchive(str(path), createOutputs=True, saveOutputs=False, plottingEngine=None)
    (res,) = results.values()
    got = {names[k]: float(np.asarray(v).ravel()[-1]) for k, v in res["dataGenerators"].items()}
    for k, x in enumerate(INPUTS, start=1):
        want = float(net.forward(x)[0])
        assert got[f"task{k}.y"] == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_copasi_files_open_and_settle(exported):
    COPASI = pytest.importorskip("COPASI")
    net, crn, written, _, _ = exported
    assert len(written["copasi"]) == len(INPUTS)
    for path, x in zip(written["copasi"], INPUTS):
        dm = COPASI.CRootContainer.addDatamodel()
        try:
            assert dm.loadModel(str(path))
            want = float(net.forward(x)[0])
            # a .cps keeps COPASI's names (the SBML ids), not the SBML mapping
            y = next(m for m in dm.getModel().getMetabolites() if m.getObjectName() == "y")
            tc = dm.getTask("Time-Course")
            assert tc.process(True)
            ts = tc.getTimeSeries()
            col = {ts.getTitle(i): i for i in range(ts.getNumVariables())}["y"]
            end = ts.getConcentrationData(ts.getRecordedSteps() - 1, col)
            assert end == pytest.approx(want, rel=1e-6)
            ss = dm.getTask("Steady-State")
            assert ss.process(True)
            assert ss.getResult() == COPASI.CSteadyStateMethod.found
            assert y.getConcentration() == pytest.approx(want, rel=1e-8)
        finally:
            COPASI.CRootContainer.removeDatamodel(dm)
        rr = find_steady_state(c2s.RoadRunnerSimulator(crn.with_inputs(x)), net)
        assert rr.output_values[0] == pytest.approx(want, rel=1e-8)


def test_tellurium_loads_antimony_and_sbml_with_the_same_steady_state(exported):
    te = _te()
    net, crn, written, _, _ = exported
    ant, xml = (p for p in written["tellurium"] if p.suffix in (".ant", ".xml"))
    t_end = c2s.settling_time(net, np.array([1.0, 1.0]), 1.0, tol=1e-10)
    values = []
    for r in (te.loada(ant.read_text()), te.loadSBMLModel(xml.read_text())):
        r.integrator.relative_tolerance = 1e-10
        r.integrator.absolute_tolerance = 1e-14
        row = []
        for x in INPUTS:
            r.resetAll()
            r["init([x1])"], r["init([x2])"] = x
            r.reset()
            r.simulate(0, t_end, 2)
            row.append(r["[y]"])
        values.append(row)
    want = [float(net.forward(x)[0]) for x in INPUTS]
    assert values[0] == pytest.approx(want, rel=1e-7)
    assert values[1] == pytest.approx(values[0], rel=1e-9)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # crnsimulator uses old pyparsing names
def test_nuskell_text_parses_and_simulates_to_the_forward_pass(exported):
    parser = pytest.importorskip("crnsimulator.crn_parser")
    from scipy.integrate import solve_ivp

    net, crn, written, _, _ = exported
    (path,) = written["nuskell"]
    reactions, species = parser.parse_crn_file(str(path))
    assert len(reactions) == len(crn.reactions)
    assert species["x1"] == ("constant", 10.0) and species["x2"] == ("constant", 0.0)
    # integrate the parsed CRN in nM and seconds: y settles at 10 nM * forward([1, 0])
    names = sorted(species)
    idx = {s: i for i, s in enumerate(names)}
    const = [idx[s] for s, (mode, _) in species.items() if mode == "constant"]

    def rhs(t, c):
        d = np.zeros_like(c)
        for r, p, (k,) in reactions:
            rate = float(k) * math.prod(c[idx[s]] for s in r)
            for s in r:
                d[idx[s]] -= rate
            for s in p:
                d[idx[s]] += rate
        d[const] = 0.0
        return d

    c0 = np.array([species[s][1] for s in names])
    sol = solve_ivp(rhs, (0, 2000.0), c0, method="LSODA", rtol=1e-10, atol=1e-12)
    assert sol.y[idx["y"], -1] == pytest.approx(10.0 * float(net.forward([1, 0])[0]), rel=1e-6)


def test_dsd_text_is_well_formed(exported):
    """Visual DSD runs only in its web/desktop app, so this checks the syntax
    shape: directives, a parameter for every rate, one line per species and reaction."""
    _, crn, written, _, _ = exported
    text = written["dsd"][0].read_text()
    assert re.search(r"^directive simulation \{ final = [0-9.e+]+; points = \d+ \}$", text, re.M)
    params = set(re.findall(r"^\s+(k_\w+) = [0-9.e+-]+", text, re.M))
    used = re.findall(r"->\{(k_\w+)\}", text)
    assert len(used) == len(crn.reactions) and set(used) == params
    assert len(re.findall(r"^\| [0-9.e+]+ \w+$", text, re.M)) == len(crn.species)


def test_sheet_has_tables_plots_and_shrinking_stochastic_error(exported):
    net, crn, written, issues, caught = exported
    html = next(p for p in written["sheet"] if p.suffix == ".html").read_text()
    assert html.count("data:image/png;base64,") == 3
    assert f"Distinct species: {len(crn.species)}" in html and f"reactions: {len(crn.reactions)}" in html
    files = {p.name: p for p in written["sheet"]}
    rows = files["xor_reactions.csv"].read_text().splitlines()
    assert len(rows) == len(crn.reactions) + 1
    stoch = [line.split(",") for line in files["xor_stochastic.csv"].read_text().splitlines()[1:]]
    assert len(stoch) == 4  # 10, 100, 1000 and the 1e-13 L volume (602 molecules per 10 nM unit)
    rel = [float(r[3]) for r in stoch]
    assert rel[-1] < rel[0] and rel[-1] < 0.2
    # 10 nM units make the bimolecular rates 1e8 /M/s: above strand displacement's range, with the fix
    assert issues and any(issubclass(w.category, RateRangeWarning) for w in caught)


def test_units_and_rate_plausibility(xor):
    net, crn = xor
    scale = UnitScale.parse("10nM", "min")
    assert (scale.nM, scale.seconds) == (10.0, 60.0)
    assert UnitScale.parse("1uM").nM == 1000.0
    rows = {r.order: r for r in rate_table(crn, scale)}
    assert rows[2].value == pytest.approx(1.0 / 10 / 60) and rows[0].value == pytest.approx(1e-3 * 10 / 60)
    for issue in check_rates(crn, scale, "dsd"):
        fixed = c2s.compile_network(net, speed=issue.speed_factor)
        assert issue.reaction not in {i.reaction for i in check_rates(fixed, scale, "dsd")}
    assert check_rates(crn, UnitScale(1000.0, 10.0), "dsd") == []  # 1 uM, 10 s: 1e5 /M/s
    for bad in ("-1nM", "0nM", "infnM", "10 furlongs", "nan nM", "10"):
        with pytest.raises(InputError):
            UnitScale.parse(bad)
    with pytest.raises(InputError):
        UnitScale.parse("1nM", "fortnight")
    with pytest.raises(UnknownNameError, match="known chemistries"):
        check_rates(crn, scale, "alchemy")
    for v in (0.0, -1.0, float("inf"), 2.0):
        with pytest.raises(InputError, match="volume"):
            molecules_per_unit(scale, v)
    assert molecules_per_unit(UnitScale(1.0, 1.0), 1e-15) == pytest.approx(0.6022, rel=1e-3)  # 1 nM in 1 fL


def test_gillespie_and_robustness_tables(xor):
    net, crn = xor
    xs = [np.array([1.0, 0.0])]
    rows = accuracy_table(crn, net, xs, [100.0, 3000.0], repeats=2, seed=3)
    assert rows[1].rel_error < rows[0].rel_error
    rb = robustness_table(crn, net, xs, [0.0, 0.05, 0.3], samples=4, seed=5)
    assert rb[0].max_error < 1e-8
    assert rb[1].rms_error < rb[2].rms_error


def test_cli_export_and_bad_input(tmp_path, capsys):
    model = str(MODELS / "xor.json")
    assert main(["export", model, "--format", "nuskell,dsd", "--out", str(tmp_path / "o"), "--inputs", "1,0;0,1",
                 "--concentration-unit", "1uM"]) == 0
    assert (tmp_path / "o" / "xor.crn.txt").is_file() and (tmp_path / "o" / "xor.dsd").is_file()
    assert "implausible" in capsys.readouterr().err  # R_b_L2_u0 at 0.063 /s, with its fix
    for extra in (["--concentration-unit", "-5nM"], ["--time-unit", "parsec"], ["--chemistry", "alchemy"],
                  ["--format", "pdf"], ["--volume", "0"], ["--volume", "-1e-15"], ["--volume", "5"], ["--inputs", "1,0,0"], ["--inputs", "-1,0"]):
        args = ["export", model, "--out", str(tmp_path / "bad"), "--format", "nuskell", *extra]
        assert main(args) == 2, extra
        err = capsys.readouterr().err
        assert err.startswith("crn2sbml: error:") and "Traceback" not in err
    assert not (tmp_path / "bad" / "xor.crn.txt").exists()


def test_omex_signed_inputs_and_readout_outputs(tmp_path):
    """Dual-rail and shifted inputs set by the SED-ML model changes; a signed
    output read through its SBML readout parameter."""
    te = _te()
    import libcombine
    import libsedml

    from crn2sbml.export.omex import write_omex

    net = c2s.Network((c2s.Layer([[1.0, -2.0], [0.5, 1.0]], [0.1, 0.0], 0.01, "leaky_relu", {"negative_slope": 0.1}),
                       c2s.Layer([[2.0, -1.0]], [-0.5], 0.01, "identity")),
                      input_ranges=[(-1.0, 1.0), (None, None)])
    crn = c2s.compile_network(net)
    xs = [np.array([-0.5, -3.0]), np.array([0.5, 1.0])]
    path = tmp_path / "signed.omex"
    write_omex(net, crn, xs, path)
    archive = libcombine.CombineArchive()
    assert archive.initializeFromArchive(str(path))
    doc = libsedml.readSedMLFromString(archive.extractEntryToString("./simulation.sedml"))
    archive.cleanUp()
    names = {doc.getDataGenerator(i).getId(): doc.getDataGenerator(i).getName()
             for i in range(doc.getNumDataGenerators())}
    (res,) = te.executeCombineArchive(str(path), createOutputs=True, saveOutputs=False, plottingEngine=None).values()
    got = {names[k]: float(np.asarray(v).ravel()[-1]) for k, v in res["dataGenerators"].items()}
    for k, x in enumerate(xs, start=1):
        assert got[f"task{k}.y0"] == pytest.approx(float(net.forward(x)[0]), rel=1e-6)


def test_tellurium_script_runs(exported, capsys, monkeypatch):
    _te()
    import runpy

    net, _, written, _, _ = exported
    script = next(p for p in written["tellurium"] if p.suffix == ".py")
    monkeypatch.chdir(script.parent)
    runpy.run_path(str(script), run_name="__main__")
    lines = [line for line in capsys.readouterr().out.splitlines() if "expected" in line]
    assert len(lines) == len(INPUTS)
    for line, x in zip(lines, INPUTS):
        got = float(line.split("expected")[0].rsplit("[", 1)[1].strip(" ]',"))
        assert got == pytest.approx(float(net.forward(x)[0]), rel=1e-6)
