"""Interop matrix: each tool x each model in models/, loaded the way that tool's
users load it, its steady state taken by its default or documented path, and
compared with the network's forward pass (the oracle).

    python -m benchmarks.interop                      # every tool and model, Markdown to stdout
    python benchmarks/interop.py --out benchmarks/interop.md     # the published table (see its first line)
    python -m benchmarks.interop --tools roadrunner --models xor --start zero   # the models as before
    python -m benchmarks.interop --tools gillespy2-ode --models digits --readouts species   # readout species

Each (tool, model) runs in its own process within a time budget (--budget
seconds, load included); inputs not solved by then count as "slow", so one
slow tool never stops the matrix. Models with more than LARGE_REACTIONS
reactions get --large-inputs inputs (the table says how many). A cell is
"right" only if every input it ran is."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
RTOL = 1e-6  # |tool - forward| <= RTOL * max(1, |forward|), per output
LARGE_REACTIONS = 500  # above this a model gets --large-inputs inputs (roadrunner re-JITs it per solve)


@dataclass(frozen=True)
class Case:
    """One model as a tool's user has it: the files, the oracle, the inputs."""

    name: str
    sbml: Path
    antimony: Path
    crn: object  # crn2sbml.CRN
    network: object  # crn2sbml.Network
    inputs: np.ndarray  # (n, n_inputs), network-level values
    t_settle: float  # the settling time the model's notes state


def model_names() -> list[str]:
    return sorted(p.name for p in MODELS.iterdir() if (p / f"{p.name}.xml").is_file())


def load_case(name: str, n: int, start: str = "bound", folder: Path | None = None,
              readouts: str | None = None) -> Case:
    """The checked-in model (``start="bound"``, ``readouts`` None) or the same
    network emitted into ``folder`` with every neuron at 0 (the before-figures)
    or with its signed readouts in another form (crn2sbml.crn.READOUT_FORMS)."""
    from crn2sbml import compile_network, read_sbml, write_model
    from crn2sbml.compile import network_from_crn
    from crn2sbml.emit._common import settle_bound
    from crn2sbml.theory import input_box

    sbml, ant = MODELS / name / f"{name}.xml", MODELS / name / f"{name}.ant"
    crn = read_sbml(sbml)
    net = network_from_crn(crn)
    if start == "zero" or (readouts is not None and readouts != crn.readout_form):
        crn = compile_network(net, start=start, readouts=readouts or crn.readout_form)
        paths = write_model(crn, folder or Path(tempfile.mkdtemp()), ("sbml", "antimony"))
        sbml, ant = paths["sbml"], paths["antimony"]
    lo, hi = input_box(net)
    xs = lo + (hi - lo) * np.random.default_rng(20210031).random((n, net.n_inputs))
    return Case(name, sbml, ant, crn, net, xs, settle_bound(crn))


def _encoded(case: Case, x: np.ndarray) -> dict[str, float]:
    return {s.id: s.initial for s in case.crn.with_inputs(x).inputs}


def _outputs_from(case: Case, value: Callable[[str], float], by: str = "id") -> np.ndarray:
    """Outputs read as the tool shows them: by SBML id (the output's species, or
    the readout of a signed output), or ``by="name"`` (the user's output name,
    its SBML name: what basico shows)."""
    crn = case.crn
    keys = crn.output_names if by == "name" else getattr(crn, "output_ids", crn.output_names)
    return np.array([value(o) for o in keys])


