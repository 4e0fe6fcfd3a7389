"""abs: sigma(z) + sigma(-z); the gap 2*g(z) lies in (0, 2 sqrt eps], largest at z = 0."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import Rail
from .smoothed_relu import SmoothedReLUUnit


@dataclass(frozen=True)
class Abs(SmoothedReLUUnit):
    name = "abs"

    @property
    def rails(self) -> tuple[Rail, ...]:
        return (Rail("pos", 1.0, 0.0, 1.0), Rail("neg", -1.0, 0.0, 1.0))

    def unsmoothed(self, z: np.ndarray) -> np.ndarray:
        return np.abs(np.asarray(z, dtype=float))

    def gap_bound(self, epsilon: float) -> tuple[float, float]:
        return 0.0, 2.0 * math.sqrt(epsilon)
