"""MkDocs hooks: pages that are generated from the code and the repository at
build time, so they cannot drift from it.

- ``<!-- crn2sbml-help: COMMAND -->`` becomes ``crn2sbml COMMAND --help``
  (the parser of crn2sbml.cli, as the shell shows it; ``crn2sbml`` alone for the
  top-level help).
- ``<!-- include: PATH -->`` becomes the repository file PATH (benchmarks/*.md,
  validation/README.md: kept beside their scripts), without its title, headings
  one level down, and links to repository files turned into code spans (they
  are not pages of the site).
- Images the pages use from models/ are added to the site under assets/.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
HELP = re.compile(r"<!-- crn2sbml-help: ?([a-z]*) -->")
INCLUDE = re.compile(r"<!-- include: (\S+) -->")
LINK = re.compile(r"(!?)\[([^\]]*)\]\((?!https?:|#|mailto:)([^)\s]+)\)")
ASSETS = {"assets/eps_sweep.png": "models/digits/eps_sweep.png"}


def _help(command: str) -> str:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["COLUMNS"] = "80"  # argparse wraps to the terminal; fix it for the page
    from crn2sbml.cli import build_parser

    parser = build_parser()
    if command:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[command]
    return f"```text\n$ {parser.prog} --help\n{parser.format_help().rstrip()}\n```"


def _include(path: str) -> str:
    lines, fenced = [], False
    text = (ROOT / path).read_text(encoding="utf-8")
    text = re.sub(r"\A# [^\n]*\n", "", text)  # the file's title: the page has its own
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            line = re.sub(r"^(#+) ", r"#\1 ", line)
            line = LINK.sub(lambda m: m.group(0) if m.group(1) else f"{m.group(2)} (`{m.group(3)}`)", line)
        lines.append(line)
    return "\n".join(lines)


def _repository_links(markdown: str, page_file: Path) -> str:
    """A link from a page to a repository file outside docs/ (design.md cites
    the modules) becomes a code span: the file exists but is not a page. A link
    to a file that does not exist is left for mkdocs to report."""
    def rewrite(m: re.Match) -> str:
        target = (page_file.parent / m.group(3).split("#")[0]).resolve()
        inside_docs = (ROOT / "docs") in target.parents
        if m.group(1) or inside_docs or not target.exists():
            return m.group(0)
        return f"{m.group(2)} (`{target.relative_to(ROOT)}`)" if m.group(2).strip("`") != target.name and \
            m.group(2).strip("`") != str(target.relative_to(ROOT)) else f"`{target.relative_to(ROOT)}`"
    return LINK.sub(rewrite, markdown)


def on_page_markdown(markdown: str, page, **_: object) -> str:
    markdown = HELP.sub(lambda m: _help(m.group(1)), markdown)
    markdown = INCLUDE.sub(lambda m: _include(m.group(1)), markdown)
    return _repository_links(markdown, Path(page.file.abs_src_path or ROOT / "docs" / page.file.src_uri))


def on_files(files: Files, config, **_: object) -> Files:
    for uri, source in ASSETS.items():
        files.append(File.generated(config, uri, abs_src_path=str(ROOT / source)))
    return files
