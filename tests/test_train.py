"""CRN-aware training: exact gradients, bounds, sparsity, reproducibility, a
real-data accuracy (Iris), fine-tuning an imported ReLU network, and the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from crn2sbml import compile_network, load_network
from crn2sbml.cli import main
from crn2sbml.training import _Model, predict_class, train


@pytest.mark.parametrize("task", ["classify", "regress"])
@pytest.mark.parametrize("hidden_act", [("smoothed_relu", {}), ("leaky_relu", {"negative_slope": 0.1}),
                                        ("hardtanh", {})])
def test_gradient_matches_finite_differences(task, hidden_act, rng):
    model = _Model((3, 5, 4, 3), [hidden_act, ("smoothed_relu", {}), ("identity", {})], epsilon=0.05)
    theta = rng.normal(size=model.size)
    u = rng.uniform(0, 1, size=(11, 3))
    target = np.eye(3)[rng.integers(0, 3, 11)] if task == "classify" else rng.normal(size=(11, 3))
    loss, grad = model.loss_grad(theta, u, target, task, l2=0.01)
    h = 1e-6
    fd = np.array([
        (model.loss_grad(theta + h * e, u, target, task, 0.01)[0] - model.loss_grad(theta - h * e, u, target, task, 0.01)[0]) / (2 * h)
        for e in np.eye(model.size)
    ])
    assert np.max(np.abs(grad - fd)) < 1e-7 * max(1.0, np.max(np.abs(fd)))


def test_trained_function_is_the_networks_forward_pass(rng):
    """The trainer's model and the saved network (raw inputs, input_ranges,
    folded scaling) compute the same function."""
    x = rng.uniform(-3, 5, size=(30, 4))
    y = (x[:, 0] > x[:, 1]).astype(int)
    res = train(x, y, hidden=(6,), epsilon=0.02, seed=3, max_iter=50)
    net = res.network
    lo = np.array([r[0] for r in net.input_ranges])
    hi = np.array([r[1] for r in net.input_ranges])
    assert np.allclose(lo, x.min(axis=0)) and np.allclose(hi, x.max(axis=0))
    crn = compile_network(net)
    from crn2sbml.experiments import crn_outputs

    sim = crn_outputs(net, crn, x[:8])
    assert np.allclose(sim["outputs"], net.forward(x[:8]), rtol=1e-6, atol=1e-8)


def _iris_split():
    import sklearn.datasets as sk
    from sklearn.model_selection import train_test_split

    x, y = sk.load_iris(return_X_y=True)
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


def test_iris_reaches_stated_accuracy_reproducibly():
    xtr, xte, ytr, yte = _iris_split()
    a = train(xtr, ytr, hidden=(8,), epsilon=0.01, seed=0, max_iter=300)
    b = train(xtr, ytr, hidden=(8,), epsilon=0.01, seed=0, max_iter=300)
    assert a.network == b.network  # seeds make runs reproducible
    assert np.mean(predict_class(a.network, xte) == yte) >= 0.9
    assert a.train_accuracy >= 0.95
    assert a.network.outputs == ("class_0", "class_1", "class_2")


def test_rate_constant_bound_and_l1_pruning():
    xtr, _, ytr, _ = _iris_split()
    w_max = 0.5
    dense = train(xtr, ytr, hidden=(8,), epsilon=0.01, seed=0, max_iter=200, max_weight=w_max)
    sparse = train(xtr, ytr, hidden=(8,), epsilon=0.01, seed=0, max_iter=200, max_weight=w_max, l1=0.02)
    for res in (dense, sparse):
        crn = compile_network(res.network)
        rates = [p.value for p in crn.parameters if p.id.startswith(("w_", "b_"))]
        assert max(rates) <= w_max * (1 + 1e-9)
        assert res.n_reactions == len(crn.reactions)
    assert sparse.zero_weights > dense.zero_weights
    assert sparse.n_reactions < dense.n_reactions
    assert sparse.train_accuracy >= 0.8


def test_fine_tuning_recovers_an_imported_relu_network():
    from sklearn.neural_network import MLPClassifier

    from crn2sbml.importers import from_sklearn

    xtr, xte, ytr, yte = _iris_split()
    mlp = MLPClassifier(hidden_layer_sizes=(6,), max_iter=2000, random_state=0).fit(xtr, ytr)
    eps = 0.5  # large: the smoothed network differs visibly from the ReLU one
    imported = from_sklearn(mlp, epsilon=eps)
    before = train(xtr, ytr, init=imported, epsilon=eps, max_iter=0)
    tuned = train(xtr, ytr, init=imported, epsilon=eps, max_iter=200)
    assert tuned.loss < before.loss
    assert tuned.train_accuracy >= before.train_accuracy
    assert np.mean(predict_class(tuned.network, xte) == yte) >= 0.9
    assert tuned.network.description.startswith("fine-tuned from")


def test_cli_train(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(60, 2))
    label = np.where(x[:, 0] + x[:, 1] > 1, "big", "small")
    data = tmp_path / "d.csv"
    data.write_text("a,b c,label\n" + "".join(f"{p},{q},{t}\n" for (p, q), t in zip(x, label)))
    out = tmp_path / "net.json"
    code = main(["train", str(data), "--target", "label", "--hidden", "4,3", "--epsilon", "0.01",
                 "--max-weight", "20", "--seed", "2", "--out", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    assert "iteration" in captured.err and "reactions" in captured.out
    net = load_network(out)
    assert net.sizes == (2, 4, 3, 2) and net.inputs == ("a", "b_c") and net.outputs == ("class_big", "class_small")
    assert np.mean(predict_class(net, x) == (label == "small")) > 0.9
    assert main(["train", str(data), "--target", "nope", "--out", str(out)]) == 2
    assert main(["train", str(data), "--target", "label", "--hidden", "x", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "no column 'nope'" in err[0]
    numeric = tmp_path / "n.csv"
    numeric.write_text("a,b,t\n" + "".join(f"{p},{q},{p - q}\n" for p, q in x))
    reg = main(["train", str(numeric), "--target", "t", "--task", "regress", "--quiet", "--out", str(tmp_path / "r.json")])
    assert reg == 0
    fit = load_network(tmp_path / "r.json")
    assert np.max(np.abs(fit.forward(x)[:, 0] - (x[:, 0] - x[:, 1]))) < 0.05


def test_cli_fine_tune_from_an_imported_network(tmp_path):
    from sklearn.neural_network import MLPClassifier

    from crn2sbml import save_network
    from crn2sbml.importers import from_sklearn

    xtr, _, ytr, _ = _iris_split()
    mlp = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2000, random_state=0).fit(xtr, ytr)
    save_network(from_sklearn(mlp, epsilon=0.3), tmp_path / "imported.json")
    data = tmp_path / "iris.csv"
    data.write_text("a,b,c,d,species\n" + "".join(",".join(map(str, r)) + f",{t}\n" for r, t in zip(xtr, ytr)))
    out = tmp_path / "tuned.json"
    assert main(["train", str(data), "--target", "species", "--init", str(tmp_path / "imported.json"),
                 "--epsilon", "0.3", "--max-iter", "100", "--quiet", "--out", str(out)]) == 0
    tuned = load_network(out)
    assert tuned.sizes == (4, 5, 3) and tuned.layers[0].epsilon == 0.3
    assert np.mean(predict_class(tuned, xtr) == ytr) >= 0.95


def test_xor_and_iris_experiments_run(capsys, tmp_path):
    from crn2sbml.experiments import main as experiments

    assert experiments(["xor", "--out", str(tmp_path)]) == 0
    assert "CRN classes [0, 1, 1, 0]" in capsys.readouterr().out
    import sklearn  # noqa: F401  (a test dependency)
    assert experiments(["iris", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "CRN batch simulation agrees on 38/38" in out
