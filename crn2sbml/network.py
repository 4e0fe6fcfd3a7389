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
from .activations import canonical_activation, get_activation
from .errors import InputError, ModelReadError, NetworkError, UnknownNameError

_SID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words that SBML math, Antimony or our own generated ids already use.
RESERVED_NAMES = frozenset(
    "time avogadro pi e exponentiale true false inf infinity nan notanumber "
    "model end species compartment const var function at in is import formula "
    "reaction unit has delete event DNA gene operator ext core substanceOnly "
    "exp log ln log10 sin cos tan abs sqrt pow power floor ceil ceiling min max "
    "and or not xor piecewise delay rateOf factorial root cell kappa".split()
)
_TOP_KEYS = ("name", "description", "epsilon", "inputs", "outputs", "layers")
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
    """

    weights: np.ndarray
    bias: np.ndarray
    epsilon: float
    activation: str = "smoothed_relu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", _frozen(self.weights, "weights"))
        object.__setattr__(self, "bias", _frozen(self.bias, "bias"))
        try:
            object.__setattr__(self, "activation", canonical_activation(self.activation))
        except UnknownNameError as exc:
            raise NetworkError(f"activation: {exc}") from None
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
            and self.layers == other.layers
        )

    __hash__ = None  # type: ignore[assignment]

    # --- the oracle --------------------------------------------------------
    def check_input(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Validate input concentrations: shape (n_inputs,) or (batch, n_inputs),
        finite and non-negative."""
        arr = np.asarray(x, dtype=float)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n_inputs:
            raise InputError(
                f"input has shape {arr.shape}; the network '{self.name}' takes {self.n_inputs} "
                f"values ({', '.join(self.inputs)})"
            )
        if not np.all(np.isfinite(arr)):
            raise InputError("input contains NaN or infinity; give finite concentrations")
        if np.any(arr < 0):
            bad = np.flatnonzero(arr.reshape(-1, self.n_inputs).min(axis=0) < 0)[0]
            raise InputError(
                f"input '{self.inputs[bad]}' is negative; concentrations must be >= 0 "
                "(shift signed inputs by their lower bound)"
            )
        return arr

    def layer_values(self, x: Sequence[float] | np.ndarray) -> list[np.ndarray]:
        """Every layer's activation, inputs first: ``[x, h1, ..., y]``."""
        h = self.check_input(x)
        values = [h]
        for layer in self.layers:
            z = h @ layer.weights.T + layer.bias
            h = get_activation(layer.activation).reference(z, layer.epsilon)
            values.append(h)
        return values

    def forward(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """The network's output: the CRN's steady state for input ``x``."""
        return self.layer_values(x)[-1]

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
        out["outputs"] = list(self.outputs)
        out["layers"] = []
        for layer in self.layers:
            entry: dict[str, Any] = {
                "weights": layer.weights.tolist(),
                "bias": layer.bias.tolist(),
                "activation": layer.activation,
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
        activation = raw.get("activation", "smoothed_relu")
        if not isinstance(activation, str):
            raise NetworkError(f"{where}.activation must be a name such as 'smoothed_relu'")
        try:
            layers.append(Layer(weights, bias, eps, activation))
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
