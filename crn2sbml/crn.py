"""The CRN intermediate representation: the hub every emitter and simulator
reads. Plain frozen value objects, with provenance (layer, unit, role) on every
species, parameter and reaction."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Iterable

import numpy as np

from .errors import InputError, NetworkError

SPECIES_ROLES = ("input", "hidden", "output")


@dataclass(frozen=True)
class Species:
    id: str
    role: str  # "input" (boundary catalyst), "hidden" or "output"
    layer: int  # 0 for inputs, 1.. for neuron layers
    unit: int  # index inside the layer (0-based)
    initial: float = 0.0

    @property
    def boundary(self) -> bool:
        return self.role == "input"


@dataclass(frozen=True)
class Parameter:
    """A named rate constant (always >= 0)."""

    id: str
    value: float
    role: str  # "eps", "weight", "bias" or a q-term role such as "ann"
    layer: int
    unit: int
    source: int | None = None  # for weights: index of the input unit in the previous layer


@dataclass(frozen=True)
class Reaction:
    """Mass action: rate = speed * k * prod(reactant ** stoichiometry)."""

    id: str
    reactants: tuple[tuple[str, int], ...]
    products: tuple[tuple[str, int], ...]
    rate: str  # id of the Parameter holding k

    @property
    def order(self) -> int:
        return sum(n for _, n in self.reactants)

    def net_change(self, species: str) -> int:
        return sum(n for s, n in self.products if s == species) - sum(
            n for s, n in self.reactants if s == species
        )


@dataclass(frozen=True)
class LayerInfo:
    activation: str
    epsilon: float
    size: int


@dataclass(frozen=True, eq=False)
class CRN:
    name: str
    species: tuple[Species, ...]
    parameters: tuple[Parameter, ...]
    reactions: tuple[Reaction, ...]
    layers: tuple[LayerInfo, ...]
    speed: float = 1.0
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not (np.isfinite(self.speed) and self.speed > 0):
            raise NetworkError(f"speed is {self.speed}; the speed factor must be a finite number > 0")
        ids: set[str] = set()
        for item in (*self.species, *self.parameters, *self.reactions):
            if item.id in ids:
                raise NetworkError(f"id '{item.id}' is used twice; every species, parameter and reaction id must be unique")
            ids.add(item.id)
        params = self.parameter_index
        species = self.species_index
        for r in self.reactions:
            if r.rate not in params:
                raise NetworkError(f"reaction {r.id} uses unknown rate parameter '{r.rate}'")
            for s, _ in (*r.reactants, *r.products):
                if s not in species:
                    raise NetworkError(f"reaction {r.id} uses unknown species '{s}'")

    # --- lookups -----------------------------------------------------------
    @cached_property
    def species_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.species)}

    @cached_property
    def parameter_index(self) -> dict[str, Parameter]:
        return {p.id: p for p in self.parameters}

    @property
    def inputs(self) -> tuple[Species, ...]:
        return tuple(s for s in self.species if s.role == "input")

    @property
    def outputs(self) -> tuple[Species, ...]:
        return tuple(s for s in self.species if s.role == "output")

    @property
    def floating(self) -> tuple[Species, ...]:
        return tuple(s for s in self.species if not s.boundary)

    def layer_species(self, layer: int) -> tuple[Species, ...]:
        return tuple(s for s in self.species if s.layer == layer)

    # --- derived CRNs ------------------------------------------------------
    def with_speed(self, speed: float) -> "CRN":
        return replace(self, speed=float(speed))

    def with_inputs(self, values: Iterable[float]) -> "CRN":
        """The same CRN with the input species' initial concentrations set."""
        vals = np.asarray(list(values), dtype=float)
        inputs = self.inputs
        if vals.shape != (len(inputs),):
            raise InputError(
                f"got {vals.size} input values; the model takes {len(inputs)} "
                f"({', '.join(s.id for s in inputs)})"
            )
        if not np.all(np.isfinite(vals)) or np.any(vals < 0):
            k = int(np.flatnonzero(~(np.isfinite(vals) & (vals >= 0)))[0])
            raise InputError(
                f"input '{inputs[k].id}' is {vals[k]}; input concentrations must be finite and >= 0"
            )
        new = dict(zip((s.id for s in inputs), vals.tolist()))
        species = tuple(replace(s, initial=new[s.id]) if s.id in new else s for s in self.species)
        return replace(self, species=species)
