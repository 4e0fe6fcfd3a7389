"""Sequences for a DNA system's domains, and a thermodynamic check of the
strands they make.

    seqs = design_sequences(design.system, seed=0)       # domain -> 5'->3' sequence
    check = check_design(design.system, seqs)            # ViennaRNA, DNA parameters, 25 C
    strands_csv(design.system, design.realisation,
                sequences=strand_sequences(design.system, seqs), checks=check.texts)

Design (seqwalk 0.3, "sequence symmetry minimisation"): the domains are cut from one self-avoiding walk
on the de Bruijn graph of k-mers, so no k-mer occurs twice in the whole
library (nor, with ``rc_free``, as the reverse complement of another), and k
is the smallest that gives enough sequences. The top-strand domains use the
three-letter code A/C/T: a strand of top-strand domains has no G, so it has
no G-C pairs to fold on itself and no G-tracts to form G-quadruplexes (its
complement strands, A/G/T, have no C and likewise fold little). Both
packages come with ``pip install 'crn2sbml[dna]'``.

Check (ViennaRNA, Mathews 2004 DNA parameters, 25 C): each distinct strand's
own MFE (unwanted secondary structure), and the most negative binding free
energy ``dG(a&b) - dG(a) - dG(b)`` of cofolding it with any other strand it is
not meant to bind. Two strands are meant to bind when one carries a domain
``d`` and the other ``d*``."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from itertools import combinations
from types import ModuleType
from typing import Iterable

from ..errors import InputError, MissingDependencyError
from .system import DnaSystem

ALPHABET = "ACT"  # top-strand domains: no G, see the module docstring
PREVENTED = ("AAAA", "CCCC", "GGGG", "TTTT")  # homopolymer runs: synthesis errors, slippage
MAX_K = 9  # the largest k tried: 3^9 k-mers walk in ~0.1 s; beyond, orthogonality is weak anyway
TEMPERATURE = 25.0  # C
_COMPLEMENT = str.maketrans("ACGTacgt", "TGCAtgca")
_INSTALL = "pip install 'crn2sbml[dna]'"


def _seqwalk() -> ModuleType:
    try:
        from seqwalk import design
    except ImportError:
        # seqwalk 0.3.3 declares numpy<2 but runs on numpy 2: installed without its pins
        raise MissingDependencyError(f"DNA sequence design needs seqwalk: pip install --no-deps 'seqwalk>=0.3.3' "
                                     f"(with {_INSTALL} for the rest)") from None
    return design


def _rna() -> ModuleType:
    try:
        import RNA
    except ImportError:
        raise MissingDependencyError(f"the strand check needs ViennaRNA (import RNA): {_INSTALL}") from None
    return RNA


def reverse_complement(seq: str) -> str:
    """The sequence that pairs with ``seq``, 5'->3'."""
    return seq.translate(_COMPLEMENT)[::-1]


def system_domains(system: DnaSystem) -> list[str]:
    """Every domain of every complex of every module, without ``*``, sorted
    (the order the seeded assignment runs in, so it does not depend on module order)."""
    return sorted(set().union(*(c.domains for m in system.modules for c in m.complexes)))


def system_strands(system: DnaSystem) -> dict[tuple[str, ...], str]:
    """Every distinct strand -> its name (S1, S2, ...), numbered exactly as
    ``emit.strands_csv`` numbers its rows, so a check's partner names match the table."""
    roles: dict[tuple[str, ...], str] = {}
    for m in system.modules:
        for c in m.complexes:
            for strand in c.strands:
                roles.setdefault(strand, system.roles.get(c.name, c.role))
    order = sorted(roles.items(), key=lambda kv: (kv[1], kv[0]))
    return {strand: f"S{n + 1}" for n, (strand, _) in enumerate(order)}


@dataclass(frozen=True)
class DomainDesign:
    """The designed domains and how: ``k`` is the k-mer length no two
    domains share (seqwalk's SSM k), ``library`` how many sequences seqwalk
    offered at ``length`` nt (the longest domain; shorter domains are
    prefixes of library sequences no other domain uses)."""

    sequences: dict[str, str]
    k: int
    alphabet: str
    rc_free: bool
    length: int
    library: int
    seed: int


