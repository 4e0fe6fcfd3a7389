"""The command line: compile and simulate on the XOR model, checked against a
forward pass computed here by hand, and the contract for bad input: exit
status 2, one line on stderr naming the problem, no traceback, and no file
created or changed."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import libsbml
import numpy as np
import pytest

from crn2sbml.cli import main
from conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
XOR_JSON = REPO / "models" / "xor.json"
ALL_INPUTS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
OLD = {"xor.xml": b"<old sbml/>\n", "xor.ant": b"// old antimony\n", "xor.crn": b"# old crn\n"}


# --- the oracle ----------------------------------------------------------------------
def xor_oracle(x1: float, x2: float) -> float:
    """The XOR network's output by hand: y = s(h1 + h2 - 2 sqrt(eps)), h1 = s(x1 - x2),
    h2 = s(x2 - x1), s(z) = (z + sqrt(z^2 + 4 eps))/2 (conjugate form for z < 0)."""
    spec = json.loads(XOR_JSON.read_text())
    eps = spec["epsilon"]
    w1, b1 = np.array(spec["layers"][0]["weights"]), np.array(spec["layers"][0]["bias"])
    w2, b2 = np.array(spec["layers"][1]["weights"]), np.array(spec["layers"][1]["bias"])
    # the file is the network its description says it is
    assert w1.tolist() == [[1, -1], [-1, 1]] and b1.tolist() == [0, 0] and w2.tolist() == [[1, 1]]
    assert b2[0] == pytest.approx(-2 * math.sqrt(eps), rel=1e-15)

    def s(z):
        r = np.sqrt(z * z + 4 * eps)
        return np.where(z >= 0, (z + r) / 2, 2 * eps / (r - np.minimum(z, 0)))

    h = s(w1 @ np.array([x1, x2]) + b1)
    return float(s(w2 @ h + b2)[0])


# --- helpers -------------------------------------------------------------------------
run = run_cli


def run_subprocess(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crn2sbml", *map(str, args)],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")},
    )


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under root, with file contents."""
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


