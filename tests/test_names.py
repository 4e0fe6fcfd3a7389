"""Names, ids and numbers (crn2sbml.names, network.py's limits): every name a
user gives is either refused at load time with a one-line error naming the
field, the clash and a legal alternative, or mapped to a safe id while it stays
the SBML name and the CLI/API address; every number written reads back; sizes
and degrees are refused before anything is allocated for them.

Accepted-but-mapped names are checked against independent oracles: libsbml
reads the SBML with 0 errors, Antimony loads the .ant, roadrunner's steady
state of the written file equals ``Network.forward``, and the model reads back
as the same network."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import antimony
import libsbml
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crn2sbml.network as network_module
from crn2sbml import Layer, Network, compile_network, load_model, network_from_crn, network_from_dict, write_model
from crn2sbml.errors import InputError, NetworkError
from crn2sbml.names import ANTIMONY_MANGLED, ANTIMONY_RESERVED, RESERVED, SBML_RESERVED, TOOL_RESERVED, reserved_reason
from crn2sbml.network import (LARGEST_NUMBER, MAX_LAYER_WIDTH, MAX_LAYERS, MAX_POLYNOMIAL_DEGREE, SMALLEST_NUMBER,
                              load_network)
from crn2sbml.readback import read_sbml
from crn2sbml.simulate import find_steady_state, get_simulator

ROOT = Path(__file__).resolve().parents[1]


def small(inputs=("a", "b"), outputs=("y0",), last="smoothed_relu", name="net") -> dict:
    """A 2-2-n network file in the JSON format."""
    return {
        "name": name, "epsilon": 0.01, "inputs": list(inputs), "outputs": list(outputs),
        "layers": [
            {"weights": [[1.0, -0.5], [0.25, 0.75]], "bias": [0.1, -0.2]},
            {"weights": [[0.8, -0.6]] * len(outputs), "bias": [0.05] * len(outputs), "activation": last},
        ],
    }


def sbml_errors(path: Path) -> list[str]:
    doc = libsbml.readSBMLFromFile(str(path))
    doc.checkConsistency()
    return [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
            if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]


def antimony_error(path: Path) -> str:
    antimony.clearPreviousLoads()
    return "" if antimony.loadAntimonyFile(str(path)) >= 0 else antimony.getLastError()


def written(net: Network, tmp: Path, **options) -> dict[str, Path]:
    crn = compile_network(net, **options)
    return write_model(crn, tmp)


def check_files(net: Network, paths: dict[str, Path]) -> None:
    """libsbml 0 errors, Antimony loads, the SBML reads back as ``net`` under the user's names."""
    assert sbml_errors(paths["sbml"]) == []
    assert antimony_error(paths["antimony"]) == ""
    back = read_sbml(str(paths["sbml"]))
    assert back.input_names == net.inputs and back.output_names == net.outputs
    assert network_from_crn(back) == net


def check_steady_state(net: Network, tmp: Path, x) -> None:
    """roadrunner on the written file, inputs set by the user's names, equals the forward pass."""
    paths = written(net, tmp, start="bound")
    loaded = load_model(paths["sbml"])
    crn = loaded.crn.with_inputs(loaded.crn.input_vector(dict(zip(net.inputs, x))))
    with get_simulator("roadrunner", crn, sbml=loaded.sbml, cache=False) as sim:
        ss = find_steady_state(sim, net)
    assert ss.outputs == net.outputs
    np.testing.assert_allclose(ss.output_values, net.forward(x), rtol=1e-7, atol=1e-12)


def read_doc(path: Path) -> libsbml.SBMLDocument:
    """The document (keep it referenced while its model is used: libsbml frees the model with it)."""
    return libsbml.readSBMLFromFile(str(path))


def ids_of(path: Path) -> list[str]:
    doc = read_doc(path)
    model = doc.getModel()
    return [e.getId() for lst in (model.getListOfSpecies(), model.getListOfParameters(), model.getListOfReactions(),
                                  model.getListOfCompartments()) for e in lst]


