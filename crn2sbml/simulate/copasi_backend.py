"""COPASI backend (python-copasi): deterministic LSODA time courses and
Newton steady states, as an independent third simulator next to roadrunner
and the numpy one.

COPASI is imported only when a simulator is built, so importing this module
(and registering it in ``BACKENDS``) costs nothing for users without the
optional ``copasi`` extra. Each simulator owns one COPASI data model and
removes it from COPASI's global root container in ``close()``: COPASI keeps
every data model alive until told otherwise, so forgetting would leak."""

from __future__ import annotations

import contextlib
import functools
import locale
import os
from types import ModuleType
from typing import Any, Sequence

import numpy as np

from ..crn import CRN
from ..emit.sbml import to_sbml
from ..errors import MissingDependencyError, ModelReadError, SimulationError
from .base import Capability, Parameters, SimulatorBase, TimeCourse, check_time
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


@contextlib.contextmanager
def keep_text_encoding():
    """COPASI sets the whole C locale to "C" on import and on every SBML import,
    which turns Python's default text encoding (open(), Path.read_text) into
    ASCII for the rest of the process. The character-type category is put back
    afterwards (COPASI needs only "C" number formatting, which stays)."""
    ctype = locale.setlocale(locale.LC_CTYPE)
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, ctype)


@functools.cache
def _copasi() -> ModuleType:
    try:
        with keep_text_encoding():
            import COPASI
    except ImportError as exc:
        raise MissingDependencyError("the COPASI backend needs python-copasi: pip install 'crn2sbml[copasi]'") from exc
    return COPASI


