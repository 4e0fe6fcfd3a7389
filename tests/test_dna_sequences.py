"""Domain sequences for a DNA system (seqwalk) and the check of its strands
(ViennaRNA). The oracles are the test's own: a hand-written reverse
complement and k-mer scan, hand-concatenated strands, the strands table's
own length column, and duplex energies computed here with RNA directly."""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter

import pytest
import RNA  # noqa: F401  (the test extra has viennarna and seqwalk: a missing one fails, never skips)
import seqwalk  # noqa: F401

from crn2sbml import compile_network, load_network
from crn2sbml.dna import dna_design
from crn2sbml.dna.emit import strands_csv
from crn2sbml.dna.sequences import (check_design, check_strands, check_summary, design_domains, design_sequences,
                                    meant_to_bind, strand_sequence, strand_sequences, system_domains,
                                    system_strands)
from crn2sbml.errors import InputError, MissingDependencyError

PAIR = {"A": "T", "T": "A", "C": "G", "G": "C"}


def rc(seq: str) -> str:
    return "".join(PAIR[b] for b in reversed(seq))


def binding(a: str, b: str) -> float:
    """Cofold minus both strands folded alone, DNA parameters at 25 C (computed here, not by the module)."""
    RNA.params_load_DNA_Mathews2004()
    try:
        md = RNA.md()
        md.temperature = 25.0
        dimer = RNA.fold_compound(a + "&" + b, md).mfe_dimer()[1]
        return dimer - RNA.fold_compound(a, md).mfe()[1] - RNA.fold_compound(b, md).mfe()[1]
    finally:
        RNA.params_load_RNA_Turner2004()


@pytest.fixture(scope="module")
def design():
    return dna_design(compile_network(load_network("models/xor.json"), inputs=[1, 0]), "lakin2012", jobs=2)


@pytest.fixture(scope="module")
def system(design):
    return design.system


@pytest.fixture(scope="module")
def domains(system):
    return design_domains(system, seed=0)


@pytest.fixture(scope="module")
def check(system, domains):
    return check_design(system, domains.sequences)


def all_domains(system) -> set[str]:
    return {d.rstrip("*") for m in system.modules for c in m.complexes for s in c.strands for d in s}


def test_every_domain_has_a_distinct_sequence_of_its_length_over_the_alphabet(system, domains):
    seqs = domains.sequences
    assert set(seqs) == all_domains(system) and "t" in seqs
    assert domains.alphabet == "ACT"
    for d, s in seqs.items():
        assert len(s) == system.scheme.length(d) == (6 if d.startswith("t") else 15), d
        assert set(s) <= set("ACT"), (d, s)
    assert len(set(seqs.values())) == len(seqs)


def test_a_complement_is_the_reverse_complement(domains):
    for d, s in domains.sequences.items():
        assert strand_sequence((f"{d}*",), domains.sequences) == rc(s)
        assert strand_sequence((d, f"{d}*"), domains.sequences) == s + rc(s)


def test_no_two_domains_share_a_kmer_nor_its_reverse_complement(system, domains):
    from crn2sbml.dna.sequences import PREVENTED, _seqwalk, system_domains

    k = domains.k
    assert 2 <= k <= 7 and domains.rc_free
    # the smallest k: seqwalk's library one shorter holds fewer sequences than the system has domains
    smaller = _seqwalk().max_size(15, k - 1, alphabet="ACT", RCfree=True, prevented_patterns=list(PREVENTED),
                                  verbose=False)
    assert len(list(smaller)) < len(system_domains(system))
    owner: dict[str, str] = {}
    for d, s in domains.sequences.items():
        for i in range(len(s) - k + 1):
            w = s[i:i + k]
            assert w not in owner, f"{w} in {d} and {owner[w]}"
            owner[w] = d
    # rc_free: no k-mer is the reverse complement of another one (or of itself)
    clash = {w: owner[rc(w)] for w in owner if rc(w) in owner}
    assert not clash, clash
    # and the guarantee is not vacuous: at k - 1 letters the library does repeat
    shorter = Counter(s[i:i + k - 1] for s in domains.sequences.values() for i in range(len(s) - k + 2))
    assert max(shorter.values()) > 1


def test_strand_sequence_is_the_hand_concatenation(system, domains):
    seqs = domains.sequences
    assert strand_sequence(("h_y", "t", "f_y"), seqs) == seqs["h_y"] + seqs["t"] + seqs["f_y"]
    bottom = ("t*", "f_x1*", "t*")
    assert strand_sequence(bottom, seqs) == rc(seqs["t"]) + rc(seqs["f_x1"]) + rc(seqs["t"])
    with pytest.raises(InputError, match="nosuch"):
        strand_sequence(("nosuch",), seqs)


