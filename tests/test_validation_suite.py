"""`python -m validation` over the checked-in models, the longest test: a file
of its own, so the suite's worker processes (--dist loadfile) run it beside
the rest of tests/test_validation.py instead of after it."""

from __future__ import annotations

import json
import subprocess
import sys

from test_validation import MODELS, ROOT, XOR_JSON, edited


def test_suite_over_models(tmp_path):
    """`python -m validation` over the checked-in models (what CI runs), then
    over a folder with a broken model: exit 0, then 1."""
    # the timeout only guards against a hang: 7 models took 3-13 min on 2 busy cores beside 3 other workers
    run = subprocess.run([sys.executable, "-m", "validation", "--out", str(tmp_path / "ok"), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((tmp_path / "ok" / "summary.json").read_text())
    assert len(summary) == len(list(MODELS.glob("*.json"))) + len(list(MODELS.glob("*/*.xml")))
    assert all(entry["passed"] for entry in summary.values())
    assert (tmp_path / "ok" / "xor-xml" / "report.html").is_file()

    models = tmp_path / "models"
    (models / "xor").mkdir(parents=True)
    (models / "xor.json").write_text(XOR_JSON.read_text())
    edited(models / "xor", "xor", lambda m: m.getParameter("w_L1_u0_i0").setValue(1.5))
    run = subprocess.run([sys.executable, "-m", "validation", "--models", str(models), "--out",
                          str(tmp_path / "bad"), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert "FAILED: xor-xml" in run.stdout
