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


def load_onnx(path: str | os.PathLike[str], *, epsilon: float = DEFAULT_EPSILON, name: str | None = None) -> Network:
    onnx = require("onnx", "onnx", "importing an ONNX model")
    from onnx import numpy_helper

    p = Path(path)
    try:
        model = onnx.load(str(p))
    except Exception as exc:  # protobuf raises its own DecodeError, among others
        raise ModelReadError(f"'{p.name}' is not a readable ONNX model ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0][:200] if str(exc) else 'parse failed'})") from None
    graph = model.graph
    if not graph.node:
        raise ModelReadError(f"'{p.name}' is not a readable ONNX model (its graph has no nodes)")
    consts: dict[str, np.ndarray] = {}
    for init in graph.initializer:
        consts[init.name] = as_float64(numpy_helper.to_array(init))
    for node in graph.node:  # Constant nodes (torch exports some Clip bounds this way)
        if node.op_type == "Constant":
            consts[node.output[0]] = as_float64(numpy_helper.to_array(_attrs(node, onnx)["value"]))

    def const(node: Any, k: int) -> np.ndarray:
        if len(node.input) <= k or node.input[k] not in consts:
            raise ModelReadError(
                f"'{p.name}': {node.op_type} node '{node.name}' input {k} is not a constant; only "
                "weights stored in the file (initializers) are supported"
            )
        return consts[node.input[k]]

    activations = framework_activations("onnx")
    layers: list[PendingLayer] = []
    last_linear_out = None
    for node in graph.node:
        op, where = node.op_type, f"'{p.name}': {node.op_type} node '{node.name or node.output[0]}'"
        a = _attrs(node, onnx)
        if op == "Constant":
            continue
        if op == "Gemm":
            if a.get("transA", 0):
                raise ModelReadError(f"{where} has transA=1; only transA=0 is supported")
            b = const(node, 1)
            w = b if a.get("transB", 0) else b.T  # Y = A B^T (transB) or A B; W is (out x in)
            w = w * float(a.get("alpha", 1.0))
            c = const(node, 2) * float(a.get("beta", 1.0)) if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0])
            c = np.broadcast_to(c.reshape(-1), (w.shape[0],)).copy()
            layers.append(PendingLayer(np.array(w, dtype=float), c, source=where))
            last_linear_out = node.output[0]
        elif op == "MatMul":
            w = const(node, 1)
            if w.ndim != 2:
                raise ModelReadError(f"{where}: the weight must be a 2-D matrix, got shape {w.shape}")
            layers.append(PendingLayer(np.array(w.T, dtype=float), np.zeros(w.shape[1]), source=where))
            last_linear_out = node.output[0]
        elif op == "Add":
            if not layers or last_linear_out not in node.input or layers[-1].activation is not None:
                raise ModelReadError(f"{where}: Add is supported only as the bias right after a MatMul")
            other = [i for i in node.input if i != last_linear_out]
            if len(other) != 1 or other[0] not in consts:
                raise ModelReadError(f"{where}: the bias added to the MatMul must be a constant")
            layers[-1].bias = layers[-1].bias + np.broadcast_to(consts[other[0]].reshape(-1), layers[-1].bias.shape)
            last_linear_out = node.output[0]
        elif op in activations:
            cls = activations[op]
            constants = [const(node, k) if node.input[k] else None for k in range(1, len(node.input))]
            try:
                params = cls.onnx_params(a, constants)
            except NetworkError as exc:
                raise ModelReadError(f"{where} {exc}") from None
            set_activation(layers, cls.name, params, where, ModelReadError)
        elif op in NO_OPS:
            if last_linear_out in node.input[:1]:
                last_linear_out = node.output[0]
        else:
            raise ModelReadError(f"{where} is not supported; supported operators: {', '.join(supported_ops())}")
    desc = f"imported from the ONNX model {p.name}; Relu computed as the smoothed ReLU at eps={epsilon:g}"
    if any(layer.activation == "hardsigmoid" for layer in layers):
        desc += "; HardSigmoid's float32 alpha taken as exactly 1/6"
    try:
        return build_network(layers, epsilon=epsilon, name=name or safe_name(p.stem), description=desc,
                             error=ModelReadError)
    except ModelReadError as exc:
        raise ModelReadError(f"'{p.name}': {exc}") from None
