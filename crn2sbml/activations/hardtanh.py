"""hardtanh(min_val=-1, max_val=1): sigma(z - min) - sigma(z - max) + min.
The gap g(z - min) - g(z - max) lies in (-sqrt eps, sqrt eps)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import NetworkError
from .base import Params, Rail, param_number, reject_unknown
from .smoothed_relu import SmoothedReLUUnit


@dataclass(frozen=True)
class HardTanh(SmoothedReLUUnit):
    min_val: float = -1.0
    max_val: float = 1.0
    name = "hardtanh"
    # ReLU6 is a torch Hardtanh(0, 6); ONNX writes hardtanh as Clip(min, max)
    framework_names = {"torch": ("Hardtanh",), "onnx": ("Clip",)}
    spec_params = ("min_val", "max_val")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "HardTanh":
        reject_unknown(params, ("min_val", "max_val"), cls.name)
        lo = param_number(params, "min_val", -1.0, cls.name)
        hi = param_number(params, "max_val", 1.0, cls.name)
        if not lo < hi:
            raise NetworkError(f"hardtanh parameter 'min_val' ({lo}) must be < 'max_val' ({hi})")
        return cls(lo, hi)

    @classmethod
    def torch_params(cls, module: Any) -> dict[str, Any]:
        return {"min_val": float(module.min_val), "max_val": float(module.max_val)}

    @classmethod
    def onnx_params(cls, attributes: Mapping[str, Any], constants: Sequence[np.ndarray | None]) -> dict[str, Any]:
        # opset >= 11 gives the bounds as inputs 1 and 2 (an omitted input, name '', is no
        # bound); older opsets as attributes. ONNX's bound is a scalar: an empty tensor is
        # not "no bound" (onnx's reference evaluator refuses it too), nor are several values
        def bound(k: int, key: str) -> float | None:
            given = constants[k] if k < len(constants) else None
            if given is None:
                return attributes.get(key)
            if given.size != 1:
                raise NetworkError(f"has a {key} input of shape {tuple(given.shape)}; ONNX's Clip takes a scalar "
                                   f"{key} (omit the input, name '', for no {key})")
            return float(given.reshape(-1)[0])

        lo, hi = bound(0, "min"), bound(1, "max")
        if lo is None or hi is None:
            raise NetworkError("needs both a min and a max to be a hardtanh")
        return {"min_val": float(lo), "max_val": float(hi)}

    def params(self) -> Params:
        return (("max_val", self.max_val), ("min_val", self.min_val))

    @property
    def offset(self) -> float:  # type: ignore[override]
        return self.min_val

    @property
    def rails(self) -> tuple[Rail, ...]:
        return (Rail("lo", 1.0, -self.min_val, 1.0), Rail("hi", 1.0, -self.max_val, -1.0))

    def unsmoothed(self, z: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(z, dtype=float), self.min_val, self.max_val)

    def gap_bound(self, epsilon: float) -> tuple[float, float]:
        return -math.sqrt(epsilon), math.sqrt(epsilon)
