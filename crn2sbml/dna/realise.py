"""Realising the formal rate constants with concentrations.

peppercorn fixes every DNA-level rate constant (one toehold length, one
branch length). What is left to choose is the concentrations: one formal
concentration unit is ``c0`` nM of a signal, one formal time unit is
``seconds`` s. A module's effective rate constant follows from its
enumerated reactions by the quasi-steady state of its intermediates
(signals, fuels and buffers held, signals dilute): ``effective_rate``.

Each module has two knobs. Its gates and fuel strands sit at a level L_i,
at most the cap (``fuel`` times the largest signal); every gate binds two
strands at least (schemes/base.py), and a strand its bindings displace that
no other module binds is the module's own buffer, at P_i (where the scheme
gives it one: ``DnaSystem.private``). Shared buffers sit
at ``fuel`` times the cap, so a gate's first step holds at most 1/fuel of a
reactant, or at 1 mM where that is less (at least MIN_BUFFER_EXCESS times
the cap): what the gates hold is made up for where it matters (inputs, the
unit signal: ``totals``), and every firing takes a gate, so more gates
hold the answer longer. The time unit is the fastest at which every module reaches its
formal k_i (restated in nM and s) with its gates at the cap and its own
buffers at their floor (``_floor``: none at all where their reverse steps
hand back fuel signals only, else the shared level); a faster module is
then slowed by raising P_i (up to 1 mM), its gates staying at the cap, so
that a steady flux does not spend them; only past 1 mM (or, without own
buffers, at once) is L_i lowered. What the gates hold of a formal
species is read through crnverifier's interpretation (``holding``): an
input (or the unit signal), which no reaction changes, is supplied at its
value times one plus that share, so that its free strands stand at the
value (``totals``).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import InputError, UnsupportedError
from ..crn import CRN
from .system import DnaSystem

MAX_CONCENTRATION = 1e6  # nM (1 mM): no design asks a test tube for more of one strand
MIN_BUFFER_EXCESS = 10.0  # buffers are at least this many times the gates (see check_fuel)
SIGNAL_PROBE = 1e-6  # signals at this fraction of the floor when a module's rate is measured
LEVEL_SLACK = 1e-3  # the quasi-steady solve's noise (about 1e-7) is no reason to refuse a level at the cap


@dataclass(frozen=True)
class ModuleRate:
    module: int
    reaction: str
    order: int
    formal: float  # k_i in formal units
    target: float  # k_i in nM and s
    level: float  # nM: the module's gates and fuel strands
    achieved: float  # effective_rate at that level
    private: float  # nM: the module's own buffer strands


@dataclass
class Realisation:
    c0: float  # nM per formal concentration unit
    seconds: float  # s per formal time unit
    fuel: float
    cap: float  # nM: the most of any gate or fuel strand
    buffer: float  # nM: every buffer strand
    initial: dict[str, float]  # nM, every signal, fuel and buffer
    rates: list[ModuleRate]
    totals: dict[str, float] = field(default_factory=dict)  # input -> strands supplied per free strand

    @property
    def largest(self) -> float:
        return max(self.initial.values())


def _held(system: DnaSystem, module: int, level: float, buffer: float, signal: float,
          private: float) -> dict[str, float]:
    """What the quasi-steady state holds fixed: every signal and buffer, and the module's fuels."""
    own = set(system.private.get(module, ()))
    out = {}
    for r in system.module_reactions(module):
        for x in r.reactants:
            role = system.roles.get(x)
            if role == "signal":
                out[x] = signal
            elif role == "buffer":
                out[x] = private if x in own else buffer
    out.update({name: level for name in system.module_fuels(module)})
    return out


def _quasi_steady(system: DnaSystem, module: int, level: float, buffer: float, signal: float,
                  private: float) -> tuple[dict[str, float], dict[str, float]]:
    """The held species and every species' level at the quasi-steady state
    of the module's intermediates (linear in them: signals dilute)."""
    held = _held(system, module, level, buffer, signal, private)
    reactions = system.module_reactions(module)
    free = sorted({x for r in reactions for x in r.reactants if x not in held})
    index = {x: k for k, x in enumerate(free)}
    a = np.zeros((len(free), len(free)))
    b = np.zeros(len(free))
    for r in reactions:
        c = r.rate * math.prod(held[x] for x in r.reactants if x in held)
        loose = [x for x in r.reactants if x not in held]
        if len(loose) > 1:
            continue  # two intermediates meeting: second order in the dilute signals
        if not loose:
            for p in r.products:
                if p in index:
                    b[index[p]] += c
            continue
        j = index[loose[0]]
        a[j, j] -= c
        for p in r.products:
            if p in index:
                a[index[p], j] += c
    level_of = dict(held)
    if free:
        x = np.linalg.lstsq(a, -b, rcond=None)[0]
        level_of.update({name: max(float(v), 0.0) for name, v in zip(free, x)})
    return held, level_of


