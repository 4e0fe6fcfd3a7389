"""The report on disk: report.json (every check, its figures, pass/fail) and
report.html (the same with the plots as inline base64 PNGs, readable offline)."""

from __future__ import annotations

import base64
import html
import io
import json
import os
from pathlib import Path

from .._atomic import ensure_dir, write_text_atomic
from ..plots import pyplot
from .result import Plot, ValidationReport

MAX_FIGURE_CHARS = 600  # long figure values (gradient tables) are in the JSON, abbreviated in the HTML


def _png(plot: Plot) -> str:
    plt = pyplot("the HTML report")
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for s in plot.series:
        if s.x:
            ax.plot(s.x, s.y, s.style, label=s.label, alpha=s.alpha, markersize=4)
    ax.set_xscale(plot.xscale)
    ax.set_yscale(plot.yscale)
    if plot.xticks:
        ax.set_xticks(plot.xticks)
    ax.set_title(plot.title, fontsize="medium")
    ax.set_xlabel(plot.xlabel)
    ax.set_ylabel(plot.ylabel)
    if plot.legend and len(plot.series) > 1:
        ax.legend(fontsize="x-small")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def to_html(report: ValidationReport) -> str:
    esc = html.escape
    verdict = "PASS" if report.passed else "FAIL"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>crn2sbml validation: {esc(report.model)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}.pass{color:#070}.fail{color:#b00}.na{color:#777}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;"
        "vertical-align:top;font-size:small}img{margin:4px}</style></head><body>",
        f"<h1>{esc(report.model)}: <span class='{verdict.lower()}'>{verdict}</span></h1>",
        f"<p>source {esc(report.source)}, {report.seconds:.1f} s</p>",
        "<table><tr><th>check</th><th>result</th><th>reason</th><th>s</th></tr>",
    ]
    for c in report.checks:
        cls = "pass" if c.passed else "fail" if c.applicable else "na"
        parts.append(f"<tr><td><a href='#{c.name}'>{esc(c.name)}</a></td><td class='{cls}'>"
                     f"{c.status}</td><td>{esc(c.reason)}</td><td>{c.seconds:.2f}</td></tr>")
    parts.append("</table>")
    parts.append(f"<h2>settings</h2><pre>{esc(json.dumps(report.to_dict()['settings'], indent=1))}</pre>")
    for c, d in zip(report.checks, report.to_dict()["checks"]):
        parts.append(f"<h2 id='{c.name}'>{esc(c.name)}: <span class='{'pass' if c.passed else 'fail' if c.applicable else 'na'}'>"
                     f"{c.status}</span></h2><p>{esc(c.reason)}</p><table>")
        for key, value in d["figures"].items():
            text = json.dumps(value)
            if len(text) > MAX_FIGURE_CHARS:
                text = text[:MAX_FIGURE_CHARS] + " ... (full value in report.json)"
            parts.append(f"<tr><th>{esc(key)}</th><td>{esc(text)}</td></tr>")
        parts.append("</table>")
        for plot in c.plots:
            parts.append(f"<img alt='{esc(plot.title)}' src='data:image/png;base64,{_png(plot)}'>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(report: ValidationReport, folder: str | os.PathLike[str]) -> dict[str, Path]:
    """report.json and report.html in ``folder`` (created), each written atomically."""
    out = ensure_dir(folder)
    return {
        "json": write_text_atomic(out / "report.json", report.to_json()),
        "html": write_text_atomic(out / "report.html", to_html(report)),
    }
