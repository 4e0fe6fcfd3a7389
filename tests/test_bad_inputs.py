"""One regression test per kind of bad input the fuzz suite (tests/test_fuzz_*.py)
and issue 14 found, named after it: each now ends in one error line (exit 2),
a failed check (exit 1) or a correct result, never a traceback, a crash or a
false pass. (Names, numbers and limits: tests/test_names.py; untrusted files:
tests/test_untrusted_files.py; kills, a full disk, the cache: tests/test_faults.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from crn2sbml import InputError, SteadyStateError, compile_network, load_network
from crn2sbml.simulate.acceptance import accept

SIGNED = {"name": "signed", "epsilon": 0.05, "inputs": ["a", "b"], "outputs": ["o"],
          "layers": [{"weights": [[1.0, -0.5], [0.3, 0.8]], "bias": [0.1, -0.2]},
                     {"weights": [[1.5, -1.0]], "bias": [0.05], "activation": "identity"}]}


@pytest.fixture
def signed(tmp_path, capsys) -> Path:
    (tmp_path / "signed.json").write_text(json.dumps(SIGNED))
    assert run_cli(capsys, "compile", tmp_path / "signed.json", "--out", tmp_path / "out")[0] == 0
    return tmp_path / "out" / "signed.xml"


def one_line(code: int, err: str, want: int = 2) -> str:
    assert code == want and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crn2sbml: error: "), err
    return lines[0]


def edit(path: Path, name: str, pattern: str, repl: str) -> Path:
    text, n = re.subn(pattern, repl, path.read_text(), count=1, flags=re.S)
    assert n == 1
    out = path.with_name(name)
    out.write_text(text)
    return out


def test_nan_reaching_the_polynomial_check_is_one_line(tmp_path, capsys):
    data = dict(SIGNED, layers=[dict(SIGNED["layers"][0], activation={"name": "polynomial", "q": {"2": float("nan")}}),
                                SIGNED["layers"][1]])
    (tmp_path / "n.json").write_text(json.dumps(data))
    line = one_line(*run_cli(capsys, "compile", tmp_path / "n.json", "--out", tmp_path / "o")[::2])
    assert "layers[0]" in line


def test_simulate_input_for_a_species_defined_by_an_assignment_rule(signed, capsys):
    rule = ('<assignmentRule variable="a"><math xmlns="http://www.w3.org/1998/Math/MathML"><cn> 1 </cn></math>'
            '</assignmentRule>')
    path = edit(signed, "rule.xml", "<listOfRules>", "<listOfRules>" + rule)
    line = one_line(*run_cli(capsys, "simulate", path, "--input", "1,0")[::2])
    assert "assignment rule for a" in line


def test_cvode_convergence_failure_is_one_line(signed, capsys):
    path = edit(signed, "stiff.xml", r'(id="ann_L1_u0"[^>]*value=")[^"]*"', r'\g<1>1e300"')
    code, out, err = run_cli(capsys, "simulate", path, "--input", "1,0")
    assert err.count("crn2sbml: error:") == 1 and "CV_CONV_FAILURE" in err and code == 2, err
    assert "Traceback" not in err


def test_rate_constant_near_double_range_fails_in_one_line_without_warnings(signed, capsys):
    """A weight of 1e200 overflowed the settling bound (NaN time units) and
    printed numpy's RuntimeWarnings above the error."""
    path = edit(signed, "huge.xml", r'(id="w_L1_u0_i0"[^>]*value=")[^"]*"', r'\g<1>1e200"')
    code, out, err = run_cli(capsys, "simulate", path, "--input", "1,0")
    line = one_line(code, "\n".join(l for l in err.splitlines() if not l.startswith("crn2sbml: note:")))
    assert "nan time units" not in line


def test_nan_relative_error_never_accepts_a_steady_state():
    net = load_network(Path(__file__).resolve().parent.parent / "models" / "xor.json")
    crn = compile_network(net, inputs=[1, 0])
    values = np.ones(len(crn.species))
    with pytest.raises(SteadyStateError):
        accept(crn, values, 0.0, backend="test", expected_state=np.full(len(crn.species), np.nan))


