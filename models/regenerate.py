"""Regenerate the example models: `python models/regenerate.py`.

The random examples' JSON is generated from fixed seeds (so it is
reproducible too); every models/*.json is then compiled into
models/<name>/<name>.{xml,ant,crn}. Trained models live in their own folder,
models/<name>/<name>.json (TRAINED; written by `python -m crn2sbml.experiments
digits --save-model models/digits`), and are compiled beside their JSON. tests/test_models.py fails when the
checked-in files differ from what the compiler now produces."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from crn2sbml import Layer, Network, compile_network, load_network, save_network, write_model

HERE = Path(__file__).resolve().parent
# name -> (layer sizes, seed, epsilon)
RANDOM_EXAMPLES = {
    "random_4_8_8_3": ((4, 8, 8, 3), 4883, 0.01),
    "random_64_20_10": ((64, 20, 10), 642010, 0.01),
}

# trained networks: models/<name>/<name>.json (outside the models/*.json glob)
TRAINED = ("digits",)


def random_network(name: str, sizes: tuple[int, ...], seed: int, epsilon: float) -> Network:
    """He-style random weights, with about 20% exact zeros (no reaction)."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        w = rng.normal(size=(n_out, n_in)) * np.sqrt(2.0 / n_in)
        w[rng.random(w.shape) < 0.2] = 0.0
        layers.append(Layer(np.round(w, 6), np.round(rng.normal(scale=0.1, size=n_out), 6), epsilon))
    return Network(tuple(layers), name=name, description=f"random {'-'.join(map(str, sizes))} network, seed {seed}")


def example_networks(folder: Path = HERE) -> dict[str, Network]:
    nets = {p.stem: load_network(p) for p in sorted(folder.glob("*.json"))}
    for name, (sizes, seed, eps) in RANDOM_EXAMPLES.items():
        nets[name] = random_network(name, sizes, seed, eps)
    for name in TRAINED:
        path = folder / name / f"{name}.json"
        if path.is_file():
            nets[name] = load_network(path)
    return nets


def regenerate(folder: Path = HERE) -> list[Path]:
    written = []
    for name, net in example_networks(folder).items():
        if name in RANDOM_EXAMPLES:
            written.append(save_network(net, folder / f"{name}.json"))
        written += write_model(compile_network(net, start="bound"), folder / name).values()
    return written


if __name__ == "__main__":
    for path in regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
