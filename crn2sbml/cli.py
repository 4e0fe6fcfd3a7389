"""Command-line interface: a thin shell over the library.

    crn2sbml compile models/xor.json --out build/xor
    crn2sbml simulate build/xor/xor.xml --input 1,0
    crn2sbml simulate models/xor.json --input 1,0 --json
    crn2sbml import model.onnx --out net.json
    crn2sbml train data.csv --target label --hidden 20 --epsilon 0.01 --out net.json
    crn2sbml sweep models/xor.json --eps 0.1,0.01,0.001 --speed 1,10 --samples 200 --out build/sweep
    crn2sbml predict models/digits/digits.json --inputs-file x.csv --times 0.5,1,5,20 --out predictions.csv

Errors print one line naming the field and the fix, and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import logging
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from . import __version__
from ._atomic import atomic_path
from ._logs import show_logs
from ._progress import Bar, activity, progress_enabled
from .compile import DEFAULT_READOUTS, compile_network
from .crn import CRN, READOUT_FORMS
from .emit import write_model
from .emit.sbml import FILE_LOCAL_MIN_REACTIONS, RATE_CONSTANTS
from .errors import Crn2SbmlError, InputError, SteadyStateError
from .formats import COMPILE, EXPORT, formats_help, output_formats
from .loader import load_model
from .names import named_values
from .network import Network, load_network
from .reference import Reference
from .simulate import BACKENDS, Capability, SteadyState, TimeCourse, find_steady_state, get_simulator
from .simulate.acceptance import UNCHECKED_HORIZON
from .simulate.roadrunner import model_text
from .sweep.engine import CONNECT_TIMEOUT, Executor, make_executor

EXIT_USAGE = 2
# stdout closed by the reader (`crn2sbml simulate ... --json | head -c 100`): the
# shell's status of a tool ended by SIGPIPE (128 + 13), as `yes | head` gives
EXIT_CLOSED_PIPE = 141


def _floats(text: str, option: str, example: str = "concentrations such as 1,0") -> list[float]:
    values = []
    for part in text.split(","):
        try:
            values.append(float(part))
        except ValueError:
            raise InputError(
                f"{option} '{text}': '{part.strip()}' is not a number; give comma-separated {example}"
            ) from None
    return values


def _inputs(text: str, names, ids, base) -> list[float]:
    """--input as values in order (1,0) or by name (x1=1,x2=0; inputs not named keep ``base``)."""
    if "=" not in text:
        return _floats(text, "--input")
    named = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        named[name.strip()] = _floats(value, "--input", "name=value pairs such as x1=1,x2=0")[0]
    return named_values(named, names, ids, base).tolist()


def _input_range(text: str | None, example: str) -> tuple[float, float] | None:
    """--input-range low,high."""
    if text is None:
        return None
    lo_hi = _floats(text, "--input-range")
    if len(lo_hi) != 2:
        raise InputError(f"--input-range '{text}': give two numbers, low,high (e.g. {example})")
    return lo_hi[0], lo_hi[1]


def _load_model(path: str, speed: float | None) -> tuple[Network, CRN, str | None]:
    """A network JSON or a crn2sbml SBML file that reads back as a network ->
    (network, crn, the file's SBML text or None)."""
    loaded = load_model(path, speed=speed)
    loaded.require_simulable()  # what the IR cannot carry (a rule, an event) would be silently dropped
    return loaded.require_network(), loaded.crn, loaded.sbml


def cmd_compile(args: argparse.Namespace) -> int:
    net = load_network(args.network)
    inputs = _inputs(args.input, net.inputs, net.ids.inputs, [0.0] * net.n_inputs) if args.input else None
    formats = tuple(f.strip() for f in args.formats.split(","))
    with activity(f"compiling {net.name}"):  # drawn only if it takes over a second (large networks)
        crn = compile_network(net, speed=args.speed, inputs=inputs, start=args.start, readouts=args.readouts)
        paths = write_model(crn, args.out, formats, sbml_version=int(args.sbml_version.split(".")[1]),
                            rate_constants=args.rate_constants)
    print(f"{net.name}: {len(crn.species)} species, {len(crn.reactions)} reactions, "
          f"{len(crn.parameters) + 1} parameters (layers {'-'.join(map(str, net.sizes))})")
    for name, path in paths.items():
        print(f"  {name:9s} {path}")
    return 0


def _plot(tc, path: str, quantity: str = "concentrations") -> None:
    from .plots import pyplot

    plt = pyplot("--plot")
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
    ax.set_ylabel(quantity)
    ax.legend(fontsize="small")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix)
    plt.close(fig)


