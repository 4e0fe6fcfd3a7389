"""What a validation run looks at: the model (SBML text and its CRN), the
network it should compute, and the run's settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
import libsbml
import numpy as np

from .._progress import activity
from .._seed import check_seed
from ..crn import CRN
from ..emit.sbml import stream_sbml
from ..errors import InputError
from ..loader import LoadedModel, load_model_and_document
from ..network import Network, load_network
from ..reference import Reference
from ..simulate import Simulator, get_simulator
from ..simulate.batch import BatchSystem
from ..simulate.roadrunner import cache_file, default_cache_dir
from .result import CheckResult


@dataclass(frozen=True)
class Options:
    """Settings of a run; every figure in the report is relative to these."""

    # sampling range of the inputs: None = each input's declared finite range,
    # [-1, 1] where a side is unbounded, [0, 1] when no ranges are declared;
    # given, it replaces the defaults (declared finite bounds still win)
    input_range: tuple[float, float] | None = None
    seed: int = 20210031
    fixed_point_inputs: int = 6  # inputs for the roadrunner fixed-point check
    sweep_inputs: int = 8  # inputs for the uniqueness sweep ...
    sweep_states: int = 8  # ... times initial states each
    roadrunner_sample: int = 4  # (input, initial state) pairs rerun in roadrunner
    rtol: float = 1e-8  # fixed point against the forward pass (relative, every neuron)
    settle_tol: float = 1e-6  # "settled": relative distance to the fixed point
    max_parameters: int = 40  # gradient check on all rate constants, or a sample this big
    gradient_rtol: float = 1e-5  # gradient agreement: |a - b| <= rtol * max(|a|, scale)
    ucc_max_reactions: int = 40  # roadrunner's own sensitivities only on models this small
    # roadrunner differentiates a random sample of the checked rate constants (getuCC costs
    # ~0.7 s per parameter even on xor; finite differences two steady states each): the chain
    # rule, the implicit function theorem and numpy's differences cover every one of them
    roadrunner_parameters: int = 5
    # a large model: cross-simulator agreement compares the simulators on a sample of
    # agreement_sample_inputs random inputs instead of agreement_inputs (the corners and the
    # midpoint); the fixed-point and convergence checks already hold every simulator's state
    # to the forward pass on many inputs, and COPASI's import is the fixed part of the cost
    large_model_reactions: int = 1000
    # a folder crn2sbml dna wrote: the dna check holds it to the model (default: look beside the model)
    dna: str | None = None
    agreement_inputs: int = 3
    agreement_sample_inputs: int = 1
    copasi_max_reactions: int = 5000
    # roadrunner's JIT grows about quadratically (docs/design.md section 4: 17 min for
    # 80,000 reactions); above this, checks use the numpy and batch simulators
    # unless the compiled model is already in the cache
    roadrunner_max_reactions: int = 20000
    # libsbml's consistency check costs ~0.5 ms per reaction (40 s at 80,000): above this, a random
    # sample of its chunks of reactions is checked (0: every reaction), and the report says so
    sbml_max_reactions: int = 10000
    progress: bool = False  # a progress bar over the checks (stderr: terminals and notebooks only)

    def __post_init__(self) -> None:
        object.__setattr__(self, "seed", check_seed(self.seed, "seed (--seed)"))
        for count in ("fixed_point_inputs", "sweep_inputs", "sweep_states", "roadrunner_sample", "max_parameters",
                      "roadrunner_parameters", "large_model_reactions", "agreement_inputs", "agreement_sample_inputs"):
            value = getattr(self, count)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"validation option {count} is {value!r}; give a whole number >= 1")
        if isinstance(self.sbml_max_reactions, bool) or not isinstance(self.sbml_max_reactions, (int, np.integer)) \
                or self.sbml_max_reactions < 0:
            raise InputError(f"validation option sbml_max_reactions is {self.sbml_max_reactions!r}; give a whole "
                             "number >= 0 (0: check every reaction)")
        for tol in ("rtol", "settle_tol", "gradient_rtol"):
            value = getattr(self, tol)
            if not (isinstance(value, (int, float)) and 0 < value < 1):
                raise InputError(f"validation option {tol} is {value!r}; give a number in (0, 1), e.g. 1e-8")
        if self.input_range is None:
            return
        lo, hi = (float(v) for v in self.input_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise InputError(f"input range is {lo}..{hi}; give finite bounds with low < high")
        object.__setattr__(self, "input_range", (lo, hi))

    def rng(self, salt: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, salt])

    def sampling_ranges(self, crn: CRN) -> np.ndarray:
        """(n_inputs, 2): low and high of each network input for the sweeps.
        Declared finite bounds are used as declared; a side without a bound
        takes the option's (default [-1, 1]); without declared ranges inputs
        are concentrations and the option (default [0, 1]) must be >= 0."""
        n = len(crn.input_names)
        if not crn.input_ranges:
            lo, hi = self.input_range or (0.0, 1.0)
            if lo < 0:
                raise InputError(
                    f"input range is {lo:g}..{hi:g}, but '{crn.name}' declares no input_ranges: its inputs are "
                    "concentrations, so give 0 <= low < high (or declare input_ranges in the network file)"
                )
            return np.tile([lo, hi], (n, 1))
        rows = []
        for lower, upper in crn.input_ranges:
            lo, hi = self.input_range or (-1.0, 1.0)
            width = hi - lo
            if lower is not None and upper is not None:
                lo, hi = lower, upper
            elif lower is not None:
                lo, hi = max(lo, lower), max(hi, lower)
                hi = hi if hi > lo else lo + width
            elif upper is not None:
                lo, hi = min(lo, upper), min(hi, upper)
                lo = lo if lo < hi else hi - width
            rows.append((float(lo), float(hi)))
        return np.array(rows, dtype=float).reshape(n, 2)

    def inputs(self, crn: CRN, count: int, salt: int) -> np.ndarray:
        """``count`` network-level inputs (what ``CRN.with_inputs`` takes): the
        sampling ranges' low and high corners, their midpoint, then uniform draws."""
        ranges = self.sampling_ranges(crn)
        lo, hi = ranges[:, 0], ranges[:, 1]
        fixed = [lo, hi, 0.5 * (lo + hi)]
        draws = self.rng(salt).uniform(lo, hi, size=(max(count - 3, 0), len(lo)))
        return np.vstack([*fixed, draws])[:count]


