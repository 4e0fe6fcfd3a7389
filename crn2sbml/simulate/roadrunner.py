"""libRoadRunner backend: stiff time courses and a checked steady state.

Loading is configured as measured in docs/design.md section 4 (LLJIT, no LLVM
optimisation, no Python dynamic properties, no conserved-moiety analysis).
The backend returns unchecked states; crn2sbml never reports roadrunner's raw
``steadyState()`` (see :mod:`crn2sbml.simulate.acceptance`)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from .._atomic import atomic_path, write_text_atomic
from ..crn import CRN
from ..emit.sbml import stream_sbml
from ..errors import InputError, ModelReadError, SimulationError, UnsupportedError
from ._conservation import conservation_laws, reduced_newton_step, stoichiometry_matrix
from ._jit_memory import compact_jit_sections
from .base import Capability, Parameters, SimulatorBase, TimeCourse, check_time

@functools.cache
def _roadrunner():
    """The roadrunner module, configured once per process (its Config is
    process-wide). Imported lazily: loading LLVM is not free."""
    import roadrunner

    cfg = roadrunner.Config
    cfg.setValue(cfg.LLVM_BACKEND, cfg.LLJIT)
    cfg.setValue(cfg.LLJIT_OPTIMIZATION_LEVEL, cfg.NONE)
    cfg.setValue(cfg.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES, True)
    # roadrunner's log lines (CVODE failures, ...) would repeat on stderr what
    # the SimulationError raised for them carries in the tool's own words
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_FATAL)
    # Conserved-moiety analysis stays off (roadrunner's default; these CRNs
    # have no conservation laws). Setting the related warning flag crashes
    # roadrunner 2.10, so it is left alone.
    return roadrunner


# Compiled models are cached with roadrunner's own saveState/loadState: JIT
# time grows about quadratically with the reaction count (3.4 s at 4,958
# reactions, 37 s at 17,246, 7-11 min at 79,730 here); loadState skips the JIT
# (1.2 s against 7.0 s at 4,958 reactions, 54 s against 644 s at 79,730).
CACHE_ENV = "CRN2SBML_CACHE_DIR"  # a folder, or "none" to turn the cache off
CACHE_MIN_REACTIONS = 2000  # by default only models whose JIT takes seconds are cached
_CACHE_FORMAT = "crn2sbml-rr-1 LLJIT NONE no-dynamic-properties"
# Rate constants local to their kinetic laws load faster at every size measured
# (0.8-0.9x at 13-1,253 reactions, 0.5-0.7x from 1,262 up: roadrunner resolves
# each global parameter by a linear id search). Below this size the gain is
# under 0.1 s, so small models keep named globals, where getuCC works as in
# the file crn2sbml writes. The cache keys on the text, so on the formulation too.
LOCAL_MIN_REACTIONS = 1000


def default_cache_dir() -> Path | None:
    """``$CRN2SBML_CACHE_DIR``, else ``$XDG_CACHE_HOME/crn2sbml/roadrunner``
    (``~/.cache/...``); None when the variable says "none"."""
    given = os.environ.get(CACHE_ENV)
    if given is not None:
        return None if given.strip().lower() in ("", "none", "off") else Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "crn2sbml" / "roadrunner"


def cache_file(sbml: str, folder: Path) -> Path:
    """The state file of this SBML text under this roadrunner version and
    crn2sbml's load settings."""
    import roadrunner

    key = hashlib.sha256(f"{_CACHE_FORMAT}\n{roadrunner.__version__}\n".encode() + sbml.encode()).hexdigest()
    return folder / f"{key[:32]}.rrstate"


def _cache_folder(cache: bool | str | os.PathLike[str] | None, reactions: int) -> Path | None:
    if cache is False or (cache is None and reactions < CACHE_MIN_REACTIONS):
        return None
    if cache is None or cache is True:
        return default_cache_dir()
    return Path(cache)


