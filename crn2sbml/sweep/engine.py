"""Executors: the same list of tasks run in this process (serial) or on a
dask.distributed cluster (a local one by default, or an existing scheduler),
with the results handed back in the order the tasks were given.

A task is a module-level function and picklable arguments (network dicts, file
paths, numbers, arrays), so a worker on another machine can run it. A task
that raises a ``Crn2SbmlError`` (a grid point the activation refuses, a model
that cannot be read, a steady state that cannot be established) is recorded as
that task's failure and the sweep goes on; any other exception is a
programming error and stops the sweep. ``distributed`` is imported only when a
cluster is used."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .._progress import Bar
from ..errors import Crn2SbmlError, InputError, SchedulerError

CONNECT_TIMEOUT = 10.0  # seconds to reach an existing scheduler and see a worker
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One unit of work: ``fn(*args)``; ``label`` names it in progress lines and failures."""

    label: str
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    describe: Callable[[Any], str] | None = None  # a value in a progress line (client side; default "ok")


@dataclass(frozen=True)
class Outcome:
    """What a task gave: its value, or (``error``) why it failed."""

    label: str
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def attempt(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, str | None]:
    """Run a task where it is scheduled: (value, None), or (None, message) for
    a ``Crn2SbmlError``. Other exceptions propagate (programming errors)."""
    try:
        return fn(*args), None
    except Crn2SbmlError as exc:
        return None, f"{type(exc).__name__}: {' '.join(str(exc).split())}"


class Progress:
    """A progress bar over the tasks as they complete (stderr, terminals only;
    see crn2sbml._progress), the last task's value beside it. A failure is
    always reported, bar or not: '[k/n] label: FAILED: why'."""

    def __init__(self, total: int, *, enabled: bool = True):
        self.total = total
        self.done = 0
        self.bar = Bar(total=total, desc="tasks", unit="task", enabled=enabled)

    def __call__(self, task: Task, outcome: Outcome) -> None:
        self.done += 1
        if outcome.ok:
            verdict = task.describe(outcome.value) if task.describe else "ok"
            self.bar.update(status=f"{outcome.label}: {verdict}")
        else:
            self.bar.update()
            self.bar.note(f"[{self.done}/{self.total}] {outcome.label}: FAILED: {outcome.error}")

    def close(self) -> None:
        self.bar.close()


class Executor(ABC):
    """Runs tasks; ``run`` returns one Outcome per task, in the tasks' order."""

    description: str = ""
    workers: int = 1
    in_process: bool = False  # tasks run in this process (their own stderr lines are seen here)

    @abstractmethod
    def run(self, tasks: Sequence[Task], *, progress: bool = True) -> list[Outcome]:
        ...

    def close(self) -> None:
        """Release what this executor created (a local cluster); idempotent."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Every task in this process, one after another, with one BLAS thread
    like a dask worker process (OMP/MKL/OPENBLAS_NUM_THREADS=1): numpy's
    threaded BLAS on the batch simulator's small products was 8x slower on
    2 busy cores (docs/sweeps.md, "When the cluster pays")."""

    description = "serial (this process)"
    in_process = True

    def run(self, tasks: Sequence[Task], *, progress: bool = True) -> list[Outcome]:
        from threadpoolctl import threadpool_limits

        report = Progress(len(tasks), enabled=progress)
        outcomes = []
        try:
            with threadpool_limits(limits=1):
                for task in tasks:
                    value, error = attempt(task.fn, task.args)
                    outcomes.append(Outcome(task.label, value, error))
                    report(task, outcomes[-1])
        finally:
            report.close()
        return outcomes


