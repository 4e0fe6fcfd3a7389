"""python -m validation [--models DIR] [--out DIR] [--scheduler ADDRESS | --workers N | --serial]:
the suite over every model, one task per model on a local dask cluster by
default (one worker process per core); reports are written here, in order."""

from __future__ import annotations

import argparse
import html
import json
import logging
import sys
import time
from pathlib import Path

from crn2sbml._atomic import ensure_dir, write_text_atomic
from crn2sbml._logs import show_logs
from crn2sbml.cli import add_executor_options, open_executor
from crn2sbml.errors import Crn2SbmlError
from crn2sbml.sweep import Executor, Outcome, validation_sweep
from crn2sbml.validate import Options, ValidationReport, write_report

ROOT = Path(__file__).resolve().parent.parent


def find_models(folder: Path) -> list[tuple[Path, Path | None]]:
    """(model, reference network): every models/*.json (its own reference) and
    every models/<name>/*.xml, held to models/<name>.json (or, for a trained
    model, models/<name>/<name>.json) when it exists."""
    found: list[tuple[Path, Path | None]] = [(p, None) for p in sorted(folder.glob("*.json"))]
    for xml in sorted(folder.glob("*/*.xml")):
        refs = [folder / f"{xml.parent.name}.json", xml.parent / f"{xml.parent.name}.json"]
        ref = next((r for r in refs if r.is_file()), None)
        found.append((xml, ref))
    return found


def run_suite(todo: list[tuple[Path, Path | None]], out: Path, options: Options,
              executor: Executor) -> list[Outcome]:
    """Validate every model on ``executor``; the reports are written here, in
    the models' order, whatever ran them."""
    outcomes = validation_sweep(todo, options=options, executor=executor, progress=options.progress)
    for outcome in outcomes:
        if outcome.ok:
            write_report(outcome.value, out / outcome.label)
            print(outcome.value.summary(), flush=True)
        else:
            print(f"{outcome.label}: ERROR {outcome.error}", flush=True)
    return outcomes


def _verdict(outcome: Outcome) -> str:
    if not outcome.ok:
        return f"ERROR: {outcome.error}"
    report: ValidationReport = outcome.value
    return "pass" if report.passed else "FAIL: " + ", ".join(c.name for c in report.failed)


def write_index(results: list[Outcome], out: Path) -> None:
    rows = "".join(
        f"<tr><td>{html.escape(o.label)}</td><td>{html.escape(_verdict(o))}</td><td></td></tr>" if not o.ok else
        f"<tr><td><a href='{o.label}/report.html'>{html.escape(o.label)}</a></td>"
        f"<td>{html.escape(_verdict(o))}</td><td>{o.value.seconds:.1f}</td></tr>"
        for o in results
    )
    write_text_atomic(out / "index.html", "<!DOCTYPE html><html><head><meta charset='utf-8'><title>crn2sbml "
                      f"validation</title></head><body><h1>crn2sbml validation</h1><table><tr><th>model</th>"
                      f"<th>result</th><th>s</th></tr>{rows}</table></body></html>\n")
    summary = {o.label: {"passed": o.value.passed, "failed": [c.name for c in o.value.failed],
                         "seconds": round(o.value.seconds, 2)} if o.ok else
               {"passed": False, "failed": [], "error": o.error}
               for o in results}
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validation", description=__doc__)
    parser.add_argument("--models", default=str(ROOT / "models"), help="folder of models (default models/)")
    parser.add_argument("--out", default=str(ROOT / "build" / "validation"), help="report folder (default build/validation/)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_executor_options(parser)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        out = ensure_dir(args.out)
        todo = find_models(Path(args.models))
        if not todo:
            print(f"python -m validation: error: no models (*.json, */*.xml) in '{args.models}'", file=sys.stderr)
            return 2
        with show_logs(logging.WARNING if args.quiet else logging.INFO), open_executor(args, len(todo)) as executor:
            where = executor.description
            results = run_suite(todo, out, Options(progress=not args.quiet), executor)
        write_index(results, out)
    except Crn2SbmlError as exc:
        print(f"python -m validation: error: {exc}", file=sys.stderr)
        return 2
    failed = [o.label for o in results if not (o.ok and o.value.passed)]
    print(f"{len(results) - len(failed)}/{len(results)} models pass in {time.perf_counter() - start:.1f} s "
          f"({where}); reports in {out}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
