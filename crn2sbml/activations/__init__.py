"""Registry of activations. Each activation lives in its own module and says
how a neuron using it is lowered to mass-action reactions.

An activation whose neuron obeys ``dy/dt = z*y + q(y)`` gives ``q`` as a tuple
of :class:`QTerm` (power, coefficient). The constant term becomes the inflow
``0 -> Y``; a term ``c * y^k`` with k >= 2 becomes ``k Y -> (k-1) Y`` (c < 0)
or ``k Y -> (k+1) Y`` (c > 0) at rate ``|c|``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..errors import UnknownNameError
from .base import QTerm
from .smoothed_relu import SMOOTHED_RELU


class Activation(Protocol):
    name: str

    def q_terms(self, epsilon: float) -> tuple[QTerm, ...]: ...

    def reference(self, z: np.ndarray, epsilon: float) -> np.ndarray: ...

    def derivative(self, z: np.ndarray, epsilon: float) -> np.ndarray: ...


_REGISTRY: dict[str, Activation] = {SMOOTHED_RELU.name: SMOOTHED_RELU}
# Names people bring from PyTorch, mapped to the activation the CRN computes.
_ALIASES: dict[str, str] = {"relu": SMOOTHED_RELU.name}


def known_activations() -> list[str]:
    return sorted([*_REGISTRY, *_ALIASES])


def canonical_activation(name: str) -> str:
    """The registry name for ``name`` (resolving aliases), or UnknownNameError."""
    key = _ALIASES.get(name, name)
    if key not in _REGISTRY:
        raise UnknownNameError(
            f"unknown activation '{name}'; known activations: {', '.join(known_activations())}"
        )
    return key


def get_activation(name: str) -> Activation:
    return _REGISTRY[canonical_activation(name)]


__all__ = ["Activation", "QTerm", "canonical_activation", "get_activation", "known_activations"]
