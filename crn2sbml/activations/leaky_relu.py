"""leaky_relu(negative_slope=alpha): sigma(z) - alpha*sigma(-z).

With g(z) = sigma(z) - max(z, 0), which is even and in (0, sqrt eps], the gap
to the unsmoothed leaky ReLU is (1 - alpha)*g(z)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .base import Params, Rail, param_number, reject_unknown
from .smoothed_relu import SmoothedReLUUnit


@dataclass(frozen=True)
class LeakyReLU(SmoothedReLUUnit):
    negative_slope: float = 0.01
    name = "leaky_relu"
    framework_names = {"torch": ("LeakyReLU",), "onnx": ("LeakyRelu",)}
    spec_params = ("negative_slope",)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "LeakyReLU":
        reject_unknown(params, ("negative_slope",), cls.name)
        return cls(param_number(params, "negative_slope", 0.01, cls.name))

    @classmethod
    def torch_params(cls, module: Any) -> dict[str, Any]:
        return {"negative_slope": float(module.negative_slope)}

    @classmethod
    def onnx_params(cls, attributes: Mapping[str, Any], constants: Sequence[np.ndarray | None]) -> dict[str, Any]:
        return {"negative_slope": float(attributes.get("alpha", 0.01))}  # ONNX's default alpha

    def params(self) -> Params:
        return (("negative_slope", self.negative_slope),)

    @property
    def rails(self) -> tuple[Rail, ...]:
        return (Rail("pos", 1.0, 0.0, 1.0), Rail("neg", -1.0, 0.0, -self.negative_slope))

    def unsmoothed(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        return np.where(z >= 0, z, self.negative_slope * z)

    def gap_bound(self, epsilon: float) -> tuple[float, float]:
        # within (-alpha sqrt eps, sqrt eps) for every alpha >= 0
        width = (1.0 - self.negative_slope) * math.sqrt(epsilon)
        return min(0.0, width), max(0.0, width)
