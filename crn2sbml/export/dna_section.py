"""The DNA section of the hand-off sheet: the strands to order and the
verification verdict of a DNA strand-displacement design, read from the
folder ``crn2sbml dna`` wrote (NAME_verification.json, NAME_strands.csv).

The data flows one way: this module reads those files and never imports
crn2sbml.dna, whose tools (peppercorn, crnverifier) are an optional extra."""

from __future__ import annotations

import csv
import html
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .units import UnitScale

HOW = "run crn2sbml dna MODEL --scheme S --out DIR first"
STRAND_COLUMNS = ("strand", "domains", "role", "concentration_nM", "supplied_in", "length_nt")
LEVEL_NUMBERS = ("c0_nM", "seconds_per_time_unit", "fuel")


@dataclass(frozen=True)
class StrandRow:
    strand: str
    domains: str
    role: str
    nM: str  # as crn2sbml dna wrote it: the amount to order is shown verbatim, not re-rounded
    supplied_in: str
    length_nt: str
    sequence: str | None = None
    check: str | None = None

    @property
    def concentration(self) -> float:
        return float(self.nM)


@dataclass(frozen=True)
class DnaSection:
    """A verified DNA design: its verification JSON and its strands."""

    folder: Path
    name: str
    verification: dict[str, Any]
    strands: tuple[StrandRow, ...]

    @property
    def has_sequences(self) -> bool:
        return any(s.sequence is not None for s in self.strands)

    def totals(self) -> list[tuple[str, int, float]]:
        """(role, strands, total nM) per role, in the order the roles first appear."""
        out: dict[str, list] = {}
        for s in self.strands:
            row = out.setdefault(s.role, [0, 0.0])
            row[0] += 1
            row[1] += s.concentration
        return [(role, n, nM) for role, (n, nM) in out.items()]


def _fail(folder: str | os.PathLike[str], why: str) -> InputError:
    return InputError(f"--dna '{folder}': {why}")


