"""PyTorch: a torch.nn.Sequential object, or a state_dict file read with
``torch.load(..., weights_only=True)`` (nothing else is ever unpickled)."""

from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..activations import activation_class, canonical_activation, framework_activations
from ..errors import ModelReadError, NetworkError, UnknownNameError
from ..network import Network
from ._common import DEFAULT_EPSILON, PendingLayer, as_float64, build_network, require, safe_name, set_activation


def _supported_modules() -> str:
    return (f"Linear, {', '.join(framework_activations('torch'))}, Identity "
            "(and Flatten/Dropout, which are no-ops here)")


def _tensor(t: Any) -> np.ndarray:
    return as_float64(t.detach().cpu().double().numpy())


def from_torch(module: Any, *, epsilon: float = DEFAULT_EPSILON, name: str = "torch_model",
               description: str | None = None) -> Network:
    """A ``torch.nn.Sequential`` (or a single ``Linear``) of Linear layers and
    supported activations; a final Linear without activation is identity."""
    torch = require("torch", "torch", "importing a PyTorch model")
    nn = torch.nn
    if isinstance(module, nn.Linear):
        module = nn.Sequential(module)
    if not isinstance(module, nn.Sequential):
        raise NetworkError(
            f"from_torch takes a torch.nn.Sequential, got {type(module).__name__}; "
            f"supported modules inside it: {_supported_modules()}"
        )
    # torch.nn classes of the activations; isinstance lets subclasses in (ReLU6 is a Hardtanh)
    activations = [(getattr(nn, name), cls) for name, cls in framework_activations("torch").items()
                   if hasattr(nn, name)]
    layers: list[PendingLayer] = []
    for i, m in enumerate(module):
        where = f"module [{i}] {type(m).__name__}"
        if isinstance(m, nn.Linear):
            bias = _tensor(m.bias) if m.bias is not None else np.zeros(m.out_features)
            layers.append(PendingLayer(_tensor(m.weight), bias, source=where))
        elif (cls := next((c for kind, c in activations if isinstance(m, kind)), None)) is not None:
            set_activation(layers, cls.name, cls.torch_params(m), where)
        elif isinstance(m, nn.Identity):
            continue  # a no-op; a Linear without activation is identity anyway
        elif isinstance(m, (nn.Flatten, nn.Dropout)):
            continue  # no-ops on a flat vector at inference
        else:
            raise NetworkError(f"{where} is not supported; supported modules: {_supported_modules()}")
    desc = description if description is not None else (
        f"imported from torch.nn.Sequential ({len(layers)} Linear layers); ReLU computed as the smoothed ReLU "
        f"at eps={epsilon:g}"
    )
    return build_network(layers, epsilon=epsilon, name=name, description=desc)


def _activation_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """'relu', 'leaky_relu:0.1', 'hardtanh:-1:1', 'identity' ..."""
    name, *args = spec.strip().split(":")
    try:
        canonical = canonical_activation(name)
    except UnknownNameError as exc:
        raise NetworkError(str(exc)) from None
    try:
        values = [float(a) for a in args]
    except ValueError:
        raise NetworkError(f"activation '{spec}': parameters after ':' must be numbers") from None
    keys = activation_class(canonical).spec_params
    if len(values) > len(keys):
        raise NetworkError(
            f"activation '{spec}' takes at most {len(keys)} parameter(s)"
            + (f" ({', '.join(keys)})" if keys else "")
        )
    return name, dict(zip(keys, values))


def load_state_dict(path: str | os.PathLike[str], activations: Sequence[str] | None, *,
                    epsilon: float = DEFAULT_EPSILON, name: str | None = None) -> Network:
    """A state_dict written by ``torch.save(model.state_dict(), path)``: pairs
    ``<prefix>.weight`` (2-D) / ``<prefix>.bias`` in file order. A state_dict
    has no activations, so give one per Linear layer (e.g. relu, relu, identity;
    'leaky_relu:0.1', 'hardtanh:-1:1' carry parameters)."""
    torch = require("torch", "torch", "reading a PyTorch state_dict")
    p = Path(path)
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols before refusing
            warnings.simplefilter("ignore")
            data = torch.load(p, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelReadError(
            f"'{p.name}' is not a PyTorch state_dict that can be loaded safely (torch.load with "
            f"weights_only=True refused it: {first[:200]}); save the weights with "
            "torch.save(model.state_dict(), path)"
        ) from None
    if not isinstance(data, dict) or not data or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise ModelReadError(
            f"'{p.name}' holds a {type(data).__name__}, not a state_dict (a mapping of names to tensors); "
            "save the weights with torch.save(model.state_dict(), path)"
        )
    layers: list[PendingLayer] = []
    used = set()
    for key, value in data.items():
        if key.endswith(".weight") and value.dim() == 2:
            prefix = key[: -len(".weight")]
            bias = data.get(prefix + ".bias")
            b = _tensor(bias) if bias is not None else np.zeros(value.shape[0])
            layers.append(PendingLayer(_tensor(value), b, source=prefix))
            used.update({key, prefix + ".bias"})
    other = [k for k in data if k not in used]
    if other:
        raise ModelReadError(
            f"'{p.name}': tensors {', '.join(other[:5])} are not Linear weights/biases; only state_dicts of "
            "Linear layers (with activations given separately) can be imported"
        )
    if not activations:
        raise ModelReadError(
            f"'{p.name}' is a state_dict of {len(layers)} Linear layers and has no activations; give one per "
            f"layer, e.g. --activations {','.join(['relu'] * (len(layers) - 1) + ['identity'])}"
        )
    if len(activations) != len(layers):
        raise ModelReadError(
            f"'{p.name}' has {len(layers)} Linear layers ({', '.join(l.source for l in layers)}) but "
            f"{len(activations)} activations were given; give one per layer"
        )
    for layer, spec in zip(layers, activations):
        layer.activation, layer.params = _activation_spec(spec)
    desc = (f"imported from the PyTorch state_dict {p.name}; activations {', '.join(activations)} "
            f"(relu computed as the smoothed ReLU at eps={epsilon:g})")
    try:
        return build_network(layers, epsilon=epsilon, name=name or safe_name(p.stem), description=desc,
                             error=ModelReadError)
    except ModelReadError as exc:
        raise ModelReadError(f"'{p.name}': {exc}") from None
