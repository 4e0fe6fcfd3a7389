"""Check 4: uniqueness and global convergence. For many inputs across the
input range and many initial states (all-zero, tiny, very large, spread over
orders of magnitude) every trajectory ends at the same positive fixed point,
the forward pass. The sweep runs in the batch integrator; roadrunner reruns
a sample of the (input, initial state) pairs."""

from __future__ import annotations

import numpy as np

from .result import CheckResult, Plot, Series
from .subject import Options, Subject, no_network, not_simulable

FIXED_STATES = (("all-zero", 0.0), ("tiny 1e-12", 1e-12), ("large 1e3", 1e3), ("very large 1e6", 1e6))
SPREAD = (-12.0, 6.0)  # log10 range of the spread initial states


def initial_states(n: int, count: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    labels = [label for label, _ in FIXED_STATES][:count]
    states = [np.full(n, v) for _, v in FIXED_STATES][:count]
    for i in range(count - len(states)):
        labels.append(f"log-uniform 1e{SPREAD[0]:.0f}..1e{SPREAD[1]:.0f} #{i + 1}")
        states.append(10.0 ** rng.uniform(*SPREAD, size=n))
    return labels, np.array(states).reshape(count, n)


def horizon(subject: Subject, xs: np.ndarray) -> float:
    """Twice the slowest settling bound (to 1e-10) and room for a 1e6 start to collapse (y ~ 1/t)."""
    assert subject.reference is not None
    speed = subject.crn.speed
    return 2.0 * max(subject.reference.settling_time(x, tol=1e-10) for x in xs) + 10.0 / speed


def check_convergence(subject: Subject, options: Options) -> CheckResult:
    refused = not_simulable("convergence", subject)
    if refused:
        return refused
    if subject.network is None:
        return no_network("convergence", subject)
    system, crn = subject.batch, subject.crn
    xs = options.inputs(crn, options.sweep_inputs, salt=4)  # network-level (signed) values
    labels, states = initial_states(system.n, options.sweep_states, options.rng(5))
    ni, ns = len(xs), len(states)
    X = np.repeat(xs, ns, axis=0)  # member m: input m // ns, initial state m % ns
    Y0 = np.tile(states, (ni, 1))
    t_end = horizon(subject, xs)
    out = system.species.index(crn.outputs[0].id)
    XS = subject.input_species(X)  # what the input species hold
    run = system.integrate(Y0, XS, t_end, traced=(out,))
    final, residual = system.polish(run.state, XS)
    want = subject.expected_state(X)
    # every species (each rail) at its own fixed point, and each output's readout at the forward pass
    rel = np.maximum(np.max(np.abs(final - want) / want, axis=1), subject.output_error(final, X))
    # the polish only removes the last digits: the trajectory itself must already be there
    settled = np.max(np.abs(run.state - want) / want, axis=1)
    spread = max(float(np.max(np.ptp(final[i * ns:(i + 1) * ns], axis=0) / want[i * ns])) for i in range(ni))
    figures: dict = {
        "inputs": ni, "initial_states": labels, "trajectories": ni * ns, "t_end": t_end,
        "integrator": "batch backward Euler (layer-diagonal Newton) + Newton polish",
        "tolerance_rel": options.rtol, "max_rel_error": float(np.max(rel)),
        "settle_tolerance_rel": options.settle_tol, "max_rel_error_before_polish": float(np.max(settled)),
        "max_spread_between_initial_states": spread,
        "max_output_rel_error": float(np.max(subject.output_error(final, X))), "max_residual": float(np.max(residual)),
        "diverged": int(run.diverged.sum()), "stalled": int(run.stalled.sum()),
    }
    plots = (_trajectory_plot(run, labels, crn.outputs[0].id, float(want[0, out])),)

    def member(m: int) -> str:
        return f"input {np.array2string(X[m], precision=3, threshold=6)} from {labels[m % ns]}"

    if run.diverged.any():
        m = int(np.flatnonzero(run.diverged)[0])
        s = system.species[int(np.argmax(np.nan_to_num(run.state[m], nan=np.inf)))]
        return CheckResult("convergence", False, f"unbounded growth: {s} exceeds 1e12 by t={run.time[m]:.3g} "
                           f"({member(m)}; {int(run.diverged.sum())} of {len(X)} trajectories diverge)", figures, plots)
    bad = np.flatnonzero(run.stalled | ~(rel <= options.rtol) | ~(settled <= options.settle_tol)
                         | np.any(final <= 0, axis=1))
    if bad.size:
        m = int(bad[0])
        j = int(np.argmax(np.abs(run.state[m] - want[m]) / want[m]))
        return CheckResult("convergence", False, f"{bad.size} of {len(X)} trajectories do not end at the forward "
                           f"pass: {member(m)}, {system.species[j]} is {run.state[m, j]:.6g} at t={t_end:.3g} "
                           f"(Newton polish: {final[m, j]:.6g}; forward pass {want[m, j]:.6g})", figures, plots)
    skipped = subject.roadrunner_skipped(options)
    rerun = "numpy backend" if skipped else "roadrunner"
    rr_err = _rerun_sample(subject, options, X, Y0, t_end, want)
    figures.update(rerun_simulator=rerun, rerun_sample=len(rr_err), rerun_max_rel_error=max(rr_err, default=0.0))
    if skipped:
        figures["roadrunner"] = skipped
    fewer = (f" (of {options.roadrunner_sample} on models up to {options.large_model_reactions} reactions)"
             if len(rr_err) < min(options.roadrunner_sample, len(X)) else "")
    if rr_err and max(rr_err) > options.rtol:
        return CheckResult("convergence", False, f"{rerun} rerun of {len(rr_err)} sampled trajectories ends "
                           f"{max(rr_err):.3g} away from the forward pass (tolerance {options.rtol:g})", figures, plots)
    return CheckResult("convergence", True, f"{len(X)} trajectories ({ni} inputs x {ns} initial states, 0 to 1e6) "
                       f"all end at the forward pass to {np.max(rel):.1e}; {rerun} agrees on a sample of "
                       f"{len(rr_err)} to {max(rr_err, default=0.0):.1e}" + fewer + (f" ({skipped})" if skipped else ""),
                       figures, plots)


def rerun_sample(subject: Subject, options: Options) -> int:
    """Trajectories rerun: ``roadrunner_sample``, or one where the numpy backend
    stands in on a large model (2.5 s per trajectory at 784-100-10)."""
    large = len(subject.crn.reactions) > options.large_model_reactions and subject.roadrunner_skipped(options)
    return min(options.roadrunner_sample, options.agreement_sample_inputs) if large else options.roadrunner_sample


def _rerun_sample(subject: Subject, options: Options, X: np.ndarray, Y0: np.ndarray, t_end: float,
                  want: np.ndarray) -> list[float]:
    """A sample of the sweep's trajectories rerun in a second simulator
    (roadrunner, or the numpy backend where roadrunner is skipped)."""
    sim = subject.rerun_simulator(options)
    picks = options.rng(6).choice(len(X), size=min(rerun_sample(subject, options), len(X)), replace=False)
    errors = []
    for m in picks:
        end = sim.advance(t_end, y0=Y0[m], inputs=X[m])
        values, _ = sim.polish(end, inputs=X[m])
        errors.append(float(np.max(np.abs(values - want[m]) / want[m])))
    return errors


def _trajectory_plot(run, labels: list[str], output: str, target: float) -> Plot:
    series = []
    for m in range(len(labels)):  # the first input, every initial state
        t, y = run.trace_time[:, m], run.trace[:, m, 0]
        keep = np.isfinite(t) & (t > 0)
        series.append(Series(labels[m], tuple(t[keep]), tuple(y[keep]), alpha=0.8))
    return Plot(f"{output} from {len(labels)} initial states (first input) -> {target:.4g}", "time", output,
                tuple(series), xscale="log", yscale="log")
