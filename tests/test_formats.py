"""SBML consistency, the Antimony round trip (same ODEs), and
network -> SBML -> network."""

from __future__ import annotations

import antimony
import libsbml
import numpy as np
import pytest
import roadrunner

from conftest import make_network
from crn2sbml import (
    ModelReadError,
    compile_network,
    network_from_crn,
    read_sbml,
    to_antimony,
    to_sbml,
    write_sbml,
)


def consistency(sbml: str) -> list[str]:
    doc = libsbml.readSBMLFromString(sbml)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_MODELING_PRACTICE, True)
    doc.checkConsistency()
    return [f"{doc.getError(i).getSeverityAsString()}: {doc.getError(i).getMessage()}" for i in range(doc.getNumErrors())]


@pytest.mark.parametrize("version", [1, 2])
def test_consistency_zero_errors_zero_warnings(version, rng):
    for sizes in [(1, 1), (2, 4, 1), (4, 6, 6, 3)]:
        crn = compile_network(make_network(rng, sizes, 0.01), speed=3.0, inputs=np.ones(sizes[0]))
        sbml = to_sbml(crn, 3, version)
        assert f'level="3" version="{version}"' in sbml
        assert consistency(sbml) == []


def test_kinetic_laws_are_explicit_mass_action(rng):
    crn = compile_network(make_network(rng, (2, 2, 1), 0.01, zero_frac=0.0))
    doc = libsbml.readSBMLFromString(to_sbml(crn))
    laws = {r.getId(): libsbml.formulaToL3String(r.getKineticLaw().getMath()) for r in doc.getModel().getListOfReactions()}
    assert laws["R_ann_L1_u0"] == "cell * kappa * ann_L1_u0 * h1_0^2"
    assert laws["R_eps_L1_u0"] == "cell * kappa * eps_L1_u0"
    assert laws["R_w_L2_u0_i1"] == "cell * kappa * w_L2_u0_i1 * h1_1 * y0"
    for r in doc.getModel().getListOfReactions():
        assert r.getSBOTermID() == "SBO:0000176" and not r.getReversible()


def _load_rr(sbml: str) -> roadrunner.RoadRunner:
    return roadrunner.RoadRunner(sbml)


def _rates(rr: roadrunner.RoadRunner, state: dict[str, float]) -> dict[str, float]:
    ids = list(rr.model.getFloatingSpeciesIds())
    rr.model.setFloatingSpeciesConcentrations(np.array([state[s] for s in ids]))
    return dict(zip(ids, rr.getRatesOfChange()))


def test_antimony_gives_the_same_odes(rng):
    net = make_network(rng, (3, 4, 2), 0.05)
    crn = compile_network(net, speed=2.0, inputs=[0.3, 1.2, 0.0])
    antimony.clearPreviousLoads()  # Antimony is global state
    assert antimony.loadAntimonyString(to_antimony(crn)) >= 0, antimony.getLastError()
    from_ant = antimony.getSBMLString(antimony.getMainModuleName())
    assert [e for e in consistency(from_ant) if e.startswith("Error")] == []
    a, b = _load_rr(from_ant), _load_rr(to_sbml(crn))
    assert sorted(a.model.getFloatingSpeciesIds()) == sorted(b.model.getFloatingSpeciesIds())
    assert sorted(a.model.getBoundarySpeciesIds()) == sorted(b.model.getBoundarySpeciesIds())
    for _ in range(5):
        state = {s: float(v) for s, v in zip(b.model.getFloatingSpeciesIds(), rng.uniform(0, 3, 6))}
        ra, rb = _rates(a, state), _rates(b, state)
        for s in rb:
            assert ra[s] == pytest.approx(rb[s], rel=1e-12, abs=1e-15)


def test_network_sbml_network_round_trip_is_exact(tmp_path, rng):
    net = make_network(rng, (4, 7, 5, 3), 0.0123, zero_frac=0.3)
    crn = compile_network(net, speed=1.5, inputs=[1.0, 0.0, 2.5, 1 / 3])
    path = write_sbml(crn, tmp_path / "m.xml")
    back = read_sbml(path)
    assert network_from_crn(back) == net
    assert back.speed == 1.5
    assert [s.initial for s in back.inputs] == [1.0, 0.0, 2.5, 1 / 3]
    assert back.reactions == crn.reactions
    assert read_sbml(to_sbml(crn, 3, 1)).reactions == crn.reactions


def test_hand_edited_value_wins_over_annotation(rng):
    net = make_network(rng, (2, 2, 1), 0.01, zero_frac=0.0)
    doc = libsbml.readSBMLFromString(to_sbml(compile_network(net)))
    doc.getModel().getParameter("w_L1_u0_i0").setValue(7.25)
    back = network_from_crn(read_sbml(libsbml.writeSBMLToString(doc)))
    assert back.layers[0].weights[0, 0] == pytest.approx(7.25 * np.sign(net.layers[0].weights[0, 0]))


def test_foreign_sbml_is_refused():
    antimony.clearPreviousLoads()
    antimony.loadAntimonyString("model m\n S1 -> S2; k*S1; k = 1; S1 = 1\nend")
    with pytest.raises(ModelReadError, match="crn2sbml annotation"):
        read_sbml(antimony.getSBMLString("m"))
    with pytest.raises(ModelReadError, match="not readable SBML"):
        read_sbml("<sbml><garbage")
