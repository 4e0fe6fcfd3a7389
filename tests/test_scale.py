"""Large-model paths, checked on small models against the plain paths they
replace: chunked SBML writing against libsbml's whole-document output, the
chunked consistency check against libsbml's whole-document check, and
roadrunner's compiled-model cache against a fresh JIT compile."""

from __future__ import annotations

import json
import os
import re
import sys

import libsbml
import numpy as np
import pytest

from crn2sbml.simulate import find_steady_state
from crn2sbml import Layer, Network, compile_network, save_network, to_sbml, write_antimony, write_sbml
from crn2sbml.emit import antimony as antimony_module
from crn2sbml.emit import sbml as sbml_module
from crn2sbml.emit.antimony import to_antimony
from crn2sbml.emit.sbml import stream_sbml
from crn2sbml.simulate.roadrunner import RoadRunnerSimulator, default_cache_dir
from crn2sbml.validate import Options, validate
from crn2sbml.validate.sbml_check import consistency

from conftest import make_network, oracle_forward

ACTIVATIONS = [("smoothed_relu", {}), ("leaky_relu", {"negative_slope": 0.1}), ("hardtanh", {}), ("identity", {})]


def mixed_network(rng: np.random.Generator) -> Network:
    """Every rail layout in one model: dual-rail units, a readout, signed inputs."""
    sizes = (3, 5, 4, 2)
    layers = []
    for (n_in, n_out), (name, params) in zip(zip(sizes, sizes[1:]), ACTIVATIONS):
        layers.append(Layer(rng.normal(size=(n_out, n_in)), rng.normal(scale=0.3, size=n_out), 0.01, name, params))
    return Network(tuple(layers), input_ranges=((-1.0, 1.0), (0.0, None), (None, None)))


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_streamed_sbml_is_byte_identical_to_the_whole_document(rng, version, chunk):
    crn = compile_network(mixed_network(rng))
    assert "".join(stream_sbml(crn, 3, version, chunk=chunk)) == to_sbml(crn, 3, version)


def test_write_sbml_holds_at_most_one_chunk_in_libsbml(rng, tmp_path, monkeypatch):
    crn = compile_network(make_network(rng, (6, 8, 3), 0.01))
    sizes = []
    real = sbml_module._add_items
    monkeypatch.setattr(sbml_module, "CHUNK", 5)
    monkeypatch.setattr(sbml_module, "_add_items",
                        lambda model, c, kind, idx, *rest: (sizes.append(len(idx)), real(model, c, kind, idx, *rest)))
    path = write_sbml(crn, tmp_path / "m.xml")
    assert max(sizes) == 5 and sum(sizes) == len(crn.reactions) + len(crn.parameters)
    assert path.read_text() == to_sbml(crn)


def test_antimony_streams_the_same_text(rng, tmp_path):
    crn = compile_network(mixed_network(rng))
    pieces = list(antimony_module.antimony_lines(crn))
    assert len(pieces) > 20 and all(p.endswith("\n") for p in pieces)
    assert write_antimony(crn, tmp_path / "m.ant").read_text() == to_antimony(crn)


