"""Importers: trained networks from PyTorch, scikit-learn and ONNX.

Every importer carries the weights over exactly (float32 values widen to
float64 without rounding) and maps each activation to the one the CRN
computes at the chosen epsilon (ReLU -> smoothed ReLU, a final Linear ->
identity, ...). Frameworks are optional extras, imported only when used:

    from_torch(module)            torch.nn.Sequential           crn2sbml[torch]
    from_sklearn(estimator)       MLPClassifier / MLPRegressor  crn2sbml[sklearn]
    load_onnx(path)               Gemm / MatMul+Add graphs      crn2sbml[onnx]
    load_state_dict(path, acts)   torch.save(state_dict)        crn2sbml[torch]
    load_skops(path)              skops.io.dump(MLP...)         crn2sbml[sklearn]
    import_model(path, ...)       by suffix (.onnx, .pt, .pth, .skops)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ..errors import ModelReadError
from ..network import Network
from ._common import DEFAULT_EPSILON, SUPPORTED_ACTIVATIONS, require
from .onnx_file import load_onnx
from .pytorch import from_torch, load_state_dict
from .sklearn import from_sklearn, load_skops

SUFFIXES = {".onnx": "ONNX model", ".pt": "PyTorch state_dict", ".pth": "PyTorch state_dict",
            ".skops": "scikit-learn MLP saved with skops"}


def import_model(
    path: str | os.PathLike[str],
    *,
    activations: Sequence[str] | None = None,
    epsilon: float = DEFAULT_EPSILON,
    name: str | None = None,
) -> Network:
    """Read a model file by its suffix: ``.onnx`` (activations come from the
    graph), ``.pt`` / ``.pth`` (a state_dict: ``activations`` must be given,
    one per Linear layer) or ``.skops`` (a scikit-learn MLP, by skops' safe
    loader)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.is_file():
        raise ModelReadError(f"cannot read model '{p}': no such file")
    if suffix == ".onnx":
        if activations:
            raise ModelReadError("--activations is only for state_dict files; an ONNX graph names its own")
        return load_onnx(p, epsilon=epsilon, name=name)
    if suffix in (".pt", ".pth"):
        return load_state_dict(p, activations, epsilon=epsilon, name=name)
    if suffix == ".skops":
        if activations:
            raise ModelReadError("--activations is only for state_dict files; a scikit-learn MLP names its own")
        return load_skops(p, epsilon=epsilon, name=name)
    raise ModelReadError(
        f"cannot import '{p.name}': unknown suffix '{suffix or '(none)'}'; supported: "
        + ", ".join(f"{s} ({what})" for s, what in SUFFIXES.items())
    )


__all__ = ["DEFAULT_EPSILON", "SUPPORTED_ACTIVATIONS", "from_sklearn", "from_torch", "import_model",
           "load_onnx", "load_skops", "load_state_dict", "require"]
