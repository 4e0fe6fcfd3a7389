"""Stochastic accuracy: Gillespie simulations (roadrunner's ``gillespie``
integrator) with a given number of molecules per model concentration unit,
and how the output error shrinks as that number grows."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..crn import CRN
from ..emit.sbml import COMPARTMENT, to_sbml
from ..errors import InputError
from ..network import Network
from ..simulate.roadrunner import load_roadrunner
from ..theory import settling_time


@dataclass(frozen=True)
class StochasticRow:
    molecules: float  # molecules per model concentration unit
    rms_error: float  # RMS over repeats, inputs and outputs of (output - forward pass), model units
    rel_error: float  # rms_error / RMS of the forward pass
    repeats: int


def _sbml_with_volume(crn: CRN, molecules: float) -> str:
    import libsbml

    doc = libsbml.readSBMLFromString(to_sbml(crn))
    doc.getModel().getCompartment(COMPARTMENT).setSize(float(molecules))
    return libsbml.writeSBMLToString(doc)


def gillespie_outputs(crn: CRN, network: Network, x: np.ndarray, molecules: float, repeats: int,
                      seed: int, t_end: float | None = None) -> np.ndarray:
    """Output values (repeats x outputs) at ``t_end`` of Gillespie runs in a
    volume holding ``molecules`` molecules per model concentration unit."""
    if not (np.isfinite(molecules) and molecules > 0):
        raise InputError(f"molecules per unit is {molecules!r}; it must be a finite number > 0")
    # from the all-zero state, whatever start the model stores: a start above
    # the fixed point (compile's default) multiplies the Gillespie events of
    # the first transient (the annihilation propensity grows like y^2 V)
    enc = crn.with_inputs(x)
    enc = replace(enc, species=tuple(s if s.boundary else replace(s, initial=0.0) for s in enc.species))
    rr = load_roadrunner(_sbml_with_volume(enc, molecules))
    rr.setIntegrator("gillespie")
    t = t_end if t_end is not None else settling_time(network, enc.input_values, crn.speed, tol=1e-3, start="zero")
    species = [s.id for s in enc.floating]
    rr.timeCourseSelections = ["time"] + [f"[{s}]" for s in species]
    out = []
    for k in range(repeats):
        rr.reset()
        rr.getIntegrator().setValue("seed", int(seed) + k)
        res = np.array(rr.simulate(0.0, float(t), 2))
        conc = {**{s.id: s.initial for s in enc.inputs}, **dict(zip(species, res[-1, 1:].tolist()))}
        out.append(enc.output_values(conc))
    return np.array(out)


def accuracy_table(crn: CRN, network: Network, inputs: list[np.ndarray], molecules: list[float],
                   repeats: int = 3, seed: int = 7) -> list[StochasticRow]:
    rows = []
    for n in molecules:
        errs, refs = [], []
        for i, x in enumerate(inputs):
            want = np.asarray(network.forward(x), dtype=float)
            got = gillespie_outputs(crn, network, x, n, repeats, seed + 1000 * i)
            errs.append((got - want).ravel())
            refs.append(np.tile(want, repeats))
        e, r = np.concatenate(errs), np.concatenate(refs)
        rms = float(np.sqrt(np.mean(e * e)))
        rows.append(StochasticRow(float(n), rms, rms / max(float(np.sqrt(np.mean(r * r))), 1e-300), repeats))
    return rows
