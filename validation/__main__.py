"""python -m validation [--models DIR] [--out DIR]: the suite over every model."""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from pathlib import Path

from crn2sbml._atomic import ensure_dir, write_text_atomic
from crn2sbml.errors import Crn2SbmlError
from crn2sbml.validate import Options, ValidationReport, validate, write_report

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


def run_suite(models: Path, out: Path, options: Options) -> list[tuple[str, ValidationReport]]:
    results = []
    todo = find_models(models)
    for n, (model, ref) in enumerate(todo, start=1):
        label = f"{model.stem}-{model.suffix.lstrip('.')}"
        options.say(f"[{n}/{len(todo)}] {model}" + (f" (reference {ref.name})" if ref else ""))
        report = validate(model, ref, options=options)
        write_report(report, out / label)
        print(report.summary(), flush=True)
        results.append((label, report))
    return results


def write_index(results: list[tuple[str, ValidationReport]], out: Path) -> None:
    rows = "".join(
        f"<tr><td><a href='{label}/report.html'>{html.escape(label)}</a></td>"
        f"<td>{'pass' if r.passed else 'FAIL: ' + html.escape(', '.join(c.name for c in r.failed))}</td>"
        f"<td>{r.seconds:.1f}</td></tr>"
        for label, r in results
    )
    write_text_atomic(out / "index.html", "<!DOCTYPE html><html><head><meta charset='utf-8'><title>crn2sbml "
                      f"validation</title></head><body><h1>crn2sbml validation</h1><table><tr><th>model</th>"
                      f"<th>result</th><th>s</th></tr>{rows}</table></body></html>\n")
    summary = {label: {"passed": r.passed, "failed": [c.name for c in r.failed], "seconds": round(r.seconds, 2)}
               for label, r in results}
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validation", description=__doc__)
    parser.add_argument("--models", default=str(ROOT / "models"), help="folder of models (default models/)")
    parser.add_argument("--out", default=str(ROOT / "build" / "validation"), help="report folder (default build/validation/)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        out = ensure_dir(args.out)
        results = run_suite(Path(args.models), out, Options(progress=not args.quiet))
        if not results:
            print(f"python -m validation: error: no models (*.json, */*.xml) in '{args.models}'", file=sys.stderr)
            return 2
        write_index(results, out)
    except Crn2SbmlError as exc:
        print(f"python -m validation: error: {exc}", file=sys.stderr)
        return 2
    failed = [label for label, r in results if not r.passed]
    print(f"{len(results) - len(failed)}/{len(results)} models pass in {time.perf_counter() - start:.1f} s; "
          f"reports in {out}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
