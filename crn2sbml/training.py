"""CRN-aware training: the network is trained with exactly the activation the
CRN computes at the given eps (the smoothed ReLU sigma_eps for hidden layers,
the dual-rail identity sigma_eps(z) - sigma_eps(-z) for the output), with
exact analytic gradients, so the CRN's steady state is the trained function.

The optimizer is scipy's L-BFGS-B on the full batch with the analytic
gradient. Its bounds implement the wet-lab limit ``|k| <= max_weight`` on every
rate constant (weights and biases, as the CRN sees them). The L1 penalty is
made smooth by writing each weight as ``p - n`` with ``p, n >= 0`` (exact: at
the optimum one of them is 0), and weights below ``prune`` after training are
set to exact zeros (no reaction).

Inputs. Features are scaled to [0, 1] inside the trainer, ``u = (x - lo)/s``,
with ``lo, lo + s`` the declared input range (by default each feature's range
in the data). The saved network takes the raw features: its ``input_ranges``
are ``[lo, lo + s]`` and its first layer is ``W = V/s``, ``b = c - W lo``. The
compiler folds the lower bound into the bias (the input species holds
``x - lo``), so the CRN's rate constants are exactly ``V/s`` and ``c``, the
quantities the bound and the penalty act on.

Classification: softmax cross-entropy on the identity output layer (signed
logits); the CRN's outputs are the logits and the predicted class is argmax.
Regression: mean squared error.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from scipy.optimize import minimize

from ._progress import Bar
from ._seed import check_seed
from .activations import get_activation
from .errors import InputError, NetworkError
from .network import Layer, Network, check_identifier, check_shape, check_size

TASKS = ("classify", "regress")


@dataclass
class TrainResult:
    network: Network
    task: str
    classes: list[Any]  # class label of each output (classification), else []
    loss: float
    iterations: int
    train_accuracy: float | None  # classification only
    pruned: int  # weights set to exact zero by the pruning threshold
    zero_weights: int  # exact zeros in the final network (no reaction)
    n_weights: int
    n_reactions: int
    seconds: float
    history: list[float] = field(default_factory=list)

    def summary(self) -> str:
        sizes = "-".join(map(str, self.network.sizes))
        acc = f", train accuracy {self.train_accuracy:.4f}" if self.train_accuracy is not None else ""
        return (f"{self.network.name}: {sizes} ({self.task}), loss {self.loss:.5g} after {self.iterations} "
                f"iterations{acc}; {self.zero_weights}/{self.n_weights} weights zero ({self.pruned} pruned), "
                f"{self.n_reactions} reactions; {self.seconds:.1f} s")


def predict_class(network: Network, x: np.ndarray) -> np.ndarray:
    """Index of the largest output (the CRN's logits), per row."""
    out = np.atleast_2d(network.forward(x))
    return np.argmax(out, axis=1) if out.shape[1] > 1 else (out[:, 0] > 0).astype(int)


class _Model:
    """Parameters packed into one vector: per layer V (out x in) then c (out)."""

    def __init__(self, sizes: Sequence[int], activations: Sequence[tuple[str, Any]], epsilon: float):
        self.sizes = tuple(sizes)
        self.fns = [get_activation(name, params) for name, params in activations]
        self.epsilon = float(epsilon)
        self.shapes = list(zip(self.sizes[1:], self.sizes[:-1]))
        self.slices = []
        at = 0
        for n_out, n_in in self.shapes:
            w = slice(at, at + n_out * n_in)
            at += n_out * n_in
            b = slice(at, at + n_out)
            at += n_out
            self.slices.append((w, b))
        self.size = at

    def unpack(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(theta[w].reshape(shape), theta[b]) for (w, b), shape in zip(self.slices, self.shapes)]

    def weight_mask(self) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        for w, _ in self.slices:
            mask[w] = True
        return mask

    def forward(self, theta: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, list]:
        h, cache = u, []
        for (v, c), fn in zip(self.unpack(theta), self.fns):
            z = h @ v.T + c
            cache.append((h, z))
            h = fn.reference(z, self.epsilon)
        return h, cache

    def loss_grad(self, theta: np.ndarray, u: np.ndarray, target: np.ndarray, task: str,
                  l2: float = 0.0) -> tuple[float, np.ndarray]:
        out, cache = self.forward(theta, u)
        n = len(u)
        if task == "classify":
            shifted = out - out.max(axis=1, keepdims=True)
            logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -float(np.sum(target * logp)) / n
            d_out = (np.exp(logp) - target) / n
        else:
            diff = out - target
            loss = 0.5 * float(np.sum(diff * diff)) / n
            d_out = diff / n
        grad = np.zeros_like(theta)
        params = self.unpack(theta)
        d_h = d_out
        for k in range(len(params) - 1, -1, -1):
            (v, _), (h_prev, z), fn = params[k], cache[k], self.fns[k]
            d_z = d_h * fn.derivative(z, self.epsilon)
            w_sl, b_sl = self.slices[k]
            grad[w_sl] = (d_z.T @ h_prev).ravel()
            grad[b_sl] = d_z.sum(axis=0)
            d_h = d_z @ v
        if l2:
            mask = self.weight_mask()
            loss += 0.5 * l2 * float(np.sum(theta[mask] ** 2))
            grad[mask] += l2 * theta[mask]
        return loss, grad


def _check_options(task: str, max_weight: float | None, l1: float, l2: float) -> None:
    """The options that need no data: a known task, a positive bound, non-negative penalties."""
    if task not in TASKS:
        raise InputError(f"task '{task}' is unknown; use one of {', '.join(TASKS)}")
    if max_weight is not None and not max_weight > 0:
        raise InputError(f"max_weight is {max_weight}; it must be > 0")
    if l1 < 0 or l2 < 0:
        raise InputError("l1 and l2 must be >= 0")


@dataclass(frozen=True)
class _Data:
    """Checked training data: the features, the targets the loss compares
    with (one-hot rows for classification) and the class labels (else empty)."""

    x: np.ndarray
    target: np.ndarray
    classes: np.ndarray

    @property
    def n_outputs(self) -> int:
        return self.target.shape[1]


def _prepare_data(x: Any, y: Any, task: str) -> _Data:
    """Features as a finite (samples, features) array; class labels as one-hot
    rows (integral floats count as integer labels), regression targets as a
    (samples, outputs) array."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or len(x) == 0 or not np.all(np.isfinite(x)):
        raise InputError(f"features must be a finite (samples, features) array, got shape {x.shape}")
    y = np.asarray(y)
    if len(y) != len(x):
        raise InputError(f"{len(x)} feature rows but {len(y)} targets")
    if task != "classify":
        return _Data(x, _targets(y), np.array([]))
    if y.dtype.kind == "f" and np.all(y == np.round(y)):
        y = y.astype(int)
    classes, labels = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise InputError("classification needs at least two classes in the target")
    return _Data(x, np.eye(len(classes))[labels], classes)


def _targets(y: np.ndarray) -> np.ndarray:
    """Regression targets as a finite (samples, outputs) float array; an
    InputError naming the first target that is not a number (a text cell)."""
    flat = y.reshape(len(y), -1)
    out = np.empty(flat.shape)
    for index, value in np.ndenumerate(flat):
        try:
            out[index] = float(value)
        except (TypeError, ValueError):
            raise InputError(f"regression target {index[0] + 1} is {str(value)!r}, not a number; a regression "
                             "needs numeric targets (use --task classify for class labels)") from None
    if not np.all(np.isfinite(out)):
        row = int(np.argwhere(~np.isfinite(out))[0][0])
        raise InputError(f"regression target {row + 1} is {out.reshape(len(out), -1)[row].tolist()}; "
                         "targets must be finite numbers")
    return out


def _scaling(x: np.ndarray, input_range: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """(lo, s) per feature with ``u = (x - lo)/s`` in [0, 1]: the declared
    range, else each feature's range in the data."""
    if input_range is not None:
        lo_v, hi_v = map(float, input_range)
        if not lo_v < hi_v:
            raise InputError(f"input range [{lo_v:g}, {hi_v:g}]: the lower bound must be < the upper")
        lo, hi = np.full(x.shape[1], lo_v), np.full(x.shape[1], hi_v)
    else:
        lo, hi = x.min(axis=0), x.max(axis=0)
        hi = np.where(hi > lo, hi, lo + 1.0)  # a constant feature: any unit range
    return lo, hi - lo


def _names(given: Sequence[str] | None, n: int, prefix: str) -> list[str]:
    if given is None:
        return [f"{prefix}{i}" for i in range(n)]
    out = []
    for i, g in enumerate(given):
        name = re.sub(r"[^A-Za-z0-9_]", "_", str(g))
        try:
            check_identifier(name, "name")
        except NetworkError:
            name = f"{prefix}{i}"
        out.append(name if name.lower() not in {o.lower() for o in out} else f"{prefix}{i}")  # names.check_distinct
    return out


@dataclass(frozen=True)
class _Layout:
    """The shape of the network being trained and how its raw inputs are
    scaled for the trainer: ``u = (x - lo)/scale``."""

    lo: np.ndarray
    scale: np.ndarray
    sizes: tuple[int, ...]
    activations: list[tuple[str, dict[str, Any]]]
    input_ranges: tuple[tuple[float | None, float | None], ...] | None
    inputs: list[str]
    outputs: list[str]

    def scaled(self, x: np.ndarray) -> np.ndarray:
        return (x - self.lo) / self.scale


def _fresh_layout(data: _Data, task: str, hidden: Sequence[int], activation: str,
                  input_range: tuple[float, float] | None, feature_names: Sequence[str] | None) -> _Layout:
    """A new network: ``hidden`` layers of ``activation`` and an identity
    output; inputs scaled by the declared (or the data's) range."""
    x = data.x
    _check_layout_size((x.shape[1], *map(int, hidden), data.n_outputs))
    lo, scale = _scaling(x, input_range)
    outputs = [f"class_{c}" for c in data.classes] if task == "classify" else None
    layout = _Layout(
        lo, scale, (x.shape[1], *map(int, hidden), data.n_outputs),
        [(activation, {})] * len(hidden) + [("identity", {})],
        tuple(zip(lo.tolist(), (lo + scale).tolist())),
        _names(feature_names, x.shape[1], "x"), _names(outputs, data.n_outputs, "y"),
    )
    if any(s <= 0 for s in layout.sizes):
        raise InputError(f"layer sizes {layout.sizes}: every layer needs at least one unit")
    return layout


def _check_layout_size(sizes: tuple[int, ...]) -> None:
    """The network's limits (crn2sbml.network), checked before any weight
    is allocated: a typo such as --hidden 2000000 is a usage error, not a MemoryError."""
    try:
        for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            check_shape(n_out, n_in, f"layer {k} of {'-'.join(map(str, sizes))}")
        check_size(len(sizes) - 1, sum(a * b for a, b in zip(sizes, sizes[1:])))
    except NetworkError as exc:
        raise InputError(f"hidden: {exc}") from None


def _layout_of(init: Network, data: _Data) -> _Layout:
    """Fine-tuning: ``init``'s own sizes, activations, names and input ranges;
    inputs shifted by its declared lower bounds and not rescaled."""
    x = data.x
    if init.n_inputs != x.shape[1] or init.n_outputs != data.n_outputs:
        raise InputError(
            f"--init network takes {init.n_inputs} inputs and gives {init.n_outputs} outputs; "
            f"the data has {x.shape[1]} features and {data.n_outputs} targets/classes"
        )
    init.check_input(x)
    ranges = init.input_ranges
    lo = np.array([r[0] if r[0] is not None else 0.0 for r in ranges]) if ranges else np.zeros(x.shape[1])
    return _Layout(lo, np.ones(x.shape[1]), init.sizes,
                   [(layer.activation, dict(layer.activation_params)) for layer in init.layers],
                   ranges, list(init.inputs), list(init.outputs))


def _initial_parameters(model: _Model, layout: _Layout, init: Network | None, seed: int) -> np.ndarray:
    """The starting point: ``init``'s weights in the trainer's scaled
    coordinates (``V = W s``, ``c = b + W lo`` in the first layer), else He
    initialisation from ``seed`` with biases 0.01."""
    if init is not None:
        return np.concatenate([
            np.concatenate([(layer.weights * (layout.scale if k == 0 else 1.0)).ravel(),
                            layer.bias + (layer.weights @ layout.lo if k == 0 else 0.0)])
            for k, layer in enumerate(init.layers)
        ])
    rng = np.random.default_rng(seed)
    parts = []
    for n_o, n_i in model.shapes:
        parts += [rng.normal(scale=math.sqrt(2.0 / n_i), size=n_o * n_i), np.full(n_o, 0.01)]
    return np.concatenate(parts)


@dataclass(frozen=True)
class _RateLimits:
    """How trainer parameters map to the CRN's rate constants
    (``|rate| = |theta| / per``: first-layer weights are ``V/s``), the bound
    on each parameter that keeps ``|rate| <= max_weight``, and the L1 weight
    per parameter that penalises ``l1 * |rate|`` (biases are not penalised)."""

    per: np.ndarray
    cap: np.ndarray
    penalty: np.ndarray
    weights: np.ndarray  # mask: which parameters are weights


def _rate_limits(model: _Model, layout: _Layout, max_weight: float | None, l1: float) -> _RateLimits:
    per = np.ones(model.size)
    per[model.slices[0][0]] = np.tile(layout.scale, layout.sizes[1])
    cap = np.full(model.size, np.inf) if max_weight is None else max_weight * per
    weights = model.weight_mask()
    return _RateLimits(per, cap, np.where(weights, l1 / per, 0.0), weights)


class _Objective:
    """What L-BFGS-B minimises: the loss (with L2) and its exact gradient.
    With an L1 penalty each parameter is written ``p - n`` with ``p, n >= 0``,
    so ``penalty . (p + n)`` is smooth (exact: at the optimum one of p, n is
    0); the optimiser's vector is then ``[p, n]``, twice the parameters."""

    def __init__(self, model: _Model, u: np.ndarray, target: np.ndarray, task: str, l2: float,
                 penalty: np.ndarray | None):
        self.model, self.u, self.target, self.task, self.l2 = model, u, target, task, l2
        self.penalty = penalty  # None: no L1, the vector is theta itself

    def __call__(self, vec: np.ndarray) -> tuple[float, np.ndarray]:
        if self.penalty is None:
            return self.model.loss_grad(vec, self.u, self.target, self.task, self.l2)
        p, n = vec[: self.model.size], vec[self.model.size:]
        loss, g = self.model.loss_grad(p - n, self.u, self.target, self.task, self.l2)
        return loss + float(self.penalty @ (p + n)), np.concatenate([g + self.penalty, -g + self.penalty])

    def vector(self, theta: np.ndarray) -> np.ndarray:
        if self.penalty is None:
            return theta
        return np.concatenate([np.maximum(theta, 0), np.maximum(-theta, 0)])

    def theta(self, vec: np.ndarray) -> np.ndarray:
        return vec if self.penalty is None else vec[: self.model.size] - vec[self.model.size:]

    def bounds(self, cap: np.ndarray) -> list[tuple[float | None, float | None]] | None:
        """``|theta| <= cap`` in the optimiser's coordinates (None: unbounded)."""
        if self.penalty is not None:
            return [(0.0, None if math.isinf(c) else float(c)) for c in cap] * 2
        return None if np.all(np.isinf(cap)) else [(-float(c), float(c)) for c in cap]


class _Progress:
    """A progress bar over the iterations with the current loss (stderr, terminals only)."""

    def __init__(self, enabled: bool, total: int):
        self.bar = Bar(total=total, desc="L-BFGS-B", unit="iter", enabled=enabled)

    def __call__(self, loss: float) -> None:
        self.bar.update(status=f"loss {loss:.6g}")

@dataclass(frozen=True)
class _Optimum:
    vector: np.ndarray
    iterations: int
    history: list[float]  # the loss after each iteration


def _minimise(objective: Callable[[np.ndarray], tuple[float, np.ndarray]], start: np.ndarray,
              bounds: list[tuple[float | None, float | None]] | None, max_iter: int, ftol: float,
              progress: bool | Callable[[float], None]) -> _Optimum:
    """Full-batch L-BFGS-B with the exact gradient; ``progress`` is called
    with the loss after each iteration (True: a progress bar)."""
    report = progress if callable(progress) else _Progress(bool(progress), int(max_iter))
    history: list[float] = []

    def callback(vec: np.ndarray) -> None:
        loss = objective(vec)[0]
        history.append(loss)
        report(loss)

    try:
        res = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, callback=callback,
                       options={"maxiter": int(max_iter), "maxfun": 4 * int(max_iter), "ftol": ftol, "gtol": 1e-9})
    finally:
        if isinstance(report, _Progress):
            report.bar.close()
    return _Optimum(res.x, int(res.nit), history)


