"""A batch integrator for many (input, initial state, rate constants) at once.

The CRN's Jacobian is block lower-triangular over layers and diagonal inside
each layer, so a backward-Euler step needs no linear solve: solve layer after
layer (the previous layer is already at the new time), each neuron by a scalar
Newton iteration, i.e. elementwise division. Every batch member has its own
step size: a member whose Newton iteration fails retries with a smaller step,
the others go on. Built from the IR alone, like the numpy backend, but shares
no code with it (a third, independent integrator).

``BatchSimulator`` adds the fast steady-state path: with the previous layer
settled, each species' rate is a scalar polynomial f(y) = sum_p C_p y^p whose
coefficients come from the reactions (rate constants times catalyst
concentrations); its positive root is taken in closed form on quadratic rails
(bracketed Newton on others), layer by layer, and every member is checked
against the mass-action rates from the CRN's reactions (``_residual``), built
apart from the folded coefficients. When every layer is a quadratic rail this
runs as BLAS products and compiled loops on cache-sized chunks (``_dense``).
Error-controlled time courses: ``_sdirk``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Sequence

import numpy as np
import scipy.sparse as sp

from ..crn import CRN
from ..errors import InputError, NetworkError, SimulationError
from ._dense import DensePlan, plan as dense_plan
from ._residual import MassAction
from .base import Capability, Parameters, SimulatorBase, TimeCourse, check_time

if TYPE_CHECKING:
    from ._sdirk import BatchTimeCourses

DIVERGED = 1e12  # a concentration beyond this is taken as unbounded growth


@dataclass(frozen=True)
class _LayerBlock:
    """The reactions that change one layer's neurons. A reactant slot holds
    either one of these neurons ("own": it changes during the layer's Newton
    iteration) or a catalyst from an earlier layer / the constant 1 (fixed
    during it, so its product is taken once per solve)."""

    species: np.ndarray  # state columns of the layer's neurons
    reactions: np.ndarray  # reaction indices that change them
    idx: np.ndarray  # (R_l, slots) columns of the full state
    pow: np.ndarray  # (R_l, slots)
    own: np.ndarray  # (R_l, slots) local neuron index held by the slot, -1 for a catalyst slot
    stoich_t: sp.csr_matrix  # (n_l, R_l) net change of each neuron by each reaction
    slots: tuple[_OwnSlot, ...]


@dataclass(frozen=True)
class _OwnSlot:
    """The reactions whose slot m holds one of the layer's neurons."""

    rows: np.ndarray  # reactions (local indices)
    neuron: np.ndarray  # the neuron each holds
    power: np.ndarray  # its power
    high: np.ndarray  # power > 1 (most are 1: only these need raising)
    diagonal_t: sp.csr_matrix  # (n_l, len(rows)) net change of the held neuron, to sum d rate/d c per neuron


@dataclass(frozen=True)
class BatchResult:
    time: np.ndarray  # (B,) time reached by each member
    state: np.ndarray  # (B, n) final concentrations (floating species order)
    diverged: np.ndarray  # (B,) bool: a concentration exceeded DIVERGED or went non-finite
    stalled: np.ndarray  # (B,) bool: the step size collapsed before reaching the end
    trace_time: np.ndarray  # (steps, B) accepted step times (NaN where a member did not step)
    trace: np.ndarray  # (steps, B, len(traced)) traced species at those times


