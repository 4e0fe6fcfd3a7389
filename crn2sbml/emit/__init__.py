"""Emitters: one module per format, chosen from an explicit registry."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .._atomic import ensure_dir, staged_folder
from ..crn import CRN
from ..errors import UnknownNameError
from .antimony import antimony_lines, to_antimony, write_antimony
from .sbml import LEVELS, stream_sbml, to_sbml, write_sbml
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
    crn: CRN,
    out_dir: str | os.PathLike[str],
    formats: tuple[str, ...] = tuple(FORMATS),
    *,
    sbml_version: int = 2,
) -> dict[str, Path]:
    """Write ``crn`` in each format to ``out_dir/<name><suffix>`` (SBML as
    Level 3 Version ``sbml_version``). Bad arguments fail before the folder is
    touched; the files are staged and then moved into place together."""
    chosen = [get_format(f) for f in formats]
    if (3, sbml_version) not in LEVELS:
        raise UnknownNameError(f"SBML Level 3 Version {sbml_version} is not supported; use 1 or 2")
    folder = ensure_dir(out_dir)
    # all formats or none: a failure midway leaves the folder's files as they were
    with staged_folder(folder) as stage:
        for f in chosen:
            path = stage / f"{crn.name}{f.suffix}"
            write_sbml(crn, path, 3, sbml_version) if f.name == "sbml" else f.write(crn, path)
    return {f.name: folder / f"{crn.name}{f.suffix}" for f in chosen}


__all__ = ["FORMATS", "write_model", "Format", "get_format", "antimony_lines", "stream_sbml", "to_antimony",
           "to_sbml", "to_text", "write_antimony", "write_sbml", "write_text"]
