"""The network JSON format and the Network/Layer value objects: what a valid
file means, the lossless round trip, one NetworkError naming the field for
every kind of bad input, and the forward pass against a hand computation."""

from __future__ import annotations

import copy
import json
import math
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np
import pytest

from crn2sbml import (
    InputError,
    Layer,
    ModelReadError,
    Network,
    NetworkError,
    load_network,
    network_from_dict,
    save_network,
)

XOR_JSON = Path(__file__).resolve().parent.parent / "models" / "xor.json"


def sigma(z: float, eps: float) -> float:
    """sigma_eps(z) = (z + sqrt(z^2 + 4 eps)) / 2, in the algebraically equal
    form 2 eps / (sqrt(z^2 + 4 eps) - z) where z < 0 (no cancellation)."""
    r = math.sqrt(z * z + 4.0 * eps)
    return (z + r) / 2.0 if z >= 0 else 2.0 * eps / (r - z)


def hand_forward(layers: list[tuple[list[list[float]], list[float], float]], x: list[float]) -> list[float]:
    """Loop-by-loop forward pass from the formula alone."""
    h = list(x)
    for weights, bias, eps in layers:
        h = [sigma(sum(w * v for w, v in zip(row, h)) + b, eps) for row, b in zip(weights, bias)]
    return h


def small() -> dict:
    """A valid 2-3-1 network description."""
    return {
        "name": "small",
        "epsilon": 0.01,
        "inputs": ["a", "b"],
        "outputs": ["out"],
        "layers": [
            {"weights": [[1.0, -2.0], [0.5, 0.25], [-1.0, 3.0]], "bias": [0.1, -0.2, 0.0], "activation": "smoothed_relu"},
            {"weights": [[1.0, -1.0, 2.0]], "bias": [-0.5]},
        ],
    }


# --- valid files -------------------------------------------------------------------
def test_xor_file_loads():
    net = load_network(XOR_JSON)
    assert isinstance(net, Network)
    assert net.name == "xor"
    assert net.sizes == (2, 2, 1)
    assert (net.n_inputs, net.n_outputs) == (2, 1)
    assert net.inputs == ("x1", "x2")
    assert net.outputs == ("y",)
    assert [layer.epsilon for layer in net.layers] == [0.001, 0.001]
    assert [layer.activation for layer in net.layers] == ["smoothed_relu"] * 2
    assert net.layers[0].weights.tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    assert net.layers[1].bias.tolist() == [-0.06324555320336758]
    assert net.description.startswith("XOR")


def test_layer_epsilon_overrides_network_epsilon():
    data = small()
    data["layers"][1]["epsilon"] = 0.5
    net = network_from_dict(data)
    assert [layer.epsilon for layer in net.layers] == [0.01, 0.5]


def test_layer_epsilon_alone_is_enough():
    data = small()
    del data["epsilon"]
    data["layers"][0]["epsilon"] = 0.2
    data["layers"][1]["epsilon"] = 0.3
    assert [layer.epsilon for layer in network_from_dict(data).layers] == [0.2, 0.3]


def test_defaults_names_bias_activation():
    net = network_from_dict({"epsilon": 0.1, "layers": [{"weights": [[1, 2, 3], [4, 5, 6]]}, {"weights": [[1, 1]]}]})
    assert net.inputs == ("x0", "x1", "x2")
    assert net.outputs == ("y0",)
    assert net.name == "network"
    assert net.sizes == (3, 2, 1)
    for layer in net.layers:
        assert layer.bias.tolist() == [0.0] * layer.n_out
        assert layer.activation == "smoothed_relu"
    two_out = network_from_dict({"epsilon": 0.1, "layers": [{"weights": [[1], [2]]}]})
    assert two_out.inputs == ("x0",)
    assert two_out.outputs == ("y0", "y1")


