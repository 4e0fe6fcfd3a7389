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