def test_sbml_not_well_formed_xml_is_one_line(signed, capsys):
    path = signed.with_name("cut.xml")
    path.write_text(signed.read_text()[:5000])
    for command in ("simulate", "validate"):
        assert "not readable SBML" in one_line(*run_cli(capsys, command, path)[::2])


def test_validate_roadrunner_error_is_a_failed_check(signed, capsys):
    path = edit(signed, "stiff.xml", r'(id="ann_L1_u0"[^>]*value=")[^"]*"', r'\g<1>1e300"')
    code, out, err = run_cli(capsys, "validate", path, "--checks", "fixed_point", "--quiet", "--accept-edits")
    assert code == 1 and "Traceback" not in out + err and "FAIL fixed_point" in out, out + err


@pytest.mark.parametrize("samples", ["0", "-3"])
def test_sample_count_zero_or_negative_is_a_usage_error(tmp_path, capsys, samples):
    code, out, err = run_cli(capsys, "sweep", tmp_path / "x.json", "--eps", "0.1", "--samples", samples,
                             "--out", tmp_path / "s", "--serial")
    assert code == 2 and err.strip().splitlines()[-1] == f"crn2sbml: error: --samples is {samples}; it must be at least 1"


def test_negated_readout_fails_with_the_readme_subset_of_checks(signed, capsys, tmp_path):
    path = edit(signed, "negated.xml", r"(<assignmentRule .*?)o_pos(.*?)o_neg", r"\1@@\2o_pos")
    path.write_text(path.read_text().replace("@@", "o_neg"))
    for checks in ("sbml,fixed_point,convergence", "fixed_point", "structure"):
        code, out, err = run_cli(capsys, "validate", path, "--network", tmp_path / "signed.json", "--checks", checks,
                                 "--quiet")
        assert code == 1 and "readout o is" in out, (checks, out)


def test_negated_readout_is_not_reported_as_checked_by_simulate(signed, capsys):
    path = edit(signed, "negated.xml", r"(<assignmentRule .*?)o_pos(.*?)o_neg", r"\1@@\2o_pos")
    path.write_text(path.read_text().replace("@@", "o_neg"))
    code, out, err = run_cli(capsys, "simulate", path, "--input", "1,0", "--json")
    assert code == 0, err
    assert json.loads(out)["checked_against_network"] is False


# --- import ----------------------------------------------------------------------------------
def onnx_file(tmp_path: Path, nodes, inits, n_in: int = 2, out: str = "y") -> Path:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n_in])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 1])], initializer=inits)
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


def import_error(capsys, path: Path) -> str:
    return one_line(*run_cli(capsys, "import", path, "--out", path.with_suffix(".json"))[::2])


def test_onnx_shapes_do_not_match_weights(tmp_path, capsys):
    from onnx import helper, numpy_helper

    path = onnx_file(tmp_path, [helper.make_node("Gemm", ["x", "W", "B"], ["y"], transB=1)],
                     [numpy_helper.from_array(np.ones((1, 2), np.float32), "W"),
                      numpy_helper.from_array(np.ones(3, np.float32), "B")])
    assert "the bias has 3 values for 1 outputs" in import_error(capsys, path)


def test_onnx_index_out_of_range_in_graph(tmp_path, capsys):
    """A node without outputs (its output index out of range) once raised IndexError."""
    from onnx import helper, numpy_helper

    node = helper.make_node("Gemm", ["x", "W"], ["y"], transB=1)
    del node.output[:]
    path = onnx_file(tmp_path, [node], [numpy_helper.from_array(np.ones((1, 2), np.float32), "W")])
    assert "0 outputs" in import_error(capsys, path)


