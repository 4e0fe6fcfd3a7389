"""Shared pieces of the activation modules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QTerm:
    """One term ``coefficient * y**power`` of the neuron's self-dynamics q(y)."""

    power: int
    coefficient: float
    role: str  # names the reaction and its rate parameter, e.g. "inflow", "ann"
