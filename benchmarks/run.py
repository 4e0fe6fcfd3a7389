#!/usr/bin/env python
"""crn2sbml benchmark: compile and write times against a plain-libsbml
baseline, peak memory, and libRoadRunner load / simulation times.

    python benchmarks/run.py [--sizes 2-4-1,64-64-10,784-100-10]
                             [--skip-roadrunner-above 10000]
                             [--out benchmarks/results.json]

Every measured phase runs in a fresh subprocess (this script with the hidden
``--worker`` flag), so peak memory of one size or phase does not pollute
another and roadrunner's global Config starts clean each time. Networks are
random but seeded per shape, so every subprocess rebuilds the same weights.
See benchmarks/README.md."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple, TypeVar
from xml.sax.saxutils import quoteattr

import numpy as np

T = TypeVar("T")
Shape = tuple[int, ...]
Weights = list[tuple[np.ndarray, np.ndarray]]  # (W of shape (n_out, n_in), b) per layer

DEFAULT_SIZES = "2-4-1,64-64-10,784-100-10"
EPSILON = 0.01
BIAS_SCALE = 0.1
TIME_COURSE_END = 20.0
TIME_COURSE_POINTS = 2
# (name, description, [(Config key name, value name)]); each load runs in its own process.
LOAD_CONFIGS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("mcjit", "MCJIT (roadrunner default)", []),
    ("lljit0", "LLJIT, optimization NONE (0)", [("LLVM_BACKEND", "LLJIT"), ("LLJIT_OPTIMIZATION_LEVEL", "NONE")]),
    ("lljit1", "LLJIT, optimization LESS (1)", [("LLVM_BACKEND", "LLJIT"), ("LLJIT_OPTIMIZATION_LEVEL", "LESS")]),
]
TARGETS = {"ratio": ("784-100-10", 1.5), "peak_gb": ("784-100-10", 2.5), "ss_over_tc": ("64-64-10", 2.0),
           "validate_s": ("784-100-10", 60.0)}
BATCH_SHAPES = ((64, 20, 10), (784, 100, 10))  # batch.py's steady-state sizes
BATCH_INPUTS = 10000
# 784-100-10 roadrunner loads take 16-53 minutes, so they are not part of a run; measured with
# benchmarks/rr_load.py (benchmarks/README.md), printed beside this run's figures as recorded ones
RR_LOADS_784 = ("roadrunner first load at 784-100-10 (recorded 2026-12-02, not run here): local rate constants "
                "950 s, 4.8 GB (compile's default from 5,000 reactions), global 3,169 s, 6.2 GB; cached load, local: 36 s "
                "(python benchmarks/rr_load.py --shapes 784-100-10 --formulations local --timeout 4500)")
# Progress lines of every process count from the parent's start.
_START_ENV = "CRN2SBML_BENCH_START"
_START = float(os.environ.get(_START_ENV, time.time()))


# --- the networks -------------------------------------------------------------
def parse_shape(text: str) -> Shape:
    try:
        shape = tuple(int(n) for n in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size '{text}' is not like 64-64-10") from None
    if len(shape) < 2 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"size '{text}' needs at least two positive layer sizes, e.g. 64-64-10")
    return shape


def label(shape: Shape) -> str:
    return "-".join(map(str, shape))


def model_name(shape: Shape) -> str:
    return "net_" + "_".join(map(str, shape))


def random_weights(shape: Shape, seed: int) -> Weights:
    """Weights N(0, 1/fan_in), biases N(0, BIAS_SCALE^2), seeded by (seed, shape)."""
    rng = np.random.default_rng([seed, *shape])
    return [
        (rng.normal(size=(n_out, n_in)) / math.sqrt(n_in), BIAS_SCALE * rng.normal(size=n_out))
        for n_in, n_out in zip(shape, shape[1:])
    ]


def random_input(shape: Shape, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, *shape, 1]).uniform(0.0, 1.0, size=shape[0])


def make_network(shape: Shape, seed: int) -> Any:
    import crn2sbml

    layers = tuple(crn2sbml.Layer(w, b, EPSILON) for w, b in random_weights(shape, seed))
    return crn2sbml.Network(layers=layers, name=model_name(shape))


# --- measuring ------------------------------------------------------------------
@dataclass
class Timing:
    seconds: float  # median over runs
    runs: list[float]
    peak_mb: float  # peak RSS of the process during this phase
    phase_peak: bool  # False: the high-water mark could not be reset, so this is the process's peak so far


def _reset_peak_rss() -> bool:
    """Linux: hand freed heap back to the OS (glibc keeps it otherwise, and an
    earlier phase's garbage would count in the next one), then reset the RSS
    high-water mark by writing 5 to clear_refs."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(name: str, fn: Callable[[], T], repeats: int = 1, budget_s: float = 2.0) -> tuple[T, Timing]:
    """Run ``fn`` up to ``repeats`` times (stopping once ``budget_s`` is spent),
    returning its last result, the median time and the phase's peak RSS. If the
    high-water mark cannot be reset, the peak is the process's since it started."""
    print(f"  {_clock()} {name} ...", flush=True)
    phase_peak = _reset_peak_rss()
    runs: list[float] = []
    result: T | None = None
    while len(runs) < max(repeats, 1) and sum(runs) < budget_s:
        result = None  # free the previous result first: it would inflate the peak
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    timing = Timing(statistics.median(runs), runs, _peak_rss_mb(), phase_peak)
    print(
        f"  {_clock()} {name}: {_fmt(timing.seconds, 's')} (median of {len(runs)}), peak RSS {timing.peak_mb:,.0f} MB",
        flush=True,
    )
    return result, timing  # type: ignore[return-value]


def loadavg() -> str:
    """/proc/loadavg's 1, 5 and 15 minute figures (batch.py's, one definition)."""
    import batch  # benchmarks/batch.py, beside this script

    return batch.loadavg()


def _clock() -> str:
    return f"[{time.time() - _START:7.1f} s]"


def sha256(path: Path) -> str:
    from crn2sbml.simulate.roadrunner import file_sha256  # imported late: the phases measure crn2sbml's start

    return file_sha256(path)


# --- the baseline: the same SBML document, built with libsbml alone ----------------
# Independent of crn2sbml on purpose: it reads the raw weight matrices and repeats
# the naming, units and annotations of crn2sbml/emit/sbml.py by hand. The
# benchmark checks that both files are byte-identical.
NAMESPACE = "https://w3id.org/crn2sbml/annotation/v1"


def _note(tag: str, **attrs: object) -> str:
    body = " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items())
    return f'<crn2sbml:{tag} xmlns:crn2sbml="{NAMESPACE}" {body}/>'


class _Rate(NamedTuple):
    """One rate constant and the reaction it drives (a weight, bias or self term)."""

    pid: str
    value: float
    role: str
    layer: int
    unit: int
    source: int | None
    reactants: list[tuple[str, int]]
    products: list[tuple[str, int]]

    @property
    def order(self) -> int:
        return sum(n for _, n in self.reactants)


def _baseline_rates(weights: Weights, epsilon: float, names: list[list[str]]) -> list[_Rate]:
    """Per neuron: inflow 0 -> Y, annihilation 2Y -> Y, one reaction per non-zero
    weight, then the bias (docs/design.md section 2), in crn2sbml's order and naming."""
    rates: list[_Rate] = []
    for l, (w, b) in enumerate(weights, start=1):
        for j, y in enumerate(names[l]):
            tag = f"L{l}_u{j}"
            rates.append(_Rate(f"eps_{tag}", epsilon, "eps", l, j, None, [], [(y, 1)]))
            rates.append(_Rate(f"ann_{tag}", 1.0, "ann", l, j, None, [(y, 2)], [(y, 1)]))
            for i in np.flatnonzero(w[j]):
                x, wij = names[l - 1][i], float(w[j, i])
                grow = [(x, 1), (y, 2)] if wij > 0 else [(x, 1)]
                rates.append(_Rate(f"w_{tag}_i{i}", abs(wij), "weight", l, j, int(i), [(x, 1), (y, 1)], grow))
            if b[j] != 0:
                grow = [(y, 2)] if b[j] > 0 else []
                rates.append(_Rate(f"b_{tag}", abs(float(b[j])), "bias", l, j, None, [(y, 1)], grow))
    return rates


def build_baseline_document(weights: Weights, epsilon: float, name: str) -> Any:
    """The SBML Level 3 Version 2 document crn2sbml emits for this network, built
    with python-libsbml alone from the raw weight matrices."""
    import libsbml

    n_layers = len(weights)
    names = [[f"x{i}" for i in range(weights[0][0].shape[1])]]
    names += [[f"h{l}_{j}" for j in range(w.shape[0])] for l, (w, _) in enumerate(weights[:-1], start=1)]
    names += [[f"y{j}" for j in range(weights[-1][0].shape[0])]]
    rates = _baseline_rates(weights, epsilon, names)

    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    model.setId(name)
    model.setName(name)
    layers = "".join(
        f'<crn2sbml:layer index="{l}" activation="smoothed_relu" epsilon="{epsilon!r}" size="{w.shape[0]}"/>'
        for l, (w, _) in enumerate(weights, start=1)
    )
    model.setAnnotation(
        f'<crn2sbml:network xmlns:crn2sbml="{NAMESPACE}" version="1" name="{name}" description="">'
        f"{layers}</crn2sbml:network>"
    )
    model.setTimeUnits("second")
    model.setSubstanceUnits("mole")
    model.setExtentUnits("mole")
    model.setVolumeUnits("litre")
    for order in sorted({r.order for r in rates}):
        ud = model.createUnitDefinition()
        ud.setId(f"rate_order{order}")
        for kind, exponent in (
            (libsbml.UNIT_KIND_MOLE, 1 - order), (libsbml.UNIT_KIND_LITRE, order - 1), (libsbml.UNIT_KIND_SECOND, -1)
        ):
            if exponent:
                u = ud.createUnit()
                u.setKind(kind)
                u.setExponent(exponent)
                u.setScale(0)
                u.setMultiplier(1.0)
    comp = model.createCompartment()
    comp.setId("cell")
    comp.setSize(1.0)
    comp.setSpatialDimensions(3)
    comp.setUnits("litre")
    comp.setConstant(True)
    comp.setSBOTerm(290)

    for l, layer_names in enumerate(names):
        role = "input" if l == 0 else "output" if l == n_layers else "hidden"
        for unit, sid in enumerate(layer_names):
            sp = model.createSpecies()
            sp.setId(sid)
            sp.setCompartment("cell")
            sp.setInitialConcentration(0.0)
            sp.setSubstanceUnits("mole")
            sp.setHasOnlySubstanceUnits(False)
            sp.setBoundaryCondition(l == 0)
            sp.setConstant(False)
            sp.setSBOTerm(247)
            sp.setAnnotation(_note("species", role=role, layer=l, unit=unit, initial=repr(0.0)))

    kappa = model.createParameter()
    kappa.setId("kappa")
    kappa.setName("global speed factor")
    kappa.setValue(1.0)
    kappa.setUnits("dimensionless")
    kappa.setConstant(True)
    kappa.setSBOTerm(2)
    for r in rates:
        par = model.createParameter()
        par.setId(r.pid)
        par.setValue(r.value)
        par.setUnits(f"rate_order{r.order}")
        par.setConstant(True)
        par.setSBOTerm(9)
        source = {} if r.source is None else {"source": r.source}
        par.setAnnotation(_note("parameter", role=r.role, layer=r.layer, unit=r.unit, **source, value=repr(r.value)))

    for r in rates:
        rx = model.createReaction()
        rx.setId(f"R_{r.pid}")
        rx.setReversible(False)
        rx.setSBOTerm(176)
        for create, terms in ((rx.createReactant, r.reactants), (rx.createProduct, r.products)):
            for sid, n in terms:
                ref = create()
                ref.setSpecies(sid)
                ref.setStoichiometry(n)
                ref.setConstant(True)
        law = rx.createKineticLaw()
        factors = ["cell", "kappa", r.pid] + [s if n == 1 else f"{s}^{n}" for s, n in r.reactants]
        law.setMath(libsbml.parseL3Formula(" * ".join(factors)))
        law.setSBOTerm(12)
    return doc


def first_difference(a: Path, b: Path) -> str:
    with open(a) as fa, open(b) as fb:
        for n, (la, lb) in enumerate(zip(fa, fb), start=1):
            if la != lb:
                return f"line {n}: crn2sbml {la.strip()[:200]!r} vs baseline {lb.strip()[:200]!r}"
    return "one file is a prefix of the other"


# --- the workers: one per measured phase, each in a fresh process --------------------
def worker_crn2sbml(shape: Shape, seed: int, workdir: Path, repeats: int, budget: float, **_: Any) -> dict[str, Any]:
    import crn2sbml

    net = make_network(shape, seed)
    start_mb = _peak_rss_mb()
    sbml, ant, txt = (workdir / f"{model_name(shape)}{ext}" for ext in (".xml", ".ant", ".crn"))
    crn, compile_t = measure("compile_network", lambda: crn2sbml.compile_network(net), repeats, budget)
    phases = {"compile": compile_t}
    for key, write, path in (
        ("sbml", crn2sbml.write_sbml, sbml),
        ("antimony", crn2sbml.write_antimony, ant),
        ("text", crn2sbml.write_text, txt),
    ):
        _, phases[key] = measure(f"write {key}", lambda: write(crn, path), repeats, budget)
    return {
        "species": len(crn.species),
        "parameters": len(crn.parameters),
        "reactions": len(crn.reactions),
        "start_mb": start_mb,
        "phases": {k: asdict(v) for k, v in phases.items()},
        "peak_mb": max(v.peak_mb for v in phases.values()),
        "file_mb": {k: p.stat().st_size / 2**20 for k, p in (("sbml", sbml), ("antimony", ant), ("text", txt))},
        "sbml_sha256": sha256(sbml),
        "sbml_path": str(sbml),
    }


def worker_baseline(shape: Shape, seed: int, workdir: Path, repeats: int, budget: float, **_: Any) -> dict[str, Any]:
    """Build, write and free the document. Freeing counts: write_sbml frees its
    document before returning, and at 80,000 reactions that takes over a second."""
    import libsbml

    weights = random_weights(shape, seed)
    start_mb = _peak_rss_mb()
    path = workdir / f"{model_name(shape)}.baseline.xml"
    doc, build_t = measure(
        "libsbml baseline: build", lambda: build_baseline_document(weights, EPSILON, model_name(shape)), repeats, budget
    )
    _, write_t = measure("libsbml baseline: write", lambda: libsbml.writeSBMLToFile(doc, str(path)), repeats, budget)
    held = [doc]
    del doc
    _, free_t = measure("libsbml baseline: free the document", held.clear)
    phases = {"build": build_t, "write": write_t, "free": free_t}
    return {
        "start_mb": start_mb,
        "phases": {k: asdict(v) for k, v in phases.items()},
        "seconds": sum(v.seconds for v in phases.values()),
        "peak_mb": max(v.peak_mb for v in phases.values()),
        "sbml_sha256": sha256(path),
        "sbml_path": str(path),
    }


def worker_load(shape: Shape, workdir: Path, config: str, **_: Any) -> dict[str, Any]:
    """Load crn2sbml's SBML into roadrunner under one Config setting."""
    import roadrunner

    cfg = roadrunner.Config
    for key, value in next(settings for name, _, settings in LOAD_CONFIGS if name == config):
        cfg.setValue(getattr(cfg, key), getattr(cfg, value))
    text = (workdir / f"{model_name(shape)}.xml").read_text()
    _, load_t = measure(f"roadrunner load ({config})", lambda: roadrunner.RoadRunner(text))
    return {"load": asdict(load_t)}


def worker_simulate(shape: Shape, seed: int, repeats: int, budget: float, **_: Any) -> dict[str, Any]:
    """crn2sbml's own roadrunner simulator: load, a time course, the checked steady state."""
    import crn2sbml

    net = make_network(shape, seed)
    x = random_input(shape, seed)
    crn = crn2sbml.compile_network(net).with_inputs(x)
    sim, load_t = measure("RoadRunnerSimulator load (JIT, no cache)", lambda: crn2sbml.RoadRunnerSimulator(crn, cache=False))
    _, tc_t = measure(
        f"time_course({TIME_COURSE_END:g}, {TIME_COURSE_POINTS})",
        lambda: sim.time_course(TIME_COURSE_END, TIME_COURSE_POINTS),
        repeats,
        budget,
    )
    ss, ss_t = measure("steady_state(net)", lambda: crn2sbml.find_steady_state(sim, net), repeats, budget)
    return {
        "load": asdict(load_t),
        "time_course": asdict(tc_t),
        "steady_state": asdict(ss_t),
        "max_rel_error": ss.max_rel_error,
        "presimulated": ss.presimulated,
        "residual": ss.residual,
    }


def worker_validate(shape: Shape, seed: int, workdir: Path, **_: Any) -> dict[str, Any]:
    """``crn2sbml validate`` with the default checks, all of them (roadrunner
    only if it is under the validation's size limit or cached; see
    crn2sbml.validate.Options)."""
    from crn2sbml.validate import Options, validate

    net = make_network(shape, seed)
    sbml = workdir / f"{model_name(shape)}.xml"  # written by the crn2sbml worker
    load = loadavg()
    report, total = measure("validate (default checks)", lambda: validate(sbml, net, options=Options()))
    return {
        "load_average": load,
        "validate": asdict(total),
        "passed": report.passed,
        "checks": {c.name: {"seconds": c.seconds, "passed": c.passed, "reason": c.reason} for c in report.checks},
        "simulator": report["fixed_point"].figures.get("simulator"),
        "load_subject_s": total.seconds - sum(c.seconds for c in report.checks),
    }


def worker_cache(shape: Shape, workdir: Path, config: str, **_: Any) -> dict[str, Any]:
    """roadrunner's own saveState/loadState as crn2sbml's compiled-model cache:
    config "cold" JIT-compiles and saves, "warm" (a fresh process) loads the state."""
    from crn2sbml.simulate.roadrunner import cache_file, load_roadrunner

    text = (workdir / f"{model_name(shape)}.xml").read_text()
    folder = workdir / "rr-cache"
    _, load_t = measure(f"roadrunner load through the cache ({config})", lambda: load_roadrunner(text, folder))
    path = cache_file(text, folder)
    return {"load": asdict(load_t), "state_mb": path.stat().st_size / 2**20 if path.exists() else None}


def worker_batch(repeats: int, **_: Any) -> dict[str, Any]:
    """benchmarks/batch.py's steady states (BatchSimulator.solve against the
    forward pass, one BLAS thread, medians of ``repeats``), crn2sbml's default mode."""
    import batch  # benchmarks/batch.py, beside this script

    return {"rows": [row for shape in BATCH_SHAPES for row in batch.steady(shape, BATCH_INPUTS, (None,), repeats)]}


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "batch": worker_batch,
    "crn2sbml": worker_crn2sbml,
    "baseline": worker_baseline,
    "load": worker_load,
    "simulate": worker_simulate,
    "validate": worker_validate,
    "cache": worker_cache,
}


