"""The parameter sweep: one network over inputs x eps x speed factor kappa.

Each grid point (eps, kappa) compiles the network with every layer's eps
replaced and speed kappa, and computes the CRN's steady states for the inputs
with the batch simulator (from the reactions, not the forward pass). Per point
it records the largest relative error of that fixed point against the smoothed
forward pass at eps (the oracle), the largest |CRN output - unsmoothed network
output|, how often the CRN's argmax is the unsmoothed network's (two or more
outputs), the settling-time bound (``theory.settling_time``, all-zero start)
and, with ``measure``, a measured settling time.

A task is one grid point on one chunk of inputs, so a large batch spreads over
workers too. The tasks are the same whatever runs them; numpy's results depend
on how a batch is cut (BLAS blocking), not on the process, so the chunking is
part of the grid and a distributed run equals the serial one number for number."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import asdict, dataclass, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .._atomic import ensure_dir, staged_folder
from ..compile import compile_network
from ..errors import InputError, NetworkError, SteadyStateError
from ..network import Network, network_from_dict
from ..simulate.batch import BatchSimulator
from ..theory import settling_time
from ..training import read_csv
from ..validate.result import json_safe
from ..validate.speed import settle_time
from ..validate.subject import Options
from .engine import Executor, Outcome, Task, make_executor

SAMPLE_SALT = 0x5EE9  # Options.rng stream of --samples (validation draws use other salts)
MEASURE_SPAN = 1.5  # integrate to this multiple of each input's bound: past it counts as "did not settle"
MEASURE_STRIDES = 300  # steps capped at MEASURE_SPAN * bound / strides = bound / 200


def check_grid_values(values: Sequence[float], option: str, example: str = "0.1,0.01") -> tuple[float, ...]:
    """eps or speed values: at least one, each finite and > 0, none twice."""
    vals = tuple(float(v) for v in values)
    if not vals:
        raise InputError(f"{option} is empty; give comma-separated numbers > 0, e.g. {example}")
    for v in vals:
        if not (math.isfinite(v) and v > 0):
            raise InputError(f"{option} has {v:g}; every value must be a finite number > 0 (e.g. {example})")
    twice = sorted({v for v in vals if vals.count(v) > 1})
    if twice:
        raise InputError(f"{option} lists {twice[0]:g} more than once; give each value once")
    return vals


def with_epsilon(network: Network, eps: float) -> Network:
    """``network`` with every layer's smoothing eps replaced; a NetworkError
    names eps when an activation's conditions fail at it."""
    try:
        return replace(network, layers=tuple(replace(layer, epsilon=eps) for layer in network.layers))
    except NetworkError as exc:
        raise NetworkError(f"eps {eps:g}: {exc}") from None


def sample_inputs(network: Network, count: int, seed: int,
                  input_range: tuple[float, float] | None = None) -> np.ndarray:
    """``count`` inputs drawn uniformly from the ranges validation samples
    (``Options.sampling_ranges``: declared bounds, else ``input_range``)."""
    if count < 1:
        raise InputError(f"--samples is {count}; draw at least 1 input")
    options = Options(input_range=input_range, seed=seed)
    ranges = options.sampling_ranges(compile_network(network))
    return options.rng(SAMPLE_SALT).uniform(ranges[:, 0], ranges[:, 1], size=(count, network.n_inputs))


def read_inputs(path: str | os.PathLike[str], network: Network) -> np.ndarray:
    """Inputs from a CSV file whose header names the network's inputs (any order)."""
    x, _, names = read_csv(str(path), None)
    missing = [n for n in network.inputs if n not in names]
    extra = [n for n in names if n not in network.inputs]
    if missing or extra:
        problem = (f"no column for {', '.join(missing)}" if missing else f"unknown column {', '.join(extra)}")
        raise InputError(f"'{path}': {problem}; the header must name the inputs of '{network.name}': "
                         f"{', '.join(network.inputs)}")
    return x[:, [names.index(n) for n in network.inputs]]


# --- one task --------------------------------------------------------------------------
@dataclass(frozen=True)
class PointFigures:
    """One grid point on one chunk of inputs, per input."""

    rel_error: np.ndarray  # CRN fixed point vs smoothed forward pass, relative (readout scale)
    unsmoothed_gap: np.ndarray  # max over outputs of |CRN output - unsmoothed network output|
    agree: np.ndarray | None  # argmax equal to the unsmoothed network's (None: one output)
    bound: np.ndarray  # settling-time bound from the all-zero state
    measured: np.ndarray | None  # measured settling time (None: not measured)
    residual: np.ndarray  # max |dc/dt| at the checked fixed point (per-reaction mass action)


