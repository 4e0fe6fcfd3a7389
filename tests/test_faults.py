"""Faults from outside: a process killed (SIGKILL) while it writes, two
processes filling roadrunner's cache at once, a damaged cache file, a full
disk. Each leaves every output either complete (the previous file or the new
one) or absent, never half-written; the cache is only ever read after its
checksum is verified. Real processes: the kill and the exit are the OS's."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import make_network, oracle_forward, run_cli

ROOT = Path(__file__).resolve().parent.parent
XOR = ROOT / "models" / "xor.json"
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def crn2sbml(*args, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crn2sbml", *map(str, args)], cwd=cwd, env=env or ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}


def kill_after(proc: subprocess.Popen, seconds: float) -> None:
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()


@pytest.fixture(scope="module")
def big_network(tmp_path_factory) -> Path:
    """A network whose compile takes a few seconds (about 10,000 reactions)."""
    net = make_network(np.random.default_rng(7), (40, 60, 60, 40, 10), 0.01)
    return write_named(net, tmp_path_factory.mktemp("big") / "big.json")


def write_named(net, path: Path) -> Path:
    data = json.loads(net.to_json())
    data["name"] = path.stem
    path.write_text(json.dumps(data))
    return path


def complete_or_previous(out: Path, previous: dict[str, bytes], new: dict[str, bytes]) -> None:
    """Every visible file is byte-identical to the earlier run's or to a complete new run's."""
    for name, data in files(out).items():
        if name.startswith(".") or data == previous.get(name):
            continue
        if name.endswith(".omex"):  # a zip records its write time: complete = readable with the same members
            import io
            import zipfile

            with zipfile.ZipFile(io.BytesIO(data)) as got, zipfile.ZipFile(io.BytesIO(new[name])) as want:
                assert got.testzip() is None and got.namelist() == want.namelist(), f"{name} is half-written"
            continue
        assert data == new.get(name), f"{name} is half-written ({len(data)} bytes)"
    assert set(n for n in files(out) if not n.startswith(".")) <= set(previous) | set(new)


def test_sigkill_during_large_compile_leaves_previous_or_complete_files(big_network, tmp_path):
    # the complete new outputs, and the folder as an earlier (different) compile left it
    ref = tmp_path / "ref"
    assert crn2sbml("compile", big_network, "--out", ref, cwd=tmp_path).wait() == 0
    new = files(ref)
    start = time.monotonic()
    out = tmp_path / "out"
    assert crn2sbml("compile", XOR, "--out", out, cwd=tmp_path).wait() == 0
    shutil.copy(ref / "big.xml", out / "big.xml")  # an earlier complete big.xml ...
    (out / "big.ant").write_text("// an earlier big.ant\n")  # ... and an earlier, different big.ant
    previous = files(out)
    full = (time.monotonic() - start)  # one process start + a small compile: the kill delays scale on it
    for fraction in (0.8, 1.2, 1.6, 2.0, 2.5, 3.0):
        proc = crn2sbml("compile", big_network, "--out", out, cwd=tmp_path)
        kill_after(proc, fraction * full)
        complete_or_previous(out, previous, new)
    # the next run cleans what the killed ones left (their temporary files) and writes everything
    assert crn2sbml("compile", big_network, "--out", out, cwd=tmp_path).wait() == 0
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert files(out)["big.xml"] == new["big.xml"]


def test_sigkill_during_export_leaves_previous_or_complete_files(tmp_path):
    args = ("export", XOR, "--format", "omex,tellurium,nuskell,dsd", "--inputs", "1,0;0,1")
    ref = tmp_path / "ref"
    start = time.monotonic()
    done = crn2sbml(*args, "--out", ref, cwd=tmp_path)
    assert done.wait() == 0, done.stderr.read()
    full = time.monotonic() - start
    new = files(ref)
    out = tmp_path / "out"
    out.mkdir()
    (out / "xor.dsd").write_text("an earlier export\n")
    previous = files(out)
    for fraction in (0.3, 0.5, 0.7, 0.85, 0.95):
        kill_after(crn2sbml(*args, "--out", out, cwd=tmp_path), fraction * full)
        complete_or_previous(out, previous, new)


CACHE_LOOP = """
import sys
from pathlib import Path
from crn2sbml import load_network, compile_network
from crn2sbml.simulate.roadrunner import RoadRunnerSimulator, cache_file, model_text
net = load_network(sys.argv[1]); crn = compile_network(net)
folder = Path(sys.argv[2])
print("ready", flush=True)
while True:  # compile and save again and again, so a kill lands in a save
    for f in folder.glob("*"):
        f.unlink()
    RoadRunnerSimulator(crn, cache=folder)
