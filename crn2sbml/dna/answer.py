"""The network's answer at the DNA level: roadrunner on the DNA-level SBML,
from the strands' concentrations, read out as the free output signal strands
(in formal units: nM / c0), beside the forward pass and the formal CRN.

The fuel is finite, so the DNA-level answer is a plateau, not a steady
state: it is read when the formal CRN has come (and stays) within a quarter
of the tolerance of the forward pass (in the DNA's seconds),
and the report says for how long it stays within the tolerance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..compile import compile_network
from ..crn import CRN
from ..network import Network
from ..emit import to_sbml
from ..theory import settling_time
from .emit import sbml, sbml_id
from .realise import Realisation
from .system import DnaSystem

DEFAULT_TOLERANCE = 0.1  # of max(1, |forward|): the DNA-level readout's stated tolerance (--tolerance)
HORIZON = 10.0  # simulate up to this many read times
HOLD = 2.0  # the error is the worst from the read time to this many times it
READ_WITHIN = 0.25  # read when the formal CRN is within this share of the tolerance (0.1 measured worse)


@dataclass(frozen=True)
class Answer:
    inputs: tuple[float, ...]
    forward: tuple[float, ...]
    dna: tuple[float, ...]  # free output strands at the read time, formal units
    read_at: float  # s
    error: float  # max |dna - forward| from read_at to HOLD * read_at
    tolerance: float
    within_from: float | None  # s: first sampled time from which the readout is within tolerance...
    within_until: float | None  # s: ...and the last one
    spent: float = 0.0  # the largest share of a module's fuel strands spent by HOLD * read_at
    spent_by: str = ""  # that module's reaction


    @property
    def ok(self) -> bool:
        return self.error <= self.tolerance


def dna_roadrunner(text_or_path: str, c0: float):
    """roadrunner on a DNA-level SBML (text or path), tolerances in its nM."""
    import roadrunner

    rr = roadrunner.RoadRunner(text_or_path)
    rr.integrator.relative_tolerance = 1e-8
    rr.integrator.absolute_tolerance = 1e-10 * c0
    return rr


def answer_for(rr, crn: CRN, network: Network, c0: float, seconds: float, tolerance: float = DEFAULT_TOLERANCE,
               points: int = 80, totals: dict[str, float] | None = None,
               fuels: dict[str, list[str]] | None = None) -> Answer:
    """The DNA-level answer for the input ``crn`` carries: its signals'
    starts (times ``c0`` nM, and an input's times the strands supplied per
    free one, ``totals``) set in ``rr``, read when the formal CRN has settled
    to READ_WITHIN of the tolerance, the error held to HOLD times that;
    ``fuels``: each formal reaction's fuel strands (gates, ...), to say
    what share of them is spent by then (every firing takes one of each)."""
    totals = totals or {}
    outputs, weights, offsets = _readouts(crn)
    start = {s.id: s.initial for s in crn.species}
    present = set(rr.model.getFloatingSpeciesIds())
    rr.resetAll()
    for name, value in start.items():
        if sbml_id(name) in present:  # a species no reaction uses has no strand
            rr.setValue(f"init([{sbml_id(name)}])", c0 * value * totals.get(name, 1.0))
    rr.reset()
    x = np.asarray(crn.input_values, float)
    forward = np.asarray(network.forward(x), float).reshape(-1)
    tol = tolerance * max(1.0, float(np.max(np.abs(forward))))
    horizon = settling_time(network, x, crn.speed, tol=1e-6)
    read_at = _formal_settled(crn, (outputs, weights, offsets), forward, READ_WITHIN * tol, horizon) * seconds
    times = np.unique(np.concatenate([np.geomspace(read_at / 100, HORIZON * read_at, points),
                                      np.linspace(read_at, HOLD * read_at, 11)]))
    times = np.concatenate([[0.0], times])
    strands = [n for names in (fuels or {}).values() for n in names]
    res = np.asarray(rr.simulate(times=times, selections=["time", *(f"[{sbml_id(n)}]" for n in [*outputs, *strands])]))
    y = res[:, 1:1 + len(outputs)] / c0 @ weights + offsets
    k = int(np.searchsorted(times, read_at))
    idx = np.flatnonzero(np.max(np.abs(y - forward), axis=1) <= tol)
    held = (times >= read_at) & (times <= HOLD * read_at * (1 + 1e-12))
    supplied = dict(zip(strands, res[0, 1 + len(outputs):]))
    left = dict(zip(strands, res[np.flatnonzero(held)[-1], 1 + len(outputs):]))
    shares = {reaction: max((1 - left[n] / supplied[n] for n in names if supplied[n] > 0), default=0.0)
              for reaction, names in (fuels or {}).items()}
    spent_by = max(shares, key=shares.__getitem__, default="")
    return Answer(tuple(map(float, x)), tuple(map(float, forward)), tuple(map(float, y[k])), read_at,
                  float(np.max(np.abs(y[held] - forward))), tol,
                  float(times[idx[0]]) if idx.size else None, float(times[idx[-1]]) if idx.size else None,
                  shares.get(spent_by, 0.0), spent_by)


def dna_answers(system: DnaSystem, real: Realisation, network: Network, inputs: list[list[float]],
                tolerance: float = DEFAULT_TOLERANCE) -> list[Answer]:
    rr = dna_roadrunner(sbml(system, real), real.c0)
    return [answer_for(rr, compile_network(network, inputs=x, speed=system.crn.speed), network, real.c0,
                       real.seconds, tolerance, totals=real.totals, fuels=fuel_strands(system)) for x in inputs]


def fuel_strands(system: DnaSystem) -> dict[str, list[str]]:
    """Each formal reaction's fuel strands and gates."""
    return {m.reaction: system.module_fuels(m.index) for m in system.modules}


def _readouts(crn) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The output species and the matrix (and offsets) that make them the
    network's outputs (a signed output is the difference of its rails)."""
    last = max(s.layer for s in crn.species)
    units = sorted({s.unit for s in crn.species if s.layer == last})
    readouts = [crn.readout(last, u) for u in units]
    species = sorted({sp for r in readouts for sp, _ in r.terms})
    weights = np.zeros((len(species), len(readouts)))
    for j, r in enumerate(readouts):
        for sp, a in r.terms:
            weights[species.index(sp), j] += a
    return species, weights, np.array([r.offset for r in readouts])


def _formal_settled(crn, readout: tuple[list[str], np.ndarray, np.ndarray], target: np.ndarray, within: float,
                    horizon: float) -> float:
    """The formal CRN's time (roadrunner, from its own start) after which its
    outputs stay within ``within`` of the forward pass."""
    import roadrunner

    rr = roadrunner.RoadRunner(to_sbml(crn))
    times = np.concatenate([[0.0], np.geomspace(horizon / 1e4, horizon, 400)])
    outputs, weights, offsets = readout
    res = np.asarray(rr.simulate(times=times, selections=["time", *(f"[{o}]" for o in outputs)]))
    off = np.flatnonzero(np.max(np.abs(res[:, 1:] @ weights + offsets - target), axis=1) > within)
    return float(times[min(off[-1] + 1, len(times) - 1)]) if off.size else float(times[1])


__all__ = ["Answer", "DEFAULT_TOLERANCE", "answer_for", "dna_answers", "dna_roadrunner", "fuel_strands"]
