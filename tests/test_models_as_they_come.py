"""Models as people have them: crn2sbml's own models edited by hand in every
way the construction forbids, and a foreign mass-action model written here
with libsbml. Validation reports the failing check and its reason (exit 1,
never a traceback); simulate gives a result or a one-line error."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Callable

import libsbml
import numpy as np
import pytest

from crn2sbml import compile_network, write_sbml

from conftest import make_network, run_cli

ROOT = Path(__file__).resolve().parent.parent
Edit = Callable[[libsbml.Model], object]


run = run_cli


def first(model: libsbml.Model, prefix: str) -> libsbml.Reaction:
    return next(model.getReaction(i) for i in range(model.getNumReactions())
                if model.getReaction(i).getId().startswith(prefix))


def consume_input(m: libsbml.Model) -> None:
    rx = first(m, "R_w_L1_")
    catalyst = next(ref.getSpecies() for ref in rx.getListOfReactants() if m.getSpecies(ref.getSpecies()).getBoundaryCondition())
    rx.removeProduct(catalyst)


def extra_reaction(m: libsbml.Model) -> None:
    k = m.createParameter()
    k.setId("k_extra"), k.setValue(0.3), k.setConstant(True)
    rx = m.createReaction()
    rx.setId("R_extra"), rx.setReversible(False)
    for side, n in ((rx.createReactant(), 1), (rx.createProduct(), 2)):
        side.setSpecies("h1_0"), side.setStoichiometry(n), side.setConstant(True)
    rx.createKineticLaw().setMath(libsbml.parseL3Formula("cell * kappa * k_extra * h1_0"))


def changed_stoichiometry(m: libsbml.Model) -> None:
    first(m, "R_ann_L1_u0").removeProduct("h1_0")  # 2Y -> Y becomes 2Y -> 0


def event(m: libsbml.Model) -> None:
    ev = m.createEvent()
    ev.setId("reset"), ev.setUseValuesFromTriggerTime(True)
    trigger = ev.createTrigger()
    trigger.setMath(libsbml.parseL3Formula("time > 1")), trigger.setInitialValue(False), trigger.setPersistent(True)
    assignment = ev.createEventAssignment()
    assignment.setVariable("h1_0"), assignment.setMath(libsbml.parseL3Formula("0"))


def rate_rule(m: libsbml.Model) -> None:
    z = m.createSpecies()
    z.setId("Z"), z.setCompartment("cell"), z.setInitialConcentration(0.0), z.setHasOnlySubstanceUnits(False)
    z.setBoundaryCondition(False), z.setConstant(False)
    rule = m.createRateRule()
    rule.setVariable("Z"), rule.setMath(libsbml.parseL3Formula("h1_0"))


def non_mass_action(m: libsbml.Model) -> None:
    law = first(m, "R_w_L1_").getKineticLaw()
    law.setMath(libsbml.parseL3Formula(f"({libsbml.formulaToL3String(law.getMath())}) / (1 + h1_0)"))


def set_first(role: str, value: float) -> Edit:
    def edit(m: libsbml.Model) -> None:
        pid = next(m.getParameter(i).getId() for i in range(m.getNumParameters())
                   if m.getParameter(i).getId().startswith(role))
        m.getParameter(pid).setValue(value)
    return edit


# kind -> (edit, fragment of the structure check's reason)
KINDS: dict[str, tuple[Edit, str]] = {
    "consumed_input": (consume_input, "an input is consumed or produced: reaction R_w_L1_"),
    "missing_annihilation": (lambda m: m.removeReaction("R_ann_L1_u0"), "reaction R_ann_L1_u0 of the construction is missing"),
    "missing_inflow": (lambda m: m.removeReaction("R_eps_L1_u0"), "reaction R_eps_L1_u0 of the construction is missing"),
    "non_mass_action": (non_mass_action, "cannot be simulated as a mass-action CRN: reaction R_w_L1_"),
    "extra_reaction": (extra_reaction, "parameter 'k_extra' has no crn2sbml annotation"),
    "changed_stoichiometry": (changed_stoichiometry, "reaction R_ann_L1_u0 is '2h1_0 -> 0'"),
    "event": (event, "cannot be simulated as a mass-action CRN: the model has 1 event(s)"),
    "rule": (rate_rule, "cannot be simulated as a mass-action CRN: the model has a rate rule for Z"),
    "zero_parameter": (set_first("w_L1_u0", 0.0), "is 0; the construction writes no reaction with a zero rate"),
    "nan_parameter": (set_first("w_L1_u0", math.nan), "is nan; a rate constant is a finite number >= 0"),
    "different_eps_in_a_layer": (set_first("eps_L1_u0", 0.002), "edited by hand since compile"),
}


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("originals")
    net = make_network(np.random.default_rng(5104), (5, 10, 4), eps=0.01)
    net = type(net)(net.layers, name="net5104")
    return {"xor": ROOT / "models" / "xor" / "xor.xml", "5-10-4": write_sbml(compile_network(net), folder / "net.xml")}


def edited(source: Path, edit: Edit, path: Path) -> Path:
    doc = libsbml.readSBMLFromFile(str(source))
    edit(doc.getModel())
    assert libsbml.writeSBMLToFile(doc, str(path))
    return path


@pytest.mark.parametrize("model", ["xor", "5-10-4"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_broken_model_fails_validation_with_its_reason(originals, tmp_path, capsys, model, kind):
    edit, reason = KINDS[kind]
    path = edited(originals[model], edit, tmp_path / f"{kind}.xml")
    code, out, err = run(capsys, "validate", path, "--quiet", "--checks", "sbml,structure,fixed_point,convergence")
    assert code == 1, out + err
    assert "Traceback" not in out + err
    structure = next(line for line in out.splitlines() if " structure " in line)
    assert structure.lstrip().startswith("FAIL") and reason in structure, structure
    # every simulation check either failed with a reason or was not run; none passed on a broken model
    for check in ("fixed_point", "convergence"):
        line = next(line for line in out.splitlines() if f" {check} " in line)
        assert line.lstrip().startswith(("FAIL", "ok")), line

    code, out, err = run(capsys, "simulate", path, "--backend", "numpy")
    assert "Traceback" not in out + err
    assert code in (0, 2), out + err
    if code == 2:  # one error line (after any notes about hand edits)
        lines = err.strip().splitlines()
        assert all(line.startswith("crn2sbml: ") for line in lines), err
        assert [line.startswith("crn2sbml: error: ") for line in lines].count(True) == 1, err


def test_hand_edited_rate_constant_fails_by_default_and_passes_when_accepted(originals, tmp_path, capsys):
    path = edited(originals["xor"], set_first("w_L1_u0_i0", 1.5), tmp_path / "edited.xml")
    code, out, _ = run(capsys, "validate", path, "--quiet", "--checks", "structure,fixed_point")
    assert code == 1
    assert "w_L1_u0_i0: compiled 1.0, now 1.5" in out
    code, out, _ = run(capsys, "validate", path, "--quiet", "--checks", "structure,fixed_point", "--accept-edits")
    assert code == 0, out
    assert "hand edit(s) accepted: w_L1_u0_i0: compiled 1.0, now 1.5" in out
    # --network keeps holding it to the given network
    code, out, _ = run(capsys, "validate", path, "--quiet", "--checks", "structure", "--accept-edits",
                       "--network", ROOT / "models" / "xor.json")
    assert code == 1 and "rate constant w_L1_u0_i0 is 1.5 in the model; the construction gives 1.0" in out
    # simulate runs the model as it is and says it was edited
    code, out, err = run(capsys, "simulate", path, "--json")
    assert code == 0 and "w_L1_u0_i0: compiled 1.0, now 1.5" in err
    assert json.loads(out)["hand_edits"] == ["w_L1_u0_i0: compiled 1.0, now 1.5"]


# --- a foreign model: no crn2sbml annotations ------------------------------------------------
K_IN, K_OUT, K_ANN, X = 0.7, 2.0, 0.5, 1.5


def foreign_sbml(path: Path) -> Path:
    """0 -> A (k_in), X + A -> X (k_out X A), 2 A -> A (k_ann A^2), X a
    boundary species: dA/dt = k_in - k_out X A - k_ann A^2, whose positive
    root is the closed form below. Local and inline constants, no compartment
    factor in the laws: written the way other tools write them."""
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    m.setId("foreign")
    c = m.createCompartment()
    c.setId("c"), c.setSize(1.0), c.setConstant(True), c.setSpatialDimensions(3)
    for sid, initial, boundary in (("X", X, True), ("A", 0.0, False)):
        s = m.createSpecies()
        s.setId(sid), s.setCompartment("c"), s.setInitialConcentration(initial)
        s.setHasOnlySubstanceUnits(False), s.setBoundaryCondition(boundary), s.setConstant(False)
    p = m.createParameter()
    p.setId("k_in"), p.setValue(K_IN), p.setConstant(True)
    laws = {"inflow": ((), ("A",), "k_in"), "out": (("X", "A"), ("X",), "k_out * X * A"),
            "ann": (("A", "A"), ("A",), f"{K_ANN} * A^2")}
    for rid, (reactants, products, law) in laws.items():
        rx = m.createReaction()
        rx.setId(rid), rx.setReversible(False)
        for sid in dict.fromkeys(reactants):
            ref = rx.createReactant()
            ref.setSpecies(sid), ref.setStoichiometry(reactants.count(sid)), ref.setConstant(True)
        for sid in products:
            ref = rx.createProduct()
            ref.setSpecies(sid), ref.setStoichiometry(1), ref.setConstant(True)
        kl = rx.createKineticLaw()
        if rid == "out":
            local = kl.createLocalParameter()
            local.setId("k_out"), local.setValue(K_OUT)
        kl.setMath(libsbml.parseL3Formula(law))
    assert libsbml.writeSBMLToFile(doc, str(path))
    return path


def closed_form(x: float) -> float:
    b = K_OUT * x
    return (-b + math.sqrt(b * b + 4 * K_ANN * K_IN)) / (2 * K_ANN)


@pytest.mark.parametrize("backend", ["roadrunner", "numpy", "copasi"])
def test_foreign_model_simulates(tmp_path, capsys, backend):
    path = foreign_sbml(tmp_path / "foreign.xml")
    code, out, err = run(capsys, "simulate", path, "--json", "--backend", backend)
    assert code == 0, err
    data = json.loads(out)
    assert data["checked_against_network"] is False and data["network_output"] is None
    assert data["steady_state"]["A"] == pytest.approx(closed_form(X), rel=1e-9)
    code, out, err = run(capsys, "simulate", path, "--json", "--backend", backend, "--input", "0.25")
    assert json.loads(out)["steady_state"]["A"] == pytest.approx(closed_form(0.25), rel=1e-9)


def test_foreign_model_validates_with_the_checks_that_apply(tmp_path, capsys):
    path = foreign_sbml(tmp_path / "foreign.xml")
    code, out, err = run(capsys, "validate", path, "--quiet", "--report", tmp_path / "report")
    assert code == 0, out + err
    lines = {line.split()[1]: line.split()[0] for line in out.splitlines()[1:] if line.split()[0] in ("ok", "FAIL", "n/a")}
    assert lines == {"sbml": "ok", "structure": "ok", "fixed_point": "ok", "convergence": "n/a", "speed": "n/a",
                     "smoothness": "n/a", "agreement": "ok", "dna": "n/a"}, out
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    assert data["passed"] is True
    assert {c["name"] for c in data["checks"] if not c["applicable"]} == {"convergence", "speed", "smoothness", "dna"}
    assert "not checked against a network" in next(c["reason"] for c in data["checks"] if c["name"] == "fixed_point")
