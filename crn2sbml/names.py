"""Every id crn2sbml writes into a model, and the rules for the names users give.

User names (the network's inputs, outputs and name) are handled in two ways:

- **rejected** when the network is loaded (NetworkError naming the field, the
  clash and a legal alternative; the CLI exits 2): a name that is not an SBML
  id (``[A-Za-z_][A-Za-z0-9_]*``, at most MAX_NAME_LENGTH characters), a
  duplicate, or a name equal to another one up to letter case;
- **mapped** to a safe id while the name stays the element's SBML ``name``,
  the Antimony ``is "..."`` display name, and the address the CLI and the API
  take and report (``Network.inputs``, ``CRN.input_names``): a name reserved
  by SBML math, Antimony, or a peer tool (AMICI, Python-generating tools such
  as PySCeS), the model's unit ids and fixed ids (``cell``, ``kappa``, ...),
  an id of a generated family (hidden species ``h1_0``, rate constants
  ``w_L1_u0_i0``, reactions ``R_...``), or the rail of another unit (an output
  ``o_pos`` next to a dual-rail output ``o``). Inputs map to ``in_<name>``,
  outputs to ``out_<name>`` (then ``_2``, ``_3``, ... until free); a network
  name to ``<name>_model``. See ``assign_ids``.

Reserved words are compared without letter case: libsbml's formula parser
reads ``Time``, ``PI`` or ``NaN`` as its built-ins whatever their case.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from .errors import InputError, NetworkError

SID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # \Z: "$" would accept a trailing newline
MAX_NAME_LENGTH = 256

# --- ids every model has ------------------------------------------------------
COMPARTMENT = "cell"
SPEED = "kappa"  # global speed factor
READOUT_RATE = "k_readout"  # relaxation rate of readout species (readouts="species")
CONCENTRATION = "concentration"  # unit of readout parameters
# units the Antimony text declares (``unit time_unit = second``, ...)
ANTIMONY_UNIT_IDS = ("time_unit", "substance", "extent", "volume")
# placeholders of the streaming SBML writer (emit/sbml.py)
PARAMETERS_SLOT = "__crn2sbml_rate_parameters__"
REACTIONS_SLOT = "__crn2sbml_reactions__"
FIXED_IDS = frozenset((COMPARTMENT, SPEED, READOUT_RATE, CONCENTRATION, *ANTIMONY_UNIT_IDS, PARAMETERS_SLOT,
                       REACTIONS_SLOT))


def rate_unit_id(order: int) -> str:
    """The unit of a rate constant of a reaction of this order."""
    return f"rate_order{order}"


def hidden_species_id(layer: int, unit: int) -> str:
    return f"h{layer}_{unit}"


def rail_id(base: str, suffix: str) -> str:
    """A unit's species for one rail: the unit's id, suffixed for multi-rail units."""
    return f"{base}_{suffix}" if suffix else base


def unit_tag(layer: int, unit: int, suffix: str = "") -> str:
    return f"L{layer}_u{unit}" + (f"_{suffix}" if suffix else "")


def parameter_id(role: str, tag: str) -> str:
    """A self-term or bias rate constant (``eps_L1_u0``, ``b_L2_u1_pos``)."""
    return f"{role}_{tag}"


def weight_parameter_id(tag: str, source: int, source_suffix: str = "") -> str:
    return f"w_{tag}_i{source}" + (f"_{source_suffix}" if source_suffix else "")


def reaction_id(parameter: str) -> str:
    return f"R_{parameter}"


def readout_reaction_id(readout: str) -> str:
    return f"R_readout_{readout}"


def model_id_candidates(name: str) -> list[str]:
    return [name, f"{name}_model", f"model_{name}"] + [f"model_{name}_{k}" for k in range(2, 10_000)]


# Families of generated ids: hidden species (and their rails and readouts),
# rate constants <role>_L<l>_u<j>..., reactions R_..., rate units.
_GENERATED = re.compile(r"^(h\d+_\d+(_.*)?|[A-Za-z0-9]+_L\d+_u\d+(_.*)?|R_.*|rate_order\d+)\Z", re.DOTALL)

_RATE_CONSTANT = re.compile(r"[A-Za-z0-9]+_L\d+_u\d+(_[A-Za-z0-9_]*)?\Z")


def construction_ids(parameters: Iterable[str], reactions: Iterable[str]) -> list[str]:
    """The rate-constant ids among ``parameters`` that follow crn2sbml's
    construction: ``<role>_L<l>_u<j>...`` with a reaction ``R_<id>`` among
    ``reactions``. A model holding them is crn2sbml's, whatever its annotations say."""
    have = set(reactions)
    return [p for p in parameters if _RATE_CONSTANT.match(p) and reaction_id(p) in have]


