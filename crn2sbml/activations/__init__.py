"""Registry of activations: one module per activation, listed here.

Every activation lowers a network unit to one or more rails, each a species
obeying ``dy/dt = z_r*y + q(y)`` (see :mod:`.base`). The constant term of q
becomes the inflow ``0 -> Y``; a term ``c * y^k`` becomes ``k Y -> (k-1) Y``
(c < 0) or ``k Y -> (k+1) Y`` (c > 0) at rate ``|c|`` (k = 1: ``Y -> 0`` /
``Y -> 2Y``). Adding an activation is adding a module and a registry line;
its ``framework_names`` make every importer accept it.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import UnknownNameError
from .abs import Abs
from .base import FRAMEWORKS, Activation, Params, QTerm, Rail
from .hardsigmoid import HardSigmoid
from .hardtanh import HardTanh
from .identity import Identity
from .leaky_relu import LeakyReLU
from .polynomial import Polynomial
from .smoothed_relu import SMOOTHED_RELU, SmoothedReLU, smoothed_relu

_REGISTRY: dict[str, type[Activation]] = {
    cls.name: cls for cls in (SmoothedReLU, Polynomial, Identity, LeakyReLU, HardTanh, HardSigmoid, Abs)
}
# Names people bring from PyTorch, mapped to the activation the CRN computes.
_ALIASES: dict[str, str] = {"relu": SmoothedReLU.name, "linear": Identity.name}


def known_activations() -> list[str]:
    return sorted([*_REGISTRY, *_ALIASES])


def canonical_activation(name: str) -> str:
    """The registry name for ``name`` (resolving aliases), or UnknownNameError."""
    key = _ALIASES.get(name, name) if isinstance(name, str) else name
    if key not in _REGISTRY:
        raise UnknownNameError(
            f"unknown activation '{name}'; known activations: {', '.join(known_activations())}"
        )
    return key


def activation_class(name: str) -> type[Activation]:
    """The class registered as ``name`` (aliases resolved), or UnknownNameError."""
    return _REGISTRY[canonical_activation(name)]


def framework_activations(framework: str) -> dict[str, type[Activation]]:
    """What ``framework`` ("torch", "onnx", "sklearn") calls each activation
    crn2sbml computes -> its class, in registry order: what the importers accept."""
    if framework not in FRAMEWORKS:
        raise UnknownNameError(f"unknown framework '{framework}'; known frameworks: {', '.join(FRAMEWORKS)}")
    return {fw_name: cls for cls in _REGISTRY.values() for fw_name in cls.framework_names.get(framework, ())}


def get_activation(name: str, params: Mapping[str, Any] | Params = ()) -> Activation:
    """The activation ``name`` with ``params`` (JSON form or canonical items).
    Bad parameters raise NetworkError naming them."""
    cls = _REGISTRY[canonical_activation(name)]
    return cls.from_params(params if isinstance(params, Mapping) else dict(params))


__all__ = ["Activation", "FRAMEWORKS", "QTerm", "Rail", "SMOOTHED_RELU", "activation_class", "canonical_activation",
           "framework_activations", "get_activation", "known_activations", "smoothed_relu"]
