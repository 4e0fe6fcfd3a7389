"""The one rule for random seeds (validation, sweeps, predict, training):
numpy's generators take whole numbers >= 0 only, so a negative seed is a
usage error naming its field, not numpy's ValueError from deep inside a check."""

from __future__ import annotations

import numbers

from .errors import InputError


def check_seed(value: object, where: str = "seed") -> int:
    """``value`` as an int if it is a whole number >= 0, else an InputError naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InputError(f"{where} is {value!r}; a seed is a whole number >= 0, e.g. 0")
    return int(value)
