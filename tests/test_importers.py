"""Importers: the imported network evaluated with the UNSMOOTHED activations
reproduces the framework's own outputs (weights carried exactly), and bad
files are rejected with errors that name the problem."""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest

from crn2sbml import MissingDependencyError, ModelReadError, NetworkError, load_network
from crn2sbml.cli import main
from crn2sbml.importers import from_sklearn, from_torch, import_model, load_onnx, load_state_dict


# --- PyTorch -----------------------------------------------------------------------
def _torch_net():
    import torch
    nn = torch.nn
    torch.manual_seed(0)
    return torch, nn.Sequential(
        nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 5), nn.LeakyReLU(0.1), nn.Linear(5, 4), nn.Hardtanh(-2.0, 1.5),
        nn.Linear(4, 4), nn.Hardsigmoid(), nn.Identity(), nn.Linear(4, 2),
    ).double()


def test_torch_sequential_round_trip(rng):
    torch, model = _torch_net()
    net = from_torch(model, epsilon=0.01)
    assert [l.activation for l in net.layers] == ["smoothed_relu", "leaky_relu", "hardtanh", "hardsigmoid", "identity"]
    assert dict(net.layers[1].activation_params) == {"negative_slope": 0.1}
    x = rng.normal(size=(50, 3)) * 2
    want = model(torch.tensor(x)).detach().numpy()
    assert np.max(np.abs(net.unsmoothed_forward(x) - want)) < 1e-10
    assert np.array_equal(net.layers[0].weights, model[0].weight.detach().numpy())


def test_torch_float32_weights_carried_exactly():
    torch, model = _torch_net()
    model = model.float()
    net = from_torch(model)
    for layer, lin in zip(net.layers, [m for m in model if isinstance(m, torch.nn.Linear)]):
        assert np.array_equal(layer.weights, lin.weight.detach().numpy().astype(np.float64))


def test_torch_unsupported_module_named():
    import torch
    with pytest.raises(NetworkError, match=r"Tanh is not supported; supported modules: Linear, ReLU"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()))
    with pytest.raises(NetworkError, match="before any linear layer"):
        from_torch(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 2)))


def test_state_dict_round_trip_and_cli(tmp_path, rng):
    torch, model = _torch_net()
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    acts = ["relu", "leaky_relu:0.1", "hardtanh:-2:1.5", "hardsigmoid", "identity"]
    net = load_state_dict(path, acts)
    x = rng.normal(size=(20, 3))
    assert np.max(np.abs(net.unsmoothed_forward(x) - model(torch.tensor(x)).detach().numpy())) < 1e-10
    out = tmp_path / "net.json"
    assert main(["import", str(path), "--out", str(out), "--activations", ",".join(acts)]) == 0
    assert load_network(out) == net
    with pytest.raises(ModelReadError, match="has no activations; give one per layer"):
        import_model(path)
    with pytest.raises(ModelReadError, match="5 Linear layers .* but 2 activations"):
        import_model(path, activations=["relu", "identity"])