# --- the tools: each yields, per input, the outputs it found ------------------
def _roadrunner(case: Case, presimulate: bool, antimony: bool = False, moieties: bool = False) -> Iterator[np.ndarray]:
    """``moieties``: the recipe for large models. roadrunner 2.10's plain
    steadyState() regenerates (re-JITs) the whole model 1-3 times per call
    while conserved-moiety conversion is off (auto_moiety_analysis toggles
    it on and off); loading with the conversion on skips that."""
    import roadrunner

    key = roadrunner.Config.LOADSBMLOPTIONS_CONSERVED_MOIETIES
    before = roadrunner.Config.getValue(key)
    roadrunner.Config.setValue(key, moieties or before)
    try:  # a process-wide setting, read at load: restored so later loads are unaffected
        if antimony:
            import tellurium as te

            r = te.loada(case.antimony.read_text())
        else:
            r = roadrunner.RoadRunner(str(case.sbml))
    finally:
        roadrunner.Config.setValue(key, before)
    for x in case.inputs:
        r.reset()  # back to the model's initial state, as the notes say
        for sid, v in _encoded(case, x).items():
            r[sid] = v
        if presimulate:
            r.simulate(0, case.t_settle, 2)
        r.steadyState()
        yield _outputs_from(case, lambda k: r[k])


def _basico(case: Case, negatives: bool = False) -> Iterator[np.ndarray]:
    """``negatives``: the recipe for readout species, whose signed values
    COPASI's default steady-state task refuses ("no steady state")."""
    import basico

    dm = basico.load_model(str(case.sbml))
    if negatives:
        basico.set_task_settings(basico.T.STEADY_STATE, {"method": {"Accept Negative Concentrations": True}},
                                 model=dm)
    outputs = set(case.crn.output_names)
    table = basico.get_species(model=dm)
    species = set(table.index)
    named = dict(zip(table["sbml_id"], table.index))  # basico sets species by name; rails' names are not their ids
    params = basico.get_parameters(model=dm)
    params = set() if params is None else set(params.index)
    missing = outputs - species - params
    if missing:  # basico shows elements by their SBML name: outputs must be named by the user's names
        raise LookupError(f"basico shows no element named {sorted(missing)}")
    for x in case.inputs:
        for sid, v in _encoded(case, x).items():
            basico.set_species(named[sid], exact=True, initial_concentration=v, model=dm)
        basico.run_steadystate(model=dm)
        sp = basico.get_species(model=dm)
        pa = basico.get_parameters(model=dm)
        yield _outputs_from(case, lambda k: float(sp.loc[k, "concentration"]) if k in species
                            else float(pa.loc[k, "value"]), by="name")


def _pysces(case: Case) -> Iterator[np.ndarray]:
    import pysces

    work = Path(tempfile.mkdtemp())
    pysces.interface.convertSBML2PSC(sbmlfile=case.sbml.name, sbmldir=str(case.sbml.parent), pscfile=f"{case.name}.psc",
                                     pscdir=str(work))
    mod = pysces.model(f"{case.name}.psc", dir=str(work))
    mod.doLoad()
    for x in case.inputs:
        for sid, v in _encoded(case, x).items():
            setattr(mod, sid, v)
        mod.doState()
        yield _outputs_from(case, lambda k: float(getattr(mod, f"{k}_ss", None) if hasattr(mod, f"{k}_ss")
                                                  else getattr(mod, k)))


def _gillespy2(case: Case) -> Iterator[np.ndarray]:
    import gillespy2

    model, _ = gillespy2.import_SBML(str(case.sbml))
    model.timespan(np.linspace(0, case.t_settle, 3))
    for x in case.inputs:
        for sid, v in _encoded(case, x).items():
            model.listOfSpecies[sid].initial_value = v
        res = model.run(solver=gillespy2.ODESolver)
        yield _outputs_from(case, lambda k: float(res[k][-1]))


