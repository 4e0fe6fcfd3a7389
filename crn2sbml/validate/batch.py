"""The batch integrator now lives in crn2sbml.simulate.batch; re-exported
here for the validation checks that use it."""

from ..simulate.batch import DIVERGED, BatchResult, BatchSystem

__all__ = ["DIVERGED", "BatchResult", "BatchSystem"]
