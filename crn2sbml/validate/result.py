"""Result objects: one CheckResult per check family, gathered in a
ValidationReport. Plots travel as data (Plot) and are drawn only by the HTML
report, so checks stay free of matplotlib."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Series:
    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    style: str = "-"  # matplotlib format string
    alpha: float = 1.0


@dataclass(frozen=True)
class Plot:
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]
    xscale: str = "linear"
    yscale: str = "linear"
    legend: bool = True
    xticks: tuple[float, ...] = ()  # e.g. whole layer numbers


@dataclass(frozen=True)
class CheckResult:
    """One check: its verdict, the reason (why it failed, or what passed),
    the figures behind it and its plots. A check that does not apply to the
    model (``applicable`` False, e.g. the construction's checks on a foreign
    model) neither passes nor fails the report."""

    name: str
    passed: bool
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)
    plots: tuple[Plot, ...] = ()
    seconds: float = 0.0
    applicable: bool = True

    @classmethod
    def not_applicable(cls, name: str, reason: str) -> "CheckResult":
        return cls(name, False, reason, applicable=False)

    @property
    def status(self) -> str:
        return "n/a" if not self.applicable else "pass" if self.passed else "FAIL"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "applicable": self.applicable,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "figures": json_safe(self.figures),
        }


@dataclass(frozen=True)
class ValidationReport:
    model: str
    source: str
    checks: tuple[CheckResult, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks if c.applicable)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.applicable and not c.passed)

    def __getitem__(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "source": self.source,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "settings": json_safe(self.settings),
            "checks": [c.to_dict() for c in self.checks],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n"

    def summary(self) -> str:
        """One line per check: verdict, name, wall time, reason."""
        lines = [f"{self.model}: {'PASS' if self.passed else 'FAIL'} ({self.seconds:.1f} s)"]
        for c in self.checks:
            lines.append(f"  {'ok' if c.passed else c.status:<4s} {c.name:<12s} {c.seconds:6.1f} s  {c.reason}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .._html import report_body

        return report_body(self)


def json_safe(value: Any) -> Any:
    """JSON-safe copy: numpy scalars/arrays to Python, non-finite floats to strings."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else str(v)
    return value