# --- reserved words -------------------------------------------------------------------
@pytest.mark.parametrize("word", sorted(ANTIMONY_RESERVED))
def test_antimony_reserved_list_is_what_antimony_refuses(word):
    """Each word on the list really is refused by Antimony as a species name."""
    antimony.clearPreviousLoads()
    text = f"model m()\n  species {word} in c = 1;\n  c = 1;\n  R1: {word} => ; k*{word};\n  k = 1;\nend\n"
    assert antimony.loadAntimonyString(text) < 0


def test_antimony_keyword_as_input_name_is_mapped_and_computes_the_network(tmp_path):
    net = network_from_dict(small(inputs=("species", "time"), outputs=("model",)))
    assert net.inputs == ("species", "time")  # the user's names stay the address
    assert net.ids.inputs == ("in_species", "in_time") and net.ids.outputs == ("out_model",)
    paths = written(net, tmp_path)
    check_files(net, paths)
    doc = read_doc(paths["sbml"])
    species = {s.getId(): s.getName() for s in doc.getModel().getListOfSpecies()}
    assert species["in_species"] == "species" and species["out_model"] == "model"  # the SBML name is the user's
    assert 'in_time is "time";' in paths["antimony"].read_text()
    check_steady_state(net, tmp_path / "ss", [0.7, 0.2])


def test_every_reserved_word_as_an_input_name_gives_a_model_every_tool_loads(tmp_path):
    """One network whose inputs are all reserved words (one spelling per word)."""
    words = sorted({w.lower(): w for w in ANTIMONY_RESERVED | SBML_RESERVED | TOOL_RESERVED
                    if w not in ANTIMONY_MANGLED}.values())
    rng = np.random.default_rng(0)
    net = Network((Layer(rng.normal(size=(2, len(words))), [0.1, 0.2], 0.01), Layer([[1.0, -1.0]], [0.3], 0.01)),
                  inputs=tuple(words), outputs=("out",), name="reserved")
    assert all(i != w for i, w in zip(net.ids.inputs, words))  # every one mapped
    check_files(net, written(net, tmp_path))


@pytest.mark.parametrize("name", ["truncatedNormal", "in_truncatedGamma", "xTruncatedPoisson2"])
def test_name_antimony_rewrites_inside_ids_is_refused(name):
    """Antimony 3.3 turns any id containing truncatedNormal (...) into one without 'truncated'."""
    with pytest.raises(NetworkError, match=r"inputs\[0\] .*Antimony rewrites inside any id.*e\.g\. '\w*[tT]runcated_"):
        network_from_dict(small(inputs=(name, "b")))


def test_case_variants_of_sbml_constants_are_mapped(tmp_path):
    """libsbml's formula parser reads PI, Time, NaN as built-ins in any case: a
    kinetic law naming such a species would silently use the constant."""
    net = network_from_dict(small(inputs=("PI", "Time"), outputs=("NaN",)))
    assert all(reserved_reason(n) for n in ("PI", "Time", "NaN", "INF", "ExponentialE"))
    assert net.ids.inputs == ("in_PI", "in_Time")
    paths = written(net, tmp_path)
    check_files(net, paths)
    check_steady_state(net, tmp_path / "ss", [0.3, 0.9])


def test_amici_reserved_names_keep_their_ids_and_its_markers_are_mapped(tmp_path):
    """AMICI renames x, y, ... to amici_<name> and computes the same model:
    those keep their ids (r["y"] works in every other tool); AMICI's own
    markers (NULL, AMICI_EMPTY_BOLUS) are mapped."""
    net = network_from_dict(small(inputs=("x", "NULL"), outputs=("y",)))
    assert net.ids.inputs == ("x", "in_NULL") and net.ids.outputs == ("y",)
    check_files(net, written(net, tmp_path))


# --- clashes with generated ids ------------------------------------------------------
def test_output_named_like_a_rail_is_mapped_and_ids_stay_unique(tmp_path):
    # identity outputs have two rails o_pos / o_neg; an output named o_pos would be one of them
    net = network_from_dict(small(outputs=("o", "o_pos"), last="identity"))
    assert net.ids.outputs == ("o", "out_o_pos")
    paths = written(net, tmp_path)
    ids = ids_of(paths["sbml"])
    assert len(ids) == len(set(ids)) and {"o_pos", "o_neg", "out_o_pos_pos"} <= set(ids)
    check_files(net, paths)
    check_steady_state(net, tmp_path / "ss", [0.4, 0.6])


