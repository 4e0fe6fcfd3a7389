"""Down to DNA: a compiled CRN as a strand-displacement system, module by
module (one per formal reaction), enumerated by peppercorn, verified by
crnverifier, with concentrations that realise the formal rate constants.

    design = dna_design(crn, "lakin2012", c0=10)   # nM per formal unit; fuel: the scheme's
    design.correct                                 # every module and the composition
    write_dna(design, network, "build/xor-dna")    # PIL, SBML, Antimony, verdicts, strands

``crn2sbml dna MODEL --scheme NAME --out DIR`` is the command. peppercorn
and crnverifier come with ``pip install 'crn2sbml[dna]'``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .._atomic import ensure_dir, staged_folder
from ..crn import CRN
from ..errors import MissingDependencyError
from ..network import Network
from .answer import DEFAULT_TOLERANCE, Answer, dna_answers
from .emit import antimony, domain_pil, enumerated_pil, sbml, strands_csv
from .realise import MAX_CONCENTRATION, Realisation, check_fuel, default_fuel, realise
from .schemes import FORMS, Scheme, get_scheme, known_schemes
from .system import DnaSystem, build, plan

METHOD = ("crnverifier modular CRN bisimulation (Johnson, Dong & Winfree, Theor. Comput. Sci. 765 (2019) 3-46): "
          "each module's condensed DNA-level reactions, fuels and buffers removed, against its formal reaction; "
          "the modules share only signal strands, every one interpreted as its formal species")


@dataclass
class DnaDesign:
    system: DnaSystem
    realisation: Realisation | None  # None when verification failed: nothing to realise
    seconds: dict[str, float]  # wall time of each stage

    @property
    def correct(self) -> bool:
        return self.system.correct


def _require_tools() -> None:
    from .enumerate import peppercorn

    peppercorn()  # the recursion limit kept
    try:
        import crnverifier  # noqa: F401
    except ImportError:
        raise MissingDependencyError("crn2sbml dna needs peppercorn and crnverifier: pip install 'crn2sbml[dna]'") \
            from None


def dna_design(crn: CRN, scheme: str | Scheme = "lakin2012", *, fuel: float | None = None, c0: float = 10.0,
               seconds: float | None = None, jobs: int | None = None,
               progress: Callable[[int, int, str], None] | None = None, catalysed: bool = True) -> DnaDesign:
    """Translate, enumerate and verify every module, compose them and choose
    the concentrations (``c0``: nM per formal concentration unit;
    ``seconds``: s per formal time unit, or the fastest the fuel allows;
    ``fuel``: the excess over the largest signal, default the scheme's,
    lowered where its buffers would pass 1 mM: ``realise.default_fuel``;
    ``catalysed``: first-order reactions catalysed by a unit signal,
    ``system.plan``)."""
    sch = get_scheme(scheme) if isinstance(scheme, str) else scheme
    fuel = default_fuel(sch.fuel, crn, c0) if fuel is None else fuel
    plan(crn, sch, catalysed)  # a refused form fails before any tool runs
    check_fuel(fuel, crn, c0)
    _require_tools()
    t0 = time.perf_counter()
    system = build(crn, sch, jobs=jobs, progress=progress, catalysed=catalysed)
    t1 = time.perf_counter()
    real = realise(system, c0=c0, fuel=fuel, seconds=seconds) if system.correct else None
    t2 = time.perf_counter()
    return DnaDesign(system, real, {"enumerate_and_verify_modules": t1 - t0 - system.whole_seconds,
                                    "verify_whole": system.whole_seconds, "realise": t2 - t1})


def verification(design: DnaDesign, name: str | None = None, tolerance: float = DEFAULT_TOLERANCE) -> dict:
    """The verdicts, and what ``crn2sbml validate``'s dna check needs to rerun the DNA level."""
    s = design.system
    modules = []
    for e, v in zip(s.enumerated, s.verdicts):
        modules.append({
            "module": v.module, "reaction": v.reaction, "form": v.form, "correct": v.correct,
            "dna_species": len(e.complexes), "dna_reactions": len(e.reactions),
            "interpretation": {k: vs for k, vs in sorted(v.interpretation.items()) if vs},
            "enumeration_seconds": round(e.seconds, 4), "verification_seconds": round(v.seconds, 4),
        })
    return {
        "scheme": s.scheme.name, "citation": s.scheme.citation, "correct": s.correct,
        "whole_system": {"correct": s.whole, "method": METHOD, "seconds": round(s.whole_seconds, 4),
                         "history_variants_identified_with_their_signal": s.identified},
        "modules": modules,
        "failed_modules": [m["reaction"] for m in modules if not m["correct"]],
        **({"dna_level": {"sbml": f"{name or s.crn.name}_dna.xml", "c0_nM": r.c0, "seconds_per_time_unit": r.seconds,
                          "fuel": r.fuel, "cap_nM": r.cap, "buffer_nM": r.buffer, "tolerance": tolerance,
                          "input_total_per_free": r.totals, "unit_signal": s.unit,
                          "modules": [{"reaction": m.reaction, "gates_nM": m.level, "own_buffers_nM": m.private,
                                       "fuel_strands": s.module_fuels(m.module),
                                       "realised_over_target": m.achieved / m.target if m.target else None}
                                      for m in r.rates]}}
           if (r := design.realisation) is not None else {}),
    }


