"""Realising the formal rate constants with concentrations.

peppercorn fixes every DNA-level rate constant (one toehold length, one
branch length). What is left to choose is the concentrations: one formal
concentration unit is ``c0`` nM of a signal, one formal time unit is
``seconds`` s, and each module's gates and fuel strands sit at one level
L_i. A module's effective rate constant follows from its enumerated
reactions by the quasi-steady state of its intermediates (signals, fuels and
buffers held, signals dilute): ``effective_rate``. L_i is solved so that it
equals the formal k_i restated in nM and s. No level exceeds the cap,
``fuel`` times the largest signal, and the time unit is the fastest for
which that holds; buffers (shared per species) sit at ``fuel`` times the
cap, so a gate's first step holds at most 1/fuel of a reactant. The
trade-off is the scheme's: with one toehold length, a bimolecular module is
at most q/fuel fast, so the time unit grows with the fuel while the error
from held reactants and spent gates shrinks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, UnsupportedError
from ..crn import CRN
from .system import DnaSystem

DEFAULT_FUEL = 30.0  # fuel excess over the largest signal (--fuel)
MAX_CONCENTRATION = 1e6  # nM (1 mM): no design asks a test tube for more of one strand
SIGNAL_PROBE = 1e-6  # signals at this fraction of the floor when a module's rate is measured


@dataclass(frozen=True)
class ModuleRate:
    module: int
    reaction: str
    order: int
    formal: float  # k_i in formal units
    target: float  # k_i in nM and s
    level: float  # nM: the module's gates and fuel strands
    achieved: float  # effective_rate at that level


@dataclass
class Realisation:
    c0: float  # nM per formal concentration unit
    seconds: float  # s per formal time unit
    fuel: float
    cap: float  # nM: the most of any gate or fuel strand
    buffer: float  # nM: every buffer strand
    initial: dict[str, float]  # nM, every signal, fuel and buffer
    rates: list[ModuleRate]

    @property
    def largest(self) -> float:
        return max(self.initial.values())


def _held(system: DnaSystem, module: int, level: float, buffer: float, signal: float) -> dict[str, float]:
    """What the quasi-steady state holds fixed: every signal and buffer, and the module's fuels."""
    out = {x: signal if system.roles.get(x) == "signal" else buffer
           for r in system.module_reactions(module) for x in r.reactants
           if system.roles.get(x) in ("signal", "buffer")}
    out.update({name: level for name in system.module_fuels(module)})
    return out


def effective_rate(system: DnaSystem, module: int, level: float, buffer: float, signal: float) -> float:
    """The module's formal rate constant at the DNA level (1/s, 1/(nM s) or
    nM/s by order): the rate of its formal reaction at the quasi-steady state
    of its intermediates, divided by the signals' mass-action term."""
    m = system.modules[module]
    held = _held(system, module, level, buffer, signal)
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
        try:
            x = np.linalg.lstsq(a, -b, rcond=None)[0]
        except np.linalg.LinAlgError:  # pragma: no cover - lstsq does not raise on singular systems
            x = np.zeros(len(free))
        level_of.update({name: max(float(v), 0.0) for name, v in zip(free, x)})
    # the formal reaction's net change of one species it changes
    net = {s: m.products.count(s) - m.reactants.count(s) for s in set(m.reactants) | set(m.products)}
    species, nu = max(net.items(), key=lambda kv: (abs(kv[1]), kv[0]))
    rate = 0.0
    for r in reactions:
        change = r.products.count(species) - r.reactants.count(species)
        if change:
            rate += change * r.rate * math.prod(level_of.get(x, 0.0) for x in r.reactants)
    return rate / nu / signal ** len(m.reactants)


def check_fuel(fuel: float, crn: CRN, c0: float) -> tuple[float, float]:
    """The cap on gates and fuel strands and the buffer level (nM), or the
    error that names the fix."""
    if not (math.isfinite(fuel) and fuel > 1):
        raise InputError(f"--fuel {fuel:g}: the fuel excess over the signals must be a number above 1; e.g. --fuel 30")
    largest = c0 * max(max((s.initial for s in crn.species), default=1.0), 1.0)
    cap = fuel * largest  # the most of any gate or fuel strand
    buffer = fuel * cap  # buffers hold at most 1/fuel of a reactant in a gate's first step
    if not buffer <= MAX_CONCENTRATION:
        raise InputError(f"--fuel {fuel:g}: buffer strands would need {buffer:.3g} nM, above {MAX_CONCENTRATION:.0e} "
                         f"nM; lower --fuel or --concentration-unit")
    return cap, buffer


def realise(system: DnaSystem, *, c0: float, fuel: float = DEFAULT_FUEL, seconds: float | None = None) -> Realisation:
    """Concentrations (and, unless given, the time unit) that realise every
    formal rate constant; see the module docstring."""
    crn = system.crn
    cap, buffer = check_fuel(fuel, crn, c0)
    params = crn.parameter_index
    probe = SIGNAL_PROBE * cap
    orders = [len(m.reactants) for m in system.modules]
    formal = [params[r.rate].value for r in crn.reactions]
    at_cap = [effective_rate(system, i, cap, buffer, probe) for i in range(len(system.modules))]
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
        level = _solve_level(system, i, goal, cap, buffer, probe, at_cap[i])
        if level > cap * (1 + 1e-6):
            raise InputError(
                f"module {m.reaction}: realising k = {formal[i]:g} in a time unit of {seconds:g} s needs its gates "
                f"at {level:.3g} nM, above {cap:.3g} nM (--fuel times the largest signal); choose a longer --time-unit")
        rates.append(ModuleRate(i, m.reaction, orders[i], formal[i], goal, level,
                                effective_rate(system, i, level, buffer, probe)))
        for name in system.module_fuels(i):
            initial[name] = level
    for name, role in system.roles.items():
        if role == "buffer":
            initial[name] = buffer
    values = {s.id: s.initial for s in crn.species}
    for name, role in system.roles.items():
        if role == "signal":
            initial[name] = c0 * values[name]
    return Realisation(c0, seconds, fuel, cap, buffer, initial, rates)


def _solve_level(system: DnaSystem, i: int, goal: float, cap: float, buffer: float, probe: float,
                 at_cap: float) -> float:
    """The level at which the module's effective rate is ``goal``: bisection
    in log space below the cap (the rate grows with the level)."""
    if goal <= 0:
        return 0.0
    if goal >= at_cap:
        return cap * goal / at_cap
    lo, hi = math.log(cap) - 60.0, math.log(cap)
    for _ in range(60):
        mid = (lo + hi) / 2
        if effective_rate(system, i, math.exp(mid), buffer, probe) < goal:
            lo = mid
        else:
            hi = mid
    return math.exp(hi)


__all__ = ["DEFAULT_FUEL", "check_fuel", "MAX_CONCENTRATION", "ModuleRate", "Realisation", "effective_rate", "realise"]
