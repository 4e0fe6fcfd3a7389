"""libRoadRunner backend: stiff time courses and a checked steady state.

Loading is configured as measured in DESIGN.md section 4 (LLJIT, no LLVM
optimisation, no Python dynamic properties, no conserved-moiety analysis).
The steady state is never roadrunner's raw answer: we presimulate past the
convergence bound, then Newton-polish on roadrunner's rates, then check
against the forward pass."""

from __future__ import annotations

import contextlib
from dataclasses import replace
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from ..crn import CRN
from ..emit.sbml import stream_sbml
from ..errors import SteadyStateError
from ..network import Network
from ..theory import settling_time
from .base import SteadyState, TimeCourse, checked_steady_state

_configured = False


def _roadrunner():  # imported lazily: loading LLVM is not free
    global _configured
    import roadrunner

    if not _configured:
        cfg = roadrunner.Config
        cfg.setValue(cfg.LLVM_BACKEND, cfg.LLJIT)
        cfg.setValue(cfg.LLJIT_OPTIMIZATION_LEVEL, cfg.NONE)
        cfg.setValue(cfg.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES, True)
        # Conserved-moiety analysis stays off (roadrunner's default; these
        # CRNs have no conservation laws). Setting the related warning flag
        # crashes roadrunner 2.10, so it is left alone.
        _configured = True
    return roadrunner


# Compiled models are cached with roadrunner's own saveState/loadState: JIT
# time grows about quadratically with the reaction count (3.4 s at 4,958
# reactions, 37 s at 17,246, 7-11 min at 79,730 here); loadState skips the JIT
# (1.2 s against 7.0 s at 4,958 reactions, 54 s against 644 s at 79,730).
CACHE_ENV = "CRN2SBML_CACHE_DIR"  # a folder, or "none" to turn the cache off
CACHE_MIN_REACTIONS = 2000  # by default only models whose JIT takes seconds are cached
_CACHE_FORMAT = "crn2sbml-rr-1 LLJIT NONE no-dynamic-properties"


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


def model_text(crn: CRN, sbml: str | None = None) -> str:
    """The SBML roadrunner loads for ``crn``: ``sbml`` as given, else emitted
    with the inputs at 0. Inputs are set after loading, so one compiled (and
    cached) model serves every input."""
    if sbml is not None:
        return sbml
    inputs_at_zero = tuple(replace(s, initial=0.0) if s.boundary else s for s in crn.species)
    return "".join(stream_sbml(replace(crn, species=inputs_at_zero)))


