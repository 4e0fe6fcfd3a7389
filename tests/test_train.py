"""CRN-aware training: exact gradients, bounds, sparsity, reproducibility, a
real-data accuracy (Iris), fine-tuning an imported ReLU network, and the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from crn2sbml import compile_network, load_network
from crn2sbml.cli import main
from crn2sbml.errors import InputError
from crn2sbml.network import Layer, Network
from crn2sbml.training import (
    _fresh_layout, _initial_parameters, _layout_of, _minimise, _Model, _Objective, _prepare_data, _prune,
    _rate_limits, _to_network, predict_class, train,
)


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


# --- the phases of train, one by one ----------------------------------------------------
def test_data_becomes_one_hot_classes_or_real_targets():
    data = _prepare_data([[0.0], [1.0], [2.0], [3.0]], [2.0, 0.0, 2.0, 1.0], "classify")
    assert data.classes.tolist() == [0, 1, 2] and data.classes.dtype.kind == "i"  # 2.0 is the label 2
    assert data.target.tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]]
    reg = _prepare_data([[0.0], [1.0]], [0.5, -1.5], "regress")
    assert reg.target.tolist() == [[0.5], [-1.5]] and reg.n_outputs == 1 and reg.classes.size == 0
    for x, y, fragment in (([[np.nan]], [1], "finite"), ([[0.0], [1.0]], [1], "2 feature rows but 1 targets"),
                           ([[0.0], [1.0]], ["a", "a"], "two classes")):
        with pytest.raises(InputError, match=fragment):
            _prepare_data(x, y, "classify")


def test_fresh_layout_scales_every_feature_onto_the_unit_interval(rng):
    x = np.column_stack([rng.uniform(-3, 5, 20), np.full(20, 7.0)])  # the second feature is constant
    data = _prepare_data(x, (x[:, 0] > 0).astype(int), "classify")
    layout = _fresh_layout(data, "classify", (3,), "smoothed_relu", None, ["a b", "a b"])
    u = layout.scaled(x)
    assert u[:, 0].min() == 0 and u[:, 0].max() == pytest.approx(1) and np.all(u[:, 1] == 0)
    assert layout.sizes == (2, 3, 2) and layout.activations[-1] == ("identity", {})
    assert layout.inputs == ["a_b", "x1"] and layout.outputs == ["class_0", "class_1"]  # no name twice
    declared = _fresh_layout(data, "classify", (3,), "smoothed_relu", (-4.0, 12.0), None)
    assert np.allclose(declared.scaled(x), (x + 4) / 16) and declared.input_ranges == ((-4, 12), (-4, 12))
    with pytest.raises(InputError, match="lower bound"):
        _fresh_layout(data, "classify", (3,), "smoothed_relu", (1.0, 1.0), None)


def test_initial_parameters_of_a_network_compute_that_network(rng):
    """Fine-tuning starts where the network is: the trainer's model on the
    scaled inputs equals the network's own forward pass on the raw ones."""
    init = Network((Layer(rng.normal(size=(4, 2)), rng.normal(size=4), 0.05, "leaky_relu", {"negative_slope": 0.2}),
                    Layer(rng.normal(size=(2, 4)), rng.normal(size=2), 0.05, "identity")),
                   input_ranges=((-1.0, 2.0), (0.5, None)))
    x = np.column_stack([rng.uniform(-1, 2, 9), rng.uniform(0.5, 3, 9)])
    layout = _layout_of(init, _prepare_data(x, rng.normal(size=(9, 2)), "regress"))
    model = _Model(layout.sizes, layout.activations, 0.05)
    out, _ = model.forward(_initial_parameters(model, layout, init, seed=0), layout.scaled(x))
    assert np.allclose(out, init.forward(x), rtol=1e-12, atol=1e-12)


def test_fresh_initial_parameters_are_he_normal_and_seeded():
    model = _Model((400, 50, 2), [("smoothed_relu", {}), ("identity", {})], 0.01)
    layout = _fresh_layout(_prepare_data(np.eye(400), np.arange(400) % 2, "classify"), "classify", (50,),
                           "smoothed_relu", None, None)
    theta = _initial_parameters(model, layout, None, seed=5)
    (v, c), _ = model.unpack(theta)
    assert abs(v.std() / np.sqrt(2 / 400) - 1) < 0.05 and np.all(c == 0.01)
    assert np.array_equal(theta, _initial_parameters(model, layout, None, seed=5))


def test_rate_limits_hold_the_compiled_crns_rate_constants_at_the_bound(rng):
    """Every parameter at its cap gives rate constants of exactly max_weight
    in the compiled CRN (first-layer weights are V/s there)."""
    x = rng.uniform(0, 10, size=(15, 3)) * np.array([1.0, 5.0, 0.1])
    data = _prepare_data(x, rng.integers(0, 2, 15), "classify")
    layout = _fresh_layout(data, "classify", (4,), "smoothed_relu", None, None)
    model = _Model(layout.sizes, layout.activations, 0.01)
    limits = _rate_limits(model, layout, 0.7, l1=0.3)
    net = _to_network(model, limits.cap, layout, 0.01, "capped", "")
    rates = [p.value for p in compile_network(net).parameters if p.id.startswith(("w_", "b_"))]
    assert np.allclose(rates, 0.7, rtol=1e-12)
    first = model.slices[0][0]
    assert np.allclose(limits.penalty[first] * limits.cap[first], 0.3 * 0.7)  # l1 * |rate| at the cap
    assert np.all(limits.penalty[~limits.weights] == 0)  # biases are not penalised


