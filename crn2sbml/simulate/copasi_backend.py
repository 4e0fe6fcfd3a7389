"""COPASI backend (python-copasi): deterministic LSODA time courses and a
checked steady state, as an independent third simulator next to roadrunner
and the numpy one.

COPASI is imported only when a simulator is built, so importing this module
(and registering it in ``BACKENDS``) costs nothing for users without the
optional ``copasi`` extra. Each simulator owns one COPASI data model and
removes it from COPASI's global root container in ``close()``: COPASI keeps
every data model alive until told otherwise, so forgetting would leak."""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np

from ..crn import CRN
from ..emit.sbml import to_sbml
from ..errors import MissingDependencyError, ModelReadError, SteadyStateError
from ..network import Network
from ..theory import settling_time
from .base import SteadyState, TimeCourse, checked_steady_state
from .numpy_backend import MassActionSystem

MIN_RESOLUTION = 1e-14
ROUNDING_MARGIN = 100.0  # Newton's target above its rounding floor


def newton_resolution(system: MassActionSystem, state: np.ndarray) -> float:
    """COPASI's Newton accepts a state when its target, the largest of the
    absolute and relative rates of change and of the absolute and relative
    Newton distances J^-1 f, is below 'Resolution'. Rounding puts a floor
    under each: eps * (gross flux of a species, sum |stoichiometry| * rate),
    divided by the concentration for the relative ones and by |J_ii| (the
    species' lambda) for the distances. A fixed 1e-14 sits at or below that
    floor once concentrations reach ~5 or kappa > 1 (random_4_8_8_3 at input
    5: 'no steady state' at a state Newton had reached, depending on rounding
    luck). So the resolution is the floor times a margin, never below 1e-14;
    the answer is checked against the forward pass afterwards anyway."""
    if system.n == 0:
        return MIN_RESOLUTION
    gross = np.abs(system.S) @ system.rates(state)
    x = np.maximum(np.abs(state), 1e-300)
    lam = np.maximum(np.abs(system.jacobian(0.0, state).diagonal()), 1e-300)
    floor = float(np.max(gross * np.maximum(1.0, 1.0 / x) * np.maximum(1.0, 1.0 / lam)))
    return float(max(MIN_RESOLUTION, ROUNDING_MARGIN * np.finfo(float).eps * floor))


def _copasi() -> ModuleType:
    try:
        import COPASI
    except ImportError as exc:
        raise MissingDependencyError("the COPASI backend needs python-copasi: pip install 'crn2sbml[copasi]'") from exc
    return COPASI


