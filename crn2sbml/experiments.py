"""Experiments on real data (scikit-learn's bundled datasets, no download).

    python -m crn2sbml.experiments digits [--out build/digits] [--save-model models/digits]
    python -m crn2sbml.experiments iris
    python -m crn2sbml.experiments xor

``digits``: a 64-H-10 network trained with sigma_eps on the 8x8 digits
(1,797 images, 75/25 stratified split), compiled to a CRN; the CRN's
dynamics are integrated for every test image at once (the vectorized
layer-by-layer backward-Euler integrator of crn2sbml.simulate.batch, from
zero initial state to the theoretical settling time: the CRN, not the
forward pass) and libRoadRunner simulates a sample; both must give the
network's predicted class for every image. Then an eps sweep: test accuracy
of (a) sigma_eps-trained networks, (b) a scikit-learn ReLU MLP imported and
run as a CRN unchanged, (c) that import fine-tuned at eps, with the median
and worst settling time, plotted to ``eps_sweep.png``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ._logs import show_logs
from .compile import compile_network
from .crn import CRN
from .network import Network
from .theory import settling_time
from .training import predict_class, train

SEED = 0
log = logging.getLogger(__name__)  # the experiments' results; main shows them on stdout


def _need_sklearn():
    from .importers import require

    return require("sklearn", "sklearn", "the experiments (bundled datasets)")


def crn_outputs(net: Network, crn: CRN, x: np.ndarray, *, tol: float = 1e-8) -> dict[str, Any]:
    """Integrate the CRN's own ODEs for every row of ``x`` at once, from the
    all-zero state to each input's settling time; read the outputs (signed
    readouts of the rails) from the final states."""
    from .simulate.batch import BatchSystem

    system = BatchSystem(crn)
    t_end = np.array([settling_time(net, xi, crn.speed, tol=tol) for xi in x])
    start = time.monotonic()
    run = system.integrate(np.zeros((len(x), system.n)), crn.encode_inputs(x), t_end)
    seconds = time.monotonic() - start
    a, c = crn.output_matrix
    return {"outputs": run.state @ a.T + c, "t_end": t_end, "seconds": seconds,
            "stalled": int(run.stalled.sum()), "diverged": int(run.diverged.sum())}


def _split(x: np.ndarray, y: np.ndarray):
    _need_sklearn()
    from sklearn.model_selection import train_test_split

    return train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)


def digits(out: Path, *, hidden: int = 20, epsilon: float = 0.01, rr_sample: int = 100,
           sweep: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
           save_model: Path | None = None, progress: bool = False) -> dict[str, Any]:
    _need_sklearn()
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = _split(x, y)
    opts = dict(input_range=(0.0, 16.0), max_weight=10.0, l1=1e-4, l2=1e-3, seed=SEED, max_iter=400)
    res = train(xtr, ytr, hidden=(hidden,), epsilon=epsilon, name="digits",
                feature_names=[f"px{i}" for i in range(64)], progress=progress, **opts)
    net = res.network
    pred = predict_class(net, xte)
    acc = float(np.mean(pred == yte))
    log.info(res.summary())
    log.info(f"test accuracy (network, sigma_eps at eps={epsilon:g}): {acc:.4f} on {len(yte)} images")

    crn = compile_network(net)
    sim = crn_outputs(net, crn, xte)
    crn_pred = np.argmax(sim["outputs"], axis=1)
    forward = net.forward(xte)
    agree = int(np.sum(crn_pred == pred))
    log.info(f"CRN batch simulation ({len(crn.reactions)} reactions): {agree}/{len(xte)} test images give the "
         f"network's class; max |CRN - forward| {np.max(np.abs(sim['outputs'] - forward)):.2e}; "
         f"CRN accuracy {np.mean(crn_pred == yte):.4f}; {sim['seconds']:.1f} s; stalled {sim['stalled']}, "
         f"diverged {sim['diverged']}; settling time median {np.median(sim['t_end']):.3g}, "
         f"max {np.max(sim['t_end']):.3g}")

    curve = _readout_time(crn, xte, yte, acc, float(np.max(sim["t_end"])), out)

    from .reference import Reference
    from .simulate import RoadRunnerSimulator, find_steady_state

    t0 = time.monotonic()
    rr = RoadRunnerSimulator(crn)
    load = time.monotonic() - t0
    rng = np.random.default_rng(SEED)
    sample = rng.choice(len(xte), size=min(rr_sample, len(xte)), replace=False)
    rr_agree = 0
    rr_err = 0.0
    t0 = time.monotonic()
    reference = Reference(net, crn)
    for i in sample:
        ss = find_steady_state(rr, reference, inputs=xte[i])
        rr_agree += int(np.argmax(ss.output_values) == pred[i])
        rr_err = max(rr_err, float(np.max(np.abs(ss.output_values - forward[i]))))
    log.info(f"roadrunner: {rr_agree}/{len(sample)} sampled test images give the network's class; max |rr - forward| "
         f"{rr_err:.2e}; load {load:.1f} s, {time.monotonic() - t0:.1f} s for the sample")

    summary: dict[str, Any] = {
        "hidden": hidden, "epsilon": epsilon, "train_accuracy": res.train_accuracy, "test_accuracy": acc,
        "test_images": len(yte), "reactions": len(crn.reactions), "species": len(crn.species),
        "zero_weights": res.zero_weights, "weights": res.n_weights, "train_seconds": res.seconds,
        "crn_batch_agree": agree, "crn_batch_seconds": sim["seconds"],
        "crn_batch_max_abs_error": float(np.max(np.abs(sim["outputs"] - forward))),
        "roadrunner_agree": rr_agree, "roadrunner_sample": len(sample), "roadrunner_max_abs_error": rr_err,
        "settling_time_median": float(np.median(sim["t_end"])), "settling_time_max": float(np.max(sim["t_end"])),
        "readout_time": {"times": curve.times.tolist(), "accuracy": curve.accuracy.tolist(),
                         "network_accuracy": acc, "reached_at": curve.reached},
    }
    if save_model is not None:
        from .emit import write_model
        from .network import save_network

        save_model.mkdir(parents=True, exist_ok=True)
        save_network(net, save_model / "digits.json")
        write_model(crn, save_model)
        log.info(f"model written to {save_model}/")

    if sweep:
        summary["sweep"] = _digits_sweep(xtr, ytr, xte, yte, hidden, sweep, opts, out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "digits.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    log.info(f"summary: {out / 'digits.json'}")
    return summary


def _readout_time(crn: CRN, x: np.ndarray, labels: np.ndarray, accuracy: float, t_max: float, out: Path):
    """Accuracy of the class read at time T over the whole test set (error-
    controlled batch time courses from the all-zero state), and the first T
    from which it stays at the network's own accuracy; plotted to readout_time.png."""
    from .predict import readout_curve

    start = time.monotonic()
    curve = readout_curve(crn, x, labels, np.geomspace(t_max * 1e-3, t_max, 40), target=accuracy)
    shown = ", ".join(f"{a:.3f} at {t:.3g}" for t, a in curve.rows()[::6])
    log.info(f"readout time ({len(x)} test images, {time.monotonic() - start:.1f} s): accuracy {shown}; reaches the "
         f"network's {accuracy:.4f} at t = {'never' if curve.reached is None else f'{curve.reached:.3g}'} "
         f"(settling-time bound, tol 1e-8: {t_max:.3g})")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._atomic import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.semilogx(curve.times, curve.accuracy, "o-", ms=3, label="CRN, class read at time T")
    ax.axhline(accuracy, color="gray", ls=":", label=f"network (forward pass) {accuracy:.4f}")
    if curve.reached is not None:
        ax.axvline(curve.reached, color="tab:red", lw=0.8, label=f"reached at T = {curve.reached:.3g}")
    ax.set_xlabel("readout time T (model units, kappa = 1)")
    ax.set_ylabel(f"test accuracy ({len(x)} images)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    with atomic_path(out / "readout_time.png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    log.info(f"plot: {out / 'readout_time.png'}")
    return curve


def _digits_sweep(xtr, ytr, xte, yte, hidden, sweep, opts, out: Path) -> dict[str, list[float]]:
    from sklearn.neural_network import MLPClassifier

    from .importers import from_sklearn

    mlp = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=2000, random_state=SEED, alpha=1e-3)
    mlp.fit(xtr / 16.0, ytr)
    relu_acc = float(mlp.score(xte / 16.0, yte))
    log.info(f"scikit-learn ReLU MLP (inputs /16): test accuracy {relu_acc:.4f}")
    rows: dict[str, list[float]] = {k: [] for k in ("eps", "trained", "imported", "finetuned", "t_median", "t_max")}
    for eps in sweep:
        res = train(xtr, ytr, hidden=(hidden,), epsilon=eps, name="digits", **opts)
        acc = float(np.mean(predict_class(res.network, xte) == yte))
        imported = from_sklearn(mlp, epsilon=eps, name="digits_relu")
        imp_acc = float(np.mean(predict_class(imported, xte / 16.0) == yte))
        tuned = train(xtr / 16.0, ytr, epsilon=eps, init=imported, name="digits_tuned", l2=1e-3, max_iter=100)
        tuned_acc = float(np.mean(predict_class(tuned.network, xte / 16.0) == yte))
        times = np.array([settling_time(res.network, xi, tol=1e-6) for xi in xte])
        for k, v in zip(rows, (eps, acc, imp_acc, tuned_acc, float(np.median(times)), float(np.max(times)))):
            rows[k].append(v)
        log.info(f"eps {eps:<6g} trained {acc:.4f}  imported ReLU {imp_acc:.4f}  fine-tuned {tuned_acc:.4f}  "
             f"settling time (tol 1e-6) median {np.median(times):.3g} max {np.max(times):.3g}")
    rows["relu_reference"] = [relu_acc]
    _plot_sweep(rows, out / "eps_sweep.png")
    return rows


