"""Check 3: the accepted steady state (roadrunner, or the batch simulator on
models too large for roadrunner's JIT: presimulate, Newton-polish, accept;
crn2sbml.simulate.acceptance) equals the forward pass, every concentration
positive. On a model that encodes no network (foreign) the steady state is
still found and must be positive with a small residual; it is reported as
not checked against a network."""

from __future__ import annotations

import numpy as np

from ..compile import start_box
from ..errors import SimulationError
from ..simulate import RoadRunnerSimulator, find_steady_state
from .result import CheckResult
from .subject import Options, Subject, no_network, not_simulable

RAW_SOLVER_MAX_REACTIONS = 200  # NLEQ2 ran 850 s on a 64-64-10 model (docs/design.md section 4)


def raw_steady_states(subject: Subject, sim: RoadRunnerSimulator, xs: np.ndarray) -> dict:
    """For the record: roadrunner's own steadyState() (default solver, from
    the model's initial state), unchecked, against the forward pass, on every
    sampled input: what a user's plain call returns. Not what the check relies on."""
    right, rows = 0, []
    for x in xs:
        try:
            values = sim.default_steady_state(inputs=x)
        except SimulationError as exc:
            rows.append({"input": x, "error": str(exc)})
            continue
        want = subject.expected_state(x)[0]
        err = float(np.max(np.abs(values - want) / want)) if want.size else 0.0
        rows.append({"input": x, "min_concentration": float(np.min(values, initial=np.inf)), "max_rel_error": err})
        right += int(np.all(values > 0) and err <= 1e-6)
    return {"right": right, "inputs": len(xs), "runs": rows}


def _in_box(x: np.ndarray, box: tuple[np.ndarray, np.ndarray] | None) -> bool:
    return box is not None and bool(np.all((x >= box[0]) & (x <= box[1])))


def check_fixed_point(subject: Subject, options: Options) -> CheckResult:
    refused = not_simulable("fixed_point", subject)
    if refused:
        return refused
    if subject.network is None and not subject.model.foreign:
        return no_network("fixed_point", subject)
    skipped = subject.roadrunner_skipped(options)
    sim = subject.steady_simulator(options)
    reference = subject.reference
    xs = options.inputs(subject.crn, options.fixed_point_inputs, salt=3)
    errors, residuals, minima = [], [], []
    how = ("batch simulator: backward Euler on the layer polynomials to the settling bound, Newton polish on the "
           "mass-action rates" if skipped else
           "roadrunner CVODE to the settling bound, Newton polish on roadrunner's rates")
    accepted = "positive and equal to the forward pass" if reference else "positive with a small residual"
    figures: dict = {"tolerance_rel": options.rtol, "inputs": xs, "simulator": sim.name,
                     "method": f"{how}, accepted only if {accepted}", "checked_against_network": reference is not None}
    if skipped:
        figures["roadrunner"] = skipped
    for x in xs:
        try:
            ss = find_steady_state(sim, reference, inputs=x, rtol=options.rtol)
        except SimulationError as exc:
            figures.update(max_rel_error=max(errors, default=None))
            return CheckResult("fixed_point", False, f"input {np.array2string(x, precision=3, threshold=6)}: {exc}", figures)
        errors.append(ss.max_rel_error or 0.0)
        residuals.append(ss.residual)
        minima.append(float(np.min(ss.values, initial=np.inf)))
    figures.update(max_rel_error=max(errors) if reference else None, max_residual=max(residuals),
                   min_concentration=min(minima))
    if reference is None:
        return CheckResult("fixed_point", True, f"{len(xs)} inputs: a positive steady state with residual "
                           f"{max(residuals):.1e}, min concentration {min(minima):.3g} > 0 (not checked against a "
                           "network: the model encodes none)", figures)
    notes = [f"{sim.name}; {skipped}"] if skipped else []
    held = start_box(subject.crn, subject.network)
    names = subject.crn.input_names
    figures["start_box"] = None if held is None else {n: [float(lo), float(hi)] for n, lo, hi in zip(names, *held)}
    if held is None:
        notes.append("the model's initial state is not above its fixed point: a plain steadyState() may find a "
                     "negative root")
    else:
        box = ", ".join(f"{n} in [{lo:.4g}, {hi:.4g}]" for n, lo, hi in zip(names, *held))
        notes.append(f"the initial state is above the fixed point for inputs in {box}; beyond it, simulate first")
    if isinstance(sim, RoadRunnerSimulator) and len(subject.crn.reactions) <= RAW_SOLVER_MAX_REACTIONS:
        raw = figures["roadrunner_default_solver"] = raw_steady_states(subject, sim, xs)
        if raw["right"] < raw["inputs"]:
            inside = sum(_in_box(r["input"], held) and r.get("max_rel_error", 1.0) > 1e-6 for r in raw["runs"])
            notes.append(f"roadrunner's unchecked steadyState() is right on {raw['right']} of {raw['inputs']} "
                         f"inputs ({inside} wrong inside that box): simulate first, then solve")
    note = f" ({'; '.join(notes)})"
    return CheckResult("fixed_point", True, f"{len(xs)} inputs: steady state equals the forward pass to "
                       f"{max(errors):.1e} (tolerance {options.rtol:g}), min concentration {min(minima):.3g} > 0"
                       + note, figures)
