"""Progress bars (tqdm) for long work: validation, sweeps, training, large
compiles and roadrunner's JIT. Shown on stderr only when it is a terminal (or
a Jupyter notebook's cell output) and progress is enabled (the command line's
``--quiet`` disables it for the length of one command); otherwise nothing is
written, so logs, pipes and CI stay clean. The library's results never travel
through these bars."""

from __future__ import annotations

import logging
import sys
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterable, Iterator

from tqdm import tqdm

_ENABLED: ContextVar[bool] = ContextVar("crn2sbml_progress", default=True)
log = logging.getLogger("crn2sbml")


@contextmanager
def progress_enabled(enabled: bool) -> Iterator[None]:
    """With ``enabled`` False, no bar is drawn while the block runs (``--quiet``,
    a validation without ``progress``); True leaves the outer setting."""
    token = _ENABLED.set(_ENABLED.get() and enabled)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def shown(enabled: bool = True) -> bool:
    """Whether a bar asked for with ``enabled`` is drawn now: enabled, not
    switched off by the command line, and stderr (as it is now) a terminal
    or a Jupyter kernel's stream (a notebook redraws the line on its ``\\r``)."""
    stream = sys.stderr
    if not (enabled and _ENABLED.get() and stream is not None):
        return False
    if type(stream).__module__.startswith("ipykernel."):
        return True
    return bool(hasattr(stream, "isatty") and stream.isatty())


class Bar:
    """A tqdm bar, or nothing when not shown. ``note`` writes a line that must
    be seen either way (a failure): above the bar, or as a log warning."""

    def __init__(self, iterable: Iterable[Any] | None = None, *, total: int | None = None, desc: str = "",
                 unit: str = "it", enabled: bool = True, delay: float = 0.0, bar_format: str | None = None):
        self.on = shown(enabled)
        self._bar = tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                         dynamic_ncols=True, delay=delay, disable=not self.on, bar_format=bar_format)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._bar)

    def update(self, n: int = 1, status: str | None = None) -> None:
        if status is not None:
            self.status(status)
        self._bar.update(n)

    def status(self, text: str) -> None:
        """What is being done now, after the counts."""
        if self.on:
            self._bar.set_postfix_str(text, refresh=True)

    def note(self, text: str) -> None:
        if self.on:
            self._bar.write(text, file=sys.stderr)
        else:
            log.warning(text)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> "Bar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def activity(desc: str, *, enabled: bool = True, delay: float = 1.0) -> Iterator[None]:
    """A spinner with the elapsed time for one long call that reports no
    progress of its own (roadrunner's JIT, a large compile); drawn only once
    the call has taken ``delay`` seconds."""
    bar = Bar(total=None, desc=desc, enabled=enabled, delay=delay, bar_format="{desc} ... {elapsed}")
    if not bar.on:
        yield
        return
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            bar.update(0)  # the elapsed time moves though no work is counted (and the delay is kept)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        bar.close()
