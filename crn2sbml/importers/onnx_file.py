"""ONNX: Gemm, or MatMul + Add, with the operators the activations declare
(Relu, LeakyRelu, Clip as hardtanh, HardSigmoid, ...) and the no-ops
Identity, Flatten and Dropout, read with the ``onnx`` package alone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..activations import framework_activations
from ..errors import ModelReadError, NetworkError
from ..network import Network
from ._common import DEFAULT_EPSILON, PendingLayer, as_float64, build_network, require, safe_name, set_activation

LINEAR_OPS = ("Gemm", "MatMul", "Add")
NO_OPS = ("Identity", "Flatten", "Dropout")  # on a flat vector at inference


def supported_ops() -> tuple[str, ...]:
    return (*LINEAR_OPS, *framework_activations("onnx"), *NO_OPS)


def _attrs(node: Any, onnx: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _bias(c: np.ndarray, n: int, where: str) -> np.ndarray:
    """A bias of ``n`` values: one per output, or one for all."""
    flat = c.reshape(-1)
    if flat.size not in (1, n):
        raise ModelReadError(f"{where}: the bias has {flat.size} values for {n} outputs; give one per output")
    return np.broadcast_to(flat, (n,)).copy()


def load_onnx(path: str | os.PathLike[str], *, epsilon: float = DEFAULT_EPSILON, name: str | None = None) -> Network:
    onnx = require("onnx", "onnx", "importing an ONNX model")
    from onnx import numpy_helper

    p = Path(path)
    try:
        # weights stored outside the file would be read from paths the file names: refused below
        model = onnx.load(str(p), load_external_data=False)
    except Exception as exc:  # protobuf raises its own DecodeError, among others
        raise ModelReadError(f"'{p.name}' is not a readable ONNX model ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0][:200] if str(exc) else 'parse failed'})") from None
    graph = model.graph
    if not graph.node:
        raise ModelReadError(f"'{p.name}' is not a readable ONNX model (its graph has no nodes)")
    consts: dict[str, np.ndarray] = {}
    external = [init.name for init in graph.initializer if init.data_location == onnx.TensorProto.EXTERNAL]
    if external:
        raise ModelReadError(f"'{p.name}': initializer '{external[0]}' is stored outside the model file; crn2sbml "
                             "reads only weights inside it (save the model with save_as_external_data=False)")
    try:
        for init in graph.initializer:
            consts[init.name] = as_float64(numpy_helper.to_array(init), f"'{p.name}': initializer '{init.name}'",
                                           ModelReadError)
        for node in graph.node:  # Constant nodes (torch exports some Clip bounds this way)
            if node.op_type == "Constant":
                if not node.output or "value" not in _attrs(node, onnx):
                    raise ModelReadError(f"'{p.name}': Constant node '{node.name}' has no value or no output")
                consts[node.output[0]] = as_float64(numpy_helper.to_array(_attrs(node, onnx)["value"]),
                                                    f"'{p.name}': Constant node '{node.name}'", ModelReadError)
    except ModelReadError:
        raise
    except (ValueError, TypeError) as exc:  # onnx's own decoding of a malformed tensor
        raise ModelReadError(f"'{p.name}': an initializer cannot be read as numbers ({str(exc)[:200]})") from None

    def const(node: Any, k: int) -> np.ndarray:
        if len(node.input) <= k or node.input[k] not in consts:
            raise ModelReadError(
                f"'{p.name}': {node.op_type} node '{node.name}' input {k} is not a constant; only "
                "weights stored in the file (initializers) are supported"
            )
        return consts[node.input[k]]

    # The graph must be one chain from its input to its output: every node reads
    # the value the node before it produced (any other wiring would be imported
    # as a different function).
    inputs = [v.name for v in graph.input if v.name not in consts]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ModelReadError(f"'{p.name}': the graph has {len(inputs)} inputs and {len(graph.output)} outputs; "
                             "crn2sbml imports a chain with one input and one output")
    current = inputs[0]
    activations = framework_activations("onnx")
    layers: list[PendingLayer] = []
    linear_last = False  # the current value is a linear layer's output (an Add may still follow as its bias)
    for node in graph.node:
        op = node.op_type
        if op == "Constant":
            continue
        where = f"'{p.name}': {op} node '{node.name or (node.output[0] if node.output else '?')}'"
        if len(node.output) != 1 or not node.output[0]:
            raise ModelReadError(f"{where} has {len(node.output)} outputs; each node of the chain needs one")
        data_in = [i for i in node.input if i and i not in consts]
        if data_in != [current] or (op not in ("Add",) and (not node.input or node.input[0] != current)):
            raise ModelReadError(f"{where} reads {', '.join(data_in) or 'no value'}, not '{current}' (the output of "
                                 "the node before it); crn2sbml imports a chain of layers only")
        a = _attrs(node, onnx)
        if op == "Gemm":
            if a.get("transA", 0):
                raise ModelReadError(f"{where} has transA=1; only transA=0 is supported")
            b = const(node, 1)
            if b.ndim != 2:
                raise ModelReadError(f"{where}: the weight must be a 2-D matrix, got shape {b.shape}")
            w = b if a.get("transB", 0) else b.T  # Y = A B^T (transB) or A B; W is (out x in)
            w = w * float(a.get("alpha", 1.0))
            c = const(node, 2) * float(a.get("beta", 1.0)) if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0])
            layers.append(PendingLayer(np.array(w, dtype=float), _bias(c, w.shape[0], where), source=where))
            linear_last = True
        elif op == "MatMul":
            w = const(node, 1)
            if w.ndim != 2:
                raise ModelReadError(f"{where}: the weight must be a 2-D matrix, got shape {w.shape}")
            layers.append(PendingLayer(np.array(w.T, dtype=float), np.zeros(w.shape[1]), source=where))
            linear_last = True
        elif op == "Add":
            if not layers or not linear_last or layers[-1].activation is not None:
                raise ModelReadError(f"{where}: Add is supported only as the bias right after a MatMul")
            other = [i for i in node.input if i != current]
            if len(other) != 1 or other[0] not in consts:
                raise ModelReadError(f"{where}: the bias added to the MatMul must be a constant")
            layers[-1].bias = layers[-1].bias + _bias(consts[other[0]], layers[-1].bias.shape[0], where)
            linear_last = False
        elif op in activations:
            cls = activations[op]
            constants = [const(node, k) if node.input[k] else None for k in range(1, len(node.input))]
            try:
                params = cls.onnx_params(a, constants)
            except NetworkError as exc:
                raise ModelReadError(f"{where} {exc}") from None
            set_activation(layers, cls.name, params, where, ModelReadError)
            linear_last = False
        elif op not in NO_OPS:
            raise ModelReadError(f"{where} is not supported; supported operators: {', '.join(supported_ops())}")
        current = node.output[0]
    if graph.output[0].name != current:
        raise ModelReadError(f"'{p.name}': the graph's output '{graph.output[0].name}' is not the last node's "
                             f"output '{current}'; crn2sbml imports a chain of layers only")
    desc = f"imported from the ONNX model {p.name}; Relu computed as the smoothed ReLU at eps={epsilon:g}"
    if any(layer.activation == "hardsigmoid" for layer in layers):
        desc += "; HardSigmoid's float32 alpha taken as exactly 1/6"
    try:
        return build_network(layers, epsilon=epsilon, name=name or safe_name(p.stem), description=desc,
                             error=ModelReadError)
    except ModelReadError as exc:
        raise ModelReadError(f"'{p.name}': {exc}") from None
