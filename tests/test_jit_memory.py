"""roadrunner's LLJIT needs a model's code and data sections within 2 GiB of
each other (small code model); crn2sbml's loads reserve the free gaps of the
address space while a model compiles so they stay together
(crn2sbml/simulate/_jit_memory.py). These tests build the layout that crashed
long test processes on purpose: a one-page hole high up and the allocation
frontier gigabytes below it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crn2sbml.simulate._jit_memory import free_gaps

ROOT = Path(__file__).resolve().parents[1]

# Reserve every free gap, then 2.5 GiB just under the frontier (and the gap its
# alignment leaves), then punch a one-page hole above that: LLVM's small data section takes the hole, its
# code goes 2.5 GiB lower.
_LAYOUT = textwrap.dedent("""
    import ctypes, sys
    sys.path.insert(0, {root!r})
    from crn2sbml.simulate.roadrunner import _roadrunner
    from crn2sbml.simulate._jit_memory import free_gaps
    _roadrunner()
    libc = ctypes.CDLL(None)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    flags = 0x02 | 0x20 | 0x4000  # private, anonymous, no reserve: address space only
    def fill():
        for lo, hi in free_gaps(open("/proc/self/maps").read()):
            libc.mmap(lo, hi - lo, 0, flags | 0x100000, -1, 0)
    fill()
    hole = libc.mmap(None, 1 << 16, 0, flags, -1, 0)
    libc.mmap(None, int(2.5 * (1 << 30)), 0, flags, -1, 0)
    fill()  # the alignment gap between the two
    libc.munmap(hole, 4096)
""")


def _run(body: str) -> subprocess.CompletedProcess[str]:
    script = _LAYOUT.format(root=str(ROOT)) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the guard reads /proc/self/maps (Linux)")


def test_roadrunner_lljit_crashes_when_sections_are_far_apart() -> None:
    """The root cause, shown: a bare roadrunner load in that layout dies with
    SIGSEGV in the RoadRunner constructor. If a roadrunner release stops
    crashing here, the guard in simulate/_jit_memory.py can go."""
    res = _run(f"""
        import roadrunner
        roadrunner.RoadRunner(open({str(ROOT / 'models/xor/xor.xml')!r}).read())
        print("loaded")
    """)
    assert res.returncode == -11, (res.returncode, res.stdout, res.stderr[-2000:])


def test_guarded_load_survives_far_apart_sections_and_gives_the_forward_pass() -> None:
    res = _run(f"""
        import numpy as np
        from crn2sbml.loader import load_model
        from crn2sbml.network import load_network
        from crn2sbml.simulate import get_simulator
        from crn2sbml.simulate.acceptance import find_steady_state
        net = load_network({str(ROOT / 'models/xor.json')!r})
        model = load_model({str(ROOT / 'models/xor/xor.xml')!r})
        sim = get_simulator("roadrunner", model.crn)
        for x in ([0.0, 1.0], [1.0, 1.0], [0.3, 0.8]):
            ss = find_steady_state(sim, net, inputs=x)
            print(float(np.max(np.abs(np.asarray(ss.output_values) - net.forward(x)))))
    """)
    assert res.returncode == 0, (res.returncode, res.stderr[-2000:])
    errors = [float(v) for v in res.stdout.split()]
    assert len(errors) == 3 and max(errors) < 1e-8, errors


def test_free_gaps_lists_holes_above_the_frontier_but_not_the_stack_room() -> None:
    maps = "\n".join([
        "555555554000-555555556000 r-xp 00000000 fe:00 1 /usr/bin/python3",
        "555555556000-555555600000 rw-p 00000000 00:00 0 [heap]",
        "7f0000000000-7f0000010000 rw-p 00000000 00:00 0",  # the frontier's top
        "7f0000020000-7f0000030000 r-xp 00000000 fe:00 2 /lib/libm.so.6",  # a 64 KiB hole below
        "7f0000031000-7f0000040000 r--p 00000000 fe:00 3 /lib/libc.so.6",  # a one-page hole below
        "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]",
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]",
    ])
    assert free_gaps(maps) == [(0x7F0000010000, 0x7F0000020000), (0x7F0000030000, 0x7F0000031000)]
    assert free_gaps("") == []