def measured_settling(sim: BatchSimulator, inputs: np.ndarray, states: np.ndarray, bound: np.ndarray,
                      tol: float) -> np.ndarray:
    """Time after which every output species stays within relative ``tol`` of
    its fixed point, from the all-zero state: the batch integrator's backward
    Euler (steps <= bound/200, which overstates the time by a few per cent)
    to 1.5x each input's bound; inf where not settled by then."""
    outputs = tuple(i for i, s in enumerate(sim.crn.floating) if s.role == "output")
    run = sim.integrate(inputs, MEASURE_SPAN * bound, h0=1e-6 * float(np.min(bound)),
                        strides=MEASURE_STRIDES, traced=outputs)
    start = sim.initial[list(outputs)]
    out = np.empty(len(inputs))
    for b in range(len(inputs)):
        stepped = np.isfinite(run.trace_time[:, b])
        time = np.concatenate([[0.0], run.trace_time[stepped, b]])
        values = np.vstack([start, run.trace[stepped, b]])
        out[b] = settle_time(time, values, states[b, list(outputs)], tol)
    out[run.diverged | run.stalled] = np.nan
    return out


def evaluate_point(network: dict[str, Any], eps: float, speed: float, inputs: np.ndarray, tol: float,
                   measure: bool) -> PointFigures:
    """The task: the network (as its JSON dict) at ``eps`` and speed ``speed`` on ``inputs``."""
    net = with_epsilon(network_from_dict(network), eps)
    crn = compile_network(net, speed=speed, start="zero")  # the settling bound below is from zero
    sim = BatchSimulator(crn)
    solution = sim.solve(inputs)
    states = solution.states
    bad = np.flatnonzero(solution.failed)
    if bad.size:
        raise SteadyStateError(f"{bad.size} of {len(inputs)} inputs have no checked, positive steady state "
                               f"(the first: {inputs[bad[0]].tolist()})")
    got = sim.readout(states)
    plain = net.unsmoothed_forward(inputs)
    agree = np.argmax(got, axis=1) == np.argmax(plain, axis=1) if net.n_outputs >= 2 else None
    bound = np.array([settling_time(net, x, speed, tol, start="zero") for x in inputs])
    return PointFigures(
        rel_error=crn.output_error(states, net.forward(inputs)),
        unsmoothed_gap=np.max(np.abs(got - plain), axis=1),
        agree=agree,
        bound=bound,
        measured=measured_settling(sim, inputs, states, bound, tol) if measure else None,
        residual=solution.residual,
    )


# --- results ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepPoint:
    """One (eps, speed) point over all inputs; ``error`` says why it failed (figures None)."""

    eps: float
    speed: float
    inputs: int
    max_rel_error: float | None = None
    max_unsmoothed_gap: float | None = None
    argmax_agreement: float | None = None  # fraction of inputs; None with one output
    settling_bound_max: float | None = None
    settling_bound_median: float | None = None
    settling_measured_max: float | None = None  # None unless measured
    settling_measured_median: float | None = None
    max_residual: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def from_figures(cls, eps: float, speed: float, parts: Sequence[PointFigures]) -> "SweepPoint":
        def cat(name: str) -> np.ndarray | None:
            arrays = [getattr(p, name) for p in parts]
            return None if arrays[0] is None else np.concatenate(arrays)

        agree, measured, bound = cat("agree"), cat("measured"), cat("bound")
        return cls(
            eps, speed, int(bound.size),
            max_rel_error=float(np.max(cat("rel_error"))),
            max_unsmoothed_gap=float(np.max(cat("unsmoothed_gap"))),
            argmax_agreement=None if agree is None else float(np.mean(agree)),
            settling_bound_max=float(np.max(bound)),
            settling_bound_median=float(np.median(bound)),
            settling_measured_max=None if measured is None else float(np.max(measured)),
            settling_measured_median=None if measured is None else float(np.median(measured)),
            max_residual=float(np.max(cat("residual"))),
        )


COLUMNS = tuple(f.name for f in fields(SweepPoint))


