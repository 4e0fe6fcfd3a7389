"""Plots: every activation beside its unsmoothed counterpart.

    python -m crn2sbml.plots activations out.png [--epsilon 0.05]

matplotlib is optional and imported only here."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import atomic_path
from .activations import Activation, get_activation
from .errors import Crn2SbmlError, MissingDependencyError

# one representative per activation (parameters where the default says little)
GALLERY: tuple[tuple[str, dict], ...] = (
    ("smoothed_relu", {}),
    ("identity", {}),
    ("leaky_relu", {"negative_slope": 0.1}),
    ("hardtanh", {}),
    ("hardsigmoid", {}),
    ("abs", {}),
    ("polynomial", {"q": {"2": -0.5, "3": -1.0}}),
)


def pyplot(purpose: str = "plotting") -> Any:
    """matplotlib.pyplot, imported on first use so that importing crn2sbml
    stays light. On the Agg backend (files only, no display) unless the caller
    has imported pyplot already: switching then would take a Jupyter
    notebook's inline plots away for the rest of the session."""
    try:
        import matplotlib

        if "matplotlib.pyplot" not in sys.modules:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError(f"{purpose} needs matplotlib: pip install matplotlib") from None
    return plt


def plot_activations(path: str | os.PathLike[str], epsilon: float = 0.05) -> Path:
    """Write a grid of (reference at ``epsilon``, unsmoothed) curves to ``path``."""
    plt = pyplot()
    fns: list[Activation] = [get_activation(name, params) for name, params in GALLERY]
    cols = 4
    rows = math.ceil(len(fns) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False)
    z = np.linspace(-6.0, 6.0, 601)
    for ax, fn in zip(axes.flat, fns):
        ax.plot(z, fn.unsmoothed(z), "k--", lw=1, label="unsmoothed")
        ax.plot(z, fn.reference(z, epsilon), lw=1.8, label=f"CRN, eps={epsilon:g}")
        ax.set_title(fn.describe(), fontsize="small")
        ax.axhline(0, color="0.8", lw=0.5)
        ax.axvline(0, color="0.8", lw=0.5)
    for ax in list(axes.flat)[len(fns):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize="x-small")
    fig.tight_layout()
    suffix = Path(path).suffix.lstrip(".") or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix)
    plt.close(fig)
    return Path(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crn2sbml.plots", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["activations"])
    parser.add_argument("out", help="output image (.png, .pdf, .svg)")
    parser.add_argument("--epsilon", type=float, default=0.05)
    args = parser.parse_args(argv)
    if not (args.epsilon > 0 and args.epsilon < float("inf")):
        parser.error(f"--epsilon is {args.epsilon}; it must be a finite number > 0")
    try:
        print(plot_activations(args.out, args.epsilon))
    except Crn2SbmlError as exc:
        print(f"crn2sbml: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