def design_domains(system: DnaSystem, seed: int = 0, *, alphabet: str = ALPHABET, rc_free: bool = True,
                   max_k: int = MAX_K) -> DomainDesign:
    """One sequence per domain, mutually orthogonal at the smallest k seqwalk
    allows for the number of domains; ``seed`` picks which library sequences
    go to which domain (seqwalk's walk itself is deterministic)."""
    sw = _seqwalk()
    domains = system_domains(system)
    if not domains:
        raise InputError("the DNA system has no domains to design sequences for")
    lengths = {d: system.scheme.length(d) for d in domains}
    longest, shortest = max(lengths.values()), min(lengths.values())
    if shortest < 2:
        raise InputError(f"domain lengths must be at least 2 nt; the scheme gives {shortest}")
    need = len(domains)
    # One library at the longest length, so that every domain (toeholds
    # included) comes from the same walk and no k-mer is shared across lengths.
    library: list[str] = []
    k = 2
    for k in range(2, min(max_k, longest - 1) + 1):
        library = list(sw.max_size(longest, k, alphabet=alphabet, RCfree=rc_free,
                                   prevented_patterns=list(PREVENTED), verbose=False))
        if len(library) >= need:
            break
    else:
        raise InputError(
            f"seqwalk gives only {len(library)} orthogonal {longest}-nt sequences over {alphabet!r} "
            f"(k up to {k}{', reverse-complement free' if rc_free else ''}); the system has {need} domains: "
            f"use a larger alphabet (alphabet='ACGT'), longer domains, a larger max_k, or rc_free=False")
    chosen = random.Random(seed).sample(library, need)
    sequences = {d: s[:lengths[d]] for d, s in zip(domains, chosen)}
    return DomainDesign(sequences, k, alphabet, rc_free, longest, len(library), seed)


def design_sequences(system: DnaSystem, seed: int = 0) -> dict[str, str]:
    """Domain (no ``*``) -> sequence, 5'->3', of the scheme's length; see ``design_domains``."""
    return design_domains(system, seed).sequences


def strand_sequence(strand: Iterable[str], domains: dict[str, str]) -> str:
    """A strand's sequence 5'->3': its domains in order, ``d*`` as the reverse complement of ``d``."""
    parts = []
    for d in strand:
        name = d.rstrip("*")
        if name not in domains:
            raise InputError(f"domain {name!r} has no sequence; design_sequences gives one per domain of the system")
        parts.append(reverse_complement(domains[name]) if d.endswith("*") else domains[name])
    return "".join(parts)


def strand_sequences(system: DnaSystem, domains: dict[str, str]) -> dict[str, str]:
    """Every distinct strand, keyed as ``emit.strands_csv`` takes it ("h_y t f_y"), -> its sequence."""
    return {" ".join(s): strand_sequence(s, domains) for s in system_strands(system)}


def meant_to_bind(a: Iterable[str], b: Iterable[str]) -> bool:
    """True when one strand carries a domain and the other its complement."""
    a, b = set(a), set(b)
    return any((d[:-1] if d.endswith("*") else d + "*") in b for d in a)


@dataclass
class StrandCheck:
    """Per strand (keyed "h_y t f_y"): ``self_mfe`` its own MFE (kcal/mol),
    ``worst`` its most negative unintended binding energy and the partner's
    key (None when no pair of it was checked), ``texts`` the check column of
    the strands table. ``pairs_checked`` of ``pairs_unintended`` (sampled when more than max_pairs)."""

    self_mfe: dict[str, float]
    worst: dict[str, tuple[float, str] | None]
    texts: dict[str, str]
    pairs_checked: int
    pairs_unintended: int
    pairs_intended: int
    seconds: float
    names: dict[str, str] = field(default_factory=dict)

    @property
    def sampled(self) -> bool:
        return self.pairs_checked < self.pairs_unintended

    @property
    def summary(self) -> dict:
        """The worst values over all strands, and how many pairs were checked."""
        return check_summary(self)


