"""The report on disk: report.json (every check, its figures, its wall time,
pass/fail) and report.html (the same with the plots as inline base64 PNGs,
readable offline; drawn by crn2sbml._html, as the notebook view is)."""

from __future__ import annotations

import os
from pathlib import Path

from .._atomic import ensure_dir, write_text_atomic
from .._html import report_page
from .result import ValidationReport


def to_html(report: ValidationReport) -> str:
    return report_page(report)


def write_report(report: ValidationReport, folder: str | os.PathLike[str]) -> dict[str, Path]:
    """report.json and report.html in ``folder`` (created), each written atomically."""
    out = ensure_dir(folder)
    return {
        "json": write_text_atomic(out / "report.json", report.to_json()),
        "html": write_text_atomic(out / "report.html", to_html(report)),
    }
