"""Files from users are data: SBML is size-checked and refused with a DOCTYPE
or entities before any C library parses it (no external entity is read, no
entity expansion runs), and what roadrunner would crash on never reaches it.
Each test is named after the kind of bad input it stands for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import oracle_forward, run_cli
from crn2sbml import load_network

ROOT = Path(__file__).resolve().parent.parent
XOR_XML = ROOT / "models" / "xor" / "xor.xml"


def with_prefix(tmp_path: Path, name: str, prefix: str) -> Path:
    text = XOR_XML.read_text()
    at = text.index("<sbml")
    path = tmp_path / name
    path.write_text(text[:at] + prefix + text[at:])
    return path


def assert_refused(capsys, path: Path, *fragments: str) -> None:
    for command in ("simulate", "validate"):
        code, out, err = run_cli(capsys, command, path)
        assert code == 2 and "Traceback" not in out + err, err
        assert len(err.strip().splitlines()) == 1, err
        for fragment in fragments:
            assert fragment in err, err


def test_xml_external_entity_is_refused_unread(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    path = with_prefix(tmp_path, "xxe.xml", f'<!DOCTYPE sbml [<!ENTITY leak SYSTEM "file://{secret}">]>\n')
    assert_refused(capsys, path, "DOCTYPE", "entities")


def test_billion_laughs_is_refused_without_expanding(tmp_path, capsys):
    lol = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    path = with_prefix(tmp_path, "lol.xml", f'<!DOCTYPE sbml [<!ENTITY l0 "lol">{lol}]>\n')
    assert_refused(capsys, path, "DOCTYPE")


def test_large_xml_comment_does_not_crash_roadrunner(tmp_path, capsys):
    """roadrunner 2.10 dies with SIGSEGV on a ~100 kB XML comment; the loader
    hands it libsbml's comment-free serialization instead."""
    path = with_prefix(tmp_path, "comment.xml", "<!-- " + "x" * 100_000 + " -->\n")
    code, out, err = run_cli(capsys, "simulate", path, "--input", "1,0", "--json")
    assert code == 0, err
    net = load_network(ROOT / "models" / "xor.json")
    assert json.loads(out)["steady_state"]["y"] == pytest.approx(oracle_forward(net, [1, 0])[0], rel=1e-8)


def test_file_name_that_is_the_files_content(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "x" * 5000  # longer than any file name the system allows
    for command in ("simulate", "validate"):
        code, out, err = run_cli(capsys, command, name)
        assert code == 2 and "Traceback" not in out + err
        assert err.startswith("crn2sbml: error: cannot read model") and len(err.strip().splitlines()) == 1


def test_doctype_hidden_behind_a_comment_is_refused(tmp_path, capsys):
    """The DOCTYPE check once looked only before the first '<sbml'; a comment
    holding that text moved a real DOCTYPE out of its sight."""
    path = with_prefix(tmp_path, "hidden.xml", '<!-- <sbml --><!DOCTYPE sbml SYSTEM "http://127.0.0.1:1/x.dtd">\n')
    assert_refused(capsys, path, "DOCTYPE")


def test_onnx_external_data_is_refused_unread(tmp_path):
    """An ONNX initializer can name a file to read its values from: data from
    a path the file chooses is never read."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from crn2sbml import ModelReadError
    from crn2sbml.importers import load_onnx

    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.ones(2, np.float32).tobytes())
    w = numpy_helper.from_array(np.zeros((1, 2), np.float32), "W")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "secret.bin"), ("length", "8")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "W"], ["y"], transB=1)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])], initializer=[w])
    path = tmp_path / "ext.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    with pytest.raises(ModelReadError, match="stored outside the model file"):
        load_onnx(path)


def test_state_dict_with_code_is_refused_without_running_it(tmp_path):
    """A .pt file is a pickle: one that would run code on load is refused by
    torch.load(weights_only=True), and the code never runs."""
    import pickle

    from crn2sbml import ModelReadError
    from crn2sbml.importers import load_state_dict

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"0.weight": Payload()}))
    with pytest.raises(ModelReadError, match="weights_only"):
        load_state_dict(path, ["identity"])
    assert not marker.exists()


def test_skops_file_with_an_untrusted_type_is_refused(tmp_path):
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    from crn2sbml import ModelReadError
    from crn2sbml.importers import load_skops

    path = tmp_path / "evil.skops"
    skops.io.dump(FunctionTransformer(func=eval), path)
    with pytest.raises(ModelReadError):
        load_skops(path)


def test_package_never_runs_code_from_data():
    """No pickle loads, eval, exec, unsafe yaml or torch.load without
    weights_only anywhere in the package."""
    import re

    bad = re.compile(r"\bpickle\.loads?\(|(?<![\w.])eval\(|(?<![\w.])exec\(|yaml\.load\(|yaml\.unsafe_load|"
                     r"allow_pickle\s*=\s*True|marshal\.loads?\(|shelve\.open\(|__import__\(")
    found = []
    for path in sorted((ROOT / "crn2sbml").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if bad.search(code) or ("torch.load(" in code and "weights_only=True" not in code):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, found
