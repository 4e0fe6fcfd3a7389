"""The Python API under generated inputs: every failure is a crn2sbml error
(a narrow type from crn2sbml/errors.py), never a bare ValueError, IndexError,
OverflowError, LinAlgError or MemoryError from below; what is accepted
computes what it should (independent oracles: the forward pass written out
in conftest.oracle_forward, onnx's reference evaluator, torch itself)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import oracle_forward
from fuzz_strategies import (
    ROOT, WEIRD_VALUES, assert_same_as_onnx, broken_network_text, edited_sbml, fuzz_settings, network_dict, onnx_graph, state_dict,
)
from crn2sbml import (
    Crn2SbmlError, Network, NetworkError, compile_network, load_model, load_network, network_from_crn, network_from_dict,
    read_sbml, to_antimony, to_sbml,
)

XOR_XML = ROOT / "models" / "xor" / "xor.xml"


def json_values(max_leaves: int = 12):
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10 ** 30), 10 ** 30), st.floats(), st.text(max_size=6),
                        st.sampled_from(WEIRD_VALUES))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(
            ["layers", "weights", "bias", "activation", "epsilon", "inputs", "outputs", "input_ranges", "name",
             "q", "negative_slope", "min_val", "max_val", "2", "3"]), inner, max_size=4)), max_leaves=max_leaves)


@fuzz_settings(250)
@given(data=json_values())
def test_fuzz_network_from_arbitrary_json(data):
    try:
        net = network_from_dict(data)
    except Crn2SbmlError:
        return
    assert isinstance(net, Network)


@fuzz_settings(200)
@given(case=broken_network_text())
def test_fuzz_network_from_broken_files(case):
    text, kind = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.json"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            net = load_model(path).require_network()
        except Crn2SbmlError:
            return
        # accepted: the network's function at the point of its input box nearest 0.5 is finite,
        # or its values leave double range there (weights of 1e308) and compiling the model the
        # CLI's way refuses it, naming the layer (a box ending at -1e308 puts that point at the
        # edge of double range, where W x can overflow in any double arithmetic: it must only not raise)
        x = np.full(net.n_inputs, 0.5)
        if net.input_ranges:
            lo = np.array([-np.inf if a is None else a for a, _ in net.input_ranges])
            hi = np.array([np.inf if b is None else b for _, b in net.input_ranges])
            x = np.clip(x, lo, hi)
        with np.errstate(over="ignore", invalid="ignore"):
            y = net.forward(x)
        if not np.all(np.isfinite(y)) and np.max(np.abs(x)) <= 1e300:
            with pytest.raises(NetworkError, match=r"layer \d+ unit \d+ .*too large"):
                compile_network(net, start="bound")


@fuzz_settings(60)
@given(data=network_dict(max_layers=3), inputs=st.lists(st.sampled_from(
    [0.0, 0.5, 1.0, -1.0, 2.0, float("nan"), float("inf"), 1e308, -0.0, 1e-300]), max_size=4))
def test_fuzz_compile_api(data, inputs):
    net = network_from_dict(data)
    try:
        crn = compile_network(net, inputs=inputs)
    except Crn2SbmlError:
        return
    # what compiles writes SBML that reads back as the same network, and Antimony
    back = network_from_crn(read_sbml(to_sbml(crn)))
    assert back == net
    assert to_antimony(crn)
    if all(layer.activation in ("smoothed_relu", "relu") for layer in net.layers) and not net.input_ranges:
        np.testing.assert_allclose(net.forward(inputs), oracle_forward(net, inputs), rtol=1e-12, atol=1e-15)


@fuzz_settings(150)
@given(model=st.sampled_from(["xor"]), draw=st.data())
def test_fuzz_load_edited_sbml(model, draw):
    text, kind = draw.draw(edited_sbml(XOR_XML.read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.xml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            loaded = load_model(path)
        except Crn2SbmlError:
            return
        if loaded.network is not None and not loaded.edits and kind in ("unchanged", "comment"):
            assert loaded.network == load_model(ROOT / "models" / "xor.json").network


@fuzz_settings(120)
@given(case=onnx_graph())
def test_fuzz_load_onnx(case):
    import onnx
    from crn2sbml.importers import load_onnx

    model, kind, n_in = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        onnx.save(model, path)
        try:
            net = load_onnx(path)
        except Crn2SbmlError:
            return
    assert_same_as_onnx(model, net, n_in)


@fuzz_settings(60)
@given(case=state_dict())
def test_fuzz_load_state_dict(case):
    import torch

    from crn2sbml.importers import load_state_dict

    sd, acts, kind = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.pt"
        torch.save(sd, path)
        try:
            net = load_state_dict(path, acts)
        except Crn2SbmlError:
            return
    # accepted: the torch module with these weights computes the same function
    x = torch.linspace(-1, 1, net.n_inputs, dtype=torch.float64)
    h = x
    weights = [k for k in sd if k.endswith(".weight")]
    for k, key in enumerate(weights):
        bias = sd.get(key[: -len("weight")] + "bias")  # Linear(bias=False) has none
        h = sd[key].double() @ h + (0 if bias is None else bias.double())
        if acts[k] == "relu":
            h = torch.relu(h)
    np.testing.assert_allclose(net.unsmoothed_forward(x.numpy()), h.numpy(), rtol=1e-6, atol=1e-9)


@fuzz_settings(30)
@given(kind=st.sampled_from(["random-bytes", "zip-garbage", "untrusted-type", "not-mlp", "empty"]),
       blob=st.binary(max_size=200))
def test_fuzz_load_skops(kind, blob):
    import io
    import zipfile

    from crn2sbml.importers import load_skops

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.skops"
        if kind == "random-bytes":
            path.write_bytes(blob)
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "zip-garbage":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("schema.json", blob)
            path.write_bytes(buf.getvalue())
        else:
            import skops.io
            from sklearn.linear_model import LinearRegression
            from sklearn.preprocessing import FunctionTransformer

            obj = LinearRegression() if kind == "not-mlp" else FunctionTransformer(func=eval)
            skops.io.dump(obj, path)
        with pytest.raises(Crn2SbmlError):
            load_skops(path)


# --- sweep plot: values a log axis cannot show (issue 22) ---------------------------------
_FIGURE = st.sampled_from([0.0, -1.0, 1e-3, 1.0, float("inf"), float("nan"), 1e-320, None])


@pytest.fixture(scope="module")
def sweep_result():
    from crn2sbml.sweep import SweepGrid
    from crn2sbml.sweep.engine import make_executor

    grid = SweepGrid(load_network(ROOT / "models" / "xor.json"), np.array([[1.0, 0.0]]), (0.1, 0.01), (1.0, 10.0),
                     tol=1e-6, chunk=500, measure=False, source="fuzz")
    with make_executor(None, None, True, tasks=1) as executor:
        return grid.run(executor, progress=False)


@fuzz_settings(30)
@given(draw=st.data())
def test_fuzz_sweep_plot_values(sweep_result, tmp_path_factory, draw):
    """Every figure of every point drawn from values <= 0, non-finite or
    missing: the plot is written (log axes only where a value is positive)."""
    from dataclasses import replace

    from crn2sbml.sweep.grid import plot_sweep

    names = ("max_rel_error", "max_unsmoothed_gap", "settling_bound_max")
    points = tuple(replace(p, **{n: draw.draw(_FIGURE) for n in names}) for p in sweep_result.points)
    path = tmp_path_factory.mktemp("plot") / "sweep.png"
    plot_sweep(replace(sweep_result, points=points), path)
    assert path.stat().st_size > 0
