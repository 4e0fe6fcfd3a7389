"""The validation sweep: many models validated as one task each, the reports
gathered back in the models' order (the caller writes them)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..validate import Options, ValidationReport, validate
from .engine import Executor, Outcome, Task, make_executor

ModelPath = str | os.PathLike[str]


def validate_model(model: str, reference: str | None, options: Options) -> ValidationReport:
    """The task: ``validate(model, reference)``; paths must be readable where the task runs."""
    return validate(model, reference, options=options)


def model_label(model: ModelPath) -> str:
    """A model's report folder name: 'xor-json', 'xor-xml'."""
    path = Path(model)
    return f"{path.stem}-{path.suffix.lstrip('.')}"


def validation_sweep(
    models: Sequence[tuple[ModelPath, ModelPath | None]],
    *,
    options: Options | None = None,
    executor: Executor | None = None,
    progress: bool = True,
) -> list[Outcome]:
    """Validate every (model, reference network or None); one Outcome per
    model, in order, its value the ValidationReport (or its error). Per-check
    progress lines (``options.progress``) are kept only when the tasks run in
    this process: from worker processes they would interleave."""
    options = options or Options()

    def run(executor: Executor) -> list[Outcome]:
        opts = options if executor.in_process else replace(options, progress=False)
        tasks = [Task(model_label(model), validate_model, (str(model), None if ref is None else str(ref), opts),
                      describe=_verdict) for model, ref in models]
        return executor.run(tasks, progress=progress)

    if executor is not None:
        return run(executor)
    with make_executor(tasks=len(models)) as own:
        return run(own)


def _verdict(report: ValidationReport) -> str:
    return "pass" if report.passed else f"FAIL ({', '.join(c.name for c in report.failed)})"
