"""Conserved moieties: combinations ``L @ c`` of the floating species that no
reaction changes (S1 -> S2 keeps S1 + S2). Along them the Jacobian of
dc/dt is singular, so a plain Newton step is undefined; the steady state is
the root of dc/dt = 0 on the plane ``L @ c = totals`` that the trajectory
(the presimulated state) fixes. Every backend's Newton polish solves the
stacked system [J; L] step = [f; L c - totals], which has full column rank,
by least squares. crn2sbml's own networks have no conservation law (every
neuron has its inflow 0 -> Y), and that case costs one pass over the reactions."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import null_space

from ..crn import CRN


def stoichiometry_matrix(crn: CRN) -> sp.csr_matrix:
    """(floating species x reactions): each reaction's net change of each
    floating species, in ``crn.floating`` order."""
    pos = {s.id: i for i, s in enumerate(crn.floating)}
    rows, cols, vals = [], [], []
    for j, r in enumerate(crn.reactions):
        for s in dict.fromkeys(s for s, _ in (*r.reactants, *r.products)):
            change = r.net_change(s)
            if change and s in pos:
                rows.append(pos[s])
                cols.append(j)
                vals.append(change)
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(pos), len(crn.reactions)))


def conservation_laws(S: sp.spmatrix) -> np.ndarray:
    """(m, n) orthonormal rows spanning the left null space of ``S`` (m = 0:
    none). When every species has a reaction that changes it alone, S has
    full row rank and no law exists: checked without any factorisation."""
    n = S.shape[0]
    csc = S.tocsc()
    alone = np.diff(csc.indptr) == 1  # reactions that change exactly one species
    if len(set(csc.indices[csc.indptr[:-1][alone]])) == n:
        return np.zeros((0, n))
    # S S^T (n x n) has the null space of S^T: small even for many reactions
    gram = (S @ S.T).toarray().astype(float)
    return null_space(gram, rcond=1e-10).T if n else np.zeros((0, 0))


def reduced_newton_step(jac: np.ndarray, f: np.ndarray, laws: np.ndarray, c: np.ndarray,
                        totals: np.ndarray) -> np.ndarray:
    """The Newton step on dc/dt = 0 that also restores ``laws @ c = totals``."""
    a = np.vstack([jac, laws])
    b = np.concatenate([f, laws @ c - totals])
    return np.linalg.lstsq(a, b, rcond=None)[0]
