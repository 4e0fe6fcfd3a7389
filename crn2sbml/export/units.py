"""Physical units for a wet-lab hand-off: a concentration scale (one model
unit = so many nM) and a time scale (one model time unit = so many seconds),
every rate constant restated in nM and seconds, and a plausibility check of
those rates against the typical range of a chosen chemistry."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..crn import CRN
from ..errors import InputError, UnknownNameError

# concentration units in nM
_CONC = {"pm": 1e-3, "nm": 1.0, "um": 1e3, "µm": 1e3, "mm": 1e6, "m": 1e9}
# time units in seconds
_TIME = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}

# Plausible rate-constant ranges by reaction order, in nM and seconds:
# order 0 in nM/s, order 1 in 1/s, order 2 in 1/(nM s). These are general
# knowledge, rounded to decades, not measurements of any particular system:
# - "dsd" (DNA strand displacement): toehold-mediated strand displacement has
#   bimolecular rate constants from about 1e0 to 6e6 /M/s depending on toehold
#   length (Zhang & Winfree, JACS 131 (2009) 17303); usable designs sit in
#   1e3..1e7 /M/s. Unimolecular and zeroth-order steps are emulated with
#   buffered fuel gates (Soloveichik, Seelig & Winfree, PNAS 2010), so their
#   effective rates are a bimolecular rate times a fuel concentration
#   (<= ~1 uM): roughly 1e-6..1e-2 /s and 1e-5..1e1 nM/s.
# - "mass_action" (idealized chemistry): bimolecular up to the diffusion limit
#   (~1e9..1e10 /M/s), unimolecular up to ~1e3 /s.
# Reactions of order 3 or more are not elementary in any of them.
CHEMISTRIES: dict[str, dict[int, tuple[float, float]]] = {
    "dsd": {0: (1e-5, 1e1), 1: (1e-6, 1e-2), 2: (1e-6, 1e-2)},
    "mass_action": {0: (1e-6, 1e4), 1: (1e-6, 1e3), 2: (1e-9, 1e1)},
}

UNIT_TEXT = {0: "nM/s", 1: "1/s", 2: "1/(nM*s)"}

# The scales a unit may have (1 model unit in nM, in seconds): a rate constant
# of order p is restated as k * C^(1-p) / T, and p reaches MAX_POLYNOMIAL_DEGREE
# (16): inside these bounds C^(1-p) / T stays far from double overflow and
# underflow (1e-12^-15 = 1e180), from 1 zeptomolar to 1 kilomolar and from a
# picosecond to 30,000 years.
SCALE_RANGE = (1e-12, 1e12)


def order_unit(order: int) -> str:
    return UNIT_TEXT.get(order, f"1/(nM^{order - 1}*s)")


def _parse(text: str, table: dict[str, float], what: str, example: str) -> float:
    m = re.fullmatch(r"\s*([0-9.eE+-]*)\s*([A-Za-zµ]+)\s*", str(text))
    if not m:
        raise InputError(f"{what} '{text}' is not a number and a unit; write e.g. {example}")
    number, unit = m.group(1), m.group(2).lower()
    if unit not in table:
        raise InputError(f"{what} '{text}': unknown unit '{m.group(2)}'; known: {', '.join(table)}")
    try:
        factor = float(number) if number else 1.0
    except ValueError:
        raise InputError(f"{what} '{text}': '{number}' is not a number; write e.g. {example}") from None
    if not (math.isfinite(factor) and factor > 0):
        raise InputError(f"{what} '{text}': the scale must be a finite number > 0; write e.g. {example}")
    return _in_range(factor * table[unit], f"{what} '{text}'", "nM" if table is _CONC else "s", example)


def _in_range(value: float, what: str, unit: str, example: str) -> float:
    lo, hi = SCALE_RANGE
    if not lo <= value <= hi:
        raise InputError(f"{what} is {value:g} {unit}; crn2sbml restates rate constants for units from {lo:g} to "
                         f"{hi:g} {unit} (beyond, they overflow a double); write e.g. {example}")
    return value


@dataclass(frozen=True)
class UnitScale:
    """One model concentration unit = ``nM`` nanomolar; one model time unit =
    ``seconds`` seconds."""

    nM: float = 1.0
    seconds: float = 1.0

    def __post_init__(self) -> None:
        for name, v, unit in (("concentration scale", self.nM, "nM"), ("time scale", self.seconds, "s")):
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InputError(f"{name} is {v!r}; it must be a finite number > 0")
            _in_range(float(v), name, unit, "1")

    @classmethod
    def parse(cls, concentration: str = "1nM", time: str = "s") -> "UnitScale":
        return cls(_parse(concentration, _CONC, "concentration unit", "10nM"),
                   _parse(time, _TIME, "time unit", "s or 60s or min"))

    def concentration(self, value: float) -> float:
        """A model concentration in nM."""
        return value * self.nM

    def time(self, value: float) -> float:
        return value * self.seconds

    def rate(self, k: float, order: int) -> float:
        """A model rate constant (kappa included) of a reaction of ``order``
        in nM and seconds: k * C^(1-order) / T."""
        return k * self.nM ** (1 - order) / self.seconds


def get_chemistry(name: str) -> dict[int, tuple[float, float]]:
    if name not in CHEMISTRIES:
        raise UnknownNameError(f"unknown chemistry '{name}'; known chemistries: {', '.join(CHEMISTRIES)}")
    return CHEMISTRIES[name]


@dataclass(frozen=True)
class RateRow:
    reaction: str
    equation: str
    order: int
    parameter: str
    model_value: float  # kappa * k in model units
    value: float  # in nM and seconds
    unit: str


def rate_table(crn: CRN, scale: UnitScale) -> list[RateRow]:
    from ..emit._common import reaction_equation

    params = crn.parameter_index
    rows = []
    for r in crn.reactions:
        k = crn.speed * params[r.rate].value
        rows.append(RateRow(r.id, reaction_equation(r), r.order, r.rate, k, scale.rate(k, r.order), order_unit(r.order)))
    return rows


@dataclass(frozen=True)
class RateIssue:
    reaction: str
    order: int
    value: float
    unit: str
    low: float | None
    high: float | None
    speed_factor: float | None  # multiply kappa by this to fix
    concentration_factor: float | None  # multiply the concentration scale by this to fix

    def describe(self) -> str:
        if self.low is None:
            return f"{self.reaction}: order {self.order} is not an elementary reaction in this chemistry; decompose it"
        fixes = []
        if self.speed_factor is not None:
            fixes.append(f"speed factor kappa x {self.speed_factor:.3g}")
        if self.concentration_factor is not None:
            fixes.append(f"concentration scale x {self.concentration_factor:.3g}")
        return (f"{self.reaction}: {self.value:.3g} {self.unit} outside {self.low:g}..{self.high:g} {self.unit}; "
                f"fix: {' or '.join(fixes)}")


def check_rates(crn: CRN, scale: UnitScale, chemistry: str) -> list[RateIssue]:
    """Reactions whose physical rate constant falls outside the chemistry's
    plausible range, each with the factor (kappa, or the concentration scale
    for orders other than 1) that would bring it inside."""
    table = get_chemistry(chemistry)
    issues = []
    for row in rate_table(crn, scale):
        if row.order not in table:
            issues.append(RateIssue(row.reaction, row.order, row.value, row.unit, None, None, None, None))
            continue
        lo, hi = table[row.order]
        if lo <= row.value <= hi:
            continue
        target = lo if row.value < lo else hi
        # a rate constant too large for a double in these units (a huge weight) has no finite fix
        f = target / row.value if 0 < row.value < math.inf else None
        # rate ~ C^(1-order): scaling C by g scales the rate by g^(1-order)
        g = f ** (1.0 / (1 - row.order)) if f and row.order != 1 else None
        issues.append(RateIssue(row.reaction, row.order, row.value, row.unit, lo, hi, f, g))
    return issues


def check_volume(volume_litre: float) -> float:
    if not (isinstance(volume_litre, (int, float)) and math.isfinite(volume_litre) and 0 < volume_litre <= 1.0):
        raise InputError(f"volume is {volume_litre!r} litre; give a finite volume in (0, 1] litre, e.g. 1e-15")
    return float(volume_litre)


AVOGADRO = 6.02214076e23


def molecules_per_unit(scale: UnitScale, volume_litre: float) -> float:
    """Molecules of one model concentration unit in ``volume_litre``."""
    return scale.nM * 1e-9 * AVOGADRO * check_volume(volume_litre)