def effective_rate(system: DnaSystem, module: int, level: float, buffer: float, signal: float,
                   private: float | None = None) -> float:
    """The module's formal rate constant at the DNA level (1/s, 1/(nM s) or
    nM/s by order): the rate of its formal reaction at the quasi-steady state
    of its intermediates, divided by the signals' mass-action term.
    ``private``: its own buffers' level (default: the shared ``buffer``)."""
    m = system.modules[module]
    _, level_of = _quasi_steady(system, module, level, buffer, signal, buffer if private is None else private)
    # the formal reaction's net change of one species it changes
    net = {s: m.products.count(s) - m.reactants.count(s) for s in set(m.reactants) | set(m.products)}
    species, nu = max(net.items(), key=lambda kv: (abs(kv[1]), kv[0]))
    rate = 0.0
    for r in system.module_reactions(module):
        change = r.products.count(species) - r.reactants.count(species)
        if change:
            rate += change * r.rate * math.prod(level_of.get(x, 0.0) for x in r.reactants)
    return rate / nu / signal ** len(m.reactants)


def holding(system: DnaSystem, rates: list[ModuleRate], buffer: float, probe: float) -> dict[str, float]:
    """Per formal species, the strands the modules' intermediates hold per
    free strand (dilute signals), each intermediate read as the formal
    species crnverifier's interpretation gives it."""
    share: Counter[str] = Counter()
    for m in rates:
        held, level_of = _quasi_steady(system, m.module, m.level, buffer, probe, m.private)
        stands_for = system.verdicts[m.module].interpretation
        for name, value in level_of.items():
            if name not in held:
                for formal, n in Counter(stands_for.get(name, [])).items():
                    share[formal] += n * value / probe
    return dict(share)


def _largest(crn: CRN, c0: float) -> float:
    """nM: the largest signal (at least one formal unit), what the fuel excess multiplies."""
    return c0 * max(max((s.initial for s in crn.species), default=1.0), 1.0)


def check_fuel(fuel: float, crn: CRN, c0: float) -> tuple[float, float]:
    """The cap on gates and fuel strands and the buffer level (nM), or the
    error that names the fix."""
    if not (math.isfinite(fuel) and fuel > 1):
        raise InputError(f"--fuel {fuel:g}: the fuel excess over the signals must be a number above 1; e.g. --fuel 30")
    largest = _largest(crn, c0)
    cap = fuel * largest  # the most of any gate or fuel strand
    if not MIN_BUFFER_EXCESS * cap <= MAX_CONCENTRATION:
        raise InputError(f"--fuel {fuel:g}: gates at {cap:.3g} nM need buffer strands at {MIN_BUFFER_EXCESS:g} times "
                         f"that, above {MAX_CONCENTRATION:.0e} nM; lower --fuel (at most "
                         f"{MAX_CONCENTRATION / (MIN_BUFFER_EXCESS * largest):.4g}) or --concentration-unit")
    # buffers hold at most 1/fuel of a reactant in a gate's first step, and 1/MIN_BUFFER_EXCESS once at 1 mM
    return cap, min(fuel * cap, MAX_CONCENTRATION)


def default_fuel(fuel: float, crn: CRN, c0: float) -> float:
    """A scheme's default fuel excess, lowered (never raised) to the most at
    which buffers MIN_BUFFER_EXCESS times the gates fit in MAX_CONCENTRATION:
    a default never refuses a network whose signals are large."""
    most = MAX_CONCENTRATION / (MIN_BUFFER_EXCESS * _largest(crn, c0))
    return min(fuel, most * (1 - 1e-12))  # below it, whatever the rounding


