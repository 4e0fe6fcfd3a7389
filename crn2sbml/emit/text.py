"""Plain-text CRN: one reaction per line with its rate constant. Stable and
diff-friendly, used as golden files in the tests."""

from __future__ import annotations

import os
from pathlib import Path

from .._atomic import write_text_atomic
from ..crn import CRN
from ._common import layer_header, layer_readouts, num, reaction_equation, reactions_by_layer, readout_expression


def to_text(crn: CRN) -> str:
    params = crn.parameter_index
    out = [
        f"# crn2sbml CRN '{crn.name}'",
        "# mass action: rate = kappa * k * product of reactant concentrations",
        f"kappa = {num(crn.speed)}",
        "",
        "# inputs (catalysts, held constant)",
    ]
    out += [f"{s.id} = {num(s.initial)}" for s in crn.inputs]
    out += _shift_notes(crn)
    out += [f"readout {r.id} := {readout_expression(r)}" for r in layer_readouts(crn, 0)]
    for layer, indices in enumerate(reactions_by_layer(crn), start=1):
        out += ["", f"# {layer_header(crn, layer)}"]
        out += [f"{s.id} = {num(s.initial)}" for s in crn.layer_species(layer)]
        for i in indices:
            r = crn.reactions[i]
            out.append(f"{reaction_equation(r)}  [{r.rate} = {num(params[r.rate].value)}]")
        out += [f"readout {r.id} := {readout_expression(r)}" for r in layer_readouts(crn, layer)]
    return "\n".join(out) + "\n"


def _shift_notes(crn: CRN) -> list[str]:
    """Inputs with a declared lower bound m carry x - m (m is folded into the first biases)."""
    notes = []
    for i, (name, sid) in enumerate(zip(crn.input_names, crn.input_ids)):
        lower = crn.input_ranges[i][0] if crn.input_ranges else 0.0
        if lower:
            notes.append(f"# {sid} carries {name} - ({num(lower)}); the shift is folded into layer 1's biases")
    return notes


def write_text(crn: CRN, path: str | os.PathLike[str]) -> Path:
    return write_text_atomic(path, to_text(crn))
