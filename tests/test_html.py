"""Jupyter's rich display (_repr_html_) of Network, CRN and the validation
report: well-formed HTML, every layer and check present, user strings
escaped, large CRNs cut with their counts shown, plots inline and drawn once."""

from __future__ import annotations

import base64
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from crn2sbml import compile_network, load_network
from crn2sbml._html import MAX_ROWS, plot_png
from crn2sbml.validate import CheckResult, Plot, Series, ValidationReport, to_html, validate

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
HOSTILE = "<script>alert('x')</script>&\"<img src=x onerror=alert(1)>"
VOID = {"br", "img", "meta", "hr", "input", "link"}


class _Tree(HTMLParser):
    """Checks that every element is closed in order and collects the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> _Tree:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    assert tree.stack == [], f"unclosed elements {tree.stack}"
    assert not [t for t, _ in tree.tags if t == "script"], "a string was not escaped"
    return tree


def text_of(page: str) -> str:
    return "".join(parse(page).text)


def test_network_shows_every_layer_and_escapes_its_description():
    net = replace(load_network(MODELS / "random_4_8_8_3.json"), description=HOSTILE)
    page = net._repr_html_()
    text = text_of(page)
    assert HOSTILE in text  # shown as text, not markup
    rows = [t for t, _ in parse(page).tags if t == "tr"]
    assert len(rows) == 1 + len(net.layers)
    for i, layer in enumerate(net.layers, start=1):
        assert f"{layer.n_in} -> {layer.n_out}" in text and layer.fn.describe() in text
    assert all(name in text for name in net.inputs + net.outputs)
    assert "4-8-8-3" in text


def test_a_small_crn_is_shown_whole_with_its_rate_constants():
    crn = compile_network(load_network(MODELS / "xor.json"))
    text = text_of(crn._repr_html_())
    assert all(s.id in text for s in crn.species) and all(r.id in text for r in crn.reactions)
    assert all(p.id in text and f"{p.value:.6g}" in text for p in crn.parameters)
    assert "showing" not in text


def test_a_64_20_10_crn_is_cut_with_its_counts():
    crn = compile_network(load_network(MODELS / "random_64_20_10.json"))
    page = crn._repr_html_()
    text = text_of(page)
    assert f"{len(crn.species)} species" in text and f"{len(crn.reactions)} reactions" in text
    assert f"showing {MAX_ROWS} of {len(crn.species)} species" in text
    assert f"showing {MAX_ROWS} of {len(crn.reactions)} reactions" in text
    half = MAX_ROWS // 2  # the first and the last rows: inputs and outputs both show
    shown = [r.id for r in crn.reactions[:half] + crn.reactions[-half:]]
    assert all(f">{i}<" in page for i in shown)
    assert not any(f">{r.id}<" in page for r in crn.reactions[half:-half])
    assert f"... {len(crn.reactions) - MAX_ROWS} more reactions ..." in text
    assert all(f">{s.id}<" in page for s in crn.outputs)
    assert len(page) < 20_000  # a notebook cell, not 1,253 rows


def test_a_hostile_crn_name_and_species_id_are_escaped():
    crn = compile_network(load_network(MODELS / "xor.json"))
    hostile = replace(crn, name=HOSTILE, description=HOSTILE)
    text = text_of(hostile._repr_html_())
    assert text.count(HOSTILE) == 2


def _plot(title: str) -> Plot:
    return Plot(title, "x", "y", (Series("a", (0.0, 1.0, 2.0), (1.0, 0.5, 0.25)), Series("b", (0.0, 2.0), (0.0, 1.0))))


def test_report_table_has_every_check_status_and_time_and_escapes_reasons():
    checks = (
        CheckResult("sbml", True, "fine", {"warnings": 0}, seconds=0.25),
        CheckResult("fixed_point", False, HOSTILE, {"why": HOSTILE}, plots=(_plot(HOSTILE),), seconds=1.5),
        CheckResult.not_applicable("agreement", "not applicable: foreign"),
    )
    report = ValidationReport(HOSTILE, "src.xml", checks, {"seed": 1}, 2.0)
    for page in (report._repr_html_(), to_html(report)):
        tree = parse(page)
        text = "".join(tree.text)
        assert all(c.name in text for c in checks)
        assert "pass" in text and "FAIL" in text and "n/a" in text
        assert "0.25" in text and "1.50" in text  # per-check seconds
        assert text.count(HOSTILE) >= 3  # title, reason, figure (and the plot's alt text, an attribute)
        images = [a["src"] for t, a in tree.tags if t == "img"]
        assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
        assert base64.b64decode(images[0].split(",", 1)[1]).startswith(b"\x89PNG")


def test_plots_are_drawn_once(monkeypatch):
    plot = _plot("drawn once")
    first = plot_png(plot)
    import crn2sbml.plots as plots

    monkeypatch.setattr(plots, "pyplot", lambda *a: pytest.fail("the same plot drawn twice"))
    assert plot_png(plot) == first
    report = ValidationReport("m", "s", (CheckResult("speed", True, "ok", plots=(plot,)),))
    assert first in report._repr_html_() and first in to_html(report)


def test_a_real_report_shows_its_checks():
    report = validate(MODELS / "xor" / "xor.xml", MODELS / "xor.json", checks=("sbml", "structure", "fixed_point"))
    text = text_of(report._repr_html_())
    assert all(f"{c.name}: pass ({c.seconds:.2f} s)" in text for c in report.checks)
