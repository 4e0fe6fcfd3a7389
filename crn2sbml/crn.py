"""The CRN intermediate representation: the hub every emitter and simulator
reads. Plain frozen value objects, with provenance (layer, unit, role) on every
species, parameter and reaction."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Iterable, Mapping

import numpy as np

from .activations import Rail, get_activation
from .activations.base import Params
from .errors import InputError, NetworkError
from .inputs import Bounds, check_inputs, encode_input, input_encoding
from .names import model_id_candidates, named_values, reserved_reason

SPECIES_ROLES = ("input", "hidden", "output")
# How the emitters expose each multi-rail unit's signed value (CRN.readouts):
# "species" a species relaxing to it by one linear reaction (every tool runs
# it, GillesPy2's ODE solver too), "rules" an assignment rule on a parameter,
# "none" not at all (the rails only). See emit/sbml.py, _add_readout_species.
READOUT_FORMS = ("species", "rules", "none")


@dataclass(frozen=True)
class Species:
    id: str
    role: str  # "input" (boundary catalyst), "hidden" or "output"
    layer: int  # 0 for inputs, 1.. for neuron layers
    unit: int  # index inside the layer (0-based)
    initial: float = 0.0
    rail: int = 0  # which rail of the unit (dual-rail activations and inputs)

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
    rail: int = 0  # rail of the unit the reaction feeds
    source_rail: int = 0  # for weights: rail of the source unit
    # the signed network weight or bias this rate came from, when the rate is
    # not simply its absolute value (rails, folded input shifts): exact read-back
    origin: float | None = None


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
    activation_params: Params = ()


@dataclass(frozen=True)
class Readout:
    """A unit's signed value: sum(coefficient * species) + offset."""

    id: str
    layer: int
    unit: int
    terms: tuple[tuple[str, float], ...]
    offset: float = 0.0

    def value(self, concentrations: dict[str, float]) -> float:
        return sum(a * concentrations[s] for s, a in self.terms) + self.offset

    def scale(self, concentrations: dict[str, float]) -> float:
        """sum |a_r| y_r + |offset|: the size rounding errors are relative to."""
        return sum(abs(a) * concentrations[s] for s, a in self.terms) + abs(self.offset)