def test_the_strands_table_takes_the_sequences_and_checks(design, system, domains, check):
    text = strands_csv(system, design.realisation, sequences=strand_sequences(system, domains.sequences),
                       checks=check.texts)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(system_strands(system)) == len(check.texts)
    for row in rows:
        assert len(row["sequence"]) == int(row["length_nt"]), row
        assert row["check"].startswith("self ") and "worst unintended" in row["check"]
        # partner names are the table's own strand names
        if " with S" in row["check"]:
            name, doms = row["check"].split(" with ")[1].split(" ", 1)
            partner = next(r for r in rows if r["strand"] == name)
            assert doms.split(";")[0] == f"({partner['domains']})"


def test_meant_to_bind_is_a_complementary_domain_pair():
    assert meant_to_bind(("h_y", "t", "f_y"), ("t*", "f_y*", "t*"))
    assert not meant_to_bind(("h_y", "t", "f_y"), ("f_y", "t"))
    assert not meant_to_bind(("t*", "a*"), ("t*", "b*"))


def test_every_unintended_pair_is_checked_and_the_summary_is_the_worst(system, check):
    strands = list(system_strands(system))
    pairs = [(a, b) for i, a in enumerate(strands) for b in strands[i + 1:]]
    unintended = sum(not any(d.rstrip("*") + ("" if d.endswith("*") else "*") in b for d in a) for a, b in pairs)
    s = check_summary(check)
    assert s == check.summary
    assert s["pairs_checked"] == s["pairs_unintended"] == unintended and not s["sampled"]
    assert s["pairs_intended"] + unintended == len(pairs)
    assert s["worst_unintended"] == min(w[0] for w in check.worst.values() if w)
    assert s["worst_self_mfe"] == min(check.self_mfe.values())
    # the reported worst pair is unintended and its energy is what RNA gives here
    a, b = s["worst_unintended_pair"]
    assert not meant_to_bind(a.split(), b.split())


def test_reported_energies_match_rna_directly(system, domains, check):
    seqs = domains.sequences
    a, b = check.summary["worst_unintended_pair"]
    e = binding(strand_sequence(a.split(), seqs), strand_sequence(b.split(), seqs))
    assert e == pytest.approx(check.summary["worst_unintended"], abs=0.01)


def test_an_intended_duplex_is_far_more_stable_than_any_unintended_pairing(system, domains, check):
    seqs = domains.sequences
    worst = check.summary["worst_unintended"]
    assert -15 < worst < 0  # a few weak A-T contacts at most
    signal = strand_sequence(("h_x1", "t", "f_x1"), seqs)
    # its full complement, and the gate bottom strand of the system that carries t* f_x1*
    full = binding(signal, rc(signal))
    bottom = next(s for s in system_strands(system) if "f_x1*" in s and "t*" in s)
    gate = binding(signal, strand_sequence(bottom, seqs))
    assert full < gate < worst - 10, (full, gate, worst)


def test_a_bad_design_reports_a_worse_unintended_pairing(system, domains, check):
    """Two domains given the same sequence: f_x2 the sequence of f_x1*. The
    strands ``f_x1 t`` and ``f_x2 t`` are not meant to bind (no d / d* pair by
    name) yet now pair over 15 nt. (Copying f_x1's own sequence onto f_x2
    cannot show: top strands are A/C/T only, so two of them never pair G-C.)"""
    bad = dict(domains.sequences)
    bad["f_x2"] = rc(bad["f_x1"])
    worse = check_design(system, bad)
    assert worse.summary["worst_unintended"] < check.summary["worst_unintended"] - 5
    w, partner = worse.worst["f_x1 t"]
    assert w < check.summary["worst_unintended"] - 5
    assert "f_x2" in partner


def test_design_is_deterministic_for_a_seed(system, domains):
    assert design_sequences(system, seed=0) == domains.sequences == design_domains(system, 0).sequences
    other = design_sequences(system, seed=1)
    assert other != domains.sequences and set(other) == set(domains.sequences)


def test_sampling_is_deterministic_and_said(system, domains, check):
    a = check_design(system, domains.sequences, max_pairs=40)
    b = check_strands(system, domains.sequences, max_pairs=40)
    assert a.texts == b and a.pairs_checked == 40 and a.sampled
    assert all(f"40 of {check.pairs_unintended} unintended pairs sampled" in t for t in b.values())
    # a sample can only miss pairs: nothing worse than the full check
    assert a.summary["worst_unintended"] >= check.summary["worst_unintended"]


def test_too_few_orthogonal_sequences_is_an_input_error(system):
    need = len(system_domains(system))
    with pytest.raises(InputError, match=rf"only \d+ orthogonal 15-nt .* has {need} domains: use a larger alphabet"):
        design_domains(system, max_k=4)


def test_missing_libraries_name_the_extra(system, domains, monkeypatch):
    monkeypatch.setitem(sys.modules, "seqwalk", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'crn2sbml\[dna\]'"):
        design_sequences(system)
    monkeypatch.setitem(sys.modules, "RNA", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'crn2sbml\[dna\]'"):
        check_strands(system, domains.sequences)
