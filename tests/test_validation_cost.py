"""Validation's cost: per-check wall time in every form of the report; on a
large model cross-simulator agreement and roadrunner's sensitivities run on a
stated sample, and a sampled agreement still catches a hand-edited rate
constant (held to the forward pass, an oracle independent of every simulator)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import libsbml
import pytest

from crn2sbml.validate import Options, validate, write_report

ROOT = Path(__file__).resolve().parent.parent
XOR_XML = ROOT / "models" / "xor" / "xor.xml"
XOR_JSON = ROOT / "models" / "xor.json"
# xor has 13 reactions: above 5 it is "large", so the sampled paths run on a cheap model
SAMPLED = Options(large_model_reactions=5, roadrunner_parameters=3)


def test_the_report_carries_each_checks_wall_time(tmp_path):
    report = validate(XOR_XML, XOR_JSON, checks=("sbml", "structure", "fixed_point"))
    assert all(c.seconds > 0 for c in report.checks)
    assert sum(c.seconds for c in report.checks) <= report.seconds
    paths = write_report(report, tmp_path)
    saved = json.loads(paths["json"].read_text())
    assert [c["seconds"] for c in saved["checks"]] == [round(c.seconds, 3) for c in report.checks]
    page = re.sub(r"<[^>]+>", "", paths["html"].read_text())  # the text a reader sees
    lines = report.summary().splitlines()[1:]
    for c, line in zip(report.checks, lines):
        assert f"{c.name}: pass ({c.seconds:.2f} s)" in page
        assert f"{c.name:<12s} {c.seconds:6.1f} s" in line


def test_sampled_checks_state_their_sample():
    report = validate(XOR_XML, XOR_JSON, options=SAMPLED, checks=("agreement", "smoothness"))
    assert report.passed, report.summary()
    agreement = report["agreement"]
    assert agreement.figures["sample"] == "random sample of 1 input(s) (seed 20210031): the model has 13 reactions > 5"
    assert len(agreement.figures["inputs"]) == 1 and "random sample of 1 input" in agreement.reason
    smooth = report["smoothness"].figures
    assert smooth["roadrunner_sample"] == "3 of the 13 parameters (random, seed 20210031)"
    assert len(smooth["roadrunner_rows"]) == 3 and len(smooth["roadrunner"]) == 3
    assert "getuCC (unscaled concentration control coefficients) on 3 sampled parameters" in smooth["roadrunner_method"]
    # a small model keeps every input
    full = validate(XOR_XML, XOR_JSON, checks=("agreement",))
    assert full["agreement"].figures["sample"] == "all" and len(full["agreement"].figures["inputs"]) == 3


@pytest.mark.parametrize("rate,value", [("w_L2_u0_i0", 1.5), ("b_L2_u0", 0.07)])
def test_a_sampled_agreement_still_fails_on_a_hand_edited_rate_constant(tmp_path, rate, value):
    doc = libsbml.readSBMLFromFile(str(XOR_XML))
    assert doc.getModel().getParameter(rate).setValue(value) == libsbml.LIBSBML_OPERATION_SUCCESS
    path = tmp_path / "edited.xml"
    assert libsbml.writeSBMLToFile(doc, str(path))
    report = validate(path, XOR_JSON, options=SAMPLED, checks=("agreement",))
    check = report["agreement"]
    assert not check.passed and check.applicable
    assert check.figures["sample"].startswith("random sample of 1 input")
    assert "forward pass" in check.reason or "network" in check.reason, check.reason