def _jit_notice(crn: CRN, sbml: str, no_cache: bool) -> str:
    """What a long roadrunner load is doing (minutes above ~20,000 reactions); '' for a small model."""
    from .simulate.roadrunner import CACHE_MIN_REACTIONS, cache_file, default_cache_dir

    n = len(crn.reactions)
    if n < CACHE_MIN_REACTIONS:
        return ""
    folder = None if no_cache else default_cache_dir()
    if folder is not None and cache_file(sbml, folder).is_file():
        return "roadrunner: loading the compiled model from the cache"
    return f"roadrunner JIT, {n:,} reactions (about 4 s at 5,000, 11 min at 80,000; cached after)"


def _quantity_note(names: Sequence[str], declared: dict[str, str]) -> str:
    """'concentrations', 'amounts', or which species are which: what the numbers shown are."""
    kinds = {declared.get(n, "concentration") for n in names}
    if len(kinds) <= 1:
        return f"{kinds.pop() if kinds else 'concentration'}s"
    amounts = [n for n in names if declared.get(n) == "amount"]
    return f"amounts ({', '.join(amounts)}), the others concentrations"


def cmd_simulate(args: argparse.Namespace) -> int:
    loaded = load_model(args.model, speed=args.speed)
    loaded.require_simulable()
    crn, net = loaded.crn, loaded.network
    if args.input is not None:
        crn = crn.with_inputs(_inputs(args.input, crn.input_names, crn.input_ids, crn.input_values))
    for edit in loaded.edits:
        print(f"crn2sbml: note: rate constant edited by hand since compile: {edit}", file=sys.stderr)
    for dropped in loaded.dropped:
        print(f"crn2sbml: note: {dropped}", file=sys.stderr)
    # roadrunner and COPASI load the file's own SBML; numpy and batch work from the IR
    options = {"sbml": loaded.sbml} if args.backend == "copasi" and loaded.sbml is not None else {}
    notice = ""
    if args.backend == "roadrunner":  # the text is emitted once, for the notice and the load
        options.update(sbml=model_text(crn, loaded.sbml), cache=False if args.no_cache else None)
        notice = _jit_notice(crn, options["sbml"], args.no_cache)
    reference = Reference(net, crn) if net is not None else None
    with activity(notice, enabled=bool(notice), delay=0.0):
        sim = get_simulator(args.backend, crn, **options)
    no_steady_state = ""
    with sim:
        try:
            ss: SteadyState | None = find_steady_state(sim, reference)
        except SteadyStateError as exc:
            if reference is not None:  # a network's model must reach its checked fixed point
                raise
            # a model of its own (S1 -> S2) may have none: its time course is still the answer
            ss, no_steady_state = None, str(exc)
        # without a network there is no settling bound: show the span the acceptance policy simulated
        t_end = args.time if args.time is not None else (
            reference.settling_time(crn.input_values) if reference else
            ss.presimulated if ss is not None else UNCHECKED_HORIZON / crn.speed)
        shown = [s.id for s in crn.outputs] or list(sim.species[:8])  # species: each rail of a signed output
        # a single-rail output's species is reported under the output's name (its id may be a mapped one)
        label = {s.id: crn.label(s.layer, s.unit) for s in crn.outputs if len(crn.units[(s.layer, s.unit)]) == 1}
        tc = sim.time_course(t_end, args.points, shown) if Capability.TIME_COURSE in sim.capabilities else None
    # each species in the quantity the model declares it in (the IR holds concentrations)
    declared = loaded.quantities.declared
    scale = loaded.quantities.scale
    if tc is not None:
        tc = TimeCourse(tc.time, tc.species, tc.values * np.array([scale(s) for s in tc.species]))
    if args.plot:
        if tc is None:
            raise InputError(f"--plot needs a time course; the {args.backend} backend computes none "
                             "(use --backend roadrunner or numpy)")
        _plot(tc, args.plot, _quantity_note(tc.species, declared))
    course = {s: tc[s] for s in tc.species} if tc is not None else {}
    state = {} if ss is None else dict(zip(ss.species, (v * scale(n) for n, v in zip(ss.species, ss.values))))
    x = crn.input_values
    if args.json:
        report = {
            "model": crn.name,
            "backend": sim.name,
            "inputs": dict(zip(crn.input_names, x.tolist())),
            "speed": crn.speed,
            "checked_against_network": ss is not None and ss.checked_against_network,
            "steady_state": None if ss is None else dict(zip(ss.outputs, ss.output_values.tolist())) if ss.outputs
            else {k: float(v) for k, v in state.items()},
            "no_steady_state": no_steady_state or None,
            "quantities": {label.get(n, n): declared.get(n, "concentration")
                           for n in dict.fromkeys([*course, *state])},
            "volume": loaded.quantities.volume,
            "network_output": dict(zip(ss.outputs, ss.expected.tolist())) if ss and ss.expected is not None else None,
            "max_rel_error": ss.max_rel_error if ss else None,
            "residual": ss.residual if ss else None,
            "presimulated": ss.presimulated if ss else None,
            "hand_edits": [str(e) for e in loaded.edits],
            "dropped": list(loaded.dropped),
            "time_course": {"time": tc.time.tolist(), **{label.get(s, s): course[s].tolist() for s in tc.species}}
            if tc else None,
        }
        print(json.dumps(report, indent=1))
        return 0
    names = crn.input_names
    ins = ", ".join(f"{n}={v:g}" for n, v in list(zip(names, x))[:8])
    if len(names) > 8:  # an MNIST-sized input would fill the screen
        ins += f", ... ({len(names) - 8} more; --json lists them all)"
    print(f"{crn.name}: {len(names)} inputs -> {len(crn.output_names) or len(crn.floating)} "
          f"{'outputs' if crn.output_names else 'species'}, {len(crn.reactions)} reactions; {ins}; backend {sim.name}")
    if tc is not None:
        print(f"\ntime course of the {'outputs' if crn.outputs else 'first species'} "
              f"({_quantity_note(tc.species, declared)}):")
        print("  " + f"{'time':>10s}" + "".join(f"{label.get(o, o):>14s}" for o in tc.species))
        for i in range(len(tc.time)):
            print("  " + f"{tc.time[i]:10.4g}" + "".join(f"{course[s][i]:14.6g}" for s in tc.species))
    if ss is None:
        print(f"\nno positive steady state found ({no_steady_state}); the time course above is the model's answer")
    elif not ss.checked_against_network:
        print(f"\nsteady state (positive, residual {ss.residual:.1e}, after {ss.presimulated:.3g} time units; not "
              f"checked against a network: {loaded.readback_error or 'the model encodes none'}; "
              f"{_quantity_note(ss.species, declared)}):")
        for name, got in state.items():
            print(f"  {name:<20s}{got:20.12g}")
    else:
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

    checks = None
    if args.checks:
        checks = tuple(c.strip() for c in args.checks.split(",") if c.strip())
        unknown = [c for c in checks if c not in CHECKS]
        if unknown or not checks:
            raise InputError(f"--checks '{args.checks}': unknown check(s) {', '.join(unknown) or '(none given)'}; "
                             f"choose from {','.join(CHECKS)}")
    options = Options(input_range=_input_range(args.input_range, "0,1"), seed=args.seed, progress=not args.quiet,
                      copasi_max_reactions=args.copasi_max_reactions,
                      roadrunner_max_reactions=args.roadrunner_max_reactions,
                      sbml_max_reactions=args.sbml_max_reactions, dna=args.dna)
    if args.dna and not Path(args.dna).is_dir():
        raise InputError(f"--dna '{args.dna}': no such folder; give the --out folder of crn2sbml dna")
    report = validate(args.model, args.network, options=options, checks=checks, accept_edits=args.accept_edits)
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
                                 chemistry=args.chemistry, report=args.report, volume=args.volume, dna=args.dna)
    for w in caught:
        print(f"crn2sbml: warning: {w.message}", file=sys.stderr)
    print(f"{net.name}: exported {', '.join(formats)} ({len(crn.species)} species, {len(crn.reactions)} reactions; "
          f"1 unit = {scale.nM:g} nM, {scale.seconds:g} s; {len(issues)} implausible rates for '{args.chemistry}')")
    for name, paths in written.items():
        for path in paths:
            print(f"  {name:9s} {path}")
    return 0


