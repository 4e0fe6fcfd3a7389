"""Result types shared by the simulators, and the check every steady state
passes before anyone sees it (DESIGN.md section 5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..compile import expected_state
from ..crn import CRN
from ..errors import SteadyStateError
from ..network import Network


@dataclass(frozen=True)
class TimeCourse:
    time: np.ndarray  # (points,)
    species: tuple[str, ...]
    values: np.ndarray  # (points, len(species))

    def __getitem__(self, species: str) -> np.ndarray:
        return self.values[:, self.species.index(species)]


@dataclass(frozen=True)
class SteadyState:
    """A checked steady state: positive, small residual, equal to the forward pass."""

    species: tuple[str, ...]  # floating species
    values: np.ndarray
    outputs: tuple[str, ...]  # network output names (readouts of rail units)
    output_values: np.ndarray
    expected: np.ndarray  # the network's forward pass
    residual: float  # max |d[S]/dt| at the returned state
    max_rel_error: float  # against the forward pass
    presimulated: float  # time units simulated before the Newton polish
    backend: str

    def __getitem__(self, species: str) -> float:
        return float(self.values[self.species.index(species)])


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    return float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)))


def checked_steady_state(
    crn: CRN,
    network: Network,
    species: tuple[str, ...],
    values: np.ndarray,
    residual: float,
    presimulated: float,
    backend: str,
    rtol: float,
) -> SteadyState:
    """Accept a candidate fixed point only if every concentration is positive,
    the residual is small and the outputs match the forward pass."""
    values = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        bad = [s for s, v in zip(species, values) if not (np.isfinite(v) and v > 0)]
        raise SteadyStateError(
            f"{backend}: candidate fixed point has non-positive concentrations ({', '.join(bad[:5])}); "
            "it is not the CRN's positive steady state — simulate longer before polishing"
        )
    index = {s: i for i, s in enumerate(species)}
    # every species (each rail), not only the outputs, must sit at its own
    # fixed point sigma(s_r z + t_r) of the forward pass
    neurons = [k for k, s in enumerate(crn.species) if not s.boundary]
    want = expected_state(crn, network)[neurons]
    got = np.array([values[index[crn.species[k].id]] for k in neurons])
    err = relative_error(got, want)
    # outputs are readouts (differences of rails for signed activations):
    # their rounding error is relative to the rails they combine
    conc = {**{s.id: s.initial for s in crn.inputs}, **dict(zip(species, values.tolist()))}
    expected = np.asarray(network.forward(crn.input_values), dtype=float)
    last = len(crn.layers)
    readouts = [crn.readout(last, u) for u in range(len(expected))]
    output_values = np.array([r.value(conc) for r in readouts])
    scale = np.array([max(r.scale(conc), abs(e)) for r, e in zip(readouts, expected)])
    err = max(err, float(np.max(np.abs(output_values - expected) / np.maximum(scale, 1e-300))))
    scale = float(np.max(np.abs(values))) if values.size else 1.0
    if err > rtol or residual > rtol * max(scale, 1.0) * max(crn.speed, 1.0):
        raise SteadyStateError(
            f"{backend}: steady state does not check out (max relative error {err:.3g} against the "
            f"forward pass, residual {residual:.3g}); tolerance is {rtol:g}"
        )
    return SteadyState(
        species=tuple(species),
        values=values,
        outputs=crn.output_names,
        output_values=output_values,
        expected=expected,
        residual=float(residual),
        max_rel_error=err,
        presimulated=presimulated,
        backend=backend,
    )