def rate_constants_for(crn: CRN) -> str:
    """How crn2sbml's own SBML for roadrunner holds the rate constants: local
    from ``LOCAL_MIN_REACTIONS`` up, unless a rate constant is 0 (sensitivities
    on local rate constants divide a reaction's rate by its k)."""
    if len(crn.reactions) < LOCAL_MIN_REACTIONS:
        return "global"
    used = {r.rate for r in crn.reactions}
    return "local" if all(p.value != 0 for p in crn.parameters if p.id in used) else "global"


def model_text(crn: CRN, sbml: str | None = None, rate_constants: str | None = None) -> str:
    """The SBML roadrunner loads for ``crn``: ``sbml`` as given, else emitted
    with the inputs at 0 and the rate constants as ``rate_constants`` says
    (default ``rate_constants_for``). Inputs are set after loading, so one
    compiled (and cached) model serves every input."""
    if sbml is not None:
        return sbml
    inputs_at_zero = tuple(replace(s, initial=0.0) if s.boundary else s for s in crn.species)
    return "".join(stream_sbml(replace(crn, species=inputs_at_zero),
                               rate_constants=rate_constants or rate_constants_for(crn)))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _checksum_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _verified(path: Path) -> bool:
    """The state file is exactly what a crn2sbml process saved: its SHA-256
    equals the one recorded beside it. roadrunner's loadState trusts its
    input (a damaged file aborts the process in LLVM's loader), so nothing
    unverified reaches it."""
    try:
        return _checksum_file(path).read_text(encoding="ascii").strip() == file_sha256(path)
    except OSError:
        return False