# --- reserved words -----------------------------------------------------------
# Antimony 3.3 keywords and built-in functions/constants: each refused as a
# species or parameter name by antimony.loadAntimonyString (tests/test_names.py
# loads every one of them).
ANTIMONY_RESERVED = frozenset("""
model module end species const var ext in is at after function unit import delete has formula reaction
compartment event gene DNA operator substanceOnly area length
exp log ln log10 sqr sqrt pow power root abs floor ceil ceiling factorial min max piecewise delay rateOf
sin cos tan sec csc cot sinh cosh tanh sech csch coth arcsin arccos arctan arcsec arccsc arccot
arcsinh arccosh arctanh arcsech arccsch arccoth and or not xor implies eq neq gt lt geq leq
plus minus times divide quotient rem uniform normal gamma exponential poisson binomial lognormal chisquare
laplace cauchy rayleigh bernoulli truncatedNormal truncatedExponential truncatedGamma truncatedPoisson
time avogadro pi exponentiale true false inf infinity nan notanumber default_compartment
""".split())
# SBML Level 3 math: names libsbml's formula parser reads as built-ins (any
# letter case) or csymbols, e and lambda (Euler's number and a keyword to sympy-
# and Python-based tools), and the unit kinds of SBML.
SBML_RESERVED = frozenset("""
time avogadro pi exponentiale true false inf infinity nan notanumber e lambda
ampere avogadro becquerel candela celsius coulomb dimensionless farad gram gray henry hertz item joule
katal kelvin kilogram liter litre lumen lux meter metre mole newton ohm pascal radian second siemens
sievert steradian tesla volt watt weber
""".split())
# Peer tools: PySCeS and GillesPy2 write model ids into Python code.
TOOL_RESERVED = frozenset([*keyword.kwlist, "None", "AMICI_EMPTY_BOLUS", "NULL"])
# AMICI renames its reserved symbols to amici_<name> (importers/utils.py
# RESERVED_SYMBOLS, plus tcl from older releases) and computes the same model.
# Not mapped: mapping would rename the commonest names (x, y) in every other
# tool, where r["y"] works; add AMICI_RESERVED to _REASONS to map them too.
AMICI_RESERVED = frozenset(["x", "k", "p", "y", "w", "h", "t", "tcl", "AMICI_EMPTY_BOLUS", "NULL"])
RESERVED = frozenset(w.lower() for w in ANTIMONY_RESERVED | SBML_RESERVED | TOOL_RESERVED)  # compared in lower case
_REASONS = (
    (frozenset(w.lower() for w in ANTIMONY_RESERVED), "an Antimony keyword or built-in"),
    (frozenset(w.lower() for w in SBML_RESERVED), "a built-in name of SBML math or an SBML unit"),
    (frozenset(w.lower() for w in TOOL_RESERVED), "a name reserved by AMICI or Python-generating SBML tools"),
    (frozenset(w.lower() for w in FIXED_IDS), "an id every crn2sbml model uses (compartment, speed factor, units)"),
)


def reserved_reason(name: str) -> str:
    """Why ``name`` cannot be used verbatim as an id ('' when it can)."""
    low = name.lower()
    for words, reason in _REASONS:
        if low in words:
            return reason
    if _GENERATED.match(name):
        return "of the form of an id crn2sbml generates (hidden species, rate constants, reactions, units)"
    return ""


# Antimony 3.3 rewrites these distribution names inside any id (an input
# 'in_truncatedNormal' becomes 'in_normal' in the SBML it converts to), so no
# id may contain them; compared in lower case.
ANTIMONY_MANGLED = ("truncatedExponential", "truncatedNormal", "truncatedGamma", "truncatedPoisson")
_MANGLED = re.compile("|".join(ANTIMONY_MANGLED), re.IGNORECASE)