def test_relu_alias_is_canonicalised():
    data = small()
    data["layers"][0]["activation"] = "relu"
    net = network_from_dict(data)
    assert net.layers[0].activation == "smoothed_relu"
    assert net.to_dict()["layers"][0]["activation"] == "smoothed_relu"
    assert Layer(np.eye(2), np.zeros(2), 0.1, "relu").activation == "smoothed_relu"


def test_integers_are_numbers():
    net = network_from_dict({"epsilon": 1, "layers": [{"weights": [[1, -2]], "bias": [3]}]})
    assert net.layers[0].epsilon == 1.0
    assert net.layers[0].weights.dtype == float
    assert net.layers[0].bias.tolist() == [3.0]


def test_network_is_immutable():
    net = network_from_dict(small())
    with pytest.raises(ValueError):
        net.layers[0].weights[0, 0] = 5.0
    with pytest.raises(AttributeError):
        net.name = "other"  # type: ignore[misc]


# --- round trip ----------------------------------------------------------------------
AWKWARD = [0.1 + 0.2, 1 / 3, -2 / 7, 1e-300, 2.2250738585073e-308, 123456789.123456789, -0.0, math.pi]


def awkward_network(shared_eps: bool) -> Network:
    w1 = np.array(AWKWARD[:6]).reshape(3, 2)
    w2 = np.array([AWKWARD[6:8] + [math.e]])
    return Network(
        (
            Layer(w1, np.array([math.sqrt(2), -1 / 3, 0.7]), 1e-3 if shared_eps else 1 / 3),
            Layer(w2, np.array([-1e-17]), 1e-3 if shared_eps else 0.1 + 0.2, "relu"),
        ),
        inputs=("u", "v"),
        outputs=("w",),
        name="awk",
        description="doubles that print badly",
    )


@pytest.mark.parametrize("shared_eps", [True, False], ids=["shared-eps", "per-layer-eps"])
def test_to_dict_round_trip_is_exact(shared_eps):
    net = awkward_network(shared_eps)
    data = net.to_dict()
    assert ("epsilon" in data) is shared_eps
    back = network_from_dict(json.loads(json.dumps(data)))
    assert back == net
    assert back.description == net.description
    for a, b in zip(back.layers, net.layers):
        assert a.weights.tobytes() == b.weights.tobytes()  # bit for bit, -0.0 included
        assert a.bias.tobytes() == b.bias.tobytes()
        assert a.epsilon == b.epsilon


