"""COPASI .cps files written through python-copasi: the SBML imported into a
COPASI data model, the inputs set, a deterministic time course long enough to
settle and a Newton steady-state task configured, then saved. One file per
test input (COPASI holds one initial state per file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..crn import CRN
from ..emit.sbml import to_sbml
from ..errors import OutputError
from ..simulate.copasi_backend import _copasi, keep_text_encoding


def write_cps(crn: CRN, x: np.ndarray, t_end: float, path: Path, points: int = 200) -> None:
    copasi = _copasi()
    dm = copasi.CRootContainer.addDatamodel()
    try:
        copasi.CCopasiMessage.clearDeque()
        with keep_text_encoding():
            imported = dm.importSBMLFromString(to_sbml(crn.with_inputs(x)))
        if not imported:
            raise OutputError(f"COPASI could not import the SBML: {copasi.CCopasiMessage.getAllMessageText()}")
        tc = dm.getTask("Time-Course")
        tc.setMethodType(copasi.CTaskEnum.Method_deterministic)
        tc.setScheduled(True)
        m = tc.getMethod()
        m.getParameter("Relative Tolerance").setValue(1e-10)
        m.getParameter("Absolute Tolerance").setValue(1e-14)
        m.getParameter("Max Internal Steps").setValue(1_000_000)
        p = tc.getProblem()
        p.setStepNumber(points)
        p.setDuration(float(t_end))
        p.setTimeSeriesRequested(True)
        ss = dm.getTask("Steady-State")
        sm = ss.getMethod()
        sm.getParameter("Use Newton").setValue(True)
        sm.getParameter("Use Integration").setValue(True)
        # readout species are signed (a logit, an identity output): without this COPASI's
        # steady-state task refuses their negative values as "no steady state"
        signed = crn.readout_form == "species" and bool(crn.readouts)
        sm.getParameter("Accept Negative Concentrations").setValue(signed)
        with keep_text_encoding():
            saved = dm.saveModel(str(path), True)
        if not saved:
            raise OutputError(f"COPASI could not save '{path}'")
    finally:
        copasi.CRootContainer.removeDatamodel(dm)
