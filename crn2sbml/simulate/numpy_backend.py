"""An independent simulator built from the IR alone: a vectorized mass-action
right-hand side with its analytic sparse Jacobian, scipy's stiff BDF solver,
and a Newton polish. It shares no code with roadrunner, so the two
cross-check each other."""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp
from scipy.sparse.linalg import MatrixRankWarning, splu, spsolve

from ..crn import CRN
from ..errors import InputError, SimulationError
from ._conservation import conservation_laws, reduced_newton_step, stoichiometry_matrix
from .base import Capability, Parameters, SimulatorBase, TimeCourse, check_time


class MassActionSystem:
    """dc/dt = S @ (speed * k * prod_j c[idx_j] ** pow_j) over the floating species.

    Boundary species (inputs) and a constant 1 are appended to the state so
    every reaction has the same number of reactant slots."""

    def __init__(self, crn: CRN):
        self.crn = crn
        self.floating = tuple(s.id for s in crn.floating)
        boundary = [s for s in crn.species if s.boundary]
        pos = {sid: i for i, sid in enumerate(self.floating)}
        n = len(self.floating)
        pos.update({s.id: n + i for i, s in enumerate(boundary)})
        self.n = n
        self.one = n + len(boundary)  # index of the constant 1
        self.fixed = np.array([s.initial for s in boundary] + [1.0])
        params = crn.parameter_index
        slots = max((len(r.reactants) for r in crn.reactions), default=1) or 1
        R = len(crn.reactions)
        self.k = np.array([crn.speed * params[r.rate].value for r in crn.reactions])
        self.idx = np.full((R, slots), self.one, dtype=np.int64)
        self.pow = np.ones((R, slots))
        for j, r in enumerate(crn.reactions):
            for m, (s, c) in enumerate(r.reactants):
                self.idx[j, m] = pos[s]
                self.pow[j, m] = c
        self.S = stoichiometry_matrix(crn)
        # Jacobian pattern: d rate_j / d c_i for every floating reactant slot
        self._jmask = self.idx < n
        self._drows, self._dslot = np.nonzero(self._jmask)
        self._dcols = self.idx[self._drows, self._dslot]
        # reactant slots repeated by stoichiometry (X + 2Y -> X, Y, Y), padded with the constant 1
        order = max((sum(c for _, c in r.reactants) for r in crn.reactions), default=1) or 1
        self._factors = np.full((R, order), self.one, dtype=np.int64)
        for j, r in enumerate(crn.reactions):
            flat = [pos[s] for s, c in r.reactants for _ in range(c)]
            self._factors[j, : len(flat)] = flat

    def set_inputs(self, values: np.ndarray) -> None:
        self.fixed[:-1] = values

    def _full(self, c: np.ndarray) -> np.ndarray:
        return np.concatenate([c, self.fixed])

    def rates(self, c: np.ndarray) -> np.ndarray:
        # one gather-multiply per slot of the stoichiometry-expanded index:
        # np.prod over a short axis and float powers cost 10x on 80,000 reactions
        full = self._full(c)
        out = self.k * full[self._factors[:, 0]]
        for m in range(1, self._factors.shape[1]):
            out *= full[self._factors[:, m]]
        return out

    def rhs(self, t: float, c: np.ndarray) -> np.ndarray:
        return self.S @ self.rates(c)

    def jacobian(self, t: float, c: np.ndarray) -> sp.csr_matrix:
        full = self._full(c)
        base = full[self.idx]
        terms = base ** self.pow
        j, m = self._drows, self._dslot
        # d/dc of c^p is p c^(p-1); the other slots' factors multiply it
        others = np.prod(np.where(np.arange(terms.shape[1]) == m[:, None], 1.0, terms[j]), axis=1)
        d = self.k[j] * self.pow[j, m] * base[j, m] ** (self.pow[j, m] - 1) * others
        D = sp.csr_matrix((d, (j, self._dcols)), shape=(len(self.k), self.n))
        return (self.S @ D).tocsc()


