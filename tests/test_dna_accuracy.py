"""The DNA-level answer of a signed network no part of crn2sbml was tuned on
(seeded weights of both signs, an identity output, so a readout of two
rails), for every scheme, against the closed-form forward pass.

Two claims, kept apart. With the fuels and buffers held constant (an
infinite supply) the DNA-level steady state is the network's output: the
rates are realised exactly and what the gates hold of an input is made up
for, so free input strands stand at the input. With the finite fuel of the
default design, the readout is within the tolerance the report states."""

from __future__ import annotations

import numpy as np
import pytest

from crn2sbml import compile_network, network_from_dict
from crn2sbml.dna import dna_design
from crn2sbml.dna.answer import DEFAULT_TOLERANCE, _readouts, dna_answers, dna_roadrunner
from crn2sbml.dna.emit import sbml, sbml_id
from crn2sbml.dna.realise import MAX_CONCENTRATION
from crn2sbml.dna.schemes import known_schemes
from crn2sbml.theory import settling_time

INPUT = [0.8, 0.4]


@pytest.fixture(scope="module")
def network():
    rng = np.random.default_rng(2026)
    signs = np.array([[1.0, -1.0], [-1.0, 1.0]])  # both signs in every layer
    return network_from_dict({"name": "signed", "epsilon": 0.001, "inputs": ["x0", "x1"], "outputs": ["y0"], "layers": [
        {"weights": (signs * rng.uniform(0.5, 1.2, (2, 2))).round(3).tolist(),
         "bias": rng.uniform(-0.2, 0.2, 2).round(3).tolist(), "activation": "smoothed_relu"},
        {"weights": (np.array([[1.0, -1.0]]) * rng.uniform(0.5, 1.2, (1, 2))).round(3).tolist(),
         "bias": rng.uniform(-0.1, 0.1, 1).round(3).tolist(), "activation": "identity"}]})


@pytest.fixture(scope="module")
def designs(network):
    crn = compile_network(network, inputs=INPUT)
    return {name: dna_design(crn, name, jobs=2) for name in known_schemes()}


def _held_constant(text: str, names: list[str]) -> str:
    """The DNA-level SBML with these species as boundary species: an endless supply."""
    import libsbml

    doc = libsbml.readSBMLFromString(text)
    for name in names:
        doc.getModel().getSpecies(sbml_id(name)).setBoundaryCondition(True)
    return libsbml.writeSBMLToString(doc)


@pytest.mark.parametrize("scheme", known_schemes())
def test_with_fuels_held_the_steady_state_is_the_forward_pass(designs, network, scheme):
    design = designs[scheme]
    s, real = design.system, design.realisation
    assert design.correct
    supplied = [n for n, role in s.roles.items() if role in ("fuel", "buffer")]
    rr = dna_roadrunner(_held_constant(sbml(s, real), supplied), real.c0)
    x = np.array(INPUT)
    end = 3 * settling_time(network, x, s.crn.speed, tol=1e-6) * real.seconds
    outputs, weights, offsets = _readouts(s.crn)
    assert s.unit == "one"  # the first-order reactions' catalyst, at one formal unit
    catalysts = ["x0", "x1", s.unit]
    res = rr.simulate(0, end, 200, selections=["time", *(f"[{sbml_id(n)}]" for n in [*catalysts, *outputs])])
    last = np.asarray(res)[-1, 1:] / real.c0
    assert last[:3] == pytest.approx([*x, 1.0], rel=2e-3)  # the gates' share of the catalysts is made up for
    assert all(real.totals[n] > 1 for n in catalysts)
    y = last[3:] @ weights + offsets
    forward = np.asarray(network.forward(x), float)
    assert y == pytest.approx(forward, rel=5e-3, abs=5e-3)


@pytest.mark.parametrize("scheme", known_schemes())
def test_at_the_default_fuel_the_answer_is_within_the_tolerance(designs, network, scheme):
    design = designs[scheme]
    inputs = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    answers = dna_answers(design.system, design.realisation, network, inputs)
    for x, a in zip(inputs, answers):
        forward = np.asarray(network.forward(np.array(x)), float)
        assert a.forward == pytest.approx(tuple(forward))
        assert a.tolerance == pytest.approx(DEFAULT_TOLERANCE * max(1.0, float(np.max(np.abs(forward)))))
        assert a.ok, (scheme, x, a.dna, a.forward, a.error)


