"""Check 2: the model is a mass-action CRN (no rules, events or other laws),
every reaction is the construction's, inputs are only catalysts, no rate
constant was edited by hand since compile time (unless edits are accepted),
and the reaction set is exactly the construction for the network the model
should compute. On a foreign model only the mass-action part applies."""

from __future__ import annotations

import libsbml

from ..compile import compile_network
from ..crn import CRN, Reaction
from ..emit.sbml import kinetic_formula
from ..loader import canonical_formula as _canonical
from ..loader import readout_problems
from .result import CheckResult
from .subject import Options, Subject

VALUE_RTOL = 1e-14  # parameters are stored to the last bit (annotations keep the exact repr)


def mass_action_problems(crn: CRN, sbml: str, doc: libsbml.SBMLDocument | None = None) -> list[str]:
    """Kinetic laws that differ from cell * kappa * k * prod(reactant^stoichiometry)
    (in ``doc``, the text's document when already read)."""
    # kept referenced: the model belongs to the document (freed with it)
    doc = doc if doc is not None else libsbml.readSBMLFromString(sbml)
    model = doc.getModel()
    # by position, not getReaction(id): libsbml's id lookup is a linear scan
    position = {model.getReaction(j).getId(): j for j in range(model.getNumReactions())}
    problems = []
    for i, r in enumerate(crn.reactions):
        rx = model.getReaction(position[r.id])
        got = libsbml.formulaToL3String(rx.getKineticLaw().getMath())
        want = _canonical(kinetic_formula(crn, i))
        if got != want:
            problems.append(f"reaction {r.id}: kinetic law '{got}' is not the construction's mass-action law '{want}'")
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
    crn, model = subject.crn, subject.model
    against = {"given": "the reference network", "compiled": "the network the model was compiled from",
               "edits accepted": "the network the model encodes after its hand edits",
               "read back": "the network read back from the model"}.get(subject.reference_kind, "")
    edits = [str(e) for e in model.edits]
    # (figure key, what is wrong, the findings), in the order that explains the rest
    findings: list[tuple[str, str, list[str]]] = [
        ("unsupported", "cannot be simulated as a mass-action CRN", list(model.unsupported)),
        ("problems", "not a valid CRN" if model.foreign else "not a crn2sbml construction", list(model.problems)),
        # never validated as if complete: the checks would not see what was left out
        ("dropped", "part of the model is not read", list(model.dropped)),
    ]
    figures: dict = {"reactions": len(crn.reactions), "species": len(crn.species), "parameters": len(crn.parameters)}
    if model.foreign:
        figures["foreign"] = True
        passed = (f"{len(crn.reactions)} reactions, all mass action (a model without crn2sbml annotations: the "
                  "comparison with the construction does not apply)")
    else:
        if edits and subject.reference_kind == "compiled":
            findings.append(("hand_edits", "rate constants edited by hand since compile (pass --accept-edits to "
                             "validate the model as the network it now encodes, or --network to hold it to a given "
                             "one)", edits))
        construction = ([f"the model does not read back as a network: {subject.readback_error}"]
                        if subject.network is None else
                        construction_problems(crn, compile_network(subject.network, speed=crn.speed)))
        used = {r.rate for r in crn.reactions}
        # a removed weight reaction reads back as a zero weight, which compiles to no reaction: its parameter tells
        construction += [f"rate constant {p.id} is used by no reaction (its reaction was removed)"
                         for p in crn.parameters if p.id not in used and p.role not in ("unknown", "derived")]
        findings += [
            ("mass_action_problems", "kinetic law", mass_action_problems(crn, subject.sbml, subject.document())),
            ("readout_problems", "a readout is not the construction's", readout_problems(crn, subject.document())),
            ("catalyst_problems", "an input is consumed or produced", catalyst_problems(crn)),
            ("construction_problems", f"differs from the construction for {against}", construction),
        ]
        figures.update(compared_against=against, hand_edits=edits)
        note = f"; {len(edits)} hand edit(s) accepted: {', '.join(edits[:5])}" if edits else ""
        passed = (f"{len(crn.reactions)} reactions, all mass action, inputs only catalysts, exactly the "
                  f"construction for {against}{note}")
    figures.update({key: found[:20] for key, _, found in findings})
    for _, label, found in findings:
        if found:
            more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
            return CheckResult("structure", False, f"{label}: {'; '.join(found[:5])}{more}", figures)
    return CheckResult("structure", True, passed, figures)