def _binding(RNA: ModuleType, md, a: str, b: str, ga: float, gb: float) -> float:
    """dG(a&b) - dG(a) - dG(b): what cofolding gains over each strand folded alone (<= 0)."""
    _, e = RNA.fold_compound(f"{a}&{b}", md).mfe_dimer()
    return min(0.0, e - ga - gb)


def check_design(system: DnaSystem, domains: dict[str, str], max_pairs: int = 20000,
                 temperature: float = TEMPERATURE, seed: int = 0) -> StrandCheck:
    """Fold every distinct strand alone and cofold the pairs not meant to bind
    (all of them, or ``max_pairs`` sampled with ``seed`` when there are more),
    with ViennaRNA's DNA parameters; see the module docstring."""
    RNA = _rna()
    t0 = time.perf_counter()
    names = {" ".join(s): n for s, n in system_strands(system).items()}
    strands = {" ".join(s): s for s in system_strands(system)}
    keys = list(strands)
    seqs = {key: strand_sequence(strands[key], domains) for key in keys}
    unintended, intended = [], 0
    for a, b in combinations(keys, 2):
        if meant_to_bind(strands[a], strands[b]):
            intended += 1
        else:
            unintended.append((a, b))
    checked = unintended if len(unintended) <= max_pairs else random.Random(seed).sample(unintended, max_pairs)
    # The parameter set is global in ViennaRNA: load DNA for this check, then
    # put back its default (RNA, Turner 2004) so other users of RNA are unaffected.
    RNA.params_load_DNA_Mathews2004()
    try:
        md = RNA.md()
        md.temperature = temperature
        self_mfe = {key: float(RNA.fold_compound(seqs[key], md).mfe()[1]) for key in keys}
        worst: dict[str, tuple[float, str] | None] = {key: None for key in keys}
        for a, b in checked:
            e = _binding(RNA, md, seqs[a], seqs[b], self_mfe[a], self_mfe[b])
            for x, y in ((a, b), (b, a)):
                if worst[x] is None or e < worst[x][0]:
                    worst[x] = (e, y)
    finally:
        RNA.params_load_RNA_Turner2004()
    note = f"; {len(checked)} of {len(unintended)} unintended pairs sampled" if len(checked) < len(unintended) else ""
    texts = {}
    for key in keys:
        w = worst[key]
        other = f"{w[0]:.1f} kcal/mol with {names[w[1]]} ({w[1]})" if w else "none checked"
        texts[key] = f"self {self_mfe[key]:.1f} kcal/mol; worst unintended {other}{note}"
    return StrandCheck(self_mfe, worst, texts, len(checked), len(unintended), intended,
                       time.perf_counter() - t0, names)


def check_strands(system: DnaSystem, domains: dict[str, str], max_pairs: int = 20000) -> dict[str, str]:
    """The check column of the strands table: per strand, its own MFE and its
    worst unintended pairing (``emit.strands_csv(..., checks=...)``)."""
    return check_design(system, domains, max_pairs).texts


def check_summary(check: StrandCheck) -> dict:
    """The worst self MFE and the worst unintended pairing over all strands
    (kcal/mol, with the strands), and how many pairs were checked."""
    self_key = min(check.self_mfe, key=check.self_mfe.get)
    pairs = [(w[0], key, w[1]) for key, w in check.worst.items() if w is not None]
    worst = min(pairs) if pairs else None
    return {
        "strands": len(check.self_mfe),
        "worst_self_mfe": check.self_mfe[self_key],
        "worst_self_strand": self_key,
        "worst_unintended": worst[0] if worst else None,
        "worst_unintended_pair": (worst[1], worst[2]) if worst else None,
        "pairs_checked": check.pairs_checked,
        "pairs_unintended": check.pairs_unintended,
        "pairs_intended": check.pairs_intended,
        "sampled": check.sampled,
        "seconds": check.seconds,
    }


__all__ = ["ALPHABET", "DomainDesign", "StrandCheck", "check_design", "check_strands", "check_summary",
           "design_domains", "design_sequences", "meant_to_bind", "reverse_complement", "strand_sequence",
           "strand_sequences", "system_domains", "system_strands"]