def _prune(theta: np.ndarray, limits: _RateLimits, threshold: float) -> tuple[np.ndarray, int]:
    """Weights whose rate constant is below ``threshold`` become exact zeros
    (no reaction); returns the parameters and how many were pruned."""
    small = limits.weights & (np.abs(theta) / limits.per < threshold) & (theta != 0)
    return np.where(small, 0.0, theta), int(small.sum())


def _to_network(model: _Model, theta: np.ndarray, layout: _Layout, epsilon: float, name: str,
                description: str) -> Network:
    """The network on raw inputs: the first layer unscaled, ``W = V/s`` and
    ``b = c - W lo`` (exact zeros stay zeros: no reaction)."""
    layers = []
    for k, ((v, c), (act, params)) in enumerate(zip(model.unpack(theta), layout.activations)):
        if k == 0:
            w = np.where(v == 0, 0.0, v / layout.scale)
            v, c = w, c - w @ layout.lo
        layers.append(Layer(v, c, epsilon, act, params))
    return Network(tuple(layers), inputs=tuple(layout.inputs), outputs=tuple(layout.outputs), name=name,
                   description=description, input_ranges=layout.input_ranges)


def _description(task: str, epsilon: float, max_weight: float | None, l1: float, seed: int,
                 init: Network | None) -> str:
    desc = (f"trained by crn2sbml.train ({task}) with the CRN's own activation at eps={epsilon:g}"
            + (f"; |rate constant| <= {max_weight:g}" if max_weight is not None else "")
            + (f"; L1 {l1:g}" if l1 else "") + f"; seed {seed}")
    if task == "classify":
        desc += "; outputs are the class logits (predicted class = argmax)"
    if init is not None:
        desc = f"fine-tuned from '{init.name}'; " + desc
    return desc


