"""Helpers shared by the text emitters."""

from __future__ import annotations

from ..activations import get_activation
from ..crn import CRN, Reaction, Readout
from ..errors import InputError, NetworkError
from ..network import check_number


def check_writable(crn: CRN) -> None:
    """Every number the model file holds reads back (network.check_number):
    a start value, an input value or a rate constant that does not is an
    InputError naming the input, else a NetworkError naming the element."""
    for s in crn.species:
        try:
            check_number(s.initial, f"the initial value of species {s.id}")
        except NetworkError as exc:
            if s.boundary:
                raise InputError(f"input '{crn.input_names[s.unit]}': {exc}") from None
            raise
    for p in crn.parameters:
        check_number(p.value, f"rate constant {p.id}")
    check_number(crn.speed, "the speed factor")


def num(value: float) -> str:
    """Shortest text that reads back as the same double."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def side(terms: tuple[tuple[str, int], ...]) -> str:
    return " + ".join(s if n == 1 else f"{n} {s}" for s, n in terms)


def reaction_equation(r: Reaction) -> str:
    return f"{side(r.reactants)} -> {side(r.products)}".strip()


def layer_header(crn: CRN, layer: int) -> str:
    info = crn.layers[layer - 1]
    kind = "output layer" if layer == len(crn.layers) else "hidden layer"
    units = "unit" if info.size == 1 else "units"
    fn = get_activation(info.activation, info.activation_params).describe()
    return f"layer {layer} ({kind}): {info.size} {units}, {fn}, eps = {num(info.epsilon)}"


def readout_expression(r: Readout, coefficient_unit: str = "", offset_unit: str = "") -> str:
    """A readout as infix math, e.g. 'y_pos - 0.01 * y_neg + 2'. The units
    tag numbers for SBML Level 3 (' dimensionless', ' concentration')."""
    out = ""
    for s, a in r.terms:
        term = s if abs(a) == 1 else f"{num(abs(a))}{coefficient_unit} * {s}"
        out += (f" {'-' if a < 0 else '+'} {term}") if out else (f"-{term}" if a < 0 else term)
    if r.offset:
        out += f" {'-' if r.offset < 0 else '+'} {num(abs(r.offset))}{offset_unit}"
    return out


def reactions_by_layer(crn: CRN) -> list[list[int]]:
    """Reaction indices grouped by the layer of their rate parameter."""
    groups: list[list[int]] = [[] for _ in crn.layers]
    params = crn.parameter_index
    for i, r in enumerate(crn.reactions):
        groups[params[r.rate].layer - 1].append(i)
    return groups


def layer_readouts(crn: CRN, layer: int) -> list[Readout]:
    return [r for r in crn.readouts if r.layer == layer]


SETTLE_TOL = 1e-9  # relative tolerance of the settling time the notes state


def species_name(crn: CRN, species_id: str) -> str:
    """What the user calls a species: an input's or output's own name (with its
    rail for a multi-rail unit); a hidden neuron by its place in the network."""
    s = crn.species[crn.species_index[species_id]]
    rails = crn.units[(s.layer, s.unit)]
    if s.layer == 0 or s.layer == len(crn.layers):
        name = crn.label(s.layer, s.unit)
        return name if len(rails) == 1 else f"{name} (rail {crn.encoding(s.layer, s.unit)[0][s.rail].suffix})"
    rail = f" rail {s.rail}" if len(rails) > 1 else ""
    return f"hidden layer {s.layer} unit {s.unit}{rail}"


def readout_name(crn: CRN, r: Readout) -> str:
    """An input's or output's readout is named by that input or output."""
    if r.layer == 0 or r.layer == len(crn.layers):
        return crn.label(r.layer, r.unit)
    return f"signed value of hidden layer {r.layer} unit {r.unit}"


def shown_names(names: tuple[str, ...], ids: tuple[str, ...]) -> str:
    """Names for the notes, each with its id where the two differ."""
    return ", ".join(n if n == i else f"{n} (id {i})" for n, i in zip(names, ids))


def settle_bound(crn: CRN, samples: int = 16) -> float:
    """Settling time (relative SETTLE_TOL, from the model's start or from 0)
    over the input box: the largest theory.settling_time over its corners'
    extremes, its centre and ``samples`` seeded random inputs."""
    import numpy as np

    from ..compile import network_from_crn
    from ..theory import input_box, settling_time

    net = network_from_crn(crn)
    lo, hi = input_box(net, crn.input_values)
    rng = np.random.default_rng(0)
    xs = [lo, hi, 0.5 * (lo + hi)] + [lo + (hi - lo) * rng.random(lo.size) for _ in range(samples)]
    return max(settling_time(net, x, crn.speed, SETTLE_TOL, box=(lo, hi)) for x in xs)


def model_notes(crn: CRN) -> list[str]:
    """Paragraphs for the model's notes (SBML) and header (Antimony): what the
    model computes, where it starts, its settling time and the recipe."""
    from ..theory import NOMINAL_INPUT_MAX, input_box

    from ..compile import network_from_crn, start_box

    net = network_from_crn(crn)
    held = start_box(crn, net)
    lo, hi = held if held is not None else input_box(net, crn.input_values)
    box = ", ".join(f"{n} in [{num(a)}, {num(b)}]" for n, a, b in zip(crn.input_names, lo, hi))
    t = settle_bound(crn)
    out = [
        f"{crn.name}: a mass-action chemical reaction network compiled by crn2sbml from a feed-forward neural "
        f"network. Its unique positive steady state is the network's output: set the inputs "
        f"({shown_names(crn.input_names, crn.input_ids)}; boundary species held constant) and read the outputs "
        f"({shown_names(crn.output_names, crn.output_ids)}) at steady state.",
    ]
    if held is not None:
        out.append(
            "Initial state: every neuron species starts above its fixed point for inputs within the box "
            f"{box} (the declared input ranges, or [0, {num(NOMINAL_INPUT_MAX)}] where none is declared, widened "
            "to the inputs the model was compiled with). A steady-state solver (Newton) started from this initial "
            "state descends to the positive fixed point: reset the model to its initial state before solving for "
            "a new input. Beyond this box the start guarantees nothing: follow the recipe below, or recompile "
            "with the inputs (crn2sbml compile --input) or declare input_ranges in the network."
        )
    else:
        out.append("Initial state: not above the fixed point for the model's inputs (every neuron species at 0, or "
                   "inputs changed after compiling); a steady-state solver (Newton) started there can land on a "
                   "fixed point with negative concentrations: follow the recipe below.")
    out.append(f"Settling time: within relative {SETTLE_TOL:g} of the steady state after T = {t:.4g} time units "
               f"for inputs in that box (speed factor kappa = {num(crn.speed)}; the time scales as 1/kappa).")
    out += _readout_notes(crn)
    out.append(f"Recipe where a tool's steady-state solver does not start from the initial state, or for inputs "
               f"outside the box: simulate for T = {t:.4g} first, then solve for the steady state (or read the "
               "end of the time course). Only the steady state with every concentration positive is the answer.")
    out.append("libRoadRunner 2.10 recompiles the model on every steadyState() call unless conserved-moiety "
               "conversion is on (seconds per call on large models): set "
               "roadrunner.Config.setValue(roadrunner.Config.LOADSBMLOPTIONS_CONSERVED_MOIETIES, True) before "
               "loading.")
    return out


def _readout_notes(crn: CRN) -> list[str]:
    """How the signed outputs are shown, where it is not an assignment rule."""
    last = len(crn.layers)
    signed = [r for r in crn.readouts if r.layer == last]
    if not signed or crn.readout_form == "rules":
        return []
    if crn.readout_form == "species":
        return [f"Signed outputs ({', '.join(r.id for r in signed)}) are species that relax to their value "
                "(sum of their rails' readout terms) through one linear reaction R_readout_* at rate kappa, and "
                "feed nothing back. A negative value is a negative concentration: in COPASI set the steady-state "
                "task's 'Accept Negative Concentrations'."]
    return ["Signed outputs are read from their rails: " + "; ".join(f"{r.id} = {readout_expression(r)}"
                                                                    for r in signed) + "."]