def test_onnx_non_numeric_initializer(tmp_path, capsys):
    from onnx import TensorProto, helper

    path = onnx_file(tmp_path, [helper.make_node("Gemm", ["x", "W"], ["y"], transB=1)],
                     [helper.make_tensor("W", TensorProto.STRING, [1], [b"abc"])])
    assert "not numbers" in import_error(capsys, path)


def test_onnx_graph_that_is_not_a_chain_is_refused(tmp_path, capsys):
    """Two Gemms both reading the graph input were imported as a chain: a
    different function, written without a word."""
    from onnx import helper, numpy_helper

    nodes = [helper.make_node("Gemm", ["x", "W0"], ["h"], transB=1),
             helper.make_node("Gemm", ["x", "W1"], ["y"], transB=1)]
    path = onnx_file(tmp_path, nodes, [numpy_helper.from_array(np.ones((2, 2), np.float32), "W0"),
                                       numpy_helper.from_array(np.ones((1, 2), np.float32), "W1")])
    assert "chain" in import_error(capsys, path)


def test_predict_refuses_a_model_with_a_rule_it_would_drop(signed, capsys, tmp_path):
    """predict (and export) once ran the IR of a model whose input was set by
    an assignment rule, dropping the rule: outputs of another model, exit 0."""
    rule = ('<assignmentRule variable="a"><math xmlns="http://www.w3.org/1998/Math/MathML"><cn> 1 </cn></math>'
            '</assignmentRule>')
    path = edit(signed, "rule.xml", "<listOfRules>", "<listOfRules>" + rule)
    (tmp_path / "x.csv").write_text("a,b\n0,0\n")
    line = one_line(*run_cli(capsys, "predict", path, "--inputs-file", tmp_path / "x.csv",
                             "--out", tmp_path / "p.csv")[::2])
    assert "assignment rule for a" in line and not (tmp_path / "p.csv").exists()


def test_input_named_like_antimonys_default_compartment_loads_in_antimony(tmp_path, capsys):
    """Antimony declares `default_compartment` itself: a species of that id made
    an .ant file Antimony refuses (found by the fuzz suite's random profile)."""
    import antimony

    data = dict(SIGNED, inputs=["default_compartment", "b"])
    (tmp_path / "dc.json").write_text(json.dumps(data))
    code, _, err = run_cli(capsys, "compile", tmp_path / "dc.json", "--out", tmp_path / "o")
    assert code == 0, err
    assert antimony.loadAntimonyString((tmp_path / "o" / "signed.ant").read_text()) >= 0, antimony.getLastError()
    net = load_network(tmp_path / "dc.json")
    code, out, err = run_cli(capsys, "simulate", tmp_path / "o" / "signed.xml", "--input", "default_compartment=0.4,b=0.7")
    assert code == 0, err
    value = float(re.search(r"\bo\b\D*?(-?\d+\.\d+(?:e-?\d+)?)", out).group(1))
    assert value == pytest.approx(float(net.forward([0.4, 0.7])[0]), rel=1e-6)


def test_description_with_control_characters_is_refused_naming_the_field(tmp_path, capsys):
    (tmp_path / "cc.json").write_text(json.dumps(dict(SIGNED, description="trained\x0bon day 2")))
    line = one_line(*run_cli(capsys, "compile", tmp_path / "cc.json", "--out", tmp_path / "o")[::2])
    assert "description" in line and "\\x0b" in line
    assert not (tmp_path / "o").exists()


