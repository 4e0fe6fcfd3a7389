"""The compile formats' writers, which the output-format registry
(crn2sbml.formats) names: each renders a CRN as text and writes it to a file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..crn import CRN
from .antimony import to_antimony, write_antimony
from .sbml import to_sbml, write_sbml
from .text import to_text, write_text


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    render: Callable[[CRN], str]
    write: Callable[[CRN, str | os.PathLike[str]], Path]


SBML = Format("sbml", ".xml", to_sbml, write_sbml)
ANTIMONY = Format("antimony", ".ant", to_antimony, write_antimony)
CRN_TEXT = Format("crn", ".crn", to_text, write_text)
