"""The contract every simulator backend implements, and the result types they
return. Backends know only the CRN: they return *unchecked* states and
trajectories. Whether a state is the CRN's answer is decided in one place,
:mod:`crn2sbml.simulate.acceptance` (docs/design.md, "How steady states are
found and accepted").

Every call is self-contained: it starts from ``y0`` (default: the model's
initial state) with the given ``inputs`` (default: the simulator's current
inputs) and rate-constant overrides ``parameters`` (default: none), and leaves
nothing behind for the next call. So simulators can be shared without one
caller's run depending on another's."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from ..crn import CRN
from ..errors import InputError, UnsupportedError

Parameters = Mapping[str, float]


class Capability(str, enum.Enum):
    """What a backend can do, so callers ask instead of special-casing names."""

    STEADY_STATE = "steady_state"  # advance + polish: candidates for the acceptance check
    TIME_COURSE = "time_course"  # accurate trajectories (error-controlled integration)
    SENSITIVITIES = "sensitivities"  # d(state)/d(rate constant) at a fixed point
    BATCH = "batch"  # many inputs / initial states / rate sets in one call
    STOCHASTIC = "stochastic"  # finite-molecule-count (Gillespie) runs


@dataclass(frozen=True)
class TimeCourse:
    time: np.ndarray  # (points,)
    species: tuple[str, ...]
    values: np.ndarray  # (points, len(species))

    def __getitem__(self, species: str) -> np.ndarray:
        return self.values[:, self.species.index(species)]


@dataclass(frozen=True)
class SteadyState:
    """An accepted steady state: every concentration positive and the residual
    small; when a network is known, also equal to its forward pass
    (``checked_against_network``; else ``expected`` and ``max_rel_error`` are None)."""

    species: tuple[str, ...]  # floating species
    values: np.ndarray
    outputs: tuple[str, ...]  # network output names (readouts of rail units); () for a foreign model
    output_values: np.ndarray
    expected: np.ndarray | None  # the network's forward pass
    residual: float  # max |d[S]/dt| at the returned state
    max_rel_error: float | None  # against the forward pass
    presimulated: float  # time units simulated before the Newton polish
    backend: str
    checked_against_network: bool = True

    def __getitem__(self, species: str) -> float:
        return float(self.values[self.species.index(species)])


@runtime_checkable
class Simulator(Protocol):
    """One backend. State vectors are always in ``species`` order, which is
    the CRN's floating-species order (``crn.floating``) whatever order the
    underlying tool uses."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    crn: CRN
    species: tuple[str, ...]

    def set_inputs(self, values: Sequence[float] | np.ndarray) -> None:
        """Make ``values`` (network-level inputs) the default of later calls."""

    def time_course(self, t_end: float, points: int = 101, species: Sequence[str] | None = None, *,
                    y0: np.ndarray | None = None, inputs: Sequence[float] | np.ndarray | None = None,
                    parameters: Parameters | None = None) -> TimeCourse:
        """Concentrations of ``species`` (default: every floating species) at
        ``points`` evenly spaced times from 0 to ``t_end``."""

    def advance(self, t_end: float, *, y0: np.ndarray | None = None,
                inputs: Sequence[float] | np.ndarray | None = None,
                parameters: Parameters | None = None) -> np.ndarray:
        """The state at ``t_end``."""

    def polish(self, state: np.ndarray, *, inputs: Sequence[float] | np.ndarray | None = None,
               parameters: Parameters | None = None) -> tuple[np.ndarray, float]:
        """Newton on dc/dt = 0 from ``state``: (state, max |dc/dt| there), unchecked."""

    def rates(self, state: np.ndarray, *, inputs: Sequence[float] | np.ndarray | None = None,
              parameters: Parameters | None = None) -> np.ndarray:
        """dc/dt at ``state`` as the backend's own model computes it."""

    def close(self) -> None:
        """Release the backend's resources (idempotent)."""


