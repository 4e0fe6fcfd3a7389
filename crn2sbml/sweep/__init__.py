"""Sweeps that outgrow one process: a network over inputs x eps x speed
factor (``parameter_sweep``), and many models through validation
(``validation_sweep``), run serially or on dask.distributed (``make_executor``:
a local cluster by default, or an existing scheduler by address), with the
results in the grid's order, equal to the serial run's.

    with make_executor(workers=2) as ex:
        result = parameter_sweep(net, x, eps=(0.1, 0.01), speeds=(1, 10), executor=ex)
    write_sweep(result, "build/sweep")       # sweep.json, sweep.csv, sweep.png"""

from .engine import (
    DaskExecutor,
    Executor,
    Outcome,
    SerialExecutor,
    Task,
    connect_scheduler,
    local_cluster,
    make_executor,
)
from .grid import (
    SweepGrid,
    SweepPoint,
    SweepResult,
    check_grid_values,
    parameter_sweep,
    read_inputs,
    sample_inputs,
    with_epsilon,
    write_sweep,
)
from .suite import model_label, validation_sweep

__all__ = [
    "DaskExecutor", "Executor", "Outcome", "SerialExecutor", "SweepGrid", "SweepPoint", "SweepResult", "Task",
    "check_grid_values", "connect_scheduler", "local_cluster", "make_executor", "model_label", "parameter_sweep",
    "read_inputs", "sample_inputs", "validation_sweep", "with_epsilon", "write_sweep",
]