def test_bias_at_the_edge_of_double_range_keeps_the_forward_pass_finite():
    """z*z overflowed from |z| = 1.4e154, so a network the loader accepts (bias
    1e308) had an infinite forward pass (found by the fuzz suite's random
    profile). sigma_eps(z) is about z for z >> 0 and eps/|z| for z << 0."""
    from crn2sbml import network_from_dict

    for bias, expected in ((1e308, 1e308), (1e200, 1e200), (-1e200, 0.01 / 1e200)):
        net = network_from_dict({"epsilon": 0.01, "layers": [{"weights": [[0.0, 0.0]], "bias": [bias]}]})
        out = net.forward([0.0, 0.0])
        assert np.all(np.isfinite(out)) and out[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("field", ["name", "inputs", "outputs"])
def test_name_with_a_trailing_newline_is_refused_naming_the_field(tmp_path, capsys, field):
    """`$` in the id pattern matched before a final newline, so a network named
    "x\\n" compiled to a file 'x\\n.ant' that Antimony cannot load (found by the
    fuzz suite in CI)."""
    value = {"name": "x\n", "inputs": ["a\n", "b"], "outputs": ["o\n"]}[field]
    (tmp_path / "nl.json").write_text(json.dumps(dict(SIGNED, **{field: value})))
    line = one_line(*run_cli(capsys, "compile", tmp_path / "nl.json", "--out", tmp_path / "o")[::2])
    assert field in line and "\\n" in line
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", [["validate", "NET", "--quiet"], ["sweep", "NET", "--eps", "0.1", "--out", "sw"],
                                     ["train", "DATA", "--target", "y", "--out", "t.json", "--quiet"]])
def test_negative_seed_is_a_usage_error(tmp_path, capsys, monkeypatch, command):
    """numpy's generators refuse a negative seed with a ValueError from deep in a
    check: `validate --seed=-1` ended in a traceback (found by the fuzz suite's long profile)."""
    from crn2sbml import train
    from crn2sbml.validate import Options

    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(tmp_path)
    args = [str(root / "models" / "xor.json") if a == "NET" else str(root / "models" / "xor" / "xor_data.csv")
            if a == "DATA" else a for a in command]
    line = one_line(*run_cli(capsys, *args, "--seed", "-1")[::2])
    assert "seed" in line and "-1" in line and ">= 0" in line
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match="seed"):
        Options(seed=-1)
    with pytest.raises(InputError, match="seed"):
        train(np.zeros((4, 2)), np.array([0, 1, 0, 1]), seed=-1)


def test_polynomial_check_with_epsilon_at_the_double_range_edge():
    """numpy.roots divides by the leading coefficient: eps = 1e308 over 0.5 made
    its companion matrix infinite and the uniqueness check raised LinAlgError
    (found by the fuzz suite's long profile). The check now works on the
    polynomial rescaled in logarithms, and still refuses what it must."""
    from crn2sbml import NetworkError, network_from_dict

    def polynomial(q: dict, eps: float) -> dict:
        return {"epsilon": eps, "layers": [{"weights": [[0.0, 0.0]], "activation": {"name": "polynomial", "q": q}}]}

    net = network_from_dict(polynomial({"2": -1.0, "3": -0.25}, 1e308))  # p(y) = 1e308 + y^2 + y^3/2 > 0
    y = float(net.forward([0.5, 0.5])[0])
    t = y / 1e103  # the fixed point of 1e308 - y^2 - y^3/4 = 0 (the weights are 0), scaled by 1e308
    assert np.isfinite(y) and t ** 2 * 1e-102 + 2.5 * t ** 3 == pytest.approx(1.0, rel=1e-12)
    # p(y) = 1e308 - y^2 + 2e-300 y^3 changes sign twice on (0, inf): not unique, refused
    with pytest.raises(NetworkError, match="increase near y"):
        network_from_dict(polynomial({"2": 1.0, "3": -1e-300}, 1e308))


# --- issue 22: tracebacks still reachable, each kind by name ---------------------------------
@pytest.mark.parametrize("command", [["simulate"], ["validate", "--quiet"], ["export", "--format", "omex", "--out", "e"]])
def test_compartment_of_size_zero(signed, capsys, tmp_path, command):
    path = edit(signed, "size0.xml", r'(<compartment [^>]*size=")1(")', r"\g<1>0\2")
    code, out, err = run_cli(capsys, command[0], path, *[tmp_path / a if a == "e" else a for a in command[1:]])
    if command[0] == "validate":  # the model loads; every check that simulates says why it does not
        assert code == 1 and "compartment 'cell' has size 0.0" in out and "Traceback" not in err, out + err
    else:
        assert "compartment 'cell' has size 0.0" in one_line(code, err)