# --- user names ---------------------------------------------------------------
def suggestion(name: object, taken: Sequence[str] = ()) -> str:
    """A legal name close to ``name`` (for error messages)."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", str(name))[:MAX_NAME_LENGTH - 4] or "name"
    text = _MANGLED.sub(lambda m: m.group(0)[:9] + "_" + m.group(0)[9:], text)
    if not re.match(r"[A-Za-z_]", text):
        text = "n" + text
    out, k = text, 2
    lowered = {t.lower() for t in taken}
    while out.lower() in lowered:
        out, k = f"{text}_{k}", k + 1
    return out


def check_name(name: object, where: str) -> str:
    """``name`` if it can name an input, output or network, else a NetworkError
    naming ``where`` and a legal alternative. Reserved words pass: they are mapped."""
    if not isinstance(name, str):
        raise NetworkError(f"{where} is {name!r}; a name is a string such as 'x1'")
    if len(name) > MAX_NAME_LENGTH:
        raise NetworkError(f"{where} is {len(name)} characters long; names have at most {MAX_NAME_LENGTH} "
                           f"(e.g. '{suggestion(name)[:20]}')")
    if not SID.match(name):
        raise NetworkError(
            f"{where} is {name!r}; names must start with a letter or '_' and contain only ASCII letters, digits "
            f"and '_' (they become SBML ids); e.g. '{suggestion(name)}'"
        )
    found = _MANGLED.search(name)
    if found:
        raise NetworkError(f"{where} is {name!r}; it contains '{found.group(0)}', which Antimony rewrites inside any "
                           f"id (a distribution function); e.g. '{suggestion(name)}'")
    return name


def check_distinct(fields: Sequence[tuple[str, Sequence[str]]]) -> None:
    """No name twice, not even up to letter case (``X`` and ``x`` are one name
    to case-insensitive tools and readers), across inputs and outputs."""
    seen: dict[str, tuple[str, str]] = {}
    every = [n for _, names in fields for n in names]
    for label, names in fields:
        for k, nm in enumerate(names):
            key = nm.lower()
            if key in seen:
                where, other = seen[key]
                how = "is already used by" if other == nm else f"differs only in letter case from '{other}',"
                raise NetworkError(f"{label}[{k}] '{nm}' {how} {where}; names must be unique "
                                   f"(e.g. '{suggestion(nm, every)}')")
            seen[key] = (f"{label}[{k}]", nm)


@dataclass(frozen=True)
class Ids:
    """The ids a network's named units get in its model: ``inputs[i]`` and
    ``outputs[j]`` are the base ids of the units (rails append their suffix),
    ``model`` the model's id."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    model: str

    def mapped(self, inputs: Sequence[str], outputs: Sequence[str]) -> dict[str, str]:
        """user name -> id for the names that did not keep their own."""
        return {n: i for n, i in zip((*inputs, *outputs), (*self.inputs, *self.outputs)) if n != i}


def assign_ids(inputs: Sequence[str], outputs: Sequence[str], name: str,
               input_suffixes: Sequence[Sequence[str]], output_suffixes: Sequence[Sequence[str]]) -> Ids:
    """The safe ids of a network's inputs, outputs and model. ``*_suffixes``:
    each unit's rail suffixes ('' for a single rail). A name keeps its id
    unless ``reserved_reason`` names it or it equals a rail of another unit;
    then it becomes ``in_<name>`` / ``out_<name>`` (``_2``, ... until free)."""
    names = [*inputs, *outputs]
    suffixes = [*input_suffixes, *output_suffixes]
    rails_of = [{rail_id(n, s) for s in suf} - {n} for n, suf in zip(names, suffixes)]
    other_rails: set[str] = set().union(*rails_of) if rails_of else set()
    keep = [not reserved_reason(n) and n not in other_rails and not any(map(reserved_reason, rails))
            for n, rails in zip(names, rails_of)]
    taken = {n.lower() for n in names}  # no id equals any user name up to case
    for n, k, rails in zip(names, keep, rails_of):
        if k:
            taken |= {r.lower() for r in rails}
    ids = []
    for i, (n, k, suf) in enumerate(zip(names, keep, suffixes)):
        if k:
            ids.append(n)
            continue
        base = f"{'in' if i < len(inputs) else 'out'}_{n}"
        candidate, count = base, 2
        while (candidate.lower() in taken or reserved_reason(candidate)
               or any(rail_id(candidate, s).lower() in taken or reserved_reason(rail_id(candidate, s)) for s in suf)):
            candidate, count = f"{base}_{count}", count + 1
        taken |= {candidate.lower(), *(rail_id(candidate, s).lower() for s in suf)}
        ids.append(candidate)
    model = next(c for c in model_id_candidates(name) if not reserved_reason(c) and c.lower() not in taken)
    return Ids(tuple(ids[: len(inputs)]), tuple(ids[len(inputs):]), model)


def named_values(named: Mapping[str, float], names: Sequence[str], ids: Sequence[str],
                 base: Sequence[float]) -> np.ndarray:
    """``base`` with the inputs in ``named`` set: each addressed by its name as
    the network gives it, or by its id in the model."""
    x = np.array(base, dtype=float)
    index = {n: i for i, n in enumerate(ids)}
    index.update({n: i for i, n in enumerate(names)})
    for name, value in named.items():
        if name not in index:
            raise InputError(f"no input named '{name}'; the inputs: {', '.join(names)}")
        x[index[name]] = value
    return x
