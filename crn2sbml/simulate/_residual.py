"""The steady-state check of the batch simulator: dc/dt of every member,
evaluated reaction by reaction with mass action straight from the CRN's
reactions (rate constant, reactants, net changes). It shares nothing with the
fast path's folded layer polynomials, so a wrong coefficient there shows up here.

The per-reaction loop is (members x reactions) work: 8e8 rate evaluations for
10,000 inputs of 784-100-10. numba compiles it to a loop over blocks of members
(parallel over the cores) that walks the reactions with the members innermost,
in a species-major copy of the block: contiguous, vectorized, in cache. A
chunked numpy version computes the same, several times slower on large work;
it runs small work, where numba's first-ever call (a ~6 s JIT, cached on disk)
would not pay, and whenever numba is switched off."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..crn import CRN

BLOCK = 128  # members per block: its species-major copy (1 MB at 1,000 species) stays in L2


@dataclass(frozen=True)
class MassAction:
    """The reactions as flat arrays. Reactant slot t of reaction r is species
    column ``idx[r, t]`` of the state row [floating..., inputs..., 1] raised
    to ``pow[r, t]`` (unused slots read the constant 1); reaction r changes
    species ``spc[ptr[r]:ptr[r+1]]`` by ``val[...]``."""

    n: int  # floating species (the first n columns)
    idx: np.ndarray  # (R, slots) int64
    pow: np.ndarray  # (R, slots) int64
    k: np.ndarray  # (R,) speed * rate constant
    ptr: np.ndarray  # (R + 1,) int64
    spc: np.ndarray  # (nnz,) int64
    val: np.ndarray  # (nnz,) float

    @classmethod
    def from_crn(cls, crn: CRN) -> "MassAction":
        floating = [s.id for s in crn.floating]
        col = {sid: i for i, sid in enumerate(floating)}
        col.update({s.id: len(floating) + i for i, s in enumerate(crn.inputs)})
        one = len(col)
        slots = max((len(r.reactants) for r in crn.reactions), default=1) or 1
        params = crn.parameter_index
        idx = np.full((len(crn.reactions), slots), one, dtype=np.int64)
        pw = np.ones((len(crn.reactions), slots), dtype=np.int64)
        ptr, spc, val = [0], [], []
        for r, reaction in enumerate(crn.reactions):
            for t, (s, c) in enumerate(reaction.reactants):
                idx[r, t], pw[r, t] = col[s], c
            for s in dict.fromkeys(s for s, _ in (*reaction.reactants, *reaction.products)):
                change = reaction.net_change(s)
                if change and s in col and col[s] < len(floating):  # inputs are boundary species
                    spc.append(col[s])
                    val.append(float(change))
            ptr.append(len(spc))
        k = np.array([crn.speed * params[r.rate].value for r in crn.reactions], dtype=float)
        return cls(len(floating), idx, pw, k, np.array(ptr, dtype=np.int64), np.array(spc, dtype=np.int64),
                   np.array(val, dtype=float))

    def residual(self, full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per member (rows of ``full``, (B, n + inputs + 1), last column 1):
        max_j |dc_j/dt| and max_j |dc_j/dt| / (sum_r |change_jr| rate_r), the
        residual relative to the gross flux through each species."""
        full = np.ascontiguousarray(full, dtype=float)
        kernel = _numba_kernel(full.shape[0] * self.k.size)
        if kernel is not None and full.shape[0]:
            with _KERNEL_LOCK:
                return kernel(full, self.idx, self.pow, self.k, self.ptr, self.spc, self.val, self.n, BLOCK)
        return self._residual_numpy(full)

    def _residual_numpy(self, full: np.ndarray, chunk_elements: float = 2e6) -> tuple[np.ndarray, np.ndarray]:
        b = full.shape[0]
        reaction_of = np.repeat(np.arange(self.k.size), np.diff(self.ptr))
        # net and gross change as (species, reactions) sparse matrices: the sums over reactions are
        # two sparse products on reaction-major rates (np.add.at, an unbuffered scatter, was 50x slower)
        net = sp.csr_matrix((self.val, (self.spc, reaction_of)), shape=(self.n, self.k.size))
        gross_change = abs(net)
        k = self.k[:, None]
        res, scaled = np.zeros(b), np.zeros(b)
        step = max(1, int(chunk_elements // max(self.k.size, 1)))  # chunks of a few MB: in cache, no page faults
        for lo in range(0, b, step):
            part = np.ascontiguousarray(full[lo: lo + step].T)  # (columns, members): gathers copy whole rows
            rate = None
            for t in range(self.idx.shape[1]):
                factor = part[self.idx[:, t]]
                high = np.flatnonzero(self.pow[:, t] != 1)  # a few (2Y annihilation): raise those rows only
                if high.size:
                    factor[high] **= self.pow[high, t, None]
                if rate is None:
                    rate = factor
                    rate *= k
                else:
                    rate *= factor
            out = net @ rate
            gross = gross_change @ rate
            res[lo: lo + step] = np.max(np.abs(out), axis=0, initial=0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                scaled[lo: lo + step] = np.max(np.where(gross > 0, np.abs(out) / gross, np.abs(out)), axis=0,
                                               initial=0.0)
        return res, scaled


_KERNEL: list = []  # [compiled kernel or None], filled on first use (numba import + JIT is paid once)
# numba's default threading layer (workqueue) aborts the process when two threads enter a
# parallel kernel at once (threaded sweeps, dask's threaded scheduler): one call at a time.
_KERNEL_LOCK = threading.Lock()
prange = range  # numba.prange once numba is imported: numba reads the global when it compiles

NUMBA_ENV = "CRN2SBML_NUMBA"  # "0": numpy always; "1": numba always; unset: numba from NUMBA_MIN_WORK on
# members x reactions from which numba checks by default: numpy's check of less work takes
# well under a second, so numba's first-ever JIT (~6 s on an idle core) would not pay there
NUMBA_MIN_WORK = 5_000_000


def numba_wanted(work: float) -> bool:
    """Whether ``work`` (members x reactions) runs compiled: ``$CRN2SBML_NUMBA``, else NUMBA_MIN_WORK."""
    mode = os.environ.get(NUMBA_ENV, "").strip()
    return mode == "1" or (mode != "0" and work >= NUMBA_MIN_WORK)


def _numba_kernel(work: float = float("inf")):
    """The numba kernel for ``work`` rate evaluations, or None for the numpy
    path (``$CRN2SBML_NUMBA`` 0, work under NUMBA_MIN_WORK, or numba missing)."""
    global prange
    if not numba_wanted(work):
        return None
    if not _KERNEL:
        try:
            import numba
        except ImportError:
            _KERNEL.append(None)
        else:
            prange = numba.prange
            _KERNEL.append(numba.njit(parallel=True, cache=True)(_residual_blocks))
    return _KERNEL[0]


def _residual_blocks(full, idx, pw, k, ptr, spc, val, n, block):  # pragma: no cover - compiled by numba
    b_all, m = full.shape
    n_blocks = (b_all + block - 1) // block
    res = np.empty(b_all)
    scaled = np.empty(b_all)
    slots = idx.shape[1]
    for blk in prange(n_blocks):
        b0 = blk * block
        w = min(b_all, b0 + block) - b0
        c = np.empty((m, w))  # species-major copy of the block (the last row is the constant 1)
        for b in range(w):
            for s in range(m):
                c[s, b] = full[b0 + b, s]
        out = np.zeros((n, w))
        gross = np.zeros((n, w))
        rate = np.empty(w)
        for r in range(k.size):
            kr = k[r]
            if slots == 2 and pw[r, 0] == 1 and pw[r, 1] == 1:  # X + Y -> ..., Y -> ...: most reactions
                x = c[idx[r, 0]]
                y = c[idx[r, 1]]
                for e in range(ptr[r], ptr[r + 1]):
                    o = out[spc[e]]
                    g = gross[spc[e]]
                    v = val[e] * kr
                    av = abs(v)
                    for b in range(w):
                        t = x[b] * y[b]
                        o[b] += v * t
                        g[b] += av * t
                continue
            for b in range(w):
                rate[b] = kr
            for t in range(slots):
                x = c[idx[r, t]]
                p = pw[r, t]
                if p == 1:
                    for b in range(w):
                        rate[b] *= x[b]
                else:
                    for b in range(w):
                        rate[b] *= x[b] ** p
            for e in range(ptr[r], ptr[r + 1]):
                o = out[spc[e]]
                g = gross[spc[e]]
                v = val[e]
                av = abs(v)
                for b in range(w):
                    o[b] += v * rate[b]
                    g[b] += av * rate[b]
        for b in range(w):
            worst = 0.0
            worst_scaled = 0.0
            for s in range(n):
                a = abs(out[s, b])
                if a > worst or a != a:  # NaN propagates
                    worst = a
                g = gross[s, b]
                q = a / g if g > 0 else a
                if q > worst_scaled or q != q:
                    worst_scaled = q
            res[b0 + b] = worst
            scaled[b0 + b] = worst_scaled
    return res, scaled