def test_input_named_like_a_hidden_species_or_parameter_is_mapped(tmp_path):
    net = network_from_dict(small(inputs=("h1_0", "w_L1_u0_i0"), outputs=("R_out",)))
    assert net.ids.inputs == ("in_h1_0", "in_w_L1_u0_i0") and net.ids.outputs == ("out_R_out",)
    paths = written(net, tmp_path)
    ids = ids_of(paths["sbml"])
    assert len(ids) == len(set(ids))
    check_files(net, paths)


def test_name_used_both_as_species_and_readout_is_mapped(tmp_path):
    """A dual-rail hidden unit h1_0 has a readout named h1_0: an input of that
    name made Antimony refuse the file ("cannot be determined simultaneously")."""
    data = small(inputs=("h1_0", "b"))
    data["layers"][0]["activation"] = "identity"
    net = network_from_dict(data)
    paths = written(net, tmp_path)
    assert "h1_0" in ids_of(paths["sbml"]) and net.ids.inputs[0] == "in_h1_0"
    check_files(net, paths)


@pytest.mark.parametrize("name", ["substance", "concentration", "second", "time_unit", "volume", "cell", "kappa",
                                  "k_readout", "rate_order1", "extent", "litre"])
def test_unit_id_clash_is_mapped(tmp_path, name):
    """Names equal to a unit id (or another fixed id) the model declares."""
    net = network_from_dict(small(inputs=(name, "b"), outputs=("o",), last="identity"))
    assert net.ids.inputs[0] == f"in_{name}"
    check_files(net, written(net, tmp_path, readouts="species"))


def test_mapped_id_avoids_other_user_names(tmp_path):
    net = network_from_dict(small(inputs=("time", "in_time")))
    assert net.ids.inputs == ("in_time_2", "in_time")
    check_files(net, written(net, tmp_path))


@pytest.mark.parametrize("name, want", [("xor", "xor_model"), ("a", "a_model"), ("h1_0", "model_h1_0")])
def test_network_name_clashing_with_an_id_gets_another_model_id(tmp_path, name, want):
    net = network_from_dict(small(name=name))
    crn = compile_network(net)
    assert crn.model_id == want
    paths = write_model(crn, tmp_path)
    doc = read_doc(paths["sbml"])
    assert doc.getModel().getId() == want
    check_files(net, paths)


# --- refused names -------------------------------------------------------------------
@pytest.mark.parametrize("bad, fragment", [("2b", "'n2b'"), ("a b", "'a_b'"), ("é", "e.g."), ("", "e.g."),
                                           ("x" * 300, "at most 256")])
def test_name_that_is_not_an_sbml_id_is_refused_with_an_alternative(bad, fragment):
    with pytest.raises(NetworkError) as info:
        network_from_dict(small(inputs=("a", bad)))
    msg = str(info.value)
    assert "inputs[1]" in msg and fragment in msg and "\n" not in msg


def test_names_differing_only_in_case_are_refused():
    with pytest.raises(NetworkError, match=r"outputs\[0\] 'A' differs only in letter case from 'a'.*e\.g\. 'A_2'"):
        network_from_dict(small(inputs=("a", "b"), outputs=("A",)))
    with pytest.raises(NetworkError, match=r"inputs\[1\] 'a' is already used by inputs\[0\]"):
        network_from_dict(small(inputs=("a", "a")))