class SimulatorBase:
    """What every backend shares: the CRN, its species order, the inputs
    default and argument checks. Subclasses set ``name`` and ``capabilities``."""

    name: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()

    def __init__(self, crn: CRN):
        self.crn = crn
        self.species = tuple(s.id for s in crn.floating)
        self.initial = np.array([s.initial for s in crn.floating], dtype=float)

    def set_inputs(self, values: Sequence[float] | np.ndarray) -> None:
        self.crn = self.crn.with_inputs(values)

    def _crn_for(self, inputs: Sequence[float] | np.ndarray | None) -> CRN:
        return self.crn if inputs is None else self.crn.with_inputs(inputs)

    def _input_species(self, inputs: Sequence[float] | np.ndarray | None) -> np.ndarray:
        """Concentrations of the input species (``crn.inputs`` order) for these network-level inputs."""
        vals = None if inputs is None else np.asarray(inputs, dtype=float)
        if vals is None or vals.shape != (len(self.crn.input_names),):  # no inputs, or with_inputs' message
            return np.array([s.initial for s in self._crn_for(inputs).inputs], dtype=float)
        return self.crn.encode_inputs(vals)[0]  # not with_inputs: a whole CRN (0.2 s at 80,000 reactions) for n values

    def _start(self, y0: np.ndarray | None, *, initial: bool = True) -> np.ndarray:
        """A state vector: an initial state (finite, >= 0) or, with ``initial``
        False, any finite state (rates and Newton may visit negative ones)."""
        if y0 is None:
            return self.initial.copy()
        start = np.asarray(y0, dtype=float)
        if start.shape != self.initial.shape or not np.all(np.isfinite(start)) or (initial and np.any(start < 0)):
            kind = "finite, non-negative" if initial else "finite"
            raise InputError(f"{self.name}: a state must be {len(self.species)} {kind} concentrations in "
                             f"floating-species order ({', '.join(self.species[:5])}...); got "
                             f"{np.array2string(start, precision=3, threshold=6)}")
        return start

    def _rate_values(self, parameters: Parameters | None) -> dict[str, float]:
        """Checked overrides: known rate parameters, finite values >= 0."""
        if not parameters:
            return {}
        known = self.crn.parameter_index
        out = {}
        for pid, value in parameters.items():
            if pid not in known:
                raise InputError(f"{self.name}: unknown rate parameter '{pid}' in parameters; the model's rate "
                                 f"parameters are {', '.join(list(known)[:5])}...")
            v = float(value)
            if not (np.isfinite(v) and v >= 0):
                raise InputError(f"{self.name}: parameter {pid} = {value!r}; a rate constant is a finite number >= 0")
            out[pid] = v
        return out

    def _columns(self, species: Sequence[str] | None) -> tuple[tuple[str, ...], list[int]]:
        names = tuple(species) if species else self.species
        index = {s: i for i, s in enumerate(self.species)}
        missing = [s for s in names if s not in index]
        if missing:
            raise InputError(f"{self.name}: unknown species {', '.join(missing[:5])}; the floating species are "
                             f"{', '.join(self.species[:8])}")
        return names, [index[s] for s in names]

    def time_course(self, t_end: float, points: int = 101, species: Sequence[str] | None = None, *,
                    y0: np.ndarray | None = None, inputs: Sequence[float] | np.ndarray | None = None,
                    parameters: Parameters | None = None) -> TimeCourse:
        raise UnsupportedError(f"the {self.name} simulator does not compute time courses "
                               "(its capabilities: " + ", ".join(c.value for c in self.capabilities) + ")")

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_time(t_end: float, points: int) -> tuple[float, int]:
    t, n = float(t_end), int(points)
    if not (np.isfinite(t) and t > 0):
        raise InputError(f"time-course length is {t_end!r}; give a finite number > 0")
    if n < 2:
        raise InputError(f"time-course points is {points}; give at least 2")
    return t, n
