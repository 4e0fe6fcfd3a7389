"""The seed's smoothed ReLU: dy/dt = eps + z*y - y^2, fixed point
sigma_eps(z) = (z + sqrt(z^2 + 4 eps)) / 2. Also the unit every dual-rail
activation is built from."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import Activation, QTerm


def smoothed_relu(z: np.ndarray | float, epsilon: float) -> np.ndarray:
    """sigma_eps(z), evaluated without cancellation for z << 0."""
    z = np.asarray(z, dtype=float)
    root = np.sqrt(z * z + 4.0 * epsilon)
    # For z < 0, (z + root)/2 cancels; the conjugate form 2 eps / (root - z) does not.
    return np.where(z >= 0, 0.5 * (z + root), 2.0 * epsilon / (root - np.minimum(z, 0.0)))


def smoothed_relu_derivative(z: np.ndarray | float, epsilon: float) -> np.ndarray:
    s2 = smoothed_relu(z, epsilon) ** 2
    return s2 / (s2 + epsilon)


def smoothed_relu_q(epsilon: float) -> tuple[QTerm, ...]:
    return (QTerm(0, epsilon, "eps"), QTerm(2, -1.0, "ann"))


class SmoothedReLUUnit(Activation):
    """Mixin: rails are smoothed-ReLU neurons (q = eps - y^2)."""

    def q_terms(self, epsilon: float) -> tuple[QTerm, ...]:
        return smoothed_relu_q(epsilon)

    def unit_reference(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        return smoothed_relu(z, epsilon)

    def unit_derivative(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        return smoothed_relu_derivative(z, epsilon)


@dataclass(frozen=True)
class SmoothedReLU(SmoothedReLUUnit):
    name = "smoothed_relu"
    framework_names = {"torch": ("ReLU",), "onnx": ("Relu",), "sklearn": ("relu",)}

    def unsmoothed(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(np.asarray(z, dtype=float), 0.0)

    def gap_bound(self, epsilon: float) -> tuple[float, float]:
        return 0.0, math.sqrt(epsilon)  # largest at z = 0


SMOOTHED_RELU = SmoothedReLU()
