"""Simulators of the CRN behind one contract (:class:`Simulator`), picked by
name from an explicit registry, and the one acceptance policy for steady
states (:func:`find_steady_state`)."""

from __future__ import annotations

from ..crn import CRN
from ..errors import UnknownNameError
from .acceptance import accept, find_steady_state
from .base import Capability, Simulator, SteadyState, TimeCourse
from .batch import BatchSimulator
from .copasi_backend import CopasiSimulator  # imports COPASI only when constructed
from .numpy_backend import NumpySimulator
from .roadrunner import RoadRunnerSimulator

BACKENDS: dict[str, type] = {
    "roadrunner": RoadRunnerSimulator,
    "numpy": NumpySimulator,
    "copasi": CopasiSimulator,
    "batch": BatchSimulator,
}


def get_simulator(name: str, crn: CRN, **options) -> Simulator:
    if name not in BACKENDS:
        raise UnknownNameError(f"unknown simulator '{name}'; known simulators: {', '.join(BACKENDS)}")
    return BACKENDS[name](crn, **options)


def backends_with(capability: Capability) -> tuple[str, ...]:
    """Names of the registered backends that have ``capability``."""
    return tuple(name for name, cls in BACKENDS.items() if capability in cls.capabilities)


__all__ = [
    "BACKENDS", "BatchSimulator", "Capability", "CopasiSimulator", "NumpySimulator", "RoadRunnerSimulator",
    "Simulator", "SteadyState", "TimeCourse", "accept", "backends_with", "find_steady_state", "get_simulator",
]