@pytest.mark.parametrize("shared_eps", [True, False], ids=["shared-eps", "per-layer-eps"])
def test_save_load_round_trip_is_exact(tmp_path, shared_eps):
    net = awkward_network(shared_eps)
    path = save_network(net, tmp_path / "awk.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["awk.json"]  # no temp files left
    back = load_network(path)
    assert back == net
    for a, b in zip(back.layers, net.layers):
        assert np.array_equal(a.weights, b.weights) and a.weights.tobytes() == b.weights.tobytes()
        assert a.bias.tobytes() == b.bias.tobytes()
    # and a second save is byte-identical
    assert save_network(back, tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_xor_file_round_trip(tmp_path):
    net = load_network(XOR_JSON)
    assert load_network(save_network(net, tmp_path / "x.json")) == net


def test_equality_sees_every_field():
    net = network_from_dict(small())
    assert net == network_from_dict(small())
    for change in (
        lambda d: d.update(name="other"),
        lambda d: d.update(inputs=["a", "c"]),
        lambda d: d.update(outputs=["o"]),
        lambda d: d.update(epsilon=0.02),
        lambda d: d["layers"][0]["weights"][0].__setitem__(0, 1.0000000000000002),
        lambda d: d["layers"][1]["bias"].__setitem__(0, -0.5000000000000001),
    ):
        data = small()
        change(data)
        assert network_from_dict(data) != net


# --- bad input: NetworkError naming the field ----------------------------------------
def _set(path, value):
    def apply(d):
        obj = d
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = value
    return apply


def _delete(path):
    def apply(d):
        obj = d
        for key in path[:-1]:
            obj = obj[key]
        del obj[path[-1]]
    return apply


BAD = {
    # misspelt / missing / unknown fields
    "misspelt-weights": (lambda d: d["layers"][1].update(wieghts=d["layers"][1].pop("weights")), ["layers[1]", "'wieghts'", "did you mean 'weights'"]),
    "misspelt-epsilon": (lambda d: d.update(epsilom=d.pop("epsilon")), ["'epsilom'", "did you mean 'epsilon'"]),
    "misspelt-bias": (lambda d: d["layers"][0].update(biases=d["layers"][0].pop("bias")), ["layers[0]", "did you mean 'bias'"]),
    "unknown-field": (_set(["colour"], "red"), ["unknown field 'colour'", "allowed fields"]),
    "missing-layers": (_delete(["layers"]), ["missing field 'layers'"]),
    "missing-weights": (_delete(["layers", 1, "weights"]), ["layers[1]", "missing field 'weights'"]),
    "missing-epsilon": (_delete(["epsilon"]), ["layers[0]", "epsilon"]),
    "layers-empty": (_set(["layers"], []), ["layers", "non-empty"]),
    "layers-not-list": (_set(["layers"], {"weights": [[1]]}), ["layers", "list"]),
    "layer-not-object": (_set(["layers", 1], [[1.0, 1.0, 1.0]]), ["layers[1]", "object"]),
    # ragged / mismatched shapes
    "ragged-weights": (_set(["layers", 0, "weights", 2], [1.0]), ["layers[0].weights[2]", "ragged"]),
    "empty-row": (_set(["layers", 0, "weights"], [[], []]), ["layers[0].weights[0]", "empty"]),
    "weights-not-matrix": (_set(["layers", 0, "weights"], [1.0, 2.0]), ["layers[0].weights[0]", "list"]),
    "weights-empty": (_set(["layers", 0, "weights"], []), ["layers[0].weights", "non-empty"]),
    "bias-length": (_set(["layers", 0, "bias"], [0.0, 0.0]), ["layers[0].bias", "2 entries", "3 rows"]),
    "layer-mismatch": (_set(["layers", 1, "weights"], [[1.0, 1.0]]), ["layers[1].weights", "2 columns", "layers[0]", "3 outputs"]),
    "too-few-input-names": (_set(["inputs"], ["a"]), ["inputs", "1 names", "2"]),
    "too-many-output-names": (_set(["outputs"], ["p", "q"]), ["outputs", "2 names"]),
    # bad numbers
    "nan-weight": (_set(["layers", 1, "weights", 0, 2], float("nan")), ["layers[1].weights[0][2]", "nan", "finite"]),
    "inf-bias": (_set(["layers", 0, "bias", 1], float("inf")), ["layers[0].bias[1]", "inf", "finite"]),
    "neg-inf-weight": (_set(["layers", 0, "weights", 1, 0], float("-inf")), ["layers[0].weights[1][0]", "finite"]),
    "nan-epsilon": (_set(["epsilon"], float("nan")), ["epsilon", "finite"]),
    "inf-layer-epsilon": (_set(["layers", 1, "epsilon"], float("inf")), ["layers[1].epsilon", "finite"]),
    "huge-int-weight": (_set(["layers", 0, "weights", 0, 0], 10**400), ["layers[0].weights[0][0]", "too large"]),
    "string-weight": (_set(["layers", 0, "weights", 0, 1], "1.5"), ["layers[0].weights[0][1]", "expected a number"]),
    "bool-bias": (_set(["layers", 0, "bias", 0], True), ["layers[0].bias[0]", "expected a number"]),
    "null-weight": (_set(["layers", 0, "weights", 2, 1], None), ["layers[0].weights[2][1]", "expected a number"]),
    "string-epsilon": (_set(["epsilon"], "0.01"), ["epsilon", "expected a number"]),
    # epsilon <= 0
    "zero-epsilon": (_set(["epsilon"], 0), ["epsilon is 0", "> 0"]),
    "negative-epsilon": (_set(["epsilon"], -0.01), ["epsilon is -0.01", "> 0"]),
    "negative-layer-epsilon": (_set(["layers", 1, "epsilon"], -1), ["layers[1].epsilon", "> 0"]),
    # activation
    "unknown-activation": (_set(["layers", 1, "activation"], "tanh"), ["layers[1].activation", "unknown activation 'tanh'", "smoothed_relu"]),
    "activation-not-string": (_set(["layers", 0, "activation"], 3), ["layers[0].activation", "name"]),
    # names
    "bad-name": (_set(["name"], "my net"), ["name", "'my net'", "letters, digits"]),
    "name-not-string": (_set(["name"], 7), ["name", "string"]),
    "description-not-string": (_set(["description"], ["x"]), ["description", "string"]),
    "input-name-not-id": (_set(["inputs"], ["a", "2b"]), ["inputs[1]", "'2b'"]),
    "inputs-not-strings": (_set(["inputs"], ["a", 2]), ["inputs", "strings"]),
    "duplicate-name": (_set(["outputs"], ["a"]), ["outputs[0]", "'a'", "inputs[0]", "unique"]),
}


@pytest.mark.parametrize("change, fragments", list(BAD.values()), ids=list(BAD))
def test_bad_dict_names_the_field(change, fragments):
    data = copy.deepcopy(small())
    change(data)
    with pytest.raises(NetworkError) as info:
        network_from_dict(data)
    assert isinstance(info.value, ValueError)
    msg = str(info.value)
    assert "\n" not in msg
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)


@pytest.mark.parametrize("data", [[], "network", None, 3, [{"layers": []}]], ids=repr)
def test_non_object_is_rejected(data):
    with pytest.raises(NetworkError, match="JSON object"):
        network_from_dict(data)


BAD_TEXT = {
    "malformed": ('{"layers": [', ["bad.json", "not valid JSON", "line 1"]),
    "garbage": ("garbage{", ["not valid JSON", "line 1 column 1"]),
    "trailing-comma": ('{"epsilon": 0.1, "layers": [{"weights": [[1]]},]}', ["not valid JSON", "line 1"]),
    "empty-file": ("", ["not valid JSON"]),
    "nan-literal": ('{"epsilon": 0.1, "layers": [{"weights": [[1, NaN]]}]}', ["bad.json", "layers[0].weights[0][1]", "finite"]),
    "infinity-literal": ('{"epsilon": Infinity, "layers": [{"weights": [[1]]}]}', ["epsilon", "finite"]),
    "overflow-float": ('{"epsilon": 0.1, "layers": [{"weights": [[1e400]]}]}', ["layers[0].weights[0][0]", "finite"]),
    "thousands-of-digits": ('{"epsilon": 0.1, "layers": [{"weights": [[' + "9" * 5000 + "]]}]}", ["bad.json", "digits"]),
    "deep-nesting": ("[" * 100_000 + "]" * 100_000, ["bad.json", "nested too deeply"]),
    "misspelt": ('{"epsilon": 0.1, "layers": [{"weigths": [[1]]}]}', ["bad.json", "layers[0]", "did you mean 'weights'"]),
}


@pytest.mark.parametrize("text, fragments", list(BAD_TEXT.values()), ids=list(BAD_TEXT))
def test_bad_file_raises_network_error(tmp_path, text, fragments):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NetworkError) as info:
        load_network(path)
    msg = str(info.value)
    assert "\n" not in msg
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)


