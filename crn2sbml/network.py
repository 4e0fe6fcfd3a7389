"""The feed-forward network: a validated, immutable value object, its JSON
file format, and the closed-form forward pass that every simulation is checked
against (the oracle)."""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._atomic import write_text_atomic
from .activations import Activation, canonical_activation, get_activation
from .activations.base import Params
from .errors import InputError, ModelReadError, NetworkError, UnknownNameError
from .inputs import Bounds, check_inputs

_SID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words that SBML math, Antimony or our own generated ids already use.
RESERVED_NAMES = frozenset(
    "time avogadro pi e exponentiale true false inf infinity nan notanumber "
    "model end species compartment const var function at in is import formula "
    "reaction unit has delete event DNA gene operator ext core substanceOnly "
    "exp log ln log10 sin cos tan abs sqrt pow power floor ceil ceiling min max "
    "and or not xor piecewise delay rateOf factorial root cell kappa".split()
)
_TOP_KEYS = ("name", "description", "epsilon", "inputs", "input_ranges", "outputs", "layers")
_LAYER_KEYS = ("weights", "bias", "activation", "epsilon")


def _frozen(a: np.ndarray, label: str) -> np.ndarray:
    try:
        a = np.array(a, dtype=float)
    except (TypeError, ValueError):
        raise NetworkError(f"{label} must be numbers in a rectangular array (ragged rows or non-numbers given)") from None
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Layer:
    """One dense layer: ``activation(weights @ x + bias)`` at smoothing ``epsilon``.

    ``weights`` has shape (outputs, inputs), as ``torch.nn.Linear.weight``.
    ``activation`` is the canonical name; ``activation_params`` its canonical
    parameters as sorted (name, value) items (a mapping is accepted).
    """

    weights: np.ndarray
    bias: np.ndarray
    epsilon: float
    activation: str = "smoothed_relu"
    activation_params: Params = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", _frozen(self.weights, "weights"))
        object.__setattr__(self, "bias", _frozen(self.bias, "bias"))
        try:
            object.__setattr__(self, "activation", canonical_activation(self.activation))
            fn = get_activation(self.activation, self.activation_params)
        except (UnknownNameError, NetworkError) as exc:
            raise NetworkError(f"activation: {exc}") from None
        object.__setattr__(self, "activation_params", fn.params())
        if self.weights.ndim != 2 or self.weights.shape[0] == 0 or self.weights.shape[1] == 0:
            raise NetworkError(
                f"weights must be a non-empty 2-D matrix (outputs x inputs), got shape {self.weights.shape}"
            )
        if self.bias.shape != (self.weights.shape[0],):
            raise NetworkError(
                f"bias has shape {self.bias.shape}, expected ({self.weights.shape[0]},): one entry per output"
            )
        for label, arr in (("weights", self.weights), ("bias", self.bias)):
            bad = np.argwhere(~np.isfinite(arr))
            if bad.size:
                where = "".join(f"[{i}]" for i in bad[0])
                raise NetworkError(
                    f"{label}{where} is {arr[tuple(bad[0])]}; every weight and bias must be a finite number"
                )
        try:
            eps = float(self.epsilon)
        except (TypeError, ValueError):
            eps = math.nan
        if not math.isfinite(eps) or eps <= 0:
            raise NetworkError(f"epsilon is {self.epsilon}; it must be a finite number > 0 (e.g. 0.01)")
        object.__setattr__(self, "epsilon", eps)
        try:
            fn.check(eps)
        except NetworkError as exc:
            raise NetworkError(f"activation: {exc}") from None

    @property
    def fn(self) -> Activation:
        """The activation object (rails, reference, derivative)."""
        return get_activation(self.activation, self.activation_params)

    @property
    def n_in(self) -> int:
        return int(self.weights.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weights.shape[0])

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Layer)
            and self.activation == other.activation
            and self.activation_params == other.activation_params
            and self.epsilon == other.epsilon
            and np.array_equal(self.weights, other.weights)
            and np.array_equal(self.bias, other.bias)
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class Network:
    """A feed-forward network whose CRN steady state is its output."""

    layers: tuple[Layer, ...]
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    name: str = "network"
    description: str = ""
    # per input (lower, upper), None = unbounded; () = inputs are concentrations >= 0
    input_ranges: tuple[Bounds, ...] = ()

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise NetworkError("layers is empty; give at least one layer")
        for i, (prev, nxt) in enumerate(zip(layers, layers[1:]), start=1):
            if nxt.n_in != prev.n_out:
                raise NetworkError(
                    f"layers[{i}].weights has {nxt.n_in} columns but layers[{i - 1}] has "
                    f"{prev.n_out} outputs; each layer's columns must match the previous layer's rows"
                )
        inputs = tuple(self.inputs) or tuple(f"x{i}" for i in range(layers[0].n_in))
        outputs = tuple(self.outputs) or tuple(f"y{i}" for i in range(layers[-1].n_out))
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "outputs", outputs)
        if len(inputs) != layers[0].n_in:
            raise NetworkError(
                f"inputs lists {len(inputs)} names but layers[0].weights has {layers[0].n_in} "
                "columns; give one name per column"
            )
        if len(outputs) != layers[-1].n_out:
            raise NetworkError(
                f"outputs lists {len(outputs)} names but the last layer has {layers[-1].n_out} "
                "rows; give one name per row"
            )
        object.__setattr__(self, "input_ranges", _ranges(self.input_ranges, inputs))
        check_identifier(self.name, "name", model=True)
        seen: dict[str, str] = {}
        for label, names in (("inputs", inputs), ("outputs", outputs)):
            for k, nm in enumerate(names):
                check_identifier(nm, f"{label}[{k}]")
                if nm in seen:
                    raise NetworkError(
                        f"{label}[{k}] '{nm}' is already used by {seen[nm]}; species names must be unique"
                    )
                seen[nm] = f"{label}[{k}]"

    # --- shape -------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.n_inputs, *(layer.n_out for layer in self.layers))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Network)
            and self.name == other.name
            and self.inputs == other.inputs
            and self.outputs == other.outputs
            and self.input_ranges == other.input_ranges
            and self.layers == other.layers
        )

    __hash__ = None  # type: ignore[assignment]

    def _repr_html_(self) -> str:  # Jupyter
        from ._html import network_html

        return network_html(self)

    # --- the oracle --------------------------------------------------------
    def check_input(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Validate inputs: shape (n_inputs,) or (batch, n_inputs), finite, and
        within ``input_ranges`` (>= 0 when no ranges are declared)."""
        arr = np.asarray(x, dtype=float)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n_inputs:
            raise InputError(
                f"input has shape {arr.shape}; the network '{self.name}' takes {self.n_inputs} "
                f"values ({', '.join(self.inputs)})"
            )
        check_inputs(arr, self.inputs, self.input_ranges)
        return arr

    def layer_values(self, x: Sequence[float] | np.ndarray) -> list[np.ndarray]:
        """Every layer's activation, inputs first: ``[x, h1, ..., y]``."""
        return self._forward(x)[0]

    def preactivations(self, x: Sequence[float] | np.ndarray) -> list[np.ndarray]:
        """Every layer's pre-activation ``z = W h + b``, first layer first."""
        return self._forward(x)[1]

    def _forward(self, x: Sequence[float] | np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        h = self.check_input(x)
        values, zs = [h], []
        for layer in self.layers:
            z = h @ layer.weights.T + layer.bias
            h = layer.fn.reference(z, layer.epsilon)
            values.append(h)
            zs.append(z)
        return values, zs

    def forward(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """The network's output: the CRN's steady state for input ``x``."""
        return self.layer_values(x)[-1]

    def unsmoothed_forward(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """The eps -> 0 network (ReLU, hard tanh, ... unsmoothed): what the
        framework a network was imported from computes. Inputs are only
        checked for shape: the unsmoothed function is defined for every real."""
        h = np.asarray(x, dtype=float)
        if h.ndim not in (1, 2) or h.shape[-1] != self.n_inputs:
            raise InputError(f"input has shape {h.shape}; the network '{self.name}' takes {self.n_inputs} values")
        for layer in self.layers:
            h = layer.fn.unsmoothed(h @ layer.weights.T + layer.bias)
        return h

    # --- file format -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        eps = {layer.epsilon for layer in self.layers}
        shared = eps.pop() if len(eps) == 1 else None
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        if shared is not None:
            out["epsilon"] = shared
        out["inputs"] = list(self.inputs)
        if self.input_ranges:
            out["input_ranges"] = [list(r) for r in self.input_ranges]
        out["outputs"] = list(self.outputs)
        out["layers"] = []
        for layer in self.layers:
            entry: dict[str, Any] = {
                "weights": layer.weights.tolist(),
                "bias": layer.bias.tolist(),
                "activation": (
                    {"name": layer.activation, **layer.fn.json_params()} if layer.activation_params else layer.activation
                ),
            }
            if shared is None:
                entry["epsilon"] = layer.epsilon
            out["layers"].append(entry)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + "\n"


def check_identifier(name: object, where: str, *, model: bool = False) -> None:
    """Species names must be free SBML/Antimony ids; a model name only needs
    to be an id (a reserved one gets a suffix as a model id, see model_id)."""
    if not isinstance(name, str) or not _SID.match(name):
        raise NetworkError(
            f"{where} is {name!r}; names must start with a letter or '_' and contain only "
            "letters, digits and '_' (they become SBML ids)"
        )
    if model:
        return
    if name in RESERVED_NAMES or re.match(r"^(h\d+_\d+|[A-Za-z]+_L\d+_.*|R_.*)$", name):
        raise NetworkError(
            f"{where} '{name}' is reserved (an SBML/Antimony word or a name crn2sbml generates); "
            "choose another name"
        )


def model_id(name: str) -> str:
    """The SBML/Antimony model id for a network name ('xor' is an SBML function)."""
    return f"{name}_model" if name in RESERVED_NAMES else name


# --- reading the JSON file ------------------------------------------------------
def _unknown_keys(obj: dict[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in obj:
        if key not in allowed:
            hint = difflib.get_close_matches(key, allowed, n=1)
            fix = f"did you mean '{hint[0]}'?" if hint else f"allowed fields: {', '.join(allowed)}"
            raise NetworkError(f"{where}unknown field '{key}'; {fix}")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NetworkError(f"{where} is {value!r}; expected a number")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the double range
        raise NetworkError(f"{where} is an integer too large for a double; every number must be finite") from None
    if not math.isfinite(number):
        raise NetworkError(f"{where} is {number}; every number must be finite")
    return number


def _vector(value: Any, where: str) -> list[float]:
    if not isinstance(value, list):
        raise NetworkError(f"{where} is {type(value).__name__}; expected a list of numbers")
    return [_number(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _matrix(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, list) or not value:
        raise NetworkError(f"{where} must be a non-empty list of rows (outputs x inputs)")
    rows = [_vector(row, f"{where}[{i}]") for i, row in enumerate(value)]
    width = len(rows[0])
    if width == 0:
        raise NetworkError(f"{where}[0] is empty; each row needs one weight per input")
    for i, row in enumerate(rows):
        if len(row) != width:
            raise NetworkError(
                f"{where}[{i}] has {len(row)} entries but {where}[0] has {width}; "
                "every row needs one weight per input (ragged matrix)"
            )
    return np.array(rows, dtype=float)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NetworkError(f"{where} must be a list of names (strings)")
    return tuple(value)


def _activation(value: Any, where: str) -> tuple[str, dict[str, Any]]:
    """A layer's "activation": a name, or {"name": ..., params...}."""
    if isinstance(value, str):
        return value, {}
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"], {k: v for k, v in value.items() if k != "name"}
    raise NetworkError(
        f"{where} must be a name such as 'smoothed_relu' or an object like "
        '{"name": "leaky_relu", "negative_slope": 0.1}'
    )


def _raw_ranges(value: Any) -> tuple[Bounds, ...]:
    if not isinstance(value, list):
        raise NetworkError("input_ranges must be a list of [lower, upper] pairs (null = unbounded)")
    out = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise NetworkError(f"input_ranges[{i}] is {pair!r}; expected [lower, upper] (null = unbounded)")
        out.append(tuple(None if v is None else _number(v, f"input_ranges[{i}]") for v in pair))
    return tuple(out)  # type: ignore[return-value]


def _ranges(value: Any, inputs: tuple[str, ...]) -> tuple[Bounds, ...]:
    """Validated input ranges: one (lower, upper) per input, lower < upper."""
    ranges = tuple(tuple(r) for r in value)
    if ranges and len(ranges) != len(inputs):
        raise NetworkError(
            f"input_ranges has {len(ranges)} entries but the network has {len(inputs)} inputs; give one per input"
        )
    out = []
    for i, r in enumerate(ranges):
        if len(r) != 2:
            raise NetworkError(f"input_ranges[{i}] is {r!r}; expected (lower, upper)")
        lo, hi = (None if v is None else float(v) for v in r)
        for v in (lo, hi):
            if v is not None and not math.isfinite(v):
                raise NetworkError(f"input_ranges[{i}] has {v}; use null for an unbounded side")
        if lo is not None and hi is not None and not lo < hi:
            raise NetworkError(f"input_ranges[{i}] is [{lo:g}, {hi:g}]; the lower bound must be < the upper")
        out.append((lo, hi))
    return tuple(out)


def network_from_dict(data: Any) -> Network:
    """Build a Network from the parsed JSON format, naming the field on any error."""
    if not isinstance(data, dict):
        raise NetworkError("the network file must hold a JSON object with a 'layers' field")
    _unknown_keys(data, _TOP_KEYS, "")
    if "layers" not in data:
        raise NetworkError("missing field 'layers': give a list of {weights, bias, activation}")
    default_eps = _number(data["epsilon"], "epsilon") if "epsilon" in data else None
    raw_layers = data["layers"]
    if not isinstance(raw_layers, list) or not raw_layers:
        raise NetworkError("layers must be a non-empty list of layer objects")
    layers = []
    for i, raw in enumerate(raw_layers):
        where = f"layers[{i}]"
        if not isinstance(raw, dict):
            raise NetworkError(f"{where} must be an object with 'weights' and 'bias'")
        _unknown_keys(raw, _LAYER_KEYS, f"{where}: ")
        if "weights" not in raw:
            raise NetworkError(f"{where}: missing field 'weights' (a list of rows, outputs x inputs)")
        weights = _matrix(raw["weights"], f"{where}.weights")
        bias = _vector(raw["bias"], f"{where}.bias") if "bias" in raw else [0.0] * len(weights)
        if len(bias) != len(weights):
            raise NetworkError(
                f"{where}.bias has {len(bias)} entries but {where}.weights has {len(weights)} rows; "
                "give one bias per row"
            )
        eps = _number(raw["epsilon"], f"{where}.epsilon") if "epsilon" in raw else default_eps
        if eps is None:
            raise NetworkError(
                f"{where}: no epsilon; give a network-level 'epsilon' (e.g. 0.01) or one per layer"
            )
        if eps <= 0:
            field_name = f"{where}.epsilon" if "epsilon" in raw else "epsilon"
            raise NetworkError(f"{field_name} is {eps}; it must be > 0 (e.g. 0.01)")
        activation, params = _activation(raw.get("activation", "smoothed_relu"), f"{where}.activation")
        try:
            layers.append(Layer(weights, bias, eps, activation, params))
        except NetworkError as exc:
            raise NetworkError(f"{where}.{exc}") from None
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise NetworkError(f"{key} must be a string")
    return Network(
        layers=tuple(layers),
        inputs=_names(data["inputs"], "inputs") if "inputs" in data else (),
        outputs=_names(data["outputs"], "outputs") if "outputs" in data else (),
        name=data.get("name", "network"),
        description=data.get("description", ""),
        input_ranges=_raw_ranges(data["input_ranges"]) if "input_ranges" in data else (),
    )


def load_network(path: str | os.PathLike[str]) -> Network:
    """Read a network JSON file (format documented in the README)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ModelReadError(f"cannot read network file '{p}': {reason}") from None
    try:
        data = json.loads(text)  # NaN/Infinity parse here and are rejected per field
    except json.JSONDecodeError as exc:
        raise NetworkError(
            f"'{p}' is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. a 5000-digit integer, or [[[[...]]]] nesting
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "a number has too many digits"
        raise NetworkError(f"'{p}' cannot be read as a network JSON file: {reason}") from None
    try:
        return network_from_dict(data)
    except NetworkError as exc:
        raise NetworkError(f"{p.name}: {exc}") from None


def save_network(network: Network, path: str | os.PathLike[str]) -> Path:
    return write_text_atomic(path, network.to_json())
