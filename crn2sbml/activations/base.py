"""Shared pieces of the activation modules.

Every activation is lowered the same way: each network unit becomes one or
more *rails*, each rail a species obeying the scalar neuron ODE
``dy/dt = z_r*y + q(y)`` with ``z_r = scale*z + shift``, and the unit's value
is the readout ``sum_r readout_r * y_r + offset``. A scalar activation
(smoothed ReLU, polynomial q) is one rail with scale 1, shift 0, readout 1.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from ..errors import NetworkError

Params = tuple[tuple[str, Any], ...]
# The frameworks whose trained networks the importers read, as keys of Activation.framework_names.
FRAMEWORKS = ("torch", "onnx", "sklearn")


@dataclass(frozen=True)
class QTerm:
    """One term ``coefficient * y**power`` of the neuron's self-dynamics q(y)."""

    power: int
    coefficient: float
    role: str  # names the reaction and its rate parameter, e.g. "eps", "ann", "q3"


@dataclass(frozen=True)
class Rail:
    """One species of a unit: it sits at sigma(scale*z + shift) and enters the
    unit's value with weight ``readout``."""

    suffix: str  # appended to the unit's name ("" for a single rail)
    scale: float = 1.0
    shift: float = 0.0
    readout: float = 1.0


SINGLE_RAIL = (Rail(""),)


def param_number(params: Mapping[str, Any], key: str, default: float, activation: str) -> float:
    """A finite numeric activation parameter, or NetworkError naming it."""
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise NetworkError(f"{activation} parameter '{key}' is {value!r}; expected a finite number")
    return float(value)


def reject_unknown(params: Mapping[str, Any], allowed: tuple[str, ...], activation: str) -> None:
    for key in params:
        if key not in allowed:
            known = ", ".join(allowed) if allowed else "none"
            raise NetworkError(f"{activation} has no parameter '{key}'; its parameters: {known}")


class Activation(ABC):
    """An activation: its rails, the rails' self-dynamics q, the reference
    function (the CRN's exact fixed point), its derivative, the unsmoothed
    function it approximates and the bound on the gap."""

    name: ClassVar[str]
    offset: float = 0.0
    # What the frameworks call this activation, so every importer finds it here:
    # "torch": torch.nn module classes (subclasses match too), "onnx": operator
    # types, "sklearn": MLP ``activation=`` values. Parameters come from
    # torch_params / onnx_params.
    framework_names: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    # parameters in the order a state_dict's activation spec gives them ('hardtanh:-1:1')
    spec_params: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Activation":
        """Validate the JSON parameters (NetworkError naming the bad one).
        This default serves activations without parameters."""
        reject_unknown(params, (), cls.name)
        return cls()

    @classmethod
    def torch_params(cls, module: Any) -> dict[str, Any]:
        """The JSON parameters of a torch.nn module named in ``framework_names["torch"]``."""
        return {}

    @classmethod
    def onnx_params(cls, attributes: Mapping[str, Any], constants: Sequence[np.ndarray | None]) -> dict[str, Any]:
        """The JSON parameters of an ONNX node named in ``framework_names["onnx"]``:
        from its attributes and its constant inputs after the first (None where
        an optional input is left out). A NetworkError completes the sentence
        "<node> ...", e.g. "needs both a min and a max"."""
        return {}

    def params(self) -> Params:
        """Canonical, hashable parameters (what ``Layer.activation_params`` holds)."""
        return ()

    def json_params(self) -> dict[str, Any]:
        return dict(self.params())

    @property
    def rails(self) -> tuple[Rail, ...]:
        return SINGLE_RAIL

    def check(self, epsilon: float) -> None:
        """Raise NetworkError if the conditions behind the guarantees fail at ``epsilon``."""

    @abstractmethod
    def q_terms(self, epsilon: float) -> tuple[QTerm, ...]:
        """q(y) of every rail species: dy/dt = z_r*y + q(y)."""

    @abstractmethod
    def unit_reference(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        """The positive root of z*y + q(y): one rail's fixed point."""

    @abstractmethod
    def unit_derivative(self, z: np.ndarray, epsilon: float) -> np.ndarray: ...

    @abstractmethod
    def unsmoothed(self, z: np.ndarray) -> np.ndarray:
        """The eps -> 0 function this activation approximates."""

    @abstractmethod
    def gap_bound(self, epsilon: float) -> tuple[float, float]:
        """(lo, hi) with lo <= reference(z) - unsmoothed(z) <= hi for every z."""

    # --- derived from the rails ------------------------------------------------
    def rail_inputs(self, z: np.ndarray) -> np.ndarray:
        """Each rail's pre-activation, shape z.shape + (rails,)."""
        z = np.asarray(z, dtype=float)
        return np.stack([r.scale * z + r.shift for r in self.rails], axis=-1)

    def rail_values(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        return self.unit_reference(self.rail_inputs(z), epsilon)

    def reference(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        """What the CRN computes: the readout of the rails' fixed points."""
        a = np.array([r.readout for r in self.rails])
        return self.rail_values(z, epsilon) @ a + self.offset

    def derivative(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        sa = np.array([r.scale * r.readout for r in self.rails])
        return self.unit_derivative(self.rail_inputs(z), epsilon) @ sa

    def describe(self) -> str:
        """Name with parameters, for comments and headers."""
        if not self.params():
            return self.name
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.json_params().items())})"
