"""Check 2: every reaction is mass action, inputs are only catalysts, and the
reaction set is exactly the construction for the network the model should
compute (so a hand-edited model is caught)."""

from __future__ import annotations

import libsbml

from ..compile import compile_network
from ..crn import CRN, Reaction
from ..emit.sbml import kinetic_formula
from .result import CheckResult
from .subject import Options, Subject

VALUE_RTOL = 1e-14  # parameters are stored to the last bit (annotations keep the exact repr)


def _canonical(formula: str) -> str:
    return libsbml.formulaToL3String(libsbml.parseL3Formula(formula))


def mass_action_problems(crn: CRN, sbml: str) -> list[str]:
    """Kinetic laws that differ from cell * kappa * k * prod(reactant^stoichiometry)."""
    model = libsbml.readSBMLFromString(sbml).getModel()
    # by position, not getReaction(id): libsbml's id lookup is a linear scan
    position = {model.getReaction(j).getId(): j for j in range(model.getNumReactions())}
    problems = []
    for i, r in enumerate(crn.reactions):
        rx = model.getReaction(position[r.id])
        got = libsbml.formulaToL3String(rx.getKineticLaw().getMath())
        want = _canonical(kinetic_formula(crn, i))
        if got != want:
            problems.append(f"reaction {r.id}: kinetic law '{got}' is not mass action '{want}'")
        elif rx.getReversible():
            problems.append(f"reaction {r.id} is reversible; mass-action reactions here are irreversible")
    return problems


def catalyst_problems(crn: CRN) -> list[str]:
    inputs = {s.id for s in crn.inputs}
    return [
        f"reaction {r.id} changes input {sid} by {r.net_change(sid):+d}; inputs must be catalysts only"
        for r in crn.reactions
        for sid in dict.fromkeys(s for s, _ in r.reactants + r.products) if sid in inputs and r.net_change(sid)
    ]


def _shape(r: Reaction) -> tuple:
    return tuple(sorted(r.reactants)), tuple(sorted(r.products)), r.rate


def construction_problems(model: CRN, expected: CRN) -> list[str]:
    problems = []
    # first what explains the rest: input encoding and activations
    if tuple(model.input_ranges) != tuple(expected.input_ranges):
        problems.append(f"input ranges are {list(model.input_ranges)} in the model; the construction has "
                        f"{list(expected.input_ranges)} (they fix the input encoding and the readouts)")
    for l, (a, b) in enumerate(zip(model.layers, expected.layers), start=1):
        if (a.activation, a.activation_params, a.size) != (b.activation, b.activation_params, b.size):
            problems.append(f"layer {l} is annotated as {a.size} x {a.activation} {dict(a.activation_params)}; "
                            f"the construction has {b.size} x {b.activation} {dict(b.activation_params)}")
    if len(model.layers) != len(expected.layers):
        problems.append(f"the model has {len(model.layers)} layers; the construction has {len(expected.layers)}")
    got, want = {r.id: r for r in model.reactions}, {r.id: r for r in expected.reactions}
    problems += [f"reaction {rid} of the construction is missing" for rid in want.keys() - got.keys()]
    problems += [f"reaction {rid} is not part of the construction" for rid in got.keys() - want.keys()]
    for rid in sorted(got.keys() & want.keys()):
        if _shape(got[rid]) != _shape(want[rid]):
            problems.append(f"reaction {rid} is {_text(got[rid])}; the construction has {_text(want[rid])}")
    gp, wp = model.parameter_index, expected.parameter_index
    for pid in sorted(gp.keys() & wp.keys()):
        a, b = gp[pid].value, wp[pid].value
        if abs(a - b) > VALUE_RTOL * max(abs(a), abs(b)):
            problems.append(f"rate constant {pid} is {a!r} in the model; the construction gives {b!r}")
    if {s.id for s in model.species} != {s.id for s in expected.species}:
        problems.append("the species differ from the construction's")
    elif {(s.id, s.role, s.layer, s.unit, s.rail) for s in model.species} != \
            {(s.id, s.role, s.layer, s.unit, s.rail) for s in expected.species}:
        problems.append("the species' roles, layers, units or rails differ from the construction's")
    if model.speed != expected.speed:
        problems.append(f"kappa is {model.speed} but the construction has {expected.speed}")
    return problems


def _text(r: Reaction) -> str:
    side = lambda terms: " + ".join(f"{n if n > 1 else ''}{s}" for s, n in terms) or "0"  # noqa: E731
    return f"'{side(r.reactants)} -> {side(r.products)}' ({r.rate})"


def check_structure(subject: Subject, options: Options) -> CheckResult:
    crn = subject.crn
    mass_action = mass_action_problems(crn, subject.sbml)
    catalysts = catalyst_problems(crn)
    if subject.network is None:
        construction = [f"the model does not read back as a network: {subject.readback_error}"]
    else:
        construction = construction_problems(crn, compile_network(subject.network, speed=crn.speed))
    against = "the reference network" if subject.reference_given else "the network read back from the model"
    figures = {
        "reactions": len(crn.reactions),
        "species": len(crn.species),
        "parameters": len(crn.parameters),
        "compared_against": against,
        "mass_action_problems": mass_action[:20],
        "catalyst_problems": catalysts[:20],
        "construction_problems": construction[:20],
    }
    for label, found in (("not mass action", mass_action), ("an input is consumed or produced", catalysts),
                         (f"differs from the construction for {against}", construction)):
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            return CheckResult("structure", False, f"{label}: {found[0]}{more}", figures)
    return CheckResult("structure", True, f"{len(crn.reactions)} reactions, all mass action, inputs only catalysts, "
                       f"exactly the construction for {against}", figures)
