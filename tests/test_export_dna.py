"""crn2sbml export --format sheet --dna DIR: the hand-off sheet gains the DNA
design's verdict and strands, read from the files a real ``crn2sbml dna`` run
wrote (the strands CSV, read here with the csv module, is the oracle), and
bad --dna input is one error line, exit 2, with nothing written."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from crn2sbml.cli import main
from crn2sbml.errors import InputError
from crn2sbml.export import load_dna_section

XOR = "models/xor.json"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dna_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # --no-simulate: the strands and verdict do not depend on the DNA-level simulation (~6 s instead of minutes)
    out = tmp_path_factory.mktemp("xor-dna")
    assert main(["dna", XOR, "--scheme", "soloveichik2010", "--no-simulate", "--jobs", "1", "--quiet",
                 "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def sheet_html(dna_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("xor-sheet")
    assert main(["export", XOR, "--format", "sheet", "--dna", str(dna_dir), "--out", str(out)]) == 0
    return (out / "xor_sheet.html").read_text(encoding="utf-8")


def _strands(dna_dir: Path) -> list[dict[str, str]]:
    with open(dna_dir / "xor_strands.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_sheet_has_the_scheme_the_verdict_and_every_strand(dna_dir: Path, sheet_html: str) -> None:
    verification = json.loads((dna_dir / "xor_verification.json").read_text(encoding="utf-8"))
    assert "<h2>DNA implementation</h2>" in sheet_html
    assert f"Scheme {verification['scheme']}" in sheet_html
    n = len(verification["modules"])
    assert n > 0 and f"Verified: {n}/{n} modules; whole system: correct" in sheet_html
    rows = _strands(dna_dir)
    assert rows
    for r in rows:  # each strand's row as ordered: name, role, domains, the CSV's concentration verbatim
        cells = "".join(f"<td>{html.escape(r[c])}</td>" for c in ("strand", "role", "domains", "concentration_nM"))
        assert f"<tr>{cells}" in sheet_html, r


def test_sheet_totals_per_role_match_the_strands_csv(dna_dir: Path, sheet_html: str) -> None:
    count: dict[str, int] = defaultdict(int)
    total: dict[str, float] = defaultdict(float)
    for r in _strands(dna_dir):
        count[r["role"]] += 1
        total[r["role"]] += float(r["concentration_nM"])
    assert len(count) >= 2  # fuel and signal strands at least
    for role in count:
        m = re.search(rf"<tr><td>{re.escape(role)}</td><td>(\d+)</td><td>([^<]+)</td></tr>", sheet_html)
        assert m, role
        assert int(m.group(1)) == count[role]
        assert float(m.group(2)) == pytest.approx(total[role], rel=1e-5)  # the sheet prints 6 digits


def test_missing_dna_folder_is_one_line_and_leaves_the_output_folder_as_it_was(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sheet"
    out.mkdir()
    (out / "xor_sheet.html").write_text("an earlier sheet", encoding="utf-8")
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    before = _snapshot(out)
    code = main(["export", XOR, "--format", "sheet", "--dna", str(tmp_path / "nowhere"), "--out", str(out)])
    assert code == 2
    err = _error_line(capsys)
    assert "--dna" in err and "crn2sbml dna" in err
    assert _snapshot(out) == before


def test_unverified_design_is_refused_naming_the_failed_module(
        dna_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad-dna"
    shutil.copytree(dna_dir, bad)
    path = bad / "xor_verification.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    failed = data["modules"][1]["reaction"]
    data["modules"][1]["correct"] = False
    data["correct"], data["failed_modules"] = False, [failed]
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "sheet"
    code = main(["export", XOR, "--format", "sheet", "--dna", str(bad), "--out", str(out)])
    assert code == 2
    err = _error_line(capsys)
    assert "--dna" in err and failed in err and "not verified" in err
    assert not out.exists()


def test_dna_without_the_sheet_format_is_refused(dna_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dsd"
    code = main(["export", XOR, "--format", "dsd", "--dna", str(dna_dir), "--out", str(out)])
    assert code == 2
    err = _error_line(capsys)
    assert "--dna" in err and "--format sheet" in err
    assert not out.exists()


def test_a_design_of_another_model_is_named(dna_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(dna_dir, other)
    (other / "xor_verification.json").rename(other / "and_verification.json")
    with pytest.raises(InputError, match=r"--dna .*'and', not of 'xor'.*crn2sbml dna MODEL --scheme S --out DIR"):
        load_dna_section(other, "xor")


def test_missing_strands_or_unreadable_json_is_refused(dna_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "partial"
    shutil.copytree(dna_dir, folder)
    (folder / "xor_strands.csv").unlink()
    with pytest.raises(InputError, match=r"--dna .*no xor_strands\.csv; run crn2sbml dna"):
        load_dna_section(folder, "xor")
    (folder / "xor_verification.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"--dna .*xor_verification\.json is unreadable") as info:
        load_dna_section(folder, "xor")
    assert "\n" not in str(info.value)


def test_loaded_section_matches_the_files(dna_dir: Path) -> None:
    section = load_dna_section(dna_dir, "xor")
    rows = _strands(dna_dir)
    assert [s.strand for s in section.strands] == [r["strand"] for r in rows]
    assert section.verification["correct"] is True
    assert not section.has_sequences  # no --sequences: no sequence column


def test_export_does_not_import_the_dna_package() -> None:
    # one-way data flow: the sheet reads dna's files; crn2sbml.dna needs the optional DNA tools
    code = ("import sys, crn2sbml.export, crn2sbml.export.sheet, crn2sbml.export.dna_section; "
            "assert 'crn2sbml.dna' not in sys.modules, sorted(m for m in sys.modules if m.startswith('crn2sbml.dna'))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
