"""Atomic file output: write to a temporary file beside the target, then
rename, so a failed run never leaves a half-written file or destroys an old one.

Temporary names carry the writing process's id: what a killed process
(SIGKILL, power loss) left behind is removed by the next write into the same
folder once that process is gone (same host; a live process's files are never
touched)."""

from __future__ import annotations

import contextlib
import os
import re
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


_PID = re.compile(r"\.(?:crn2sbml-|.*\.)(\d+)-[^/]*$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def _remove_orphans(folder: Path, pattern: str) -> None:
    """Temporary files and stage folders (``pattern``) in ``folder`` left by processes that no longer run."""
    with contextlib.suppress(OSError):
        for leftover in folder.glob(pattern):
            m = _PID.match(leftover.name)
            if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
                continue
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    leftover.unlink()


def write_failed(target: Path, exc: OSError) -> OutputError:
    """The one error of every writer whose write failed (a full disk, a
    permission, a vanished folder): the target and the system's reason."""
    return OutputError(f"cannot write '{target}': {exc.strerror or exc}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``,
    on any failure delete it and leave ``path`` untouched."""
    target = Path(path)
    _remove_orphans(target.parent, f".{glob_escape(target.name)}.*-*.tmp")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp", dir=target.parent or ".")
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
            raise write_failed(target, exc) from None
        raise


@contextlib.contextmanager
def staged_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a hidden temporary folder inside the existing folder ``path``. On
    success every file written into it is moved over the file of the same name
    in ``path``; on any failure nothing in ``path`` changes (an OSError of the
    writers, such as a full disk, becomes the OutputError of ``write_failed``).
    Either way the temporary folder is removed."""
    folder = Path(path)
    _remove_orphans(folder, ".crn2sbml-*-*")
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".crn2sbml-{os.getpid()}-", dir=folder))
    except OSError as exc:
        raise OutputError(
            f"cannot write into output folder '{folder}': {exc.strerror}; choose a writable location"
        ) from None
    try:
        try:
            yield stage
        except OSError as exc:
            if isinstance(exc, OutputError):
                raise
            # named as the file it was to become, not the hidden stage it was written in
            raise write_failed(folder / Path(exc.filename).name if exc.filename else folder, exc) from None
        moves = [(f, folder / f.name) for f in sorted(stage.iterdir())]
        for _, target in moves:  # check all before replacing any
            if target.is_dir():
                raise OutputError(f"cannot write '{target}': a folder of that name is in the way; remove it")
        for staged, target in moves:
            try:
                os.replace(staged, target)
            except OSError as exc:
                raise write_failed(target, exc) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    return write_lines_atomic(path, (text,))


def write_lines_atomic(path: str | os.PathLike[str], pieces: Iterable[str]) -> Path:
    """Stream text pieces (written as given: they carry their own newlines) to
    ``path`` atomically; large models are never held as one string."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for piece in pieces:
            fh.write(piece)
    return Path(path)
