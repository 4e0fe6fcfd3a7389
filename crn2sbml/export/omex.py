"""COMBINE/OMEX archive: the SBML, a SED-ML experiment (one time course long
enough to settle, one task per test input whose model changes set the input
species, the outputs as data generators and a report), the network file and,
if given, the validation report. SED-ML is written with phrasedml, the archive
with the standard zipfile module (manifest and OMEX metadata written here)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..crn import CRN
from ..emit.sbml import to_sbml
from ..errors import InputError, MissingDependencyError, OutputError
from ..network import Network
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
        report += [f"task{k + 1}.{name}" for name in crn.output_ids]  # SED-ML addresses ids
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


OMEX_FORMAT = "http://identifiers.org/combine.specifications/omex"
_FORMATS = {".xml": "http://identifiers.org/combine.specifications/sbml.level-3.version-2",
            ".sedml": "http://identifiers.org/combine.specifications/sed-ml",
            ".json": "http://purl.org/NET/mediatypes/application/json",
            ".html": "http://purl.org/NET/mediatypes/text/html",
            ".rdf": "http://identifiers.org/combine.specifications/omex-metadata"}


def _sources_as_references(sedml: str, changes: list[dict[str, float]] | None = None) -> str:
    """A SED-ML model derived from another names it as a reference, '#model0'
    (SED-ML L1V3+); phrasedml writes the bare id, which validators reject. (A
    file source for every model would let BioSimulators' validator check the
    output XPaths too, but it validates the SBML once per model: the test of
    random_64_20_10's default archive, 65 tasks, took 123 s instead of 8 s.)
    ``changes[k]`` ({species id: value}) are model k+1's exact input values:
    phrasedml writes a change's newValue with 6 significant digits (0.123457),
    which moved digits' outputs by 1e-6 relative in every SED-ML runner."""
    import re

    import libsedml

    doc = libsedml.readSedMLFromString(sedml)
    ids = {doc.getModel(i).getId() for i in range(doc.getNumModels())}
    for i in range(doc.getNumModels()):
        m = doc.getModel(i)
        if m.getSource() in ids:
            m.setSource("#" + m.getSource())
    for k, values in enumerate(changes or []):
        model = doc.getModel(f"model{k + 1}")
        if model is None:  # phrasedml wrote no model for this input: nothing of it to make exact
            raise OutputError(f"phrasedml wrote no SED-ML model for test input {k + 1}; the archive would lack it")
        for j in range(model.getNumChanges()):
            change = model.getChange(j)
            found = re.search(r"@id='([^']+)'", change.getTarget())
            if isinstance(change, libsedml.SedChangeAttribute) and found and found.group(1) in values:
                change.setNewValue(repr(float(values[found.group(1)])))
    return libsedml.writeSedMLToString(doc)


REPORT_SUFFIXES = (".json", ".html")


def check_report(report: str | Path) -> Path:
    """The validation report to put in the archive: an existing report.json
    or report.html (the manifest names each entry's format by its suffix)."""
    rp = Path(report)
    if rp.suffix.lower() not in REPORT_SUFFIXES or not rp.is_file():
        raise InputError(f"validation report '{rp}' is not a {' or '.join(REPORT_SUFFIXES)} file; give the "
                          "report.json or report.html that 'crn2sbml validate --report' writes")
    return rp


def _manifest(entries: list[tuple[str, str, bool]]) -> str:
    rows = [f'  <content location="." format="{OMEX_FORMAT}"/>']
    rows += [f'  <content location="./{name}" format="{fmt}"' + (' master="true"' if master else "") + "/>"
             for name, fmt, master in entries]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<omexManifest xmlns="http://identifiers.org/combine.specifications/omex-manifest">\n'
            + "\n".join(rows) + "\n</omexManifest>\n")


def _metadata(archive: str, title: str, description: str, created: str) -> str:
    """OMEX metadata (RDF/XML) about the archive: title, description, creation date."""
    from xml.sax.saxutils import escape, quoteattr

    about = quoteattr(f"http://omex-library.org/{archive}")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f"  <rdf:Description rdf:about={about}>\n"
            f"    <dc:title>{escape(title)}</dc:title>\n"
            f"    <dc:description>{escape(description)}</dc:description>\n"
            f"    <dc:created>{created}</dc:created>\n"
            "    <dc:creator><rdf:Description><rdfs:label>crn2sbml</rdfs:label></rdf:Description></dc:creator>\n"
            "  </rdf:Description>\n</rdf:RDF>\n")


def write_omex(network: Network, crn: CRN, inputs: list[np.ndarray], path: Path,
               report: str | Path | None = None) -> dict:
    """Write the archive to ``path`` (a temporary file the caller renames):
    the manifest (with an entry for the archive itself), OMEX metadata with a
    title, description and creation date, the SBML, the SED-ML (derived models
    name their source '#model0') and the network file. Returns a summary:
    entries and the time-course end."""
    import datetime
    import zipfile

    sbml_name = f"{crn.name}.xml"
    sbml = to_sbml(crn.with_inputs(inputs[0]))
    t_end = settle_time(network, crn, inputs)
    exact = [{sp.id: sp.initial for sp in crn.with_inputs(x).inputs} for x in inputs]
    sedml = _sources_as_references(to_sedml(crn, sbml, inputs, t_end, sbml_name), exact)
    files: list[tuple[str, bytes, bool]] = [
        (sbml_name, sbml.encode("utf-8"), False),
        ("simulation.sedml", sedml.encode("utf-8"), True),
        (f"{crn.name}.json", network.to_json().encode("utf-8"), False),
    ]
    if report is not None:
        rp = check_report(report)
        files.append((rp.name, rp.read_bytes(), False))
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    title = f"{crn.name}: a chemical reaction network that computes a neural network"
    description = (f"crn2sbml: CRN '{crn.name}' whose steady state is the network's output "
                   f"(inputs {', '.join(crn.input_names)}; outputs {', '.join(crn.output_names)}); "
                   f"{len(inputs)} test inputs, each simulated for {t_end:.4g} time units.")
    files.append(("metadata.rdf", _metadata(Path(path).name, title, description, created).encode("utf-8"), False))
    entries = {name: _FORMATS[Path(name).suffix.lower()] for name, _, _ in files}
    manifest = _manifest([(name, entries[name], master) for name, _, master in files])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.xml", manifest)
        for name, data, _ in files:
            z.writestr(name, data)
    return {"entries": entries, "t_end": t_end, "tasks": len(inputs), "summary": json.dumps(entries)}
