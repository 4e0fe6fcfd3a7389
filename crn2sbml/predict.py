"""A dataset through the CRN (``crn2sbml predict``): the steady-state outputs,
or the outputs at given readout times, of every row of a CSV file, computed by
the batch simulator from the CRN's reactions, with the network's forward pass
beside them and the class when the outputs are scores. Also the readout-time
curve: how often the class read at time T is right."""

from __future__ import annotations

import csv
import logging
import math
import os
import time
from dataclasses import dataclass

import numpy as np

from ._atomic import atomic_path
from .crn import CRN
from .errors import InputError, SteadyStateError
from .network import Network
from .simulate.batch import BatchSimulator

log = logging.getLogger("crn2sbml.predict")
CHUNK = 2000  # rows per batch: bounds memory and paces the progress lines


def parse_times(text: str) -> np.ndarray:
    """--times '0.5,1,5,20' -> ascending readout times > 0."""
    try:
        t = np.array([float(p) for p in text.split(",")])
    except ValueError:
        raise InputError(f"--times '{text}': give comma-separated readout times such as 0.5,1,5,20") from None
    if not np.all(np.isfinite(t)) or np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise InputError(f"--times '{text}': times must be finite, > 0 and increasing, e.g. 0.5,1,5,20")
    return t


def read_rows(path: str | os.PathLike[str], network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Inputs from a CSV file whose header names the network's inputs (any
    order) -> (x (N, n_inputs) in the network's order, each row's line number).
    A bad row is named by its line in the file."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            missing = [n for n in network.inputs if n not in header]
            extra = [h for h in header if h not in network.inputs]
            if missing or extra:
                problem = f"no column for {', '.join(missing)}" if missing else f"unknown column {', '.join(extra)}"
                raise InputError(f"'{path}' line 1: {problem}; the header must name the inputs of "
                                 f"'{network.name}': {', '.join(network.inputs)}")
            order = [header.index(n) for n in network.inputs]
            rows, lines = [], []
            for fields in reader:
                if not any(f.strip() for f in fields):
                    continue  # blank line
                line = reader.line_num
                if len(fields) != len(header):
                    raise InputError(f"'{path}' line {line} has {len(fields)} fields; the header has {len(header)}")
                try:
                    values = [float(fields[i]) for i in order]
                except ValueError:
                    raise InputError(f"'{path}' line {line}: every input must be a number; got "
                                     f"{', '.join(repr(f) for f in fields)}") from None
                rows.append(values)
                lines.append(line)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read inputs file '{path}': {reason}") from None
    if not rows:
        raise InputError(f"'{path}' has no data rows below its header")
    x = np.array(rows, dtype=float)
    _check_rows(x, np.array(lines), network, path)
    return x, np.array(lines)


def _check_rows(x: np.ndarray, lines: np.ndarray, network: Network, path) -> None:
    """Finite and within the declared input ranges (>= 0 without ranges); the first bad row by line."""
    for i, name in enumerate(network.inputs):
        lower, upper = network.input_ranges[i] if network.input_ranges else (0.0, None)
        v = x[:, i]
        bad = ~np.isfinite(v)
        if lower is not None:
            bad |= v < lower
        if upper is not None:
            bad |= v > upper
        if bad.any():
            r = int(np.argmax(bad))
            where = f"[{'-inf' if lower is None else f'{lower:g}'}, {'inf' if upper is None else f'{upper:g}'}]"
            raise InputError(f"'{path}' line {lines[r]}: input '{name}' is {v[r]:g}, outside its range {where}; "
                             "declare input_ranges in the network file to feed other values")


@dataclass(frozen=True)
class Predictions:
    """Per row: the CRN's outputs (steady state, or at each time), the forward pass and classes."""

    lines: np.ndarray  # (N,) the rows' line numbers in the inputs file
    names: tuple[str, ...]  # output names
    times: np.ndarray | None  # (T,) readout times; None: steady state
    crn: np.ndarray  # (N, n_outputs) or (N, T, n_outputs)
    forward: np.ndarray  # (N, n_outputs)

    @property
    def classes(self) -> bool:
        return len(self.names) > 1

    def header(self) -> list[str]:
        cols = ["line"]
        stamps = [""] if self.times is None else [f"@t={t:g}" for t in self.times]
        for stamp in stamps:
            cols += [f"crn_{n}{stamp}" for n in self.names] + ([f"crn_class{stamp}"] if self.classes else [])
        return cols + [f"forward_{n}" for n in self.names] + (["forward_class"] if self.classes else [])

    def rows(self):
        crn = self.crn if self.times is not None else self.crn[:, None, :]
        for i, line in enumerate(self.lines):
            row: list = [int(line)]
            for values in crn[i]:
                row += [repr(float(v)) for v in values] + ([int(np.argmax(values))] if self.classes else [])
            row += [repr(float(v)) for v in self.forward[i]]
            yield row + ([int(np.argmax(self.forward[i]))] if self.classes else [])


