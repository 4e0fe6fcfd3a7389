"""The seed's smoothed ReLU: dy/dt = eps + z*y - y^2, fixed point
sigma_eps(z) = (z + sqrt(z^2 + 4 eps)) / 2. Also the unit every dual-rail
activation is built from."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import Activation, QTerm


def smoothed_relu(z: np.ndarray | float, epsilon: float) -> np.ndarray:
    """sigma_eps(z), evaluated without cancellation for z << 0 and without
    overflow for |z| near the double range (z*z overflows from 1.4e154)."""
    z = np.asarray(z, dtype=float)
    half_root = 0.5 * np.hypot(z, 2.0 * math.sqrt(epsilon))  # sqrt(z^2 + 4 eps) / 2
    # For z < 0, (z + root)/2 cancels; the conjugate form eps / (root/2 - z/2) does not.
    with np.errstate(over="ignore"):
        return np.where(z >= 0, 0.5 * z + half_root, epsilon / (half_root - 0.5 * np.minimum(z, 0.0)))


def smoothed_relu_derivative(z: np.ndarray | float, epsilon: float) -> np.ndarray:
    """s^2 / (s^2 + eps) with s = sigma_eps(z), written so that s^2 cannot overflow."""
    s = smoothed_relu(z, epsilon)
    with np.errstate(divide="ignore", over="ignore"):
        return 1.0 / (1.0 + (epsilon / s) / s)


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
