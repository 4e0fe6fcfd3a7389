"""The feed-forward network: a validated, immutable value object, its JSON
file format, and the closed-form forward pass that every simulation is checked
against (the oracle)."""

from __future__ import annotations

import difflib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._atomic import write_text_atomic
from .activations import Activation, canonical_activation, get_activation
from .activations.base import Params
from .errors import InputError, ModelReadError, NetworkError, UnknownNameError
from .inputs import Bounds, check_inputs, input_encoding
from .names import RESERVED as RESERVED_NAMES  # noqa: F401  (the old name; crn2sbml.names decides)
from .names import Ids, assign_ids, check_distinct, check_name, model_id_candidates, reserved_reason

# --- limits, checked before anything is allocated for them ------------------------
MAX_NETWORK_FILE_BYTES = 256 * 2**20  # a network JSON file (the 784-100-10 digits network: 2 MB)
MAX_LAYERS = 1_000
MAX_LAYER_WIDTH = 100_000  # units of one layer, inputs included
MAX_WEIGHTS = 5_000_000  # weight entries over all layers (each non-zero one is a reaction per rail)
MAX_POLYNOMIAL_DEGREE = 16  # highest power of a self term (q(y) of the polynomial neuron)
# Every number written to a model must read back: libsbml and Antimony write
# 15 significant digits and read subnormal numbers as NaN, so a non-zero
# magnitude must lie in [SMALLEST_NUMBER, LARGEST_NUMBER] (15-digit bounds
# just inside the normal double range).
SMALLEST_NUMBER = 2.2250738585073e-308
LARGEST_NUMBER = 1.79769313486231e308


def check_number(value: float, where: str) -> float:
    """``value`` (-0.0 as 0.0) if it is finite and reads back from an SBML or
    Antimony file as written, else a NetworkError naming ``where``."""
    v = float(value)
    if v == 0.0:
        return 0.0
    if not math.isfinite(v):
        raise NetworkError(f"{where} is {v}; every number must be finite")
    if not SMALLEST_NUMBER <= abs(v) <= LARGEST_NUMBER:
        raise NetworkError(
            f"{where} is {v!r}; a non-zero number written to a model must have a magnitude in "
            f"[{SMALLEST_NUMBER!r}, {LARGEST_NUMBER!r}] (SBML and Antimony tools cannot read back others: "
            "subnormal numbers read as NaN, larger ones as infinity); rescale it or use 0"
        )
    return v


def check_numbers(arr: np.ndarray, where: str) -> None:
    """``check_number`` for every entry of ``arr``, naming the first bad one as ``where[i][j]``."""
    mag = np.abs(arr)
    bad = np.argwhere(~((mag == 0) | ((mag >= SMALLEST_NUMBER) & (mag <= LARGEST_NUMBER))))
    if bad.size:
        index = tuple(bad[0])
        check_number(float(arr[index]), where + "".join(f"[{i}]" for i in index))


def check_shape(rows: int, columns: int, where: str) -> None:
    """A layer's size within MAX_LAYER_WIDTH (checked before its matrix exists)."""
    for what, n in (("rows (units)", rows), ("columns (inputs)", columns)):
        if n > MAX_LAYER_WIDTH:
            raise NetworkError(f"{where} has {n:,} {what}; crn2sbml compiles layers of at most "
                               f"{MAX_LAYER_WIDTH:,} units (MAX_LAYER_WIDTH)")


def check_size(layers: int, weights: int) -> None:
    """The network's depth and weight count within MAX_LAYERS and MAX_WEIGHTS."""
    if layers > MAX_LAYERS:
        raise NetworkError(f"layers has {layers:,} entries; crn2sbml compiles at most {MAX_LAYERS:,} layers "
                           "(MAX_LAYERS)")
    if weights > MAX_WEIGHTS:
        raise NetworkError(f"the layers hold {weights:,} weights; crn2sbml compiles at most {MAX_WEIGHTS:,} "
                           "(MAX_WEIGHTS)")


def check_degree(degree: int, where: str) -> None:
    if degree > MAX_POLYNOMIAL_DEGREE:
        raise NetworkError(f"{where} has a term of degree {degree}; crn2sbml compiles self terms of degree at most "
                           f"{MAX_POLYNOMIAL_DEGREE} (MAX_POLYNOMIAL_DEGREE)")


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
        shape = np.shape(self.weights) if isinstance(self.weights, np.ndarray) else None
        if shape is not None and len(shape) == 2:
            check_shape(shape[0], shape[1], "weights")
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
        check_shape(*self.weights.shape, "weights")
        for label, arr in (("weights", self.weights), ("bias", self.bias)):
            check_numbers(arr, label)
            if np.signbit(arr).any() and (arr == 0).any():  # -0.0 is 0: one spelling in every file
                object.__setattr__(self, label, _frozen(arr + 0.0, label))
        try:
            eps = float(self.epsilon)
        except (TypeError, ValueError):
            eps = math.nan
        if not math.isfinite(eps) or eps <= 0:
            raise NetworkError(f"epsilon is {self.epsilon}; it must be a finite number > 0 (e.g. 0.01)")
        object.__setattr__(self, "epsilon", check_number(eps, "epsilon"))
        try:
            # before fn.check, which allocates per power (an absurd degree was a MemoryError)
            check_degree(max(t.power for t in fn.q_terms(eps)), "q(y)")
            for t in fn.q_terms(eps):
                check_number(t.coefficient, f"the coefficient of y^{t.power}")
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
        check_size(len(layers), sum(layer.weights.size for layer in layers))
        bad = next((c for c in self.description if c not in "\t\n\r" and (ord(c) < 0x20 or 0xFFFE <= ord(c) <= 0xFFFF
                                                                         or 0xD800 <= ord(c) <= 0xDFFF)), None)
        if bad is not None:  # the description goes into the SBML notes, which are XML
            raise NetworkError(f"description contains the control character {bad!r}, which XML cannot hold; "
                               "remove it (tabs and line breaks are fine)")
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
        check_name(self.name, "name")
        for label, names in (("inputs", inputs), ("outputs", outputs)):
            for k, nm in enumerate(names):
                check_name(nm, f"{label}[{k}]")
        check_distinct((("inputs", inputs), ("outputs", outputs)))

    @property
    def ids(self) -> Ids:
        """The ids of the inputs, outputs and model in the compiled model
        (crn2sbml.names.assign_ids: reserved names are mapped, the names stay)."""
        rails_in = [tuple(r.suffix for r in input_encoding(b)[0])
                    for b in (self.input_ranges or (None,) * len(self.inputs))]
        rails_out = tuple(r.suffix for r in self.layers[-1].fn.rails)
        return assign_ids(self.inputs, self.outputs, self.name, rails_in, [rails_out] * len(self.outputs))

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
    """A name an input, output or network may have (crn2sbml.names.check_name):
    an SBML id; reserved words pass, they are mapped to safe ids."""
    check_name(name, where)


