"""Narrow exception types. Each subclasses the builtin a caller would expect,
so ``except ValueError`` still works, and carries a message naming the field
and the fix."""

from __future__ import annotations


class Crn2SbmlError(Exception):
    """Base of every error this package raises on purpose."""


class NetworkError(Crn2SbmlError, ValueError):
    """The network description is malformed (bad field, shape, number, name)."""


class InputError(Crn2SbmlError, ValueError):
    """An input vector does not fit the network (length, sign, non-finite)."""


class ModelReadError(Crn2SbmlError, ValueError):
    """A model file (SBML, network JSON) cannot be read or is not ours."""


class UnknownNameError(Crn2SbmlError, KeyError):
    """A registry lookup (activation, format, backend) failed."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class OutputError(Crn2SbmlError, OSError):
    """An output could not be written; nothing was left half-written."""


class SimulationError(Crn2SbmlError, RuntimeError):
    """A simulator failed (integration, Newton step, a tool refusing a value);
    the message keeps the tool's own words."""


class SteadyStateError(SimulationError):
    """No checked, positive steady state could be established."""


class UnsupportedError(Crn2SbmlError, NotImplementedError):
    """A backend lacks a capability (see ``Simulator.capabilities``); the message says which it has."""


class MissingDependencyError(Crn2SbmlError, ImportError):
    """An optional dependency (an extra) is not installed; the message says which."""


class SchedulerError(Crn2SbmlError, ConnectionError):
    """A dask cluster cannot be used: the scheduler given with --scheduler
    cannot be reached or has no workers, or a local cluster does not start."""
