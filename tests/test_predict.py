"""crn2sbml predict: outputs against an independent forward pass (and, with
--times, against the exact one-neuron solution), errors with line numbers and
exit 2, nothing written on failure, progress on the crn2sbml.predict logger."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import pytest

from conftest import make_network, oracle_forward
from crn2sbml import Layer, Network, compile_network
from crn2sbml.cli import main
from crn2sbml.emit import write_model
from crn2sbml.network import save_network
from crn2sbml.theory import one_neuron_trajectory


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture
def classifier(tmp_path, rng) -> tuple[Network, Path, np.ndarray, Path]:
    net = make_network(rng, (3, 5, 4), 0.01)
    model = save_network(net, tmp_path / "net.json")
    x = rng.uniform(0, 1, (7, 3))
    inputs = _write_csv(tmp_path / "x.csv", list(reversed(net.inputs)), [list(r[::-1]) for r in x])  # any column order
    return net, model, x, inputs


def test_steady_state_outputs_and_classes(classifier, tmp_path, capsys):
    net, model, x, inputs = classifier
    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), "--inputs-file", str(inputs), "--out", str(out), "--quiet"]) == 0
    header, rows = _read(out)
    names = [f"crn_{n}" for n in net.outputs]
    assert header[0] == "line" and header[1:5] == names and "crn_class" in header and "forward_class" in header
    want = np.array([oracle_forward(net, r) for r in x])
    got = np.array([[float(r[header.index(n)]) for n in names] for r in rows])
    assert np.max(np.abs(got - want) / want) <= 1e-12
    assert [int(r[header.index("crn_class")]) for r in rows] == np.argmax(want, axis=1).tolist()
    assert [int(r[0]) for r in rows] == list(range(2, 9))
    assert "7 rows" in capsys.readouterr().out


def test_sbml_model_and_readout_times_match_the_exact_solution(tmp_path):
    """One neuron read from its SBML file: outputs at each time from the exact solution."""
    eps, w, b = 0.02, 1.3, -0.2
    net = Network((Layer([[w]], [b], eps),), name="one")
    sbml = write_model(compile_network(net, start="zero"), tmp_path / "m", ("sbml",))["sbml"]  # y(0) = 0
    inputs = _write_csv(tmp_path / "x.csv", list(net.inputs), [[0.0], [0.5], [2.0]])
    out = tmp_path / "pred.csv"
    assert main(["predict", str(sbml), "--inputs-file", str(inputs), "--times", "0.5,1,5,20", "--out", str(out),
                 "--quiet"]) == 0
    header, rows = _read(out)
    name = net.outputs[0]
    assert "crn_class@t=1" not in header  # one output: not a classifier
    for row, x in zip(rows, (0.0, 0.5, 2.0)):
        for t in (0.5, 1, 5, 20):
            exact = one_neuron_trajectory(np.array([t]), 0.0, w * x + b, eps)[0]
            assert float(row[header.index(f"crn_{name}@t={t:g}")]) == pytest.approx(exact, rel=1e-7)
        assert float(row[header.index(f"forward_{name}")]) == pytest.approx(oracle_forward(net, [x])[0], rel=1e-13)


def test_progress_is_logged(classifier, tmp_path, caplog, monkeypatch):
    import crn2sbml.predict as predict

    net, model, x, inputs = classifier
    monkeypatch.setattr(predict, "CHUNK", 3)
    with caplog.at_level(logging.INFO, logger="crn2sbml.predict"):
        assert main(["predict", str(model), "--inputs-file", str(inputs), "--out", str(tmp_path / "p.csv")]) == 0
    progress = [r.getMessage() for r in caplog.records if r.name == "crn2sbml.predict"]
    assert progress[0].startswith("3 of 7 rows") and progress[-1].startswith("7 of 7 rows")


@pytest.mark.parametrize("rows,message", [
    ([["0.1", "0.2", "0.3"], ["0.1", "oops", "0.3"]], "line 3: every input must be a number"),
    ([["0.1", "0.2", "0.3"], ["0.1", "0.2"]], "line 3 has 2 fields; the header has 3"),
    ([["0.1", "0.2", "0.3"], ["0.1", "0.2", "0.3"], ["0.1", "-0.2", "0.3"]], "line 4: input '.*' is -0.2"),
    ([["0.1", "0.2", "nan"]], "line 2: input '.*' is nan"),
])
def test_bad_rows_are_named_and_nothing_is_written(rows, message, classifier, tmp_path, capsys):
    net, model, _, _ = classifier
    inputs = _write_csv(tmp_path / "bad.csv", list(net.inputs), rows)
    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), "--inputs-file", str(inputs), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crn2sbml: error:") and __import__("re").search(message, err), err
    assert not out.exists()
    assert not list(tmp_path.glob(".pred.csv.*"))  # no temporary left behind


@pytest.mark.parametrize("args,message", [
    (["--times", "1,abc"], "--times '1,abc'"),
    (["--times", "5,1"], "increasing"),
    (["--times", "0,1"], "> 0"),
])
def test_bad_times(args, message, classifier, tmp_path, capsys):
    _, model, _, inputs = classifier
    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), "--inputs-file", str(inputs), "--out", str(out), *args]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_files_and_wrong_header(classifier, tmp_path, capsys):
    net, model, _, inputs = classifier
    out = tmp_path / "pred.csv"
    assert main(["predict", str(model), "--inputs-file", str(tmp_path / "none.csv"), "--out", str(out)]) == 2
    assert "cannot read inputs file" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "none.json"), "--inputs-file", str(inputs), "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    wrong = _write_csv(tmp_path / "w.csv", ["a", "b", "c"], [[1, 2, 3]])
    assert main(["predict", str(model), "--inputs-file", str(wrong), "--out", str(out)]) == 2
    assert f"line 1: no column for {net.inputs[0]}" in capsys.readouterr().err
    assert not out.exists()


def test_existing_output_untouched_on_failure(classifier, tmp_path):
    net, model, _, _ = classifier
    out = tmp_path / "pred.csv"
    out.write_text("keep me\n")
    bad = _write_csv(tmp_path / "bad.csv", list(net.inputs), [["1", "2"]])
    assert main(["predict", str(model), "--inputs-file", str(bad), "--out", str(out)]) == 2
    assert out.read_text() == "keep me\n"


def test_readout_curve_reaches_the_network_accuracy(rng):
    """The class read late equals the forward pass's; early (all outputs near
    eps-level) it is not; 'reached' is the first time from which it stays."""
    from crn2sbml.export.sheet import _readout_rows
    from crn2sbml.predict import readout_curve

    net = make_network(rng, (4, 6, 3), 0.01)
    crn = compile_network(net)
    x = rng.uniform(0, 1, (40, 4))
    labels = np.argmax(net.forward(x), axis=1)
    times = np.array([1e-3, 0.1, 1.0, 10.0, 100.0, 400.0])
    curve = readout_curve(crn, x, labels, times, network=net)
    assert curve.target == 1.0 and curve.accuracy[-1] == 1.0
    assert curve.reached is not None and curve.reached <= 400.0
    assert np.all(curve.accuracy[times >= curve.reached] == 1.0)
    rows = _readout_rows(net, crn, list(x[:5]), 400.0)
    assert rows[-1] == (400.0, 1.0) and len(rows) == 10
