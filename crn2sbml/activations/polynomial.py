"""The paper's generalized neuron: dy/dt = z*y + q(y), q(y) = eps + sum_k c_k y^k
(the constant term is the layer's epsilon; JSON {"name": "polynomial",
"q": {"2": -0.5, "3": -1.0}}).

Conditions (checked): c0 = eps > 0; the leading coefficient (degree >= 2) is
negative, so q(y)/y -> -inf; and q(y)/y is strictly decreasing on (0, inf):
y^2 d/dy(q(y)/y) = -p(y) with p(y) = c0 - sum_{k>=2} (k-1) c_k y^k, so p must
have no root in (0, inf). Then h(y) = -q(y)/y increases from -inf to +inf and
sigma = h^{-1}(z) is the unique positive, hyperbolic root.

The eps -> 0 counterpart g0(z) is the positive root of z + sum_{k>=1} c_k y^(k-1)
(0 when z <= -c1). Always sigma > g0; when every c_k <= 0 for k >= 2 the
function h0(y) = -(c1 + c2 y + ...) is convex, hence sigma - g0 is largest at
the kink z = -c1, where g0 = 0: 0 < sigma - g0 <= sigma(-c1)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from ..errors import NetworkError
from .base import Activation, Params, QTerm, reject_unknown


def _positive_root(f: Callable[[np.ndarray], np.ndarray], df: Callable[[np.ndarray], np.ndarray],
                   shape: tuple[int, ...]) -> np.ndarray:
    """The root of f on (0, inf), where f > 0 before it and f < 0 after it:
    Newton steps kept inside a bisection bracket (vectorized)."""
    lo = np.zeros(shape)
    hi = np.ones(shape)
    for _ in range(2100):  # doubling: hi reaches any finite root
        with np.errstate(over="ignore", invalid="ignore"):  # past a root near 1e308, f(hi) is -inf
            grow = f(hi) >= 0
        if not grow.any():
            break
        lo = np.where(grow, hi, lo)
        hi = np.where(grow, 2.0 * hi, hi)
    y = 0.5 * (lo + hi)
    for _ in range(200):
        fy = f(y)
        lo = np.where(fy > 0, y, lo)
        hi = np.where(fy < 0, y, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = y - fy / df(y)
        inside = np.isfinite(newton) & (newton > lo) & (newton < hi)
        nxt = np.where(fy == 0, y, np.where(inside, newton, 0.5 * (lo + hi)))
        if np.all(np.abs(nxt - y) <= 4 * np.finfo(float).eps * np.abs(nxt)):
            return nxt
        y = nxt
    return y


def _balanced(p: np.ndarray) -> tuple[np.ndarray, float]:
    """p(y) (highest power first, non-zero at both ends) rewritten in u = y / s
    with s = (|p_0| / |p_n|)^(1/n), then divided by its largest coefficient,
    all in logarithms: the roots are u = y / s, and no coefficient overflows
    (numpy.roots divides by the leading one: eps = 1e308 over 0.5 was inf)."""
    n = p.size - 1
    nz = p != 0
    logs = np.full(p.shape, -np.inf)
    logs[nz] = np.log(np.abs(p[nz]))
    log_s = (logs[-1] - logs[0]) / n
    shifted = logs + np.arange(n, -1, -1) * log_s
    return np.sign(p) * np.exp(shifted - shifted[nz].max()), float(log_s)


def _horner(coefficients: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sum_k coefficients[k] y^k."""
    out = np.zeros_like(y)
    for c in coefficients[::-1]:
        out = out * y + c
    return out


