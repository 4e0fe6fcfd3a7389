"""Progress bars (tqdm, crn2sbml._progress): drawn on a terminal, silent when
stderr is a pipe or a file and under --quiet; failures are reported either way."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from crn2sbml._progress import Bar, activity, progress_enabled, shown
from crn2sbml.sweep.engine import Outcome, Progress, Task

ROOT = Path(__file__).resolve().parent.parent
XOR = str(ROOT / "models" / "xor.json")
VALIDATE = ["validate", XOR, "--checks", "sbml,structure,fixed_point"]


def run_on_a_terminal(args: list[str], timeout: float = 300.0) -> tuple[int, str, str]:
    """``python -m crn2sbml ARGS`` with stderr on a pseudo-terminal: (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a new pty is 0 columns wide
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "crn2sbml", *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = bytearray()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                proc.kill()
                pytest.fail(f"no output on the terminal for {timeout} s")
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal (EIO on Linux)
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    out = proc.stdout.read().decode()
    return proc.wait(timeout), out, seen.decode(errors="replace")


def run_piped(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crn2sbml", *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)


def test_validation_shows_a_bar_on_a_terminal():
    code, out, terminal = run_on_a_terminal(VALIDATE)
    assert code == 0, out + terminal
    assert "check/s" in terminal or "s/check" in terminal, terminal  # tqdm's rate, in the bar's unit
    assert "/3" in terminal and "fixed_point" in terminal  # the count and the check running
    assert "ok   fixed_point" in out and "\r" not in out  # results on stdout, untouched by the bar


def test_quiet_silences_the_bar_on_a_terminal():
    code, out, terminal = run_on_a_terminal([*VALIDATE, "--quiet"])
    assert code == 0, out + terminal
    assert terminal.strip() == ""
    assert "ok   fixed_point" in out


def test_a_sweep_shows_its_tasks_on_a_terminal(tmp_path):
    code, out, terminal = run_on_a_terminal(["sweep", XOR, "--eps", "0.1,0.01", "--samples", "4", "--serial",
                                             "--out", str(tmp_path / "sweep")])
    assert code == 0, out + terminal
    assert "tasks" in terminal and "/2" in terminal, terminal


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(tmp_path):
    done = run_piped([*VALIDATE])
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    done = run_piped(["sweep", XOR, "--eps", "0.1", "--samples", "4", "--serial", "--out", str(tmp_path / "s")])
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


class _Terminal:
    """A stand-in stderr that says it is a terminal."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass


def test_shown_only_on_a_terminal_and_when_enabled(monkeypatch):
    fake = _Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    assert shown() and not shown(False)
    with progress_enabled(False):
        assert not shown()
        with progress_enabled(True):  # an inner True does not undo an outer --quiet
            assert not shown()
    assert shown()
    with Bar(total=3, desc="work") as bar:
        bar.update(status="step one")
    assert "work" in fake.text and "step one" in fake.text


def test_a_failed_task_is_reported_with_or_without_a_bar(caplog, monkeypatch):
    caplog.set_level("WARNING", logger="crn2sbml")
    report = Progress(3)  # stderr is captured here: no bar, the failure is logged
    assert not report.bar.on
    for outcome in (Outcome("a", 1), Outcome("b", error="InputError: bad"), Outcome("c", 2)):
        report(Task(outcome.label, divmod), outcome)
    report.close()
    assert caplog.messages == ["[2/3] b: FAILED: InputError: bad"]
    fake = _Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    caplog.clear()
    report = Progress(1)
    report(Task("z", divmod), Outcome("z", error="InputError: worse"))
    report.close()
    assert "[1/1] z: FAILED: InputError: worse" in fake.text and caplog.messages == []


def test_a_spinner_for_a_long_call_only(monkeypatch):
    fake = _Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    with activity("quick", delay=1.0):
        pass
    assert fake.text == ""  # under its delay: nothing drawn
    with activity("roadrunner JIT", delay=0.2):
        # the spinner ticks every 0.5 s: wait for the elapsed time to reach 00:01 (a fixed 1.2 s sleep
        # raced the tick on a busy machine), but not forever
        deadline = time.monotonic() + 20.0
        while "00:01" not in fake.text and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "roadrunner JIT ... 00:01" in fake.text and fake.text.endswith("\r")  # drawn, ticking, then cleared


def test_a_notebook_cell_shows_the_validation_bar(tmp_path):
    """In Jupyter stderr is the kernel's stream, not a terminal: the bar is drawn
    into the cell's output (a real kernel, through nbclient)."""
    import nbformat
    from nbclient import NotebookClient

    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from crn2sbml.validate import Options, validate\n"
            f"report = validate({XOR!r}, checks=('sbml', 'structure', 'fixed_point'), options=Options(progress=True))\n"
            "assert report.passed")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    err = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("name") == "stderr")
    assert "fixed_point" in err and "/3" in err, nb.cells[0].outputs
