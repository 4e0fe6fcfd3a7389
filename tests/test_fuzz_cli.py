"""The command line under generated inputs (strategies in fuzz_strategies.py):
every case holds the error contract (exit 0/1/2, one error line, no traceback,
no file created or changed by a failed run), and every model written with
exit 0 reads back in libsbml with 0 errors, loads in Antimony, and simulates
to the network's forward pass. In-process (``run_cli``) for speed."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import run_cli
from fuzz_strategies import (
    ROOT, SEMANTIC, assert_contract, assert_same_as_onnx, broken_network_text, cli_value, edited_sbml,
    fuzz_settings, network_dict, onnx_graph, snapshot, state_dict,
)
from crn2sbml import find_steady_state, load_network, read_sbml
from crn2sbml.simulate import RoadRunnerSimulator

XOR = ROOT / "models" / "xor.json"
# a tiny network with a signed (identity) output, so its SBML has a readout rule
SIGNED = {"name": "signed", "epsilon": 0.05, "inputs": ["a", "b"], "outputs": ["o"],
          "layers": [{"weights": [[1.0, -0.5], [0.3, 0.8]], "bias": [0.1, -0.2]},
                     {"weights": [[1.5, -1.0]], "bias": [0.05], "activation": "identity"}]}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A work folder every case starts from: networks, compiled models, CSVs,
    importer files, and earlier outputs that a failed run must leave alone."""
    from crn2sbml.cli import main

    base = tmp_path_factory.mktemp("fuzz-template")
    shutil.copy(XOR, base / "xor.json")
    (base / "signed.json").write_text(json.dumps(SIGNED))
    assert main(["compile", str(base / "xor.json"), "--out", str(base / "out")]) == 0
    assert main(["compile", str(base / "signed.json"), "--out", str(base / "out")]) == 0
    (base / "data.csv").write_text("x1,x2,label\n0,0,0\n1,0,1\n0,1,1\n1,1,0\n0.5,0.5,1\n0.2,0.9,1\n")
    (base / "inputs.csv").write_text("x1,x2\n1,0\n0,1\n")
    (base / "bad.csv").write_text("x1;x2\n1;0\n")
    # issue 22: a text cell among the features, and among regression targets
    (base / "text.csv").write_text("x1,x2,label\n0,0,0\n1,abc,1\n0,1,1\n1,1,0\n")
    (base / "textlabel.csv").write_text("x1,x2,label\n0,0,0\n1,0,1\n0,1,zz\n1,1,0\n")
    (base / "report.txt").write_text("a report in a format the OMEX manifest cannot name\n")
    (base / "empty.txt").write_text("")
    (base / "folder").mkdir()
    (base / "net.json").write_text(XOR.read_text())  # an earlier output of import/train
    (base / "pred.csv").write_text("old predictions\n")
    return base


class Work:
    """A fresh copy of the template per case, with the snapshot of its files."""

    def __init__(self, template: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="fuzz-case-"))
        shutil.copytree(template, self.dir, dirs_exist_ok=True)

    def __enter__(self) -> Work:
        self.cwd = os.getcwd()
        os.chdir(self.dir)
        return self

    def __exit__(self, *exc) -> None:
        os.chdir(self.cwd)
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, capsys, *args) -> tuple[int, str, str]:
        before = snapshot(self.dir)
        code, out, err = run_cli(capsys, *args)
        assert_contract(code, out, err, before, snapshot(self.dir))
        return code, out, err


