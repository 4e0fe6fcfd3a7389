"""Check 7: every registered backend that finds steady states (roadrunner,
numpy, COPASI, batch; ``Capability.STEADY_STATE``) finds the same accepted
steady state, each by its own presimulation and Newton polish. Backends that
cannot run on this model (too large for roadrunner's JIT and not cached,
COPASI above its size limit or not installed, the batch simulator on a model
that is not layer-diagonal) are named with the reason. Applies to foreign
models too: there the states are compared without a network."""

from __future__ import annotations

import numpy as np

from ..errors import Crn2SbmlError, SimulationError
from ..simulate import Capability, backends_with, find_steady_state
from .result import CheckResult
from .subject import Options, Subject, no_network, not_simulable

COPASI_ALL_INPUTS_MAX_REACTIONS = 1000


def agreement_inputs(subject: Subject, options: Options) -> tuple[np.ndarray, str]:
    """The inputs every simulator is compared on, and how they were chosen:
    the sampling range's corners and midpoint, or on a large model (more than
    ``options.large_model_reactions`` reactions) a random sample."""
    n = len(subject.crn.reactions)
    if n <= options.large_model_reactions:
        return options.inputs(subject.crn, options.agreement_inputs, salt=11), "all"
    xs = options.inputs(subject.crn, 3 + options.agreement_sample_inputs, salt=11)[3:]  # after the corners and midpoint
    return xs, (f"random sample of {len(xs)} input(s) (seed {options.seed}): the model has {n} reactions > "
                f"{options.large_model_reactions}")


def _skip_reason(name: str, subject: Subject, options: Options) -> str:
    n = len(subject.crn.reactions)
    if name == "roadrunner":
        return subject.roadrunner_skipped(options)
    if name == "copasi" and n > options.copasi_max_reactions:
        return f"COPASI not run: {n} reactions > --copasi-max-reactions {options.copasi_max_reactions}"
    return ""


def check_agreement(subject: Subject, options: Options) -> CheckResult:
    refused = not_simulable("agreement", subject)
    if refused:
        return refused
    if subject.network is None and not subject.model.foreign:
        return no_network("agreement", subject)
    crn = subject.crn
    xs, sample = agreement_inputs(subject, options)
    sims, skipped = {}, {}
    for name in backends_with(Capability.STEADY_STATE):
        why = _skip_reason(name, subject, options)
        if not why:
            try:
                sims[name] = subject.simulator(name)
            except Crn2SbmlError as exc:  # not installed, or a model this backend cannot take
                why = f"{name} not run: {exc}"
        if why:
            skipped[name] = why
    # COPASI's Newton takes seconds per input on thousands of reactions: one input there
    copasi_inputs = len(xs) if len(crn.reactions) <= COPASI_ALL_INPUTS_MAX_REACTIONS else 1
    values: dict[str, list[np.ndarray]] = {name: [] for name in sims}
    figures: dict = {"simulators": list(sims), "inputs": xs, "sample": sample, "tolerance_rel": options.rtol,
                     "not_run": skipped,
                     "checked_against_network": subject.reference is not None}
    for i, x in enumerate(xs):
        for name, sim in sims.items():
            if name == "copasi" and i >= copasi_inputs:
                continue
            try:
                values[name].append(find_steady_state(sim, subject.reference, inputs=x, rtol=options.rtol).values)
            except SimulationError as exc:
                return CheckResult("agreement", False, f"{name}, input {np.array2string(x, precision=3, threshold=6)}: "
                                   f"{exc}", figures)
    names = list(values)
    if len(names) < 2:
        return CheckResult("agreement", False, f"fewer than two simulators could run ({'; '.join(skipped.values())})",
                           figures)
    pairs = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            pairs[f"{a} vs {b}"] = max(float(np.max(np.abs(u - v) / v, initial=0.0))
                                       for u, v in zip(values[a], values[b]))
    worst = max(pairs.values())
    figures["max_rel_difference"] = pairs
    figures["copasi"] = skipped.get("copasi") or f"run on {copasi_inputs} input(s)"
    if worst > options.rtol:
        pair = max(pairs, key=pairs.get)
        return CheckResult("agreement", False, f"{pair}: steady states differ by {worst:.3g} (tolerance {options.rtol:g})", figures)
    note = "".join(f"; {why}" for why in skipped.values())
    sampled = "" if sample == "all" else f" (a {sample})"
    return CheckResult("agreement", True, f"{', '.join(names)} agree on {len(xs)} inputs{sampled} to {worst:.1e}{note}",
                       figures)
