"""Check 3: the checked steady state (roadrunner, or the numpy backend on
models too large for roadrunner's JIT: presimulate, Newton-polish, check)
equals the forward pass, every concentration positive."""

from __future__ import annotations

import numpy as np

from ..errors import SteadyStateError
from .result import CheckResult
from .subject import Options, Subject, no_network

RAW_SOLVER_MAX_REACTIONS = 200  # NLEQ2 ran 850 s on a 64-64-10 model (DESIGN.md section 4)


def raw_steady_state(subject: Subject, x: np.ndarray) -> dict:
    """For the record: roadrunner's own steadyState() (default solver, from the
    model's initial state), unchecked, against the forward pass. It is not
    what the check relies on; on random_4_8_8_3 at the midpoint it returns
    negative concentrations."""
    sim = subject.roadrunner
    sim.set_inputs(x)
    try:
        sim.rr.steadyState()
    except RuntimeError as exc:
        return {"input": x, "error": str(exc).splitlines()[0]}
    finally:  # later checks must find the model at its initial state
        values = np.asarray(sim.rr.model.getFloatingSpeciesConcentrations(), dtype=float)
        sim.rr.reset()
    order = [s.id for s in subject.crn.floating]
    want = subject.expected_state(x)[0][[order.index(f) for f in sim.floating]]
    return {"input": x, "min_concentration": float(np.min(values)),
            "max_rel_error": float(np.max(np.abs(values - want) / want))}


def check_fixed_point(subject: Subject, options: Options) -> CheckResult:
    if subject.network is None:
        return no_network("fixed_point", subject)
    skipped = subject.roadrunner_skipped(options)
    sim = subject.steady_simulator(options)
    xs = options.inputs(subject.crn, options.fixed_point_inputs, salt=3)
    errors, residuals, minima = [], [], []
    how = ("numpy backend: sparse BDF to the settling bound, Newton polish on the mass-action rates" if skipped else
           "roadrunner CVODE to the settling bound, Newton polish on roadrunner's rates")
    figures: dict = {"tolerance_rel": options.rtol, "inputs": xs, "simulator": sim.name,
                     "method": f"{how}, accepted only if positive and equal to the forward pass"}
    if skipped:
        figures["roadrunner"] = skipped
    for x in xs:
        sim.set_inputs(x)
        try:
            ss = sim.steady_state(subject.network, rtol=options.rtol)
        except SteadyStateError as exc:
            figures.update(max_rel_error=max(errors, default=None))
            return CheckResult("fixed_point", False, f"input {np.array2string(x, precision=3, threshold=6)}: {exc}", figures)
        errors.append(ss.max_rel_error)
        residuals.append(ss.residual)
        minima.append(float(np.min(ss.values)))
    figures.update(max_rel_error=max(errors), max_residual=max(residuals), min_concentration=min(minima))
    note = f" ({sim.name}; {skipped})" if skipped else ""
    if not skipped and len(subject.crn.reactions) <= RAW_SOLVER_MAX_REACTIONS:
        raw = figures["roadrunner_default_solver"] = raw_steady_state(subject, xs[2])
        if raw.get("max_rel_error", 0.0) > options.rtol:
            note = (f" (roadrunner's unchecked steadyState() at the midpoint: min concentration "
                    f"{raw['min_concentration']:.3g}, off by {raw['max_rel_error']:.3g})")
    return CheckResult("fixed_point", True, f"{len(xs)} inputs: steady state equals the forward pass to "
                       f"{max(errors):.1e} (tolerance {options.rtol:g}), min concentration {min(minima):.3g} > 0"
                       + note, figures)
