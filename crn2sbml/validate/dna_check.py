"""The dna check: where a DNA implementation of the model is present (the
files ``crn2sbml dna`` writes, beside the model or in ``Options.dna``), its
verification verdict, and its DNA-level network rerun in roadrunner from the
model's own input against the forward pass, within the tolerance it states."""

from __future__ import annotations

import json
from pathlib import Path

from .result import CheckResult
from .subject import Options, Subject, no_network, not_simulable

HOW = "crn2sbml dna MODEL --scheme lakin2012 --out DIR writes one; validate --dna DIR checks it"


def find_implementation(subject: Subject, options: Options) -> Path | None:
    """NAME_verification.json of the model: in ``options.dna`` (the one
    there) or beside the model (named after its file)."""
    if options.dna:
        found = sorted(Path(options.dna).glob("*_verification.json"))
        return found[0] if len(found) == 1 else None
    source = Path(subject.source)
    candidate = source.with_name(f"{source.stem}_verification.json")
    return candidate if candidate.is_file() else None


def check_dna(subject: Subject, options: Options) -> CheckResult:
    if subject.network is None:  # the DNA-level answer is held to the network
        return no_network("dna", subject)
    blocked = not_simulable("dna", subject)
    if blocked is not None:
        return blocked
    path = find_implementation(subject, options)
    if path is None:
        if options.dna:  # asked for and not there: a failure, not a skip
            return CheckResult("dna", False, f"no single *_verification.json in {options.dna}; {HOW}")
        return CheckResult("dna", True, f"no DNA implementation beside the model; {HOW}", applicable=False)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return CheckResult("dna", False, f"{path}: not a verification file crn2sbml dna wrote ({exc}); {HOW}")
    figures = {"verification": str(path), "scheme": data.get("scheme"), "modules": len(data.get("modules", [])),
               "verified": data.get("correct")}
    if not data.get("correct"):
        failed = ", ".join(data.get("failed_modules", [])) or "the composition"
        return CheckResult("dna", False, f"the DNA implementation does not verify: {failed} (scheme "
                           f"{data.get('scheme')})", figures)
    level = data.get("dna_level")
    if level is None:
        return CheckResult("dna", False, f"{path}: verified, but without its dna_level section; rerun crn2sbml dna",
                           figures)
    from ..dna.answer import answer_for, dna_roadrunner

    sbml = path.with_name(level["sbml"])
    if not sbml.is_file():
        return CheckResult("dna", False, f"{sbml} is missing; rerun crn2sbml dna", figures)
    rr = dna_roadrunner(str(sbml), level["c0_nM"])
    species = set(rr.model.getFloatingSpeciesIds())
    from ..dna.emit import sbml_id

    missing = [s.id for s in subject.crn.species if s.role == "output" and sbml_id(s.id) not in species]
    if missing:
        return CheckResult("dna", False, f"the DNA implementation in {path.parent} is of another network: no strand "
                           f"for {', '.join(missing)}", figures)
    a = answer_for(rr, subject.crn, subject.network, level["c0_nM"], level["seconds_per_time_unit"],
                   level["tolerance"], totals=level.get("input_total_per_free", {}),
                   fuels={m["reaction"]: m["fuel_strands"] for m in level.get("modules", []) if "fuel_strands" in m})
    figures.update({"input": list(a.inputs), "forward": list(a.forward), "dna_readout": list(a.dna),
                    "read_at_s": a.read_at, "error_held_to_2x": a.error, "tolerance": a.tolerance,
                    "gates_spent_by_2x": a.spent, "gates_spent_by_2x_module": a.spent_by})
    verdict = "within" if a.ok else "NOT within"
    return CheckResult("dna", a.ok, f"verified ({data.get('scheme')}, {figures['modules']} modules); DNA-level "
                       f"readout {', '.join(f'{v:.4g}' for v in a.dna)} against {', '.join(f'{v:.4g}' for v in a.forward)} "
                       f"at {a.read_at / 3600:.3g} h, worst error to twice that {a.error:.3g}: {verdict} the "
                       f"tolerance {a.tolerance:.3g} (the module spending most spends {a.spent:.0%} of its gates by "
                       f"then: {a.spent_by})", figures)


__all__ = ["check_dna", "find_implementation"]
