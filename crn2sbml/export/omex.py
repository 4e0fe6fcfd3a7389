"""COMBINE/OMEX archive: the SBML, a SED-ML experiment (one time course long
enough to settle, one task per test input whose model changes set the input
species, the outputs as data generators and a report), the network file and,
if given, the validation report. SED-ML is written with phrasedml, the archive
with libcombine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..crn import CRN
from ..emit.sbml import to_sbml
from ..errors import MissingDependencyError, OutputError
from ..network import Network, save_network
from ..theory import settling_time

SEDML_RTOL = 1e-10
SEDML_ATOL = 1e-14


def settle_time(network: Network, crn: CRN, inputs: list[np.ndarray], tol: float = 1e-9) -> float:
    """Longest settling time over the test inputs (crn2sbml.theory.settling_time)."""
    return max(settling_time(network, crn.with_inputs(x).input_values, crn.speed, tol=tol) for x in inputs)


def to_phrasedml(crn: CRN, inputs: list[np.ndarray], t_end: float, sbml_name: str, points: int = 200) -> str:
    lines = [f'model0 = model "{sbml_name}"',
             f"sim0 = simulate uniform(0, {t_end!r}, {int(points)})",
             "sim0.algorithm = CVODE",
             f"sim0.algorithm.relative_tolerance = {SEDML_RTOL!r}",
             f"sim0.algorithm.absolute_tolerance = {SEDML_ATOL!r}"]
    report = []
    for k, x in enumerate(inputs):
        enc = crn.with_inputs(x)
        changes = ", ".join(f"{s.id} = {s.initial!r}" for s in enc.inputs)
        lines.append(f"model{k + 1} = model model0 with {changes}")
        lines.append(f"task{k + 1} = run sim0 on model{k + 1}")
        report += [f"task{k + 1}.{name}" for name in crn.output_names]
    lines.append(f"plot \"{crn.name} outputs\" task1.time vs {', '.join(report)}")
    lines.append(f"report task1.time, {', '.join(report)}")
    return "\n".join(lines) + "\n"


def to_sedml(crn: CRN, sbml: str, inputs: list[np.ndarray], t_end: float, sbml_name: str) -> str:
    try:
        import phrasedml
    except ImportError:
        raise MissingDependencyError("OMEX export needs phrasedml: pip install 'crn2sbml[export]'") from None
    phrasedml.clearReferencedSBML()
    phrasedml.setReferencedSBML(sbml_name, sbml)
    sedml = phrasedml.convertString(to_phrasedml(crn, inputs, t_end, sbml_name))
    if sedml is None:
        raise OutputError(f"phrasedml could not build the SED-ML: {phrasedml.getLastError()}")
    return sedml


def write_omex(network: Network, crn: CRN, inputs: list[np.ndarray], path: Path,
               report: str | Path | None = None) -> dict:
    """Write the archive to ``path`` (a temporary file the caller renames).
    Returns a summary: entries and the time-course end."""
    try:
        import libcombine
    except ImportError:
        raise MissingDependencyError("OMEX export needs python-libcombine: pip install 'crn2sbml[export]'") from None
    import tempfile

    sbml_name = f"{crn.name}.xml"
    sbml = to_sbml(crn.with_inputs(inputs[0]))
    t_end = settle_time(network, crn, inputs)
    sedml = to_sedml(crn, sbml, inputs, t_end, sbml_name)
    entries = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / sbml_name).write_text(sbml, encoding="utf-8")
        (d / "simulation.sedml").write_text(sedml, encoding="utf-8")
        save_network(network, d / f"{crn.name}.json")
        archive = libcombine.CombineArchive()
        fmt = libcombine.KnownFormats.lookupFormat
        add = [(sbml_name, fmt("sbml"), False), ("simulation.sedml", fmt("sedml"), True),
               (f"{crn.name}.json", "http://purl.org/NET/mediatypes/application/json", False)]
        if report is not None:
            rp = Path(report)
            if not rp.is_file():
                raise OutputError(f"validation report '{rp}' is not a file; give report.json or report.html")
            (d / rp.name).write_bytes(rp.read_bytes())
            kind = "http://purl.org/NET/mediatypes/text/html" if rp.suffix == ".html" else \
                "http://purl.org/NET/mediatypes/application/json"
            add.append((rp.name, kind, False))
        for name, kind, master in add:
            if not archive.addFile(str(d / name), f"./{name}", kind, master):
                raise OutputError(f"libcombine could not add '{name}' to the archive")
            entries[name] = kind
        desc = libcombine.OmexDescription()
        desc.setAbout(".")
        desc.setDescription(f"crn2sbml: CRN '{crn.name}' whose steady state is the network's output")
        desc.setCreated(libcombine.OmexDescription.getCurrentDateAndTime())
        archive.addMetadata(".", desc)
        if not archive.writeToFile(str(path)):
            raise OutputError(f"libcombine could not write '{path}'")
        archive.cleanUp()
    return {"entries": entries, "t_end": t_end, "tasks": len(inputs), "summary": json.dumps(entries)}
