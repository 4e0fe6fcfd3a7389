"""Robustness to imprecise rates: every rate constant multiplied by an
independent log-normal factor exp(spread * N(0, 1)); the perturbed CRN's
steady state (numpy backend: BDF then Newton, unchecked because it is no
longer the forward pass) against the exact network output."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..crn import CRN
from ..errors import InputError
from ..network import Network
from ..simulate.numpy_backend import NumpySimulator
from ..theory import settling_time


@dataclass(frozen=True)
class RobustnessRow:
    spread: float  # sigma of log(rate factor)
    rms_error: float  # RMS of (output - forward pass), model units
    max_error: float
    samples: int


def perturbed(crn: CRN, spread: float, rng: np.random.Generator) -> CRN:
    factors = np.exp(spread * rng.standard_normal(len(crn.parameters)))
    return replace(crn, parameters=tuple(replace(p, value=p.value * float(f)) for p, f in zip(crn.parameters, factors)))


def perturbed_outputs(crn: CRN, network: Network, x: np.ndarray, spread: float, samples: int, seed: int) -> np.ndarray:
    if not (np.isfinite(spread) and spread >= 0):
        raise InputError(f"rate spread is {spread!r}; it must be a finite number >= 0")
    rng = np.random.default_rng(seed)
    enc = crn.with_inputs(x)
    t = 4.0 * settling_time(network, enc.input_values, crn.speed, tol=1e-6)
    out = []
    for _ in range(samples):
        sim = NumpySimulator(perturbed(enc, spread, rng))
        end = sim.time_course(t, 2).values[-1]
        c, _ = sim.polish(end)
        conc = {**{s.id: s.initial for s in enc.inputs}, **dict(zip((s.id for s in enc.floating), c.tolist()))}
        out.append(enc.output_values(conc))
    return np.array(out)


def robustness_table(crn: CRN, network: Network, inputs: list[np.ndarray], spreads: list[float],
                     samples: int = 10, seed: int = 11) -> list[RobustnessRow]:
    rows = []
    for s in spreads:
        errs = []
        for i, x in enumerate(inputs):
            want = np.asarray(network.forward(x), dtype=float)
            errs.append((perturbed_outputs(crn, network, x, s, samples, seed + 1000 * i) - want).ravel())
        e = np.concatenate(errs)
        rows.append(RobustnessRow(float(s), float(np.sqrt(np.mean(e * e))), float(np.max(np.abs(e))), samples))
    return rows