def _copasi_sedml(case: Case) -> Iterator[np.ndarray]:
    """The exported OMEX's SED-ML run by COPASI's own SED-ML import: one
    import per task (SedmlImportOptions picks the task and its model, whose
    changes set the inputs), its time course run, the outputs read at the
    end of the time course by SBML id."""
    import zipfile

    import COPASI

    from crn2sbml.export import export

    work = Path(tempfile.mkdtemp())
    written, _ = export(case.network, case.crn, ("omex",), work, inputs=list(case.inputs))
    with zipfile.ZipFile(written["omex"][0]) as z:
        z.extractall(work / "omex")
    sedml = str(work / "omex" / "simulation.sedml")
    for k in range(1, len(case.inputs) + 1):
        dm = COPASI.CRootContainer.addDatamodel()
        try:
            COPASI.CCopasiMessage.clearDeque()
            if not dm.importSEDML(sedml, None, True, COPASI.SedmlImportOptions(f"task{k}", f"model{k}")):
                raise RuntimeError(f"COPASI's SED-ML import failed: {COPASI.CCopasiMessage.getAllMessageText()}")
            task = dm.getTask("Time-Course")
            if not task.process(True):
                raise RuntimeError(f"COPASI's time course failed: {task.getProcessError()}")
            ts = task.getTimeSeries()
            column = {ts.getSBMLId(i, dm): i for i in range(ts.getNumVariables())}
            last = ts.getRecordedSteps() - 1
            yield _outputs_from(case, lambda o: ts.getConcentrationData(last, column[o]))
        finally:
            COPASI.CRootContainer.removeDatamodel(dm)


def _amici(case: Case, tight: bool = False) -> Iterator[np.ndarray]:
    """AMICI 1.0: the SBML compiled to a C++ model module (sbml2amici, once
    per process), then per input its steady state (output time inf: Newton,
    integration where Newton fails), read from the default observables by
    their names (AMICI renames reserved ids such as y to amici_y; the
    observable keeps the SBML name). Not in the test extra: AMICI is a source
    build (about 11 minutes here), and its model build needs a SWIG of the
    version AMICI was built with on PATH (pip install swig beside it).
    ``tight``: the recipe. AMICI 1.0's default steady-state tolerances
    (relative 1e-6, absolute 1e-14, times its tolerance factor 100) left
    random_4_8_8_3's outputs off by 1.3e-6 to 2.3e-6 relative; with 1e-12 and
    1e-14 they were within 2.5e-12."""
    import amici
    import amici.sim.sundials as sundials  # AMICI 1.0's generated modules need it loaded

    module = f"{case.name}_amici"
    with tempfile.TemporaryDirectory(prefix="amici-") as work:  # the loaded module outlives its files
        amici.SbmlImporter(str(case.sbml)).sbml2amici(module, work, verbose=False, generate_sensitivity_code=False)
        model = amici.import_model_module(module, work).get_model()
    model.set_timepoints([np.inf])
    solver = model.create_solver()
    if tight:
        solver.set_relative_tolerance(1e-12)
        solver.set_absolute_tolerance(1e-14)
        solver.set_relative_tolerance_steady_state(1e-12)
        solver.set_absolute_tolerance_steady_state(1e-14)
    start, ids = np.array(model.get_initial_state()), list(model.get_state_ids())
    names = list(model.get_observable_names())
    for x in case.inputs:
        state = start.copy()
        for sid, v in _encoded(case, x).items():
            state[ids.index(sid if sid in ids else f"amici_{sid}")] = v
        model.set_initial_state(state)
        rdata = model.simulate(solver=solver)
        if rdata.status != sundials.AMICI_SUCCESS:
            raise RuntimeError(f"AMICI: {sundials.simulation_status_to_str(rdata.status)}")
        yield _outputs_from(case, lambda k: float(rdata.y[0][names.index(k)]), by="name")


@dataclass(frozen=True)
class ToolPath:
    """One way to take a model's steady state in a peer tool."""

    run: Callable[[Case], Iterator[np.ndarray]]
    tool: str  # the peer tool, as the table groups paths
    kind: str  # "default": what its users do with the checked-in file; "recommended (...)": the recipe
    how: str  # the calls, as the table shows them
    readouts: str | None = None  # the model re-emitted with its readouts in this form (READOUT_FORMS)


