"""Atomic file output: write to a temporary file beside the target, then
rename, so a failed run never leaves a half-written file or destroys an old one."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from .errors import OutputError


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create an output folder, turning OS failures into an OutputError."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create output folder '{folder}': {exc.strerror}; choose a writable location"
        ) from None
    if not os.access(folder, os.W_OK):
        raise OutputError(f"output folder '{folder}' is not writable; choose another location")
    return folder


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``,
    on any failure delete it and leave ``path`` untouched."""
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
        os.close(fd)
    except OSError as exc:
        raise OutputError(
            f"cannot write '{target}': {exc.strerror}; choose a writable output folder"
        ) from None
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"cannot write '{target}': {exc.strerror}") from None
        raise


@contextlib.contextmanager
def staged_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a hidden temporary folder inside the existing folder ``path``. On
    success every file written into it is moved over the file of the same name
    in ``path``; on any failure nothing in ``path`` changes. Either way the
    temporary folder is removed."""
    folder = Path(path)
    try:
        stage = Path(tempfile.mkdtemp(prefix=".crn2sbml-", dir=folder))
    except OSError as exc:
        raise OutputError(
            f"cannot write into output folder '{folder}': {exc.strerror}; choose a writable location"
        ) from None
    try:
        yield stage
        moves = [(f, folder / f.name) for f in sorted(stage.iterdir())]
        for _, target in moves:  # check all before replacing any
            if target.is_dir():
                raise OutputError(f"cannot write '{target}': a folder of that name is in the way; remove it")
        for staged, target in moves:
            try:
                os.replace(staged, target)
            except OSError as exc:
                raise OutputError(f"cannot write '{target}': {exc.strerror}") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    return write_lines_atomic(path, (text,))


def write_lines_atomic(path: str | os.PathLike[str], pieces: Iterable[str]) -> Path:
    """Stream text pieces (written as given: they carry their own newlines) to
    ``path`` atomically; large models are never held as one string."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for piece in pieces:
            fh.write(piece)
    return Path(path)