def assert_one_line_error(code, out, err, *fragments):
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("crn2sbml: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert out == ""


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A folder to run in, holding a copy of the XOR model, a plain file and an
    --out folder that already holds older output files."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "xor.json").write_bytes(XOR_JSON.read_bytes())
    (tmp_path / "somefile.txt").write_text("just a file\n")
    out = tmp_path / "out"
    out.mkdir()
    for name, data in OLD.items():
        (out / name).write_bytes(data)
    return tmp_path


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    """models/xor.json compiled once (input 1,0 stored in the model)."""
    folder = tmp_path_factory.mktemp("compiled")
    assert main(["compile", str(XOR_JSON), "--out", str(folder), "--input", "1,0"]) == 0
    return folder


# --- compile -------------------------------------------------------------------------
def test_compile_writes_sbml_antimony_and_crn(capsys, tmp_path):
    out_dir = tmp_path / "build" / "xor"  # created, parents too
    code, out, err = run(capsys, "compile", XOR_JSON, "--out", out_dir)
    assert code == 0, err
    assert err == ""
    assert sorted(p.name for p in out_dir.iterdir()) == ["xor.ant", "xor.crn", "xor.xml"]  # no temp files
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == ["xor"]
    assert out.splitlines()[0].startswith("xor: 5 species, 13 reactions")
    assert "layers 2-2-1" in out
    for name in ("xor.xml", "xor.ant", "xor.crn"):
        assert str(out_dir / name) in out
    xml = (out_dir / "xor.xml").read_text()
    assert xml.startswith("<?xml") and "<sbml" in xml and "crn2sbml" in xml
    doc = libsbml.readSBMLFromString(xml)
    assert doc.getModel() is not None and doc.getModel().getNumReactions() == 13
    assert "kappa" in (out_dir / "xor.ant").read_text()
    assert (out_dir / "xor.crn").read_text().startswith("# crn2sbml CRN 'xor'")


def test_compile_replaces_old_outputs_and_honours_formats(capsys, work):
    code, out, err = run(capsys, "compile", "xor.json", "--out", "out", "--formats", "sbml, crn")
    assert code == 0, err
    assert (work / "out" / "xor.xml").read_bytes() != OLD["xor.xml"]
    assert (work / "out" / "xor.crn").read_bytes() != OLD["xor.crn"]
    assert (work / "out" / "xor.ant").read_bytes() == OLD["xor.ant"]  # not asked for
    assert sorted(p.name for p in (work / "out").iterdir()) == ["xor.ant", "xor.crn", "xor.xml"]
    assert "antimony" not in out


def test_compile_stores_inputs_and_speed(capsys, work):
    assert run(capsys, "compile", "xor.json", "--out", "o", "--input", "0,1", "--speed", "4")[0] == 0
    code, out, err = run(capsys, "simulate", "o/xor.xml", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["inputs"] == {"x1": 0.0, "x2": 1.0}
    assert report["speed"] == 4.0
    assert report["steady_state"]["y"] == pytest.approx(xor_oracle(0, 1), rel=1e-8)


# --- simulate ------------------------------------------------------------------------
def test_simulate_sbml_prints_steady_state_beside_network_output(capsys, compiled):
    code, out, err = run(capsys, "simulate", compiled / "xor.xml", "--input", "1,0")
    assert code == 0, err
    assert "x1=1, x2=0" in out
    assert "time course of the outputs" in out
    head, _, table = out.partition("steady state (checked")
    assert table, out
    header = next(line for line in table.splitlines() if "CRN steady state" in line)
    assert "network output" in header and header.index("CRN steady state") < header.index("network output")
    row = next(line.split() for line in table.splitlines() if line.split()[:1] == ["y"])
    got, want, rel = float(row[1]), float(row[2]), float(row[3])
    expected = xor_oracle(1, 0)
    assert got == pytest.approx(expected, rel=1e-8)
    assert want == pytest.approx(expected, rel=1e-11)  # printed to 12 digits
    assert rel < 1e-8
    # the 11 time-course rows end at the steady state
    rows = [line.split() for line in head.splitlines() if line.strip() and line.split()[0][0].isdigit()]
    assert len(rows) == 11
    # compiled models start every neuron above its fixed point (so a plain Newton solve lands on it)
    assert float(rows[0][0]) == 0 and float(rows[0][1]) > expected
    assert float(rows[-1][1]) == pytest.approx(expected, rel=1e-4)


def test_simulate_sbml_uses_stored_inputs(capsys, compiled):
    code, out, err = run(capsys, "simulate", compiled / "xor.xml", "--json", "--backend", "numpy")
    assert code == 0, err
    report = json.loads(out)
    assert report["inputs"] == {"x1": 1.0, "x2": 0.0}
    assert report["steady_state"]["y"] == pytest.approx(xor_oracle(1, 0), rel=1e-8)


@pytest.mark.parametrize("backend", ["roadrunner", "numpy"])
@pytest.mark.parametrize("x", ALL_INPUTS, ids=lambda x: f"{x[0]:g},{x[1]:g}")
def test_simulate_json_matches_hand_oracle(capsys, backend, x):
    code, out, err = run(capsys, "simulate", XOR_JSON, "--input", f"{x[0]:g},{x[1]:g}", "--json", "--backend", backend)
    assert code == 0, err
    report = json.loads(out)
    assert report["model"] == "xor"
    assert report["backend"] == backend
    assert report["inputs"] == {"x1": x[0], "x2": x[1]}
    y = report["steady_state"]["y"]
    want = xor_oracle(*x)
    assert y == pytest.approx(want, rel=1e-8, abs=0)
    assert report["network_output"]["y"] == pytest.approx(want, rel=1e-12, abs=0)
    assert report["max_rel_error"] < 1e-8
    if x[0] != x[1]:
        assert y > 0.5
    else:
        assert y < 0.1
    tc = report["time_course"]
    assert len(tc["time"]) == len(tc["y"]) == 11
    assert tc["time"][0] == 0 and tc["time"][-1] > 0


def test_speed_keeps_steady_state_and_shrinks_time(capsys):
    reports = {}
    for speed in ("1", "10"):
        code, out, err = run(capsys, "simulate", XOR_JSON, "--input", "1,0", "--json", "--speed", speed)
        assert code == 0, err
        reports[speed] = json.loads(out)
    slow, fast = reports["1"], reports["10"]
    assert (slow["speed"], fast["speed"]) == (1.0, 10.0)
    assert fast["steady_state"]["y"] == pytest.approx(slow["steady_state"]["y"], rel=1e-8)
    assert fast["steady_state"]["y"] == pytest.approx(xor_oracle(1, 0), rel=1e-8)
    assert slow["presimulated"] / fast["presimulated"] == pytest.approx(10, rel=0.2)
    assert slow["time_course"]["time"][-1] / fast["time_course"]["time"][-1] == pytest.approx(10, rel=0.2)


def test_speed_override_on_sbml(capsys, compiled):
    code, out, err = run(capsys, "simulate", compiled / "xor.xml", "--json", "--speed", "10")
    assert code == 0, err
    report = json.loads(out)
    assert report["speed"] == 10.0
    assert report["steady_state"]["y"] == pytest.approx(xor_oracle(1, 0), rel=1e-8)


def test_plot_writes_png(capsys, work):
    code, out, err = run(capsys, "simulate", "xor.json", "--input", "0,1", "--plot", "out/plot.png")
    assert code == 0, err
    data = (work / "out" / "plot.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    assert "plot: out/plot.png" in out
    assert sorted(p.name for p in (work / "out").iterdir()) == ["plot.png", *sorted(OLD)]  # no temp files


def test_time_and_points(capsys):
    code, out, err = run(capsys, "simulate", XOR_JSON, "--input", "1,1", "--json", "--time", "5", "--points", "3")
    assert code == 0, err
    assert json.loads(out)["time_course"]["time"] == [0.0, 2.5, 5.0]


# --- bad input: exit 2, one line, nothing written ------------------------------------
NOT_OURS_SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="other">
    <listOfCompartments><compartment id="c" size="1" constant="true" spatialDimensions="3"/></listOfCompartments>
    <listOfSpecies>
      <species id="A" compartment="c" initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
    </listOfSpecies>
    <listOfParameters><parameter id="k" value="1" constant="true"/></listOfParameters>
    <listOfReactions>
      <reaction id="r" reversible="false">
        <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/></listOfReactants>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>k</ci><ci>A</ci></apply></math></kineticLaw>
      </reaction>
    </listOfReactions>
  </model>
</sbml>
"""


def _tampered(text: str) -> str:
    """A crn2sbml SBML whose weight annotation points at a source unit that does not exist."""
    old = 'role="weight" layer="1" unit="0" source="1"'
    assert old in text
    return text.replace(old, 'role="weight" layer="1" unit="0" source="7"', 1)


BAD_FILES = {
    "malformed.json": '{"epsilon": 0.01, "layers": [',
    "misspelt.json": '{"epsilon": 0.01, "layers": [{"wieghts": [[1, 2]]}]}',
    "missing.json": '{"epsilon": 0.01}',
    "ragged.json": '{"epsilon": 0.01, "layers": [{"weights": [[1, 2], [3]]}]}',
    "mismatch.json": '{"epsilon": 0.01, "layers": [{"weights": [[1, 2]]}, {"weights": [[1, 2]]}]}',
    "nan.json": '{"epsilon": 0.01, "layers": [{"weights": [[1, NaN]]}]}',
    "inf.json": '{"epsilon": 0.01, "layers": [{"weights": [[1, 2]], "bias": [-Infinity]}]}',
    "eps0.json": '{"epsilon": 0, "layers": [{"weights": [[1, 2]]}]}',
    "epsneg.json": '{"epsilon": 0.1, "layers": [{"weights": [[1, 2]], "epsilon": -0.5}]}',
    "tanh.json": '{"epsilon": 0.01, "layers": [{"weights": [[1, 2]], "activation": "tanh"}]}',
    "array.json": "[1, 2]",
    "garbage.xml": "garbage \x00 not xml at all",
    "html.xml": "<html><body>not sbml</body></html>",
    "notours.xml": NOT_OURS_SBML,
}

BAD_RUNS = {
    # malformed / misspelt / missing fields, shapes, numbers, epsilon, activation
    "malformed-json": (["compile", "malformed.json"], ["malformed.json", "not valid JSON", "line 1"]),
    "misspelt-field": (["compile", "misspelt.json"], ["layers[0]", "'wieghts'", "did you mean 'weights'"]),
    "missing-field": (["compile", "missing.json"], ["missing field 'layers'"]),
    "ragged": (["compile", "ragged.json"], ["layers[0].weights[1]", "ragged"]),
    "mismatched-shapes": (["compile", "mismatch.json"], ["layers[1].weights", "columns"]),
    "nan": (["compile", "nan.json"], ["layers[0].weights[0][1]", "finite"]),
    "infinity": (["compile", "inf.json"], ["layers[0].bias[0]", "finite"]),
    "eps-zero": (["compile", "eps0.json"], ["epsilon is 0", "> 0"]),
    "eps-negative": (["compile", "epsneg.json"], ["layers[0].epsilon", "> 0"]),
    "unknown-activation": (["compile", "tanh.json"], ["unknown activation 'tanh'", "smoothed_relu"]),
    "not-an-object": (["compile", "array.json"], ["JSON object", "layers"]),
    "missing-network": (["compile", "nope.json"], ["nope.json"]),
    "sbml-to-compile": (["compile", "garbage.xml"], ["garbage.xml", "JSON"]),
    # inputs
    "too-few-inputs": (["compile", "xor.json", "--input", "1"], ["takes 2 values", "x1, x2"]),
    "too-many-inputs": (["compile", "xor.json", "--input", "1,0,1"], ["takes 2 values"]),
    "negative-input": (["compile", "xor.json", "--input", "-1,0"], ["'x1'", "negative", ">= 0"]),
    "negative-input-2": (["compile", "xor.json", "--input", "0,-0.5"], ["'x2'", "negative"]),
    "nan-input": (["compile", "xor.json", "--input", "nan,0"], ["NaN", "finite"]),
    "not-a-number-input": (["compile", "xor.json", "--input", "1,abc"], ["--input", "'abc' is not a number", "1,0"]),
    # formats and folders
    "bad-format": (["compile", "xor.json", "--formats", "sbml,pdf"], ["unknown format 'pdf'", "sbml, antimony, crn"]),
    "out-under-a-file": (["compile", "xor.json", "--out", "somefile.txt/sub"], ["somefile.txt/sub", "writable"]),
    "out-is-a-file": (["compile", "xor.json", "--out", "somefile.txt"], ["somefile.txt", "writable"]),
    "out-in-proc": (["compile", "xor.json", "--out", "/proc/crn2sbml-test/out"], ["/proc/crn2sbml-test/out"]),
    # simulate: unreadable models and bad inputs
    "simulate-garbage": (["simulate", "garbage.xml"], ["garbage.xml", "not readable SBML"]),
    "simulate-not-sbml": (["simulate", "html.xml"], ["html.xml", "not readable SBML"]),
    "simulate-tampered": (["simulate", "tampered.xml"], ["'w_L1_u0_i1'", "source 7", "regenerate"]),
    "simulate-missing": (["simulate", "nope.xml"], ["nope.xml", "no such file"]),
    "simulate-folder": (["simulate", "out"], ["'out'"]),
    "simulate-bad-json": (["simulate", "nan.json", "--input", "1,0"], ["layers[0].weights[0][1]"]),
    "simulate-wrong-inputs": (["simulate", "xor.json", "--input", "1"], ["takes 2 values"]),
    "simulate-negative-input": (["simulate", "xor.json", "--input", "-0.5,1"], ["'x1'", "negative"]),
    "simulate-sbml-negative-input": (["simulate", "tampered_ok.xml", "--input", "1,-1"], ["'x2'", "negative"]),
    "plot-bad-suffix": (["simulate", "xor.json", "--input", "1,0", "--plot", "out/plot.xyz"], ["--plot", ".xyz", ".png"]),
    "plot-under-a-file": (["simulate", "xor.json", "--input", "1,0", "--plot", "somefile.txt/p.png"], ["somefile.txt/p.png"]),
    "plot-missing-folder": (["simulate", "xor.json", "--input", "1,0", "--plot", "nofolder/p.png"], ["nofolder/p.png"]),
}


def _bad_files(work: Path) -> None:
    for name, text in BAD_FILES.items():
        (work / name).write_text(text, encoding="utf-8")
    assert main(["compile", "xor.json", "--out", "good", "--formats", "sbml"]) == 0
    sbml = (work / "good" / "xor.xml").read_text()
    (work / "tampered.xml").write_text(_tampered(sbml))
    (work / "tampered_ok.xml").write_text(sbml)


def _args_with_out(args: list[str]) -> list[str]:
    if args[0] == "compile" and "--out" not in args:
        return [*args, "--out", "out"]
    return args


@pytest.mark.parametrize("args, fragments", list(BAD_RUNS.values()), ids=list(BAD_RUNS))
def test_bad_input_fails_cleanly(capsys, work, args, fragments):
    _bad_files(work)
    capsys.readouterr()
    before = snapshot(work)
    code, out, err = run(capsys, *_args_with_out(args))
    assert_one_line_error(code, out, err, *fragments)
    assert snapshot(work) == before  # nothing created, old outputs byte-identical


def test_folder_in_the_way_leaves_old_outputs_untouched(capsys, work):
    """A failure midway through writing the formats changes none of the old files."""
    (work / "out" / "xor.ant").unlink()
    (work / "out" / "xor.ant").mkdir()
    before = snapshot(work)
    code, out, err = run(capsys, "compile", "xor.json", "--out", "out", "--input", "1,1")
    assert_one_line_error(code, out, err, "out/xor.ant")
    assert snapshot(work) == before
    assert (work / "out" / "xor.xml").read_bytes() == OLD["xor.xml"]


USAGE_ERRORS = {
    "speed-zero": ["compile", "xor.json", "--out", "out", "--speed", "0"],
    "speed-negative": ["simulate", "xor.json", "--speed", "-2"],
    "speed-nan": ["simulate", "xor.json", "--speed", "nan"],
    "speed-not-a-number": ["simulate", "xor.json", "--speed", "fast"],
    "time-inf": ["simulate", "xor.json", "--time", "inf"],
    "points-one": ["simulate", "xor.json", "--points", "1"],
    "unknown-backend": ["simulate", "xor.json", "--backend", "matlab"],
    "missing-out": ["compile", "xor.json"],
    "unknown-option": ["compile", "xor.json", "--out", "out", "--fromats", "sbml"],
    "no-command": [],
    "unknown-command": ["run", "xor.json"],
}


@pytest.mark.parametrize("args", list(USAGE_ERRORS.values()), ids=list(USAGE_ERRORS))
def test_bad_options_are_usage_errors(capsys, work, args):
    before = snapshot(work)
    code, out, err = run(capsys, *args)
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith("usage: crn2sbml")
    assert err.strip().splitlines()[-1].startswith("crn2sbml")
    assert ": error: " in err.strip().splitlines()[-1]
    assert out == ""
    assert snapshot(work) == before


# --- as a real program ---------------------------------------------------------------
def test_subprocess_compile_and_simulate(tmp_path):
    done = run_subprocess("compile", XOR_JSON, "--out", "build", "--input", "0,1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == ["xor.ant", "xor.crn", "xor.xml"]
    done = run_subprocess("simulate", "build/xor.xml", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["steady_state"]["y"] == pytest.approx(xor_oracle(0, 1), rel=1e-8)


def test_subprocess_version_and_help(tmp_path):
    done = run_subprocess("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("crn2sbml ")
    done = run_subprocess("simulate", "--help", cwd=tmp_path)
    assert done.returncode == 0 and "--backend" in done.stdout


@pytest.mark.parametrize(
    "name", ["malformed-json", "nan", "negative-input", "out-under-a-file", "plot-bad-suffix"]
)
def test_subprocess_bad_input(work, name):
    _bad_files(work)
    args, fragments = BAD_RUNS[name]
    before = snapshot(work)
    done = run_subprocess(*_args_with_out(args), cwd=work)
    assert_one_line_error(done.returncode, done.stdout, done.stderr, *fragments)
    assert snapshot(work) == before


def test_foreign_model_without_positive_steady_state_gives_its_time_course(work):
    """Its only fixed point is A = 0: the time course is the answer, and the
    missing positive steady state is said apart (issue 22; it was a refusal)."""
    _bad_files(work)
    done = run_subprocess("simulate", "notours.xml", cwd=work)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "time course of the first species (concentrations)" in done.stdout
    assert "no positive steady state found" in done.stdout and "non-positive concentrations (A)" in done.stdout


def test_subprocess_usage_error(work):
    done = run_subprocess("simulate", "xor.json", "--points", "1", cwd=work)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "crn2sbml: error: --points must be at least 2"