def report_text(design: DnaDesign, answers: list[Answer]) -> str:
    s, r = design.system, design.realisation
    lines = [f"# {s.crn.name} at the DNA level: scheme {s.scheme.name}",
             "", f"{s.scheme.citation}.", "",
             f"- modules: {len(s.modules)} (one per formal reaction), verified: "
             f"{sum(v.correct for v in s.verdicts)}/{len(s.verdicts)}; whole system: "
             f"{'correct' if s.whole else 'NOT correct'} ({METHOD.split(':')[0]})",
             f"- DNA level: {len(s.kernels)} species, {len(s.reactions)} reactions (peppercorn, condensed)",
             "", "## How the formal rate constants are realised", "",
             f"One formal concentration unit is {r.c0:g} nM of a signal strand; one formal time unit is "
             f"{r.seconds:.4g} s ({r.seconds / 3600:.3g} h). peppercorn fixes every DNA-level rate constant; "
             f"each module has two knobs, set so that its quasi-steady-state rate equals the formal k. Its gates and "
             f"fuel strands stay at the cap, {r.cap:.4g} nM (--fuel {r.fuel:g} times the largest signal), so a steady "
             f"flux does not spend them; a faster module is slowed by raising its own buffer strands (those no other "
             f"module binds) from their floor (nothing, where their reverse steps hand back fuel signals only; else "
             f"{r.buffer:.4g} nM) up to {MAX_CONCENTRATION:.0e} nM, and only past that (or, for a "
             f"module without own buffers, at once) are its gates lowered. Shared buffer strands sit at {r.buffer:.4g} "
             f"nM, so a gate's first step holds at most 1/{r.buffer / r.cap:.4g} of a reactant.", ""]
    if s.unit:
        lines += [f"Every first-order reaction (Y -> 2Y, Y -> 0) runs catalysed by the unit signal `{s.unit}`, held at "
                  f"one formal unit (ONE + Y -> ONE + 2Y, ONE + Y -> ONE: the same rate): a bimolecular module, as "
                  f"fast as the weights' at the same gate level, where a unimolecular gate would have to run far "
                  f"below the cap and a steady flux would spend it.", ""]
    if r.totals:
        lines += ["Gates hold some of every reactant; an input (or the unit signal), which no reaction changes, is "
                  "supplied at its value times (total per free strand): " + ", ".join(f"{s} {v:.4f}" for s, v in sorted(r.totals.items()))
                  + ", so that its free strands stand at its value.", ""]
    lines += ["| module | reaction | order | formal k | gates and fuels (nM) | own buffers (nM) | realised / target |",
              "|---|---|---|---|---|---|---|"]
    for m in r.rates:
        ratio = m.achieved / m.target if m.target else float("nan")
        lines.append(f"| {m.module} | {m.reaction} | {m.order} | {m.formal:.6g} | {m.level:.4g} | {m.private:.4g} | "
                     f"{ratio:.6f} |")
    if answers:
        lines += ["", "## The answer at the DNA level (roadrunner on the DNA-level SBML)", "",
                  "The fuel is finite: the readout (free output strands / c0) is a plateau, read when the formal CRN "
                  "has come within a quarter of the tolerance of the forward pass (roadrunner); the error is the worst "
                  "from then to twice that time, and the window is the span of sampled times in which it is within the "
                  "tolerance of the forward pass. Every firing of a module takes one of each of its fuel strands: the "
                  "last column is the largest share of a module's fuel strands spent by twice the read time (a share "
                  "near the relative tolerance or above it means the fuel runs out before the answer is held).", "",
                  "| input | forward | DNA readout | error (held to 2x) | tolerance | read at (h) | within tolerance (h) "
                  "| gates spent by 2x (module) |",
                  "|---|---|---|---|---|---|---|---|"]
        for a in answers:
            window = (f"{a.within_from / 3600:.3g} to {a.within_until / 3600:.3g}" if a.within_from is not None
                      else "never")
            lines.append(f"| {', '.join(f'{v:g}' for v in a.inputs)} | {', '.join(f'{v:.4f}' for v in a.forward)} | "
                         f"{', '.join(f'{v:.4f}' for v in a.dna)} | {a.error:.3g} | {a.tolerance:.3g} | "
                         f"{a.read_at / 3600:.3g} | {window} | {a.spent:.1%} ({a.spent_by}) |")
    return "\n".join(lines) + "\n"


