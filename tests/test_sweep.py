"""Sweeps on dask.distributed (crn2sbml.sweep, `crn2sbml sweep`, `python -m
validation --scheduler`): on a two-worker local cluster the results equal the
serial run's number for number and in order; the figures match a forward pass,
a settling-time bound and an exact one-neuron solution written here from the
formulas; bad options exit 2 naming the option; a failed grid point or model
is recorded, not fatal; an existing output folder survives a failed run."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from distributed import Client, LocalCluster

from conftest import make_network, oracle_forward
from crn2sbml import Layer, Network, save_network
from crn2sbml.cli import main
from crn2sbml.errors import InputError
from crn2sbml.sweep import (
    DaskExecutor,
    SerialExecutor,
    SweepGrid,
    Task,
    make_executor,
    parameter_sweep,
    validation_sweep,
)
from crn2sbml.validate import Options
from validation.__main__ import main as validation_main

REPO = Path(__file__).resolve().parent.parent
XOR_JSON = REPO / "models" / "xor.json"
# COPASI's steady states vary in the last bits from run to run (even two serial
# runs differ), so runs compared number for number leave COPASI out; and
# roadrunner's own sensitivities (getuCC) would take most of this file's time
QUICK = Options(copasi_max_reactions=0, ucc_max_reactions=0)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as local:
        yield local


@pytest.fixture(scope="module")
def dask(cluster):
    executor = DaskExecutor(Client(cluster, set_as_default=False), description="test cluster")
    yield executor
    executor.close()  # the client; the cluster is the fixture's


def computed_on(cluster) -> int:
    """Tasks the fixture's scheduler has computed for crn2sbml so far."""
    prefix = cluster.scheduler.task_prefixes.get("crn2sbml")
    return 0 if prefix is None else prefix.state_counts["memory"]