def test_pickles_that_are_not_state_dicts_are_refused(tmp_path, capsys):
    torch, model = _torch_net()
    whole = tmp_path / "whole.pt"
    torch.save(model, whole)  # a pickled module, not a state_dict: weights_only refuses it
    with pytest.raises(ModelReadError, match="not a PyTorch state_dict that can be loaded safely"):
        import_model(whole, activations=["relu"])
    evil = tmp_path / "evil.pth"
    evil.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ModelReadError, match="weights_only=True refused"):
        import_model(evil, activations=["relu"])
    assert not Exploit.ran
    listed = tmp_path / "list.pt"
    torch.save([torch.zeros(2, 2)], listed)
    with pytest.raises(ModelReadError, match="holds a list, not a state_dict"):
        import_model(listed, activations=["relu"])
    bn = tmp_path / "bn.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)).state_dict(), bn)
    with pytest.raises(ModelReadError, match="are not Linear weights"):
        import_model(bn, activations=["relu"])
    assert main(["import", str(evil), "--out", str(tmp_path / "n.json"), "--activations", "relu"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crn2sbml: error:") and err.count("\n") == 1
    assert not (tmp_path / "n.json").exists()


class Exploit:
    ran = False

    def __reduce__(self):
        return (exec, ("Exploit.ran = True",))


# --- scikit-learn -------------------------------------------------------------------
def _iris():
    import sklearn.datasets as datasets
    return datasets.load_iris(return_X_y=True)


def test_sklearn_classifier_round_trip():
    from sklearn.neural_network import MLPClassifier

    x, y = _iris()
    clf = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=300, random_state=0).fit(x, y)
    net = from_sklearn(clf, epsilon=0.01)
    logits = net.unsmoothed_forward(x)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert np.max(np.abs(p - clf.predict_proba(x))) < 1e-10
    assert np.array_equal(clf.classes_[np.argmax(logits, axis=1)], clf.predict(x))
    assert "argmax" in net.description and net.layers[-1].activation == "identity"
    assert np.array_equal(net.layers[0].weights, clf.coefs_[0].T)


def test_sklearn_binary_and_regressor():
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    x, y = _iris()
    binary = MLPClassifier(hidden_layer_sizes=(4,), max_iter=300, random_state=0).fit(x, y == 0)
    logit = from_sklearn(binary).unsmoothed_forward(x)[:, 0]
    assert np.max(np.abs(1 / (1 + np.exp(-logit)) - binary.predict_proba(x)[:, 1])) < 1e-10
    reg = MLPRegressor(hidden_layer_sizes=(6,), activation="identity", max_iter=300, random_state=0).fit(x, x[:, 0])
    assert np.max(np.abs(from_sklearn(reg).unsmoothed_forward(x)[:, 0] - reg.predict(x))) < 1e-10
    tanh = MLPRegressor(hidden_layer_sizes=(3,), activation="tanh", max_iter=50, random_state=0).fit(x, x[:, 0])
    with pytest.raises(NetworkError, match=r"activation='tanh'\) is not supported; supported hidden activations: relu"):
        from_sklearn(tanh)


def test_skops_classifier_through_the_cli(tmp_path, capsys):
    """crn2sbml import model.skops: the network's unsmoothed forward pass is the
    MLP's decision values (softmax gives predict_proba), loaded without pickle."""
    import warnings

    import skops.io as sio
    from sklearn.neural_network import MLPClassifier

    x, y = _iris()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence: a tiny model is enough
        clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0).fit(x, y)
    sio.dump(clf, tmp_path / "iris.skops")
    assert main(["import", str(tmp_path / "iris.skops"), "--out", str(tmp_path / "iris.json")]) == 0
    net = load_network(tmp_path / "iris.json")
    assert net.name == "iris" and net.sizes == (4, 5, 3)
    logits = net.unsmoothed_forward(x)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert np.max(np.abs(p - clf.predict_proba(x))) < 1e-10
    assert np.array_equal(clf.classes_[np.argmax(logits, axis=1)], clf.predict(x))