class DaskExecutor(Executor):
    """Tasks on a dask.distributed cluster through ``client``. ``cluster`` (a
    LocalCluster this executor started) is closed with it; an external
    scheduler is left running."""

    def __init__(self, client: Any, cluster: Any = None, description: str = ""):
        self.client, self.cluster = client, cluster
        self.workers = max(len(client.scheduler_info().get("workers", {})), 1)
        self.description = description or f"dask scheduler {client.scheduler.address}"

    def run(self, tasks: Sequence[Task], *, progress: bool = True) -> list[Outcome]:
        from distributed import KilledWorker, as_completed

        report = Progress(len(tasks), enabled=progress)
        batch = f"crn2sbml-{uuid.uuid4().hex[:12]}"
        futures = [self.client.submit(attempt, t.fn, t.args, key=f"{batch}-{i}", pure=False)
                   for i, t in enumerate(tasks)]
        position = {f.key: i for i, f in enumerate(futures)}
        outcomes: list[Outcome | None] = [None] * len(tasks)
        try:
            for future in as_completed(futures, loop=self.client.loop):
                i = position[future.key]
                try:
                    value, error = future.result()
                except KilledWorker as exc:  # the worker process died under it (memory?) more than once
                    value, error = None, f"KilledWorker: the worker running it died ({exc}); too little memory?"
                outcomes[i] = Outcome(tasks[i].label, value, error)
                report(tasks[i], outcomes[i])
        finally:  # a programming error (re-raised by result()) stops the sweep: drop the rest
            report.close()
            self.client.cancel([f for f in futures if not f.done()])
        return outcomes  # type: ignore[return-value]  # every slot was filled

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _probe(address: str, timeout: float) -> None:
    """Open and close one comm to the scheduler. A failed ``Client(address)``
    leaves an object whose finaliser prints a traceback; a bare comm does not.
    The probe runs its own event loop in a thread, so it works under a running loop too."""
    from distributed.comm import connect

    async def knock() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, knock()).result()


def connect_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> DaskExecutor:
    """An executor on the existing scheduler at ``address`` (tcp://host:port)
    with at least one worker, or a SchedulerError within about ``timeout`` seconds."""
    from distributed import Client

    hint = ("start one with `dask scheduler` and `dask worker ADDRESS`, check the address, "
            "or drop --scheduler to run on a local cluster")
    try:
        _probe(address, timeout)
    except (ValueError, TypeError) as exc:  # distributed's parse of the address
        raise SchedulerError(f"--scheduler {address}: not a scheduler address ({exc}); give tcp://host:port, "
                             "e.g. tcp://10.0.0.5:8786") from None
    except OSError as exc:  # refused, unreachable, timed out, not a dask scheduler
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SchedulerError(f"--scheduler {address}: cannot connect within {timeout:g} s ({reason}); {hint}") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except OSError as exc:
        raise SchedulerError(f"--scheduler {address}: cannot connect ({exc}); {hint}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError):
        client.close()
        raise SchedulerError(f"--scheduler {address}: the scheduler has no workers after {timeout:g} s; "
                             f"start some with `dask worker {address}`") from None
    return DaskExecutor(client, description=f"dask scheduler {address}")


def local_cluster(workers: int) -> DaskExecutor:
    """A LocalCluster of ``workers`` processes with one thread each:
    roadrunner's LLVM JIT and numpy's BLAS do not share a process well with
    threads. dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which
    made the batch simulator 40% slower (every temporary array went back to
    the OS); these workers keep glibc's adaptive default."""
    import dask
    from distributed import Client, LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
    except RuntimeError as exc:  # "Nanny failed to start": e.g. no memory, or a main module workers cannot import
        raise SchedulerError(f"could not start a local dask cluster of {workers} worker processes ({exc}); "
                             "run with --serial, or fewer --workers") from None
    try:
        client = Client(cluster, set_as_default=False)
    except BaseException:
        cluster.close()
        raise
    return DaskExecutor(client, cluster, f"local cluster ({workers} worker processes)")


def make_executor(
    scheduler: str | None = None,
    workers: int | None = None,
    serial: bool = False,
    *,
    tasks: int | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> Executor:
    """The executor the options ask for. Default: a local cluster with one
    worker process per core (at most one per task); when that is a single
    worker, the tasks run in this process instead, since a one-worker cluster
    only adds start-up time. ``scheduler``: an existing cluster;
    ``workers``: the local cluster's size; ``serial``: this process."""
    if serial and (scheduler or workers is not None):
        raise InputError("--serial runs every task in this process; drop --scheduler and --workers")
    if scheduler and workers is not None:
        raise InputError("--workers sizes the local cluster; an existing scheduler (--scheduler) brings "
                         "its own workers: drop --workers")
    if workers is not None and workers < 1:
        raise InputError(f"--workers is {workers}; give at least 1 worker process")
    if not connect_timeout > 0:
        raise InputError(f"--connect-timeout is {connect_timeout}; give a number of seconds > 0")
    if serial:
        return SerialExecutor()
    if scheduler:
        return connect_scheduler(scheduler, connect_timeout)
    if workers is None:
        n = min(available_cores(), tasks) if tasks is not None else available_cores()
        return SerialExecutor() if n <= 1 else local_cluster(n)
    return local_cluster(workers)
