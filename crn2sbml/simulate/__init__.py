"""Simulators of the CRN, picked by name from an explicit registry."""

from __future__ import annotations

from ..crn import CRN
from ..errors import UnknownNameError
from .base import SteadyState, TimeCourse
from .batch import BatchSimulator  # batch of inputs: not a single-input backend, so not in BACKENDS
from .copasi_backend import CopasiSimulator  # imports COPASI only when constructed
from .numpy_backend import NumpySimulator
from .roadrunner import RoadRunnerSimulator

BACKENDS = {"roadrunner": RoadRunnerSimulator, "numpy": NumpySimulator, "copasi": CopasiSimulator}


def get_simulator(name: str, crn: CRN, **options):
    if name not in BACKENDS:
        raise UnknownNameError(f"unknown simulator '{name}'; known simulators: {', '.join(BACKENDS)}")
    return BACKENDS[name](crn, **options)


__all__ = ["BACKENDS", "BatchSimulator", "CopasiSimulator", "NumpySimulator", "RoadRunnerSimulator", "SteadyState", "TimeCourse", "get_simulator"]
