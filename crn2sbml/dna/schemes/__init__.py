"""Registry of translation schemes: one module per published scheme, listed
here (the way activations are). A scheme refuses, by name, every reaction
form it is not correct on."""

from __future__ import annotations

from ...errors import UnknownNameError
from .base import FORMS, Module, Scheme, reaction_form
from .lakin2012 import Lakin2012
from .soloveichik2010 import Soloveichik2010

_REGISTRY: dict[str, type[Scheme]] = {cls.name: cls for cls in (Lakin2012, Soloveichik2010)}


def known_schemes() -> list[str]:
    return sorted(_REGISTRY)


def get_scheme(name: str) -> Scheme:
    if name not in _REGISTRY:
        raise UnknownNameError(f"unknown scheme {name!r}; use one of {', '.join(known_schemes())} (--scheme)")
    return _REGISTRY[name]()


__all__ = ["FORMS", "Module", "Scheme", "get_scheme", "known_schemes", "reaction_form"]