def test_bad_name_through_the_cli_is_one_line_exit_2(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(small(inputs=("a", "two words"))))
    done = subprocess.run([sys.executable, "-m", "crn2sbml", "compile", str(path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "inputs[1]" in done.stderr and "'two_words'" in done.stderr
    assert not (tmp_path / "o").exists()


def test_cli_simulate_addresses_a_mapped_input_by_its_name(tmp_path):
    net = network_from_dict(small(inputs=("time", "b"), outputs=("y",)))
    src = tmp_path / "net.json"
    src.write_text(net.to_json())
    run = [sys.executable, "-m", "crn2sbml"]
    done = subprocess.run([*run, "compile", str(src), "--out", str(tmp_path / "m")], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*run, "simulate", str(tmp_path / "m" / "net.xml"), "--input", "time=0.8,b=0.1", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["inputs"] == {"time": 0.8, "b": 0.1}
    assert report["steady_state"]["y"] == pytest.approx(float(net.forward([0.8, 0.1])[0]), rel=1e-7)
    assert "y" in report["time_course"]  # the output's series under its name, not its id out_y
    done = subprocess.run([*run, "simulate", str(tmp_path / "m" / "net.xml"), "--input", "tim=1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 2 and "no input named 'tim'" in done.stderr and "Traceback" not in done.stderr


# --- numbers -------------------------------------------------------------------------
@pytest.mark.parametrize("value", [5e-324, 1e-310, 2.2250738585072014e-308, 1.7976931348623157e308, -1.797693134862315e308])
def test_number_at_double_range_edge_is_refused_naming_the_field(value):
    data = small()
    data["layers"][1]["weights"][0][1] = value
    with pytest.raises(NetworkError, match=r"layers\[1\]\.weights\[0\]\[1\] is .*magnitude in"):
        network_from_dict(data)


@pytest.mark.parametrize("value", [SMALLEST_NUMBER, LARGEST_NUMBER, 1e308, -SMALLEST_NUMBER])
def test_number_at_double_range_edge_that_reads_back_is_written_exactly(tmp_path, value):
    net = Network((Layer([[value]], [0.5], 0.01, "identity"),), inputs=("a",), outputs=("o",))
    crn = compile_network(net, start="zero")  # the start bound of a 1.8e308 weight overflows (refused by name)
    paths = write_model(crn, tmp_path)
    assert sbml_errors(paths["sbml"]) == [] and antimony_error(paths["antimony"]) == ""
    doc = read_doc(paths["sbml"])
    par = doc.getModel().getParameter("w_L1_u0_pos_i0")
    assert par.getValue() == float(f"{abs(value):.15g}")  # libsbml's 15 digits, read back as written
    assert network_from_crn(read_sbml(str(paths["sbml"]))) == net  # the annotation keeps the exact double


def test_negative_zero_is_zero_in_every_file(tmp_path):
    data = small()
    data["layers"][0]["weights"][0][0] = -0.0
    data["layers"][0]["bias"][1] = -0.0
    net = network_from_dict(data)
    for arr in (net.layers[0].weights, net.layers[0].bias):
        assert not np.signbit(arr[arr == 0]).any()
    paths = written(net, tmp_path)
    assert "-0" not in paths["antimony"].read_text().replace("e-0", "")
    check_files(net, paths)


@pytest.mark.parametrize("value, fragment", [(10**400, "too large for a double"),
                                             (2**64 + 1, "no double holds exactly")])
def test_huge_integer_is_refused_naming_the_field(tmp_path, value, fragment):
    path = tmp_path / "net.json"
    text = json.dumps(small()).replace('"bias": [0.1, -0.2]', f'"bias": [0.1, {value}]', 1)
    path.write_text(text)
    with pytest.raises(NetworkError, match=rf"layers\[0\]\.bias\[1\] is .*{fragment}"):
        load_network(path)
    data = small()
    data["layers"][1]["activation"] = {"name": "leaky_relu", "negative_slope": 10**400}
    with pytest.raises(NetworkError, match=r"layers\[1\]\.activation\.negative_slope .*too large"):
        network_from_dict(data)


def test_rate_constant_overflowing_with_the_speed_factor_names_the_weight():
    net = Network((Layer([[1e300]], [0.0], 0.01),), inputs=("a",), outputs=("o",))
    compile_network(net)  # on its own it fits
    with pytest.raises(NetworkError, match=r"layers\[0\]\.weights\[0\]\[0\].*speed factor"):
        compile_network(net, speed=1e10)


def test_start_bound_overflowing_names_the_layer():
    # z reaches 3e308 over the input box: past the double range (1e300 weights now fit: sigma_eps no longer squares z)
    net = Network((Layer([[1.5e308, 1.5e308]], [0.0], 0.01),), inputs=("a", "b"), outputs=("o",))
    compile_network(net, start="zero")  # the rates fit
    with pytest.raises(NetworkError, match=r"layer 1 unit 0 .*layers\[0\]"):
        compile_network(net, start="bound")


def test_input_value_that_cannot_be_written_is_an_input_error(tmp_path):
    net = network_from_dict(small(inputs=("time", "b")))
    crn = compile_network(net, inputs=[1e-320, 0.0])  # the IR holds it (the numpy backend computes with it)
    with pytest.raises(InputError, match=r"input 'time': the initial value of species in_time is 1e-320"):
        write_model(crn, tmp_path / "out")
    assert not list((tmp_path / "out").glob("*"))  # nothing half-written


# --- limits --------------------------------------------------------------------------
def test_absurd_polynomial_degree_is_refused_before_allocation():
    data = small()
    data["layers"][1]["activation"] = {"name": "polynomial", "q": {"1000000000000": -1.0}}
    with pytest.raises(NetworkError, match=rf"layers\[1\]\.activation\.q .*at most {MAX_POLYNOMIAL_DEGREE}"):
        network_from_dict(data)
    with pytest.raises(NetworkError, match=f"at most {MAX_POLYNOMIAL_DEGREE}"):
        Layer([[1.0]], [0.0], 0.01, "polynomial", {"q": {10**12: -1.0}})
    data["layers"][1]["activation"]["q"] = {"9" * 5000: -1.0}  # int() of it would be slow
    with pytest.raises(NetworkError, match=f"at most {MAX_POLYNOMIAL_DEGREE}"):
        network_from_dict(data)


def test_huge_layer_is_refused_before_numpy_allocates(monkeypatch):
    data = small()
    data["layers"][0]["weights"] = [[0.0]] * (MAX_LAYER_WIDTH + 1)  # one shared row: the list is cheap
    with pytest.raises(NetworkError, match=rf"layers\[0\]\.weights has {MAX_LAYER_WIDTH + 1:,} rows .*at most"):
        network_from_dict(data)
    calls = []
    monkeypatch.setattr(network_module.np, "array", lambda *a, **k: calls.append(a) or np.asarray(*a, **k))
    data["layers"] = [small()["layers"][0]] * (MAX_LAYERS + 1)
    with pytest.raises(NetworkError, match=f"at most {MAX_LAYERS:,} layers"):
        network_from_dict(data)
    assert calls == []  # refused before a single matrix was built


def test_network_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(small()))
    monkeypatch.setattr(network_module, "MAX_NETWORK_FILE_BYTES", 10)
    with pytest.raises(NetworkError, match="at most 10 bytes"):
        load_network(path)


# --- property: generated names through compile -> write -> read back -----------------
_ascii_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
_rail_like = st.builds(lambda base, s: f"{base}_{s}", st.sampled_from(["a", "o", "b", "h1_0", "time"]),
                       st.sampled_from(["pos", "neg", "lo", "hi"]))
_names = st.one_of(_ascii_names, st.sampled_from(sorted(RESERVED | {"PI", "Time", "h1_0", "R_x", "in_a"})), _rail_like,
                   st.text(min_size=0, max_size=6))  # unicode and punctuation: refused


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_names, min_size=3, max_size=3), dual=st.booleans())
def test_generated_names_are_refused_or_round_trip(tmp_path_factory, names, dual):
    data = small(inputs=names[:2], outputs=names[2:], last="identity" if dual else "smoothed_relu")
    if dual:
        data["input_ranges"] = [[None, None], [0, 1]]  # a dual-rail input: its rails are ids too
    try:
        net = network_from_dict(copy.deepcopy(data))
    except NetworkError as exc:
        msg = str(exc)
        assert "\n" not in msg and ("inputs[" in msg or "outputs[" in msg) and "e.g." in msg
        return
    tmp = tmp_path_factory.mktemp("names")
    paths = written(net, tmp, start="bound")
    ids = ids_of(paths["sbml"])
    assert len(ids) == len(set(ids))
    assert not {i.lower() for i in ids} & {w.lower() for w in ANTIMONY_RESERVED | SBML_RESERVED | TOOL_RESERVED}
    check_files(net, paths)
    crn = load_model(paths["sbml"]).crn
    x = [0.3, 0.6]
    np.testing.assert_array_equal(crn.input_vector(dict(zip(net.inputs, x)), [0, 0]), x)