def _read_verification(folder: Path, given: str | os.PathLike[str], name: str) -> dict[str, Any]:
    path = folder / f"{name}_verification.json"
    if not path.is_file():
        others = sorted(p.name[: -len("_verification.json")] for p in folder.glob("*_verification.json")
                        if p.name != path.name)
        if others:  # a design of another model: say whose, so the user sees the mix-up
            held = ", ".join(f"'{o}'" for o in others[:5]) + (" ..." if len(others) > 5 else "")
            raise _fail(given, f"no {path.name}: the folder holds the design of {held}, not of '{name}'; {HOW}")
        raise _fail(given, f"no {path.name}; {HOW}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _fail(given, f"{path.name} is unreadable ({' '.join(str(exc).split())}); {HOW}") from None
    if not isinstance(data, dict) or not isinstance(data.get("correct"), bool) or "scheme" not in data:
        raise _fail(given, f"{path.name} is not a verification file crn2sbml dna wrote; {HOW}")
    if not data["correct"]:
        failed = [str(m) for m in data.get("failed_modules") or []]
        what = (f"failed modules {', '.join(failed)}" if failed
                else "every module verifies, but not the whole system")
        raise _fail(given, f"the DNA design (scheme {data['scheme']}) is not verified: {what}; fix the network or "
                    "pick another --scheme, and rerun crn2sbml dna")
    level = data.get("dna_level")
    if not isinstance(level, dict) or not all(
            isinstance(level.get(k), (int, float)) and math.isfinite(level[k]) and level[k] > 0 for k in LEVEL_NUMBERS):
        raise _fail(given, f"{path.name} lacks its dna_level figures ({', '.join(LEVEL_NUMBERS)}); rerun crn2sbml dna")
    return data


def _read_strands(folder: Path, given: str | os.PathLike[str], name: str) -> tuple[StrandRow, ...]:
    path = folder / f"{name}_strands.csv"
    if not path.is_file():
        raise _fail(given, f"no {path.name}; {HOW}")
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in STRAND_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise _fail(given, f"{path.name} lacks the column(s) {', '.join(missing)}; rerun crn2sbml dna")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _fail(given, f"{path.name} is unreadable ({' '.join(str(exc).split())}); {HOW}") from None
    if not rows:
        raise _fail(given, f"{path.name} lists no strands; rerun crn2sbml dna")
    strands = []
    for k, r in enumerate(rows, start=2):  # line numbers as an editor shows them (the header is line 1)
        try:
            nM = float(r["concentration_nM"])
        except (TypeError, ValueError):
            nM = math.nan
        if not (math.isfinite(nM) and nM >= 0):
            raise _fail(given, f"{path.name} line {k}: concentration_nM '{r['concentration_nM']}' is not a "
                        "concentration; rerun crn2sbml dna")
        strands.append(StrandRow(r["strand"], r["domains"], r["role"], r["concentration_nM"], r["supplied_in"],
                                 r["length_nt"], r.get("sequence"), r.get("check")))
    return tuple(strands)


def load_dna_section(folder: str | os.PathLike[str], name: str) -> DnaSection:
    """Read NAME_verification.json and NAME_strands.csv from ``folder`` (what
    ``crn2sbml dna`` wrote). InputError, one line naming --dna and the fix, if
    they are missing or unreadable or the design is not verified."""
    path = Path(folder)
    if not path.is_dir():
        raise _fail(folder, f"no such folder; {HOW}")
    data = _read_verification(path, folder, name)  # first: a failed design has no strands file
    return DnaSection(path, name, data, _read_strands(path, folder, name))


def _levels(level: dict[str, Any]) -> str:
    """The gate cap and buffer level, where the file has them (older files may not)."""
    said = [f"{what} {level[key]:.4g} nM" for key, what in (("cap_nM", "gates and fuel strands up to"),
                                                             ("buffer_nM", "buffers"))
            if isinstance(level.get(key), (int, float))]
    return f" ({', '.join(said)})" if said else ""


def dna_parts(section: DnaSection, scale: UnitScale | None = None) -> list[str]:
    """The sheet's DNA section, as HTML parts in the sheet's style; ``scale``:
    the sheet's own units, to point out where they differ from the design's."""
    from .sheet import _table

    v, level = section.verification, section.verification["dna_level"]
    whole = v.get("whole_system") or {}
    modules = v.get("modules") or []
    verified = sum(1 for m in modules if m.get("correct"))
    method = str(whole.get("method", "")).split(":")[0]
    c0, seconds, fuel = level["c0_nM"], level["seconds_per_time_unit"], level["fuel"]
    esc = html.escape
    parts = [
        "<h2>DNA implementation</h2>",
        f"<p>Scheme {esc(str(v['scheme']))}" + (f" ({esc(str(v['citation']))})" if v.get("citation") else "") + ".</p>",
        f"<p>Verified: {verified}/{len(modules)} modules; whole system: "
        f"{'correct' if whole.get('correct') else 'NOT correct'}" + (f", by {esc(method)}" if method else "") + ".</p>",
        f"<p>1 formal concentration unit = {c0:g} nM of a signal strand; 1 formal time unit = {seconds:.4g} s "
        f"({seconds / 3600:.3g} h); fuel excess {fuel:g}x the largest signal{_levels(level)}.</p>",
    ]
    if scale is not None and (not math.isclose(scale.nM, c0) or not math.isclose(scale.seconds, seconds)):
        # the tables above are in the sheet's units; the strands below are in the design's
        parts.append(f"<p>Note: the tables above use 1 model unit = {scale.nM:g} nM and {scale.seconds:g} s; the "
                     f"DNA design uses {c0:g} nM and {seconds:.4g} s (its --concentration-unit, --time-unit).</p>")
    header = ["strand", "role", "domains", "concentration (nM)", "supplied in", "length (nt)"]
    seq = section.has_sequences
    if seq:
        header += ["sequence", "check"]
    rows = [[s.strand, s.role, s.domains, s.nM, s.supplied_in, s.length_nt,
             *([s.sequence or "", s.check or ""] if seq else [])] for s in section.strands]
    totals = section.totals()
    parts += [
        f"<h3>Strands to order</h3><p>{len(section.strands)} strands, from {esc(section.name)}_strands.csv "
        f"(domain-level design: {esc(section.name)}.pil; DNA-level SBML: {esc(str(level.get('sbml', '')))}).</p>",
        _table(header, rows),
        "<h3>Strands per role</h3>",
        # totals as text, %.6g like the CSV: _table would round floats to 4 digits
        _table(["role", "strands", "total (nM)"],
               [[role, n, f"{nM:.6g}"] for role, n, nM in totals]
               + [["all", len(section.strands), f"{sum(t[2] for t in totals):.6g}"]]),
    ]
    return parts


__all__ = ["DnaSection", "StrandRow", "dna_parts", "load_dna_section"]