class CopasiSimulator(SimulatorBase):
    """A CRN loaded into its own COPASI data model. ``crn`` is the IR; ``sbml``
    (SBML text) or ``path`` (an SBML file, read by COPASI itself) may be given
    instead of re-emitting the model. Species and parameters are matched by
    SBML id, never by COPASI's display name. Every call sets the initial
    values it needs and restores overridden rate constants afterwards."""

    name = "copasi"
    capabilities = frozenset({Capability.STEADY_STATE, Capability.TIME_COURSE})

    def __init__(
        self,
        crn: CRN,
        sbml: str | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        rtol: float = 1e-10,
        atol: float = 1e-14,
    ):
        super().__init__(crn)
        copasi = self._copasi = _copasi()
        self.rtol, self.atol = float(rtol), float(atol)
        self._dm: Any = copasi.CRootContainer.addDatamodel()
        try:
            copasi.CCopasiMessage.clearDeque()
            with keep_text_encoding():
                if path is not None:
                    ok = self._dm.importSBML(os.fspath(path))
                else:
                    ok = self._dm.importSBMLFromString(sbml if sbml is not None else to_sbml(crn))
            if not ok:
                raise ModelReadError(f"COPASI could not import the SBML: {_one_line(copasi.CCopasiMessage.getAllMessageText())}")
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
        self._values = {v.getSBMLId(): v for v in self._model.getModelValues()}
        self._system = MassActionSystem(crn)  # the IR's rates, to size Newton's resolution
        self._configure_tasks()

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
        # Newton only: the presimulation is the acceptance policy's, with tolerances we chose
        sm.getParameter("Use Newton").setValue(True)
        sm.getParameter("Use Integration").setValue(False)
        sm.getParameter("Use Back Integration").setValue(False)
        # readout species (readouts="species") are signed: a logit or an identity output sits
        # below 0, and COPASI's default refuses such a state as "no steady state". The rails
        # are still checked positive by the acceptance policy, so accepting negatives is safe.
        sm.getParameter("Accept Negative Concentrations").setValue(self._signed_species())
        sm.getParameter("Resolution").setValue(MIN_RESOLUTION)  # set per run: newton_resolution
        sm.getParameter("Iteration Limit").setValue(100)
        sp = ss.getProblem()
        sp.setJacobianRequested(False)
        sp.setStabilityAnalysisRequested(False)
        self._tc, self._ss = tc, ss

    def _signed_species(self) -> bool:
        """Does the loaded model carry readout species (which may be negative)?"""
        return self.crn.readout_form == "species" and bool(self.crn.readouts)

    def _set_initial(self, species: dict[str, float], parameters: dict[str, float] | None = None) -> None:
        """Set initial concentrations (and rate constants) and let COPASI
        recompute the dependent initial values (particle numbers) from them."""
        changed = self._copasi.ObjectStdVector()
        for sid, v in species.items():
            m = self._metabs[sid]
            m.setInitialConcentration(float(v))
            changed.append(m.getInitialConcentrationReference())
        for pid, v in (parameters or {}).items():
            if pid not in self._values:
                raise ModelReadError(f"COPASI's model has no parameter '{pid}' (the rate constant may be inline "
                                     "or local there); override only the model's global rate parameters")
            self._values[pid].setInitialValue(float(v))
            changed.append(self._values[pid].getInitialValueReference())
        self._model.updateInitialValues(changed)

    @contextlib.contextmanager
    def _run(self, inputs, parameters: Parameters | None, y0: np.ndarray | None, initial: bool = True):
        """COPASI's initial state for one call: inputs, neurons at ``y0`` (or
        the CRN's initial state), rate constants; overrides undone after."""
        crn = self._crn_for(inputs)
        overrides = self._rate_values(parameters)
        state = self._start(y0, initial=initial)
        values = {s.id: s.initial for s in crn.inputs}
        values.update(zip(self.species, state.tolist()))
        try:
            self._set_initial(values, overrides)
            yield crn
        finally:
            if overrides:
                self._set_initial({}, {pid: self.crn.parameter_index[pid].value for pid in overrides})

    # --- simulation ----------------------------------------------------------
    def _process(self, task: Any, what: str) -> None:
        self._copasi.CCopasiMessage.clearDeque()
        if not task.process(True):  # True: start from the model's initial values
            raise SimulationError(
                f"copasi: {what} failed: "
                f"{_one_line(task.getProcessError() or self._copasi.CCopasiMessage.getAllMessageText())}"
            )

    def _simulate(self, t_end: float, points: int, names: tuple[str, ...]) -> TimeCourse:
        problem = self._tc.getProblem()
        problem.setStepNumber(max(points - 1, 1))
        problem.setDuration(t_end)
        problem.setTimeSeriesRequested(True)
        self._process(self._tc, "time course")
        ts = self._tc.getTimeSeries()
        steps = ts.getRecordedSteps()
        column = {ts.getSBMLId(i, self._dm): i for i in range(ts.getNumVariables())}
        # getConcentrationData converts COPASI's particle numbers back to concentrations
        time = np.array([ts.getData(k, 0) for k in range(steps)])
        values = np.array([[ts.getConcentrationData(k, column[s]) for s in names] for k in range(steps)])
        return TimeCourse(time, names, values.reshape(steps, len(names)))

    def time_course(self, t_end: float, points: int = 101, species: Sequence[str] | None = None, *,
                    y0: np.ndarray | None = None, inputs=None, parameters: Parameters | None = None) -> TimeCourse:
        t_end, points = check_time(t_end, points)
        names, _ = self._columns(species)
        with self._run(inputs, parameters, y0):
            return self._simulate(t_end, points, names)

    def advance(self, t_end: float, *, y0: np.ndarray | None = None, inputs=None,
                parameters: Parameters | None = None) -> np.ndarray:
        with self._run(inputs, parameters, y0):
            return self._simulate(float(t_end), 2, self.species).values[-1].copy()

    def rates(self, state: np.ndarray, *, inputs=None, parameters: Parameters | None = None) -> np.ndarray:
        with self._run(inputs, parameters, state, initial=False):
            self._model.applyInitialValues()  # current values := initial values, and COPASI's rates at them
            return np.array([self._metabs[s].getConcentrationRate() for s in self.species])

    def polish(self, state: np.ndarray, *, inputs=None, parameters: Parameters | None = None) -> tuple[np.ndarray, float]:
        """COPASI's Newton from ``state``, with a resolution sized to the
        state's rounding floor (``newton_resolution``)."""
        with self._run(inputs, parameters, state, initial=False) as crn:
            system = self._system
            system.set_inputs(np.array([s.initial for s in crn.inputs]))
            resolution = newton_resolution(system, np.asarray(state, dtype=float))
            if not self._ss.getMethod().getParameter("Resolution").setValue(resolution):  # a Python float, or SWIG refuses
                raise SimulationError(f"copasi: could not set the Newton resolution to {resolution!r}")
            self._process(self._ss, "steady-state task")
            result = self._ss.getResult()
            found = {self._copasi.CSteadyStateMethod.found}
            if self._signed_species():  # negative readout species: 'foundNegative' is the answer
                found.add(self._copasi.CSteadyStateMethod.foundNegative)
            if result not in found:
                raise SimulationError(f"copasi: Newton did not converge to resolution {resolution:.3g} "
                                      f"(result code {result}); simulate longer before polishing")
            metabs = [self._metabs[s] for s in self.species]
            values = np.array([m.getConcentration() for m in metabs])
            residual = max((abs(m.getConcentrationRate()) for m in metabs), default=0.0)
        return values, float(residual)

    # --- lifetime ------------------------------------------------------------
    def close(self) -> None:
        """Remove the data model from COPASI's root container (idempotent)."""
        dm, self._dm = getattr(self, "_dm", None), None
        self._metabs, self._model, self._values = {}, None, {}
        if dm is not None:
            self._copasi.CRootContainer.removeDatamodel(dm)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: COPASI may already be torn down
            pass


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