def predict(network: Network, crn: CRN, x: np.ndarray, lines: np.ndarray | None = None,
            times: np.ndarray | None = None, chunk: int | None = None) -> Predictions:
    """The CRN's outputs for every row of ``x`` (batch simulator, from the
    CRN's initial state), chunk by chunk with a progress line per chunk on the
    ``crn2sbml.predict`` logger. Raises SteadyStateError naming the lines of
    rows without a checked steady state."""
    lines = np.arange(1, len(x) + 1) if lines is None else lines
    chunk = CHUNK if chunk is None else chunk
    sim = BatchSimulator(crn)
    parts = []
    start = time.monotonic()
    for lo in range(0, len(x), chunk):
        part = x[lo: lo + chunk]
        if times is None:
            solution = sim.solve(part)
            if solution.failed.any():
                bad = lines[lo + np.flatnonzero(solution.failed)]
                raise SteadyStateError(f"no checked, positive steady state for the rows on line(s) "
                                       f"{', '.join(map(str, bad[:10]))}{' ...' if bad.size > 10 else ''}")
            parts.append(sim.readout(solution.states))
        else:
            run = sim.time_courses(part, times)
            if run.failed.any():
                bad = lines[lo + np.flatnonzero(run.failed)]
                raise SteadyStateError(f"the time course failed (step size collapsed) for the rows on line(s) "
                                       f"{', '.join(map(str, bad[:10]))}; try shorter --times")
            parts.append(run.outputs)
        done = min(lo + chunk, len(x))
        log.info("%d of %d rows (%.0f%%) in %.1f s", done, len(x), 100.0 * done / len(x), time.monotonic() - start)
    return Predictions(lines, tuple(crn.output_names), times, np.concatenate(parts), network.forward(x))


def write_predictions(predictions: Predictions, path: str | os.PathLike[str]) -> None:
    """CSV, written atomically: a failure leaves an existing file untouched."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(predictions.header())
        writer.writerows(predictions.rows())


# --- readout time -------------------------------------------------------------
@dataclass(frozen=True)
class ReadoutCurve:
    """Accuracy of the class read at each time, and when it reaches a target."""

    times: np.ndarray  # (T,)
    accuracy: np.ndarray  # (T,) fraction of rows whose CRN class at t equals the label
    target: float  # the accuracy to reach (the network's own, by default)
    reached: float | None  # first time from which accuracy >= target at every later time; None: never

    def rows(self) -> list[tuple[float, float]]:
        return list(zip(self.times.tolist(), self.accuracy.tolist()))


def readout_curve(crn: CRN, x: np.ndarray, labels: np.ndarray, times: np.ndarray,
                  target: float | None = None, network: Network | None = None) -> ReadoutCurve:
    """How often argmax of the CRN's outputs at time t equals ``labels``, for
    every row of ``x`` at once (from the CRN's initial state). ``target``
    defaults to the network's own accuracy (forward pass) on the same rows."""
    run = BatchSimulator(crn).time_courses(x, times)
    accuracy = np.mean(np.argmax(run.outputs, axis=2) == np.asarray(labels)[:, None], axis=0)
    if target is None:
        if network is None:
            raise InputError("readout_curve needs a target accuracy or the network to compute it from")
        target = float(np.mean(np.argmax(network.forward(x), axis=1) == labels))
    ok = accuracy >= target - 1e-12
    later_ok = np.flip(np.cumprod(np.flip(ok))).astype(bool)  # ok here and at every later time
    reached = float(times[np.argmax(later_ok)]) if later_ok.any() else None
    return ReadoutCurve(np.asarray(times, dtype=float), accuracy, float(target), reached)


def readout_times(t_end: float, points: int = 40) -> np.ndarray:
    """Log-spaced readout times from t_end/1e4 to t_end."""
    return np.geomspace(t_end * 1e-4, t_end, points) if t_end > 0 and math.isfinite(t_end) else np.array([1.0])
