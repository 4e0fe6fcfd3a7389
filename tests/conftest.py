"""Shared fixtures: seeded random networks and an independent forward pass."""

from __future__ import annotations

import locale
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

from crn2sbml import Layer, Network

# Hypothesis profiles. "ci" (the default) is derandomized, so CI is reproducible;
# the fuzz tests (tests/test_fuzz_*.py) scale their case counts by max_examples
# (tests/fuzz_strategies.py): 1,820 cases in ci, 55 times that (100,100) in "long"
# (``--hypothesis-profile=long`` or ``CRN2SBML_FUZZ=long``); "dev" is ci without shrinking.
settings.register_profile("ci", max_examples=100, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
# no shrinking: the failing example as generated (the strategies keep them small), in seconds
settings.register_profile("dev", max_examples=100, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow],
                          phases=[Phase.explicit, Phase.generate])
settings.register_profile("long", max_examples=5_500, derandomize=False, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("CRN2SBML_FUZZ", "ci"))


def make_network(rng: np.random.Generator, sizes, eps: float, zero_frac: float = 0.2, bias_scale: float = 0.3) -> Network:
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        w = rng.normal(size=(n_out, n_in)) / math.sqrt(n_in)
        w[rng.random(w.shape) < zero_frac] = 0.0
        layers.append(Layer(w, rng.normal(scale=bias_scale, size=n_out), eps))
    return Network(tuple(layers))


def oracle_forward(net: Network, x) -> list[float]:
    """Scalar, loop-by-loop forward pass written from the formula alone:
    sigma_eps(z) = (z + sqrt(z^2 + 4 eps))/2 = 2 eps / (sqrt(z^2 + 4 eps) - z)."""
    h = [float(v) for v in x]
    for layer in net.layers:
        nxt = []
        for j in range(layer.n_out):
            z = sum(float(layer.weights[j, i]) * h[i] for i in range(layer.n_in)) + float(layer.bias[j])
            r = math.hypot(z, 2 * math.sqrt(layer.epsilon))  # sqrt(z^2 + 4 eps) without overflowing z^2
            nxt.append(z / 2 + r / 2 if z >= 0 else 2 * layer.epsilon / (r - z))
        h = nxt
    return h


@pytest.fixture(autouse=True, scope="session")
def _private_roadrunner_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compiled models go to a session folder, not the user's ~/.cache."""
    os.environ["CRN2SBML_CACHE_DIR"] = str(tmp_path_factory.mktemp("rr-cache"))


# The character-type locale as the process started: importing COPASI (test_copasi.py
# does at collection, basico does) sets the whole C locale to "C", which makes
# Python read and write files as ASCII. crn2sbml's own COPASI calls put it back
# themselves (tests/test_copasi.py checks that); tests that import COPASI or
# drive basico directly do not, so every test starts from the original.
_CTYPE = locale.setlocale(locale.LC_CTYPE)


@pytest.fixture(autouse=True)
def _text_encoding_kept() -> None:
    locale.setlocale(locale.LC_CTYPE, _CTYPE)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20210031)


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """``crn2sbml ARGS`` in-process: (exit code, stdout, stderr); argparse's exits become the code."""
    from crn2sbml.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err

