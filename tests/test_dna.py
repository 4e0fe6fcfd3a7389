"""crn2sbml dna: every module of a compiled network translated by a published
scheme, enumerated by peppercorn and verified by crnverifier (the field's own
tools are the oracle), the DNA-level network simulated in roadrunner, and
bad input refused before anything is written."""

from __future__ import annotations

import csv
import re
import json
from collections import Counter

import numpy as np
import pytest

from crn2sbml import compile_network, load_network, network_from_dict
from crn2sbml.cli import main
from crn2sbml.dna import dna_design, write_dna
from crn2sbml.dna.answer import dna_answers
from crn2sbml.dna.realise import effective_rate, realise
from crn2sbml.dna.schemes import FORMS, _REGISTRY, known_schemes
from crn2sbml.dna.schemes.lakin2012 import Lakin2012
from crn2sbml.errors import UnsupportedError

# the test extra has peppercorn: a missing one fails here, never skips (and is imported through
# crn2sbml, which keeps the recursion limit peppercorn's import would raise to 10**6)
XOR = "models/xor.json"


@pytest.fixture(scope="module")
def xor():
    net = load_network(XOR)
    return net, compile_network(net, inputs=[1, 0])


@pytest.fixture(scope="module")
def designs(xor):
    return {name: dna_design(xor[1], name, jobs=2) for name in known_schemes()}


@pytest.fixture(scope="module")
def native(xor):
    """First-order reactions as the schemes' own unimolecular gates (no unit signal)."""
    return {name: dna_design(xor[1], name, jobs=2, catalysed=False) for name in known_schemes()}


def test_at_least_two_schemes_cover_the_six_forms():
    assert len(known_schemes()) >= 2
    for name in known_schemes():
        assert not set(_REGISTRY[name].refused) & set(FORMS), f"{name} refuses a form: it must not be offered"


@pytest.mark.parametrize("scheme", known_schemes())
@pytest.mark.parametrize("catalysed", [True, False])
def test_xor_verifies_module_by_module_and_as_a_whole(designs, native, xor, scheme, catalysed):
    design = (designs if catalysed else native)[scheme]
    forms = {v.form for v in design.system.verdicts}
    assert len(design.system.verdicts) == len(xor[1].reactions)
    first_order = [r.id for r in xor[1].reactions if sum(n for _, n in r.reactants) == 1]
    assert first_order  # XOR's Y -> 0 reactions
    if catalysed:  # run as ONE + Y -> ONE, the unit signal a catalyst
        assert forms == {"0 -> Y", "2Y -> Y", "X + Y -> X + 2Y", "X + Y -> X"}
        assert design.system.unit == "one"
        for m in design.system.modules:
            assert (m.reaction in first_order) == ("one" in m.reactants) == ("one" in m.products)
    else:
        assert forms == {"0 -> Y", "2Y -> Y", "X + Y -> X + 2Y", "X + Y -> X", "Y -> 0"}
        assert design.system.unit is None
    assert all(v.correct for v in design.system.verdicts), [v.reaction for v in design.system.verdicts if not v.correct]
    assert design.system.whole and design.correct
    for v in design.system.verdicts:  # each signal strand stands for its own formal species
        for s in {*design.system.modules[v.module].reactants, *design.system.modules[v.module].products}:
            assert v.interpretation[s] == [s]


class WrongProduct(Lakin2012):
    """A planted bug: module 2's fuel releases the upstream species instead of a second copy."""

    name = "wrong-product"

    def gates(self, index, reactants, products):
        if index == 2:
            products = [*products[:-1], "x2"]
        return super().gates(index, reactants, products)


def test_a_fuel_releasing_the_wrong_product_fails_naming_its_module(xor, tmp_path):
    design = dna_design(xor[1], WrongProduct(), jobs=1)
    failed = [v.reaction for v in design.system.verdicts if not v.correct]
    assert failed == [xor[1].reactions[2].id]
    assert not design.correct
    paths, _ = write_dna(design, xor[0], tmp_path)
    report = json.loads(paths["verification"].read_text())
    assert report["correct"] is False and report["failed_modules"] == failed