@dataclass(frozen=True)
class SweepResult:
    """Every grid point, eps-major then speed, in the order given."""

    network: str
    sizes: tuple[int, ...]
    inputs: str  # where the inputs came from
    n_inputs: int
    eps: tuple[float, ...]
    speeds: tuple[float, ...]
    tol: float
    chunk: int
    measured: bool
    points: tuple[SweepPoint, ...]

    @property
    def failed(self) -> tuple[SweepPoint, ...]:
        return tuple(p for p in self.points if not p.ok)

    def point(self, eps: float, speed: float) -> SweepPoint:
        for p in self.points:
            if p.eps == eps and p.speed == speed:
                return p
        raise KeyError((eps, speed))

    def to_dict(self) -> dict[str, Any]:
        head = {k: v for k, v in asdict(self).items() if k != "points"}
        return json_safe({**head, "points": [asdict(p) for p in self.points]})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n"

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(COLUMNS)
        for p in self.points:
            writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v
                             for v in (getattr(p, c) for c in COLUMNS)])
        return buf.getvalue()

    def summary(self) -> str:
        def g(v: float | None) -> str:
            return "-" if v is None else f"{v:.3g}"

        lines = [f"{self.network} ({'-'.join(map(str, self.sizes))}): {len(self.eps)} eps x {len(self.speeds)} "
                 f"speeds x {self.n_inputs} inputs ({self.inputs}); settled = within {self.tol:g} relative",
                 f"  {'eps':>9s} {'speed':>7s} {'rel.err':>9s} {'|y-ReLU|':>9s} {'argmax':>7s} "
                 f"{'bound max':>10s} {'measured':>10s}"]
        for p in self.points:
            if not p.ok:
                lines.append(f"  {p.eps:9.3g} {p.speed:7.3g} FAILED: {p.error}")
                continue
            lines.append(f"  {p.eps:9.3g} {p.speed:7.3g} {g(p.max_rel_error):>9s} {g(p.max_unsmoothed_gap):>9s} "
                         f"{g(p.argmax_agreement):>7s} {g(p.settling_bound_max):>10s} "
                         f"{g(p.settling_measured_max):>10s}")
        return "\n".join(lines)


# --- the grid --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SweepGrid:
    """A network, its inputs and the eps x speed grid, checked on construction;
    ``tasks`` are what an executor runs, ``run`` gathers them into a SweepResult."""

    network: Network
    inputs: np.ndarray
    eps: tuple[float, ...]
    speeds: tuple[float, ...]
    tol: float = 1e-6
    chunk: int = 500
    measure: bool = False
    source: str = "given"  # how the inputs were chosen, for the record

    def __post_init__(self) -> None:
        x = np.asarray(self.inputs, dtype=float)
        if x.ndim != 2 or x.shape[0] == 0:
            raise InputError(f"give a (batch, {self.network.n_inputs}) array of inputs; got shape {x.shape}")
        object.__setattr__(self, "inputs", self.network.check_input(x))
        object.__setattr__(self, "eps", check_grid_values(self.eps, "eps"))
        object.__setattr__(self, "speeds", check_grid_values(self.speeds, "speed", "1,10"))
        if not 0 < self.tol < 1:
            raise InputError(f"tol is {self.tol}; the settling tolerance must be in (0, 1), e.g. 1e-6")
        if self.chunk < 1:
            raise InputError(f"chunk is {self.chunk}; give at least 1 input per task")

    @cached_property
    def spans(self) -> tuple[tuple[int, int], ...]:
        n = len(self.inputs)
        return tuple((lo, min(lo + self.chunk, n)) for lo in range(0, n, self.chunk))

    @cached_property
    def tasks(self) -> tuple[Task, ...]:
        spec = self.network.to_dict()
        several = len(self.spans) > 1
        return tuple(
            Task(f"eps={eps:g} speed={speed:g}" + (f" inputs {lo}..{hi - 1}" if several else ""),
                 evaluate_point, (spec, eps, speed, self.inputs[lo:hi], self.tol, self.measure))
            for eps in self.eps for speed in self.speeds for lo, hi in self.spans
        )

    def collect(self, outcomes: Sequence[Outcome]) -> SweepResult:
        """The result from the tasks' outcomes (in ``tasks`` order)."""
        per_point = len(self.spans)
        points = []
        for k, (eps, speed) in enumerate((e, s) for e in self.eps for s in self.speeds):
            group = outcomes[k * per_point:(k + 1) * per_point]
            failed = [o for o in group if not o.ok]
            if failed:
                more = f" (and {len(failed) - 1} more chunks)" if len(failed) > 1 else ""
                where = f" [inputs of {failed[0].label}]" if per_point > 1 else ""
                points.append(SweepPoint(eps, speed, len(self.inputs), error=f"{failed[0].error}{where}{more}"))
            else:
                points.append(SweepPoint.from_figures(eps, speed, [o.value for o in group]))
        return SweepResult(self.network.name, self.network.sizes, self.source, len(self.inputs), self.eps,
                           self.speeds, self.tol, self.chunk, self.measure, tuple(points))

    def run(self, executor: Executor, *, progress: bool = True) -> SweepResult:
        return self.collect(executor.run(self.tasks, progress=progress))