"""

CACHE_LOAD = """
import json, sys
from pathlib import Path
from crn2sbml import load_network, compile_network, find_steady_state
from crn2sbml.simulate.roadrunner import RoadRunnerSimulator
net = load_network(sys.argv[1]); x = json.loads(sys.argv[3])
sim = RoadRunnerSimulator(compile_network(net, inputs=x), cache=Path(sys.argv[2]))
print(json.dumps(find_steady_state(sim, net).output_values.tolist()))
"""


def cached_outputs(net_file: Path, cache: Path, x: list[float]) -> list[float]:
    done = subprocess.run([sys.executable, "-c", CACHE_LOAD, str(net_file), str(cache), json.dumps(x)], env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_cache_valid(cache: Path) -> None:
    from crn2sbml.simulate.roadrunner import _verified

    states = list(cache.glob("*.rrstate"))
    assert states and all(_verified(p) for p in states), [p.name for p in cache.iterdir()]


@pytest.fixture(scope="module")
def mid_network(tmp_path_factory) -> tuple[Path, object]:
    net = make_network(np.random.default_rng(3), (6, 10, 10, 2), 0.01)
    return write_named(net, tmp_path_factory.mktemp("mid") / "mid.json"), net


def test_sigkill_during_cache_write_leaves_a_cache_that_loads_right(mid_network, tmp_path):
    path, net = mid_network
    x = [0.3] * 6
    cache = tmp_path / "cache"
    cache.mkdir()
    rng = random.Random(1)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", CACHE_LOOP, str(path), str(cache)], env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        kill_after(proc, rng.uniform(0.5, 3.0))
        # whatever the kill left, the next load is right and leaves a verified cache
        np.testing.assert_allclose(cached_outputs(path, cache, x), oracle_forward(net, x), rtol=1e-8)
        assert_cache_valid(cache)
        assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no orphaned temporary file


def test_two_processes_fill_the_cache_at_once(mid_network, tmp_path):
    path, net = mid_network
    x = [0.7] * 6
    cache = tmp_path / "cache"
    procs = [subprocess.Popen([sys.executable, "-c", CACHE_LOAD, str(path), str(cache), json.dumps(x)], env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        np.testing.assert_allclose(json.loads(out.strip().splitlines()[-1]), oracle_forward(net, x), rtol=1e-8)
    assert_cache_valid(cache)
    np.testing.assert_allclose(cached_outputs(path, cache, x), oracle_forward(net, x), rtol=1e-8)


@pytest.mark.parametrize("damage", ["flipped-bytes", "truncated", "random-bytes", "empty", "checksum-missing"])
def test_damaged_cache_file_is_rebuilt(mid_network, tmp_path, damage):
    """roadrunner's loadState aborted the whole process (LLVM: "Relocation
    type not implemented yet!") on a state file with flipped bytes; the
    checksum keeps such a file from it. Run in a subprocess: a regression
    would kill the test process."""
    path, net = mid_network
    x = [0.2] * 6
    cache = tmp_path / "cache"
    cached_outputs(path, cache, x)
    (state,) = cache.glob("*.rrstate")
    data = bytearray(state.read_bytes())
    rng = random.Random(2)
    if damage == "flipped-bytes":
        for _ in range(20):
            data[rng.randrange(len(data))] ^= 0xFF
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "random-bytes":
        data = bytearray(rng.randbytes(len(data)))
    elif damage == "empty":
        data = bytearray()
    if damage == "checksum-missing":
        state.with_name(state.name + ".sha256").unlink()
    else:
        state.write_bytes(bytes(data))
    np.testing.assert_allclose(cached_outputs(path, cache, x), oracle_forward(net, x), rtol=1e-8)
    assert_cache_valid(cache)


# --- a full disk ----------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A 64 kB tmpfs (needs root to mount)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the disk-full tests run as root only")
    folder = tmp_path / "disk"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()[:200]})")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_disk_full_compile_leaves_nothing_half_written(small_disk, tmp_path, capsys):
    out = small_disk / "out"
    code, _, err = run_cli(capsys, "compile", XOR, "--out", out)
    assert code == 0, err
    before = files(out)
    big = ROOT / "models" / "random_4_8_8_3.json"  # its SBML alone (170 kB) does not fit
    code, out_text, err = run_cli(capsys, "compile", big, "--out", out)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "No space left on device" in err, err
    assert files(out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # no temporary file or stage folder left


def test_disk_full_cache_write_still_simulates(small_disk, tmp_path):
    net = make_network(np.random.default_rng(5), (8, 40, 40, 4), 0.01)  # its state (> 64 kB) does not fit
    path = write_named(net, tmp_path / "n.json")
    x = [0.5] * 8
    np.testing.assert_allclose(cached_outputs(path, small_disk, x), oracle_forward(net, x), rtol=1e-8)
    assert [p.name for p in small_disk.iterdir()] in ([], ["lost+found"])  # no partial state, no temporary file
