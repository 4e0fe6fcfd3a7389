"""hardsigmoid (PyTorch: clip(z/6 + 1/2, 0, 1)) = sigma(z/6 + 1/2) - sigma(z/6 - 1/2).
The gap lies in (-sqrt eps, sqrt eps), as for hardtanh."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import NetworkError
from .base import Rail
from .smoothed_relu import SmoothedReLUUnit


@dataclass(frozen=True)
class HardSigmoid(SmoothedReLUUnit):
    name = "hardsigmoid"
    framework_names = {"torch": ("Hardsigmoid",), "onnx": ("HardSigmoid",)}

    @classmethod
    def onnx_params(cls, attributes: Mapping[str, Any], constants: Sequence[np.ndarray | None]) -> dict[str, Any]:
        alpha, beta = float(attributes.get("alpha", 0.2)), float(attributes.get("beta", 0.5))
        # float32 attributes: alpha is float32(1/6), taken as exactly 1/6
        if not (math.isclose(alpha, 1 / 6, rel_tol=1e-6) and math.isclose(beta, 0.5)):
            raise NetworkError(f"has alpha={alpha:g}, beta={beta:g}; only PyTorch's hard sigmoid "
                               "clip(z/6 + 1/2, 0, 1) (alpha=1/6, beta=0.5) is supported")
        return {}

    @property
    def rails(self) -> tuple[Rail, ...]:
        return (Rail("lo", 1.0 / 6.0, 0.5, 1.0), Rail("hi", 1.0 / 6.0, -0.5, -1.0))

    def unsmoothed(self, z: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(z, dtype=float) / 6.0 + 0.5, 0.0, 1.0)

    def gap_bound(self, epsilon: float) -> tuple[float, float]:
        return -math.sqrt(epsilon), math.sqrt(epsilon)