def test_unreadable_file_raises_model_read_error(tmp_path):
    with pytest.raises(ModelReadError, match="no-such.json"):
        load_network(tmp_path / "no-such.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ModelReadError, match="UTF-8"):
        load_network(tmp_path / "bin.json")
    with pytest.raises(ValueError):  # ModelReadError is a ValueError too
        load_network(tmp_path)


BAD_LAYERS = {
    "ragged": (dict(weights=[[1.0, 2.0], [3.0]], bias=[0.0, 0.0], epsilon=0.1), ["weights", "rectangular"]),
    "non-number": (dict(weights=[[1.0, "a"]], bias=[0.0], epsilon=0.1), ["weights"]),
    "1-d": (dict(weights=[1.0, 2.0], bias=[0.0], epsilon=0.1), ["weights", "2-D"]),
    "empty": (dict(weights=np.zeros((0, 2)), bias=np.zeros(0), epsilon=0.1), ["weights", "non-empty"]),
    "bias-shape": (dict(weights=np.eye(2), bias=[0.0], epsilon=0.1), ["bias", "(2,)"]),
    "nan-weight": (dict(weights=[[1.0, np.nan]], bias=[0.0], epsilon=0.1), ["weights[0][1]", "finite"]),
    "inf-bias": (dict(weights=[[1.0]], bias=[np.inf], epsilon=0.1), ["bias[0]", "finite"]),
    "zero-eps": (dict(weights=[[1.0]], bias=[0.0], epsilon=0.0), ["epsilon", "> 0"]),
    "negative-eps": (dict(weights=[[1.0]], bias=[0.0], epsilon=-1e-3), ["epsilon", "> 0"]),
    "nan-eps": (dict(weights=[[1.0]], bias=[0.0], epsilon=float("nan")), ["epsilon", "finite"]),
    "string-eps": (dict(weights=[[1.0]], bias=[0.0], epsilon="abc"), ["epsilon"]),
    "none-eps": (dict(weights=[[1.0]], bias=[0.0], epsilon=None), ["epsilon"]),
    "activation": (dict(weights=[[1.0]], bias=[0.0], epsilon=0.1, activation="sigmoid"), ["activation", "'sigmoid'"]),
}


@pytest.mark.parametrize("kwargs, fragments", list(BAD_LAYERS.values()), ids=list(BAD_LAYERS))
def test_bad_layer_raises_network_error(kwargs, fragments):
    with pytest.raises(NetworkError) as info:
        Layer(**kwargs)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_bad_network_raises_network_error():
    l23 = Layer(np.ones((3, 2)), np.zeros(3), 0.1)
    l31 = Layer(np.ones((1, 3)), np.zeros(1), 0.1)
    with pytest.raises(NetworkError, match="empty"):
        Network(())
    with pytest.raises(NetworkError, match=r"layers\[1\]\.weights has 2 columns but layers\[0\] has 3 outputs"):
        Network((l23, l23))
    with pytest.raises(NetworkError, match="inputs lists 3 names"):
        Network((l23, l31), inputs=("a", "b", "c"))
    with pytest.raises(NetworkError, match=r"outputs\[0\] 'a' is already used"):
        Network((l23, l31), inputs=("a", "b"), outputs=("a",))
    with pytest.raises(NetworkError, match="name"):
        Network((l23, l31), name="no spaces please")
    # a model name may be a reserved word (it gets a suffix as an SBML id)
    assert Network((l23, l31), name="xor").name == "xor"


# --- the forward pass against a hand computation -------------------------------------
def test_forward_matches_hand_computation():
    data = small()
    data["layers"][1]["epsilon"] = 0.3
    net = network_from_dict(data)
    layers = [(l["weights"], l["bias"], l.get("epsilon", data["epsilon"])) for l in data["layers"]]
    rng = np.random.default_rng(7)
    for x in [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [2.5, 0.75], *rng.uniform(0, 5, size=(20, 2)).tolist()]:
        want = hand_forward(layers, x)
        got = net.forward(x)
        assert got.shape == (1,)
        assert got[0] == pytest.approx(want[0], rel=1e-13, abs=0)
        values = net.layer_values(x)
        assert [v.shape for v in values] == [(2,), (3,), (1,)]
        assert values[1].tolist() == pytest.approx(hand_forward(layers[:1], x), rel=1e-13, abs=0)


def test_forward_xor_truth_table():
    net = load_network(XOR_JSON)
    eps = 0.001
    for x1 in (0.0, 1.0):
        for x2 in (0.0, 1.0):
            h = [sigma(x1 - x2, eps), sigma(x2 - x1, eps)]
            y = sigma(h[0] + h[1] - 2 * math.sqrt(eps), eps)
            got = float(net.forward([x1, x2])[0])
            assert got == pytest.approx(y, rel=1e-12, abs=0)
            assert (got > 0.5) if x1 != x2 else (got < 0.1)


def test_forward_batch():
    net = network_from_dict(small())
    xs = np.array([[0.0, 1.0], [1.0, 0.0], [3.0, 2.0]])
    batch = net.forward(xs)
    assert batch.shape == (3, 1)
    for row, x in zip(batch, xs):
        assert row.tolist() == net.forward(x).tolist()


def _exact_sigma(z: float, eps: float) -> float:
    """2 eps / (sqrt(z^2 + 4 eps) - z) in 60-digit decimal arithmetic, from the
    exact decimal values of the doubles z and eps."""
    getcontext().prec = 60
    zd, ed = Decimal(z), Decimal(eps)
    return float(2 * ed / ((zd * zd + 4 * ed).sqrt() - zd))


@pytest.mark.parametrize(
    "z, eps",
    [(-1e4, 1e-4), (-1e4, 1e-12), (-1e8, 1e-3), (-37.5, 0.01), (-1.0, 1e-6), (-1e-9, 1e-2), (0.0, 0.25),
     (1e-9, 1e-2), (3.0, 0.01), (1e4, 1e-4), (1e8, 1e-3)],
)
def test_forward_accuracy_at_extremes(z, eps):
    """One neuron with bias z and zero input computes sigma_eps(z) to 1e-12
    relative, also far on the negative side where (z + sqrt(z^2 + 4 eps))/2
    would cancel."""
    net = Network((Layer([[1.0]], [z], eps),))
    got = float(net.forward([0.0])[0])
    want = _exact_sigma(z, eps)
    assert got > 0
    assert abs(got - want) <= 1e-12 * want, (got, want)


def test_naive_formula_would_fail_the_stable_branch_test():
    """The oracle case is sensitive: the naive formula is off by far more than
    1e-12 at z = -1e4, eps = 1e-4, so the test above does test the stable branch."""
    z, eps = -1e4, 1e-4
    naive = (z + math.sqrt(z * z + 4 * eps)) / 2
    want = _exact_sigma(z, eps)
    assert want == pytest.approx(1e-8, rel=1e-6)
    assert abs(naive - want) > 1e-6 * want


BAD_INPUTS = {
    "too-few": ([1.0], ["shape (1,)", "takes 2 values", "x1, x2"]),
    "too-many": ([1.0, 0.0, 1.0], ["shape (3,)", "takes 2"]),
    "2-d-wrong-width": ([[1.0, 0.0, 0.0]], ["takes 2"]),
    "3-d": ([[[1.0, 0.0]]], ["takes 2"]),
    "negative": ([1.0, -0.5], ["'x2'", "negative", ">= 0"]),
    "negative-in-batch": ([[1.0, 0.0], [-1.0, 0.0]], ["'x1'", "negative"]),
    "nan": ([float("nan"), 0.0], ["NaN", "finite"]),
    "inf": ([0.0, float("inf")], ["infinity", "finite"]),
}


@pytest.mark.parametrize("x, fragments", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_raises_input_error(x, fragments):
    net = load_network(XOR_JSON)
    with pytest.raises(InputError) as info:
        net.forward(x)
    assert isinstance(info.value, ValueError)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))
