"""The seed's smoothed ReLU: dy/dt = eps + z*y - y^2, fixed point
sigma_eps(z) = (z + sqrt(z^2 + 4 eps)) / 2."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import QTerm


def smoothed_relu(z: np.ndarray | float, epsilon: float) -> np.ndarray:
    """sigma_eps(z), evaluated without cancellation for z << 0."""
    z = np.asarray(z, dtype=float)
    root = np.sqrt(z * z + 4.0 * epsilon)
    # For z < 0, (z + root)/2 cancels; the conjugate form 2 eps / (root - z) does not.
    return np.where(z >= 0, 0.5 * (z + root), 2.0 * epsilon / (root - np.minimum(z, 0.0)))


@dataclass(frozen=True)
class SmoothedReLU:
    name: str = "smoothed_relu"

    def q_terms(self, epsilon: float) -> tuple[QTerm, ...]:
        return (QTerm(0, epsilon, "eps"), QTerm(2, -1.0, "ann"))

    def reference(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        return smoothed_relu(z, epsilon)

    def derivative(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        s2 = smoothed_relu(z, epsilon) ** 2
        return s2 / (s2 + epsilon)


SMOOTHED_RELU = SmoothedReLU()