@pytest.mark.parametrize("scheme", known_schemes())
def test_gates_stay_at_the_cap_unless_their_own_buffers_are_at_the_ceiling(designs, scheme):
    """A steady flux must not spend a module's gates: a module is slowed by
    its own buffer strands first, its gates lowered only past 1 mM of them."""
    design = designs[scheme]
    real, own = design.realisation, design.system.private
    scheme_ = design.system.scheme
    for m in design.system.modules:  # a gate binding a fuel signal has strands of its own
        if len(m.reactants) < 2 or scheme_.fuel_signals:
            assert own.get(m.index), m
    for m in real.rates:
        assert m.level <= real.cap * (1 + 1e-9)
        if own.get(m.module):
            assert m.level == pytest.approx(real.cap, rel=1e-6) or m.private == pytest.approx(MAX_CONCENTRATION), m
            assert 0 <= m.private <= MAX_CONCENTRATION * (1 + 1e-9)
            if m.private < real.buffer * (1 - 1e-9):  # only where their reverse steps hand back no formal signal
                for r in design.system.module_reactions(m.module):
                    if set(own[m.module]) & set(r.reactants):
                        assert all(design.system.roles.get(p) != "signal" for p in r.products), (m, r)
        else:
            assert m.private == real.buffer
    for module, names in design.system.private.items():
        for name in names:
            assert real.initial[name] == pytest.approx(real.rates[module].private)


@pytest.mark.parametrize("scheme", known_schemes())
def test_the_fuel_the_answer_says_is_spent_is_what_the_formal_fluxes_spend(designs, network, scheme):
    """The share of a module's fuel strands the DNA level spends by twice
    the read time, against the formal CRN's fluxes integrated to then over
    the module's gate level (every firing takes one of each): the DNA level
    lags the formal CRN a little, never leads it."""
    import roadrunner

    from crn2sbml.emit import to_sbml

    design = designs[scheme]
    s, real = design.system, design.realisation
    (a,) = dna_answers(s, real, network, [INPUT])
    assert a.spent_by in {m.reaction for m in s.modules}
    until = 2 * a.read_at / real.seconds  # formal time units
    rr = roadrunner.RoadRunner(to_sbml(s.crn))
    times = np.linspace(0.0, until, 801)
    ids = [m.reaction for m in real.rates]
    rates = np.asarray(rr.simulate(times=times, selections=["time", *ids]))[:, 1:]
    fired = ((rates[1:] + rates[:-1]) / 2 * np.diff(times)[:, None]).sum(axis=0) * real.c0
    formal = {rid: f / m.level for rid, f, m in zip(ids, fired, real.rates) if m.level}
    assert formal[a.spent_by] > 0.005  # something to compare
    assert 0.6 * formal[a.spent_by] <= a.spent <= 1.05 * formal[a.spent_by]
    assert a.spent >= 0.6 * max(formal.values())  # no module spends much more than the one named


@pytest.fixture(scope="module")
def wide():
    """Three inputs, one hidden layer of four, signed weights up to 1.85, an
    identity output: the network on which the design before the unit signal
    and the 1 mM buffer ceiling was off by 3.6 at (1, 1, 1) (fuel spent)."""
    return network_from_dict({"name": "wide", "epsilon": 0.001, "inputs": ["a", "b", "c"], "outputs": ["y"], "layers": [
        {"weights": [[0.03, 1.36, 1.22], [-0.51, -0.3, -0.53], [0.57, -0.06, 0.75], [-1.85, 1.57, -0.1]],
         "bias": [0.2, -0.04, -0.11, 0.14], "activation": "smoothed_relu"},
        {"weights": [[0.82, -0.2, -0.15, 0.69]], "bias": [0.1], "activation": "identity"}]})


# soloveichik2010 only: lakin2012's DNA-level network of it takes roadrunner about 23 minutes an input (docs/dna.md)
def test_a_wider_network_holds_its_answer_at_the_default_fuel(wide):
    """Hidden units with steady fluxes of several units per time unit, read
    after 5.7 time units: the default design's gates last past twice that."""
    x = [1.0, 1.0, 1.0]
    forward = float(wide.forward(np.array(x))[0])
    design = dna_design(compile_network(wide, inputs=x), "soloveichik2010", jobs=2)
    assert design.correct
    (a,) = dna_answers(design.system, design.realisation, wide, [x])
    assert a.forward == pytest.approx((forward,))
    assert a.ok, (a.dna, a.forward, a.error, a.spent, a.spent_by)
    assert a.spent < 0.2, (a.spent, a.spent_by)  # the design before spent 0.83 of its annihilation gates