def cmd_dna(args: argparse.Namespace) -> int:
    from .dna import dna_design, write_dna
    from .export import UnitScale, default_inputs

    net, crn, _ = _load_model(args.model, None)
    inputs = [_floats(part, "--inputs") for part in args.inputs.split(";") if part.strip()] if args.inputs \
        else default_inputs(net)
    for x in inputs:
        crn.with_inputs(x)  # checks the count, signs and ranges before any tool runs
    crn = crn.with_inputs(inputs[0])  # the strands' concentrations in NAME.pil and NAME_dna.xml
    auto = args.time_unit.strip().lower() == "auto"
    scale = UnitScale.parse(args.concentration_unit, "s" if auto else args.time_unit)
    if args.jobs is not None and args.jobs < 1:
        raise InputError(f"--jobs {args.jobs}: give at least 1 worker process")
    if not 0 < args.tolerance < 1:
        raise InputError(f"--tolerance {args.tolerance:g}: give a fraction in (0, 1), e.g. 0.1")
    with Bar(total=len(crn.reactions), desc=f"{net.name}: enumerating and verifying modules", unit="module",
             enabled=not args.quiet) as bar:
        design = dna_design(crn, args.scheme, fuel=args.fuel, c0=scale.nM, seconds=None if auto else scale.seconds,
                            jobs=args.jobs, progress=lambda k, n, r: bar.update(1, r))
    with activity("simulating the DNA-level network", enabled=not args.quiet):
        paths, answers = write_dna(design, net, args.out, inputs=None if args.no_simulate else inputs,
                                   tolerance=args.tolerance, sequences=args.sequences, seed=args.seed)
    s, r = design.system, design.realisation
    if r is None:
        failed = [v.reaction for v in s.verdicts if not v.correct]
        print(f"crn2sbml: verification failed: {', '.join(failed) or 'the composition of the modules'} "
              f"(scheme {s.scheme.name}); see {paths['verification']}", file=sys.stderr)
        return 1
    print(f"{net.name}: scheme {s.scheme.name}, {len(s.modules)} modules -> {len(s.kernels)} DNA species, "
          f"{len(s.reactions)} reactions; verified: {sum(v.correct for v in s.verdicts)}/{len(s.verdicts)} modules, "
          f"whole system {'correct' if s.whole else 'NOT correct'}")
    print(f"  1 formal unit = {r.c0:g} nM, {r.seconds:.4g} s; gates <= {r.cap:.4g} nM (--fuel {r.fuel:g}), "
          f"buffers {r.buffer:.4g} nM")
    for a in answers:
        print(f"  input {','.join(f'{v:g}' for v in a.inputs)}: DNA {', '.join(f'{v:.4f}' for v in a.dna)} "
              f"forward {', '.join(f'{v:.4f}' for v in a.forward)} at {a.read_at / 3600:.3g} h (worst error to "
              f"{2 * a.read_at / 3600:.3g} h: {a.error:.3g}, tolerance {a.tolerance:.3g}: "
              f"{'within' if a.ok else 'NOT within'}; gates spent by then: {a.spent:.0%} of {a.spent_by}'s)")
    for key, path in paths.items():
        print(f"  {key:12s} {path}")
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
    input_range = _input_range(args.input_range or None, "0,16")
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


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """--scheduler / --workers / --serial and --connect-timeout (also used by python -m validation)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing dask scheduler, e.g. "
                       "tcp://10.0.0.5:8786 (its workers need crn2sbml installed)")
    where.add_argument("--workers", type=int, help="worker processes of the local dask cluster "
                       "(default: one per core, at most one per task; when that is one, the tasks run in this process)")
    where.add_argument("--serial", action="store_true", help="run every task in this process, without dask")
    parser.add_argument("--connect-timeout", type=float, default=CONNECT_TIMEOUT,
                        help=f"seconds to reach --scheduler and see a worker (default {CONNECT_TIMEOUT:g})")


def open_executor(args: argparse.Namespace, tasks: int) -> Executor:
    return make_executor(args.scheduler, args.workers, args.serial, tasks=tasks, connect_timeout=args.connect_timeout)


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import SweepGrid, check_grid_values, read_inputs, sample_inputs, write_sweep

    net = load_network(args.network)
    eps = check_grid_values(_floats(args.eps, "--eps", "numbers > 0 such as 0.1,0.01"), "--eps")
    speeds = check_grid_values(_floats(args.speeds, "--speed", "numbers > 0 such as 1,10"), "--speed", "1,10")
    if args.seed is not None and (args.inputs or args.inputs_file):
        raise InputError("--seed picks the --samples draws; drop it with --inputs or --inputs-file")
    if args.inputs:
        rows = [_floats(part, "--inputs") for part in args.inputs.split(";") if part.strip()]
        for k, row in enumerate(rows, start=1):
            if len(row) != net.n_inputs:
                raise InputError(f"--inputs vector {k} has {len(row)} values; '{net.name}' takes {net.n_inputs} "
                                 f"({', '.join(net.inputs)}); separate vectors with ';', e.g. '1,0;0,1'")
        x, source = np.array(rows, dtype=float).reshape(len(rows), net.n_inputs), "--inputs"
    elif args.inputs_file:
        x, source = read_inputs(args.inputs_file, net), f"--inputs-file {args.inputs_file}"
    else:
        seed = 0 if args.seed is None else args.seed
        count = 100 if args.samples is None else args.samples
        x = sample_inputs(net, count, seed, _input_range(args.input_range, "0,1"))
        source = f"{count} uniform samples in validation's input ranges, seed {seed}"
    grid = SweepGrid(net, x, eps, speeds, tol=args.tol, chunk=args.chunk, measure=args.measure, source=source)
    start = time.perf_counter()
    with open_executor(args, len(grid.tasks)) as executor:
        result = grid.run(executor, progress=not args.quiet)
    seconds = time.perf_counter() - start
    paths = write_sweep(result, args.out)
    print(result.summary())
    print(f"{len(grid.tasks)} tasks in {seconds:.1f} s on {executor.description}"
          + (f"; {len(result.failed)} of {len(result.points)} points FAILED" if result.failed else ""))
    for kind, path in paths.items():
        print(f"  {kind:5s} {path}")
    return 1 if result.failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crn2sbml",
        description="Compile a feed-forward network into a mass-action CRN (SBML, Antimony) "
        "whose steady state is the network's output.",
    )
    parser.add_argument("--version", action="version", version=f"crn2sbml {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("compile", help="network JSON -> SBML, Antimony and plain-text CRN")
    c.add_argument("network", help="network JSON file (format: docs/network-file.md)")
    c.add_argument("--out", required=True, help="output folder (created if needed)")
    c.add_argument("--speed", type=float, default=1.0, help="global speed factor kappa (default 1)")
    c.add_argument("--input", help="initial input concentrations stored in the model, e.g. 1,0 or x1=1,x2=0")
    c.add_argument("--start", choices=["bound", "zero"], default="bound",
                   help="neurons' initial state: above their fixed point, so plain steady-state solvers land on it "
                        "(bound, default), or 0 (zero)")
    c.add_argument("--readouts", choices=list(READOUT_FORMS), default=DEFAULT_READOUTS,
                   help="signed values of multi-rail units (e.g. identity outputs): assignment rules (rules), "
                   "species relaxing to them by one linear reaction, for tools without rules such as GillesPy2's "
                   f"ODE solver (species), or the rails only (none) (default {DEFAULT_READOUTS})")
    c.add_argument("--sbml-version", choices=["3.2", "3.1"], default="3.2", help="SBML Level.Version (default 3.2)")
    c.add_argument("--formats", default=",".join(output_formats(COMPILE)), help=formats_help(COMPILE))
    c.add_argument("--rate-constants", choices=("auto", *RATE_CONSTANTS), default="auto",
                   help="SBML rate constants as named global parameters (COPASI, sensitivities) or local to each "
                        "kinetic law (roadrunner loads large models 1.4-3.3x faster); auto (default): local from "
                        f"{FILE_LOCAL_MIN_REACTIONS:,} reactions, global below")
    c.set_defaults(func=cmd_compile)

    s = sub.add_parser("simulate", help="time course and checked steady state beside the network's output")
    s.add_argument("model", help="network JSON file, or an SBML file (crn2sbml's own, edited, or any mass-action model)")
    s.add_argument("--input", help="input concentrations, e.g. 1,0 or by name x1=1 (default: the model's own)")
    s.add_argument("--backend", default="roadrunner", choices=sorted(BACKENDS))
    s.add_argument("--speed", type=float, help="override the speed factor kappa")
    s.add_argument("--time", type=float, help="time-course length (default: the convergence bound)")
    s.add_argument("--points", type=int, default=11, help="time-course points (default 11)")
    s.add_argument("--plot", help="also save the output time course as PNG/SVG")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--no-cache", action="store_true",
                   help="do not use or fill roadrunner's compiled-model cache (default: models of 2,000 or more "
                   "reactions are cached in $CRN2SBML_CACHE_DIR or ~/.cache/crn2sbml/roadrunner)")
    s.set_defaults(func=cmd_simulate)

    v = sub.add_parser("validate", help="check a model's promises (exit 0 all pass, 1 a check fails)")
    v.add_argument("model", help="network JSON file, or an SBML file (crn2sbml's own, edited, or any mass-action model)")
    v.add_argument("--network", help="reference network JSON the model must compute (default: read back from the model)")
    v.add_argument("--report", help="folder for report.json and report.html")
    v.add_argument("--input-range", help="low,high of the sampled inputs (network-level values): every input of a "
                   "network without input_ranges (default 0,1), and the unbounded sides of declared ranges "
                   "(default -1,1); declared finite bounds are used as declared")
    v.add_argument("--seed", type=int, default=20210031, help="seed of the sampled inputs, states and parameters")
    v.add_argument("--copasi-max-reactions", type=int, default=5000, help="skip COPASI above this size (default 5000)")
    v.add_argument("--roadrunner-max-reactions", type=int, default=20000,
                   help="above this size, run roadrunner only if its compiled model is cached (default 20000; "
                   "the batch and numpy simulators stand in)")
    v.add_argument("--sbml-max-reactions", type=int, default=10000,
                   help="above this size, libsbml's consistency check covers a random sample of the reactions "
                   "(about 0.5 ms each), and the report says how many (default 10000; 0: every reaction)")
    v.add_argument("--checks", help="comma-separated subset of the checks (default: all): "
                   "sbml,structure,fixed_point,convergence,speed,smoothness,agreement,dna")
    v.add_argument("--dna", help="a folder crn2sbml dna wrote: the dna check holds its verdict and DNA-level answer "
                   "to the model (default: NAME_verification.json beside the model, if there)")
    v.add_argument("--accept-edits", action="store_true",
                   help="accept rate constants edited by hand since compile: validate the model as the network it "
                   "now encodes (default: an edited model fails the structure check, listing each edit)")
    v.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    v.set_defaults(func=cmd_validate)
    from .export import CHEMISTRIES

    e = sub.add_parser("export", help="COMBINE/OMEX, COPASI, Tellurium, Nuskell, Visual DSD, wet-lab sheet")
    e.add_argument("model", help="network JSON file, or an SBML file written by crn2sbml compile")
    e.add_argument("--format", required=True, help=formats_help(EXPORT))
    e.add_argument("--out", required=True, help="output folder (created if needed)")
    e.add_argument("--inputs", help="test inputs, ';'-separated vectors, e.g. '1,0;0,1' (default: unit vectors, all ones)")
    e.add_argument("--concentration-unit", default="1nM", help="one model concentration unit, e.g. 10nM (default 1nM)")
    e.add_argument("--time-unit", default="s", help="one model time unit, e.g. s, 60s, min (default s)")
    e.add_argument("--chemistry", default="dsd", help=f"plausible-rate table: {', '.join(CHEMISTRIES)} (default dsd)")
    e.add_argument("--speed", type=float, help="override the speed factor kappa")
    e.add_argument("--volume", type=float, help="reaction volume in litres, added to the sheet's Gillespie table (e.g. 1e-15)")
    e.add_argument("--report", help="a validation report file (report.json or report.html) to put in the OMEX archive")
    e.add_argument("--dna", metavar="DIR",
                   help="a folder written by crn2sbml dna: the sheet gains its strands and verdict")
    e.set_defaults(func=cmd_export)

    from .dna.schemes import get_scheme, known_schemes

    d = sub.add_parser("dna", help="a verified DNA strand-displacement implementation: PIL, DNA-level SBML, strands")
    d.add_argument("model", help="network JSON file, or an SBML file written by crn2sbml compile")
    d.add_argument("--scheme", required=True, help=f"translation scheme: {', '.join(known_schemes())}")
    d.add_argument("--out", required=True, help="output folder (created if needed)")
    d.add_argument("--fuel", type=float, default=None,
                   help="gates and fuel strands at up to this many times the largest signal, buffers at this many "
                   "times that up to 1 mM, and at least 10 times the gates (default: the scheme's, "
                   + ", ".join(f"{n} {get_scheme(n).fuel:g}" for n in known_schemes())
                   + ", lowered where the gates would pass 0.1 mM)")
    d.add_argument("--inputs", help="test inputs simulated at the DNA level, ';'-separated, e.g. '1,0;0,1' "
                   "(default: unit vectors, all ones)")
    d.add_argument("--concentration-unit", default="10nM", help="one formal concentration unit (default 10nM)")
    d.add_argument("--time-unit", default="auto", help="one formal time unit, e.g. 1h; default auto: the fastest "
                   "the fuel allows")
    d.add_argument("--jobs", type=int, help="worker processes for the modules (default: the cores)")
    d.add_argument("--tolerance", type=float, default=0.1,
                   help="the DNA-level readout's tolerance, a fraction of max(1, |output|) (default 0.1)")
    d.add_argument("--sequences", action="store_true",
                   help="design domain sequences (seqwalk) and check the strands with ViennaRNA's DNA parameters: "
                   "sequence and check columns in NAME_strands.csv")
    d.add_argument("--seed", type=int, default=0, help="seed of the sequence design (default 0)")
    d.add_argument("--no-simulate", action="store_true", help="skip the DNA-level simulation of the test inputs")
    d.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    d.set_defaults(func=cmd_dna)

    i = sub.add_parser("import", help="ONNX model, PyTorch state_dict or scikit-learn MLP (skops) -> network JSON")
    i.add_argument("model", help=".onnx file, a .pt/.pth state_dict saved with torch.save (needs --activations), or a "
                   ".skops file of a fitted MLPClassifier/MLPRegressor saved with skops.io.dump (loaded without pickle)")
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
    t.add_argument("--quiet", action="store_true", help="no progress bar (iterations, loss) on stderr")
    t.set_defaults(func=cmd_train)

    w = sub.add_parser("sweep", help="a network over inputs x eps x speed factor, on dask (exit 1 if a point fails)")
    w.add_argument("network", help="network JSON file")
    w.add_argument("--eps", required=True, help="smoothing eps values, every layer's eps replaced, e.g. 0.1,0.01,0.001")
    w.add_argument("--speed", dest="speeds", default="1", help="speed factors kappa, e.g. 1,10 (default 1)")
    given = w.add_mutually_exclusive_group()
    given.add_argument("--inputs", help="';'-separated input vectors, e.g. '1,0;0,1'")
    given.add_argument("--samples", type=int, help="inputs drawn uniformly in the network's input ranges "
                       "(as validation samples them; default 100)")
    given.add_argument("--inputs-file", help="CSV file with a header row naming the network's inputs")
    w.add_argument("--seed", type=int, help="seed of --samples (default 0)")
    w.add_argument("--input-range", help="low,high for --samples where the network declares no range "
                   "(default 0,1; -1,1 for unbounded sides)")
    w.add_argument("--tol", type=float, default=1e-6, help="settled = within this relative distance (default 1e-6)")
    w.add_argument("--measure", action="store_true", help="also measure settling times with the batch integrator "
                   "(about 4x the cost of the rest)")
    w.add_argument("--chunk", type=int, default=500, help="inputs per task (default 500)")
    w.add_argument("--out", required=True, help="folder for sweep.json, sweep.csv and sweep.png")
    w.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    add_executor_options(w)
    w.set_defaults(func=cmd_sweep)
    add_predict_parser(sub)
    for name, command in sub.choices.items():
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        command.epilog = examples_epilog(EXAMPLES[name])
        if "--quiet" not in command._option_string_actions:
            command.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


# Every subcommand's --help ends with these: real commands on the files in
# models/, run from the repository's root (tests/test_help_examples.py runs
# each one, its --out and --report in a temporary folder)
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "compile": (
        ("SBML, Antimony and the plain-text CRN of the XOR network", "crn2sbml compile models/xor.json --out build/xor"),
        ("SBML only, rate constants local to each reaction (faster roadrunner loads)",
         "crn2sbml compile models/xor.json --out build/xor-local --formats sbml --rate-constants local"),
    ),
    "simulate": (
        ("the compiled model at input (1, 0): time course and checked steady state",
         "crn2sbml simulate models/xor/xor.xml --input 1,0"),
        ("straight from the network file, numpy backend, machine-readable",
         "crn2sbml simulate models/xor.json --input 0,1 --backend numpy --json"),
    ),
    "validate": (
        ("every check, with report.json and report.html",
         "crn2sbml validate models/xor/xor.xml --network models/xor.json --report build/xor-report"),
        ("three quick checks of a network file", "crn2sbml validate models/xor.json --checks sbml,structure,fixed_point"),
    ),
    "export": (
        ("the wet-lab sheet and a Tellurium script, 1 unit = 10 nM",
         "crn2sbml export models/xor.json --format sheet,tellurium --concentration-unit 10nM --out build/xor-export"),
        ("a COMBINE archive (SBML + SED-ML) of the compiled model",
         "crn2sbml export models/xor/xor.xml --format omex --out build/xor-omex"),
    ),
    "dna": (
        ("XOR as DNA strand displacement, verified module by module, simulated at the DNA level",
         "crn2sbml dna models/xor.json --scheme lakin2012 --out build/xor-dna"),
        ("the Soloveichik 2010 scheme, 100x fuel, without the DNA-level simulation",
         "crn2sbml dna models/xor.json --scheme soloveichik2010 --fuel 100 --no-simulate --out build/xor-dna-ssw"),
    ),
    "import": (
        ("an ONNX model (Gemm + Relu) as a network file at eps 0.001",
         "crn2sbml import models/xor/xor.onnx --out xor-imported.json --epsilon 0.001"),
    ),
    "train": (
        ("XOR from a CSV file, one hidden layer of 4, rate constants at most 20",
         "crn2sbml train models/xor/xor_data.csv --target y --hidden 4 --max-weight 20 --out xor-trained.json"),
    ),
    "sweep": (
        ("20 sampled inputs x 2 eps x 2 speed factors, in this process",
         "crn2sbml sweep models/xor.json --eps 0.1,0.01 --speed 1,10 --samples 20 --serial --out build/xor-sweep"),
    ),
    "predict": (
        ("the steady-state outputs of every row of a CSV file, beside the forward pass",
         "crn2sbml predict models/xor.json --inputs-file models/xor/xor_inputs.csv --out xor-predictions.csv"),
        ("the outputs at readout times 1 and 5",
         "crn2sbml predict models/xor/xor.xml --inputs-file models/xor/xor_inputs.csv --times 1,5 "
         "--out xor-at-times.csv"),
    ),
}


def examples_epilog(examples: Sequence[tuple[str, str]]) -> str:
    return "examples:\n" + "\n".join(f"  # {what}\n  {command}" for what, command in examples)


# --- predict ------------------------------------------------------------------------
def cmd_predict(args: argparse.Namespace) -> int:
    import logging

    from .predict import parse_times, predict, read_rows, write_predictions

    times = parse_times(args.times) if args.times is not None else None
    net, crn, _ = _load_model(args.model, None)
    x, lines = read_rows(args.inputs_file, net)
    logger = logging.getLogger("crn2sbml.predict")
    if not args.quiet and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("crn2sbml predict: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    result = predict(net, crn, x, lines, times)
    write_predictions(result, args.out)
    what = "steady states" if times is None else f"outputs at t = {', '.join(f'{t:g}' for t in times)}"
    print(f"{net.name}: {len(x)} rows, {what} -> {args.out}")
    return 0


def add_predict_parser(sub) -> None:
    p = sub.add_parser("predict", help="a CSV file of inputs through the CRN: outputs, forward pass, class")
    p.add_argument("model", help="network JSON or crn2sbml SBML file")
    p.add_argument("--inputs-file", required=True, help="CSV file with a header row naming the network's inputs")
    p.add_argument("--times", help="readout times, e.g. 0.5,1,5,20 (default: the checked steady state)")
    p.add_argument("--out", required=True, help="CSV file to write (atomically: a failure writes nothing)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_predict)


_VALUE_OPTIONS = ("--input", "--inputs", "--concentration-unit", "--volume", "--speed", "--time", "--points", "--input-range",
                  "--eps", "--tol", "--chunk", "--samples", "--workers", "--connect-timeout")
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
    for opt in ("speed", "time", "epsilon", "connect_timeout"):
        value = getattr(args, opt, None)
        if value is not None and not (np.isfinite(value) and value > 0):
            parser.error(f"--{opt.replace('_', '-')} is {value}; it must be a finite number > 0")
    for opt in ("chunk", "samples", "workers"):
        value = getattr(args, opt, None)
        if value is not None and value < 1:
            parser.error(f"--{opt} is {value}; it must be at least 1")
    if getattr(args, "tol", None) is not None and not 0 < args.tol < 1:
        parser.error(f"--tol is {args.tol}; it must be in (0, 1), e.g. 1e-6")
    if getattr(args, "max_weight", None) is not None and not (np.isfinite(args.max_weight) and args.max_weight > 0):
        parser.error(f"--max-weight is {args.max_weight}; it must be a finite number > 0")
    if getattr(args, "points", 2) < 2:
        parser.error("--points must be at least 2")
    try:
        # the library logs and draws progress bars; the command shows them on stderr unless --quiet.
        # Floating-point warnings (overflow in a bound at the edge of double range, ...) are not
        # shown: every result is checked (a NaN fails acceptance) and a failure is one error line
        quiet = getattr(args, "quiet", False)
        with show_logs(logging.WARNING if quiet else logging.INFO), progress_enabled(not quiet), \
                np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            code = args.func(args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
            return code
    except Crn2SbmlError as exc:
        print(f"crn2sbml: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _closed_pipe()


def _closed_pipe() -> int:
    """Nobody reads stdout any more: end quietly. What is still buffered goes
    to /dev/null, so the interpreter's final flush cannot raise again."""
    with contextlib.suppress(OSError, ValueError):  # (a captured stdout in tests has no descriptor)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_CLOSED_PIPE


if __name__ == "__main__":
    sys.exit(main())