def test_skops_files_with_other_types_are_refused(tmp_path, capsys):
    import operator

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    sio.dump(FunctionTransformer(operator.neg), tmp_path / "pipe.skops")  # a callable: never trusted
    assert main(["import", str(tmp_path / "pipe.skops"), "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds types crn2sbml does not load: _operator.neg" in err[0], err
    sio.dump(FunctionTransformer(), tmp_path / "other.skops")  # trusted by skops, but no MLP
    with pytest.raises(NetworkError, match="takes a fitted MLPClassifier or MLPRegressor, got FunctionTransformer"):
        import_model(tmp_path / "other.skops")
    (tmp_path / "junk.skops").write_bytes(b"not a zip")
    with pytest.raises(ModelReadError, match="cannot read .* as a skops file"):
        import_model(tmp_path / "junk.skops")
    assert not (tmp_path / "p.json").exists()


# --- ONNX -------------------------------------------------------------------------
def _onnx_model(path, rng, *, extra_node=None, hardsigmoid_alpha=1 / 6, hardsigmoid=True):
    """A float64 graph built with onnx.helper: Gemm(transB=1)+Relu, MatMul+Add+LeakyRelu,
    Gemm(transB=0, alpha, beta)+Clip, Gemm+HardSigmoid, Gemm+Identity."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float64), name))
        return name

    nodes.append(helper.make_node("Gemm", ["x", const("W1", rng.normal(size=(5, 3))), const("b1", rng.normal(size=5))],
                                  ["g1"], transB=1))
    nodes.append(helper.make_node("Relu", ["g1"], ["a1"]))
    nodes.append(helper.make_node("MatMul", ["a1", const("W2", rng.normal(size=(5, 4)))], ["m2"]))
    nodes.append(helper.make_node("Add", ["m2", const("b2", rng.normal(size=4))], ["g2"]))
    nodes.append(helper.make_node("LeakyRelu", ["g2"], ["a2"], alpha=0.2))
    nodes.append(helper.make_node("Gemm", ["a2", const("W3", rng.normal(size=(4, 4))), const("b3", rng.normal(size=4))],
                                  ["g3"], alpha=0.5, beta=2.0))
    nodes.append(helper.make_node("Clip", ["g3", const("lo", -1.0), const("hi", 2.0)], ["a3"]))
    nodes.append(helper.make_node("Gemm", ["a3", const("W4", rng.normal(size=(3, 4))), const("b4", rng.normal(size=3))],
                                  ["g4"], transB=1))
    if hardsigmoid:
        nodes.append(helper.make_node("HardSigmoid", ["g4"], ["a4"], alpha=hardsigmoid_alpha, beta=0.5))
    last = "a4" if hardsigmoid else "g4"
    if extra_node:
        nodes.append(helper.make_node(extra_node, [last], ["e"]))
        last = "e"
    nodes.append(helper.make_node("Gemm", [last, const("W5", rng.normal(size=(2, 3))), const("b5", rng.normal(size=2))],
                                  ["g5"], transB=1))
    nodes.append(helper.make_node("Identity", ["g5"], ["y"]))
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [None, 3])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [None, 2])], inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, str(path))
    return model


def test_onnx_round_trip_and_cli(tmp_path, rng):
    model = _onnx_model(tmp_path / "plain.onnx", rng, hardsigmoid=False)
    from onnx.reference import ReferenceEvaluator

    net = load_onnx(tmp_path / "plain.onnx")
    assert [l.activation for l in net.layers] == ["smoothed_relu", "leaky_relu", "hardtanh", "identity", "identity"]
    x = rng.normal(size=(40, 3)) * 2
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    assert np.max(np.abs(net.unsmoothed_forward(x) - want)) < 1e-10
    # ONNX float attributes are float32: HardSigmoid's alpha is float32(1/6), read as exactly 1/6
    model = _onnx_model(tmp_path / "mlp.onnx", rng)
    net = load_onnx(tmp_path / "mlp.onnx")
    assert [l.activation for l in net.layers] == ["smoothed_relu", "leaky_relu", "hardtanh", "hardsigmoid", "identity"]
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    assert np.max(np.abs(net.unsmoothed_forward(x) - want)) < 1e-6
    out = tmp_path / "net.json"
    assert main(["import", str(tmp_path / "mlp.onnx"), "--out", str(out), "--epsilon", "0.001"]) == 0
    loaded = load_network(out)
    assert loaded.name == "mlp" and loaded.layers[0].epsilon == 0.001
    assert np.array_equal(loaded.layers[0].weights, net.layers[0].weights)


def test_onnx_bad_files(tmp_path, rng, capsys):
    _onnx_model(tmp_path / "tanh.onnx", rng, extra_node="Tanh")
    with pytest.raises(ModelReadError, match=r"Tanh node .* is not supported; supported operators: Gemm, MatMul"):
        load_onnx(tmp_path / "tanh.onnx")
    _onnx_model(tmp_path / "hs.onnx", rng, hardsigmoid_alpha=0.2)
    with pytest.raises(ModelReadError, match="alpha=0.2.*only PyTorch's hard sigmoid"):
        load_onnx(tmp_path / "hs.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(bytes(rng.integers(0, 256, 400, dtype=np.uint8)))
    with pytest.raises(ModelReadError, match="is not a readable ONNX model"):
        load_onnx(corrupt)
    assert main(["import", str(corrupt), "--out", str(tmp_path / "n.json")]) == 2
    assert main(["import", str(tmp_path / "nothing.onnx"), "--out", str(tmp_path / "n.json")]) == 2
    assert main(["import", str(tmp_path / "tanh.onnx"), "--out", str(tmp_path / "n.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(e.startswith("crn2sbml: error:") for e in err)
    assert not (tmp_path / "n.json").exists()


def test_missing_extras_say_what_to_install(monkeypatch, tmp_path):
    for module in ("onnx", "torch", "sklearn", "sklearn.neural_network"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    (tmp_path / "m.onnx").write_bytes(b"x")
    (tmp_path / "m.pt").write_bytes(b"x")
    with pytest.raises(MissingDependencyError, match=r"pip install 'crn2sbml\[onnx\]'"):
        import_model(tmp_path / "m.onnx")
    with pytest.raises(MissingDependencyError, match=r"pip install 'crn2sbml\[torch\]'"):
        import_model(tmp_path / "m.pt", activations=["relu"])
    with pytest.raises(MissingDependencyError, match=r"pip install 'crn2sbml\[sklearn\]'"):
        from_sklearn(object())
    with pytest.raises(MissingDependencyError, match=r"crn2sbml\[torch\]"):
        from_torch(object())
    with pytest.raises(ModelReadError, match="unknown suffix '.h5'"):
        (tmp_path / "m.h5").write_bytes(b"x")
        import_model(tmp_path / "m.h5")


def test_torch_onnx_export_round_trip(tmp_path, rng):
    """A graph written by torch.onnx.export (the legacy exporter, offline)."""
    import torch
    import onnx  # noqa: F401  (a test dependency)
    import warnings

    nn = torch.nn
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 5), nn.LeakyReLU(0.25), nn.Linear(5, 4),
                          nn.Hardtanh(-1.0, 2.0), nn.Linear(4, 2)).double()
    path = tmp_path / "exported.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 3, dtype=torch.float64), str(path), dynamo=False)
    net = load_onnx(path)
    assert [l.activation for l in net.layers] == ["smoothed_relu", "leaky_relu", "hardtanh", "identity"]
    x = rng.normal(size=(30, 3)) * 2
    assert np.max(np.abs(net.unsmoothed_forward(x) - model(torch.tensor(x)).detach().numpy())) < 1e-10


# --- activations declare their framework names; every importer reads them -------------------
def test_each_framework_name_belongs_to_one_registered_activation():
    from crn2sbml.activations import FRAMEWORKS, _REGISTRY

    for framework in FRAMEWORKS:
        claimed = [n for cls in _REGISTRY.values() for n in cls.framework_names.get(framework, ())]
        assert len(claimed) == len(set(claimed)), f"{framework} name claimed twice: {claimed}"
    for cls in _REGISTRY.values():
        assert set(cls.framework_names) <= set(FRAMEWORKS), cls.name
        for key in cls.spec_params:  # a spec's positional parameters are the activation's own
            cls.from_params({key: 0.5 if key != "max_val" else 2.0})


def test_a_declared_onnx_name_is_imported_without_touching_the_importer(tmp_path, rng, monkeypatch):
    """Abs declares no ONNX name; declaring one is all it takes for load_onnx
    to read ONNX's Abs operator as the abs activation."""
    from onnx.reference import ReferenceEvaluator

    from crn2sbml.activations.abs import Abs

    model = _onnx_model(tmp_path / "abs.onnx", rng, hardsigmoid=False, extra_node="Abs")
    with pytest.raises(ModelReadError, match=r"Abs node .* is not supported"):
        load_onnx(tmp_path / "abs.onnx")
    monkeypatch.setattr(Abs, "framework_names", {"onnx": ("Abs",)})
    net = load_onnx(tmp_path / "abs.onnx")
    assert [l.activation for l in net.layers][-2:] == ["abs", "identity"]
    x = rng.normal(size=(20, 3)) * 2
    assert np.max(np.abs(net.unsmoothed_forward(x) - ReferenceEvaluator(model).run(None, {"x": x})[0])) < 1e-10


def test_framework_parameters_come_from_the_activation(tmp_path, rng):
    import torch

    nn = torch.nn
    net = from_torch(nn.Sequential(nn.Linear(2, 3), nn.ReLU6(), nn.Linear(3, 1)))  # ReLU6 is a Hardtanh(0, 6)
    assert net.layers[0].activation == "hardtanh" and dict(net.layers[0].activation_params) == {"min_val": 0.0,
                                                                                                "max_val": 6.0}
    from crn2sbml.activations import activation_class

    clip = activation_class("hardtanh")
    assert clip.onnx_params({"min": -1.0, "max": 3.0}, []) == {"min_val": -1.0, "max_val": 3.0}  # opset < 11
    assert clip.onnx_params({}, [np.array(-2.0), np.array([5.0])]) == {"min_val": -2.0, "max_val": 5.0}
    with pytest.raises(NetworkError, match="needs both a min and a max"):
        clip.onnx_params({}, [np.array(0.0), None])
    assert activation_class("leaky_relu").onnx_params({}, []) == {"negative_slope": 0.01}  # ONNX's default


@pytest.mark.parametrize("stem, want", [("2-layer net", "n2_layer_net"), ("truncatedNormal_fit", "truncated_Normal_fit")])
def test_file_stem_becomes_a_legal_network_name(tmp_path, rng, stem, want):
    """An imported network is named after its file: a stem that is no SBML id,
    or that Antimony would rewrite (a distribution name), is turned into a legal
    name instead of failing the import."""
    torch, model = _torch_net()
    path = tmp_path / f"{stem}.pt"
    torch.save(model.state_dict(), path)
    net = load_state_dict(path, ["relu", "leaky_relu:0.1", "hardtanh:-2:1.5", "hardsigmoid", "identity"])
    assert net.name == want
