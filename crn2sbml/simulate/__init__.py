"""Simulators of the CRN, picked by name from an explicit registry."""

from __future__ import annotations

from ..crn import CRN
from ..errors import UnknownNameError
from .base import SteadyState, TimeCourse
from .numpy_backend import NumpySimulator
from .roadrunner import RoadRunnerSimulator

BACKENDS = {"roadrunner": RoadRunnerSimulator, "numpy": NumpySimulator}


def get_simulator(name: str, crn: CRN, **options):
    if name not in BACKENDS:
        raise UnknownNameError(f"unknown simulator '{name}'; known simulators: {', '.join(BACKENDS)}")
    return BACKENDS[name](crn, **options)


__all__ = ["BACKENDS", "NumpySimulator", "RoadRunnerSimulator", "SteadyState", "TimeCourse", "get_simulator"]