def train(
    x: np.ndarray,
    y: np.ndarray,
    *,
    hidden: Sequence[int] = (20,),
    epsilon: float = 0.01,
    task: str = "classify",
    activation: str = "smoothed_relu",
    max_weight: float | None = None,
    l1: float = 0.0,
    l2: float = 0.0,
    prune: float = 1e-4,
    seed: int = 0,
    max_iter: int = 500,
    ftol: float = 1e-12,
    init: Network | None = None,
    input_range: tuple[float, float] | None = None,
    feature_names: Sequence[str] | None = None,
    name: str = "trained",
    progress: bool | Callable[[float], None] = False,
) -> TrainResult:
    """Train a network whose activation is the function the CRN computes at
    ``epsilon`` (see the module docstring). ``x`` is (samples, features), ``y``
    class labels (classify) or targets (regress, 1-D or 2-D). With ``init`` the
    network's own layer sizes, weights, activations, names and input ranges
    are the starting point and ``epsilon`` replaces its eps (fine-tuning, e.g.
    an imported ReLU network turned into sigma_eps); ``hidden``,
    ``activation``, ``input_range`` and ``feature_names`` are then ignored.
    L-BFGS-B stops after ``max_iter`` iterations or when the relative
    decrease of the loss falls below ``ftol``. ``progress``: True shows a
    progress bar with the loss (stderr: terminals and notebooks only); a callable gets the loss instead."""
    start = time.monotonic()
    _check_options(task, max_weight, l1, l2)
    seed = check_seed(seed, "seed (--seed)")
    data = _prepare_data(x, y, task)
    layout = (_layout_of(init, data) if init is not None
              else _fresh_layout(data, task, hidden, activation, input_range, feature_names))
    u = layout.scaled(data.x)
    model = _Model(layout.sizes, layout.activations, epsilon)
    limits = _rate_limits(model, layout, max_weight, l1)
    theta0 = np.clip(_initial_parameters(model, layout, init, seed), -limits.cap, limits.cap)
    objective = _Objective(model, u, data.target, task, l2, limits.penalty if l1 > 0 else None)
    best = _minimise(objective, objective.vector(theta0), objective.bounds(limits.cap), max_iter, ftol, progress)
    theta, pruned = _prune(objective.theta(best.vector), limits, prune)
    net = _to_network(model, theta, layout, epsilon, name, _description(task, epsilon, max_weight, l1, seed, init))
    return _result(net, task, data, model.loss_grad(theta, u, data.target, task, l2)[0], best, pruned,
                   time.monotonic() - start)


