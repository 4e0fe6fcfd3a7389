"""The dense steady-state path of ``BatchSimulator.solve``: every layer's
fixed point in closed form and its check, per chunk of members one BLAS
product per layer (into a per-thread buffer of L2 size) and two elementwise
loops: the roots, written into the state, then the check at those states.
The loops are compiled by numba under ``_residual``'s switch (from
NUMBA_MIN_WORK members x reactions), numpy passes below it. The structures
are built once per simulator (``plan``), on its first solve.

It applies when every layer is a quadratic rail, dc_j/dt = c0_j + c1_j y_j +
c2_j y_j^2 with c0 > 0 > c2 constant and c1 affine in one contiguous run of
earlier columns (the inputs or an earlier layer): what smoothed ReLU and every
piecewise-linear activation's rails compile to. Then each neuron's positive
root is unique and taken in closed form, and nothing depends on the initial
state.

Two structures are built once, from different sources:

- the fast path's, from the folded layer polynomials (``_LayerPolynomial``):
  c1 = const1 + catalysts @ coef1;
- the check's, from the CRN's reactions as ``_residual.MassAction`` lists them
  (rate constant, reactant slots, net changes): the reactions that change one
  species j, with reactants j^p (p <= 2) and at most one catalyst c, grouped
  by (p, c, j). dc_j/dt = a0_j + y_j (a1_j + sum_c K_cj x_c) + a2_j y_j^2, with
  K_cj the sum of net change x rate constant over the reactions c + j -> ...:
  the mass-action right-hand side summed in another order, one BLAS product
  per layer. A rate constant folded wrongly into the fast path (or a wrong
  root) leaves a residual here.

The check's gross flux (the scale of ``CHECK_RTOL``) is bounded from below
by taking |sum_c K_cj x_c| for the catalysed part: a member accepted against
the bound is accepted against the true gross flux; the (rare) others are
checked reaction by reaction (``MassAction.residual``) before being re-solved.
A CRN outside this form (higher powers, two catalysts, a reaction changing
two species) has no dense plan and takes the general path."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from ._residual import MassAction, numba_wanted

if TYPE_CHECKING:
    from .batch import BatchSystem

CHUNK_ELEMENTS = 1 << 16  # members x layer width per chunk: its products (1 MB) stay in L2


@dataclass(frozen=True)
class _Columns:
    """A contiguous run of columns of the state or of the input species."""

    inputs: bool
    cols: slice

    def of(self, state: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        return (inputs if self.inputs else state)[:, self.cols]


def _columns(lo: int, hi: int, n: int) -> _Columns | None:
    """Columns [lo, hi) of the row [state (n)..., inputs...], if they lie on one side."""
    if hi <= n:
        return _Columns(False, slice(lo, hi))
    if lo >= n:
        return _Columns(True, slice(lo - n, hi - n))
    return None


@dataclass(frozen=True)
class DenseLayer:
    cols: slice  # the layer's neurons in the state
    # fast path, from the layer polynomial: c1 = const1 + src @ coef
    src: _Columns
    coef: np.ndarray  # (n_src, n_l)
    const1: np.ndarray  # (n_l,)
    disc: np.ndarray  # -4 c0 c2 > 0: c1^2 + disc is the discriminant
    two_c0: np.ndarray  # 2 c0
    inv: np.ndarray  # 1 / (-2 c2)
    # check, from the reactions: net (a[p]) and gross (g[p]) change x rate constant of the uncatalysed
    # reactions by power p of the neuron, and K (``rate``) of the catalysed ones (c + y -> ...)
    check_src: _Columns | None
    rate: np.ndarray  # (n_check_src, n_l)
    a: np.ndarray  # (3, n_l)
    g: np.ndarray  # (3, n_l)
    # [coef | rate] when both read the same columns: one BLAS product (fewer, wider products run faster)
    stacked: np.ndarray | None

    @property
    def width(self) -> int:
        return self.cols.stop - self.cols.start


class DensePlan:
    """The dense path's per-layer structures (``plan`` builds it or says why not)."""

    def __init__(self, layers: tuple[DenseLayer, ...], reactions: int):
        self.layers = layers
        self.reactions = reactions  # members x reactions picks numba or numpy steps
        self.width = max(layer.width for layer in layers)
        self.rows = max(1, CHUNK_ELEMENTS // self.width)
        self._local = threading.local()  # per-thread buffers: a simulator may serve several threads

    def _buffer(self, rows: int) -> np.ndarray:
        have = getattr(self._local, "buffer", None)
        if have is None or have.shape[0] < rows:
            have = self._local.buffer = np.zeros((rows, 2 * self.width))
        return have

    def solve(self, inputs: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fill ``states`` (B, n) with every layer's root for the input species
        ``inputs`` (B, n_inputs); return per member max |dc/dt|, max |dc/dt| /
        (gross flux lower bound) and whether every concentration is finite and > 0."""
        b = states.shape[0]
        residual, scaled = np.zeros(b), np.zeros(b)
        low, high = np.full(b, np.inf), np.zeros(b)
        roots, check = steps(b * self.reactions)
        buf = self._buffer(min(b, self.rows))
        for lo in range(0, b, self.rows):
            hi = min(b, lo + self.rows)
            x, s = inputs[lo:hi], states[lo:hi]
            m = hi - lo
            for layer in self.layers:
                w = layer.width
                both = buf[:m, : 2 * w]  # [c1 - const1 | the check's catalysed rates], one member per row
                if layer.stacked is not None:
                    np.matmul(layer.src.of(s, x), layer.stacked, out=both)
                else:
                    np.matmul(layer.src.of(s, x), layer.coef, out=both[:, :w])
                    if layer.check_src is None:
                        both[:, w:] = 0.0
                    else:
                        np.matmul(layer.check_src.of(s, x), layer.rate, out=both[:, w:])
                y = s[:, layer.cols]
                roots(both[:, :w], layer.const1, layer.disc, layer.two_c0, layer.inv, y)
                check(y, both[:, w:], layer.a, layer.g, residual[lo:hi], scaled[lo:hi], low[lo:hi], high[lo:hi])
        return residual, scaled, (low > 0) & (high < np.inf)


def _roots(c1, const1, disc, two_c0, inv, y) -> None:
    """y = the positive root of c0 + (c1 + const1) y + c2 y^2, written as
    (|c1| + d) / (-2 c2) for c1 > 0 and 2 c0 / (|c1| + d) otherwise, d the
    square root of the discriminant: no cancellation either way. numpy passes
    (small work; ``_roots_rows`` is the compiled loop)."""
    c = c1 + const1
    t = np.abs(c) + np.sqrt(c * c + disc)
    y[...] = np.where(c > 0, t * inv, two_c0 / t)


def _check(y, r, a, g, res, sc, low, high) -> None:
    """dc/dt = a0 + y (a1 + r + a2 y) at the states ``y`` from the reactions
    (r: the catalysed ones' rates over y), its gross flux bounded below by g0 +
    y (g1 + |r| + g2 y); the per-member maximum of |dc/dt| and of their ratio,
    and the minimum and maximum state, folded into res, sc, low, high (NaN sticks)."""
    f = np.abs(a[0] + y * (a[1] + r + a[2] * y))
    gross = g[0] + y * (g[1] + np.abs(r) + g[2] * y)
    with np.errstate(invalid="ignore"):
        np.maximum(res, np.max(f, axis=1), out=res)
        np.maximum(sc, np.max(f / gross, axis=1), out=sc)
        np.minimum(low, np.min(y, axis=1), out=low)
        np.maximum(high, np.max(y, axis=1), out=high)


def _roots_rows(c1, const1, disc, two_c0, inv, y):  # pragma: no cover - compiled by numba
    m, w = c1.shape
    for b in range(m):
        for j in range(w):
            c = c1[b, j] + const1[j]
            t = abs(c) + np.sqrt(c * c + disc[j])
            y[b, j] = t * inv[j] if c > 0 else two_c0[j] / t


def _check_rows(y, r, a, g, res, sc, low, high):  # pragma: no cover - compiled by numba
    m, w = y.shape
    for b in range(m):
        worst, worst_scaled, lo, hi = res[b], sc[b], low[b], high[b]
        for j in range(w):
            v = y[b, j]
            rj = r[b, j]
            f = abs(a[0, j] + v * (a[1, j] + rj + a[2, j] * v))
            q = f / (g[0, j] + v * (g[1, j] + abs(rj) + g[2, j] * v))
            if f > worst or f != f:  # NaN sticks: nothing compares greater than it
                worst = f
            if q > worst_scaled or q != q:
                worst_scaled = q
            if v < lo or v != v:
                lo = v
            if v > hi:
                hi = v
        res[b], sc[b], low[b], high[b] = worst, worst_scaled, lo, hi


_COMPILED: list = []  # [(roots, check) compiled, or None], on first use


def steps(work: float) -> tuple[Callable, Callable]:
    """(roots, check) for ``work`` (members x reactions): compiled by numba
    under the switch of ``_residual`` (small work is not worth numba's import), else numpy."""
    if numba_wanted(work):
        if not _COMPILED:
            try:
                import numba
            except ImportError:
                _COMPILED.append(None)
            else:
                # one thread, no lock: safe beside threaded callers (the parallel residual kernel is not)
                _COMPILED.append(tuple(numba.njit(cache=True, nogil=True)(f) for f in (_roots_rows, _check_rows)))
        if _COMPILED[0] is not None:
            return _COMPILED[0]
    return _roots, _check


def plan(system: BatchSystem, mass_action: MassAction) -> DensePlan | str:
    """The dense plan of ``system``, or why it has none."""
    polys = system.polynomials
    if polys is None or not system.layers or system.n_inputs + system.n == 0:
        return "not layer-diagonal"
    n = system.n
    spans = []
    for block in system.layers:
        cols = block.species
        if cols.size == 0 or not np.array_equal(cols, np.arange(cols[0], cols[0] + cols.size)):
            return "a layer's neurons are not contiguous in the state"
        spans.append(slice(int(cols[0]), int(cols[0]) + cols.size))
    checks = _check_terms(mass_action, spans, n, system.one)
    if isinstance(checks, str):
        return checks
    layers = []
    for span, poly, (check_src, rate, a, g) in zip(spans, polys, checks):
        if (poly.powers.tolist() != [0, 1, 2] or poly.live != (False, True, False) or poly.mono_idx.shape[1] != 1
                or np.any(poly.mono_pow != 1.0)):
            return "a layer is not a quadratic rail with single catalysts"
        c0, c1, c2 = poly.const
        first = poly.mono_idx[:, 0]
        src = _columns(int(first.min()), int(first.max()) + 1, n)
        if src is None or not (np.all(c0 > 0) and np.all(c2 < 0)) or (not src.inputs and src.cols.stop > span.start):
            return "a layer's constant or quadratic coefficient has the wrong sign, or its catalysts are not one run"
        coef = np.zeros((src.cols.stop - src.cols.start, span.stop - span.start))  # columns without a reaction: 0
        coef[first - first.min()] = poly.coef[1]
        stacked = np.hstack([coef, rate]) if check_src == src else None
        layers.append(DenseLayer(span, src, coef, c1.copy(), -4.0 * c0 * c2, 2.0 * c0, 1.0 / (-2.0 * c2),
                                 check_src, rate, a, g, stacked))
    return DensePlan(tuple(layers), mass_action.k.size)


def _check_terms(ma: MassAction, spans: list[slice], n: int, one: int
                 ) -> list[tuple[_Columns | None, np.ndarray, np.ndarray, np.ndarray]] | str:
    """Per layer: (catalyst columns, K, a, g) of the check, from the reactions alone."""
    changes = np.diff(ma.ptr)
    if np.any(changes > 1):
        return "a reaction changes two species"
    live = np.flatnonzero(changes == 1)  # reactions that change no floating species add nothing
    j = ma.spc[ma.ptr[live]]
    v = ma.val[ma.ptr[live]] * ma.k[live]
    idx, pw = ma.idx[live], ma.pow[live]
    own = idx == j[:, None]
    cat = ~own & (idx != one)  # empty slots read the constant-1 column ``one``
    power = np.sum(np.where(own, pw, 0), axis=1)
    n_cat = cat.sum(axis=1)
    if np.any(n_cat > 1) or np.any(power > 2) or np.any((n_cat == 1) & (power != 1)) \
            or np.any(np.where(cat, pw, 1) != 1):
        return "a reaction has two catalysts, a power above 2, or a catalyst beside y^0 or y^2"
    c = np.where(n_cat == 1, np.max(np.where(cat, idx, -1), axis=1), -1)
    out = []
    for span in spans:
        here = (j >= span.start) & (j < span.stop)
        jj = j[here] - span.start
        width = span.stop - span.start
        a, g = np.zeros((3, width)), np.zeros((3, width))
        plain = here & (c < 0)
        np.add.at(a, (power[plain], j[plain] - span.start), v[plain])
        np.add.at(g, (power[plain], j[plain] - span.start), np.abs(v[plain]))
        catalysed = c[here] >= 0
        src, rate = None, np.zeros((0, width))
        if catalysed.any():
            cc = c[here][catalysed]
            src = _columns(int(cc.min()), int(cc.max()) + 1, n)
            if src is None or (not src.inputs and src.cols.stop > span.start):
                return "a layer's catalysts are not one run of earlier columns"
            rate = np.zeros((src.cols.stop - src.cols.start, width))
            np.add.at(rate, (cc - cc.min(), jj[catalysed]), v[here][catalysed])
        if np.any(a[0] <= 0):
            return "a neuron has no constant inflow"
        out.append((src, rate, a, g))
    return out
