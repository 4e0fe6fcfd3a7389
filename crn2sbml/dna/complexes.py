"""Domain-level complexes as the translation schemes write them: strands of
named domains with a dot-bracket structure per domain, and their text in
peppercorn's kernel notation (``a( b c* + d )``)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("signal", "fuel", "waste")


@dataclass(frozen=True)
class Complex:
    """``strands``: each a tuple of domain names (``t*`` the complement of
    ``t``); ``structure``: one of "(", ")", "." per domain, in the same order."""

    name: str
    strands: tuple[tuple[str, ...], ...]
    structure: tuple[tuple[str, ...], ...]
    role: str  # ROLES: a signal stands for a formal species, fuels are supplied in excess

    @classmethod
    def parse(cls, name: str, domains: str, structure: str, role: str) -> "Complex":
        """From the schemes' notation: ``"a t + t* a*"`` with ``"( ( + ) )"``."""
        d, s = domains.split(), structure.split()
        if len(d) != len(s) or any((x == "+") != (y == "+") for x, y in zip(d, s)):
            raise ValueError(f"complex {name}: domains {domains!r} and structure {structure!r} do not line up")
        strands, shape, cur, cur_s = [], [], [], []
        for x, y in zip(d + ["+"], s + ["+"]):
            if x == "+":
                if cur:
                    strands.append(tuple(cur))
                    shape.append(tuple(cur_s))
                cur, cur_s = [], []
            else:
                cur.append(x)
                cur_s.append(y)
        return cls(name, tuple(strands), tuple(shape), role)

    @property
    def kernel(self) -> str:
        """Peppercorn's kernel notation: a paired domain opens ``d(``, its partner closes ``)``."""
        parts = []
        for k, (strand, shape) in enumerate(zip(self.strands, self.structure)):
            if k:
                parts.append("+")
            parts += [f"{d}(" if s == "(" else ")" if s == ")" else d for d, s in zip(strand, shape)]
        return " ".join(parts)

    @property
    def domains(self) -> set[str]:
        return {d.rstrip("*") for strand in self.strands for d in strand}


def free_strand(name: str, domains: str, role: str) -> Complex:
    return Complex.parse(name, domains, " ".join("." for _ in domains.split()), role)


__all__ = ["Complex", "ROLES", "free_strand"]
