"""The one registry of output formats: what compile and export write, their
writers, and the CLI's options, help texts and errors that read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from crn2sbml import FORMATS, UnknownNameError
from crn2sbml.cli import build_parser, main
from crn2sbml.emit import Format, get_format
from crn2sbml.export import EXPORTERS, get_exporter
from crn2sbml.formats import COMPILE, EXPORT, OUTPUT_FORMATS, get_output_format, output_formats

XOR_JSON = Path(__file__).resolve().parent.parent / "models" / "xor.json"


def test_every_format_has_a_writer_of_its_commands_kind():
    assert set(output_formats(COMPILE)) | set(output_formats(EXPORT)) == set(OUTPUT_FORMATS)
    for name, fmt in OUTPUT_FORMATS.items():
        assert fmt.description and fmt.command in (COMPILE, EXPORT)
        if fmt.command == COMPILE:
            assert isinstance(fmt.writer, Format) and fmt.writer.name == name
        else:
            assert callable(fmt.writer)
    # the compile and export packages' tables are views of the registry
    assert list(FORMATS) == ["sbml", "antimony", "crn"] and FORMATS["sbml"] is get_format("sbml")
    assert list(EXPORTERS) == ["omex", "copasi", "tellurium", "nuskell", "dsd", "sheet"]
    assert all(EXPORTERS[n] is get_exporter(n) for n in EXPORTERS)


def test_unknown_names_list_the_known_ones_and_the_command_that_writes_them():
    with pytest.raises(UnknownNameError, match=r"unknown format 'pdf'; known formats: sbml, antimony, crn$"):
        get_output_format("pdf", COMPILE)
    with pytest.raises(UnknownNameError, match=r"known formats: sbml, antimony, crn; 'omex' is written by "
                                               r"crn2sbml export --format omex"):
        get_format("omex")
    with pytest.raises(UnknownNameError, match=r"unknown export format 'sbml'; known formats: omex, .*sheet; "
                                               r"'sbml' is written by crn2sbml compile --formats sbml"):
        get_exporter("sbml")


def _help(command: str) -> str:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return " ".join(sub.choices[command].format_help().split())


def test_help_texts_name_every_format_with_its_description():
    for command in (COMPILE, EXPORT):
        text = _help(command)
        for name, fmt in output_formats(command).items():
            assert f"{name} ({fmt.description})" in text


def test_cli_rejects_a_format_of_the_other_command(tmp_path, capsys):
    assert main(["export", str(XOR_JSON), "--format", "sbml", "--out", str(tmp_path / "e")]) == 2
    assert main(["compile", str(XOR_JSON), "--formats", "sbml,dsd", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("crn2sbml: error: unknown export format 'sbml'") and "crn2sbml compile" in err[0]
    assert err[1].startswith("crn2sbml: error: unknown format 'dsd'") and "crn2sbml export --format dsd" in err[1]
    assert not (tmp_path / "e").exists() and not (tmp_path / "c").exists()
