"""The one acceptance policy for steady states (docs/design.md, "How steady
states are found and accepted").

A candidate comes from any backend (:class:`~crn2sbml.simulate.base.Simulator`):
presimulate (``advance``) past the settling bound, then ``polish`` (Newton on
dc/dt = 0). It is accepted only if every concentration is positive and the
residual is small, and, when the network is known (a
:class:`~crn2sbml.reference.Reference`), only if every species sits at its
own fixed point of the forward pass. Otherwise simulate on, doubling the
span, and try again. The quadratic neuron has a negative root too, and a
Newton solver started badly lands on it; so a state is never reported
unchecked.

Without a network (an edited or foreign model) there is no settling bound and
no expected state: the policy presimulates ``UNCHECKED_HORIZON / kappa`` time
units, doubles until the polish no longer moves the state by more than
``SETTLED_RTOL`` (the trajectory has reached the fixed point's basin), and
marks the result as not checked against a network."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..crn import CRN
from ..errors import SimulationError, SteadyStateError
from ..network import Network
from ..reference import Reference
from .base import Parameters, Simulator, SteadyState

DEFAULT_RTOL = 1e-8
RETRIES = 3
UNCHECKED_HORIZON = 20.0  # first presimulation (in units of 1/kappa) when no network bounds the settling time
SETTLED_RTOL = 1e-3  # without a network: the largest relative move of the Newton polish we accept


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    if got.size == 0:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):  # a NaN result fails acceptance (see accept)
        return float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)))


def accept(
    crn: CRN,
    values: np.ndarray,
    residual: float,
    *,
    backend: str,
    rtol: float = DEFAULT_RTOL,
    presimulated: float = 0.0,
    expected_state: np.ndarray | None = None,
    expected_outputs: np.ndarray | None = None,
) -> SteadyState:
    """Accept a candidate fixed point (``crn.floating`` order) or raise
    :class:`SteadyStateError` naming what is wrong with it."""
    species = tuple(s.id for s in crn.floating)
    values = np.asarray(values, dtype=float)
    if values.shape != (len(species),):
        raise SteadyStateError(f"{backend}: candidate has {values.size} values for {len(species)} floating species")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        bad = [s for s, v in zip(species, values) if not (np.isfinite(v) and v > 0)]
        raise SteadyStateError(
            f"{backend}: candidate fixed point has non-positive concentrations ({', '.join(bad[:5])}); "
            "it is not the CRN's positive steady state; simulate longer before polishing"
        )
    output_values, scale = crn.output_readouts(values)
    output_values, scale = output_values[0], scale[0]
    err: float | None = None
    if expected_state is not None:
        # every species (each rail), not only the outputs, must sit at its own fixed point
        err = relative_error(values, expected_state)
        if expected_outputs is not None and expected_outputs.size:
            # a signed output is a difference of rails: its rounding is relative to the rails it combines
            with np.errstate(invalid="ignore", over="ignore"):  # non-finite values fail below, by name
                err = max(err, float(np.max(np.abs(output_values - expected_outputs)
                                            / np.maximum(np.maximum(scale, np.abs(expected_outputs)), 1e-300))))
    size = float(np.max(np.abs(values))) if values.size else 1.0
    # (written so that a NaN residual or error fails: NaN compares False)
    if not residual <= rtol * max(size, 1.0) * max(crn.speed, 1.0) or (err is not None and not err <= rtol):
        against = f"max relative error {err:.3g} against the forward pass, " if err is not None else ""
        raise SteadyStateError(f"{backend}: steady state does not check out ({against}residual {residual:.3g}); "
                               f"tolerance is {rtol:g}")
    return SteadyState(
        species=species,
        values=values,
        outputs=crn.output_names,
        output_values=output_values,
        expected=expected_outputs,
        residual=float(residual),
        max_rel_error=err,
        presimulated=float(presimulated),
        backend=backend,
        checked_against_network=expected_state is not None,
    )


def find_steady_state(
    sim: Simulator,
    reference: Reference | Network | None = None,
    *,
    inputs: Sequence[float] | np.ndarray | None = None,
    y0: np.ndarray | None = None,
    parameters: Parameters | None = None,
    rtol: float = DEFAULT_RTOL,
    horizon: float | None = None,
    retries: int = RETRIES,
) -> SteadyState:
    """Presimulate, polish, accept; on a failed acceptance simulate on
    (doubling the span) up to ``retries`` times. ``reference`` (the network)
    gives the settling bound and the expected state (a Network is taken as
    the reference for the simulator's CRN); rate-constant overrides
    (``parameters``) move the fixed point, so they are checked without it."""
    if isinstance(reference, Network):
        reference = Reference(reference, sim.crn)
    crn = sim.crn if inputs is None else sim.crn.with_inputs(inputs)
    x = crn.input_values
    checked = reference is not None and not parameters
    expected_state = expected_outputs = None
    if checked:
        assert reference is not None
        expected_state = reference.expected_state(x)[0]
        expected_outputs = reference.outputs(x)[0]
    if horizon is not None:
        span = float(horizon)
    elif reference is not None:
        span = reference.settling_time(x, tol=1e-6, speed=crn.speed)
    else:
        span = UNCHECKED_HORIZON / crn.speed
    if not (np.isfinite(span) and span > 0):  # a settling bound overflowed (rate constants near double range)
        span = UNCHECKED_HORIZON / crn.speed
    state = y0
    total = 0.0
    last: Exception | None = None
    for _ in range(retries + 1):
        state = sim.advance(span, y0=state, inputs=x, parameters=parameters)
        total += span
        try:
            values, residual = sim.polish(state, inputs=x, parameters=parameters)
            if not checked and relative_error(values, state) > SETTLED_RTOL:
                raise SteadyStateError(f"{sim.name}: the Newton polish moved the state by "
                                       f"{relative_error(values, state):.3g} (relative); not settled yet")
            return accept(crn, values, residual, backend=sim.name, rtol=rtol, presimulated=total,
                          expected_state=expected_state, expected_outputs=expected_outputs)
        except SimulationError as exc:  # a failed polish or check: keep integrating
            last = exc
        if not np.all(np.isfinite(state)):
            break
        state = np.maximum(state, 0.0)  # integrators overshoot zero by rounding; the model's state is >= 0
        span *= 2
    raise SteadyStateError(f"{sim.name} found no checked steady state after simulating {total:.3g} time units: {last}")
