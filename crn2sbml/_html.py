"""HTML views of crn2sbml's objects: what Jupyter shows for a Network, a CRN
and a validation report (``_repr_html_`` delegates here), and the body of
report.html. Every user-supplied string (names, descriptions, ids, reasons,
figures) goes through ``html.escape``; plots are drawn once per Plot and
inlined as base64 PNGs."""

from __future__ import annotations

import base64
import io
import json
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:  # the data classes import this module lazily; no import cycle at run time
    from .crn import CRN, Reaction
    from .network import Network
    from .validate.result import Plot, ValidationReport

MAX_ROWS = 20  # rows of a species or reaction table before it is cut (the counts are shown)
MAX_NAMES = 12  # input/output names listed before "... (N more)"
MAX_FIGURE_CHARS = 600  # long figure values (gradient tables) are in the JSON, abbreviated in the HTML

STYLE = (".crn2sbml .pass{color:#070}.crn2sbml .fail{color:#b00}.crn2sbml .na{color:#777}"
         ".crn2sbml table{border-collapse:collapse}.crn2sbml td,.crn2sbml th{border:1px solid #ccc;"
         "padding:2px 6px;text-align:left;vertical-align:top;font-size:small}.crn2sbml img{margin:4px}")


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    more = f", ... ({len(names) - MAX_NAMES} more)" if len(names) > MAX_NAMES else ""
    return escape(shown + more)


def _head_tail(items: Sequence[Any], max_rows: int) -> tuple[list[Any], int]:
    """The first and last ``max_rows // 2`` items (a large CRN's inputs and
    its outputs both show) and how many were left out between them."""
    if len(items) <= max_rows:
        return list(items), 0
    half = max_rows // 2
    return [*items[:half], None, *items[len(items) - (max_rows - half):]], len(items) - max_rows


def _rows_table(header: Sequence[str], items: Sequence[Any], row, max_rows: int, what: str) -> str:
    """A table of ``row(item)``, cut in the middle above ``max_rows`` rows, with the counts."""
    shown, skipped = _head_tail(items, max_rows)
    rows = [row(i) if i is not None else (f"... {skipped} more {what} ...",) + ("",) * (len(header) - 1)
            for i in shown]
    note = f"<p><i>showing {len(items) - skipped} of {len(items)} {what}</i></p>" if skipped else ""
    return _table(header, rows) + note


def _bounds(b: tuple[float | None, float | None]) -> str:
    lo, hi = b
    return f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"


# --- Network -----------------------------------------------------------------
def network_html(net: "Network") -> str:
    rows = [(i, f"{layer.n_in} -> {layer.n_out}", layer.fn.describe(), f"{layer.epsilon:g}",
             int((layer.weights != 0).sum()))
            for i, layer in enumerate(net.layers, start=1)]
    ranges = ("inputs are concentrations (>= 0)" if not net.input_ranges else
              ", ".join(f"{n} {_bounds(b)}" for n, b in list(zip(net.inputs, net.input_ranges))[:MAX_NAMES])
              + (f", ... ({len(net.inputs) - MAX_NAMES} more)" if len(net.inputs) > MAX_NAMES else ""))
    return (f"<div class='crn2sbml'><style>{STYLE}</style>"
            f"<b>Network {escape(net.name)}</b>: layers {'-'.join(map(str, net.sizes))}"
            + (f"<br><i>{escape(net.description)}</i>" if net.description else "")
            + _table(("layer", "size", "activation", "eps", "non-zero weights"), rows)
            + f"<p>inputs ({net.n_inputs}): {_names(net.inputs)}<br>outputs ({net.n_outputs}): {_names(net.outputs)}"
            f"<br>input ranges: {escape(ranges)}</p></div>")


# --- CRN ---------------------------------------------------------------------------
def _side(terms: tuple[tuple[str, int], ...]) -> str:
    return " + ".join(s if n == 1 else f"{n} {s}" for s, n in terms) or "0"


def reaction_text(r: "Reaction") -> str:
    return f"{_side(r.reactants)} -> {_side(r.products)}"