def load_roadrunner(sbml: str, cache: Path | None = None):
    """A RoadRunner for ``sbml``, restored from ``cache`` when it holds this
    model's compiled state, else JIT-compiled (and saved there). A cache that
    cannot be read or written only costs the compile."""
    rr_mod = _roadrunner()
    path = cache_file(sbml, cache) if cache is not None else None
    if path is not None and path.is_file():
        rr = rr_mod.RoadRunner()
        try:
            rr.loadState(str(path))
            return rr
        except RuntimeError:
            pass  # stale or damaged: compile again and overwrite
    rr = rr_mod.RoadRunner(sbml)
    if path is not None:
        with contextlib.suppress(OSError, RuntimeError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            os.close(fd)
            try:
                rr.saveState(tmp)
                os.replace(tmp, path)
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    return rr


class RoadRunnerSimulator:
    """A loaded model. ``crn`` is the IR; ``sbml`` may be given to load an
    existing file's text instead of re-emitting it. ``cache``: a folder for
    compiled models, True for the default one, False for none; by default
    models of ``CACHE_MIN_REACTIONS`` or more reactions use the default folder."""

    name = "roadrunner"

    def __init__(self, crn: CRN, sbml: str | None = None, *, rtol: float = 1e-10, atol: float = 1e-14,
                 cache: bool | str | os.PathLike[str] | None = None):
        self.crn = crn
        self.rr = load_roadrunner(model_text(crn, sbml), _cache_folder(cache, len(crn.reactions)))
        # (conservedMoietyAnalysis is off by default; even assigning False
        # to it regenerates the model, seconds on mid-size networks.)
        integ = self.rr.getIntegrator()
        integ.setValue("relative_tolerance", rtol)
        integ.setValue("absolute_tolerance", atol)
        integ.setValue("maximum_num_steps", 200000)
        self.floating = tuple(self.rr.model.getFloatingSpeciesIds())
        self.set_inputs(crn.input_values)

    def set_inputs(self, values) -> None:
        """Set the network-level inputs (encoded into the input species, held
        constant) and reset neurons to their initial values."""
        self.crn = self.crn.with_inputs(values)
        # The ExecutableModel's setter: RoadRunner.setValue("init(...)")
        # regenerates the whole model (seconds on mid-size networks).
        for s in self.crn.inputs:
            self.rr.model.setValue(f"init([{s.id}])", s.initial)
            self.rr.model.setValue(f"[{s.id}]", s.initial)
        self.rr.reset()

    def set_state(self, values: np.ndarray) -> None:
        """Set the current neuron concentrations (floating species order)."""
        self.rr.model.setFloatingSpeciesConcentrations(np.asarray(values, dtype=float))

    def time_course(self, t_end: float, points: int = 101, species: list[str] | None = None, *, reset: bool = True) -> TimeCourse:
        if reset:
            self.rr.reset()
        names = tuple(species) if species else self.floating
        self.rr.timeCourseSelections = ["time"] + [f"[{s}]" for s in names]
        result = np.array(self.rr.simulate(0.0, float(t_end), int(points)))
        return TimeCourse(result[:, 0].copy(), names, result[:, 1:].copy())

    def rates_of_change(self) -> np.ndarray:
        return np.asarray(self.rr.getRatesOfChange(), dtype=float)

    def _state(self) -> np.ndarray:
        return np.asarray(self.rr.model.getFloatingSpeciesConcentrations(), dtype=float)

    def polish(self, iterations: int = 25) -> tuple[np.ndarray, float]:
        """Newton on roadrunner's own rates of change, with a finite-difference
        Jacobian (n+1 model evaluations). roadrunner's getFullJacobian and
        NLEQ2 build elasticities reaction by reaction: 26 s for a 32-32-10
        model here, against milliseconds for this."""
        c = self._state()
        f = self.rates_of_change()
        n = c.size
        for _ in range(iterations):
            if n == 0 or float(np.max(np.abs(f))) <= 1e-15 * max(1.0, float(np.max(c))):
                break
            jac = np.empty((n, n))
            h = 1e-7 * np.maximum(np.abs(c), 1e-8)
            for i in range(n):
                probe = c.copy()
                probe[i] += h[i]
                self.set_state(probe)
                jac[:, i] = (self.rates_of_change() - f) / h[i]
            step = np.linalg.solve(jac, f)
            damp = 1.0
            while np.any(c - damp * step <= 0) and damp > 1e-6:  # stay in the positive orthant
                damp *= 0.5
            c = c - damp * step
            self.set_state(c)
            f = self.rates_of_change()
        return c, float(np.max(np.abs(f))) if n else 0.0

    def steady_state(self, network: Network, *, rtol: float = 1e-8, horizon: float | None = None, retries: int = 3) -> SteadyState:
        """Presimulate past the convergence bound, Newton-polish, check.
        On a failed check simulate on (doubling the horizon) and try again."""
        x = self.crn.input_values
        t = horizon if horizon is not None else settling_time(network, x, self.crn.speed, tol=1e-6)
        self.rr.reset()
        self.rr.timeCourseSelections = ["time"]
        total = 0.0
        last: Exception | None = None
        for _ in range(retries + 1):
            self.rr.simulate(total, total + t, 2)
            total += t
            state = self._state()
            try:
                values, residual = self.polish()
                return checked_steady_state(
                    self.crn, network, self.floating, values, residual, total, self.name, rtol
                )
            except (np.linalg.LinAlgError, SteadyStateError) as exc:
                last = exc
                self.set_state(state)  # undo a bad polish, keep integrating
                t *= 2
        raise SteadyStateError(f"roadrunner found no checked steady state after simulating {total:.3g} time units: {last}")
