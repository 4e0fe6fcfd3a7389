"""Keep roadrunner's JIT sections within reach of each other.

roadrunner 2.10's LLJIT backend compiles models with LLVM's small code model:
the generated code reaches its constants through 32-bit PC-relative offsets,
so a model's code and data sections must lie within 2 GiB of each other.
LLVM maps each section separately and the kernel puts each mapping in the
highest free gap that fits, so in a long-lived process with a fragmented
address space (hundreds of loads beside torch, COPASI, ...) a small data
section can land in a hole high up while the code lands gigabytes below. The
relocation then overflows silently (release builds) and the first call into
the model, in the RoadRunner constructor, dies with SIGSEGV. Measured here:
sections 1.9 GiB apart load, 2.1 GiB apart crash, every time
(tests/test_jit_memory.py builds that layout on purpose).

The guard: while a model compiles, every free gap above the lowest mapping
is reserved (PROT_NONE, no memory committed), so every new mapping goes
to the one frontier below and the sections end up next to each other.
The reservations are released as soon as the load returns. Linux only; elsewhere
(or if /proc/self/maps cannot be read) the guard does nothing."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import threading
from typing import Iterator

_PROT_NONE = 0
_MAP_PRIVATE = 0x02
_MAP_ANONYMOUS = 0x20
_MAP_NORESERVE = 0x4000
_MAP_FIXED_NOREPLACE = 0x100000  # Linux >= 4.17; older kernels treat it as a hint (checked below)
_MAP_FAILED = ctypes.c_void_p(-1).value
_LOCK = threading.Lock()


@functools.cache  # once per process: a load should not reopen libc
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):
        return None


def free_gaps(maps: str) -> list[tuple[int, int]]:
    """The free (start, end) gaps of a /proc/<pid>/maps text that lie above
    its largest gap below the stack (the frontier where new mappings go):
    the holes an allocation could land in far from the frontier. The gap just
    below the stack is its growth room and is never listed."""
    spans: list[tuple[int, int, str]] = []
    for line in maps.splitlines():
        fields = line.split(maxsplit=5)
        if not fields:
            continue
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        spans.append((lo, hi, fields[5] if len(fields) > 5 else ""))
    spans.sort()
    stack = next((i for i, s in enumerate(spans) if s[2].strip() == "[stack]"), None)
    if stack is None or stack < 2:
        return []
    gaps = [(spans[i][1], spans[i + 1][0]) for i in range(stack - 1) if spans[i + 1][0] > spans[i][1]]
    if not gaps:
        return []
    frontier = max(range(len(gaps)), key=lambda i: gaps[i][1] - gaps[i][0])
    return gaps[frontier + 1:]


@contextlib.contextmanager
def compact_jit_sections() -> Iterator[None]:
    """Reserve the free gaps above the mmap frontier for the duration of a
    roadrunner load (see the module docstring), then release them."""
    libc = _libc()
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        maps = ""
    if libc is None or not maps:
        yield
        return
    with _LOCK:
        held: list[tuple[int, int]] = []
        try:
            for lo, hi in free_gaps(maps):
                addr = libc.mmap(lo, hi - lo, _PROT_NONE,
                                 _MAP_PRIVATE | _MAP_ANONYMOUS | _MAP_NORESERVE | _MAP_FIXED_NOREPLACE, -1, 0)
                if addr in (None, _MAP_FAILED):
                    continue  # taken meanwhile by another thread: nothing to release
                if addr != lo:  # a kernel older than 4.17 took the address as a hint only
                    libc.munmap(addr, hi - lo)
                    continue
                held.append((addr, hi - lo))
            yield
        finally:
            for addr, size in held:
                libc.munmap(addr, size)
