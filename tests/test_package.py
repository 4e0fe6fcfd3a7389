"""The package's surface: `import crn2sbml` stays light, and every public name is there."""

from __future__ import annotations

import json
import subprocess
import sys

import crn2sbml

HEAVY = ("crn2sbml.validate", "dask", "distributed", "matplotlib")


def test_import_does_not_load_validation_dask_or_matplotlib():
    # a fresh interpreter: this test session has long since imported them all
    code = f"import crn2sbml, sys, json; print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_every_public_name_is_importable():
    missing = [name for name in crn2sbml.__all__ if not hasattr(crn2sbml, name)]
    assert missing == []
    from crn2sbml import SweepGrid, make_executor, validation_sweep  # noqa: F401  (the lazy ones)
    from crn2sbml.sweep import SweepGrid as direct

    assert SweepGrid is direct
    assert "parameter_sweep" in dir(crn2sbml)


def test_star_import_gives_all_names():
    namespace: dict[str, object] = {}
    exec("from crn2sbml import *", namespace)
    assert set(crn2sbml.__all__) <= set(namespace)