@dataclass(frozen=True, eq=False)
class Subject:
    """The model under validation and the network it must compute.

    ``model`` is the model as loaded (:class:`~crn2sbml.loader.LoadedModel`);
    ``network`` is the reference: the one given, else the network recorded at
    compile time (so hand edits show), else, with edits accepted, the network
    the model now encodes; None for a model with no network (foreign, or not
    reading back). ``reference_kind`` says which."""

    model: LoadedModel
    sbml: str  # the text the simulators load: the file's own, or emitted from the network
    network: Network | None
    reference_kind: str  # "given", "compiled", "edits accepted" or "read back"; "" without a network
    # libsbml's document of ``sbml`` as the loader read it, kept for the checks that read it
    # (``document``) until ``release_document``: a read costs 7-15 s at 80,000 reactions
    _document: list = field(default_factory=list, compare=False, repr=False)

    def document(self) -> libsbml.SBMLDocument:
        """libsbml's document of ``sbml`` (the loader's, else read now and kept)."""
        if not self._document:
            self._document.append(libsbml.readSBMLFromString(self.sbml))
        return self._document[0]

    def take_document(self) -> libsbml.SBMLDocument | None:
        """The loader's document for a check that changes it (None when not
        held): later ``document`` calls read the text again."""
        return self._document.pop() if self._document else None

    def release_document(self) -> None:
        """Drop the document (1.7 GB at 80,000 reactions) once no check needs it."""
        self._document.clear()

    @property
    def label(self) -> str:
        return self.model.name

    @property
    def source(self) -> str:
        return self.model.source

    @property
    def crn(self) -> CRN:
        return self.model.crn

    @property
    def reference_given(self) -> bool:
        return self.reference_kind == "given"

    @property
    def readback_error(self) -> str:
        return self.model.readback_error or ("the model has no crn2sbml annotations" if self.model.foreign else "")

    @cached_property
    def reference(self) -> Reference | None:
        return None if self.network is None else Reference(self.network, self.crn)

    # Simulators are shared by the checks: every protocol call sets its own
    # inputs, parameters and initial state, so no check sees another's. Loading
    # (roadrunner's JIT) is the expensive part; cached_property writes past the
    # frozen __setattr__ on purpose.
    @cached_property
    def _simulators(self) -> dict[str, Simulator]:
        return {}

    def simulator(self, name: str) -> Simulator:
        """The registered backend ``name`` on this model (loaded once)."""
        if name not in self._simulators:
            self.model.require_simulable()
            options = {"sbml": self.sbml} if name in ("roadrunner", "copasi") else {}
            # roadrunner's JIT and COPASI's SBML import take seconds to minutes on large models
            with activity(f"{name}: loading {len(self.crn.reactions):,} reactions"):
                self._simulators[name] = get_simulator(name, self.crn, **options)
        return self._simulators[name]

    def close(self) -> None:
        for sim in self._simulators.values():
            sim.close()
        self._simulators.clear()

    @cached_property
    def batch(self) -> BatchSystem:
        return BatchSystem(self.crn)

    @cached_property
    def compiled_model_cached(self) -> bool:
        """Whether roadrunner's compiled model of this SBML is in the cache
        (looked up once: the key hashes the whole text, 95 MB at 784-100-10)."""
        folder = default_cache_dir()
        return folder is not None and cache_file(self.sbml, folder).is_file()

    def roadrunner_skipped(self, options: Options) -> str:
        """Why roadrunner is not run on this model ('' when it is): too many
        reactions for the JIT and no compiled model in the cache."""
        n = len(self.crn.reactions)
        if n <= options.roadrunner_max_reactions:
            return ""
        if self.compiled_model_cached:
            return ""
        return (f"roadrunner not run: {n} reactions > --roadrunner-max-reactions {options.roadrunner_max_reactions} "
                "and the compiled model is not cached (JIT time grows about quadratically with the reactions; run "
                "'crn2sbml simulate MODEL' once to compile and cache it, or raise the limit)")

    def steady_simulator(self, options: Options) -> Simulator:
        """The single-input simulator for checked steady states: roadrunner,
        or the batch simulator when roadrunner is skipped (at 784-100-10 the
        numpy backend's sparse BDF took 14 s for the fixed-point check's 6 inputs)."""
        return self.simulator("batch" if self.roadrunner_skipped(options) else "roadrunner")

    def rerun_simulator(self, options: Options) -> Simulator:
        """A second simulator for trajectories the batch integrator ran:
        roadrunner, or the numpy backend (an integrator of its own) when roadrunner is skipped."""
        return self.simulator("numpy" if self.roadrunner_skipped(options) else "roadrunner")

    def input_species(self, x: np.ndarray) -> np.ndarray:
        """Network-level inputs (B, n_inputs) -> the input species' concentrations
        (B, len(crn.inputs)), in ``crn.inputs`` order (shift / dual-rail encoding)."""
        return self.crn.encode_inputs(x)

    def expected_state(self, x: np.ndarray) -> np.ndarray:
        """Every floating species' fixed point under the reference network, (B, n)."""
        assert self.reference is not None
        return self.reference.expected_state(x)

    @property
    def readout_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, c): outputs = state @ A.T + c for floating-species states."""
        return self.crn.output_matrix

    def outputs(self, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Output readouts of floating-species states (B, n) and their rounding
        scale sum |a_r| y_r + |offset|, each (B, n_outputs)."""
        return self.crn.output_readouts(state)

    def output_error(self, state: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Per member, max over outputs of |readout - forward pass| relative to
        the readout's scale (a signed output is a difference of rails)."""
        assert self.reference is not None
        return self.reference.output_error(state, x)


def no_network(name: str, subject: Subject) -> CheckResult:
    """The result of a check that needs the network the model should compute,
    when there is none: not applicable to a foreign model, a failure for one
    of ours that no longer reads back as a network."""
    if subject.model.foreign:
        return CheckResult.not_applicable(name, "not applicable: a model without crn2sbml annotations encodes no "
                                          "network (give one with --network to hold it to one)")
    return CheckResult(name, False, "not run: the model does not read back as a network and no reference "
                       f"network was given ({subject.readback_error})")


def not_simulable(name: str, subject: Subject) -> CheckResult | None:
    """A failed result when the model cannot be simulated as a mass-action CRN,
    or when its readout rules are not the construction's (the simulators
    compare the construction's readouts, not what the file computes), else None."""
    if subject.model.readout_problems:
        return CheckResult(name, False, "not run: the model's readouts are not the construction's, so its outputs "
                           f"are not what the simulations compare ({'; '.join(subject.model.readout_problems)})")
    if not subject.model.unsupported:
        return None
    return CheckResult(name, False, f"not run: the model cannot be simulated as a mass-action CRN "
                       f"({subject.model.unsupported[0]})")


def load_subject(model: str | os.PathLike[str], network: Network | str | os.PathLike[str] | None = None, *,
                 accept_edits: bool = False) -> Subject:
    """A network JSON (compiled here) or an SBML file as it comes; ``network``
    (a Network or a JSON path) is the reference it must compute. Without one,
    an edited model is held to the network it was compiled from, unless
    ``accept_edits``: then to the network it now encodes."""
    reference = load_network(network) if isinstance(network, (str, os.PathLike)) else network
    loaded, doc = load_model_and_document(model)
    sbml = loaded.sbml if loaded.sbml is not None else "".join(stream_sbml(loaded.crn))  # bounded memory
    kept = [doc] if doc is not None else []
    if reference is not None:
        return Subject(loaded, sbml, reference, "given", kept)
    if loaded.edits and not accept_edits:
        return Subject(loaded, sbml, loaded.compiled, "compiled" if loaded.compiled is not None else "", kept)
    kind = "edits accepted" if loaded.edits else "read back"
    return Subject(loaded, sbml, loaded.network, kind if loaded.network is not None else "", kept)
