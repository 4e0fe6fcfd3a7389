"""Foreign models as the SBML Test Suite writes them (built here with libsbml:
the suite is not a dependency): species given as initialAmount or
initialConcentration, with hasOnlySubstanceUnits, in compartments of sizes
other than 1, with conservation laws, without a positive steady state, as a
comp document with a submodel, with rules on parameters no law reads, and
with the features the mass-action IR refuses. Each ends in numbers that
match an independent integration (scipy's solve_ivp on rate equations
written here, amounts = concentration * compartment size), or in a one-line
refusal naming the feature; never a traceback or a wrong number."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import libsbml
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from conftest import run_cli

K1, K2, K3 = 0.75, 0.25, 1.5


@dataclass(frozen=True)
class Sp:
    id: str
    value: float
    given: str = "concentration"  # "amount", "concentration" or "none" (no initial value)
    only_substance: bool = False
    boundary: bool = False


def build(species: list[Sp], reactions: list[tuple[str, list[str], list[str], str]], *, size: float | None = 1.0,
          params: dict[str, float] | None = None, rules: dict[str, str] | None = None,
          level: tuple[int, int] = (3, 2), doc: libsbml.SBMLDocument | None = None,
          model: libsbml.Model | None = None) -> libsbml.SBMLDocument:
    """An SBML document of one compartment C (``size``), as the suite writes them."""
    if doc is None:
        doc = libsbml.SBMLDocument(*level)
        model = doc.createModel()
        model.setId("case")
    c = model.createCompartment()
    c.setId("C")
    c.setConstant(True)
    if size is not None:
        c.setSize(size)
    for s in species:
        sp = model.createSpecies()
        sp.setId(s.id)
        sp.setCompartment("C")
        sp.setHasOnlySubstanceUnits(s.only_substance)
        sp.setBoundaryCondition(s.boundary)
        sp.setConstant(False)
        if s.given == "amount":
            sp.setInitialAmount(s.value)
        elif s.given == "concentration":
            sp.setInitialConcentration(s.value)
    for pid, value in (params or {}).items():
        p = model.createParameter()
        p.setId(pid)
        p.setValue(value)
        p.setConstant(pid not in (rules or {}))
    for target, formula in (rules or {}).items():
        rule = model.createAssignmentRule()
        rule.setVariable(target)
        rule.setMath(libsbml.parseL3Formula(formula))
    for rid, reactants, products, law in reactions:
        r = model.createReaction()
        r.setId(rid)
        r.setReversible(False)
        if model.getLevel() == 3 and model.getVersion() == 1:
            r.setFast(False)
        for side, names in ((r.createReactant, reactants), (r.createProduct, products)):
            for name in names:
                ref = side()
                ref.setSpecies(name)
                ref.setStoichiometry(1)
                ref.setConstant(True)
        r.createKineticLaw().setMath(libsbml.parseL3Formula(law))
    return doc


def write(doc: libsbml.SBMLDocument, path: Path) -> Path:
    path.write_text(libsbml.writeSBMLToString(doc))
    return path


@dataclass(frozen=True)
class Case:
    """A model, its rate equations in the quantity each species is declared
    in (amounts or concentrations), and the initial values of those."""

    doc: Callable[[], libsbml.SBMLDocument]
    rhs: Callable[[float, np.ndarray], np.ndarray]
    y0: tuple[float, ...]
    species: tuple[str, ...]
    declared: tuple[str, ...]  # "amount" / "concentration" per species
    positive_steady_state: bool = True


def with_modifier(doc: libsbml.SBMLDocument, reaction: str, species: str) -> libsbml.SBMLDocument:
    doc.getModel().getReaction(reaction).createModifier().setSpecies(species)
    return doc


V = 2.0  # compartment size of the amount cases
W = 0.5  # compartment size of the concentration cases
CASES = {
    # Test Suite 00001-like: initialAmount, laws C*k*S: d(amount)/dt = -k1 a1 + k2 a2
    "initial_amount_size_2": Case(
        lambda: build([Sp("S1", 10.0, "amount"), Sp("S2", 0.0, "amount")],
                      [("R1", ["S1"], ["S2"], f"C*{K1}*S1"), ("R2", ["S2"], ["S1"], f"C*{K2}*S2")], size=V),
        lambda t, a: np.array([-K1 * a[0] + K2 * a[1], K1 * a[0] - K2 * a[1]]),
        (10.0, 0.0), ("S1", "S2"), ("amount", "amount")),
    # initialConcentration in a compartment of size 0.5, second order: d[c]/dt = k1 [a][b] ...
    "initial_concentration_size_half": Case(
        lambda: build([Sp("A", 2.0), Sp("B", 1.0), Sp("P", 0.0)],
                      [("R1", ["A", "B"], ["P"], f"C*{K1}*A*B"), ("R2", ["P"], ["A", "B"], f"C*{K2}*P")], size=W),
        lambda t, c: np.array([-K1 * c[0] * c[1] + K2 * c[2]] * 2 + [K1 * c[0] * c[1] - K2 * c[2]]),
        (2.0, 1.0, 0.0), ("A", "B", "P"), ("concentration",) * 3),
    # hasOnlySubstanceUnits: the law's symbols are amounts, no compartment factor
    "only_substance_units_size_2": Case(
        lambda: build([Sp("A", 4.0, "amount", True), Sp("B", 3.0, "amount", True), Sp("P", 0.0, "amount", True)],
                      [("R1", ["A", "B"], ["P"], f"{K1}*A*B"), ("R2", ["P"], [], f"{K3}*P")], size=V),
        lambda t, a: np.array([-K1 * a[0] * a[1], -K1 * a[0] * a[1], K1 * a[0] * a[1] - K3 * a[2]]),
        (4.0, 3.0, 0.0), ("A", "B", "P"), ("amount",) * 3, positive_steady_state=False),
    # hasOnlySubstanceUnits with an initialConcentration: amount = 5 * 2 = 10; declared an amount
    "only_substance_units_from_concentration": Case(
        lambda: build([Sp("S1", 5.0, "concentration", True), Sp("S2", 0.0, "concentration", True)],
                      [("R1", ["S1"], ["S2"], f"{K1}*S1"), ("R2", ["S2"], ["S1"], f"{K2}*S2")], size=V),
        lambda t, a: np.array([-K1 * a[0] + K2 * a[1], K1 * a[0] - K2 * a[1]]),
        (10.0, 0.0), ("S1", "S2"), ("amount", "amount")),
    # an inflow, a boundary catalyst and an outflow: a positive steady state without conservation
    "boundary_catalyst_size_half": Case(
        lambda: build([Sp("E", 3.0, boundary=True), Sp("S", 1.0)],
                      [("Rin", [], ["S"], f"C*{K3}"), ("Rcat", ["E", "S"], ["E"], f"C*{K2}*E*S")], size=W),
        lambda t, c: np.array([K3 - K2 * 3.0 * c[0]]),
        (1.0,), ("S",), ("concentration",)),
    # the suite's catalysts: a modifier in the law (an enzyme E, listed as modifier, not reactant)
    "modifier_catalyst_amounts": Case(
        lambda: with_modifier(build([Sp("E", 2.0, "amount"), Sp("S", 1.0, "amount")],
                                    [("Rin", [], ["S"], f"C*{K3}"), ("R", ["S"], [], f"C*{K1}*E*S")], size=V), "R", "E"),
        lambda t, a: np.array([0.0, V * K3 - K1 * (a[0] / V) * a[1]]),
        (2.0, 1.0), ("E", "S"), ("amount", "amount")),
    # S1 -> S2: every trajectory ends at S1 = 0, no positive steady state
    "no_positive_steady_state": Case(
        lambda: build([Sp("S1", 1.0), Sp("S2", 0.0)], [("R1", ["S1"], ["S2"], f"C*{K1}*S1")], size=W),
        lambda t, c: np.array([-K1 * c[0], K1 * c[0]]),
        (1.0, 0.0), ("S1", "S2"), ("concentration",) * 2, positive_steady_state=False),
}


def comp_document() -> libsbml.SBMLDocument:
    """A comp document whose only content is a submodel (Test Suite's comp
    cases): S is produced at 4 and decays at 0.5/time, from 1 to 8."""
    doc = libsbml.SBMLDocument(libsbml.SBMLNamespaces(3, 1, "comp", 1))
    doc.setPackageRequired("comp", True)
    top = doc.createModel()
    top.setId("top")
    definition = doc.getPlugin("comp").createModelDefinition()
    definition.setId("inner")
    build([Sp("S", 1.0)], [("Rin", [], ["S"], "C*4"), ("Rout", ["S"], [], "C*0.5*S")], doc=doc, model=definition)
    c = top.createCompartment()
    c.setId("C")
    c.setSize(1.0)
    c.setConstant(True)
    sub = top.getPlugin("comp").createSubmodel()
    sub.setId("A")
    sub.setModelRef("inner")
    return doc


def reference(case: Case, times: np.ndarray) -> np.ndarray:
    sol = solve_ivp(case.rhs, (0.0, float(times[-1])), case.y0, t_eval=times, method="LSODA", rtol=1e-11,
                    atol=1e-13)
    assert sol.success
    return sol.y.T


def simulate_json(capsys, path: Path, backend: str, t_end: float = 4.0, points: int = 9) -> dict:
    code, out, err = run_cli(capsys, "simulate", path, "--json", "--backend", backend, "--time", t_end,
                             "--points", points)
    assert code == 0 and "Traceback" not in err, err
    return json.loads(out)


@pytest.mark.parametrize("backend", ["roadrunner", "numpy"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_time_course_matches_an_independent_integration(tmp_path, capsys, name, backend):
    case = CASES[name]
    report = simulate_json(capsys, write(case.doc(), tmp_path / f"{name}.xml"), backend)
    course = report["time_course"]
    times = np.array(course["time"])
    want = reference(case, times)
    for k, sid in enumerate(case.species):
        assert report["quantities"][sid] == case.declared[k]  # the number says what it is
        np.testing.assert_allclose(course[sid], want[:, k], rtol=1e-6, atol=1e-9, err_msg=f"{name}: {sid}")
    final = reference(case, np.array([0.0, 400.0]))[-1]
    if report["steady_state"] is None:  # the time course is still given; the missing steady state is said apart
        assert not case.positive_steady_state and "found no checked steady state" in report["no_steady_state"]
    else:  # (a state at the boundary that rounding keeps positive, 1e-20, is the limit all the same)
        got = [report["steady_state"][s] for s in case.species]
        np.testing.assert_allclose(got, final, rtol=1e-6, atol=0 if case.positive_steady_state else 1e-9)
        assert report["no_steady_state"] is None


def test_no_positive_steady_state_is_said_beside_the_time_course(tmp_path, capsys):
    path = write(CASES["no_positive_steady_state"].doc(), tmp_path / "s1s2.xml")
    code, out, err = run_cli(capsys, "simulate", path, "--backend", "numpy")
    assert code == 0, err
    assert "time course of the first species (concentrations)" in out
    assert "no positive steady state found" in out


def test_amounts_are_labelled_in_the_text_output(tmp_path, capsys):
    path = write(CASES["initial_amount_size_2"].doc(), tmp_path / "amounts.xml")
    code, out, err = run_cli(capsys, "simulate", path, "--points", "3")
    assert code == 0, err
    assert "time course of the first species (amounts)" in out


@pytest.mark.parametrize("name", ["initial_amount_size_2", "initial_concentration_size_half",
                                  "only_substance_units_from_concentration"])
def test_validate_passes_mass_action_models_with_conservation_laws_and_volumes(tmp_path, capsys, name):
    """Every backend's Newton handles the conserved moieties (S1 + S2), so the
    agreement check compares them instead of failing the model."""
    path = write(CASES[name].doc(), tmp_path / f"{name}.xml")
    code, out, err = run_cli(capsys, "validate", path, "--quiet", "--checks", "structure,fixed_point,agreement")
    assert code == 0, out + err
    assert "numpy" in out and "roadrunner" in out


def test_numpy_newton_reduces_by_the_conservation_laws():
    from crn2sbml.readback import read_model
    from crn2sbml.simulate import NumpySimulator, find_steady_state

    crn = read_model(libsbml.writeSBMLToString(CASES["initial_amount_size_2"].doc())).crn
    with NumpySimulator(crn) as sim:
        assert sim._laws.shape == (1, 2)  # S1 + S2
        values, residual = sim.polish(np.array([4.0, 1.0]))
        ss = find_steady_state(sim)
    np.testing.assert_allclose(values, [1.25, 3.75], rtol=1e-12)  # totals 5 kept, k1 S1 = k2 S2
    np.testing.assert_allclose(ss.values * V, [2.5, 7.5], rtol=1e-9)  # amounts from 10 + 0


def test_comp_document_is_flattened_and_simulated_right(tmp_path, capsys):
    path = write(comp_document(), tmp_path / "comp.xml")
    for backend in ("roadrunner", "numpy"):
        report = simulate_json(capsys, path, backend, t_end=6.0, points=7)
        times = np.array(report["time_course"]["time"])
        want = 8.0 - 7.0 * np.exp(-0.5 * times)
        np.testing.assert_allclose(report["time_course"]["A__S"], want, rtol=1e-6)
        assert report["steady_state"]["A__S"] == pytest.approx(8.0, rel=1e-8)
    code, out, err = run_cli(capsys, "validate", path, "--quiet", "--checks", "structure,agreement")
    assert code == 0, out + err


def test_other_sbml_package_is_refused_naming_it(tmp_path, capsys):
    doc = libsbml.SBMLDocument(libsbml.SBMLNamespaces(3, 1, "fbc", 2))
    doc.setPackageRequired("fbc", False)
    model = doc.createModel()
    model.getPlugin("fbc").setStrict(True)
    build([Sp("S", 1.0)], [("R", ["S"], [], "C*S")], doc=doc, model=model)
    path = write(doc, tmp_path / "fbc.xml")
    for command in ("simulate", "validate"):
        code, out, err = run_cli(capsys, command, path)
        assert code == 2 and err.strip().count("\n") == 0, err
        assert "uses the SBML package(s) fbc" in err


def test_rule_on_a_parameter_no_law_reads_is_reported_not_validated(tmp_path, capsys):
    doc = build([Sp("S", 1.0)], [("Rin", [], ["S"], "C*1"), ("Rout", ["S"], [], "C*2*S")],
                params={"p": 0.0}, rules={"p": "2*S"})
    path = write(doc, tmp_path / "rule.xml")
    code, out, err = run_cli(capsys, "simulate", path, "--points", "3")
    assert code == 0
    assert "crn2sbml: note: the assignment rule for p is not simulated" in err
    code, out, err = run_cli(capsys, "validate", path, "--quiet", "--checks", "structure")
    assert code == 1 and "part of the model is not read: the assignment rule for p" in out


def refused(capsys, path: Path) -> str:
    code, out, err = run_cli(capsys, "simulate", path)
    assert code == 2 and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crn2sbml: error: "), err
    return lines[0]


def _with_event(doc: libsbml.SBMLDocument) -> libsbml.SBMLDocument:
    event = doc.getModel().createEvent()
    event.setUseValuesFromTriggerTime(True)
    trigger = event.createTrigger()
    trigger.setMath(libsbml.parseL3Formula("time > 1"))
    trigger.setPersistent(True)
    trigger.setInitialValue(False)
    assignment = event.createEventAssignment()
    assignment.setVariable("S")
    assignment.setMath(libsbml.parseL3Formula("1"))
    return doc


def _with_rule(doc: libsbml.SBMLDocument, kind: str) -> libsbml.SBMLDocument:
    model = doc.getModel()
    p = model.createParameter()
    p.setId("k")
    p.setValue(1.0)
    p.setConstant(False)
    if kind == "rate":
        rule = model.createRateRule()
        rule.setVariable("k")
    else:
        rule = model.createAlgebraicRule()
    rule.setMath(libsbml.parseL3Formula("k - 1" if kind == "algebraic" else "0.1"))
    return doc


def _conversion_factor(doc: libsbml.SBMLDocument) -> libsbml.SBMLDocument:
    p = doc.getModel().createParameter()
    p.setId("cf")
    p.setValue(2.0)
    p.setConstant(True)
    doc.getModel().setConversionFactor("cf")
    return doc


def _fast(doc: libsbml.SBMLDocument) -> libsbml.SBMLDocument:
    doc.getModel().getReaction("R").setFast(True)
    return doc


def plain() -> libsbml.SBMLDocument:
    return build([Sp("S", 1.0)], [("Rin", [], ["S"], "C*1"), ("Rout", ["S"], [], "C*2*S")])


@pytest.mark.parametrize("make, words", [
    (lambda: build([Sp("S", 1.0)], [("R", ["S"], [], "C*S")], size=0.0), "compartment 'C' has size 0.0"),
    (lambda: build([Sp("S", 1.0)], [("R", ["S"], [], "C*S")], size=None), "compartment 'C' has no size"),
    (lambda: build([Sp("S", 1.0, "none")], [("R", ["S"], [], "C*S")]), "species 'S' has no initial value"),
    (lambda: _with_event(plain()), "event(s)"),
    (lambda: _with_rule(plain(), "rate"), "a rate rule for k"),
    (lambda: _with_rule(plain(), "algebraic"), "an algebraic rule"),
    (lambda: _conversion_factor(plain()), "conversion factor"),
    (lambda: build([Sp("S", 1.0)], [("R", ["S"], [], "C*S/(1+S)")]), "is not mass action"),
    (lambda: _fast(build([Sp("S", 1.0)], [("R", ["S"], [], "C*S")], level=(3, 1))), "reaction R is fast"),
], ids=["size-0", "no-size", "no-initial-value", "event", "rate-rule", "algebraic-rule", "conversion-factor",
        "michaelis-menten", "fast-reaction"])
def test_features_the_ir_cannot_carry_are_refused_in_one_line_naming_them(tmp_path, capsys, make, words):
    line = refused(capsys, write(make(), tmp_path / "case.xml"))
    assert words in line, line