DEFAULT = "default"
TOOLS: dict[str, ToolPath] = {
    "roadrunner": ToolPath(lambda c: _roadrunner(c, False), "roadrunner", DEFAULT,
                           "RoadRunner(sbml); reset(); set inputs; steadyState()"),
    "roadrunner+simulate": ToolPath(lambda c: _roadrunner(c, True), "roadrunner",
                                    "recommended (notes: simulate first)",
                                    "reset(); set inputs; simulate(0, T); steadyState()"),
    "roadrunner+moieties": ToolPath(lambda c: _roadrunner(c, False, moieties=True), "roadrunner",
                                    "recommended (large models)",
                                    "Config LOADSBMLOPTIONS_CONSERVED_MOIETIES = True; RoadRunner(sbml); ...; "
                                    "steadyState()"),
    "tellurium-antimony": ToolPath(lambda c: _roadrunner(c, False, antimony=True), "tellurium", DEFAULT,
                                   "te.loada(antimony); reset(); set inputs; steadyState()"),
    "basico": ToolPath(_basico, "COPASI (basico)", DEFAULT, "load_model(sbml); set_species(...); run_steadystate()"),
    "basico+negatives": ToolPath(lambda c: _basico(c, negatives=True), "COPASI (basico)",
                                 "recommended (readout species)",
                                 "as basico, with the steady-state task's 'Accept Negative Concentrations' on"),
    "copasi-sedml": ToolPath(_copasi_sedml, "COPASI (basico)", "recommended (OMEX)",
                             "export --format omex; CDataModel.importSEDML(sedml, task k); Time-Course; last point"),
    "pysces": ToolPath(_pysces, "PySCeS", DEFAULT, "convertSBML2PSC; model(); doLoad(); doState()"),
    "gillespy2-ode": ToolPath(_gillespy2, "GillesPy2", DEFAULT,
                              "import_SBML(sbml); run(solver=ODESolver) to T; last point"),
    "gillespy2-ode+species": ToolPath(_gillespy2, "GillesPy2", "recommended (--readouts species)",
                                      "compile --readouts species; then as gillespy2-ode", readouts="species"),
    "amici": ToolPath(_amici, "AMICI", DEFAULT,
                      "SbmlImporter(sbml).sbml2amici; set initial state; set_timepoints([inf]); simulate; "
                      "observables"),
    "amici+tight": ToolPath(lambda c: _amici(c, tight=True), "AMICI", "recommended (tolerances)",
                            "as amici, with steady-state and integration tolerances rtol 1e-12, atol 1e-14"),
}


def run_one(tool: str, name: str, n: int, start: str, readouts: str | None = None) -> Iterator[dict]:
    """Per input: {"input", "verdict": right|wrong, "error", "seconds"}; a
    refusal (load or solve raises) is one {"verdict": "refused"} line."""
    import warnings

    warnings.simplefilter("ignore")
    case = load_case(name, n, start, readouts=TOOLS[tool].readouts or readouts)
    want = case.network.forward(case.inputs)
    t0 = time.perf_counter()
    try:
        for k, got in enumerate(TOOLS[tool].run(case)):
            err = float(np.max(np.abs(got - want[k]) / np.maximum(1.0, np.abs(want[k]))))
            yield {"input": k, "verdict": "right" if err <= RTOL else "wrong", "error": err,
                   "seconds": time.perf_counter() - t0}
            t0 = time.perf_counter()
    except ImportError as exc:
        yield {"verdict": "not installed", "message": str(exc)[:200]}
    except Exception as exc:  # a tool's refusal is a result of the matrix, reported with its message
        import re

        text = re.sub(r"<([\w.]+) object at 0x[0-9a-f]+>", r"\1", str(exc).strip())  # no addresses in the table
        yield {"verdict": "refused", "message": f"{type(exc).__name__}: {text.splitlines()[0][:200]}"
               if text else type(exc).__name__}


@dataclass
class Cell:
    tool: str
    model: str
    n: int  # inputs asked for
    counts: dict[str, int]
    message: str = ""
    seconds: float = 0.0
    budget: float = 0.0
    solve_seconds: tuple[float, ...] = ()  # per input solved (the first includes the load)
    worst: float = 0.0  # largest error over the inputs run (RTOL's measure)

    @property
    def verdict(self) -> str:
        for v in ("not installed", "refused", "wrong", "slow"):
            if self.counts.get(v):
                return v
        return "right"

    def text(self) -> str:
        right = self.counts.get("right", 0)
        if self.verdict in ("not installed", "refused"):
            return f"{self.verdict}: {self.message}"
        wrong = self.counts.get("wrong", 0)
        parts = [f"{right}/{self.n} right"] + ([f"{wrong} wrong (largest error {self.worst:.1e})"] if wrong else [])
        if self.counts.get("slow"):
            per = (f"; solves took {', '.join(f'{t:.0f}' for t in self.solve_seconds[:3])} s"
                   if self.solve_seconds else "; none finished")
            parts.append(f"slow (>{self.budget:g} s): {self.counts['slow']} not run{per}")
        elif self.message and wrong:
            parts.append(self.message)
        return ", ".join(parts)


