"""Emitters: one module per format, chosen from an explicit registry."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..crn import CRN
from ..errors import UnknownNameError
from .antimony import to_antimony, write_antimony
from .sbml import to_sbml, write_sbml
from .text import to_text, write_text


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    render: Callable[[CRN], str]
    write: Callable[[CRN, str | os.PathLike[str]], Path]


FORMATS: dict[str, Format] = {
    "sbml": Format("sbml", ".xml", to_sbml, write_sbml),
    "antimony": Format("antimony", ".ant", to_antimony, write_antimony),
    "crn": Format("crn", ".crn", to_text, write_text),
}


def get_format(name: str) -> Format:
    if name not in FORMATS:
        raise UnknownNameError(f"unknown format '{name}'; known formats: {', '.join(FORMATS)}")
    return FORMATS[name]


def write_model(
    crn: CRN, out_dir: str | os.PathLike[str], formats: tuple[str, ...] = tuple(FORMATS)
) -> dict[str, Path]:
    """Write ``crn`` in each format to ``out_dir/<name><suffix>``. Unknown
    format names fail before anything is written; each file is atomic."""
    from .._atomic import ensure_dir

    chosen = [get_format(f) for f in formats]
    folder = ensure_dir(out_dir)
    return {f.name: f.write(crn, folder / f"{crn.name}{f.suffix}") for f in chosen}


__all__ = ["FORMATS", "write_model", "Format", "get_format", "to_antimony", "to_sbml", "to_text",
           "write_antimony", "write_sbml", "write_text"]