class BatchSystem:
    """The CRN's floating species, in order, grouped by layer."""

    def __init__(self, crn: CRN):
        self.crn = crn
        floating = list(crn.floating)
        inputs = list(crn.inputs)
        self.species = tuple(s.id for s in floating)
        self.n = len(floating)
        self.n_inputs = len(inputs)
        col = {s.id: i for i, s in enumerate(floating)}
        col.update({s.id: self.n + i for i, s in enumerate(inputs)})
        self.one = self.n + self.n_inputs  # column of the constant 1 (empty slots)
        params = crn.parameter_index
        self.k = np.array([crn.speed * params[r.rate].value for r in crn.reactions])
        self.rate_ids = tuple(r.rate for r in crn.reactions)
        slots = max((len(r.reactants) for r in crn.reactions), default=1) or 1
        layer_of = {s.id: s.layer for s in floating}
        changes: dict[int, list[int]] = {}  # layer -> the reactions that change one of its species (one pass)
        for i, r in enumerate(crn.reactions):
            hit = {layer_of[s] for s in {s for s, _ in (*r.reactants, *r.products)} if s in layer_of and r.net_change(s)}
            for layer in hit:
                changes.setdefault(layer, []).append(i)
        self.layers: list[_LayerBlock] = []
        for layer in sorted({s.layer for s in floating}):
            members = [s.id for s in floating if s.layer == layer]
            local = {sid: j for j, sid in enumerate(members)}
            rx = changes.get(layer, [])
            idx = np.full((len(rx), slots), self.one, dtype=np.int64)
            pw = np.ones((len(rx), slots))  # empty slots read the constant 1
            stoich = np.zeros((len(rx), len(members)))
            own = np.full((len(rx), slots), -1, dtype=np.int64)
            for a, i in enumerate(rx):
                r = crn.reactions[i]
                for m, (s, c) in enumerate(r.reactants):
                    idx[a, m], pw[a, m] = col[s], c
                    own[a, m] = local.get(s, -1)
                for s in {s for s, _ in (*r.reactants, *r.products)} & local.keys():
                    stoich[a, local[s]] = r.net_change(s)
            own_slots = []
            for m in range(slots):
                rows = np.flatnonzero(own[:, m] >= 0)
                neuron = own[rows, m]
                held = stoich[rows, neuron]
                diagonal_t = sp.csr_matrix((held, (neuron, np.arange(rows.size))), shape=(len(members), rows.size))
                own_slots.append(_OwnSlot(rows, neuron, pw[rows, m], pw[rows, m] > 1, diagonal_t))
            self.layers.append(_LayerBlock(
                np.array([col[s] for s in members]), np.array(rx, dtype=np.int64), idx, pw, own,
                sp.csr_matrix(stoich.T), tuple(own_slots),
            ))

    @staticmethod
    def _catalysts(full: np.ndarray, block: _LayerBlock, k: np.ndarray) -> np.ndarray:
        """k times the catalyst slots' factors, (B, R_l): fixed while the layer is solved."""
        cat = np.array(k[:, block.reactions])
        one = full.shape[1] - 1  # the constant-1 column: empty slots read it
        for m in range(block.idx.shape[1]):
            rows = np.flatnonzero((block.own[:, m] < 0) & (block.idx[:, m] != one))
            if rows.size == 0:
                continue
            factor = full[:, block.idx[rows, m]]
            power = block.pow[rows, m]
            if np.any(power != 1):
                factor = factor ** power
            if rows.size == cat.shape[1]:
                cat *= factor
            else:
                cat[:, rows] *= factor
        return cat

    @staticmethod
    def _layer_terms(y: np.ndarray, block: _LayerBlock, cat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dc/dt of the layer's neurons ``y`` (B, n_l) and its diagonal Jacobian, (B, n_l) each."""
        held = []  # per slot: the held neuron's concentration and its power, on that slot's rows
        rates = cat.copy()
        for slot in block.slots:
            c = y[:, slot.neuron]
            term = c
            if slot.high.any():
                term = c.copy()
                term[:, slot.high] **= slot.power[slot.high]
            rates[:, slot.rows] *= term
            held.append((c, term))
        f = (block.stoich_t @ rates.T).T
        diag = np.zeros_like(f)
        for m, slot in enumerate(block.slots):
            if slot.rows.size == 0:
                continue
            d = cat[:, slot.rows]
            for other, (o_slot, (_, o_term)) in enumerate(zip(block.slots, held)):
                if other != m:  # the other slots' factors, where they hold a neuron too
                    hit = np.isin(slot.rows, o_slot.rows)
                    if hit.any():
                        factor = np.ones_like(d)
                        factor[:, hit] = o_term[:, np.searchsorted(o_slot.rows, slot.rows[hit])]
                        d = d * factor
            c = held[m][0]
            if slot.high.any():  # d/dc of c^p is p c^(p-1)
                d = d.copy()
                d[:, slot.high] *= slot.power[slot.high] * c[:, slot.high] ** (slot.power[slot.high] - 1)
            diag += (slot.diagonal_t @ d.T).T
        return f, diag

    def rhs(self, state: np.ndarray, inputs: np.ndarray, k: np.ndarray | None = None) -> np.ndarray:
        full = self._full(state, inputs)
        k = self._k(k, len(state))
        out = np.zeros_like(state)
        for block in self.layers:
            out[:, block.species] = self._layer_terms(full[:, block.species], block, self._catalysts(full, block, k))[0]
        return out

    def _full(self, state: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        b = state.shape[0]
        full = np.empty((b, self.one + 1))  # C order: concatenate would follow an F-ordered input
        full[:, : self.n] = state
        full[:, self.n: self.one] = inputs
        full[:, self.one] = 1.0
        return full

    def _k(self, k: np.ndarray | None, b: int) -> np.ndarray:
        return np.broadcast_to(self.k if k is None else np.asarray(k, dtype=float), (b, self.k.size))

    @cached_property
    def polynomials(self) -> tuple[_LayerPolynomial, ...] | None:
        """Each layer's rates as a scalar polynomial per neuron (None if some
        reaction couples two neurons of one layer)."""
        try:
            return tuple(_layer_polynomial(self, block) for block in self.layers)
        except NetworkError:
            return None

    def _solve_polynomial(self, full: np.ndarray, old: np.ndarray, h: np.ndarray, closed_form: bool = True
                          ) -> np.ndarray:
        """``_solve_layers`` at the CRN's own rate constants, layer by layer
        on the layer polynomials: each neuron's backward-Euler step (or fixed
        point, h = inf) is the unique positive root of a scalar equation (in
        closed form on quadratic rails, else ``_bracketed_root``), so no step
        fails except on unbounded growth."""
        ok = np.ones(full.shape[0], dtype=bool)
        steady = np.isinf(h)
        beta = np.where(steady, 0.0, 1.0)[:, None]
        gamma = np.where(steady, 1.0, h)[:, None]
        for poly in self.polynomials:
            cols = poly.species
            y, good = _layer_roots(poly, full, old[:, cols], beta, gamma, closed_form)
            full[:, cols] = np.where(good, y, full[:, cols])
            ok &= good.all(axis=1)
        return ok

    def _solve_layers(self, full: np.ndarray, old: np.ndarray, h: np.ndarray, k: np.ndarray, iters: int) -> np.ndarray:
        """Backward Euler (h finite) or Newton on dc/dt = 0 (h = inf), layer by
        layer, in place on ``full``. Returns which members converged."""
        ok = np.ones(full.shape[0], dtype=bool)
        steady = np.isinf(h)
        hh = np.where(steady, 1.0, h)[:, None]
        for block in self.layers:
            cols = block.species
            y_old = old[:, cols]
            done = np.zeros_like(y_old, dtype=bool)
            cat = self._catalysts(full, block, k)
            for _ in range(iters):
                y = full[:, cols]
                f, diag = self._layer_terms(y, block, cat)
                g = np.where(steady[:, None], -f, y - y_old - hh * f)
                dg = np.where(steady[:, None], -diag, 1.0 - hh * diag)
                with np.errstate(divide="ignore", invalid="ignore"):
                    cand = y - g / dg
                # stay in the positive orthant: halve towards zero instead of crossing it
                new = np.where(np.isfinite(cand) & (cand > 0), cand, 0.5 * y)
                full[:, cols] = new
                done = np.abs(new - y) <= 1e-13 * np.maximum(np.abs(new), 1e-300) + 1e-300
                if done.all():
                    break
            ok &= done.all(axis=1)
        return ok

    def integrate(
        self,
        y0: np.ndarray,
        inputs: np.ndarray,
        t_end: float | np.ndarray,
        *,
        k: np.ndarray | None = None,
        h0: float = 1e-8,
        growth: float = 1.25,
        traced: tuple[int, ...] = (),
        max_steps: int = 5000,
        strides: int = 50,
    ) -> BatchResult:
        """Backward Euler from ``y0`` (B, n) to ``t_end`` with step sizes
        growing geometrically from ``h0``: accurate at the start, where large
        initial states collapse fast, and long strides once settled. Steps are
        capped at t_end/strides: backward Euler damps an exponential approach
        by 1/(1 + h*lambda) per step, far less than exp(-h*lambda) for big h."""
        y0 = np.asarray(y0, dtype=float)
        if y0.ndim != 2 or y0.shape[1] != self.n or np.any(y0 < 0) or not np.all(np.isfinite(y0)):
            raise InputError(f"initial states must be a finite, non-negative (batch, {self.n}) array")
        b = y0.shape[0]
        kk = self._k(k, b)
        fast = k is None and self.polynomials is not None
        full = self._full(y0.copy(), inputs)
        t = np.zeros(b)
        t_end = np.broadcast_to(np.asarray(t_end, dtype=float), (b,))
        h = np.full(b, float(h0))
        h_max = t_end / strides
        diverged = np.zeros(b, dtype=bool)
        stalled = np.zeros(b, dtype=bool)
        times, trace = [], []
        for _ in range(max_steps):
            active = (t < t_end) & ~diverged & ~stalled
            if not active.any():
                break
            step = np.minimum(h, t_end - t)
            old = full[:, : self.n].copy()
            trial = full.copy()
            hs = np.where(active, step, 0.0)
            ok = (self._solve_polynomial(trial, old, hs) if fast else self._solve_layers(trial, old, hs, kk, 40)) & active
            full[ok] = trial[ok]
            t[ok] += step[ok]
            h = np.where(ok, np.minimum(h * growth, h_max), np.where(active, h * 0.25, h))
            stalled |= active & (h < 1e-14 * np.maximum(t, 1e-300) + 1e-300)
            state = full[:, : self.n]
            diverged |= ~np.all(np.isfinite(state) & (state < DIVERGED), axis=1)
            if traced:
                times.append(np.where(ok, t, np.nan))
                trace.append(state[:, list(traced)].copy())
        else:
            stalled |= t < t_end
        return BatchResult(
            t, full[:, : self.n].copy(), diverged, stalled,
            np.array(times).reshape(len(times), b), np.array(trace).reshape(len(trace), b, len(traced)),
        )

    def fixed_points(self, inputs: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The fixed point of every member at its own rate constants ``k`` (B,
        R), layer by layer with no time course: each layer's polynomial
        coefficients folded from k and the catalysts reaction by reaction, then
        each neuron's positive root (closed form on quadratic rails, else
        bracketed Newton from 1). NaN rows where a member grows without bound.
        ``polish`` then refines them on the mass-action rates and gives the residual."""
        b = max(inputs.shape[0], k.shape[0] if np.ndim(k) == 2 else 1)  # one input row serves every k row
        kk = self._k(k, b)
        full = self._full(np.ones((b, self.n)), inputs)
        steady = np.zeros((b, 1)), np.ones((b, 1))  # beta = 0, gamma = 1: the fixed point
        for block in self.layers:
            cat = self._catalysts(full, block, kk)
            power = np.sum(np.where(block.own >= 0, block.pow, 0), axis=1).astype(np.int64)
            powers = np.unique(power)
            c = [(block.stoich_t[:, power == p] @ cat[:, power == p].T).T for p in powers]
            y, ok = _roots(c, powers, full[:, block.species], full[:, block.species], *steady,
                           set(powers.tolist()) <= {0, 1, 2} and 2 in powers.tolist())
            full[:, block.species] = np.where(ok, y, np.nan)
        return full[:, : self.n].copy()

    def polish(self, state: np.ndarray, inputs: np.ndarray, *, k: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Newton on dc/dt = 0, layer by layer, from (near-)settled states.
        Returns the states and each member's max |dc/dt|."""
        b = state.shape[0]
        kk = self._k(k, b)
        full = self._full(np.asarray(state, dtype=float).copy(), inputs)
        self._solve_layers(full, full[:, : self.n].copy(), np.full(b, np.inf), kk, 60)
        out = full[:, : self.n].copy()
        residual = np.max(np.abs(self.rhs(out, inputs, kk)), axis=1) if self.n else np.zeros(b)
        return out, residual


@dataclass(frozen=True)
class _LayerPolynomial:
    """dc/dt of a layer's neurons with the earlier layers held fixed:
    f_j(y) = sum_p C_p[:, j] y^p with C_p = const[p] + monomials @ coef[p].
    A monomial is a product of catalyst concentrations; the constant part
    collects the reactions without catalysts (eps, bias, annihilation), so only
    powers with catalysed reactions cost a matrix product."""

    species: np.ndarray  # state columns of the layer's neurons
    # monomial m = prod_t full[:, mono_idx[m, t]] ** mono_pow[m, t]; unused
    # slots point at the constant-1 column
    mono_idx: np.ndarray  # (n_monomials, slots) int
    mono_pow: np.ndarray  # (n_monomials, slots)
    powers: np.ndarray  # (P,) powers of the neuron that occur
    const: np.ndarray  # (P, n_l) net change * speed * k of the uncatalysed reactions
    coef: np.ndarray  # (P, n_monomials, n_l) the same for the catalysed ones
    live: tuple[bool, ...]  # per power: some catalysed reaction contributes
    run: tuple[int, int] | None  # the monomials are the single columns run[0]:run[1] (read as a slice)

    @property
    def quadratic(self) -> bool:
        """Powers within {0, 1, 2} with a y^2 term: each rail's root in closed form."""
        return set(self.powers.tolist()) <= {0, 1, 2} and 2 in self.powers.tolist()

    def coefficients(self, full: np.ndarray) -> list[np.ndarray]:
        """C_p at the catalysts in ``full``, one array per power, each
        broadcastable to (B, n_l) (a power without catalysts is one row)."""
        mono = None
        if any(self.live):
            if self.run is not None:
                mono = full[:, self.run[0]: self.run[1]]  # a view: no gather of (B, 784) inputs
            else:
                mono = np.ones((full.shape[0], self.mono_idx.shape[0]))
                for t in range(self.mono_idx.shape[1]):
                    v = full[:, self.mono_idx[:, t]]
                    pw = self.mono_pow[:, t]
                    mono *= v if np.all(pw == 1.0) else v ** pw
        out = []
        for i, live in enumerate(self.live):
            if live:
                c = mono @ self.coef[i]
                c += self.const[i]
                out.append(c)
            else:
                out.append(self.const[i])
        return out


def _layer_polynomial(system: BatchSystem, block: _LayerBlock) -> _LayerPolynomial:
    mono: dict[tuple[tuple[int, float], ...], int] = {(): -1}  # () is the constant monomial
    terms: dict[tuple[int, int, int], float] = {}  # (power, monomial, neuron) -> coefficient
    stoich = block.stoich_t.toarray()  # (n_l, R_l)
    for a, reaction in enumerate(block.reactions):
        own = {int(j) for j in block.own[a] if j >= 0}
        if len(own) > 1:
            raise NetworkError(f"reaction {system.crn.reactions[reaction].id} has two neurons of one layer as "
                               "reactants; the batch simulator needs layer-diagonal dynamics")
        power = int(sum(block.pow[a, m] for m in range(block.idx.shape[1]) if block.own[a, m] >= 0))
        key = tuple(sorted((int(block.idx[a, m]), float(block.pow[a, m])) for m in range(block.idx.shape[1])
                           if block.own[a, m] < 0 and block.idx[a, m] != system.one))
        col = mono.setdefault(key, len(mono) - 1)
        for j in np.flatnonzero(stoich[:, a]):
            if own and j not in own:
                raise NetworkError(f"reaction {system.crn.reactions[reaction].id} changes a neuron other than its "
                                   "reactant in the same layer; the batch simulator needs layer-diagonal dynamics")
            slot = (power, col, int(j))
            terms[slot] = terms.get(slot, 0.0) + stoich[j, a] * system.k[reaction]
    del mono[()]
    powers = np.array(sorted({p for p, _, _ in terms}), dtype=np.int64)
    const = np.zeros((len(powers), block.species.size))
    coef = np.zeros((len(powers), len(mono), block.species.size))
    where = {p: i for i, p in enumerate(powers.tolist())}
    for (p, m, j), c in terms.items():
        if m < 0:
            const[where[p], j] += c
        else:
            coef[where[p], m, j] += c
    slots = max((len(key) for key in mono), default=0) or 1
    mono_idx = np.full((len(mono), slots), system.one, dtype=np.int64)
    mono_pow = np.ones((len(mono), slots))
    for key, m in mono.items():
        for t, (c, pw) in enumerate(key):
            mono_idx[m, t], mono_pow[m, t] = c, pw
    first = mono_idx[:, 0]
    run = None
    if (len(mono) and slots == 1 and np.all(mono_pow == 1.0)
            and np.array_equal(first, np.arange(first[0], first[0] + len(mono)))):
        run = (int(first[0]), int(first[0]) + len(mono))
    live = tuple(bool(np.any(coef[i])) for i in range(len(powers)))
    return _LayerPolynomial(block.species, mono_idx, mono_pow, powers, const, coef, live, run)


def _quadratic_root(c0: np.ndarray, c1: np.ndarray, c2: np.ndarray) -> np.ndarray:
    """The root y = (c1 + sqrt(c1^2 - 4 c0 c2)) / (-2 c2) of c0 + c1 y + c2 y^2
    (c2 < 0): the positive one when c0 > 0, and for a time step's stage
    equation the one continuous with the explicit part as h -> 0. Written
    without cancellation on either sign of c1; NaN where the discriminant is
    negative."""
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(c1 * c1 - 4.0 * c0 * c2)
        return np.where(c1 > 0, (c1 + d) / (-2.0 * c2), 2.0 * c0 / (d - c1))


def _layer_roots(poly: _LayerPolynomial, full: np.ndarray, old: np.ndarray, beta: np.ndarray, gamma: np.ndarray,
                 closed_form: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The positive root of beta*(y - old) = gamma*f(y) for one layer: in
    closed form on quadratic rails (where the rearranged quadratic has its
    leading coefficient < 0 < its constant), by ``_bracketed_root`` elsewhere."""
    return _roots(poly.coefficients(full), poly.powers, full[:, poly.species], old, beta, gamma,
                  closed_form and poly.quadratic)


def _roots(c: list[np.ndarray], powers: np.ndarray, start: np.ndarray, old: np.ndarray, beta: np.ndarray,
           gamma: np.ndarray, closed_form: bool) -> tuple[np.ndarray, np.ndarray]:
    """``_layer_roots`` on coefficients ``c`` (one per power, broadcastable to
    (B, n_l)); ``closed_form`` only for powers within {0, 1, 2}."""
    if not closed_form:
        return _bracketed_root(c, powers, start, old, beta, gamma)
    by_power = dict(zip(powers.tolist(), c))
    c0, c1, c2 = (by_power.get(p, 0.0) for p in (0, 1, 2))
    if not np.all(beta == 0) or not np.all(gamma == 1):  # a time step: -F = gamma f(y) - beta (y - old)
        c0, c1, c2 = gamma * c0 + beta * old, gamma * c1 - beta, gamma * c2
    c0, c1, c2 = np.broadcast_arrays(c0, c1, c2)
    y = _quadratic_root(c0, c1, c2)
    good = (c2 < 0) & (c0 > 0) & np.isfinite(y) & (y > 0)
    if good.all():
        return y, good
    rows = np.flatnonzero(~good.all(axis=1))  # e.g. no eps reaction: the flow from ``start`` decides
    sub = [np.broadcast_to(ci, start.shape)[rows] for ci in c]
    y_b, ok_b = _bracketed_root(sub, powers, start[rows], old[rows], beta[rows] if np.ndim(beta) else beta,
                                gamma[rows] if np.ndim(gamma) else gamma)
    y = np.array(y)
    y[rows] = y_b
    ok = np.ones_like(good)
    ok[rows] = ok_b
    return y, ok


def _bracketed_root(c: np.ndarray, powers: np.ndarray, start: np.ndarray, old: np.ndarray,
                    beta: np.ndarray, gamma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positive root of F(y) = beta*(y - old) - gamma*f(y), f(y) = sum_p
    c[p] y^p (elementwise, c of shape (P, B, n)): a backward-Euler step of
    dy/dt = f(y) with step gamma/beta, or the fixed point (beta = 0).

    Under the activation conditions (f(0) = eps > 0, f(y)/y strictly
    decreasing to -inf) F(y)/y is strictly increasing, so the positive root
    is unique and F < 0 below it, F > 0 above. Bracket it from ``start``
    (0 below, doubling above), then Newton steps kept inside the bracket
    (bisection where Newton leaves it). Without those conditions the scalar
    flow from ``start`` still goes to the first root in the direction of
    -F(start), which is the bracketed one for the fixed point. Returns
    (root, ok); ok is False where no sign change was found (unbounded growth)."""
    with np.errstate(over="ignore", invalid="ignore"):  # unbounded growth overflows the doubling
        return _bracketed_root_inner(c, powers, start, old, beta, gamma)


def _bracketed_root_inner(c, powers, start, old, beta, gamma) -> tuple[np.ndarray, np.ndarray]:

    def g_dg(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # -F and its derivative
        g = -beta * (y - old)
        dg = -beta + np.zeros_like(y)
        for i, p in enumerate(powers.tolist()):
            cg = gamma * c[i]
            if p == 0:
                g = g + cg
            elif p == 1:
                g = g + cg * y
                dg = dg + cg
            else:
                yp = y ** (p - 1)
                g = g + cg * yp * y
                dg = dg + p * cg * yp
        return g, dg

    y = np.array(start, dtype=float)
    g0, _ = g_dg(y)
    up = g0 > 0
    lo = np.where(up, y, 0.0)
    hi = np.where(up, np.inf, y)
    probe = np.where(up, np.maximum(2.0 * y, 1.0), y)
    for _ in range(1100):  # doubling reaches any finite root
        grow = up & ~np.isfinite(hi)
        if not grow.any():
            break
        gp, _ = g_dg(probe)
        fall = grow & (gp <= 0)
        hi = np.where(fall, probe, hi)
        lo = np.where(grow & ~fall, probe, lo)
        probe = np.where(grow & ~fall, 2.0 * probe, probe)
    ok = np.isfinite(hi)
    hi = np.where(ok, hi, lo)
    settled = g0 == 0
    for _ in range(200):
        g, dg = g_dg(y)
        lo = np.where(g > 0, y, lo)
        hi = np.where(g < 0, y, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = y - g / dg
        inside = np.isfinite(newton) & (newton >= lo) & (newton <= hi)
        nxt = np.where(settled | (g == 0), y, np.where(inside, newton, 0.5 * (lo + hi)))
        done = np.abs(nxt - y) <= 4 * np.finfo(float).eps * np.abs(nxt)
        y = nxt
        if done.all():
            break
    return np.where(ok, y, np.nan), ok


@dataclass(frozen=True)
class BatchSolution:
    """Checked steady states of a batch (``BatchSimulator.solve``)."""

    states: np.ndarray  # (B, n) floating species order; NaN rows where failed
    residual: np.ndarray  # (B,) max |dc/dt|, evaluated reaction by reaction (mass action, from the CRN)
    positive: np.ndarray  # (B,) bool: every concentration finite and > 0
    resolved: np.ndarray  # (B,) bool: failed the fast path's check and was re-solved the slow way
    failed: np.ndarray  # (B,) bool: no state passed the check, even the slow way


class BatchSimulator(SimulatorBase):
    """Steady states (and time courses) of the CRN for many inputs and initial
    states at once, computed from the IR's reactions alone (not the forward
    pass). It also implements the single-input ``Simulator`` protocol (a batch
    of one), so it is a registered backend with the ``batch`` capability.

        sim = BatchSimulator(crn)
        states = sim.steady_states(x)      # (B, n_floating), floating order
        y = sim.outputs(x)                 # (B, n_outputs): the readouts
    """

    name = "batch"
    capabilities = frozenset({Capability.STEADY_STATE, Capability.TIME_COURSE, Capability.BATCH})
    POLISH_ELEMENTS = 2e7  # members x reactions per polish chunk (~160 MB per array)
    # accepted: max_j |dc_j/dt| / (gross flux through j) below this. A closed-form
    # root is at ~1e-16 (rounding over a fan-in of 784 stays below 1e-13); for
    # sigma_eps the relative state error is within 2x of this ratio
    CHECK_RTOL = 1e-10

    def __init__(self, crn: CRN):
        super().__init__(crn)
        self.system = BatchSystem(crn)
        if self.system.polynomials is None:
            raise NetworkError("the batch simulator needs layer-diagonal dynamics: every reaction changes only "
                               "its own neuron, with earlier layers' species as catalysts")
        self.readout_matrix, self.readout_offset = crn.output_matrix

    # --- inputs and initial states ------------------------------------------
    def input_species(self, inputs) -> np.ndarray:
        """Network-level inputs (B, n_inputs) -> input species concentrations
        (B, len(crn.inputs)) in ``crn.inputs`` order (shift / dual rail)."""
        return self.crn.encode_inputs(inputs)

    def _y0(self, y0, b: int) -> np.ndarray:
        start = self.initial if y0 is None else np.asarray(y0, dtype=float)
        start = np.broadcast_to(start, (b, self.system.n)) if start.ndim <= 1 else start
        if start.shape != (b, self.system.n) or not np.all(np.isfinite(start)) or np.any(start < 0):
            raise InputError(f"initial states must be finite, non-negative, shape ({self.system.n},) or "
                             f"({b}, {self.system.n}) (floating species order); got {np.shape(y0)}")
        return np.array(start, dtype=float)

    # --- steady states --------------------------------------------------------
    def relax(self, inputs, y0=None, *, h0: float = 1e-2, growth: float = 2.0, tol: float = 1e-12,
              max_steps: int = 400) -> tuple[np.ndarray, np.ndarray]:
        """Integrate the coupled CRN dynamics only as far as needed: backward
        Euler (layer by layer, each neuron's step the unique positive root of a
        scalar equation) with the step doubling from ``h0 / speed`` every step
        (pseudo-transient continuation: the trajectory is resolved early and
        the steps become Newton steps on dc/dt = 0 late) until no species of a
        member changes by more than ``tol`` relative in a step. Returns
        (states, time reached), NaN states for members that grew without bound."""
        xs = self.input_species(inputs)
        b = xs.shape[0]
        system = self.system
        full = system._full(self._y0(y0, b), xs)
        t = np.zeros(b)
        h = np.full(b, h0 / self.crn.speed)
        active = np.arange(b)
        for _ in range(max_steps):
            if active.size == 0:
                break
            part = full[active]
            old = part[:, : system.n].copy()
            ok = system._solve_polynomial(part, old, h[active])
            new = part[:, : system.n]
            change = np.max(np.abs(new - old) / np.maximum(np.abs(new), 1e-300), axis=1, initial=0.0)
            part[~ok, : system.n] = np.nan
            full[active] = part
            t[active] += h[active]
            h[active] *= growth
            active = active[ok & (change > tol)]
        return full[:, : system.n].copy(), t

    def solve(self, inputs, y0=None) -> BatchSolution:
        """The checked fixed point of every member (see ``BatchSolution``).

        Fast path, layer by layer: with the earlier layers at their limits each
        species follows a scalar ODE dy/dt = f(y) whose polynomial coefficients
        are the reactions' rate constants times their catalysts, folded once per
        layer; a quadratic rail's positive root is taken in closed form, other
        rails' limits from ``y0`` by bracketed Newton. When every layer is a
        quadratic rail this runs as BLAS products on cache-sized chunks
        (``_dense``), the check included. Check: every concentration finite and
        > 0, and dc/dt evaluated from the reactions' rate constants
        (``_residual.MassAction``, independent of the folded coefficients)
        within ``CHECK_RTOL`` of the gross flux through each species. Members
        that fail are re-solved the slow way (bracketed Newton on the layer
        polynomials, then Newton on the mass-action rates) and checked again;
        those still failing are ``failed``, with NaN states."""
        system = self.system
        dense = self._dense
        if isinstance(dense, DensePlan):
            xs = self.crn.encode_inputs(inputs, copy=False)  # read only: no copy of a (B, 784) batch
            b = xs.shape[0]
            if y0 is not None:
                self._y0(y0, b)  # validated only: a quadratic rail's root does not depend on it
            state = np.empty((b, system.n))
            residual, scaled, positive = dense.solve(xs, state)
            passed = positive & (scaled <= self.CHECK_RTOL)
            unsure = np.flatnonzero(~passed)  # the bound on the gross flux may be too tight: check reaction by reaction
            if unsure.size:
                exact = self._check(system._full(state[unsure], xs[unsure]))
                residual[unsure], passed[unsure], positive[unsure] = exact
        else:
            xs = self.input_species(inputs)
            b = xs.shape[0]
            full = system._full(self._y0(y0, b), xs)
            system._solve_polynomial(full, full[:, : system.n].copy(), np.full(b, np.inf))
            state = full[:, : system.n]
            residual, passed, positive = self._check(full)
        resolved = ~passed
        if resolved.any():
            rows = np.flatnonzero(resolved)
            redo = system._full(self._y0(y0, b)[rows], xs[rows])
            system._solve_polynomial(redo, redo[:, : system.n].copy(), np.full(rows.size, np.inf),
                                     closed_form=False)
            grown = ~np.all(np.isfinite(redo[:, : system.n]), axis=1)
            widest = max((block.reactions.size for block in system.layers), default=1)
            chunk = max(1, int(self.POLISH_ELEMENTS // max(widest, 1)))  # bound the polish's (chunk, R_l) arrays
            for lo in range(0, rows.size, chunk):
                part = np.arange(lo, min(lo + chunk, rows.size))
                part = part[~grown[part]]
                if part.size:
                    redo[part, : system.n] = system.polish(redo[part, : system.n], xs[rows[part]])[0]
            redo[grown, : system.n] = np.nan
            state[rows] = redo[:, : system.n]
            residual[rows], passed[rows], positive[rows] = self._check(redo)
        failed = ~passed
        state[failed] = np.nan
        return BatchSolution(np.ascontiguousarray(state), residual, positive, resolved, failed)

    @cached_property
    def _dense(self) -> DensePlan | str:
        """The dense steady-state plan, or why this CRN has none (``_dense.plan``)."""
        return dense_plan(self.system, self._mass_action)

    def _check(self, full: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(max |dc/dt|, passed, positive) per member of ``full``."""
        state = full[:, : self.system.n]
        positive = np.all(np.isfinite(state) & (state > 0), axis=1)
        residual, scaled = self._mass_action.residual(full)
        return residual, positive & (scaled <= self.CHECK_RTOL), positive

    @cached_property
    def _mass_action(self) -> MassAction:
        return MassAction.from_crn(self.crn)

    def steady_states(self, inputs, y0=None) -> np.ndarray:
        """The checked fixed point each member's dynamics reach from ``y0``
        (default: the CRN's initial state), (B, n_floating) in ``species``
        order: ``solve(inputs, y0).states`` (NaN rows: no checked fixed point)."""
        return self.solve(inputs, y0).states

    def readout(self, states: np.ndarray) -> np.ndarray:
        """Output readouts (signed, rails combined) of floating-species states."""
        return np.atleast_2d(states) @ self.readout_matrix.T + self.readout_offset

    def outputs(self, inputs, y0=None) -> np.ndarray:
        """The network outputs the CRN computes: readouts of ``steady_states``."""
        return self.readout(self.steady_states(inputs, y0))

    # --- dynamics -----------------------------------------------------------------
    def integrate(self, inputs, t_end, y0=None, **options) -> BatchResult:
        """Backward-Euler time courses of the full CRN (``BatchSystem.integrate``)."""
        xs = self.input_species(inputs)
        return self.system.integrate(self._y0(y0, xs.shape[0]), xs, t_end, **options)

    def time_courses(self, inputs, times, y0=None, *, species: bool = False, rtol: float = 5e-9,
                     atol: float = 1e-14, max_steps: int = 20000) -> BatchTimeCourses:
        """Outputs (and with ``species`` every floating species) of every input
        at every requested time, from ``y0`` (default: the CRN's initial state)
        at t = 0: Kvaerno's L-stable ESDIRK of order 5 with per-member
        error-controlled steps that land on each requested time (``_sdirk``,
        where the choice of method is argued); ``rtol``/``atol`` bound each
        step's estimated local error per species. At the defaults the outputs
        agree with CVODE at rtol 1e-10 to about 1e-8 relative (tests hold them
        to 1e-6)."""
        from ._sdirk import time_courses

        return time_courses(self, inputs, times, y0, species=species, rtol=rtol, atol=atol, max_steps=max_steps)

    # --- the single-input Simulator protocol (a batch of one) ----------------------
    def _one(self, inputs, parameters: Parameters | None) -> tuple[np.ndarray, np.ndarray | None]:
        xs = self._input_species(inputs)[None, :]
        overrides = self._rate_values(parameters)
        if not overrides:
            return xs, None
        k = self.system.k.copy()
        ids = np.array(self.system.rate_ids)
        for pid, value in overrides.items():
            k[ids == pid] = self.crn.speed * value
        return xs, k[None, :]

    def advance(self, t_end: float, *, y0: np.ndarray | None = None, inputs=None,
                parameters: Parameters | None = None) -> np.ndarray:
        xs, k = self._one(inputs, parameters)
        run = self.system.integrate(self._start(y0)[None, :], xs, float(t_end), k=k)
        if run.diverged[0] or run.stalled[0]:
            raise SimulationError(f"batch simulator: integration {'diverged' if run.diverged[0] else 'stalled'} "
                                  f"before t={float(t_end):.3g}")
        return run.state[0]

    def polish(self, state: np.ndarray, *, inputs=None, parameters: Parameters | None = None) -> tuple[np.ndarray, float]:
        xs, k = self._one(inputs, parameters)
        out, residual = self.system.polish(np.asarray(state, dtype=float)[None, :], xs, k=k)
        return out[0], float(residual[0])

    def rates(self, state: np.ndarray, *, inputs=None, parameters: Parameters | None = None) -> np.ndarray:
        xs, k = self._one(inputs, parameters)
        return self.system.rhs(np.asarray(state, dtype=float)[None, :], xs, k)[0]

    def time_course(self, t_end: float, points: int = 101, species: Sequence[str] | None = None, *,
                    y0: np.ndarray | None = None, inputs=None, parameters: Parameters | None = None) -> TimeCourse:
        """``time_courses`` for one input on an evenly spaced grid (rate
        overrides: on a copy of the CRN with those rate constants)."""
        t_end, points = check_time(t_end, points)
        names, cols = self._columns(species)
        overrides = self._rate_values(parameters)
        sim = self if not overrides else BatchSimulator(
            replace(self.crn, parameters=tuple(replace(p, value=overrides.get(p.id, p.value)) for p in self.crn.parameters)))
        x = self._crn_for(inputs).input_values[None, :]
        run = sim.time_courses(x, np.linspace(0.0, t_end, points), self._start(y0), species=True)
        if run.failed[0] or run.states is None:
            raise SimulationError(f"batch simulator: the time course failed before t={t_end:.3g} (step size collapsed)")
        return TimeCourse(run.times, names, run.states[0][:, cols])