@pytest.mark.parametrize("ranges", ["[[-1, 1]]", "[[-1, 1], [0, 1], [0, 1]]", "[1, 2]", "[[1, 2, 3], [0]]", "{}"])
def test_half_recognised_layer_structure(tmp_path, capsys, ranges):
    """input_ranges annotations that do not fit the input species (CRN.encoding indexed past them)."""
    data = dict(SIGNED, input_ranges=[[-1, 1], [0, 2]])
    (tmp_path / "r.json").write_text(json.dumps(data))
    assert run_cli(capsys, "compile", tmp_path / "r.json", "--out", tmp_path / "out")[0] == 0
    path = edit(tmp_path / "out" / "signed.xml", "ranges.xml", r'input_ranges="[^"]*"',
                f'input_ranges="{ranges.replace(chr(34), "&quot;")}"')
    for command in ("simulate", "export"):
        extra = ("--format", "nuskell", "--out", tmp_path / "e") if command == "export" else ()
        assert "do not describe a network" in one_line(*run_cli(capsys, command, path, *extra)[::2])


def test_sweep_plot_with_no_positive_values(tmp_path):
    """Log axes of values that are all <= 0 or not finite (matplotlib raised)."""
    from dataclasses import fields, replace

    from crn2sbml.sweep import SweepGrid
    from crn2sbml.sweep.engine import make_executor
    from crn2sbml.sweep.grid import plot_sweep

    grid = SweepGrid(load_network(Path(__file__).parent.parent / "models" / "xor.json"), np.array([[1.0, 0.0]]),
                     (0.1, 0.01), (1.0,), tol=1e-6, chunk=500, measure=False, source="test")
    with make_executor(None, None, True, tasks=1) as executor:
        result = grid.run(executor, progress=False)
    figures = {f.name for f in fields(result.points[0]) if f.name in
               ("max_rel_error", "max_unsmoothed_gap", "settling_bound_max")}
    for value in (0.0, -1.0, float("inf"), float("nan")):
        points = tuple(replace(p, **{name: value for name in figures}) for p in result.points)
        plot_sweep(replace(result, points=points), tmp_path / "sweep.png")
        assert (tmp_path / "sweep.png").stat().st_size > 0


@pytest.mark.parametrize("unit, time", [("1e-300nM", "1e-300s"), ("1e-320nM", "s"), ("1e300nM", "s"),
                                        ("1nM", "1e300s"), ("1e-13nM", "s")])
def test_export_with_extreme_unit_scales(signed, capsys, tmp_path, unit, time):
    line = one_line(*run_cli(capsys, "export", signed, "--format", "sheet,tellurium", "--out", tmp_path / "e",
                             "--concentration-unit", unit, "--time-unit", time)[::2])
    assert "restates rate constants for units from 1e-12 to 1e+12" in line


def test_export_unit_scales_at_the_bounds_work(signed, capsys, tmp_path):
    code, out, err = run_cli(capsys, "export", signed, "--format", "sheet", "--out", tmp_path / "e",
                             "--concentration-unit", "1e-12nM", "--time-unit", "1e12s")
    assert code == 0, err


def test_omex_report_the_writer_cannot_name(signed, capsys, tmp_path):
    (tmp_path / "report.txt").write_text("not a report")
    line = one_line(*run_cli(capsys, "export", signed, "--format", "omex", "--out", tmp_path / "e",
                             "--report", tmp_path / "report.txt")[::2])
    assert "is not a .json or .html file" in line and not (tmp_path / "e").exists()