def write_dna(design: DnaDesign, network: Network, out: str | Path, *, name: str | None = None,
              inputs: list[list[float]] | None = None, tolerance: float = DEFAULT_TOLERANCE,
              sequences: bool = False, seed: int = 0) -> tuple[dict[str, Path], list[Answer]]:
    """Write NAME.pil, NAME_enumerated.pil, NAME_dna.xml / .ant,
    NAME_verification.json, NAME_strands.csv and NAME_dna.md into ``out``,
    all or nothing; ``inputs``: the test inputs simulated at the DNA level;
    ``sequences``: domain sequences (seqwalk) and their check (ViennaRNA)
    in the strands table."""
    name = name or design.system.crn.name
    folder = ensure_dir(out)
    if design.realisation is None:  # a failed verification: its verdicts and what was enumerated, to look into
        texts = {"enumerated": (f"{name}_enumerated.pil", enumerated_pil(design.system)),
                 "verification": (f"{name}_verification.json", json.dumps(verification(design), indent=2) + "\n")}
        with staged_folder(folder) as stage:
            for file, text in texts.values():
                (stage / file).write_text(text)
        return {k: folder / f for k, (f, _) in texts.items()}, []
    answers = dna_answers(design.system, design.realisation, network, inputs, tolerance) if inputs else []
    seqs = checks = None
    summary = ""
    if sequences:
        from .sequences import check_design, design_sequences, strand_sequences

        domains = design_sequences(design.system, seed)
        check = check_design(design.system, domains, seed=seed)
        seqs, checks = strand_sequences(design.system, domains), check.texts
        w = check.summary
        summary = ("\n## Sequences\n\nDomains designed with seqwalk (no k-mer twice, nor its reverse complement; "
                   "top strands over A/C/T), checked with ViennaRNA (Mathews 2004 DNA parameters, 25 C): worst "
                   f"self-structure {w['worst_self_mfe']:.1f} kcal/mol ({w['worst_self_strand']}), worst unintended "
                   f"pairing {w['worst_unintended']:.1f} kcal/mol ({' / '.join(w['worst_unintended_pair'] or ())}), "
                   f"{w['pairs_checked']} of {w['pairs_unintended']} unintended pairs checked. Per strand: "
                   "NAME_strands.csv.\n") if w["worst_unintended"] is not None else ""
    texts = {
        "pil": (f"{name}.pil", domain_pil(design.system, design.realisation)),
        "enumerated": (f"{name}_enumerated.pil", enumerated_pil(design.system)),
        "sbml": (f"{name}_dna.xml", sbml(design.system, design.realisation)),
        "antimony": (f"{name}_dna.ant", antimony(design.system, design.realisation)),
        "verification": (f"{name}_verification.json",
                         json.dumps(verification(design, name, tolerance), indent=2) + "\n"),
        "strands": (f"{name}_strands.csv", strands_csv(design.system, design.realisation, seqs, checks)),
        "report": (f"{name}_dna.md", report_text(design, answers) + summary),
    }
    with staged_folder(folder) as stage:
        for file, text in texts.values():
            (stage / file).write_text(text)
    return {k: folder / f for k, (f, _) in texts.items()}, answers


__all__ = ["DnaDesign", "FORMS", "METHOD", "dna_design", "known_schemes", "report_text", "verification",
           "write_dna"]