def run_worker(kind: str, shape: Shape, args: argparse.Namespace, workdir: Path, **extra: str) -> dict[str, Any]:
    """Run one worker in a fresh interpreter; its output streams through, its
    result comes back in a JSON file. A crash is recorded, not raised."""
    result_path = workdir / f"result-{kind}-{label(shape)}-{extra.get('config', '')}.json"
    cmd = [
        sys.executable, os.path.abspath(__file__), "--worker", kind, "--sizes", label(shape),
        "--seed", str(args.seed), "--repeats", str(args.repeats), "--budget", str(args.budget),
        "--workdir", str(workdir), "--result", str(result_path),
    ]
    for key, value in extra.items():
        cmd += [f"--{key}", value]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env={**os.environ, _START_ENV: repr(_START)})
    wall = time.perf_counter() - start
    if proc.returncode != 0 or not result_path.exists():
        print(f"  {_clock()} {kind} worker for {label(shape)} FAILED (exit code {proc.returncode})", flush=True)
        return {"error": f"exit code {proc.returncode}", "wall_s": wall}
    result = json.loads(result_path.read_text())
    result["wall_s"] = wall
    # RUSAGE_CHILDREN: the largest child so far, a cross-check of the per-phase figures.
    result["children_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def benchmark_size(shape: Shape, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    name = label(shape)
    print(f"{_clock()} {name}: crn2sbml compile + write (fresh process)", flush=True)
    out: dict[str, Any] = {"shape": list(shape), "crn2sbml": run_worker("crn2sbml", shape, args, workdir)}
    print(f"{_clock()} {name}: libsbml-alone baseline (fresh process)", flush=True)
    out["baseline"] = run_worker("baseline", shape, args, workdir)
    built, base = out["crn2sbml"], out["baseline"]
    if "error" not in built and "error" not in base:
        ph = built["phases"]
        ours = ph["compile"]["seconds"] + ph["sbml"]["seconds"] + ph["antimony"]["seconds"]
        out["ratio"] = ours / base["seconds"]
        out["identical_sbml"] = built["sbml_sha256"] == base["sbml_sha256"]
        if not out["identical_sbml"]:
            out["first_difference"] = first_difference(Path(built["sbml_path"]), Path(base["sbml_path"]))
            print(f"  {_clock()} WARNING: the baseline SBML differs from crn2sbml's: {out['first_difference']}", flush=True)
    if "error" not in built:
        print(f"{_clock()} {name}: validate, default checks (fresh process)", flush=True)
        out["validate"] = run_worker("validate", shape, args, workdir)
    reactions = built.get("reactions")
    if reactions is None or reactions > args.skip_roadrunner_above:
        why = "build failed" if reactions is None else f"{reactions} reactions > --skip-roadrunner-above {args.skip_roadrunner_above}"
        print(f"{_clock()} {name}: roadrunner skipped ({why})", flush=True)
        out["roadrunner"] = {"skipped": why}
        return out
    rr: dict[str, Any] = {}
    for config, description, _ in LOAD_CONFIGS:
        print(f"{_clock()} {name}: roadrunner load, {description} (fresh process)", flush=True)
        rr[config] = run_worker("load", shape, args, workdir, config=config)
    print(f"{_clock()} {name}: crn2sbml.RoadRunnerSimulator load, time course, steady state (fresh process)", flush=True)
    sim = run_worker("simulate", shape, args, workdir)
    rr["simulator"] = sim
    for config in ("cold", "warm"):
        print(f"{_clock()} {name}: roadrunner through crn2sbml's cache, {config} (fresh process)", flush=True)
        rr[f"cache_{config}"] = run_worker("cache", shape, args, workdir, config=config)
    if "error" not in rr["cache_cold"] and "error" not in rr["cache_warm"]:
        rr["cache_speedup"] = rr["cache_cold"]["load"]["seconds"] / rr["cache_warm"]["load"]["seconds"]
    if "error" not in sim:
        rr["ss_over_tc"] = sim["steady_state"]["seconds"] / sim["time_course"]["seconds"]
    out["roadrunner"] = rr
    return out


# --- the report -----------------------------------------------------------------
def _get(result: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(result, dict) or key not in result:
            return None
        result = result[key]
    return result


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, str):
        return value
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "MB":
        return f"{value:,.0f} MB" if value >= 10 else f"{value:.2f} MB"
    if unit == "e":
        return f"{value:.1e}"
    return f"{value:,}" if isinstance(value, int) else f"{value:.3g}"


ROWS: list[tuple[str, tuple[str, ...], str, str]] = [
    # (label, path in the size's result, unit, target)
    ("species", ("crn2sbml", "species"), "", ""),
    ("reactions", ("crn2sbml", "reactions"), "", ""),
    ("SBML file size", ("crn2sbml", "file_mb", "sbml"), "MB", ""),
    ("compile_network", ("crn2sbml", "phases", "compile", "seconds"), "s", ""),
    ("write_sbml", ("crn2sbml", "phases", "sbml", "seconds"), "s", ""),
    ("write_antimony", ("crn2sbml", "phases", "antimony", "seconds"), "s", ""),
    ("write_text", ("crn2sbml", "phases", "text", "seconds"), "s", ""),
    ("baseline: libsbml build", ("baseline", "phases", "build", "seconds"), "s", ""),
    ("baseline: libsbml write", ("baseline", "phases", "write", "seconds"), "s", ""),
    ("baseline: free the document", ("baseline", "phases", "free", "seconds"), "s", ""),
    ("baseline: total", ("baseline", "seconds"), "s", ""),
    ("ratio (compile+SBML+Ant.)/baseline", ("ratio",), "x", "<= 1.5x @ 784-100-10"),
    ("same SBML bytes as baseline", ("identical_sbml",), "", ""),
    ("peak RSS: after imports+network", ("crn2sbml", "start_mb"), "MB", ""),
    ("peak RSS: compile", ("crn2sbml", "phases", "compile", "peak_mb"), "MB", ""),
    ("peak RSS: write_sbml", ("crn2sbml", "phases", "sbml", "peak_mb"), "MB", ""),
    ("peak RSS: write_antimony", ("crn2sbml", "phases", "antimony", "peak_mb"), "MB", ""),
    ("peak RSS: write_text", ("crn2sbml", "phases", "text", "peak_mb"), "MB", ""),
    ("peak RSS: crn2sbml process", ("crn2sbml", "peak_mb"), "MB", "<= 2.5 GB @ 784-100-10"),
    ("peak RSS: baseline process", ("baseline", "peak_mb"), "MB", ""),
    ("rr load: MCJIT (default)", ("roadrunner", "mcjit", "load", "seconds"), "s", ""),
    ("rr load: LLJIT opt NONE", ("roadrunner", "lljit0", "load", "seconds"), "s", ""),
    ("rr load: LLJIT opt LESS", ("roadrunner", "lljit1", "load", "seconds"), "s", ""),
    ("rr peak RSS: MCJIT", ("roadrunner", "mcjit", "load", "peak_mb"), "MB", ""),
    ("rr peak RSS: LLJIT NONE", ("roadrunner", "lljit0", "load", "peak_mb"), "MB", ""),
    ("rr peak RSS: LLJIT LESS", ("roadrunner", "lljit1", "load", "peak_mb"), "MB", ""),
    ("RoadRunnerSimulator load", ("roadrunner", "simulator", "load", "seconds"), "s", ""),
    (f"time_course({TIME_COURSE_END:g}, {TIME_COURSE_POINTS})", ("roadrunner", "simulator", "time_course", "seconds"), "s", ""),
    ("steady_state(net)", ("roadrunner", "simulator", "steady_state", "seconds"), "s", ""),
    ("ratio steady_state/time_course", ("roadrunner", "ss_over_tc"), "x", "<= 2x @ 64-64-10"),
    ("steady state max_rel_error", ("roadrunner", "simulator", "max_rel_error"), "e", ""),
    ("steady state presimulated (t.u.)", ("roadrunner", "simulator", "presimulated"), "", ""),
    ("rr cached: JIT + saveState", ("roadrunner", "cache_cold", "load", "seconds"), "s", ""),
    ("rr cached: loadState (new process)", ("roadrunner", "cache_warm", "load", "seconds"), "s", ""),
    ("rr cached: speed-up", ("roadrunner", "cache_speedup"), "x", ""),
    ("rr cached: state file", ("roadrunner", "cache_cold", "state_mb"), "MB", ""),
    ("validate: load model + network", ("validate", "load_subject_s"), "s", ""),
    *((f"validate: {check}", ("validate", "checks", check, "seconds"), "s", "")
      for check in ("sbml", "structure", "fixed_point", "convergence", "speed", "smoothness", "agreement")),
    ("validate: total (default checks)", ("validate", "validate", "seconds"), "s", "<= 60 s @ 784-100-10"),
    ("validate: load average", ("validate", "load_average"), "", ""),
    ("validate: passed", ("validate", "passed"), "", ""),
    ("validate: simulator", ("validate", "simulator"), "", ""),
    ("peak RSS: validate", ("validate", "validate", "peak_mb"), "MB", ""),
]


def format_table(results: dict[str, dict[str, Any]]) -> str:
    sizes = list(results)
    header = ["", *sizes, "target"]
    body = [[lbl, *(_fmt(_get(results[s], *path), unit) for s in sizes), target] for lbl, path, unit, target in ROWS]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in (0, len(row) - 1) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    rule = "-" * len(line(header))
    notes = [
        f"  {s}: roadrunner skipped ({results[s]['roadrunner']['skipped']})"
        for s in sizes
        if "skipped" in results[s].get("roadrunner", {})
    ]
    notes += [f"  {s}: {k} worker failed ({v['error']})" for s in sizes for k, v in _workers(results[s]) if "error" in v]
    return "\n".join([rule, line(header), rule, *map(line, body), rule, *notes])


def _workers(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [(k, result[k]) for k in ("crn2sbml", "baseline", "validate") if isinstance(result.get(k), dict)]
    rr = result.get("roadrunner", {})
    return found + [(k, v) for k, v in rr.items() if isinstance(v, dict)]


def verdicts(results: dict[str, dict[str, Any]]) -> list[str]:
    checks = [
        ("ratio", ("ratio",), "(compile + SBML + Antimony) / libsbml baseline", "x", 1.0),
        ("peak_gb", ("crn2sbml", "peak_mb"), "peak RSS of compile + write", " GB", 1 / 1024),
        ("ss_over_tc", ("roadrunner", "ss_over_tc"), "steady_state / time_course", "x", 1.0),
        ("validate_s", ("validate", "validate", "seconds"), "crn2sbml validate, default checks", " s", 1.0),
    ]
    out = []
    for key, path, what, unit, scale in checks:
        size, limit = TARGETS[key]
        value = _get(results.get(size, {}), *path)
        if value is None:
            out.append(f"  {what} at {size}: not measured in this run (target <= {limit:g}{unit})")
        else:
            state = "MET" if value * scale <= limit else "MISSED"
            out.append(f"  {what} at {size}: {value * scale:.2f}{unit} (target <= {limit:g}{unit}) {state}")
    return out


def machine_info() -> dict[str, Any]:
    import libsbml

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "libsbml": libsbml.getLibSBMLDottedVersion(),
    }
    try:
        info["memory_gb"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        pass
    try:
        from importlib.metadata import version

        info["libroadrunner"] = version("libroadrunner")
    except Exception:  # noqa: BLE001 - the version is informative only
        info["libroadrunner"] = None
    return info


# --- entry point ------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated layer sizes (default {DEFAULT_SIZES})")
    p.add_argument("--skip-roadrunner-above", type=int, default=10000, metavar="N",
                   help="skip roadrunner for models with more than N reactions (default 10000; "
                        "784-100-10 takes ~17 min to JIT)")
    p.add_argument("--out", default="benchmarks/results.json", help="JSON results file (default benchmarks/results.json)")
    p.add_argument("--seed", type=int, default=0, help="RNG seed (default 0)")
    p.add_argument("--repeats", type=int, default=5, help="max runs of a cheap timing; the median is reported (default 5)")
    p.add_argument("--budget", type=float, default=2.0,
                   help="stop repeating a timing once its runs took this many seconds (default 2)")
    p.add_argument("--skip-batch", action="store_true", help="skip the batch steady states (64-20-10, 784-100-10)")
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    p.add_argument("--config", choices=[c for c, _, _ in LOAD_CONFIGS] + ["cold", "warm"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.shapes = [parse_shape(s.strip()) for s in args.sizes.split(",") if s.strip()]
    return args


def worker_main(args: argparse.Namespace) -> None:
    (shape,) = args.shapes
    result = WORKERS[args.worker](
        shape=shape, seed=args.seed, workdir=Path(args.workdir), repeats=args.repeats, budget=args.budget,
        config=args.config,
    )
    Path(args.result).write_text(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker_main(args)
        return 0
    print(f"crn2sbml benchmark: sizes {', '.join(map(label, args.shapes))}; eps {EPSILON}; seed {args.seed}; "
          f"each phase in a fresh process", flush=True)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="crn2sbml-bench-") as tmp:
        for shape in args.shapes:
            results[label(shape)] = benchmark_size(shape, args, Path(tmp))
        batch_rows: list[dict[str, Any]] = []
        if not args.skip_batch:
            print(f"{_clock()} batch steady states, {BATCH_INPUTS} inputs at "
                  f"{', '.join(map(label, BATCH_SHAPES))} (fresh process)", flush=True)
            batch_rows = run_worker("batch", BATCH_SHAPES[0], args, Path(tmp)).get("rows", [])
    report = {
        "machine": machine_info(),
        "settings": {"epsilon": EPSILON, "bias_scale": BIAS_SCALE, "seed": args.seed, "repeats": args.repeats,
                     "budget_s": args.budget, "skip_roadrunner_above": args.skip_roadrunner_above,
                     "time_course": [TIME_COURSE_END, TIME_COURSE_POINTS]},
        "total_s": time.time() - _START,
        "results": results,
        "batch_steady_states": batch_rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    m = report["machine"]
    print(f"\nResults ({m['cpus']} CPUs, {m.get('memory_gb', 0):.0f} GiB, Python {m['python']}, "
          f"libsbml {m['libsbml']}, libroadrunner {m['libroadrunner']}); times are medians of up to "
          f"{args.repeats} runs (fewer once {args.budget:g} s were spent):")
    print(format_table(results))
    if batch_rows:
        import batch

        print(f"BatchSimulator.solve against the closed-form forward pass ({BATCH_INPUTS} inputs, one BLAS thread, "
              f"medians of {args.repeats}):")
        print("\n".join(batch.steady_line(r) for r in batch_rows))
    print("Targets:")
    print("\n".join(verdicts(results)))
    for r in batch_rows:
        met = r["ratio"] <= batch.STEADY_TARGET and r["err_vs_forward"] <= 1e-9 and not r["failed"]
        state = "MET" if met else "MISSED"
        print(f"  steady states / forward pass at {r['shape']}: {r['ratio']:.2f}x (target <= {batch.STEADY_TARGET:g}x, "
              f"error {r['err_vs_forward']:.1e} <= 1e-9, {r['failed']} failed) {state}; load {r['load_average']}")
    print(f"  {RR_LOADS_784}")
    print(f"Load average at the end: {loadavg()}")
    print(f"Total {report['total_s']:.0f} s; written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