def _plot_sweep(rows: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._atomic import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    eps = rows["eps"]
    a1.semilogx(eps, rows["trained"], "o-", label="trained with sigma_eps")
    a1.semilogx(eps, rows["imported"], "s--", label="imported ReLU MLP, unchanged")
    a1.semilogx(eps, rows["finetuned"], "^-", label="imported, fine-tuned at eps")
    a1.axhline(rows["relu_reference"][0], color="gray", lw=0.8, ls=":", label="ReLU MLP (eps = 0)")
    a1.set_xlabel("eps")
    a1.set_ylabel("test accuracy (digits, 450 images)")
    a1.legend(fontsize="small")
    a2.loglog(eps, rows["t_median"], "o-", label="median over test images")
    a2.loglog(eps, rows["t_max"], "s--", label="worst test image")
    a2.set_xlabel("eps")
    a2.set_ylabel("settling time to rel. tol 1e-6 (kappa = 1)")
    a2.legend(fontsize="small")
    fig.suptitle("digits 64-20-10 CRN: accuracy and settling time against eps")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    log.info(f"plot: {path}")


def iris(out: Path, progress: bool = False) -> dict[str, Any]:
    _need_sklearn()
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    xtr, xte, ytr, yte = _split(x, y)
    res = train(xtr, ytr, hidden=(8,), epsilon=0.01, max_weight=5.0, l1=1e-3, seed=SEED, name="iris",
                input_range=(0.0, 8.0), progress=progress)
    acc = float(np.mean(predict_class(res.network, xte) == yte))
    sim = crn_outputs(res.network, compile_network(res.network), xte)
    agree = int(np.sum(np.argmax(sim["outputs"], axis=1) == predict_class(res.network, xte)))
    log.info(f"{res.summary()}\ntest accuracy {acc:.4f}; CRN batch simulation agrees on {agree}/{len(xte)}")
    return {"test_accuracy": acc, "agree": agree, "test": len(xte), "reactions": res.n_reactions}


def xor(out: Path, progress: bool = False) -> dict[str, Any]:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    res = train(x, y, hidden=(4,), epsilon=0.01, seed=SEED, name="xor_trained", progress=progress)
    sim = crn_outputs(res.network, compile_network(res.network), x)
    crn_pred = np.argmax(sim["outputs"], axis=1)
    log.info(f"{res.summary()}\nCRN classes {crn_pred.tolist()} (want {y.tolist()})")
    return {"train_accuracy": res.train_accuracy, "crn_classes": crn_pred.tolist()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m crn2sbml.experiments", description=__doc__.split("\n\n")[0])
    p.add_argument("experiment", choices=["digits", "iris", "xor"])
    p.add_argument("--out", default="build/experiments", help="folder for the summary JSON and the plot")
    p.add_argument("--hidden", type=int, default=20, help="digits: hidden units (default 20)")
    p.add_argument("--epsilon", type=float, default=0.01, help="digits: eps of the main model (default 0.01)")
    p.add_argument("--sweep", default="0.001,0.003,0.01,0.03,0.1,0.3,1",
                   help="digits: eps values of the sweep ('' to skip)")
    p.add_argument("--roadrunner-sample", type=int, default=100, help="digits: test images run in roadrunner")
    p.add_argument("--save-model", help="digits: write the network JSON and SBML/Antimony/CRN here (models/digits)")
    p.add_argument("--progress", action="store_true", help="per-iteration loss on stderr")
    args = p.parse_args(argv)
    out = Path(args.out)
    # results on stdout; the rest of the library (training's loss) on stderr with --progress
    with show_logs(logging.INFO, stream="stdout", logger=__name__), \
            show_logs(logging.INFO if args.progress else logging.WARNING, exclude=(__name__,)):
        if args.experiment == "digits":
            sweep = tuple(float(v) for v in args.sweep.split(",") if v.strip())
            digits(out, hidden=args.hidden, epsilon=args.epsilon, rr_sample=args.roadrunner_sample, sweep=sweep,
                   save_model=Path(args.save_model) if args.save_model else None, progress=args.progress)
        else:
            {"iris": iris, "xor": xor}[args.experiment](out, progress=args.progress)
    return 0


if __name__ == "__main__":
    sys.exit(main())
