"""crn2sbml: compile feed-forward neural networks into mass-action chemical
reaction networks whose unique positive steady state is the network's output
(Anderson, Joshi & Deshpande, J. R. Soc. Interface 2021).

    net = load_network("models/xor.json")
    crn = compile_network(net, inputs=[1, 0])
    write_model(crn, "build/xor")                # SBML, Antimony, plain-text CRN
    sim = RoadRunnerSimulator(crn)               # any backend: Simulator protocol
    ss = find_steady_state(sim, Reference(net, crn))
    ss.output_values, net.forward([1, 0])        # equal (accepted only if so)
"""

import importlib
from typing import Any

from .activations import get_activation, known_activations
from .compile import compile_network, expected_state, network_from_crn, start_box
from .crn import CRN, LayerInfo, Parameter, Reaction, Readout, Species
from .emit import (
    FORMATS, stream_sbml, to_antimony, to_sbml, to_text, write_antimony, write_model, write_sbml, write_text,
)
from .errors import (
    Crn2SbmlError,
    InputError,
    MissingDependencyError,
    SimulationError,
    UnsupportedError,
    ModelReadError,
    NetworkError,
    OutputError,
    SchedulerError,
    SteadyStateError,
    UnknownNameError,
)
from .network import Layer, Network, load_network, network_from_dict, save_network
from .loader import Edit, LoadedModel, load_model
from .readback import ModelRead, read_model, read_sbml
from .reference import Reference
from .simulate import (
    BACKENDS, BatchSimulator, Capability, CopasiSimulator, NumpySimulator, RoadRunnerSimulator, Simulator, SteadyState,
    TimeCourse, backends_with, find_steady_state, get_simulator,
)
from .theory import convergence_rates, one_neuron_trajectory, settling_time
from .training import TrainResult, predict_class, train

__version__ = "0.1.0"

# The sweep names load crn2sbml.sweep (and through it validation and matplotlib's
# helpers) on first use, so `import crn2sbml` stays light; dask is imported only
# when a cluster is used.
_LAZY = {name: "crn2sbml.sweep" for name in (
    "DaskExecutor", "Executor", "Outcome", "SerialExecutor", "SweepGrid", "SweepPoint", "SweepResult", "Task",
    "make_executor", "parameter_sweep", "validation_sweep", "write_sweep",
)}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this hook
        return value
    raise AttributeError(f"module 'crn2sbml' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

__all__ = [
    "BACKENDS", "BatchSimulator", "CRN", "Capability", "CopasiSimulator", "Edit", "LoadedModel", "ModelRead",
    "Reference", "Simulator", "SimulationError", "UnsupportedError", "backends_with", "find_steady_state",
    "load_model", "read_model", "FORMATS", "Crn2SbmlError", "InputError", "MissingDependencyError", "Layer", "LayerInfo", "ModelReadError",
    "Network", "NetworkError", "NumpySimulator", "OutputError", "Parameter", "Reaction",
    "Readout", "RoadRunnerSimulator", "Species", "SteadyState", "SteadyStateError", "TimeCourse", "UnknownNameError",
    "compile_network", "convergence_rates", "expected_state", "get_activation", "get_simulator", "known_activations",
    "load_network", "network_from_crn", "network_from_dict", "one_neuron_trajectory", "read_sbml",
    "save_network", "settling_time", "start_box", "to_antimony", "to_sbml", "to_text", "write_antimony", "write_model",
    "write_sbml", "write_text", "stream_sbml", "TrainResult", "predict_class", "train",
    # sweeps (crn2sbml.sweep): serial or on dask.distributed, which is imported only when a cluster is used
    "DaskExecutor", "Executor", "Outcome", "SchedulerError", "SerialExecutor", "SweepGrid", "SweepPoint",
    "SweepResult", "Task", "make_executor", "parameter_sweep", "validation_sweep", "write_sweep",
]
# importers (crn2sbml.importers: from_torch, from_sklearn, load_onnx, load_state_dict,
# import_model) load their frameworks lazily; they are not imported here.