def model_id(name: str) -> str:
    """The model id a network name alone would get ('xor' is an SBML function);
    a compiled model's own is ``CRN.model_id`` (it also avoids its species ids)."""
    return next(c for c in model_id_candidates(name) if not reserved_reason(c))


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
    if isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the double range
            raise NetworkError(f"{where} is an integer too large for a double ({len(str(abs(value)))} digits); "
                               f"every number must be at most {LARGEST_NUMBER!r}") from None
        if int(number) != value:
            raise NetworkError(f"{where} is the integer {value}, which no double holds exactly (the nearest is "
                               f"{number!r}); write it as {number!r} if that is meant")
        return check_number(number, where)
    return check_number(value, where)


def _vector(value: Any, where: str) -> list[float]:
    if not isinstance(value, list):
        raise NetworkError(f"{where} is {type(value).__name__}; expected a list of numbers")
    return [_number(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _matrix(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, list) or not value:
        raise NetworkError(f"{where} must be a non-empty list of rows (outputs x inputs)")
    check_shape(len(value), max((len(r) for r in value if isinstance(r, list)), default=0), where)
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
        params = {k: v for k, v in value.items() if k != "name"}
        _param_numbers(params, where)
        return value["name"], params
    raise NetworkError(
        f"{where} must be a name such as 'smoothed_relu' or an object like "
        '{"name": "leaky_relu", "negative_slope": 0.1}'
    )


def _param_numbers(params: Any, where: str) -> None:
    """Every number among an activation's parameters (nested: the polynomial's
    {power: coefficient}) within the limits, before the activation reads them;
    a polynomial power is checked against MAX_POLYNOMIAL_DEGREE here, before
    anything is sized by it."""
    for key, value in (params.items() if isinstance(params, dict) else ()):
        field_name = f"{where}.{key}"
        if isinstance(value, dict):
            if key == "q":
                for power in value:
                    digits = str(power).strip()
                    if digits.isascii() and digits.isdigit():  # int() of 5,000 digits is slow, of 20 enough
                        check_degree(int(digits) if len(digits) < 20 else MAX_POLYNOMIAL_DEGREE + 1, field_name)
            _param_numbers(value, field_name)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            _number(value, field_name)


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
            if v is not None:
                check_number(v, f"input_ranges[{i}]")
        if lo is not None and hi is not None and not lo < hi:
            raise NetworkError(f"input_ranges[{i}] is [{lo:g}, {hi:g}]; the lower bound must be < the upper")
        out.append((lo, hi))
    return tuple(out)


def check_input_ranges(value: Any, n_inputs: int) -> tuple[Bounds, ...]:
    """Input ranges as a network file or a model annotation gives them (JSON:
    a list of [lower, upper], null = unbounded), validated for ``n_inputs``
    inputs: none, or one per input; a NetworkError naming the entry otherwise."""
    return _ranges(_raw_ranges(value), ("",) * n_inputs)


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
    check_size(len(raw_layers), 0)
    n_weights = 0
    layers = []
    for i, raw in enumerate(raw_layers):
        where = f"layers[{i}]"
        if not isinstance(raw, dict):
            raise NetworkError(f"{where} must be an object with 'weights' and 'bias'")
        _unknown_keys(raw, _LAYER_KEYS, f"{where}: ")
        if "weights" not in raw:
            raise NetworkError(f"{where}: missing field 'weights' (a list of rows, outputs x inputs)")
        weights = _matrix(raw["weights"], f"{where}.weights")
        n_weights += weights.size
        check_size(len(raw_layers), n_weights)
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
    """Read a network JSON file (format: docs/network-file.md)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ModelReadError(f"cannot read network file '{str(p)[:200]}': {exc.strerror or exc}") from None
    if size > MAX_NETWORK_FILE_BYTES:
        raise NetworkError(f"'{p}' is {size:,} bytes; crn2sbml reads network files of at most "
                           f"{MAX_NETWORK_FILE_BYTES:,} bytes (MAX_NETWORK_FILE_BYTES)")
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
