"""Tellurium hand-off: the Antimony (te.loada) and SBML (te.loadSBMLModel)
files and a short script that simulates to the settling time and prints the
outputs beside the expected values."""

from __future__ import annotations

import numpy as np

from ..crn import CRN
from ..network import Network


def tellurium_script(crn: CRN, network: Network, inputs: list[np.ndarray], t_end: float) -> str:
    lines = [
        f'"""Simulate {crn.name} with tellurium (pip install tellurium six)."""',
        "import tellurium as te",
        "",
        f"r = te.loada(open('{crn.name}.ant').read())  # or te.loadSBMLModel('{crn.name}.xml')",
        "r.integrator.relative_tolerance = 1e-10",
        "r.integrator.absolute_tolerance = 1e-14",
        f"outputs = {list(crn.output_ids)!r}",
    ]
    for x in inputs:
        enc = crn.with_inputs(x)
        expected = [float(v) for v in network.forward(x)]
        lines.append("r.resetAll()")
        lines += [f"r['init([{s.id}])'] = {s.initial!r}" for s in enc.inputs]
        lines.append(f"r.simulate(0, {t_end!r}, 2)")
        lines.append(f"print({[float(v) for v in x]!r}, [r[o] for o in outputs], 'expected', {expected!r})")
    return "\n".join(lines) + "\n"