def realise(system: DnaSystem, *, c0: float, fuel: float | None = None,
            seconds: float | None = None) -> Realisation:
    """Concentrations (and, unless given, the time unit) that realise every
    formal rate constant; ``fuel``: default the scheme's (``default_fuel``). See the module docstring."""
    crn = system.crn
    fuel = default_fuel(system.scheme.fuel, crn, c0) if fuel is None else fuel
    cap, buffer = check_fuel(fuel, crn, c0)
    params = crn.parameter_index
    probe = SIGNAL_PROBE * cap
    orders = [len(m.reactants) for m in system.modules]
    formal = [params[r.rate].value for r in crn.reactions]
    floors = [_floor(system, i, buffer) for i in range(len(system.modules))]
    at_cap = [effective_rate(system, i, cap, buffer, probe, floors[i]) for i in range(len(system.modules))]
    for i, v in enumerate(at_cap):
        if not v > 0:
            raise UnsupportedError(f"module {system.modules[i].reaction}: its DNA-level reactions never complete "
                                   f"the formal reaction (effective rate {v:g}); the scheme does not fit it")
    restated = [formal[i] * c0 ** (1 - orders[i]) for i in range(len(formal))]  # k_i in nM and formal time
    if seconds is None:
        # the fastest time unit at which no module needs more than the cap (rates grow with the level)
        seconds = max(restated[i] / at_cap[i] for i in range(len(formal)))
    rates, initial = [], {}
    for i, m in enumerate(system.modules):
        goal = restated[i] / seconds
        level, private = _solve(system, i, goal, cap, buffer, probe, at_cap[i], floors[i])
        if level > cap * (1 + LEVEL_SLACK):
            raise InputError(
                f"module {m.reaction}: realising k = {formal[i]:g} in a time unit of {seconds:g} s needs its gates "
                f"at {level:.3g} nM, above {cap:.3g} nM (--fuel times the largest signal); choose a longer --time-unit")
        level = min(level, cap)
        rates.append(ModuleRate(i, m.reaction, orders[i], formal[i], goal, level,
                                effective_rate(system, i, level, buffer, probe, private), private))
        for name in system.module_fuels(i):
            initial[name] = level
    own = {name: r.private for r in rates for name in system.private.get(r.module, ())}
    for name, role in system.roles.items():
        if role == "buffer":
            initial[name] = own.get(name, buffer)
    totals = _totals(system, rates, buffer, probe)
    values = system.formal_start()
    for name, role in system.roles.items():
        if role == "signal":
            initial[name] = c0 * values[name] * totals.get(name, 1.0)
    return Realisation(c0, seconds, fuel, cap, buffer, initial, rates, totals)


def _totals(system: DnaSystem, rates: list[ModuleRate], buffer: float, probe: float) -> dict[str, float]:
    """Strands supplied per free strand of each input and of the unit signal
    (catalysts only, so nothing else restores them): what the gates hold of
    them is made up for."""
    share = holding(system, rates, buffer, probe)
    return {s: 1.0 + share.get(s, 0.0) for s in system.catalysts if s in system.roles}


def _bisect(below: Callable[[float], bool], lo: float, hi: float) -> float:
    """The boundary in log space where ``below`` turns false (true at lo, false at hi)."""
    for _ in range(60):
        mid = (lo + hi) / 2
        if below(mid):
            lo = mid
        else:
            hi = mid
    return math.exp(hi)


def _floor(system: DnaSystem, i: int, buffer: float) -> float:
    """The least the module's own buffers may be supplied at: nothing, when
    their reverse steps give back fuel signals only (the formal signals are
    then held by shared buffers, if at all); else the shared level, which
    keeps what a gate's first step holds of a signal at 1/fuel."""
    own = set(system.private.get(i, ()))
    for r in system.module_reactions(i):
        if own.intersection(r.reactants) and any(system.roles.get(p) == "signal" for p in r.products):
            return buffer
    return 0.0


def _solve(system: DnaSystem, i: int, goal: float, cap: float, buffer: float, probe: float,
           at_cap: float, floor: float) -> tuple[float, float]:
    """The module's gate level and own-buffer level that give it the rate
    ``goal``: own buffers raised from ``floor`` first (gates kept at the
    cap), the level lowered only once they are at MAX_CONCENTRATION."""
    if goal <= 0:
        return 0.0, floor
    if goal >= at_cap or not system.private.get(i):
        return _solve_level(system, i, goal, cap, buffer, probe, at_cap, floor), floor
    slowest = effective_rate(system, i, cap, buffer, probe, MAX_CONCENTRATION)
    if slowest <= goal:  # the rate falls as the module's own buffers grow
        lo = floor or probe  # from nothing: a bisection in log space starts just above it
        if effective_rate(system, i, cap, buffer, probe, lo) <= goal:
            return cap, floor
        return cap, _bisect(lambda u: effective_rate(system, i, cap, buffer, probe, math.exp(u)) > goal,
                            math.log(lo), math.log(MAX_CONCENTRATION))
    return _solve_level(system, i, goal, cap, buffer, probe, slowest, MAX_CONCENTRATION), MAX_CONCENTRATION


def _solve_level(system: DnaSystem, i: int, goal: float, cap: float, buffer: float, probe: float,
                 at_cap: float, private: float) -> float:
    """The gate level at which the module's effective rate is ``goal``: below
    the cap by bisection in log space (the rate grows with the level)."""
    if goal >= at_cap:
        return cap * goal / at_cap
    return _bisect(lambda u: effective_rate(system, i, math.exp(u), buffer, probe, private) < goal,
                   math.log(cap) - 60.0, math.log(cap))


__all__ = ["check_fuel", "default_fuel", "holding", "LEVEL_SLACK", "MAX_CONCENTRATION", "MIN_BUFFER_EXCESS",
           "ModuleRate", "Realisation", "effective_rate", "realise"]