@pytest.mark.parametrize("rows, task, words", [
    ("x1,x2,y\n0,0,0\n1,abc,1\n0,1,1\n", "classify", "column 'x2' is 'abc', not a number"),
    ("x1,x2,y\n0,0,0\n1,0,1\n0,1,zz\n", "regress", "regression target 3 is 'zz', not a number"),
    ("x1,x2,y\n0,0,0\n1,0,inf\n0,1,1\n", "regress", "targets must be finite numbers"),
])
def test_train_on_a_data_file_with_a_text_cell(tmp_path, capsys, rows, task, words):
    (tmp_path / "d.csv").write_text(rows)
    line = one_line(*run_cli(capsys, "train", tmp_path / "d.csv", "--target", "y", "--task", task, "--hidden", "2",
                             "--max-iter", "2", "--quiet", "--out", tmp_path / "n.json")[::2])
    assert words in line


@pytest.mark.parametrize("low", [np.array([], np.float32), np.array([0.0, 1.0], np.float32)], ids=["empty", "two"])
def test_onnx_clip_whose_min_is_not_a_scalar(tmp_path, capsys, low):
    """ONNX's Clip bound is a scalar; an omitted input (name '') is "no bound", an
    empty tensor is neither (onnx's reference evaluator refuses it too)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "W", "B"], ["z"], transB=1), helper.make_node("Clip", ["z", "lo", "hi"], ["y"],
                                                                                       name="clip")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])],
        initializer=[numpy_helper.from_array(np.ones((1, 2), np.float32), "W"),
                     numpy_helper.from_array(np.zeros(1, np.float32), "B"), numpy_helper.from_array(low, "lo"),
                     numpy_helper.from_array(np.array(1.0, np.float32), "hi")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), tmp_path / "c.onnx")
    line = one_line(*run_cli(capsys, "import", tmp_path / "c.onnx", "--out", tmp_path / "n.json")[::2])
    assert f"Clip node 'clip' has a min input of shape {low.shape}" in line


@pytest.mark.parametrize("fmt", ["tellurium", "nuskell", "dsd", "sheet", "omex"])
def test_export_on_a_full_disk(signed, capsys, tmp_path, monkeypatch, fmt):
    """Every writer writes into the stage folder of _atomic.staged_folder, whose
    one error path names the file (the Tellurium writer's OSError escaped)."""
    import builtins
    import errno
    import io

    real = io.open

    def full(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax") and ".crn2sbml-" in str(file):
            raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return real(file, mode, *args, **kwargs)

    monkeypatch.setattr(io, "open", full)
    monkeypatch.setattr(builtins, "open", full)
    out = tmp_path / "e"
    out.mkdir()
    (out / "old.txt").write_text("kept")
    line = one_line(*run_cli(capsys, "export", signed, "--format", fmt, "--out", out)[::2])
    assert "No space left on device" in line and ".crn2sbml-" not in line, line
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]


def test_closed_stdout_pipe_ends_quietly(signed):
    """`simulate ... --json | head -c 100`: no BrokenPipeError traceback; exit 141 (128 + SIGPIPE)."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "crn2sbml", "simulate", str(signed), "--json", "--points", "20000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(100)
    proc.stdout.close()  # the reader goes away, as head does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and "Traceback" not in err, err


@pytest.mark.parametrize("count", [1, 0], ids=["model-level", "all"])
def test_partial_annotations_are_not_validated_as_foreign(signed, capsys, count):
    path = edit(signed, "stripped.xml", r"^", "")
    text = re.sub(r"<annotation>.*?</annotation>", "", path.read_text(), count=count, flags=re.S)
    path.write_text(text)
    code, out, err = run_cli(capsys, "validate", path, "--quiet", "--checks", "sbml,structure")
    assert code == 1, out
    assert "a crn2sbml model with" in out and "not a foreign one" in out


def test_rule_messages_say_an_assignment_rule(signed, capsys):
    rule = ('<assignmentRule variable="a"><math xmlns="http://www.w3.org/1998/Math/MathML"><cn> 1 </cn></math>'
            '</assignmentRule>')
    path = edit(signed, "rule.xml", "<listOfRules>", "<listOfRules>" + rule)
    assert "the model has an assignment rule for a" in one_line(*run_cli(capsys, "simulate", path)[::2])
