"""Check 7: roadrunner, COPASI and the numpy backend find the same checked
steady state (each one's own presimulation and Newton polish). Where
roadrunner is skipped (too large to JIT, not cached), the batch simulator's
layer-by-layer roots are the second method."""

from __future__ import annotations

import numpy as np

from ..errors import MissingDependencyError, ModelReadError, NetworkError, SteadyStateError
from ..simulate import BatchSimulator, CopasiSimulator
from .result import CheckResult
from .subject import Options, Subject, no_network

COPASI_ALL_INPUTS_MAX_REACTIONS = 1000


def check_agreement(subject: Subject, options: Options) -> CheckResult:
    if subject.network is None:
        return no_network("agreement", subject)
    crn, net = subject.crn, subject.network
    xs = options.inputs(crn, 3, salt=11)
    rr_skipped = subject.roadrunner_skipped(options)
    sims: dict = {"numpy": subject.numpy} if rr_skipped else {"roadrunner": subject.roadrunner, "numpy": subject.numpy}
    skipped = ""
    if len(crn.reactions) > options.copasi_max_reactions:
        skipped = f"COPASI not run: {len(crn.reactions)} reactions > --copasi-max-reactions {options.copasi_max_reactions}"
    else:
        try:
            sims["copasi"] = CopasiSimulator(crn, subject.sbml)
        except (MissingDependencyError, ModelReadError) as exc:
            skipped = f"COPASI not run: {exc}"
    # COPASI's Newton takes seconds per input on thousands of reactions: one input there
    copasi_inputs = len(xs) if len(crn.reactions) <= COPASI_ALL_INPUTS_MAX_REACTIONS else 1
    values: dict[str, list[np.ndarray]] = {name: [] for name in sims}
    try:
        for i, x in enumerate(xs):
            for name, sim in sims.items():
                if name == "copasi" and i >= copasi_inputs:
                    continue
                sim.set_inputs(x)
                try:
                    ss = sim.steady_state(net, rtol=options.rtol)
                except SteadyStateError as exc:
                    return CheckResult("agreement", False, f"{name}, input {np.array2string(x, precision=3, threshold=6)}: {exc}",
                                       {"simulators": list(sims), "copasi": skipped or "run"})
                values[name].append(np.array([ss[s.id] for s in crn.floating]))
    finally:
        if "copasi" in sims:
            sims["copasi"].close()
    if rr_skipped:  # a second, independent method: the batch simulator's layer-by-layer roots
        try:
            batch = BatchSimulator(crn)
        except NetworkError as exc:
            return CheckResult("agreement", False, f"{rr_skipped}; batch simulator: {exc}", {"roadrunner": rr_skipped})
        order = [batch.species.index(s.id) for s in crn.floating]
        values["batch"] = list(batch.steady_states(xs)[:, order])
    names = list(values)
    pairs = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            pairs[f"{a} vs {b}"] = max(float(np.max(np.abs(u - v) / v)) for u, v in zip(values[a], values[b]))
    worst = max(pairs.values())
    figures = {"simulators": names, "inputs": xs, "tolerance_rel": options.rtol, "max_rel_difference": pairs,
               "copasi": skipped or f"run on {copasi_inputs} input(s)", "roadrunner": rr_skipped or "run"}
    if worst > options.rtol:
        pair = max(pairs, key=pairs.get)
        return CheckResult("agreement", False, f"{pair}: steady states differ by {worst:.3g} (tolerance {options.rtol:g})", figures)
    note = "".join(f"; {why}" for why in (rr_skipped, skipped) if why)
    return CheckResult("agreement", True, f"{', '.join(names)} agree on {len(xs)} inputs to {worst:.1e}{note}", figures)
