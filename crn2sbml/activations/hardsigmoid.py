"""hardsigmoid (PyTorch: clip(z/6 + 1/2, 0, 1)) = sigma(z/6 + 1/2) - sigma(z/6 - 1/2).
The gap lies in (-sqrt eps, sqrt eps), as for hardtanh."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import Rail
from .smoothed_relu import SmoothedReLUUnit


@dataclass(frozen=True)
class HardSigmoid(SmoothedReLUUnit):
    name = "hardsigmoid"

    @property
    def rails(self) -> tuple[Rail, ...]:
        return (Rail("lo", 1.0 / 6.0, 0.5, 1.0), Rail("hi", 1.0 / 6.0, -0.5, -1.0))

    def unsmoothed(self, z: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(z, dtype=float) / 6.0 + 0.5, 0.0, 1.0)

    def gap_bound(self, epsilon: float) -> tuple[float, float]:
        return -math.sqrt(epsilon), math.sqrt(epsilon)