class NumpySimulator(SimulatorBase):
    """The IR's mass-action ODEs in scipy (BDF with the analytic sparse
    Jacobian, rtol 1e-10) and a Newton polish on the same rates."""

    name = "numpy"
    capabilities = frozenset({Capability.STEADY_STATE, Capability.TIME_COURSE, Capability.SENSITIVITIES})

    def __init__(self, crn: CRN):
        super().__init__(crn)
        self.system = MassActionSystem(crn)
        self._k = self.system.k.copy()
        self._rate_ids = np.array([r.rate for r in crn.reactions])
        self._laws = conservation_laws(self.system.S)  # conserved moieties: (0, n) for crn2sbml's networks

    def _configure(self, inputs, parameters: Parameters | None) -> MassActionSystem:
        """The system at these inputs and rate constants (set on every call, so nothing leaks between calls)."""
        system = self.system
        system.set_inputs(self._input_species(inputs))
        system.k = self._k
        overrides = self._rate_values(parameters)
        if overrides:
            system.k = self._k.copy()
            for pid, value in overrides.items():
                system.k[self._rate_ids == pid] = self.crn.speed * value
        return system

    def _integrate(self, system: MassActionSystem, start: np.ndarray, t_end: float, t_eval=None):
        # a broken model (NaN rates, unbounded growth) overflows or makes BDF's
        # factorisation singular: the solver's failure becomes SimulationError
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", MatrixRankWarning)
            try:
                sol = solve_ivp(system.rhs, (0.0, t_end), start, method="BDF", jac=system.jacobian,
                                t_eval=t_eval, rtol=1e-10, atol=1e-14)
            except (RuntimeError, ValueError, ArithmeticError) as exc:
                raise SimulationError(f"numpy simulator: integration failed before t={t_end:.3g}: {exc}") from None
        if not sol.success or not np.all(np.isfinite(sol.y)):
            raise SimulationError(f"numpy simulator: integration failed before t={t_end:.3g}: {sol.message}")
        return sol

    def time_course(self, t_end: float, points: int = 101, species: Sequence[str] | None = None, *,
                    y0: np.ndarray | None = None, inputs=None, parameters: Parameters | None = None) -> TimeCourse:
        t_end, points = check_time(t_end, points)
        names, cols = self._columns(species)
        system = self._configure(inputs, parameters)
        sol = self._integrate(system, self._start(y0), t_end, np.linspace(0.0, t_end, points))
        return TimeCourse(sol.t, names, sol.y[cols].T.copy())

    def advance(self, t_end: float, *, y0: np.ndarray | None = None, inputs=None,
                parameters: Parameters | None = None) -> np.ndarray:
        system = self._configure(inputs, parameters)
        return self._integrate(system, self._start(y0), float(t_end)).y[:, -1].copy()

    def rates(self, state: np.ndarray, *, inputs=None, parameters: Parameters | None = None) -> np.ndarray:
        return self._configure(inputs, parameters).rhs(0.0, np.asarray(state, dtype=float))

    def polish(self, state: np.ndarray, *, inputs=None, parameters: Parameters | None = None,
               iterations: int = 30) -> tuple[np.ndarray, float]:
        """Newton on dc/dt = 0 from a presimulated state, on the plane of its
        conserved totals when the model has conservation laws."""
        sysm = self._configure(inputs, parameters)
        c = np.asarray(state, dtype=float).copy()
        totals = self._laws @ c
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", MatrixRankWarning)  # a singular Jacobian is reported below
            for _ in range(iterations if c.size else 0):
                f = sysm.rhs(0.0, c)
                try:
                    if len(self._laws):
                        step = reduced_newton_step(sysm.jacobian(0.0, c).toarray(), f, self._laws, c, totals)
                    else:
                        step = np.atleast_1d(spsolve(sysm.jacobian(0.0, c), f))
                except (RuntimeError, np.linalg.LinAlgError) as exc:  # scipy: RuntimeError on exact singularity
                    raise SimulationError(f"numpy simulator: Newton polish failed: {exc}") from None
                if not np.all(np.isfinite(step)):
                    raise SimulationError("numpy simulator: Newton polish failed: singular Jacobian")
                c = c - step
                if np.max(np.abs(step), initial=0.0) <= 1e-15 * max(1.0, float(np.max(np.abs(c), initial=0.0))):
                    break
            residual = float(np.max(np.abs(sysm.rhs(0.0, c)))) if c.size else 0.0
        return c, residual

    def sensitivities(self, state: np.ndarray, parameters: Sequence[str], species: Sequence[str] | None = None, *,
                      inputs=None) -> np.ndarray:
        """d(species)/d(rate constant) at the fixed point ``state`` by the
        implicit function theorem, J dy = -dF/dk over all floating species at
        once, (len(parameters), len(species)). Knows nothing of layers or rails."""
        names, cols = self._columns(species)
        system = self._configure(inputs, None)
        state = np.asarray(state, dtype=float)
        full = np.concatenate([state, system.fixed])
        monomial = np.prod(full[system.idx] ** system.pow, axis=1)  # rate / (speed * k)
        known = self.crn.parameter_index
        unknown = [p for p in parameters if p not in known]
        if unknown:
            raise InputError(f"numpy: unknown rate parameter(s) {', '.join(unknown[:5])}")
        columns = np.zeros((len(self.crn.reactions), len(parameters)))
        for col, pid in enumerate(parameters):
            hit = self._rate_ids == pid
            columns[hit, col] = self.crn.speed * monomial[hit]
        dF = system.S @ columns  # (n, P)
        if not system.n:
            return np.zeros((len(parameters), 0))
        try:
            dy = splu(system.jacobian(0.0, state).tocsc()).solve(-np.asarray(dF))
        except RuntimeError as exc:
            raise SimulationError(f"numpy: the Jacobian at the fixed point is singular ({exc})") from None
        return np.asarray(dy).reshape(system.n, len(parameters)).T[:, cols]