def run_cli(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def relu_forward(net: Network, x) -> list[float]:
    """The unsmoothed network by hand: max(z, 0) per unit."""
    h = [float(v) for v in x]
    for layer in net.layers:
        h = [max(sum(float(layer.weights[j, i]) * h[i] for i in range(layer.n_in)) + float(layer.bias[j]), 0.0)
             for j in range(layer.n_out)]
    return h


def at_eps(net: Network, eps: float) -> Network:
    return Network(tuple(Layer(l.weights, l.bias, eps) for l in net.layers), net.inputs, net.outputs, net.name)


# --- the executor ---------------------------------------------------------------------
def test_tasks_run_on_the_workers_and_come_back_in_order(dask, cluster):
    before = computed_on(cluster)
    outcomes = dask.run([Task(f"t{i}", os.getpid) for i in range(6)] + [Task("div", divmod, (7, 2))],
                        progress=False)
    workers = set(cluster.scheduler.workers)
    pids = {o.value for o in outcomes[:6]}
    assert os.getpid() not in pids and 1 <= len(pids) <= len(workers) == 2
    assert [o.label for o in outcomes] == [f"t{i}" for i in range(6)] + ["div"]
    assert outcomes[-1].value == (3, 1)
    assert computed_on(cluster) == before + 7


def test_programming_errors_stop_the_sweep(dask):
    for executor in (dask, SerialExecutor()):
        with pytest.raises(TypeError):
            executor.run([Task("bad", divmod, (1, "x"))], progress=False)


def test_make_executor_options():
    assert isinstance(make_executor(tasks=1), SerialExecutor)  # one task: a cluster only adds start-up time
    assert isinstance(make_executor(serial=True), SerialExecutor)
    for kwargs, word in (({"serial": True, "workers": 2}, "--serial"), ({"scheduler": "tcp://x:1", "workers": 2},
                         "--workers"), ({"workers": 0}, "--workers"), ({"connect_timeout": 0}, "--connect-timeout")):
        with pytest.raises(InputError, match=word):
            make_executor(**kwargs)


# --- the parameter sweep -----------------------------------------------------------------
def test_parameter_sweep_distributed_equals_serial(dask, cluster, rng):
    net = make_network(rng, (3, 5, 4, 3), 0.01)
    x = rng.uniform(0, 1, size=(45, 3))
    args = dict(eps=(0.1, 0.01, 0.001), speeds=(1.0, 10.0), chunk=20, measure=True, progress=False)
    before = computed_on(cluster)
    distributed = parameter_sweep(net, x, executor=dask, **args)
    assert computed_on(cluster) == before + 3 * 2 * 3  # points x chunks, all on the cluster
    serial = parameter_sweep(net, x, executor=SerialExecutor(), **args)
    assert distributed.points == serial.points  # every figure equal, in the same order
    assert distributed.to_json() == serial.to_json() and distributed.to_csv() == serial.to_csv()
    assert [(p.eps, p.speed) for p in serial.points] == [(e, s) for e in args["eps"] for s in args["speeds"]]
    assert all(p.ok and p.inputs == 45 for p in serial.points)


def test_sweep_figures_against_a_hand_written_forward_pass(dask, rng):
    net = make_network(rng, (3, 6, 3), 0.01, zero_frac=0.0)
    x = rng.uniform(0, 1, size=(30, 3))
    result = parameter_sweep(net, x, eps=(0.3, 0.01), speeds=(1.0, 5.0), executor=dask, progress=False)
    plain = [relu_forward(net, row) for row in x]
    for p in result.points:
        smooth = [oracle_forward(at_eps(net, p.eps), row) for row in x]
        assert p.max_rel_error < 1e-10  # the CRN's fixed point is the smoothed forward pass
        gap = max(abs(s - r) for srow, rrow in zip(smooth, plain) for s, r in zip(srow, rrow))
        assert p.max_unsmoothed_gap == pytest.approx(gap, rel=1e-8, abs=1e-12)
        agree = np.mean([np.argmax(s) == np.argmax(r) for s, r in zip(smooth, plain)])
        assert p.argmax_agreement == agree
    # larger eps smooths more: a bigger gap to ReLU; kappa leaves the fixed point where it is
    assert result.point(0.3, 1.0).max_unsmoothed_gap > result.point(0.01, 1.0).max_unsmoothed_gap
    assert result.point(0.3, 5.0).max_unsmoothed_gap == pytest.approx(result.point(0.3, 1.0).max_unsmoothed_gap)


def test_settling_figures_against_one_neuron_exactly(dask):
    """One neuron y' = kappa (eps + z y - y^2), z = w x + b, from y = 0. Bound:
    log((1 + a^2/eps)/tol) / (kappa sqrt(z^2 + 4 eps)); exact time to within
    tol: u = (y - a)/(y + c) decays like exp(-kappa lambda t) from -a/c."""
    w, b, tol = 1.5, -0.4, 1e-6
    net = Network((Layer(np.array([[w]]), np.array([b]), 0.01),), inputs=("x",), outputs=("y",))
    x = np.linspace(0.0, 1.0, 9)[:, None]
    result = parameter_sweep(net, x, eps=(0.1, 0.01), speeds=(1.0, 10.0), tol=tol, measure=True, executor=dask,
                             progress=False)
    for p in result.points:
        z = w * x[:, 0] + b
        lam = np.sqrt(z * z + 4 * p.eps)
        a = (z + lam) / 2
        c = p.eps / a
        bound = np.log((1 + a * a / p.eps) / tol) / (p.speed * lam)
        exact = np.log((a / c) * (a + c - tol * a) / (tol * a)) / (p.speed * lam)
        assert p.settling_bound_max == pytest.approx(bound.max(), rel=1e-12)
        assert p.settling_bound_median == pytest.approx(np.median(bound), rel=1e-12)
        assert p.argmax_agreement is None  # one output
        # backward Euler (steps <= bound/200) decays a little slower than the exact flow: a few per cent late
        assert exact.max() <= p.settling_measured_max <= exact.max() * 1.05
        assert np.median(exact) <= p.settling_measured_median <= np.median(exact) * 1.05


POLYNOMIAL = {  # q = eps + y^2 - y^3: a unique positive fixed point only for eps > 1/27
    "name": "cubic", "epsilon": 0.1, "inputs": ["x"], "outputs": ["y"],
    "layers": [{"weights": [[1.0]], "bias": [0.2], "activation": {"name": "polynomial", "q": {"2": 1, "3": -1}}}],
}


def test_a_failed_grid_point_is_recorded_and_the_rest_run(dask, capsys, tmp_path):
    net_file = tmp_path / "cubic.json"
    net_file.write_text(json.dumps(POLYNOMIAL))
    code, out, err = run_cli(capsys, "sweep", net_file, "--eps", "0.1,0.01", "--speed", "1,2", "--inputs",
                             "0;0.5;1", "--out", tmp_path / "out", "--scheduler", dask.client.scheduler.address)
    assert code == 1, err
    saved = json.loads((tmp_path / "out" / "sweep.json").read_text())
    by_eps = {}
    for p in saved["points"]:
        by_eps.setdefault(p["eps"], []).append(p)
    assert all(p["error"] is None and p["max_rel_error"] < 1e-10 for p in by_eps[0.1])
    for p in by_eps[0.01]:
        assert p["error"].startswith("NetworkError: eps 0.01:") and "root" in p["error"]
        assert p["max_rel_error"] is None
    assert "FAILED: NetworkError: eps 0.01" in err  # each failure, bar or not
    assert "2 of 4 points FAILED" in out
    assert "Traceback" not in err


# --- the command line -----------------------------------------------------------------------
def test_cli_sweep_on_the_scheduler_equals_serial(capsys, cluster, tmp_path):
    before = computed_on(cluster)
    common = ["sweep", XOR_JSON, "--eps", "0.1,0.01,0.001", "--speed", "1,10", "--samples", "20", "--seed", "3",
              "--chunk", "8", "--quiet"]
    code, out, err = run_cli(capsys, *common, "--out", tmp_path / "d", "--scheduler", cluster.scheduler_address)
    assert code == 0, err
    assert f"on dask scheduler {cluster.scheduler_address}" in out
    assert computed_on(cluster) == before + 3 * 2 * 3
    code, out, err = run_cli(capsys, *common, "--out", tmp_path / "s", "--serial")
    assert code == 0, err
    for name in ("sweep.json", "sweep.csv"):
        assert (tmp_path / "d" / name).read_bytes() == (tmp_path / "s" / name).read_bytes()
    assert (tmp_path / "d" / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert saved["eps"] == [0.1, 0.01, 0.001] and saved["n_inputs"] == 20 and len(saved["points"]) == 6
    rows = (tmp_path / "s" / "sweep.csv").read_text().splitlines()
    assert rows[0].startswith("eps,speed,inputs,max_rel_error") and len(rows) == 7


def test_cli_bad_scheduler_exits_2_quickly(capsys, tmp_path):
    address = f"tcp://127.0.0.1:{unused_port()}"
    start = time.monotonic()
    code, out, err = run_cli(capsys, "sweep", XOR_JSON, "--eps", "0.1", "--out", tmp_path / "out",
                             "--scheduler", address, "--connect-timeout", "1")
    assert time.monotonic() - start < 10
    assert code == 2
    assert "--scheduler" in err and address in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    code, out, err = run_cli(capsys, "sweep", XOR_JSON, "--eps", "0.1", "--out", tmp_path / "out",
                             "--scheduler", "nonsense://here")
    assert code == 2 and "--scheduler nonsense://here: not a scheduler address" in err


@pytest.mark.parametrize("option, value, words", [
    ("--eps", "0", "--eps has 0"),
    ("--eps", "-0.1", "--eps has -0.1"),
    ("--eps", "0.1,abc", "'abc' is not a number"),
    ("--eps", "nan", "--eps has nan"),
    ("--eps", "0.1,0.1", "--eps lists 0.1 more than once"),
    ("--speed", "0", "--speed has 0"),
    ("--speed", "inf", "--speed has inf"),
    ("--speed", "1,,2", "'' is not a number"),
])
def test_cli_bad_grid_values_exit_2(capsys, tmp_path, option, value, words):
    args = {"--eps": "0.1", "--speed": "1", option: value}
    code, out, err = run_cli(capsys, "sweep", XOR_JSON, *[t for kv in args.items() for t in kv], "--out",
                             tmp_path / "out", "--serial")
    assert code == 2
    assert option in err and words in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_bad_inputs_exit_2(capsys, tmp_path):
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("x1,x3\n1,0\n")
    for extra, words in ((["--inputs", "1,0;1"], "--inputs vector 2 has 1 values"),
                         (["--inputs-file", csv_file], "no column for x2"),
                         (["--inputs", "1,0", "--seed", "2"], "--seed"),
                         (["--samples", "0"], "--samples is 0")):
        code, out, err = run_cli(capsys, "sweep", XOR_JSON, "--eps", "0.1", "--out", tmp_path / "out", "--serial",
                                 *extra)
        assert code == 2 and words in err, err


def test_inputs_file_is_read_by_column_name(capsys, rng, tmp_path):
    net = make_network(rng, (2, 4, 1), 0.05, zero_frac=0.0)
    save_network(net, tmp_path / "net.json")
    x = [(0.9, 0.1), (0.2, 0.7)]
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("x1,x0\n" + "".join(f"{b},{a}\n" for a, b in x))  # columns in the other order
    code, out, err = run_cli(capsys, "sweep", tmp_path / "net.json", "--eps", "0.05", "--inputs-file", csv_file,
                             "--out", tmp_path / "out", "--serial", "--quiet")
    assert code == 0, err
    point = json.loads((tmp_path / "out" / "sweep.json").read_text())["points"][0]
    want = max(abs(oracle_forward(net, row)[0] - relu_forward(net, row)[0]) for row in x)
    swapped = max(abs(oracle_forward(net, row[::-1])[0] - relu_forward(net, row[::-1])[0]) for row in x)
    assert point["inputs"] == 2 and point["max_unsmoothed_gap"] == pytest.approx(want, rel=1e-8)
    assert abs(want - swapped) > 1e-6  # the test can tell the columns apart


def test_existing_output_survives_a_failed_run(capsys, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    old = {"sweep.json": b'{"old": 1}\n', "sweep.csv": b"old\n", "sweep.png": b"old png"}
    for name, data in old.items():
        (out / name).write_bytes(data)
    code, _, err = run_cli(capsys, "sweep", XOR_JSON, "--eps", "0.1", "--out", out, "--connect-timeout", "1",
                           "--scheduler", f"tcp://127.0.0.1:{unused_port()}")
    assert code == 2
    import crn2sbml.sweep.grid as grid

    def broken_plot(result, path):
        Path(path).write_bytes(b"half a png")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(grid, "plot_sweep", broken_plot)
    code, _, err = run_cli(capsys, "sweep", XOR_JSON, "--eps", "0.1", "--out", out, "--serial", "--quiet")
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old  # nothing changed, no temporary left


# --- the validation sweep ------------------------------------------------------------------
def _deterministic(report: dict) -> dict:
    """A report without its timings."""
    if isinstance(report, dict):
        return {k: _deterministic(v) for k, v in report.items() if k != "seconds"}
    if isinstance(report, list):
        return [_deterministic(v) for v in report]
    return report


def test_validation_sweep_distributed_equals_serial(dask, rng, tmp_path):
    small = tmp_path / "small.json"
    save_network(make_network(rng, (2, 3, 2), 0.05), small)
    models = [(XOR_JSON, None), (tmp_path / "missing.xml", None), (small, None)]
    distributed = validation_sweep(models, options=QUICK, executor=dask, progress=False)
    serial = validation_sweep(models, options=QUICK, executor=SerialExecutor(), progress=False)
    assert [o.label for o in distributed] == [o.label for o in serial] == ["xor-json", "missing-xml", "small-json"]
    for d, s in zip(distributed, serial):
        assert d.error == s.error
        if s.ok:
            assert s.value.passed and d.value.passed
            assert _deterministic(d.value.to_dict()) == _deterministic(s.value.to_dict())
    assert distributed[1].error.startswith("ModelReadError: cannot read model")  # recorded, the others ran


def test_python_m_validation_on_the_scheduler(capsys, cluster, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    save_network(make_network(np.random.default_rng(5), (1, 2, 1), 0.05), models / "small.json")
    (models / "broken.json").write_text("{not json")
    before = computed_on(cluster)
    assert validation_main(["--models", str(models), "--out", str(tmp_path / "d"), "--quiet",
                            "--scheduler", cluster.scheduler_address]) == 1  # broken.json fails, small passes
    assert computed_on(cluster) == before + 2
    assert validation_main(["--models", str(models), "--out", str(tmp_path / "s"), "--quiet", "--serial"]) == 1
    out = capsys.readouterr().out
    assert "broken-json: ERROR NetworkError" in out and "1/2 models pass" in out
    for name in ("summary.json", "small-json/report.json"):
        d, s = (json.loads((tmp_path / w / name).read_text()) for w in ("d", "s"))
        if name == "small-json/report.json":  # COPASI's last bits vary between any two runs
            for r in (d, s):
                r["checks"] = [c for c in r["checks"] if c["name"] != "agreement"]
        assert _deterministic(d) == _deterministic(s)
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary["broken-json"]["passed"] is False and "not valid JSON" in summary["broken-json"]["error"]
    assert summary["small-json"]["passed"] is True
    assert validation_main(["--models", str(models), "--out", str(tmp_path / "x"), "--connect-timeout", "1",
                            "--scheduler", f"tcp://127.0.0.1:{unused_port()}"]) == 2
    assert "--scheduler" in capsys.readouterr().err


def test_grid_rejects_bad_values_in_the_library():
    net = Network((Layer(np.array([[1.0]]), np.array([0.0]), 0.01),))
    for kwargs, words in (({"eps": ()}, "eps is empty"), ({"eps": (0.1,), "speeds": (-1.0,)}, "speed has -1"),
                          ({"eps": (0.1,), "tol": 2.0}, "tol is 2"), ({"eps": (0.1,), "chunk": 0}, "chunk is 0")):
        with pytest.raises(InputError, match=words):
            SweepGrid(net, np.ones((2, 1)), **{"speeds": (1.0,), **kwargs})
    with pytest.raises(InputError, match="negative"):
        SweepGrid(net, -np.ones((2, 1)), (0.1,), (1.0,))