class CopasiSimulator:
    """A CRN loaded into its own COPASI data model. ``crn`` is the IR; ``sbml``
    (SBML text) or ``path`` (an SBML file, read by COPASI itself) may be given
    instead of re-emitting the model. Species are matched by SBML id, never
    by COPASI's display name."""

    name = "copasi"

    def __init__(
        self,
        crn: CRN,
        sbml: str | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        rtol: float = 1e-10,
        atol: float = 1e-14,
    ):
        copasi = self._copasi = _copasi()
        self.crn = crn
        self.rtol, self.atol = float(rtol), float(atol)
        self._dm: Any = copasi.CRootContainer.addDatamodel()
        try:
            copasi.CCopasiMessage.clearDeque()
            if path is not None:
                ok = self._dm.importSBML(os.fspath(path))
            else:
                ok = self._dm.importSBMLFromString(sbml if sbml is not None else to_sbml(crn))
            if not ok:
                raise ModelReadError(f"COPASI could not import the SBML: {copasi.CCopasiMessage.getAllMessageText()}")
            self._model = self._dm.getModel()
            by_id = {m.getSBMLId(): m for m in self._model.getMetabolites()}
            missing = [s.id for s in crn.species if s.id not in by_id]
            if missing:
                raise ModelReadError(
                    f"the SBML loaded into COPASI lacks species {', '.join(missing[:5])} of CRN '{crn.name}'; "
                    "load the SBML emitted from this CRN"
                )
        except BaseException:
            self.close()
            raise
        self._metabs = {s.id: by_id[s.id] for s in crn.species}
        self._system = MassActionSystem(crn)  # the IR's rates, to size Newton's resolution
        self.floating = tuple(s.id for s in crn.floating)
        self._configure_tasks()
        self.set_inputs(crn.input_values)

    # --- setup ---------------------------------------------------------------
    def _configure_tasks(self) -> None:
        c = self._copasi
        tc = self._dm.getTask("Time-Course")
        tc.setMethodType(c.CTaskEnum.Method_deterministic)  # LSODA
        tc.setUpdateModel(False)  # initial state is set explicitly, never as a side effect
        method = tc.getMethod()
        method.getParameter("Relative Tolerance").setValue(self.rtol)
        # COPASI scales this by volume and Avogadro's number, so it is in concentration units
        method.getParameter("Absolute Tolerance").setValue(self.atol)
        method.getParameter("Max Internal Steps").setValue(1_000_000)
        method.getParameter("Integrate Reduced Model").setValue(False)  # no conservation laws here
        problem = tc.getProblem()
        problem.setAutomaticStepSize(False)
        problem.setOutputStartTime(0.0)

        ss = self._dm.getTask("Steady-State")
        ss.setUpdateModel(False)
        sm = ss.getMethod()
        # Newton only: the presimulation is ours (DESIGN.md section 5), with tolerances we chose
        sm.getParameter("Use Newton").setValue(True)
        sm.getParameter("Use Integration").setValue(False)
        sm.getParameter("Use Back Integration").setValue(False)
        sm.getParameter("Accept Negative Concentrations").setValue(False)
        sm.getParameter("Resolution").setValue(MIN_RESOLUTION)  # set per run: newton_resolution
        sm.getParameter("Iteration Limit").setValue(100)
        sp = ss.getProblem()
        sp.setJacobianRequested(False)
        sp.setStabilityAnalysisRequested(False)
        self._tc, self._ss = tc, ss

    def _set_initial(self, values: dict[str, float]) -> None:
        """Set initial concentrations and let COPASI recompute the dependent
        initial amounts (particle numbers) from them."""
        changed = self._copasi.ObjectStdVector()
        for sid, v in values.items():
            m = self._metabs[sid]
            m.setInitialConcentration(float(v))
            changed.append(m.getInitialConcentrationReference())
        self._model.updateInitialValues(changed)

    def _reset(self) -> None:
        """Every species back to the CRN's initial state (a steady-state run
        moves the neurons' initial values to the presimulated state)."""
        self._set_initial({s.id: s.initial for s in self.crn.species})

    def set_inputs(self, values) -> None:
        """Set input concentrations (held constant) and reset neurons to their initial values."""
        self.crn = self.crn.with_inputs(values)
        self._reset()

    # --- simulation ----------------------------------------------------------
    def _run(self, task: Any, what: str) -> None:
        self._copasi.CCopasiMessage.clearDeque()
        if not task.process(True):  # True: start from the model's initial values
            raise SteadyStateError(
                f"copasi: {what} failed: {task.getProcessError() or self._copasi.CCopasiMessage.getAllMessageText()}"
            )

    def time_course(self, t_end: float, points: int = 101, species: list[str] | None = None) -> TimeCourse:
        self._reset()
        return self._simulate(float(t_end), int(points), species)

    def _simulate(self, t_end: float, points: int, species: list[str] | None) -> TimeCourse:
        problem = self._tc.getProblem()
        problem.setStepNumber(max(points - 1, 1))
        problem.setDuration(t_end)
        problem.setTimeSeriesRequested(True)
        self._run(self._tc, "time course")
        ts = self._tc.getTimeSeries()
        steps = ts.getRecordedSteps()
        column = {ts.getSBMLId(i, self._dm): i for i in range(ts.getNumVariables())}
        names = tuple(species) if species else self.floating
        # getConcentrationData converts COPASI's particle numbers back to concentrations
        time = np.array([ts.getData(k, 0) for k in range(steps)])
        values = np.array([[ts.getConcentrationData(k, column[s]) for s in names] for k in range(steps)])
        return TimeCourse(time, names, values.reshape(steps, len(names)))

    def steady_state(self, network: Network, *, rtol: float = 1e-8, horizon: float | None = None) -> SteadyState:
        """Presimulate past the convergence bound, start COPASI's Newton from
        the end state, then check the answer against the forward pass."""
        x = self.crn.input_values
        t = horizon if horizon is not None else settling_time(network, x, self.crn.speed, tol=1e-6)
        self._reset()
        end = self._simulate(float(t), 2, list(self.floating)).values[-1]
        self._set_initial(dict(zip(self.floating, end)))
        self._system.set_inputs(np.array([s.initial for s in self.crn.inputs]))
        resolution = newton_resolution(self._system, np.asarray(end, dtype=float))  # floating order = the IR's
        if not self._ss.getMethod().getParameter("Resolution").setValue(resolution):  # a Python float, or SWIG refuses
            raise SteadyStateError(f"copasi: could not set the Newton resolution to {resolution!r}")
        try:
            self._run(self._ss, "steady-state task")
            result = self._ss.getResult()
            if result != self._copasi.CSteadyStateMethod.found:
                raise SteadyStateError(
                    f"copasi: Newton from the state at t={t:.3g} did not converge to resolution {resolution:.3g} "
                    f"(result code {result}); "
                    "simulate longer (a larger horizon) before polishing"
                )
            metabs = [self._metabs[s] for s in self.floating]
            values = np.array([m.getConcentration() for m in metabs])
            residual = max((abs(m.getConcentrationRate()) for m in metabs), default=0.0)
        finally:
            self._reset()  # leave the model at the CRN's initial state
        return checked_steady_state(self.crn, network, self.floating, values, residual, t, self.name, rtol)

    # --- lifetime ------------------------------------------------------------
    def close(self) -> None:
        """Remove the data model from COPASI's root container (idempotent)."""
        dm, self._dm = getattr(self, "_dm", None), None
        self._metabs, self._model = {}, None
        if dm is not None:
            self._copasi.CRootContainer.removeDatamodel(dm)

    def __enter__(self) -> "CopasiSimulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: COPASI may already be torn down
            pass
