"""The documentation: the site builds strictly (a broken link, a missing page
or an API name mkdocstrings cannot resolve fails it), every tutorial notebook
runs top to bottom (each asserts its key result against the forward pass),
notebooks are committed without outputs, and the API reference covers the
public API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import crn2sbml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOTEBOOKS = sorted((DOCS / "tutorials").glob("*.ipynb"))


def _env() -> dict[str, str]:
    """This checkout's code first: the hooks, mkdocstrings and the kernels
    import crn2sbml from here, not from wherever it is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("CRN2SBML_DOCS_EXECUTE", None)  # the notebooks are executed below, not by the build
    env["NO_MKDOCS_2_WARNING"] = "1"
    return env


def test_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600,
    )
    print(f"mkdocs build --strict: {time.perf_counter() - start:.1f} s")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    # the generated parts are there: each command's --help, the API, the notebooks, the included tables
    commands = (site / "commands" / "index.html").read_text(encoding="utf-8")
    for command in ("compile", "simulate", "validate", "export", "import", "train", "sweep", "predict"):
        assert f"usage: crn2sbml {command}" in commands, command
    assert "compile_network" in (site / "api" / "compile" / "index.html").read_text(encoding="utf-8")
    for nb in NOTEBOOKS:
        assert (site / "tutorials" / nb.stem / "index.html").exists(), nb.name
    assert "right / run" in (site / "peer-tools" / "index.html").read_text(encoding="utf-8")  # the interop matrix, included


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])  # the kernel inherits this process's environment
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, f"{path.name} showed no plot inline"


def test_notebooks_have_no_outputs() -> None:
    assert len(NOTEBOOKS) >= 4
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for k, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, (
                    f"{path.name}, cell {k}: committed with outputs; clear them "
                    "(jupyter nbconvert --clear-output --inplace docs/tutorials/*.ipynb)"
                )


def test_api_reference_covers_the_public_api() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "api").glob("*.md"))
    documented = set(re.findall(r"^::: crn2sbml\.(?:sweep\.)?(\w+)$", text, flags=re.M))
    missing = sorted(set(crn2sbml.__all__) - documented)
    assert not missing, f"public names without an API entry in docs/api/: {missing}"


def test_readme_is_short_and_keeps_the_ci_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme) <= 10_000, len(readme)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci in readme  # CI runs the README's test command word for word


def test_design_citations_point_at_docs_design_md() -> None:
    cited = []
    for path in [*ROOT.glob("crn2sbml/**/*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("benchmarks/*.py"),
                 *ROOT.glob("validation/*.py")]:
        for m in re.finditer(r"[\w/.-]*design\.md", path.read_text(encoding="utf-8"), flags=re.I):
            if m.group(0) != "docs/design.md":
                cited.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert not cited, cited
