"""The DNA-level network as text: peppercorn PIL (the domain-level system
and the enumerated one), Antimony and SBML (every rate constant a named
parameter, concentrations in nM, time in s), and the strands table."""

from __future__ import annotations

import csv
import io
import re

from .realise import Realisation
from .system import DnaSystem


def sbml_id(name: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return out if re.match(r"[A-Za-z_]", out) else f"s_{out}"


def domain_pil(system: DnaSystem, real: Realisation) -> str:
    """The signals, fuels and buffers with their concentrations (PIL)."""
    scheme = system.scheme
    domains = sorted(set().union(*(c.domains for m in system.modules for c in m.complexes)))
    lines = [f"# {system.crn.name}: the domain-level system of scheme {scheme.name} ({scheme.citation})",
             f"# one formal concentration unit = {real.c0:g} nM; one formal time unit = {real.seconds:.6g} s"]
    lines += [f"length {d} = {scheme.length(d)}" for d in domains]
    seen = set()
    for m in system.modules:
        for c in m.complexes:
            if c.name not in seen:
                seen.add(c.name)
                lines.append(f"{c.name} = {c.kernel} @initial {real.initial.get(c.name, 0.0):.6g} nM")
    return "\n".join(lines) + "\n"


def enumerated_pil(system: DnaSystem) -> str:
    """The enumerated, condensed reactions, module by module (PIL)."""
    lines = [f"# {system.crn.name}: enumerated by peppercorn, condensed to resting states; rates in /nM/s and /s"]
    for name, kernel in system.kernels.items():
        lines.append(f"{name} = {kernel}")
    for r in system.reactions:
        unit = "/nM/s" if len(r.reactants) == 2 else "/s"
        lines.append(f"reaction [condensed = {r.rate:.8g} {unit}] {' + '.join(r.reactants)} -> "
                     f"{' + '.join(r.products) or ''}  # module {r.module}")
    return "\n".join(lines) + "\n"


def antimony(system: DnaSystem, real: Realisation) -> str:
    lines = [f"// {system.crn.name} at the DNA level: scheme {system.scheme.name}; concentrations nM, time s",
             f"// one formal concentration unit = {real.c0:g} nM; one formal time unit = {real.seconds:.6g} s",
             f"model {sbml_id(system.crn.name)}_dna", "  compartment tube = 1;"]
    for n, r in enumerate(system.reactions):
        left = " + ".join(sbml_id(x) for x in r.reactants)
        right = " + ".join(sbml_id(x) for x in r.products)
        law = " * ".join([f"k{n}", *(sbml_id(x) for x in r.reactants)])
        lines.append(f"  J{n}: {left} -> {right}; {law};  // module {r.module}")
    for n, r in enumerate(system.reactions):
        lines.append(f"  k{n} = {r.rate!r};")
    for name in system.kernels:
        lines.append(f"  species {sbml_id(name)} in tube = {real.initial.get(name, 0.0)!r};")
    lines.append("end")
    return "\n".join(lines) + "\n"


def sbml(system: DnaSystem, real: Realisation) -> str:
    import antimony as sb

    sb.clearPreviousLoads()
    if sb.loadAntimonyString(antimony(system, real)) < 0:  # pragma: no cover - our own text
        raise RuntimeError(sb.getLastError())
    return sb.getSBMLString(sb.getMainModuleName())


def strands_csv(system: DnaSystem, real: Realisation, sequences: dict[str, str] | None = None,
                checks: dict[str, str] | None = None) -> str:
    """Every distinct strand: its domains, role, total concentration (nM, over
    the complexes supplied), and the complex it comes in."""
    rows: dict[tuple[str, ...], dict] = {}
    for m in system.modules:
        for c in m.complexes:
            role = system.roles.get(c.name, c.role)
            for k, strand in enumerate(c.strands):
                row = rows.setdefault(strand, {"role": role, "complexes": [], "nM": 0.0})
                if c.name not in row["complexes"]:
                    row["complexes"].append(c.name)
                    row["nM"] += real.initial.get(c.name, 0.0)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    header = ["strand", "domains", "role", "concentration_nM", "supplied_in", "length_nt"]
    if sequences is not None:
        header += ["sequence", "check"]
    w.writerow(header)
    for n, (strand, row) in enumerate(sorted(rows.items(), key=lambda kv: (kv[1]["role"], kv[0]))):
        name = f"S{n + 1}"
        length = sum(system.scheme.length(d.rstrip("*")) for d in strand)
        cells = [name, " ".join(strand), row["role"], f"{row['nM']:.6g}", " ".join(row["complexes"]), length]
        if sequences is not None:
            cells += [sequences.get(" ".join(strand), ""), (checks or {}).get(" ".join(strand), "")]
        w.writerow(cells)
    return out.getvalue()


__all__ = ["antimony", "domain_pil", "enumerated_pil", "sbml", "sbml_id", "strands_csv"]