def _result(net: Network, task: str, data: _Data, loss: float, best: _Optimum, pruned: int,
            seconds: float) -> TrainResult:
    """The trained network with what it costs as a CRN (reactions, zero
    weights) and how well it fits (loss; training accuracy for classification)."""
    from .compile import compile_network

    acc = None
    if task == "classify":
        acc = float(np.mean(predict_class(net, data.x) == np.argmax(data.target, axis=1)))
    return TrainResult(
        net, task, data.classes.tolist(), loss, best.iterations, acc, pruned,
        zero_weights=int(sum(np.count_nonzero(layer.weights == 0) for layer in net.layers)),
        n_weights=int(sum(layer.weights.size for layer in net.layers)),
        n_reactions=len(compile_network(net).reactions), seconds=seconds, history=best.history,
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_csv(path: str, target: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A CSV file with a header row: numeric feature columns and a target column
    (numbers or labels; ``target=None``: features only, an empty y). Returns
    (x, y, feature names)."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read data file '{path}': {reason}") from None
    rows = [r for r in rows if r]
    if len(rows) < 2:
        raise InputError(f"'{path}' needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if target is not None and target not in header:
        raise InputError(f"'{path}' has no column '{target}'; columns: {', '.join(header)}")
    t = header.index(target) if target is not None else -1
    feats = [h for i, h in enumerate(header) if i != t]
    x, y = [], []
    for line, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise InputError(f"'{path}' line {line} has {len(r)} fields; the header has {len(header)}")
        try:
            x.append([float(v) for i, v in enumerate(r) if i != t])
        except ValueError:
            bad = next(i for i, v in enumerate(r) if i != t and not _is_number(v))
            raise InputError(f"'{path}' line {line}: column '{header[bad]}' is {r[bad]!r}, not a number; every "
                             "feature must be a number") from None
        if t >= 0:
            y.append(r[t].strip())
    y_arr = np.array(y)
    try:
        y_arr = y_arr.astype(float)
    except ValueError:
        pass
    return np.array(x, dtype=float), y_arr, feats