def crn_html(crn: "CRN", max_rows: int = MAX_ROWS) -> str:
    params = crn.parameter_index
    counts = (f"{len(crn.species)} species ({len(crn.inputs)} inputs), {len(crn.reactions)} reactions, "
              f"{len(crn.parameters)} rate constants; speed factor {crn.speed:g}")
    species = _rows_table(("id", "role", "layer", "unit", "rail", "initial"), crn.species,
                          lambda s: (s.id, s.role, s.layer, s.unit, s.rail, f"{s.initial:g}"), max_rows, "species")
    reactions = _rows_table(("id", "reaction", "rate constant", "k", "role"), crn.reactions,
                            lambda r: (r.id, reaction_text(r), r.rate, f"{params[r.rate].value:.6g}",
                                       params[r.rate].role), max_rows, "reactions")
    return (f"<div class='crn2sbml'><style>{STYLE}</style>"
            f"<b>CRN {escape(crn.name)}</b>: {escape(counts)}"
            + (f"<br><i>{escape(crn.description)}</i>" if crn.description else "")
            + f"<p>rate = speed x k x product of reactants (mass action); inputs {_names(crn.input_names)}; "
            f"outputs {_names(crn.output_names)}</p>"
            f"<details open><summary>species</summary>{species}</details>"
            f"<details open><summary>reactions</summary>{reactions}</details></div>")


# --- validation report -------------------------------------------------------------
@lru_cache(maxsize=128)
def plot_png(plot: "Plot") -> str:
    """The plot drawn once (the same Plot shown in a notebook and written to
    report.html is not drawn twice), as base64 PNG."""
    from .plots import pyplot

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


def _status_class(passed: bool, applicable: bool) -> str:
    return "pass" if passed else "fail" if applicable else "na"


def report_body(report: "ValidationReport", *, plots: bool = True) -> str:
    """The report as an HTML fragment: verdict, the table of checks (result,
    reason, seconds), the settings, then each check's figures and plots."""
    data = report.to_dict()
    verdict = "PASS" if report.passed else "FAIL"
    parts = [
        f"<div class='crn2sbml'><style>{STYLE}</style>",
        f"<h2>{escape(report.model)}: <span class='{verdict.lower()}'>{verdict}</span></h2>",
        f"<p>source {escape(report.source)}, {report.seconds:.1f} s</p>",
        "<table><tr><th>check</th><th>result</th><th>reason</th><th>s</th></tr>",
    ]
    for c in report.checks:
        parts.append(f"<tr><td><a href='#{escape(c.name)}'>{escape(c.name)}</a></td>"
                     f"<td class='{_status_class(c.passed, c.applicable)}'>{escape(c.status)}</td>"
                     f"<td>{escape(c.reason)}</td><td>{c.seconds:.2f}</td></tr>")
    parts.append("</table>")
    parts.append(f"<details><summary>settings</summary><pre>{escape(json.dumps(data['settings'], indent=1))}</pre>"
                 "</details>")
    for c, d in zip(report.checks, data["checks"]):
        parts.append(f"<h3 id='{escape(c.name)}'>{escape(c.name)}: <span class='{_status_class(c.passed, c.applicable)}'>"
                     f"{escape(c.status)}</span> ({c.seconds:.2f} s)</h3><p>{escape(c.reason)}</p><table>")
        for key, value in d["figures"].items():
            text = json.dumps(value)
            if len(text) > MAX_FIGURE_CHARS:
                text = text[:MAX_FIGURE_CHARS] + " ... (full value in report.json)"
            parts.append(f"<tr><th>{escape(key)}</th><td>{escape(text)}</td></tr>")
        parts.append("</table>")
        if plots:
            for plot in c.plots:
                parts.append(f"<img alt='{escape(plot.title)}' src='data:image/png;base64,{plot_png(plot)}'>")
    parts.append("</div>")
    return "\n".join(parts)


def report_page(report: "ValidationReport") -> str:
    """report.html: a whole document, readable offline."""
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>crn2sbml validation: {escape(report.model)}</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}</style></head><body>\n"
            + report_body(report) + "\n</body></html>\n")