def run_cell(tool: str, model: str, n: int, budget: float, start: str = "bound", readouts: str | None = None) -> Cell:
    """One (tool, model) in a child process, within ``budget`` seconds."""
    cmd = [sys.executable, "-m", "benchmarks.interop", "--child", tool, model, "--inputs", str(n), "--start", start]
    cmd += ["--readouts", readouts] if readouts else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    t0 = time.perf_counter()
    lines: list[dict] = []
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
        try:
            proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.seek(0)
        for line in out:
            if line.startswith("{"):
                lines.append(json.loads(line))
    counts: dict[str, int] = {}
    message = ""
    for rec in lines:
        counts[rec["verdict"]] = counts.get(rec["verdict"], 0) + 1
        message = rec.get("message", message)
    if not counts.get("refused") and not counts.get("not installed"):
        done = counts.get("right", 0) + counts.get("wrong", 0)
        if done < n:
            if proc.returncode in (0, -9):
                counts["slow"] = n - done
            else:
                counts["refused"], message = 1, f"the process died (exit code {proc.returncode})"
    solves = tuple(rec["seconds"] for rec in lines if "seconds" in rec)
    worst = max((rec["error"] for rec in lines if "error" in rec), default=0.0)
    return Cell(tool, model, n, counts, message, time.perf_counter() - t0, budget, solves, worst)


def inputs_for(model: str, n: int, large: int) -> int:
    """``large`` inputs for a model with more than LARGE_REACTIONS reactions."""
    from crn2sbml import read_sbml

    return min(n, large) if len(read_sbml(MODELS / model / f"{model}.xml").reactions) > LARGE_REACTIONS else n


NOTES = """
- right: every output within 1e-6 (relative, or absolute below 1) of `network.forward` for every input run;
  inputs are seeded random points of the model's input box. `slow (>N s)`: the cell's process was stopped at
  its budget (load included); the inputs it did not reach are counted, not guessed.
- default: what the tool's users do with the checked-in file; recommended: the recipe the model's notes and
  docs/peer-tools.md give where the default is wrong, refused or slow.
- roadrunner 2.10's plain `steadyState()` regenerates (re-JITs) the whole model on every call while
  conserved-moiety conversion is off (it switches the conversion on for the solve and back off), so each
  solve costs about two model loads: a one-input cell of digits (1,198 reactions) or random_64_20_10
  (1,253) took 151 s, load included, against 29-40 s with the conversion on at load (row
  roadrunner+moieties: `roadrunner.Config.setValue(roadrunner.Config.LOADSBMLOPTIONS_CONSERVED_MOIETIES,
  True)` before loading). The model cannot carry a load option.
- GillesPy2: its ODE solver refuses every rule, and a signed output (digits' logits) is a readout; compiled
  with `--readouts species` the readout is a species relaxing to the value, and the solver runs it. That
  form is not the default because COPASI's default steady-state task refuses negative concentrations
  ("Integration ... resulted in negative concentrations", no steady state): one model file cannot satisfy
  both default paths for a signed output, so the default keeps rules (basico's default path right).
- basico+negatives: the recipe for `--readouts species` models (the `.cps` files of
  `crn2sbml export --format copasi` set it); on the checked-in models it matches basico.
- copasi-sedml: the OMEX of `crn2sbml export --format omex` (one SED-ML task per input), each task imported
  with COPASI's SED-ML importer (`SedmlImportOptions(task, model)`) and its time course run; COPASI runs
  its LSODA for the CVODE the SED-ML names.
- amici: AMICI 1.0.1, not in the test extra: `pip install amici swig` (a source build: 11 minutes on this
  2-core machine, with OpenBLAS and HDF5 installed), then run this script with that environment's bin/
  first on PATH (a model build needs the SWIG AMICI was built with). Each cell includes AMICI's C++ build
  of the model (about 50 s for xor, 150 s for digits). Its default steady-state tolerances (relative 1e-6
  times a factor 100) stop about 1e-6 short of the fixed point; amici+tight sets 1e-12 and 1e-14.
"""