def test_failed_streamed_write_keeps_the_old_file(rng, tmp_path, monkeypatch):
    crn = compile_network(make_network(rng, (4, 5, 2), 0.01))
    target = tmp_path / "m.xml"
    target.write_text("old")

    def broken(*args, **kwargs):
        yield "<?xml"
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sbml_module, "stream_sbml", broken)
    with pytest.raises(RuntimeError):
        write_sbml(crn, target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.xml"]


# --- chunked consistency against libsbml's whole-document check ----------------------
def _breakages(text: str) -> dict[str, str]:
    return {
        "valid": text,
        "parameter without units": text.replace('units="rate_order1" constant="true"', 'constant="true"', 1),
        "kinetic law without the compartment": text.replace("<ci> cell </ci>", "", 1),
        "unknown species": text.replace('<speciesReference species="h1_0"', '<speciesReference species="nope"', 1),
        "reaction ids clash across chunks": re.sub(r'id="R_ann_L2_u1"', 'id="R_eps_L1_u0"', text),
        "parameter id clashes with a species": text.replace('id="w_L2_u1_i0"', 'id="h1_0"')
                                                   .replace("<ci> w_L2_u1_i0 </ci>", "<ci> h1_0 </ci>"),
    }


@pytest.mark.parametrize("case", list(_breakages("")))
def test_chunked_consistency_gives_the_whole_document_verdict(rng, case):
    text = _breakages(to_sbml(compile_network(make_network(rng, (3, 6, 4), 0.01, zero_frac=0.0))))[case]
    whole = consistency(text)
    chunked = consistency(text, chunk=4, above=10)
    assert whole.chunks == 1 and chunked.chunks > 3
    assert bool(whole.errors) == bool(chunked.errors) and bool(whole.warnings) == bool(chunked.warnings)
    assert (case == "valid") == (not whole.errors and not whole.warnings)
    strip = lambda msgs: {m.split(": ", 1)[1] if m.startswith("line ") else m for m in msgs}  # noqa: E731
    if case not in ("reaction ids clash across chunks", "parameter id clashes with a species"):
        assert strip(whole.errors) == strip(chunked.errors)
        assert strip(whole.warnings) <= strip(chunked.warnings) | strip(whole.warnings)
        assert strip(chunked.warnings) <= strip(whole.warnings)


def test_validation_reads_the_sbml_once_and_both_checks_see_it(rng, tmp_path, monkeypatch):
    """The loader's libsbml document serves the structure check, then the sbml
    check takes it apart (a read costs 7-15 s at 80,000 reactions): no check
    reads the text again, the report keeps the checks' order, and a broken
    kinetic law is still caught by both."""
    from crn2sbml.validate import validate

    net = make_network(rng, (3, 6, 4), 0.01, zero_frac=0.0)
    text = _breakages(to_sbml(compile_network(net)))["kinetic law without the compartment"]
    path = tmp_path / "m.xml"
    path.write_text(text)
    reads = []
    real = libsbml.readSBMLFromString
    monkeypatch.setattr(libsbml, "readSBMLFromString", lambda t: reads.append(1) or real(t))  # every module's
    report = validate(path, net, checks=("sbml", "structure"))
    assert [c.name for c in report.checks] == ["sbml", "structure"]
    assert not report["sbml"].passed
    assert not report["structure"].passed and "kinetic law" in report["structure"].reason
    assert len(reads) == 1  # the loader's own read, through the same libsbml module


def test_sampled_consistency_counts_what_it_checked(rng):
    """Above max_reactions a random sample of chunks is checked, and counted."""
    text = to_sbml(compile_network(make_network(rng, (3, 6, 4), 0.01, zero_frac=0.0)))
    full = consistency(text, chunk=4, above=10)
    sampled = consistency(text, chunk=4, above=10, max_reactions=8, rng=np.random.default_rng(0))
    assert full.checked == full.reactions > 8 and sampled.chunks == 2 and sampled.checked == 8
    assert sampled.reactions == full.reactions and not sampled.errors and not sampled.warnings


def test_chunked_consistency_survives_libsedml(rng):
    """tellurium loads libsedml, whose SWIG wrappers then take over some
    libsbml lists (getListOfAllElements looped forever in the full suite)."""
    import tellurium  # noqa: F401

    text = _breakages(to_sbml(compile_network(make_network(rng, (3, 6, 4), 0.01))))["parameter without units"]
    assert consistency(text, chunk=4, above=10).warnings


# --- roadrunner's compiled-model cache ---------------------------------------------
def test_cached_model_simulates_like_a_fresh_compile(rng, tmp_path):
    net = make_network(rng, (4, 6, 2), 0.01)
    x = rng.uniform(0, 1, 4)
    crn = compile_network(net, inputs=x)
    fresh = RoadRunnerSimulator(crn, cache=tmp_path)
    assert len(list(tmp_path.glob("*.rrstate"))) == 1
    # the inputs are set after loading: another input reuses the compiled model
    cached = RoadRunnerSimulator(compile_network(net, inputs=rng.uniform(0, 1, 4)), cache=tmp_path)
    assert len(list(tmp_path.glob("*.rrstate"))) == 1
    cached.set_inputs(x)
    a, b = fresh.time_course(3.0, 7), cached.time_course(3.0, 7)
    np.testing.assert_array_equal(a.values, b.values)
    for sim in (fresh, cached):
        for inputs in (x, rng.uniform(0, 1, 4)):
            sim.set_inputs(inputs)
            ss = find_steady_state(sim, net)
            out = [ss[s.id] for s in sim.crn.outputs]
            np.testing.assert_allclose(out, oracle_forward(net, inputs), rtol=1e-8)


def test_cache_never_serves_another_model(rng, tmp_path):
    net = make_network(rng, (3, 4, 1), 0.01)
    x = [0.2, 0.5, 0.9]
    RoadRunnerSimulator(compile_network(net, inputs=x), cache=tmp_path)
    w = net.layers[-1].weights * 1.5
    other = Network((net.layers[0], Layer(w, net.layers[-1].bias, 0.01)))
    sim = RoadRunnerSimulator(compile_network(other, inputs=x), cache=tmp_path)
    assert len(list(tmp_path.glob("*.rrstate"))) == 2
    ss = find_steady_state(sim, other)
    assert ss[sim.crn.outputs[0].id] == pytest.approx(oracle_forward(other, x)[0], rel=1e-8)


def test_damaged_cache_file_is_compiled_again(rng, tmp_path):
    net = make_network(rng, (3, 4, 1), 0.01)
    crn = compile_network(net, inputs=[0.1, 0.2, 0.3])
    RoadRunnerSimulator(crn, cache=tmp_path)
    (path,) = tmp_path.glob("*.rrstate")
    path.write_bytes(b"not a roadrunner state")
    ss = find_steady_state(RoadRunnerSimulator(crn, cache=tmp_path), net)
    assert ss[crn.outputs[0].id] == pytest.approx(oracle_forward(net, [0.1, 0.2, 0.3])[0], rel=1e-8)
    assert path.stat().st_size > 1000  # replaced by a real state


def test_cache_policy(rng, tmp_path, monkeypatch):
    crn = compile_network(make_network(rng, (3, 4, 1), 0.01))
    monkeypatch.setenv("CRN2SBML_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    RoadRunnerSimulator(crn)  # a small model: not worth caching by default
    RoadRunnerSimulator(crn, cache=False)
    assert not (tmp_path / "c").exists()
    RoadRunnerSimulator(crn, cache=True)
    assert len(list((tmp_path / "c").glob("*.rrstate"))) == 1
    monkeypatch.setenv("CRN2SBML_CACHE_DIR", "none")
    assert default_cache_dir() is None
    RoadRunnerSimulator(crn, cache=True)  # turned off: nothing written, still loads


# --- validation of models too large for roadrunner's JIT ------------------------------
def test_validation_without_roadrunner_uses_two_other_simulators(rng, tmp_path, monkeypatch):
    monkeypatch.setenv("CRN2SBML_CACHE_DIR", str(tmp_path))
    net = make_network(rng, (4, 6, 3), 0.01)
    path = tmp_path / "m.xml"
    write_sbml(compile_network(net), path)
    options = Options(roadrunner_max_reactions=10, copasi_max_reactions=10)
    report = validate(path, net, options=options)
    assert report.passed, report.summary()
    assert report["fixed_point"].figures["simulator"] == "batch"
    assert "roadrunner not run" in report["agreement"].reason
    assert set(report["agreement"].figures["simulators"]) == {"numpy", "batch"}
    assert report["convergence"].figures["rerun_simulator"] == "numpy backend"
    # a broken model is still caught without roadrunner: one weight off by 10 %
    doc = libsbml.readSBMLFromFile(str(path))
    p = doc.getModel().getParameter("w_L1_u0_i1")
    p.setValue(p.getValue() * 1.1)
    libsbml.writeSBMLToFile(doc, str(tmp_path / "bad.xml"))
    broken = validate(tmp_path / "bad.xml", net, options=options, checks=("fixed_point", "agreement"))
    assert not broken["fixed_point"].passed and not broken["agreement"].passed
    assert "forward pass" in broken["fixed_point"].reason


def test_cached_model_brings_roadrunner_back(rng, tmp_path, monkeypatch):
    monkeypatch.setenv("CRN2SBML_CACHE_DIR", str(tmp_path))
    net = make_network(rng, (3, 4, 2), 0.01)
    path = tmp_path / "m.xml"
    write_sbml(compile_network(net), path)
    options = Options(roadrunner_max_reactions=10)
    assert validate(path, net, options=options, checks=("fixed_point",))["fixed_point"].figures["simulator"] == "batch"
    RoadRunnerSimulator(compile_network(net), path.read_text(), cache=True)
    assert os.listdir(tmp_path) != ["m.xml"]
    report = validate(path, net, options=options, checks=("fixed_point",))
    assert report["fixed_point"].figures["simulator"] == "roadrunner"


# --- the command line on models big enough to cache -----------------------------------
def _cli(capsys, *args: object) -> tuple[int, str, str]:
    from crn2sbml.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_simulate_compiles_once_then_loads_from_the_cache(capsys, rng, tmp_path, monkeypatch):
    net = make_network(rng, (40, 48, 3), 0.01, zero_frac=0.0)  # over 2,000 reactions: cached by default
    path = tmp_path / "net.json"
    save_network(net, path)
    cache = tmp_path / "cache"
    monkeypatch.setenv("CRN2SBML_CACHE_DIR", str(cache))
    x = rng.uniform(0, 1, 40)
    text = lambda v: ",".join(str(float(a)) for a in v)  # noqa: E731
    args = ("simulate", path, "--input", text(x), "--points", "2", "--json")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # the notice is a progress spinner: terminals only
    code, out, err = _cli(capsys, *args, "--no-cache")
    assert code == 0 and re.search(r"roadrunner JIT, \d,\d{3} reactions", err) and not cache.exists(), err
    code, out, err = _cli(capsys, *args)
    assert code == 0 and "cached after" in err and len(list(cache.glob("*.rrstate"))) == 1
    code, out, err = _cli(capsys, "simulate", path, "--input", text(x[::-1]), "--points", "2", "--json")
    assert code == 0 and "from the cache" in err
    steady = json.loads(out)["steady_state"]
    np.testing.assert_allclose(list(steady.values()), oracle_forward(net, x[::-1]), rtol=1e-8)


def test_cli_validate_checks_and_roadrunner_limit(capsys, rng, tmp_path):
    net = make_network(rng, (3, 4, 2), 0.01)
    path = tmp_path / "net.json"
    save_network(net, path)
    code, out, err = _cli(capsys, "validate", path, "--checks", "sbml,fixed_point", "--roadrunner-max-reactions", "5",
                          "--quiet")
    assert code == 0 and "fixed_point" in out and "convergence" not in out and "batch; roadrunner not run" in out
    code, out, err = _cli(capsys, "validate", path, "--checks", "sbml,speling")
    assert code == 2 and "--checks" in err and "speling" in err and "Traceback" not in err
