"""Command-line interface: a thin shell over the library.

    crn2sbml compile models/xor.json --out build/xor
    crn2sbml simulate build/xor/xor.xml --input 1,0
    crn2sbml simulate models/xor.json --input 1,0 --json
    crn2sbml import model.onnx --out net.json
    crn2sbml train data.csv --target label --hidden 20 --epsilon 0.01 --out net.json

Errors print one line naming the field and the fix, and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from . import __version__
from ._atomic import atomic_path
from .compile import compile_network, network_from_crn
from .crn import CRN
from .emit import FORMATS, write_model
from .errors import Crn2SbmlError, InputError, MissingDependencyError, ModelReadError
from .network import Network, load_network
from .readback import read_sbml
from .simulate import BACKENDS, get_simulator
from .theory import settling_time

EXIT_USAGE = 2


def _floats(text: str, option: str) -> list[float]:
    values = []
    for part in text.split(","):
        try:
            values.append(float(part))
        except ValueError:
            raise InputError(
                f"{option} '{text}': '{part.strip()}' is not a number; give comma-separated "
                "concentrations such as 1,0"
            ) from None
    return values


def _load_model(path: str, speed: float | None) -> tuple[Network, CRN, str | None]:
    """A network JSON or a crn2sbml SBML file -> (network, crn, sbml text or None)."""
    p = Path(path)
    if not p.is_file():
        raise ModelReadError(f"cannot read model '{p}': no such file")
    if p.suffix.lower() == ".json":
        net = load_network(p)
        crn = compile_network(net, speed=1.0 if speed is None else speed)
        return net, crn, None
    crn = read_sbml(p)
    sbml = p.read_text(encoding="utf-8")
    if speed is not None:
        crn, sbml = crn.with_speed(speed), None  # re-emit with the new kappa
    return network_from_crn(crn), crn, sbml


def cmd_compile(args: argparse.Namespace) -> int:
    net = load_network(args.network)
    inputs = _floats(args.input, "--input") if args.input else None
    crn = compile_network(net, speed=args.speed, inputs=inputs)
    formats = tuple(f.strip() for f in args.formats.split(","))
    paths = write_model(crn, args.out, formats, sbml_version=int(args.sbml_version.split(".")[1]))
    print(f"{net.name}: {len(crn.species)} species, {len(crn.reactions)} reactions, "
          f"{len(crn.parameters) + 1} parameters (layers {'-'.join(map(str, net.sizes))})")
    for name, path in paths.items():
        print(f"  {name:9s} {path}")
    return 0


def _plot(tc, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError("--plot needs matplotlib: pip install matplotlib") from None
    suffix = Path(path).suffix.lstrip(".").lower() or "png"
    fig, ax = plt.subplots(figsize=(6, 3.5))
    supported = fig.canvas.get_supported_filetypes()
    if suffix not in supported:
        plt.close(fig)
        raise InputError(
            f"--plot '{path}': cannot save a '.{suffix}' image; use one of "
            f"{', '.join('.' + s for s in sorted(supported))} (e.g. .png or .svg)"
        )
    for k, name in enumerate(tc.species):
        ax.plot(tc.time, tc.values[:, k], label=name)
    ax.set_xlabel("time")
    ax.set_ylabel("concentration")
    ax.legend(fontsize="small")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix)
    plt.close(fig)


def cmd_simulate(args: argparse.Namespace) -> int:
    net, crn, sbml = _load_model(args.model, args.speed)
    if args.input is not None:
        crn = crn.with_inputs(net.check_input(_floats(args.input, "--input")))
    x = crn.input_values
    # roadrunner and COPASI load the file's own SBML; numpy works from the IR
    options = {"sbml": sbml} if args.backend != "numpy" and sbml is not None else {}
    sim = get_simulator(args.backend, crn, **options)
    t_end = args.time if args.time is not None else settling_time(net, x, crn.speed, tol=1e-6)
    outputs = [s.id for s in crn.outputs]  # species: each rail of a signed output
    tc = sim.time_course(t_end, args.points, outputs)
    ss = sim.steady_state(net)
    if args.plot:
        _plot(tc, args.plot)
    if args.json:
        report = {
            "model": net.name,
            "backend": sim.name,
            "inputs": dict(zip(net.inputs, x.tolist())),
            "speed": crn.speed,
            "steady_state": dict(zip(ss.outputs, ss.output_values.tolist())),
            "network_output": dict(zip(ss.outputs, ss.expected.tolist())),
            "max_rel_error": ss.max_rel_error,
            "residual": ss.residual,
            "presimulated": ss.presimulated,
            "time_course": {"time": tc.time.tolist(), **{s: tc[s].tolist() for s in tc.species}},
        }
        print(json.dumps(report, indent=1))
        return 0
    ins = ", ".join(f"{n}={v:g}" for n, v in zip(net.inputs, x))
    print(f"{net.name}: {net.n_inputs} inputs -> {net.n_outputs} outputs, {len(crn.reactions)} reactions; "
          f"{ins}; backend {sim.name}")
    print("\ntime course of the outputs:")
    print("  " + f"{'time':>10s}" + "".join(f"{o:>14s}" for o in outputs))
    for i in range(len(tc.time)):
        print("  " + f"{tc.time[i]:10.4g}" + "".join(f"{v:14.6g}" for v in tc.values[i]))
    print(f"\nsteady state (checked: all concentrations positive, residual {ss.residual:.1e}, "
          f"after {ss.presimulated:.3g} time units):")
    print(f"  {'output':<12s}{'CRN steady state':>20s}{'network output':>20s}{'rel. error':>12s}")
    for name, got, want in zip(ss.outputs, ss.output_values, ss.expected):
        err = abs(got - want) / max(abs(want), 1e-300)
        print(f"  {name:<12s}{got:20.12g}{want:20.12g}{err:12.1e}")
    if args.plot:
        print(f"\nplot: {args.plot}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import CHECKS, Options, validate, write_report

    input_range = None
    if args.input_range is not None:
        lo_hi = _floats(args.input_range, "--input-range")
        if len(lo_hi) != 2:
            raise InputError(f"--input-range '{args.input_range}': give two numbers, low,high (e.g. 0,1)")
        input_range = (lo_hi[0], lo_hi[1])
    checks = None
    if args.checks:
        checks = tuple(c.strip() for c in args.checks.split(",") if c.strip())
        unknown = [c for c in checks if c not in CHECKS]
        if unknown or not checks:
            raise InputError(f"--checks '{args.checks}': unknown check(s) {', '.join(unknown) or '(none given)'}; "
                             f"choose from {','.join(CHECKS)}")
    options = Options(input_range=input_range, seed=args.seed, progress=not args.quiet,
                      copasi_max_reactions=args.copasi_max_reactions,
                      roadrunner_max_reactions=args.roadrunner_max_reactions)
    report = validate(args.model, args.network, options=options, checks=checks)
    print(report.summary())
    if args.report:
        for path in write_report(report, args.report).values():
            print(f"  report  {path}")
    return 0 if report.passed else 1


def cmd_export(args: argparse.Namespace) -> int:
    import warnings

    from .export import RateRangeWarning, UnitScale, export

    net, crn, _ = _load_model(args.model, args.speed)
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    inputs = [_floats(part, "--inputs") for part in args.inputs.split(";") if part.strip()] if args.inputs else None
    scale = UnitScale.parse(args.concentration_unit, args.time_unit)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RateRangeWarning)
        written, issues = export(net, crn, formats, args.out, inputs=inputs, scale=scale,
                                 chemistry=args.chemistry, report=args.report, volume=args.volume)
    for w in caught:
        print(f"crn2sbml: warning: {w.message}", file=sys.stderr)
    print(f"{net.name}: exported {', '.join(formats)} ({len(crn.species)} species, {len(crn.reactions)} reactions; "
          f"1 unit = {scale.nM:g} nM, {scale.seconds:g} s; {len(issues)} implausible rates for '{args.chemistry}')")
    for name, paths in written.items():
        for path in paths:
            print(f"  {name:9s} {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .importers import import_model
    from .network import save_network

    acts = [a for a in args.activations.split(",")] if args.activations else None
    net = import_model(args.model, activations=acts, epsilon=args.epsilon, name=args.name)
    path = save_network(net, args.out)
    print(f"{net.name}: layers {'-'.join(map(str, net.sizes))}, activations "
          f"{', '.join(l.fn.describe() for l in net.layers)}, eps {args.epsilon:g} -> {path}")
    return 0


def _sizes(text: str, option: str) -> list[int]:
    try:
        sizes = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise InputError(f"{option} '{text}': give comma-separated layer sizes such as 20,20") from None
    if not sizes or min(sizes) < 1:
        raise InputError(f"{option} '{text}': every hidden layer needs at least one unit")
    return sizes


def cmd_train(args: argparse.Namespace) -> int:
    from .network import save_network
    from .training import read_csv, train

    x, y, features = read_csv(args.data, args.target)
    init = load_network(args.init) if args.init else None
    input_range = None
    if args.input_range:
        lo_hi = _floats(args.input_range, "--input-range")
        if len(lo_hi) != 2:
            raise InputError(f"--input-range '{args.input_range}': give two numbers, low,high (e.g. 0,16)")
        input_range = (lo_hi[0], lo_hi[1])
    result = train(
        x, y, hidden=_sizes(args.hidden, "--hidden"), epsilon=args.epsilon, task=args.task,
        max_weight=args.max_weight, l1=args.l1, l2=args.l2, seed=args.seed, max_iter=args.max_iter,
        init=init, input_range=input_range, feature_names=features, name=args.name,
        progress=not args.quiet,
    )
    print(result.summary())
    path = save_network(result.network, args.out)
    print(f"  network  {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crn2sbml",
        description="Compile a feed-forward network into a mass-action CRN (SBML, Antimony) "
        "whose steady state is the network's output.",
    )
    parser.add_argument("--version", action="version", version=f"crn2sbml {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("compile", help="network JSON -> SBML, Antimony and plain-text CRN")
    c.add_argument("network", help="network JSON file (format in the README)")
    c.add_argument("--out", required=True, help="output folder (created if needed)")
    c.add_argument("--speed", type=float, default=1.0, help="global speed factor kappa (default 1)")
    c.add_argument("--input", help="initial input concentrations stored in the model, e.g. 1,0")
    c.add_argument("--sbml-version", choices=["3.2", "3.1"], default="3.2", help="SBML Level.Version (default 3.2)")
    c.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated, from {', '.join(FORMATS)}")
    c.set_defaults(func=cmd_compile)

    s = sub.add_parser("simulate", help="time course and checked steady state beside the network's output")
    s.add_argument("model", help="network JSON file, or an SBML file written by crn2sbml compile")
    s.add_argument("--input", help="input concentrations, e.g. 1,0 (default: the model's own)")
    s.add_argument("--backend", default="roadrunner", choices=sorted(BACKENDS))
    s.add_argument("--speed", type=float, help="override the speed factor kappa")
    s.add_argument("--time", type=float, help="time-course length (default: the convergence bound)")
    s.add_argument("--points", type=int, default=11, help="time-course points (default 11)")
    s.add_argument("--plot", help="also save the output time course as PNG/SVG")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_simulate)

    v = sub.add_parser("validate", help="check a model's promises (exit 0 all pass, 1 a check fails)")
    v.add_argument("model", help="network JSON file, or an SBML file written by crn2sbml compile")
    v.add_argument("--network", help="reference network JSON the model must compute (default: read back from the model)")
    v.add_argument("--report", help="folder for report.json and report.html")
    v.add_argument("--input-range", help="low,high of the sampled inputs (network-level values): every input of a "
                   "network without input_ranges (default 0,1), and the unbounded sides of declared ranges "
                   "(default -1,1); declared finite bounds are used as declared")
    v.add_argument("--seed", type=int, default=20210031, help="seed of the sampled inputs, states and parameters")
    v.add_argument("--copasi-max-reactions", type=int, default=5000, help="skip COPASI above this size (default 5000)")
    v.add_argument("--roadrunner-max-reactions", type=int, default=20000,
                   help="above this size, run roadrunner only if its compiled model is cached (default 20000; "
                   "the numpy and batch simulators stand in)")
    v.add_argument("--checks", help="comma-separated subset of the checks (default: all): "
                   "sbml,structure,fixed_point,convergence,speed,smoothness,agreement")
    v.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    v.set_defaults(func=cmd_validate)
    from .export import CHEMISTRIES, EXPORTERS

    e = sub.add_parser("export", help="COMBINE/OMEX, COPASI, Tellurium, Nuskell, Visual DSD, wet-lab sheet")
    e.add_argument("model", help="network JSON file, or an SBML file written by crn2sbml compile")
    e.add_argument("--format", required=True, help=f"comma-separated, from {', '.join(EXPORTERS)}")
    e.add_argument("--out", required=True, help="output folder (created if needed)")
    e.add_argument("--inputs", help="test inputs, ';'-separated vectors, e.g. '1,0;0,1' (default: unit vectors, all ones)")
    e.add_argument("--concentration-unit", default="1nM", help="one model concentration unit, e.g. 10nM (default 1nM)")
    e.add_argument("--time-unit", default="s", help="one model time unit, e.g. s, 60s, min (default s)")
    e.add_argument("--chemistry", default="dsd", help=f"plausible-rate table: {', '.join(CHEMISTRIES)} (default dsd)")
    e.add_argument("--speed", type=float, help="override the speed factor kappa")
    e.add_argument("--volume", type=float, help="reaction volume in litres, added to the sheet's Gillespie table (e.g. 1e-15)")
    e.add_argument("--report", help="a validation report file (report.json or report.html) to put in the OMEX archive")
    e.set_defaults(func=cmd_export)

    i = sub.add_parser("import", help="ONNX model or PyTorch state_dict -> network JSON")
    i.add_argument("model", help=".onnx file, or a .pt/.pth state_dict saved with torch.save (needs --activations)")
    i.add_argument("--out", required=True, help="network JSON to write")
    i.add_argument("--activations", help="one per Linear layer of a state_dict, e.g. relu,relu,identity "
                   "('leaky_relu:0.1', 'hardtanh:-1:1' carry parameters)")
    i.add_argument("--epsilon", type=float, default=0.01, help="smoothing eps of the CRN (default 0.01)")
    i.add_argument("--name", help="network name (default: the file's stem)")
    i.set_defaults(func=cmd_import)

    t = sub.add_parser("train", help="train a network with the CRN's own activation (sigma_eps) on a CSV file")
    t.add_argument("data", help="CSV with a header row: numeric features and the target column")
    t.add_argument("--target", required=True, help="target column (class labels or numbers)")
    t.add_argument("--hidden", default="20", help="hidden layer sizes, e.g. 20,20 (default 20)")
    t.add_argument("--epsilon", type=float, default=0.01, help="smoothing eps (default 0.01)")
    t.add_argument("--task", choices=["classify", "regress"], default="classify")
    t.add_argument("--max-weight", type=float, help="wet-lab bound: |rate constant| <= W for every weight and bias")
    t.add_argument("--l1", type=float, default=0.0, help="L1 penalty on the weights (sparsity: fewer reactions)")
    t.add_argument("--l2", type=float, default=0.0, help="L2 penalty on the weights")
    t.add_argument("--seed", type=int, default=0, help="seed of the initial weights (runs are reproducible)")
    t.add_argument("--max-iter", type=int, default=500, help="L-BFGS-B iterations (default 500)")
    t.add_argument("--input-range", help="low,high of every feature (default: each feature's range in the data)")
    t.add_argument("--init", help="start from this network JSON (fine-tuning, e.g. an imported ReLU network)")
    t.add_argument("--name", default="trained", help="network name (default 'trained')")
    t.add_argument("--out", default="net.json", help="network JSON to write (default net.json)")
    t.add_argument("--quiet", action="store_true", help="no per-iteration loss on stderr")
    t.set_defaults(func=cmd_train)
    return parser


_VALUE_OPTIONS = ("--input", "--inputs", "--concentration-unit", "--volume", "--speed", "--time", "--points", "--input-range")
# (train/import options take no negative values except --input-range)


def _glue_negative_values(argv: Sequence[str]) -> list[str]:
    """argparse reads '--input -1,0' as two options; glue such a value to its
    option ('--input=-1,0') so it reaches the checks that name it."""
    out: list[str] = []
    for tok in argv:
        if out and out[-1] in _VALUE_OPTIONS and re.match(r"-\.?\d", tok):
            out[-1] = f"{out[-1]}={tok}"
        else:
            out.append(tok)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_glue_negative_values(sys.argv[1:] if argv is None else argv))
    for opt in ("speed", "time", "epsilon"):
        value = getattr(args, opt, None)
        if value is not None and not (np.isfinite(value) and value > 0):
            parser.error(f"--{opt} is {value}; it must be a finite number > 0")
    if getattr(args, "max_weight", None) is not None and not (np.isfinite(args.max_weight) and args.max_weight > 0):
        parser.error(f"--max-weight is {args.max_weight}; it must be a finite number > 0")
    if getattr(args, "points", 2) < 2:
        parser.error("--points must be at least 2")
    try:
        return args.func(args)
    except Crn2SbmlError as exc:
        print(f"crn2sbml: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