def markdown(cells: list[Cell], tools: list[str], models: list[str], command: str = "", load: str = "") -> str:
    by = {(c.tool, c.model): c for c in cells}
    ns = {m: by[(tools[0], m)].n for m in models}
    head = "| tool | path | " + " | ".join(f"{m} ({ns[m]} inputs)" for m in models) + " | right / run |"
    rows = ([f"Regenerate: `{command}`", ""] if command else []) + [head, "|" + "---|" * (len(models) + 3)]
    for t in tools:
        row = [by[(t, m)] for m in models]
        right = sum(c.counts.get("right", 0) for c in row)
        path = TOOLS[t]
        rows.append(f"| {path.tool} | {path.kind}: {t} (`{path.how}`) | " + " | ".join(c.text() for c in row)
                    + f" | {right}/{sum(ns.values())} |")
    return "\n".join(rows) + "\n" + NOTES + (f"- {load}\n" if load else "")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, from {', '.join(TOOLS)}")
    p.add_argument("--models", default=None, help="comma-separated model names (default: every model in models/)")
    p.add_argument("--inputs", type=int, default=20, help="random inputs per model, in the model's input box")
    p.add_argument("--large-inputs", type=int, default=3,
                   help=f"inputs for models with more than {LARGE_REACTIONS} reactions (default 3)")
    p.add_argument("--budget", type=float, default=300.0,
                   help="seconds per (tool, model), load included; inputs not solved by then are 'slow' (default 300)")
    p.add_argument("--jobs", type=int, default=1, help="cells run at once (default 1)")
    p.add_argument("--start", choices=["bound", "zero"], default="bound",
                   help="bound: the checked-in models; zero: the same networks with every neuron at 0 (before)")
    p.add_argument("--readouts", choices=["rules", "species", "none"],
                   help="re-emit the models with their signed readouts in this form (default: as checked in)")
    p.add_argument("--out", help="also write the Markdown table here (atomically)")
    p.add_argument("--child", nargs=2, metavar=("TOOL", "MODEL"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        for rec in run_one(args.child[0], args.child[1], args.inputs, args.start, args.readouts):
            print(json.dumps(rec), flush=True)
        return 0
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        p.error(f"unknown tool(s) {unknown}; known: {', '.join(TOOLS)}")
    models = [m.strip() for m in args.models.split(",")] if args.models else model_names()
    sys.path.insert(0, str(ROOT))
    ns = {m: inputs_for(m, args.inputs, args.large_inputs) for m in models}

    def one(job: tuple[str, str]) -> Cell:
        t, m = job
        cell = run_cell(t, m, ns[m], args.budget, args.start, args.readouts)
        print(f"{t:20s} {m:16s} {cell.text()} [{cell.seconds:.0f} s]", file=sys.stderr, flush=True)
        return cell

    from concurrent.futures import ThreadPoolExecutor

    load0, t0 = os.getloadavg()[1], time.perf_counter()
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:  # threads only wait on child processes
        cells = list(pool.map(one, [(t, m) for t in tools for m in models]))
    command = "python benchmarks/interop.py " + " ".join(argv if argv is not None else sys.argv[1:])
    load = (f"This run: {time.perf_counter() - t0:.0f} s on {os.cpu_count()} cores, 5-minute load average "
            f"{load0:.1f} at the start and {os.getloadavg()[1]:.1f} at the end.")
    table = markdown(cells, tools, models, command, load)
    if args.out:
        from crn2sbml._atomic import write_text_atomic

        write_text_atomic(args.out, table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