@dataclass(frozen=True, eq=False)
class CRN:
    name: str
    species: tuple[Species, ...]
    parameters: tuple[Parameter, ...]
    reactions: tuple[Reaction, ...]
    layers: tuple[LayerInfo, ...]
    speed: float = 1.0
    description: str = field(default="", compare=False)
    input_ranges: tuple[Bounds, ...] = ()  # as declared by the network
    readout_form: str = field(default="rules", compare=False)  # one of READOUT_FORMS: emitters only
    # the network's names of the inputs and outputs where they differ from
    # their ids (crn2sbml.names: a reserved name is mapped to a safe id); () = the ids
    input_labels: tuple[str, ...] = field(default=(), compare=False)
    output_labels: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.readout_form not in READOUT_FORMS:
            raise NetworkError(f"readouts is {self.readout_form!r}; use one of {', '.join(READOUT_FORMS)}")
        if not (np.isfinite(self.speed) and self.speed > 0):
            raise NetworkError(f"speed is {self.speed}; the speed factor must be a finite number > 0")
        ids: set[str] = set()
        for item in (*self.species, *self.parameters, *self.reactions):
            if item.id in ids:
                raise NetworkError(f"id '{item.id}' is used twice; every species, parameter and reaction id must be unique")
            ids.add(item.id)
        units = len({s.unit for s in self.species if s.role == "input"})
        if self.input_ranges and len(self.input_ranges) != units:  # encoding() reads one per input unit
            raise NetworkError(f"{len(self.input_ranges)} input ranges given for {units} inputs; give one per input")
        for label, given in (("input", self.input_labels), ("output", self.output_labels)):
            if given and len(given) != len(getattr(self, f"{label}_ids")):
                raise NetworkError(f"{len(given)} {label} names given for {len(getattr(self, f'{label}_ids'))} "
                                   f"{label}s")
        params = self.parameter_index
        species = self.species_index
        for r in self.reactions:
            if r.rate not in params:
                raise NetworkError(f"reaction {r.id} uses unknown rate parameter '{r.rate}'")
            for s, _ in (*r.reactants, *r.products):
                if s not in species:
                    raise NetworkError(f"reaction {r.id} uses unknown species '{s}'")

    def _repr_html_(self) -> str:  # Jupyter
        from ._html import crn_html

        return crn_html(self)

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

    # --- units and readouts ------------------------------------------------
    def encoding(self, layer: int, unit: int) -> tuple[tuple[Rail, ...], float]:
        """(rails, offset) of a network unit: input encoding or activation."""
        if layer == 0:
            return input_encoding(self.input_ranges[unit] if self.input_ranges else None)
        info = self.layers[layer - 1]
        fn = get_activation(info.activation, info.activation_params)
        return fn.rails, fn.offset

    @cached_property
    def units(self) -> dict[tuple[int, int], tuple[Species, ...]]:
        """(layer, unit) -> the unit's species in rail order."""
        out: dict[tuple[int, int], list[Species]] = {}
        for s in self.species:
            out.setdefault((s.layer, s.unit), []).append(s)
        return {k: tuple(sorted(v, key=lambda s: s.rail)) for k, v in out.items()}

    def readout(self, layer: int, unit: int) -> Readout:
        """The unit's value in terms of its species. Named like the unit: the
        species' own id for a single rail, else the rail id without its suffix."""
        species = self.units[(layer, unit)]
        rails, offset = self.encoding(layer, unit)
        if len(species) != len(rails):
            raise NetworkError(f"unit {unit} of layer {layer} has {len(species)} species but {len(rails)} rails")
        first, suffix = species[0].id, rails[0].suffix
        name = first[: -len(suffix) - 1] if suffix and first.endswith("_" + suffix) else first
        return Readout(name, layer, unit, tuple((s.id, r.readout) for s, r in zip(species, rails)), offset)

    @cached_property
    def readouts(self) -> tuple[Readout, ...]:
        """Readouts of the multi-rail units, which the emitters expose (a
        single-rail unit is its species, up to a declared input shift)."""
        return tuple(self.readout(l, u) for (l, u), sp in self.units.items() if len(sp) > 1)

    def _names(self, layer: int, size: int) -> tuple[str, ...]:
        return tuple(self.readout(layer, u).id for u in range(size))

    @cached_property
    def input_ids(self) -> tuple[str, ...]:
        """Each input's id in the model: its species (or, for two rails, its readout)."""
        return self._names(0, len({s.unit for s in self.inputs}))

    @cached_property
    def output_ids(self) -> tuple[str, ...]:
        return self._names(len(self.layers), self.layers[-1].size) if self.layers else ()

    @property
    def input_names(self) -> tuple[str, ...]:
        """The inputs as the network names them: what the CLI and the API take and report."""
        return self.input_labels or self.input_ids

    @property
    def output_names(self) -> tuple[str, ...]:
        return self.output_labels or self.output_ids

    def label(self, layer: int, unit: int) -> str:
        """What the user calls a unit: an input's or output's name, else its id."""
        if layer == 0:
            return self.input_names[unit]
        if layer == len(self.layers):
            return self.output_names[unit]
        return self.readout(layer, unit).id

    @cached_property
    def model_id(self) -> str:
        """The model's id: the network's name unless reserved or used by an element of the model."""
        used = {i.lower() for i in (*self.species_index, *self.parameter_index, *(r.id for r in self.reactions),
                                    *(r.id for r in self.readouts), *self.input_names, *self.output_names)}
        return next(c for c in model_id_candidates(self.name) if not reserved_reason(c) and c.lower() not in used)

    def output_values(self, concentrations: dict[str, float]) -> np.ndarray:
        last = len(self.layers)
        return np.array([self.readout(last, u).value(concentrations) for u in range(self.layers[-1].size)])

    def encode_inputs(self, values, copy: bool = True) -> np.ndarray:
        """A batch of network-level inputs (B, n_inputs) -> the input species'
        concentrations (B, len(self.inputs)) in ``self.inputs`` order (with
        ``copy`` False, inputs that are the species already may be returned
        as they are: for readers only)."""
        names = self.input_names
        x = np.asarray(values, dtype=float)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != len(names):
            raise InputError(f"inputs must have shape (batch, {len(names)}) ({', '.join(names)}); got {x.shape}")
        check_inputs(x, names, self.input_ranges)
        unit, scale, shift = self._input_rails
        if unit.size == x.shape[1] and np.array_equal(unit, np.arange(unit.size)):
            if not (np.any(scale != 1.0) or np.any(shift)):  # inputs >= 0 (checked above) are the species
                return np.array(x, order="C") if copy else np.ascontiguousarray(x)
            x = np.ascontiguousarray(x)
        else:
            x = np.take(x, unit, axis=1)
        return np.maximum(x * scale + shift, 0.0)

    @cached_property
    def _input_rails(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per input species: its unit, rail scale and shift (encode a batch in one pass)."""
        rails = [input_encoding(self.input_ranges[s.unit] if self.input_ranges else None)[0][s.rail]
                 for s in self.inputs]
        return (np.array([s.unit for s in self.inputs], dtype=np.int64),
                np.array([r.scale for r in rails], dtype=float), np.array([r.shift for r in rails], dtype=float))

    @cached_property
    def output_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, c) with outputs = state @ A.T + c for floating-species states."""
        col = {s.id: i for i, s in enumerate(self.floating)}
        last = len(self.layers)
        rows = [self.readout(last, u) for u in range(self.layers[-1].size)] if self.layers else []
        a = np.zeros((len(rows), len(col)))
        for u, r in enumerate(rows):
            for sid, coef in r.terms:
                a[u, col[sid]] = coef
        return a, np.array([r.offset for r in rows])

    def output_readouts(self, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Output readouts of floating-species states (B, n) and their rounding
        scale sum |a_r| y_r + |offset|, each (B, n_outputs)."""
        a, c = self.output_matrix
        state = np.atleast_2d(state)
        return state @ a.T + c, state @ np.abs(a).T + np.abs(c)

    def output_error(self, state: np.ndarray, want: np.ndarray) -> np.ndarray:
        """Per member, max over outputs of |readout - want| relative to the
        readout's scale (a signed output is a difference of rails) or |want|."""
        got, scale = self.output_readouts(state)
        want = np.atleast_2d(want)
        return np.max(np.abs(got - want) / np.maximum(np.maximum(scale, np.abs(want)), 1e-300), axis=1)

    @property
    def input_values(self) -> np.ndarray:
        """The network-level (signed) input values the input species encode."""
        conc = {s.id: s.initial for s in self.inputs}
        return np.array([self.readout(0, u).value(conc) for u in range(len(self.input_names))], dtype=float)

    def input_vector(self, named: Mapping[str, float], base: Iterable[float] | None = None) -> np.ndarray:
        """Network-level inputs from {name: value} (names.named_values); inputs
        not named keep ``base`` (default: the model's own values)."""
        return named_values(named, self.input_names, self.input_ids,
                            self.input_values if base is None else list(base))

    # --- derived CRNs ------------------------------------------------------
    def with_speed(self, speed: float) -> "CRN":
        return replace(self, speed=float(speed))

    def with_inputs(self, values: Iterable[float]) -> "CRN":
        """The same CRN with the input species set to encode the network-level
        input ``values`` (signed where input_ranges allow)."""
        vals = np.asarray(list(values), dtype=float)
        names = self.input_names
        if vals.shape != (len(names),):
            raise InputError(
                f"got {vals.size} input values; the model takes {len(names)} values ({', '.join(names)})"
            )
        check_inputs(vals, names, self.input_ranges)
        new: dict[str, float] = {}
        for u, x in enumerate(vals.tolist()):
            bounds = self.input_ranges[u] if self.input_ranges else None
            new.update(zip((s.id for s in self.units[(0, u)]), encode_input(x, bounds)))
        species = tuple(replace(s, initial=new[s.id]) if s.id in new else s for s in self.species)
        return replace(self, species=species)
