"""Every example at the end of every subcommand's --help runs and exits 0, so
the examples cannot rot. They are run from the repository's root, as a reader
would; what they write (--out, --report) goes to a temporary folder instead."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from crn2sbml.cli import EXAMPLES, build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def _epilog_commands() -> list[tuple[str, str]]:
    """(subcommand, command line) as printed by --help, read back from the parser."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    found = []
    for name, command in sub.choices.items():
        lines = [line.strip() for line in (command.epilog or "").splitlines()]
        found += [(name, line) for line in lines if line.startswith("crn2sbml ")]
    return found


COMMANDS = _epilog_commands()


def test_every_subcommand_has_one_or_two_examples_of_itself(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(EXAMPLES) == set(sub.choices)
    for name in sub.choices:
        mine = [c for n, c in COMMANDS if n == name]
        assert 1 <= len(mine) <= 2 and all(c.split()[1] == name for c in mine), name
        with pytest.raises(SystemExit):
            main([name, "--help"])
        text = capsys.readouterr().out
        assert text.rstrip().endswith(mine[-1]), f"{name} --help does not end with its examples"


@pytest.mark.parametrize("name,command", COMMANDS, ids=[c for _, c in COMMANDS])
def test_the_example_runs(name, command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)[1:]
    assert all(Path(a).exists() for a in args if a.startswith("models/")), "an example names a missing file"
    outputs = [value for option, value in zip(args, args[1:]) if option in ("--out", "--report")]
    args = [str(tmp_path / a) if a in outputs else a for a in args]
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 0, f"{command}\n{out}\n{err}"
    assert all((tmp_path / o).exists() for o in outputs), command


def test_the_example_onnx_file_is_the_xor_network():
    """models/xor/xor.onnx (made with onnx.helper from models/xor.json: Gemm + Relu per layer) imports as it."""
    from crn2sbml import load_network
    from crn2sbml.importers import import_model

    imported, xor = import_model(ROOT / "models" / "xor" / "xor.onnx"), load_network(ROOT / "models" / "xor.json")
    assert [layer.activation for layer in imported.layers] == [layer.activation for layer in xor.layers]
    for a, b in zip(imported.layers, xor.layers):
        assert (a.weights == b.weights).all() and (a.bias == b.bias).all()
