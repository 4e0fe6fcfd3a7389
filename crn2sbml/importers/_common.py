"""Shared pieces of the importers: lazy optional imports and the network builder."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..activations import FRAMEWORKS, framework_activations
from ..errors import MissingDependencyError, NetworkError
from ..names import suggestion
from ..network import Layer, Network

DEFAULT_EPSILON = 0.01
# the activations some importer accepts (each activation declares its framework names)
SUPPORTED_ACTIVATIONS = ", ".join(dict.fromkeys(
    cls.name for framework in FRAMEWORKS for cls in framework_activations(framework).values()
))


def require(module: str, extra: str, what: str) -> Any:
    """Import an optional dependency or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"{what} needs the '{module.split('.')[0]}' package: pip install 'crn2sbml[{extra}]'"
        ) from None


@dataclass
class PendingLayer:
    weights: np.ndarray  # (out, in), float64
    bias: np.ndarray
    activation: str | None = None  # None until an activation follows (identity at the end)
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def set_activation(layers: list[PendingLayer], name: str, params: dict[str, Any], where: str,
                   error: type[Exception] = NetworkError) -> None:
    """An activation applies to the linear layer just read."""
    if not layers:
        raise error(f"{where}: activation '{name}' before any linear layer; the network must start with a linear layer")
    if layers[-1].activation is not None:
        raise error(
            f"{where}: activation '{name}' follows activation '{layers[-1].activation}' of the same layer; "
            "each linear layer takes at most one activation"
        )
    layers[-1].activation = name
    layers[-1].params = params


def build_network(layers: list[PendingLayer], *, epsilon: float, name: str, description: str,
                  error: type[Exception] = NetworkError) -> Network:
    if not layers:
        raise error("no linear layer found; the model must contain at least one Linear / Gemm / MatMul layer")
    built = []
    for i, p in enumerate(layers):
        try:
            built.append(Layer(p.weights, p.bias, epsilon, p.activation or "identity", p.params))
        except NetworkError as exc:
            raise error(f"layer {i} ({p.source}): {exc}") from None
    try:
        return Network(tuple(built), name=safe_name(name), description=description)
    except NetworkError as exc:
        raise error(str(exc)) from None


def safe_name(name: str) -> str:
    """A legal network name made from a file stem or a model's own name
    (crn2sbml.names decides what is legal)."""
    return suggestion(name or "imported")


def as_float64(array: Any, where: str = "a weight", error: type[Exception] = NetworkError) -> np.ndarray:
    """float32/float64 -> float64, exactly (widening never rounds); ``error``
    naming ``where`` for anything that is not an array of real numbers."""
    arr = np.asarray(array)
    if arr.dtype.kind not in "fiub":
        raise error(f"{where} holds {arr.dtype} values, not numbers; store weights as float tensors")
    return np.array(arr, dtype=np.float64)
