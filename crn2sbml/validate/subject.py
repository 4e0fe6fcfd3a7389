"""What a validation run looks at: the model (SBML text and its CRN), the
network it should compute, and the run's settings."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..compile import compile_network, network_from_crn
from ..crn import CRN
from ..emit.sbml import to_sbml
from ..errors import InputError, ModelReadError, NetworkError
from ..network import Network, load_network
from ..readback import read_sbml
from ..simulate import RoadRunnerSimulator
from .batch import BatchSystem
from .result import CheckResult


@dataclass(frozen=True)
class Options:
    """Settings of a run; every figure in the report is relative to these."""

    input_range: tuple[float, float] = (0.0, 1.0)
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
    copasi_max_reactions: int = 5000
    progress: bool = False  # one line per check on stderr

    def __post_init__(self) -> None:
        lo, hi = (float(v) for v in self.input_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo < hi):
            raise InputError(
                f"input range is {lo}..{hi}; give finite bounds with 0 <= low < high (inputs are concentrations)"
            )
        object.__setattr__(self, "input_range", (lo, hi))

    def rng(self, salt: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, salt])

    def inputs(self, n_inputs: int, count: int, salt: int) -> np.ndarray:
        """``count`` inputs: the range's low and high corners, its midpoint, then uniform draws."""
        lo, hi = self.input_range
        fixed = [np.full(n_inputs, lo), np.full(n_inputs, hi), np.full(n_inputs, 0.5 * (lo + hi))]
        draws = self.rng(salt).uniform(lo, hi, size=(max(count - 3, 0), n_inputs))
        return np.vstack([*fixed, draws])[:count]

    def say(self, text: str) -> None:
        if self.progress:
            print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True, eq=False)
class Subject:
    """The model under validation.

    ``crn`` is the model as written (read back from the SBML); ``network`` is
    what it must compute: the reference network when one is given, else the
    network read back from the model (None if it does not read back)."""

    label: str
    source: str
    sbml: str
    crn: CRN
    network: Network | None
    readback: Network | None  # the network the model's own reactions describe
    readback_error: str
    reference_given: bool

    # Loading is the expensive part (JIT compile), so every check shares one
    # instance; cached_property writes past the frozen __setattr__ on purpose.
    @cached_property
    def roadrunner(self) -> RoadRunnerSimulator:
        return RoadRunnerSimulator(self.crn, self.sbml)

    @cached_property
    def batch(self) -> BatchSystem:
        return BatchSystem(self.crn)

    def expected_state(self, x: np.ndarray) -> np.ndarray:
        """The forward pass of every neuron, in the model's floating-species order, (B, n)."""
        assert self.network is not None
        values = self.network.layer_values(np.atleast_2d(x))
        return np.stack([values[s.layer][:, s.unit] for s in self.crn.floating], axis=1)


def no_network(name: str, subject: Subject) -> CheckResult:
    """The result of a check that needs the network the model should compute, when there is none."""
    return CheckResult(name, False, "not run: the model does not read back as a network and no reference "
                       f"network was given ({subject.readback_error})")


def _readback(crn: CRN) -> tuple[Network | None, str]:
    try:
        return network_from_crn(crn), ""
    except NetworkError as exc:
        return None, str(exc)


def load_subject(model: str | os.PathLike[str], network: Network | str | os.PathLike[str] | None = None) -> Subject:
    """A network JSON (compiled here) or a crn2sbml SBML file; ``network``
    (a Network or a JSON path) is the reference it must compute."""
    path = Path(model)
    if not path.is_file():
        raise ModelReadError(f"cannot read model '{path}': no such file")
    reference = load_network(network) if isinstance(network, (str, os.PathLike)) else network
    if path.suffix.lower() == ".json":
        net = load_network(path)
        crn = compile_network(net)
        return Subject(net.name, str(path), to_sbml(crn), crn, reference or net, net, "", reference is not None)
    try:
        sbml = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ModelReadError(f"cannot read model '{path}': not a readable text file") from None
    crn = read_sbml(sbml)
    back, error = _readback(crn)
    return Subject(crn.name, str(path), sbml, crn, reference or back, back, error, reference is not None)
