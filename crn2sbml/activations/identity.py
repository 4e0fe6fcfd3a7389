"""identity (alias linear): sigma(z) - sigma(-z) = z exactly, so a signed
output is the difference of two smoothed-ReLU rails."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Rail
from .smoothed_relu import SmoothedReLUUnit


@dataclass(frozen=True)
class Identity(SmoothedReLUUnit):
    name = "identity"
    # (torch's nn.Identity and ONNX's Identity are no-ops on a layer's output, not this activation)
    framework_names = {"sklearn": ("identity",)}

    @property
    def rails(self) -> tuple[Rail, ...]:
        return (Rail("pos", 1.0, 0.0, 1.0), Rail("neg", -1.0, 0.0, -1.0))

    def unsmoothed(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, dtype=float)

    def gap_bound(self, epsilon: float) -> tuple[float, float]:
        return 0.0, 0.0  # exact up to rounding