def _save_state(rr, path: Path) -> None:
    """The state file, then its checksum, each renamed into place whole: a
    reader sees a complete state with its checksum, or a mismatch (a writer
    between the two renames, another process saving at once, a damaged or
    killed write), which only costs a compile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        rr.saveState(str(tmp))
        digest = file_sha256(tmp)
    try:
        write_text_atomic(_checksum_file(path), digest + "\n")
    except OSError:  # e.g. the disk filled up: an unverifiable state is never read, so do not keep it
        with contextlib.suppress(OSError):
            path.unlink()
        raise


def load_roadrunner(sbml: str, cache: Path | None = None):
    """A RoadRunner for ``sbml``, restored from ``cache`` when it holds this
    model's compiled state (checksum verified), else JIT-compiled (and saved
    there). A cache that cannot be read or written only costs the compile."""
    rr_mod = _roadrunner()
    path = cache_file(sbml, cache) if cache is not None else None
    if path is not None and path.is_file() and _verified(path):
        rr = rr_mod.RoadRunner()
        try:
            with compact_jit_sections():
                rr.loadState(str(path))
            return rr
        except RuntimeError:
            pass  # stale: compile again and overwrite
    with compact_jit_sections():
        rr = rr_mod.RoadRunner(sbml)
    if path is not None:
        with contextlib.suppress(OSError, RuntimeError):
            _save_state(rr, path)
    return rr


class RoadRunnerSimulator(SimulatorBase):
    """A loaded model. ``crn`` is the IR; ``sbml`` may be given to load an
    existing file's text instead of re-emitting it; without it,
    ``rate_constants`` ("global" or "local") picks the emitted formulation
    (default ``rate_constants_for``). ``cache``: a folder for compiled models,
    True for the default one, False for none; by default models of
    ``CACHE_MIN_REACTIONS`` or more reactions use the default folder.

    roadrunner can set only global parameters (local ones compile to
    constants, and setStoichiometry refuses a species on both sides of a
    reaction, as every catalytic one here has), so a call that overrides a
    rate constant local to the loaded model runs on a twin loaded once with
    global rate constants: the first such call costs the slower load.

    Every call resets the model and sets its inputs, rate constants and
    initial state itself, and restores overridden rate constants afterwards."""

    name = "roadrunner"
    capabilities = frozenset({Capability.STEADY_STATE, Capability.TIME_COURSE, Capability.SENSITIVITIES})

    def __init__(self, crn: CRN, sbml: str | None = None, *, rtol: float = 1e-10, atol: float = 1e-14,
                 cache: bool | str | os.PathLike[str] | None = None, rate_constants: str | None = None):
        super().__init__(crn)
        try:
            self.rr = load_roadrunner(model_text(crn, sbml, rate_constants), _cache_folder(cache, len(crn.reactions)))
        except RuntimeError as exc:
            raise SimulationError(f"roadrunner could not load the model: {_first_line(exc)}") from None
        # (conservedMoietyAnalysis is off by default; even assigning False
        # to it regenerates the model, seconds on mid-size networks.)
        integ = self.rr.getIntegrator()
        integ.setValue("relative_tolerance", rtol)
        integ.setValue("absolute_tolerance", atol)
        integ.setValue("maximum_num_steps", 200000)
        ids = list(self.rr.model.getFloatingSpeciesIds())
        missing = [s for s in self.species if s not in ids]
        if missing:
            raise ModelReadError(f"the SBML roadrunner loaded lacks floating species {', '.join(missing[:5])} of "
                                 f"CRN '{crn.name}'; load the SBML this CRN was read from")
        self._order = np.array([ids.index(s) for s in self.species], dtype=np.int64)  # IR order -> roadrunner's
        self._ids = tuple(ids)
        self._loaded: np.ndarray | None = None  # input species values last written into the model
        self._globals = frozenset(self.rr.model.getGlobalParameterIds())
        self._cache = cache
        self._tolerances = (rtol, atol)
        self._twin: RoadRunnerSimulator | None = None  # global rate constants, for overrides of local ones
        # conserved moieties, for the Newton polish (crn2sbml's networks have none; roadrunner's
        # own conservedMoietyAnalysis stays off: switching it regenerates the model)
        self._laws = conservation_laws(stoichiometry_matrix(crn))
        with self._run(None, None, None):  # the CRN's inputs into the model (emitted with inputs at 0)
            pass

    # --- one call's setup -------------------------------------------------------------
    def _to_rr(self, state: np.ndarray) -> np.ndarray:
        out = np.empty(len(self._ids))
        out[self._order] = state
        if len(self._ids) > len(self.species):  # species roadrunner floats that the IR does not (none for our models)
            out[np.setdiff1d(np.arange(len(self._ids)), self._order)] = 0.0
        return out

    def _set_state(self, state: np.ndarray) -> None:
        self.rr.model.setFloatingSpeciesConcentrations(self._to_rr(np.asarray(state, dtype=float)))

    def _state(self) -> np.ndarray:
        return np.asarray(self.rr.model.getFloatingSpeciesConcentrations(), dtype=float)[self._order]

    @contextlib.contextmanager
    def _run(self, inputs, parameters: Parameters | None, y0: np.ndarray | None, initial: bool = True):
        """The model at time 0 with these inputs, rate constants and state
        (an initial state, or any state for rates and Newton); tool errors
        become SimulationError; overrides are undone after."""
        values = self._input_species(inputs)
        overrides = self._rate_values(parameters)
        start = self._start(y0, initial=initial) if y0 is not None else None
        model = self.rr.model
        try:
            if self._loaded is None or not np.array_equal(values, self._loaded):
                # the ExecutableModel's setter: RoadRunner.setValue("init(...)")
                # regenerates the whole model (seconds on mid-size networks)
                for s, v in zip(self.crn.inputs, values):
                    model.setValue(f"init([{s.id}])", float(v))
                    model.setValue(f"[{s.id}]", float(v))
                self._loaded = values
            for pid, v in overrides.items():
                model.setValue(pid, v)
            self.rr.reset()
            if start is not None:
                self._set_state(start)
            yield
        except RuntimeError as exc:
            self._loaded = None
            raise SimulationError(f"roadrunner: {_first_line(exc)}") from None
        finally:
            for pid in overrides:
                model.setValue(pid, self.crn.parameter_index[pid].value)

    def _global_twin(self, parameters: Parameters | None) -> RoadRunnerSimulator | None:
        """The simulator with global rate constants when ``parameters``
        overrides one this model holds locally, else None."""
        if not parameters or all(p in self._globals for p in parameters):
            return None
        self._rate_values(parameters)  # unknown names and bad values fail here, before a load
        if self._twin is None:
            self._twin = RoadRunnerSimulator(self.crn, rate_constants="global", cache=self._cache,
                                             rtol=self._tolerances[0], atol=self._tolerances[1])
        self._twin.crn = self.crn  # the same default inputs
        return self._twin

    def set_inputs(self, values) -> None:
        """The default inputs of later calls, also written into the loaded
        model now (and the model reset), for callers that drive ``rr`` directly."""
        super().set_inputs(values)
        with self._run(None, None, None):
            pass

    # --- the protocol ---------------------------------------------------------------
    def time_course(self, t_end: float, points: int = 101, species: Sequence[str] | None = None, *,
                    y0: np.ndarray | None = None, inputs=None, parameters: Parameters | None = None) -> TimeCourse:
        t_end, points = check_time(t_end, points)
        if twin := self._global_twin(parameters):
            return twin.time_course(t_end, points, species, y0=y0, inputs=inputs, parameters=parameters)
        names, _ = self._columns(species)
        with self._run(inputs, parameters, y0):
            self.rr.timeCourseSelections = ["time"] + [f"[{s}]" for s in names]
            result = np.array(self.rr.simulate(0.0, t_end, points))
        return TimeCourse(result[:, 0].copy(), names, result[:, 1:].copy())

    def advance(self, t_end: float, *, y0: np.ndarray | None = None, inputs=None,
                parameters: Parameters | None = None) -> np.ndarray:
        if twin := self._global_twin(parameters):
            return twin.advance(t_end, y0=y0, inputs=inputs, parameters=parameters)
        with self._run(inputs, parameters, y0):
            self.rr.timeCourseSelections = ["time"]
            self.rr.simulate(0.0, float(t_end), 2)
            return self._state()

    def rates(self, state: np.ndarray, *, inputs=None, parameters: Parameters | None = None) -> np.ndarray:
        if twin := self._global_twin(parameters):
            return twin.rates(state, inputs=inputs, parameters=parameters)
        with self._run(inputs, parameters, state, initial=False):
            return self._rates()

    def _rates(self) -> np.ndarray:
        return np.asarray(self.rr.model.getFloatingSpeciesConcentrationRates(), dtype=float)[self._order]

    def polish(self, state: np.ndarray, *, inputs=None, parameters: Parameters | None = None,
               iterations: int = 25) -> tuple[np.ndarray, float]:
        """Newton on roadrunner's own rates of change, with a finite-difference
        Jacobian (n+1 model evaluations). roadrunner's getFullJacobian and
        NLEQ2 build elasticities reaction by reaction: 26 s for a 32-32-10
        model here, against milliseconds for this."""
        if twin := self._global_twin(parameters):
            return twin.polish(state, inputs=inputs, parameters=parameters, iterations=iterations)
        with self._run(inputs, parameters, state, initial=False):
            c = self._state()
            f = self._rates()
            n = c.size
            totals = self._laws @ c  # conserved moieties keep their presimulated totals
            for _ in range(iterations):
                if n == 0 or float(np.max(np.abs(f))) <= 1e-15 * max(1.0, float(np.max(c))):
                    break
                jac = np.empty((n, n))
                h = 1e-7 * np.maximum(np.abs(c), 1e-8)
                for i in range(n):
                    probe = c.copy()
                    probe[i] += h[i]
                    self._set_state(probe)
                    jac[:, i] = (self._rates() - f) / h[i]
                try:
                    step = (reduced_newton_step(jac, f, self._laws, c, totals) if len(self._laws)
                            else np.linalg.solve(jac, f))
                except np.linalg.LinAlgError as exc:
                    raise SimulationError(f"roadrunner: Newton polish failed: {exc}") from None
                damp = 1.0
                while np.any(c - damp * step <= 0) and damp > 1e-6:  # stay in the positive orthant
                    damp *= 0.5
                c = c - damp * step
                self._set_state(c)
                f = self._rates()
            return c, float(np.max(np.abs(f))) if n else 0.0

    def sensitivities(self, state: np.ndarray, parameters: Sequence[str], species: Sequence[str] | None = None, *,
                      inputs=None) -> np.ndarray:
        """d[species]/dk at the fixed point ``state``, (len(parameters),
        len(species)): roadrunner's unscaled concentration control
        coefficients (getuCC, its own MCA step: good to about 1e-3) when every
        parameter is a global of the loaded model; else the implicit-function
        derivative -J^-1 df/dk on roadrunner's own rates of change
        (``_implicit_sensitivities``)."""
        names, cols = self._columns(species)
        unknown = [p for p in parameters if p not in self.crn.parameter_index]
        if unknown:
            raise InputError(f"roadrunner: unknown rate parameter(s) {', '.join(unknown[:5])}")
        if not all(p in self._globals for p in parameters):
            return self._implicit_sensitivities(state, parameters, inputs)[:, cols]
        with self._run(inputs, None, state, initial=False):
            return np.array([[self.rr.getuCC(s, p) for s in names] for p in parameters]).reshape(len(parameters),
                                                                                                 len(names))

    def _implicit_sensitivities(self, state: np.ndarray, parameters: Sequence[str], inputs) -> np.ndarray:
        """dc/dk = -J^-1 df/dk at the fixed point, on every floating species:
        J by forward differences as in ``polish``; df/dk exactly, since each
        reaction's rate v is linear in its k: net stoichiometry * v / k, with
        v from roadrunner's own reaction rates."""
        with self._run(inputs, None, state, initial=False):
            c = self._state()
            f = self._rates()
            v = dict(zip(self.rr.model.getReactionIds(), np.asarray(self.rr.model.getReactionRates(), dtype=float)))
            jac = np.empty((c.size, c.size))
            h = 1e-7 * np.maximum(np.abs(c), 1e-8)
            for i in range(c.size):
                probe = c.copy()
                probe[i] += h[i]
                self._set_state(probe)
                jac[:, i] = (self._rates() - f) / h[i]
        row = {sid: i for i, sid in enumerate(self.species)}
        column = {p: j for j, p in enumerate(parameters)}
        dfdk = np.zeros((c.size, len(parameters)))
        for r in self.crn.reactions:
            k = self.crn.parameter_index[r.rate].value
            if r.rate in column:
                if k == 0:
                    raise UnsupportedError(f"roadrunner: rate constant {r.rate} is 0 and local to its kinetic law; "
                                           "load the model with rate_constants='global' for its sensitivity")
                for sid in dict.fromkeys(s for s, _ in r.reactants + r.products):
                    if sid in row:
                        dfdk[row[sid], column[r.rate]] += r.net_change(sid) * v[r.id] / k
        try:
            return -np.linalg.solve(jac, dfdk).T
        except np.linalg.LinAlgError as exc:
            raise SimulationError(f"roadrunner: the Jacobian at the fixed point is singular: {exc}") from None

    def close(self) -> None:
        if self._twin is not None:
            self._twin.close()
            self._twin = None

    def default_steady_state(self, *, inputs=None) -> np.ndarray:
        """roadrunner's own ``steadyState()`` (default solver, from the model's
        initial state), unchecked: what a user's plain call returns. Not what
        crn2sbml relies on (see ``find_steady_state``)."""
        with self._run(inputs, None, None):
            self.rr.steadyState()
            return self._state()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