def check_written_model(folder: Path, net_file: Path, x: list[float] | None = None) -> None:
    """A compiled model's files: SBML with 0 libsbml errors, Antimony that
    loads, and (given ``x``) roadrunner's steady state of the SBML file equal
    to the network's forward pass."""
    import antimony
    import libsbml

    sbml = next(folder.glob("*.xml"))
    doc = libsbml.readSBMLFromFile(str(sbml))
    doc.checkConsistency()
    errors = [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
              if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert not errors, errors[:3]
    for ant in folder.glob("*.ant"):
        antimony.clearPreviousLoads()
        assert antimony.loadAntimonyFile(str(ant)) >= 0, antimony.getLastError()
    if x is None:
        return
    net = load_network(net_file)
    crn = read_sbml(sbml).with_inputs(x)
    with RoadRunnerSimulator(crn, sbml.read_text()) as sim:
        ss = find_steady_state(sim, None)
    got = [ss.values[ss.species.index(o)] if o in ss.species else None for o in crn.output_names]
    if ss.outputs:
        got = list(ss.output_values)
    np.testing.assert_allclose(got, net.forward(x), rtol=1e-6, atol=1e-9)


def input_for(data: dict, draw) -> list[float]:
    n = len(data["layers"][0]["weights"][0])
    ranges = data.get("input_ranges") or [[0, 1]] * n
    out = []
    for lo, hi in ranges:
        lo = -1.0 if lo is None else float(lo)
        hi = lo + 2.0 if hi is None else float(hi)
        out.append(round(draw(st.floats(lo, hi)), 3))
    return out


# --- compile: network files ---------------------------------------------------------------
@fuzz_settings(300)
@given(case=broken_network_text())
def test_fuzz_compile_broken_network_files(template, capsys, case):
    text, kind = case
    with Work(template) as work:
        (work.dir / "case.json").write_text(text, encoding="utf-8", errors="surrogateescape")
        code, out, err = work.run(capsys, "compile", "case.json", "--out", "out")
        if code == 0:  # a file that was still valid (an optional field dropped, a name mapped)
            check_written_model(work.dir / "out", work.dir / "case.json")


@fuzz_settings(40)
@given(data=network_dict(), readouts=st.sampled_from(["rules", "species", "none"]), draw=st.data())
def test_fuzz_compile_valid_networks_simulate_to_forward_pass(template, capsys, data, readouts, draw):
    x = input_for(data, draw.draw)
    with Work(template) as work:
        (work.dir / "case.json").write_text(json.dumps(data))
        shutil.rmtree(work.dir / "out")
        code, out, err = work.run(capsys, "compile", "case.json", "--out", "out", "--readouts", readouts)
        assert code == 0, err
        check_written_model(work.dir / "out", work.dir / "case.json", x if readouts != "none" else None)


# --- simulate / validate: SBML edited by hand ----------------------------------------------
@contextlib.contextmanager
def edited_case(template: Path, model: str, draw) -> Iterator[tuple[Work, str, str]]:
    """A work folder holding ``edited.xml``: the model edited one way; yields (work, text, kind)."""
    text, kind = draw.draw(edited_sbml((template / "out" / f"{model}.xml").read_text()))
    with Work(template) as work:
        (work.dir / "edited.xml").write_text(text, encoding="utf-8", errors="surrogateescape")
        yield work, text, kind


@fuzz_settings(150)
@given(model=st.sampled_from(["xor", "signed"]), draw=st.data())
def test_fuzz_simulate_edited_sbml(template, capsys, model, draw):
    with edited_case(template, model, draw) as (work, _, _):
        args = ["simulate", "edited.xml", "--json", "--points", "3"]
        if draw.draw(st.booleans()):
            args += ["--input", draw.draw(st.sampled_from(["1,0", "0.3,0.7", "0,0"]))]
        work.run(capsys, *args)


@fuzz_settings(60)
@given(model=st.sampled_from(["xor", "signed"]), draw=st.data())
def test_fuzz_validate_edited_sbml_has_no_false_pass(template, capsys, model, draw):
    with edited_case(template, model, draw) as (work, text, kind):
        code, out, err = work.run(capsys, "validate", "edited.xml", "--network", f"{model}.json", "--quiet",
                                  "--checks", "sbml,structure")
        if kind in SEMANTIC and text != (template / "out" / f"{model}.xml").read_text():
            assert code != 0, f"validate passed a model edited by hand ({kind}):\n{out}"


# --- every subcommand's options ----------------------------------------------------------------
PATHS = ["xor.json", "out/xor.xml", "out/signed.xml", "signed.json", "missing.json", "folder", "empty.txt",
         "data.csv", "bad.csv", "x" * 300]
OUT_PATHS = ["out", "new_out", "folder", "empty.txt", "empty.txt/sub", "/proc/nope", "net.json", "pred.csv"]
COMMANDS = {
    # command: (positional choices, option -> None for a flag, extra arguments always added to bound the cost)
    "compile": (PATHS, {"--out": OUT_PATHS, "--speed": None, "--input": None, "--start": None, "--readouts": None,
                        "--sbml-version": None, "--formats": None, "--rate-constants": None}, []),
    "simulate": (PATHS, {"--input": None, "--backend": ["roadrunner", "numpy", "matlab"], "--speed": None,
                         "--time": None, "--points": ["2", "3", "0", "1", "-5", "x", "1e9"], "--json": "flag",
                         "--plot": ["p.png", "p.svg", "p.xyz", "folder/p.png", "empty.txt/p.png"],
                         "--no-cache": "flag"}, []),
    "validate": (PATHS, {"--network": PATHS, "--report": OUT_PATHS, "--input-range": None, "--seed": None,
                         "--checks": None, "--accept-edits": "flag", "--copasi-max-reactions": None,
                         "--roadrunner-max-reactions": None}, ["--quiet"]),
    "export": (PATHS, {"--format": None, "--out": OUT_PATHS, "--inputs": None, "--concentration-unit": None,
                       "--time-unit": None, "--chemistry": None, "--speed": None, "--volume": None,
                       "--report": PATHS + ["report.txt"]}, []),
    "import": (["model.onnx", "model.pt", "xor.json", "missing.onnx", "empty.txt", "folder"],
               {"--out": OUT_PATHS + ["imported.json"], "--activations": None, "--epsilon": None,
                "--name": ["n", "", "1x", "time", "x" * 200]}, []),
    "train": (["data.csv", "bad.csv", "empty.txt", "missing.csv", "folder", "text.csv", "textlabel.csv"],
              {"--target": None, "--hidden": None, "--epsilon": None, "--task": None, "--max-weight": None,
               "--l1": None, "--l2": None, "--seed": None, "--input-range": None, "--init": PATHS,
               "--name": ["n", "", "1x", "time"], "--out": OUT_PATHS + ["trained.json"]},
              ["--quiet", "--max-iter", "3"]),
    "sweep": (PATHS, {"--eps": ["0.1", "0.1,0.01", "0", "-1", "nan", "x", ""], "--speed": None,
                      "--inputs": None, "--samples": ["1", "2", "0", "-1", "x"], "--inputs-file": PATHS[:9],
                      "--seed": None, "--input-range": None, "--tol": None, "--measure": "flag",
                      "--chunk": ["1", "0", "500"], "--out": OUT_PATHS},
              ["--quiet", "--serial"]),
    "predict": (PATHS, {"--inputs-file": ["inputs.csv", "bad.csv", "empty.txt", "data.csv", "missing.csv",
                                          "folder"],
                        "--times": None, "--out": ["pred.csv", "new.csv", "folder", "empty.txt/p.csv"],
                        "--quiet": "flag"}, []),
}
CHEAP_FORMATS = ["nuskell", "dsd", "pdf", "", "nuskell,dsd", "tellurium", "omex"]


@st.composite
def cli_args(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    positionals, options, extra = COMMANDS[command]
    args = [command]
    if draw(st.integers(0, 9)):
        args.append(draw(st.sampled_from(positionals)))
    for option in draw(st.lists(st.sampled_from(sorted(options)), max_size=5, unique=True)):
        choices = options[option]
        if choices == "flag":
            args.append(option)
            continue
        if option == "--format":
            value = draw(st.sampled_from(CHEAP_FORMATS))
        elif option == "--checks":
            value = draw(st.sampled_from(["sbml", "structure", "bogus", "", "sbml,structure", ","]))
        else:
            value = draw(st.sampled_from(choices) if choices else cli_value(option))
        args += [option, value] if draw(st.integers(0, 5)) else [f"{option}={value}"]
    if command == "validate" and not any(a.startswith("--checks") for a in args):
        args += ["--checks", "sbml,structure"]
    if command == "export" and not any(a.startswith("--format") for a in args):
        args += ["--format", "nuskell"]
    if draw(st.integers(0, 15)) == 0:
        args.append(draw(st.sampled_from(["--bogus", "-x", "--", "extra", "--help"])))
    return args + extra


@fuzz_settings(250)
@given(args=cli_args())
def test_fuzz_cli_arguments(template, capsys, args):
    with Work(template) as work:
        if "model.onnx" in args or "model.pt" in args:
            _importer_files(work.dir)
        work.run(capsys, *args)  # (--help: exit 0 through argparse)


# --- export: a full disk (issue 22: the Tellurium writer's OSError escaped) -----------------------
@fuzz_settings(25)
@given(formats=st.lists(st.sampled_from(["tellurium", "nuskell", "dsd", "sheet", "omex"]), min_size=1, max_size=3,
                        unique=True), fail_at=st.integers(0, 4), model=st.sampled_from(["xor.json", "out/signed.xml"]))
def test_fuzz_export_on_a_full_disk(template, capsys, formats, fail_at, model):
    """The ``fail_at``-th file a writer opens in the stage folder hits a full
    disk: one error line, the output folder as it was (or, when the writers
    open fewer files, a complete export)."""
    import builtins
    import errno
    import io

    real, opened = io.open, []

    def full(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax") and ".crn2sbml-" in str(file):
            opened.append(file)
            if len(opened) > fail_at:
                raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return real(file, mode, *args, **kwargs)

    with Work(template) as work, pytest.MonkeyPatch.context() as mp:
        mp.setattr(io, "open", full)
        mp.setattr(builtins, "open", full)
        code, out, err = work.run(capsys, "export", model, "--format", ",".join(formats), "--out", "out")
        assert code in (0, 2)
        if code == 2:
            assert "No space left on device" in err


def _importer_files(folder: Path) -> None:
    """A valid state_dict and ONNX model for the argument lists that name them."""
    import onnx
    import torch

    torch.save({"0.weight": torch.ones(2, 2), "0.bias": torch.zeros(2)}, folder / "model.pt")
    from onnx import TensorProto, helper, numpy_helper
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "W", "B"], ["y"], transB=1)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])],
        initializer=[numpy_helper.from_array(np.ones((1, 2), np.float32), "W"),
                     numpy_helper.from_array(np.zeros(1, np.float32), "B")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), folder / "model.onnx")


# --- import: generated model files ---------------------------------------------------------
@fuzz_settings(150)
@given(case=st.one_of(onnx_graph().map(lambda c: ("onnx", c)), state_dict().map(lambda c: ("pt", c))))
def test_fuzz_import_files(template, capsys, case):
    """Generated ONNX graphs and state_dicts, mostly broken; an accepted ONNX
    graph must compute what onnx's reference evaluator computes."""
    import onnx
    import torch

    suffix, built = case
    with Work(template) as work:
        if suffix == "onnx":
            model, kind, n_in = built
            onnx.save(model, work.dir / "case.onnx")
            code, out, err = work.run(capsys, "import", "case.onnx", "--out", "net.json")
            if code == 0:
                assert_same_as_onnx(model, load_network(work.dir / "net.json"), n_in)
        else:
            sd, acts, kind = built
            torch.save(sd, work.dir / "case.pt")
            work.run(capsys, "import", "case.pt", "--out", "net.json", "--activations", ",".join(acts))