def parameter_sweep(
    network: Network,
    inputs: np.ndarray,
    eps: Sequence[float],
    speeds: Sequence[float] = (1.0,),
    *,
    tol: float = 1e-6,
    chunk: int = 500,
    measure: bool = False,
    executor: Executor | None = None,
    progress: bool = True,
) -> SweepResult:
    """Sweep ``network`` over ``inputs`` x ``eps`` x ``speeds`` on ``executor``
    (default: a local dask cluster, see ``make_executor``, closed afterwards)."""
    grid = SweepGrid(network, np.atleast_2d(np.asarray(inputs, dtype=float)), tuple(eps), tuple(speeds),
                     tol, chunk, measure)
    if executor is not None:
        return grid.run(executor, progress=progress)
    with make_executor(tasks=len(grid.tasks)) as own:
        return grid.run(own, progress=progress)


# --- on disk ---------------------------------------------------------------------------
def _log_where_positive(ax: Any) -> None:
    """Log scales on the axes whose plotted values include a positive one:
    matplotlib cannot log-scale an axis whose values are all <= 0 (an exact
    fixed point has error 0), which then stays linear, labelled so."""
    xs = [np.asarray(line.get_xdata(), float) for line in ax.get_lines()]
    ys = [np.asarray(line.get_ydata(), float) for line in ax.get_lines()]
    for axis, values in (("x", xs), ("y", ys)):
        flat = np.concatenate(values) if values else np.array([])
        if np.any(np.isfinite(flat) & (flat > 0)):
            getattr(ax, f"set_{axis}scale")("log")
        elif flat.size:
            getattr(ax, f"set_{axis}label")(getattr(ax, f"get_{axis}label")() + " (all <= 0: linear scale)")



def plot_sweep(result: SweepResult, path: str | os.PathLike[str]) -> None:
    """Errors and settling times against eps, one line per speed factor."""
    from ..plots import pyplot

    plt = pyplot("the sweep plot")
    fig, (err_ax, time_ax) = plt.subplots(1, 2, figsize=(10, 4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, speed in enumerate(result.speeds):
        pts = [p for p in result.points if p.speed == speed and p.ok]
        eps = [p.eps for p in pts]
        color = colors[k % len(colors)]
        err_ax.plot(eps, [p.max_rel_error for p in pts], "o-", color=color, label=f"vs forward pass, kappa={speed:g}")
        err_ax.plot(eps, [p.max_unsmoothed_gap for p in pts], "s--", color=color,
                    label=f"|CRN - unsmoothed|, kappa={speed:g}")
        time_ax.plot(eps, [p.settling_bound_max for p in pts], "o-", color=color, label=f"bound, kappa={speed:g}")
        if result.measured:
            time_ax.plot(eps, [p.settling_measured_max for p in pts], "x:", color=color,
                         label=f"measured, kappa={speed:g}")
    err_ax.set(xlabel="eps", ylabel="max error over inputs", title="CRN fixed point: relative error, gap to unsmoothed")
    time_ax.set(xlabel="eps", ylabel="time units", title=f"settling time (worst input, tol {result.tol:g})")
    for ax in (err_ax, time_ax):
        _log_where_positive(ax)
    for ax in (err_ax, time_ax):
        ax.legend(fontsize="x-small")
    fig.suptitle(f"{result.network}: {result.n_inputs} inputs", fontsize="medium")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=90)
    plt.close(fig)


def write_sweep(result: SweepResult, folder: str | os.PathLike[str]) -> dict[str, Path]:
    """sweep.json, sweep.csv and sweep.png in ``folder`` (created), moved in
    together once all three are written: a failure leaves the folder as it was."""
    out = ensure_dir(folder)
    names = {"json": "sweep.json", "csv": "sweep.csv", "png": "sweep.png"}
    with staged_folder(out) as stage:  # (a failed write is staged_folder's one OutputError)
        (stage / names["json"]).write_text(result.to_json(), encoding="utf-8")
        (stage / names["csv"]).write_text(result.to_csv(), encoding="utf-8")
        plot_sweep(result, stage / names["png"])
    return {kind: out / name for kind, name in names.items()}
