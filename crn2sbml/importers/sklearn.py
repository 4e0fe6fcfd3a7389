"""scikit-learn: MLPClassifier and MLPRegressor (coefs_ are in x out: transposed),
in memory or from a .skops file (never pickle)."""

from __future__ import annotations

import os
from typing import Any

from ..activations import framework_activations
from ..errors import ModelReadError, NetworkError
from ..network import Network
from ._common import DEFAULT_EPSILON, PendingLayer, as_float64, build_network, require

_OUT = {
    "identity": "the output layer is identity, as in scikit-learn",
    "softmax": "scikit-learn applies softmax to the output layer; the CRN computes the pre-softmax "
               "logits (identity), whose argmax is the same predicted class",
    "logistic": "scikit-learn applies the logistic function to the output layer; the CRN computes the "
                "logit (identity): predicted class 1 where it is > 0",
}


def from_sklearn(estimator: Any, *, epsilon: float = DEFAULT_EPSILON, name: str = "sklearn_mlp") -> Network:
    """A fitted MLPClassifier / MLPRegressor with activation 'relu' or 'identity'."""
    neural = require("sklearn.neural_network", "sklearn", "importing a scikit-learn model")
    if not isinstance(estimator, (neural.MLPClassifier, neural.MLPRegressor)):
        raise NetworkError(
            f"from_sklearn takes a fitted MLPClassifier or MLPRegressor, got {type(estimator).__name__}"
        )
    if not hasattr(estimator, "coefs_"):
        raise NetworkError(f"the {type(estimator).__name__} is not fitted; call fit(X, y) first")
    hidden = framework_activations("sklearn")
    act = estimator.activation
    if act not in hidden:
        raise NetworkError(
            f"{type(estimator).__name__}(activation='{act}') is not supported; supported hidden activations: "
            f"{', '.join(hidden)}"
        )
    out = estimator.out_activation_
    if out not in _OUT:
        raise NetworkError(f"output activation '{out}' is not supported; supported: {', '.join(_OUT)}")
    n = len(estimator.coefs_)
    layers = [
        PendingLayer(as_float64(w).T.copy(), as_float64(b), hidden[act].name if i < n - 1 else "identity",
                     source=f"coefs_[{i}]")
        for i, (w, b) in enumerate(zip(estimator.coefs_, estimator.intercepts_))
    ]
    desc = f"imported from scikit-learn {type(estimator).__name__}(activation='{act}'); {_OUT[out]}"
    if hasattr(estimator, "classes_"):
        desc += f"; classes {[c.item() if hasattr(c, 'item') else c for c in estimator.classes_]}"
    if act == "relu":
        desc += f"; ReLU computed as the smoothed ReLU at eps={epsilon:g}"
    return build_network(layers, epsilon=epsilon, name=name, description=desc)


# The only types a .skops file may hold beyond skops' own default-trusted ones
# (numpy, sklearn estimators such as LabelBinarizer): the MLPs and the state
# of their optimizers, plain data. Anything else is refused before loading.
SKOPS_TRUSTED = (
    "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
    "sklearn.neural_network._multilayer_perceptron.MLPRegressor",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
)


def load_skops(path: str | os.PathLike[str], *, epsilon: float = DEFAULT_EPSILON, name: str | None = None) -> Network:
    """A fitted MLPClassifier / MLPRegressor saved with ``skops.io.dump``,
    loaded by skops' safe loader (no pickle, no code run on load), trusting
    only SKOPS_TRUSTED beyond skops' defaults."""
    sio = require("skops.io", "sklearn", "importing a .skops file")
    label = os.fspath(path)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # not a zip, or not skops' schema
        raise ModelReadError(f"cannot read '{label}' as a skops file: {exc}; save the model with skops.io.dump") from None
    refused = sorted(set(untrusted) - set(SKOPS_TRUSTED))
    if refused:
        raise ModelReadError(f"'{label}' holds types crn2sbml does not load: {', '.join(refused)}; "
                             "save a fitted MLPClassifier or MLPRegressor with skops.io.dump")
    try:
        estimator = sio.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelReadError(f"skops could not load '{label}': {exc}") from None
    stem = os.path.splitext(os.path.basename(label))[0]
    return from_sklearn(estimator, epsilon=epsilon, name=name or stem)