@pytest.mark.parametrize("scheme", known_schemes())
def test_the_verdict_does_not_depend_on_the_order_of_the_reactions(designs, scheme):
    """crnverifier 0.3's search misses an existing bisimulation in some orders
    of a three-strand gate's reactions: every order gets the same verdict, and
    the interpretation returned passes crnverifier's own check as given."""
    import random
    from dataclasses import replace

    from crnverifier import crn_bisimulation_test

    from crn2sbml.dna.verify import formal_crn, implementation_crn, verify_module

    for e in designs[scheme].system.enumerated:
        if len(e.module.reactants) < 2:
            continue
        formals = set(e.module.reactants) | set(e.module.products)
        orders = [tuple(reversed(e.reactions))] + [tuple(random.Random(k).sample(e.reactions, len(e.reactions)))
                                                   for k in range(2)]
        for order in orders:
            v = verify_module(replace(e, reactions=order))
            assert v.correct, (scheme, e.module.reaction)
            ok, _ = crn_bisimulation_test(formal_crn(e), implementation_crn(e), formals=formals,
                                          interpretation=v.interpretation)
            assert ok, (scheme, e.module.reaction)


def test_the_cli_names_the_failing_module(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(_REGISTRY, "wrong-product", WrongProduct)
    code = main(["dna", XOR, "--scheme", "wrong-product", "--out", str(tmp_path / "o"), "--jobs", "1",
                 "--no-simulate", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "verification failed: R_w_L1_u0_i0" in err


def _strands(kernel):
    """The strands of a complex in kernel notation, each a list of domains (``)`` closes its partner)."""
    out, cur, stack = [], [], []
    for tok in kernel.split():
        if tok == "+":
            out.append(cur)
            cur = []
        elif tok == ")":
            d = stack.pop()
            cur.append(d[:-1] if d.endswith("*") else d + "*")
        elif tok.endswith("("):
            stack.append(tok[:-1])
            cur.append(tok[:-1])
        else:
            cur.append(tok)
    return [*out, cur]


def _strand_totals(system, concentrations):
    """nM of each strand over all complexes, a strand named by its domains after the first: strand
    displacement only rearranges strands, and the system reads a released strand that differs from
    a signal only in its history domain (the first) as that signal."""
    totals = Counter()
    for name, kernel in system.kernels.items():
        for strand in _strands(kernel):
            totals[" ".join(strand[1:])] += concentrations.get(name, 0.0)
    return totals


def test_every_dna_reaction_keeps_its_strands(designs):
    for scheme, design in designs.items():
        for r in design.system.reactions:
            left = _strand_totals(design.system, Counter(r.reactants))
            right = _strand_totals(design.system, Counter(r.products))
            assert +left == +right, (scheme, r)


def test_the_dna_sbml_runs_in_roadrunner_and_keeps_every_strand(designs, xor, tmp_path):
    import roadrunner

    design = designs["lakin2012"]
    paths, _ = write_dna(design, xor[0], tmp_path)
    rr = roadrunner.RoadRunner(str(paths["sbml"]))
    ids = rr.model.getFloatingSpeciesIds()
    assert len(ids) == len(design.system.kernels)
    params = rr.model.getGlobalParameterIds()
    assert len(params) == len(design.system.reactions)  # every rate constant a named parameter
    before = dict(zip(ids, rr.model.getFloatingSpeciesConcentrations()))
    rr.simulate(0, 5 * design.realisation.seconds, 50)
    after = dict(zip(ids, rr.model.getFloatingSpeciesConcentrations()))
    from crn2sbml.dna.emit import sbml_id

    b = _strand_totals(design.system, {n: before[sbml_id(n)] for n in design.system.kernels})
    a = _strand_totals(design.system, {n: after[sbml_id(n)] for n in design.system.kernels})
    assert b.keys() == a.keys()
    for k in b:
        assert a[k] == pytest.approx(b[k], rel=1e-5, abs=1e-6 * max(b.values())), k
    assert min(after.values()) > -1e-6 * max(b.values())


def test_the_written_files(designs, xor, tmp_path):
    design = designs["soloveichik2010"]
    paths, _ = write_dna(design, xor[0], tmp_path, name="x")
    assert sorted(p.name for p in paths.values()) == sorted(
        ["x.pil", "x_enumerated.pil", "x_dna.xml", "x_dna.ant", "x_verification.json", "x_strands.csv", "x_dna.md"])
    pil = paths["pil"].read_text()
    assert "length" in pil and "@initial" in pil
    from crn2sbml.dna.enumerate import _fresh_registries, peppercorn

    _fresh_registries(peppercorn())  # an in-process enumeration before this one left its complexes registered
    named, _ = peppercorn().input.read_pil(pil)  # peppercorn reads the domain-level system back
    assert {"x1", "x2", "h1_0", "h1_1", "y", "one"} <= set(named)
    rows = list(csv.DictReader(paths["strands"].open()))
    assert {r["role"] for r in rows} >= {"signal", "fuel"}
    assert all(float(r["concentration_nM"]) >= 0 for r in rows)
    signals = {r["domains"] for r in rows if r["role"] == "signal"}
    assert len(signals) == 6  # one strand per formal species, and the unit signal
    report = json.loads(paths["verification"].read_text())
    assert report["dna_level"]["unit_signal"] == "one"
    assert report["dna_level"]["input_total_per_free"]["one"] > 1  # what its gates hold is made up for
    assert report["correct"] and len(report["modules"]) == len(xor[1].reactions)
    assert "modular CRN bisimulation" in report["whole_system"]["method"]


def test_every_formal_rate_constant_is_realised(designs):
    """The chosen concentrations give each module its formal rate constant (in nM and s), measured
    independently of the bisection: a second probe level of the signals."""
    for design in designs.values():
        real = design.realisation
        for m in real.rates:
            again = effective_rate(design.system, m.module, m.level, real.buffer, 1e-4 * real.cap, m.private)
            assert again == pytest.approx(m.target, rel=1e-3), m.reaction
            assert m.level <= real.cap * (1 + 1e-6)


def test_a_unimolecular_module_decays_at_its_formal_rate_in_roadrunner(native, xor):
    """Module Y -> 0 alone, simulated in roadrunner at its realised concentrations: the signal
    decays as exp(-k t) with the formal k (in the formal time unit)."""
    import roadrunner

    from crn2sbml.dna.system import DnaSystem

    design = native["lakin2012"]
    s, real = design.system, design.realisation
    (i,) = [m.index for m in s.modules if m.form == "Y -> 0"]
    k = xor[1].parameter_index[xor[1].reactions[i].rate].value
    one = DnaSystem(s.crn, s.scheme, s.modules, s.enumerated, s.verdicts, s.whole, 0.0, s.kernels, s.roles,
                    s.module_of, [r for r in s.reactions if r.module == i])
    from crn2sbml.dna.emit import sbml

    start = {n: 0.0 for n in s.kernels}
    start.update({n: v for n, v in real.initial.items() if s.module_of.get(n) == i or s.roles[n] == "buffer"})
    start["y"] = 1e-3 * real.c0
    real1 = type(real)(real.c0, real.seconds, real.fuel, real.cap, real.buffer, start, real.rates)
    rr = roadrunner.RoadRunner(sbml(one, real1))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-16
    res = rr.simulate(0, 3 * real.seconds, 7, selections=["time", "[y]"])
    t, y = res[:, 0] / real.seconds, res[:, 1]
    slope = -np.polyfit(t[2:], np.log(y[2:]), 1)[0]
    assert slope == pytest.approx(k, rel=0.05)


def test_the_dna_answer_tightens_as_the_fuel_grows(designs, xor):
    """XOR(1, 0) at the DNA level against the forward pass: more fuel, a smaller error."""
    design = designs["lakin2012"]
    errors = {}
    for fuel in (10, 100):
        real = realise(design.system, c0=10.0, fuel=fuel)
        (a,) = dna_answers(design.system, real, xor[0], [[1.0, 0.0]])
        assert a.forward[0] == pytest.approx(float(xor[0].forward(np.array([1.0, 0.0]))[0]))
        errors[fuel] = a.error
    assert errors[100] < errors[10] / 1.5, errors
    assert errors[100] <= 0.05, errors


def test_the_default_fuel_is_lowered_where_buffers_would_pass_a_millimolar(designs, xor):
    """A default never refuses: at 5 uM per unit, lakin2012's default fuel would put its gates
    above a tenth of 1 mM (buffers are at least ten times the gates), so the default is the most that fits."""
    from crn2sbml.dna.realise import MAX_CONCENTRATION, MIN_BUFFER_EXCESS, check_fuel
    from crn2sbml.errors import InputError

    s = designs["lakin2012"].system
    c0 = 5000.0
    largest = c0 * max(max(sp.initial for sp in xor[1].species), 1.0)
    assert s.scheme.fuel * largest * MIN_BUFFER_EXCESS > MAX_CONCENTRATION
    with pytest.raises(InputError, match="--fuel"):
        realise(s, c0=c0, fuel=s.scheme.fuel)
    real = realise(s, c0=c0)
    assert real.fuel < s.scheme.fuel
    assert real.cap * MIN_BUFFER_EXCESS == pytest.approx(MAX_CONCENTRATION, rel=1e-9)
    assert real.buffer == pytest.approx(MAX_CONCENTRATION, rel=1e-9)
    assert check_fuel(real.fuel, xor[1], c0)[1] <= MAX_CONCENTRATION * (1 + 1e-9)
    assert realise(s, c0=10.0).fuel == s.scheme.fuel  # where it fits, the scheme's own


def test_a_network_not_seen_before(tmp_path):
    rng = np.random.default_rng(7)
    net = network_from_dict({"name": "hidden", "epsilon": 0.01, "layers": [
        {"weights": rng.normal(0, 1, (3, 3)).round(2).tolist(), "bias": rng.normal(0, 0.3, 3).round(2).tolist(),
         "activation": "smoothed_relu"},
        {"weights": rng.normal(0, 1, (1, 3)).round(2).tolist(), "bias": [0.1], "activation": "smoothed_relu"}]})
    crn = compile_network(net, inputs=[0.5, 0.2, 0.9])
    design = dna_design(crn, "lakin2012", jobs=2)
    assert design.correct, [v.reaction for v in design.system.verdicts if not v.correct]


def test_an_activation_with_another_form_is_refused_by_name():
    net = network_from_dict({"name": "cubic", "epsilon": 0.01, "layers": [
        {"weights": [[1.0, -0.5]], "bias": [0.1], "activation": {"name": "polynomial", "q": {"3": -1}}}]})
    with pytest.raises(UnsupportedError, match=r"form 3 y0 -> 2 y0, which no translation scheme covers"):
        dna_design(compile_network(net, inputs=[1, 0]), "lakin2012")


class Refusing(Lakin2012):
    name = "refusing"
    refused = {"2Y -> Y": "planted: this scheme is declared not correct on annihilation"}


@pytest.mark.parametrize("args, message", [
    (["--scheme", "nope"], "unknown scheme 'nope'; use one of"),
    (["--scheme", "refusing"], "scheme refusing is not correct on 2Y -> Y (reaction R_ann_L1_u0)"),
    (["--scheme", "lakin2012", "--fuel", "1"], "--fuel 1: the fuel excess over the signals must be a number above 1"),
    (["--scheme", "lakin2012", "--fuel", "nan"], "--fuel nan"),
    (["--scheme", "lakin2012", "--fuel", "1e6"], "need buffer strands at 10 times that, above 1e+06 nM"),
    (["--scheme", "lakin2012", "--inputs", "1,2,3"], "got 3 input values"),
    (["--scheme", "lakin2012", "--concentration-unit", "10 parsecs"], "unknown unit"),
    (["--scheme", "lakin2012", "--tolerance", "2"], "--tolerance 2: give a fraction in (0, 1)"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(monkeypatch, tmp_path, capsys, args, message):
    monkeypatch.setitem(_REGISTRY, "refusing", Refusing)
    out = tmp_path / "out"
    code = main(["dna", XOR, "--out", str(out), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_a_model_that_is_not_a_crn(tmp_path, capsys):
    bad = tmp_path / "notes.xml"
    bad.write_text("<html>not sbml</html>")
    code = main(["dna", str(bad), "--scheme", "lakin2012", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("crn2sbml: error:") and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_failed_run_keeps_an_existing_output(designs, xor, tmp_path, capsys):
    out = tmp_path / "o"
    write_dna(designs["lakin2012"], xor[0], out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["dna", XOR, "--scheme", "lakin2012", "--fuel", "0.5", "--out", str(out), "--quiet"]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.fixture(scope="module")
def implemented(tmp_path_factory):
    """XOR compiled at (1, 0) with its DNA implementation beside it (fuel 100)."""
    folder = tmp_path_factory.mktemp("xor-dna")
    assert main(["compile", XOR, "--input", "1,0", "--out", str(folder)]) == 0
    assert main(["dna", str(folder / "xor.xml"), "--scheme", "lakin2012", "--fuel", "100", "--no-simulate",
                 "--out", str(folder), "--quiet"]) == 0
    return folder


def test_validate_holds_the_dna_implementation_to_the_network(implemented):
    from crn2sbml.validate import validate

    report = validate(implemented / "xor.xml", checks=("dna",))
    (check,) = report.checks
    assert check.applicable and check.passed, check.reason
    forward = float(load_network(XOR).forward(np.array([1.0, 0.0]))[0])
    assert check.figures["forward"] == [pytest.approx(forward)]
    assert abs(check.figures["dna_readout"][0] - forward) <= check.figures["tolerance"]


def test_validate_fails_a_dna_implementation_that_does_not_verify(implemented, tmp_path):
    import shutil

    from crn2sbml.validate import Options, validate

    for f in implemented.iterdir():
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / "xor_verification.json"
    data = json.loads(path.read_text())
    data["correct"], data["failed_modules"] = False, ["R_w_L1_u0_i0"]
    path.write_text(json.dumps(data))
    (check,) = validate(tmp_path / "xor.xml", checks=("dna",)).checks
    assert not check.passed and "R_w_L1_u0_i0" in check.reason
    (empty,) = validate(XOR, checks=("dna",)).checks  # nothing beside it: not applicable
    assert not empty.applicable
    (asked,) = validate(XOR, checks=("dna",), options=Options(dna=str(tmp_path / "none"))).checks
    assert asked.applicable and not asked.passed


def test_the_cli_writes_sequences_a_synthesis_order_takes(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["dna", XOR, "--scheme", "lakin2012", "--sequences", "--no-simulate", "--out", str(out),
                 "--quiet"]) == 0
    rows = list(csv.DictReader((out / "xor_strands.csv").open()))
    for row in rows:
        assert re.fullmatch(r"[ACGT]+", row["sequence"]), row
        assert len(row["sequence"]) == int(row["length_nt"])
        assert "worst unintended" in row["check"]
    assert "## Sequences" in (out / "xor_dna.md").read_text()