@dataclass(frozen=True)
class Polynomial(Activation):
    """q(y) = eps + sum (power, coefficient) terms, powers >= 1."""

    q: tuple[tuple[int, float], ...] = ((2, -1.0),)
    name = "polynomial"

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Polynomial":
        reject_unknown(params, ("q",), cls.name)
        raw = params.get("q")
        if isinstance(raw, tuple):
            raw = dict(raw)
        if not isinstance(raw, Mapping) or not raw:
            raise NetworkError(
                "polynomial parameter 'q' must be an object {power: coefficient}, e.g. {\"3\": -1} "
                "for q(y) = eps - y^3 (the constant term is the layer's epsilon)"
            )
        terms: dict[int, float] = {}
        for key, value in raw.items():
            try:
                power = int(key)
            except (TypeError, ValueError):
                power = -1
            if isinstance(key, bool) or power < 0 or str(key).strip() != str(power):
                raise NetworkError(f"polynomial parameter 'q' has power {key!r}; powers are integers >= 1")
            if power == 0:
                raise NetworkError("polynomial parameter 'q' has a constant term '0'; the constant is the layer's epsilon")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise NetworkError(f"polynomial parameter 'q.{key}' is {value!r}; expected a finite number")
            if value != 0:
                terms[power] = float(value)
        if not terms:
            raise NetworkError("polynomial parameter 'q' has no non-zero term; q(y)/y must decrease to -infinity")
        return cls(tuple(sorted(terms.items())))

    def params(self) -> Params:
        return (("q", self.q),)

    def json_params(self) -> dict[str, Any]:
        return {"q": {str(k): c for k, c in self.q}}

    def describe(self) -> str:
        terms = " ".join(f"{'+' if c > 0 else '-'} {abs(c):g} y^{k}" for k, c in self.q)
        return f"polynomial(q = eps {terms})"

    def coefficients(self, epsilon: float) -> np.ndarray:
        """c_0 .. c_n with c_0 = epsilon."""
        c = np.zeros(max(k for k, _ in self.q) + 1)
        c[0] = epsilon
        for k, v in self.q:
            c[k] = v
        return c

    def check(self, epsilon: float) -> None:
        c = self.coefficients(epsilon)
        n = c.size - 1
        if n < 2 or c[n] >= 0:
            raise NetworkError(
                f"polynomial q has leading term {c[n]:g} y^{n}; it needs degree >= 2 and a negative "
                "leading coefficient so that q(y)/y decreases to -infinity"
            )
        # p(y) = c0 - sum_{k>=2} (k-1) c_k y^k, highest power first for numpy.roots
        p = np.array([-(k - 1) * c[k] for k in range(n, 1, -1)] + [0.0, c[0]])
        with np.errstate(over="ignore"):
            direct = bool(np.all(np.isfinite(p[1:] / p[0])))  # numpy.roots' companion matrix
        scaled, log_s = (p, 0.0) if direct else _balanced(p)
        if np.any((scaled == 0) & (p != 0)):
            raise NetworkError(
                "polynomial q: its coefficients and epsilon span too many orders of magnitude for the "
                "uniqueness check (p(y) = c0 - sum (k-1) c_k y^k has no positive root) in double precision; "
                "rescale them (for example a smaller epsilon or smaller higher coefficients)"
            )
        for u in np.roots(scaled):  # the roots of p are u * exp(log_s): the same signs, the same realness
            if abs(u.imag) <= 1e-9 * max(1.0, abs(u)) and u.real > 0:
                with np.errstate(over="ignore"):
                    root = float(u.real * np.exp(log_s))
                raise NetworkError(
                    f"polynomial q makes q(y)/y increase near y = {root:.6g} (p(y) = c0 - sum (k-1) c_k y^k "
                    "has a positive root), so the fixed point need not be unique; raise epsilon or make "
                    "the higher coefficients negative"
                )

    def q_terms(self, epsilon: float) -> tuple[QTerm, ...]:
        return (QTerm(0, epsilon, "eps"), *(QTerm(k, c, f"q{k}") for k, c in self.q))

    def unit_reference(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        c = self.coefficients(epsilon)
        dc = c[1:] * np.arange(1, c.size)
        return _positive_root(lambda y: z * y + _horner(c, y), lambda y: z + _horner(dc, y), z.shape)

    def unit_derivative(self, z: np.ndarray, epsilon: float) -> np.ndarray:
        # implicit differentiation of z*y + q(y) = 0: sigma' = sigma / lambda
        z = np.asarray(z, dtype=float)
        sigma = self.unit_reference(z, epsilon)
        c = self.coefficients(epsilon)
        lam = -(z + _horner(c[1:] * np.arange(1, c.size), sigma))
        return sigma / lam

    def unsmoothed(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        g = self.coefficients(0.0)[1:]  # G(y) = (z + c1) + c2 y + ...
        dg = g[1:] * np.arange(1, g.size)
        base = z + g[0]
        live = base > 0
        root = _positive_root(lambda y: np.where(live, base, 1.0) + _horner(np.r_[0.0, g[1:]], y),
                              lambda y: _horner(dg, y), z.shape)
        return np.where(live, root, 0.0)

    def gap_bound(self, epsilon: float) -> tuple[float, float]:
        if all(c <= 0 for k, c in self.q if k >= 2):
            linear = dict(self.q).get(1, 0.0)
            return 0.0, float(self.unit_reference(np.array(-linear), epsilon))
        return 0.0, math.inf
