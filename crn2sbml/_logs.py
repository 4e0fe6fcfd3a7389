"""Showing the library's log records. The library only logs (one logger per
module, all under ``crn2sbml``) and never writes progress to a stream itself;
a command line decides what is shown, and only for the length of one command,
so nothing is left configured after it returns (tests and embedding programs
call ``main`` many times in one process)."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Iterator, TextIO


class _CurrentStream(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` (or ``sys.stdout``) as it is when a record
    comes, not as it was when the handler was made: callers and pytest's
    capture swap those streams."""

    def __init__(self, which: str) -> None:
        self._which = which
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return getattr(sys, self._which)

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass  # always the current one


@contextmanager
def show_logs(level: int, *, stream: str = "stderr", logger: str = "crn2sbml",
              exclude: tuple[str, ...] = ()) -> Iterator[None]:
    """Show the records of ``logger`` (and its children) at ``level`` and
    above on ``stream`` ("stderr" or "stdout"), message only, while the block
    runs; records of the loggers in ``exclude`` (and their children) are left
    to another handler."""
    log = logging.getLogger(logger)
    handler = _CurrentStream(stream)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(message)s"))
    if exclude:
        handler.addFilter(lambda r: not any(r.name == e or r.name.startswith(e + ".") for e in exclude))
    saved = log.level
    log.setLevel(level)
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(saved)
