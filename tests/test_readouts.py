"""Readout forms (compile_network(readouts=...)): the signed value of a
multi-rail unit as an assignment rule, as a species relaxing to it, or not at
all. Every form is the same network: same reactions, same read-back; the
species form runs in tools without rules and shows the forward pass."""

from __future__ import annotations

import libsbml
import numpy as np
import pytest
import roadrunner

from crn2sbml import Layer, Network, compile_network, network_from_crn, read_sbml, to_antimony, to_sbml
from crn2sbml.emit.sbml import stream_sbml
from crn2sbml.errors import NetworkError
from crn2sbml.readback import read_model
from crn2sbml.validate.structure import construction_problems

FORMS = ("rules", "species", "none")


def signed_network() -> Network:
    """Inputs in [-1, 1] (one shifted rail each), a leaky-ReLU hidden layer
    (signed hidden readouts) and an identity output layer (signed outputs)."""
    rng = np.random.default_rng(11)
    return Network(
        (Layer(rng.normal(size=(3, 2)), rng.normal(size=3), 0.01, "leaky_relu", (("negative_slope", 0.1),)),
         Layer(rng.normal(size=(2, 3)), rng.normal(size=2), 0.01, "identity")),
        inputs=("a", "b"), outputs=("p", "q"), name="signed", input_ranges=((-1.0, 1.0), (-1.0, 1.0)))


def sbml_issues(sbml: str) -> list[str]:
    doc = libsbml.readSBMLFromString(sbml)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    return [doc.getError(i).getMessage() for i in range(doc.getNumErrors())]


@pytest.mark.parametrize("form", FORMS)
def test_every_form_is_the_same_network(form):
    net = signed_network()
    rules = compile_network(net, readouts="rules")
    crn = compile_network(net, readouts=form)
    assert crn.reactions == rules.reactions and crn.species == rules.species
    sbml = to_sbml(crn)
    assert sbml_issues(sbml) == [] and sbml_issues(to_sbml(crn, 3, 1)) == []
    assert "".join(stream_sbml(crn, chunk=4)) == sbml  # the readout reactions follow the streamed ones
    read = read_model(sbml)
    assert read.problems == () and read.unsupported == ()
    assert read.crn.readout_form == form and to_sbml(read.crn) == sbml  # the form survives a round trip
    assert network_from_crn(read.crn) == net
    assert construction_problems(read.crn, compile_network(net)) == []
    doc = libsbml.readSBMLFromString(sbml)  # kept referenced: the model belongs to it (freed with it)
    model = doc.getModel()
    readouts = [r.id for r in crn.readouts]
    assert readouts == ["h1_0", "h1_1", "h1_2", "p", "q"]  # bounded inputs are one shifted rail each
    assert (model.getNumRules() == len(readouts)) == (form == "rules")
    assert all((model.getSpecies(r) is not None) == (form == "species") for r in readouts)


def test_readout_species_show_the_forward_pass():
    """roadrunner, Antimony and the species' names: the oracle is net.forward."""
    import tellurium as te

    net = signed_network()
    crn = compile_network(net, readouts="species", start="bound")
    sbml, ant = to_sbml(crn), to_antimony(crn)
    doc = libsbml.readSBMLFromString(sbml)  # kept referenced: the model belongs to it (freed with it)
    model = doc.getModel()
    assert model.getSpecies("p").getName() == "p" and model.getNumRules() == 0
    for x in ([0.3, -0.8], [-1.0, 1.0], [0.9, 0.2]):
        want = net.forward(np.array(x))
        for r in (roadrunner.RoadRunner(sbml), te.loada(ant)):
            enc = crn.with_inputs(x)
            for s in enc.inputs:
                r[s.id] = s.initial
            r.simulate(0, 400, 3)
            r.steadyState()
            assert np.allclose([r["p"], r["q"]], want, rtol=1e-8, atol=1e-10)
            hidden = [r[h.id] for h in crn.readouts if h.layer == 1]
            z1 = net.preactivations(np.array(x))[0]
            assert np.allclose(hidden, np.where(z1 > 0, z1, 0.1 * z1), atol=0.2)  # smoothed leaky ReLU


def test_bad_choices_are_one_line_errors():
    with pytest.raises(NetworkError, match="readouts is 'rule'; use one of species, rules, none"):
        compile_network(signed_network(), readouts="rule")
    net = signed_network()
    clash = Network(net.layers, inputs=net.inputs, outputs=("k_readout", "q"), name="clash",
                    input_ranges=net.input_ranges)
    # an output named like the readout rate constant is mapped to a safe id (tests/test_names.py)
    assert compile_network(clash, readouts="species").output_ids[0] == "out_k_readout"


def test_cli_compile_readouts(tmp_path, capsys):
    from crn2sbml.cli import main
    from crn2sbml.network import save_network

    path = save_network(signed_network(), tmp_path / "signed.json")
    assert main(["compile", str(path), "--out", str(tmp_path / "m"), "--readouts", "species"]) == 0
    crn = read_sbml(tmp_path / "m" / "signed.xml")
    assert crn.readout_form == "species" and network_from_crn(crn) == signed_network()