def test_l1_objective_value_and_gradient(rng):
    model = _Model((3, 4, 2), [("smoothed_relu", {}), ("identity", {})], 0.05)
    u, target = rng.uniform(0, 1, size=(7, 3)), rng.normal(size=(7, 2))
    penalty = np.where(model.weight_mask(), rng.uniform(0.1, 1, model.size), 0.0)
    objective = _Objective(model, u, target, "regress", 0.01, penalty)
    theta = rng.normal(size=model.size)
    vec = objective.vector(theta)
    assert np.all(vec >= 0) and np.array_equal(objective.theta(vec), theta)
    loss, grad = objective(vec)
    plain = _Objective(model, u, target, "regress", 0.01, None)(theta)[0]
    assert loss == pytest.approx(plain + float(np.sum(penalty * np.abs(theta))), rel=1e-12)
    h = 1e-6
    fd = np.array([(objective(vec + h * e)[0] - objective(vec - h * e)[0]) / (2 * h) for e in np.eye(vec.size)])
    assert np.max(np.abs(grad - fd)) < 1e-7 * max(1.0, np.max(np.abs(fd)))
    cap = np.full(model.size, 2.0)
    assert objective.bounds(cap) == [(0.0, 2.0)] * (2 * model.size)
    assert _Objective(model, u, target, "regress", 0, None).bounds(np.full(model.size, np.inf)) is None  # no bound


def test_minimise_reaches_a_bounded_quadratics_minimum_and_reports_each_iteration(capsys):
    a = np.array([0.3, -4.0, 2.5])

    def quadratic(v):
        return float(np.sum((v - a) ** 2)), 2 * (v - a)

    seen = []
    best = _minimise(quadratic, np.zeros(3), [(-1.0, 1.0)] * 3, 100, 1e-15, seen.append)
    assert np.allclose(best.vector, np.clip(a, -1, 1), atol=1e-9)
    assert seen == best.history and len(seen) == best.iterations >= 1
    capsys.readouterr()
    for progress in (True, False):  # True: a bar on a terminal (tests/test_progress.py), nothing on a pipe
        _minimise(quadratic, np.zeros(3), None, 100, 1e-15, progress)
        assert capsys.readouterr() == ("", "")


def test_prune_zeroes_weights_with_small_rate_constants_only():
    model = _Model((2, 1), [("identity", {})], 0.01)  # theta = [v0, v1, c]
    layout = _fresh_layout(_prepare_data(np.array([[0.0, 0.0], [1.0, 10.0]]), [0.0, 1.0], "regress"), "regress",
                           (), "smoothed_relu", None, None)
    limits = _rate_limits(model, layout, None, 0.0)  # the second input spans 10: its rate is v1 / 10
    theta, pruned = _prune(np.array([5e-5, 5e-4, 1e-6]), limits, 1e-4)
    assert theta.tolist() == [0.0, 0.0, 1e-6] and pruned == 2  # 5e-4 / 10 < 1e-4; a bias is never pruned
    theta, pruned = _prune(np.array([2e-4, 2e-3, 0.0]), limits, 1e-4)
    assert theta.tolist() == [2e-4, 2e-3, 0.0] and pruned == 0


def test_to_network_on_raw_inputs_equals_the_trainer_model_on_scaled_inputs(rng):
    x = rng.uniform(-2, 6, size=(12, 3))
    layout = _fresh_layout(_prepare_data(x, rng.normal(size=12), "regress"), "regress", (5,), "hardtanh", None, None)
    model = _Model(layout.sizes, layout.activations, 0.02)
    theta = rng.normal(size=model.size)
    theta[model.slices[0][0].start] = 0.0
    net = _to_network(model, theta, layout, 0.02, "n", "d")
    assert np.allclose(net.forward(x), model.forward(theta, layout.scaled(x))[0], rtol=1e-10, atol=1e-12)
    assert net.layers[0].weights[0, 0] == 0.0 and net.input_ranges == layout.input_ranges


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
    assert captured.err == "" and "reactions" in captured.out  # stderr is no terminal here: no progress bar
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


@pytest.mark.parametrize("hidden, fragment", [("2000000", "at most 100,000 units"), (",".join(["3"] * 1001), "at most 1,000 layers"),
                                               ("3000,3000", "at most 5,000,000")])
def test_cli_train_hidden_sizes_beyond_the_network_limits_are_usage_errors(tmp_path, capsys, hidden, fragment):
    """The network file's limits hold for a network train would build: refused
    in one line before any weight is allocated (a MemoryError or a long hang before)."""
    data = tmp_path / "d.csv"
    data.write_text("a,b,label\n0,1,p\n1,0,q\n")
    code = main(["train", str(data), "--target", "label", "--hidden", hidden, "--out", str(tmp_path / "n.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "hidden" in err[0], err
    assert fragment in err[0]
    assert not (tmp_path / "n.json").exists()
