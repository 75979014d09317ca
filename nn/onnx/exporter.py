"""export(): run a model on an example, read the graph the engine recorded, and write it as an ONNX model.

The forward runs twice: on the example, and on a variant whose dynamic axes have another size and whose values differ.
The two recordings must match op for op; where a reshape target differs it becomes symbolic (0 or -1), and any other
constant that differs was computed outside the graph from the inputs, which ONNX would freeze: that is an error.
"""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from autograd import Tensor

from ..activation import Dropout
from ..module import Module
from ..normalization import BatchNorm1d, BatchNorm2d
from .graph import Graph
from .trace import ExportError, Trace, compare, variant

MIN_OPSET = 13  # Split, Squeeze, Unsqueeze and ReduceSum take their sizes and axes as inputs from opset 13 on


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError('nn.onnx.export needs the onnx package; install it with pip install "chainrule[onnx]" '
                          "(or pip install onnx onnxruntime)") from None
    return onnx


def export(model: Module, example_inputs: Any, path: str | os.PathLike | None, opset: int = 17,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           dynamic_axes: dict | None = None) -> Any:
    """Write `model` as an ONNX model, in the shape of torch.onnx.export.

    Args:
        model: an nn.Module in eval mode, computing with Tensors.
        example_inputs: one input (a Tensor or ndarray) or a tuple of them, as the model is called.
        path: the .onnx file to write (None: write nothing, only return the model).
        opset: the ONNX opset version (13 or later).
        input_names, output_names: the graph's names for them ("input"/"output", or "input_0", ... when several).
        dynamic_axes: {name: {axis: "symbol"}} or {name: [axis, ...]} for axes whose size may change (the batch).
    Returns:
        The onnx.ModelProto, checked by onnx.checker.
    Raises:
        ExportError naming the op and the module it ran in, for what ONNX cannot express.
    """
    onnx = _require_onnx()
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"export: opset must be between {MIN_OPSET} and {onnx.defs.onnx_opset_version()} (the "
                         f"installed onnx's newest), got {opset}")
    if not isinstance(model, Module):
        raise TypeError(f"export: expected an nn.Module, got {type(model).__name__}")
    for name, module in model.named_modules():
        if isinstance(module, (BatchNorm1d, BatchNorm2d, Dropout)) and module.training:
            raise ExportError(f"export: {name or 'the model'} ({type(module).__name__}) is in training mode, which "
                              "ONNX inference would not reproduce; call model.eval() before exporting")
    examples = [np.asarray(a.data if isinstance(a, Tensor) else a)
                for a in (example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,))]
    input_names = _names(input_names, len(examples), "input")
    symbols = _dynamic_axes(dynamic_axes, input_names, examples)
    first = Trace(model, examples)
    output_names = _names(output_names, len(first.outputs), "output")
    if set(input_names) & set(output_names):
        raise ValueError(f"export: input_names {input_names} and output_names {output_names} share names; give each "
                         "value its own")
    unknown = {name for name, _ in symbols} - set(input_names) - set(output_names)
    if unknown:
        raise ValueError(f"export: dynamic_axes names {sorted(unknown)} are neither input_names {input_names} nor "
                         f"output_names {output_names}")
    second = Trace(model, [variant(a, [axis for (name, axis) in symbols if name == input_names[k]])
                           for k, a in enumerate(examples)])
    compare(first, second)
    graph = Graph(onnx, opset, first, second)
    graph.convert(input_names)
    proto = graph.model(input_names, output_names, symbols, type(model).__name__)
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        onnx.save(proto, os.fspath(path))
    return proto


def _names(names: Sequence[str] | None, n: int, kind: str) -> list[str]:
    if names is None:
        return [kind] if n == 1 else [f"{kind}_{i}" for i in range(n)]
    names = list(names)
    if len(names) != n or len(set(names)) != n:
        raise ValueError(f"export: expected {n} distinct {kind}_names, got {names}")
    return names


def _dynamic_axes(dynamic_axes: dict | None, input_names: list[str], examples: list) -> dict:
    """{(name, axis): symbol} from PyTorch's forms {name: {axis: symbol}} and {name: [axis, ...]}."""
    symbols = {}
    for name, axes in (dynamic_axes or {}).items():
        named = axes if isinstance(axes, dict) else {a: f"{name}_dim{a}" for a in axes}
        for axis, symbol in named.items():
            if name in input_names:
                ndim = examples[input_names.index(name)].ndim
                if not isinstance(axis, int) or not 0 <= axis < ndim:
                    raise ValueError(f"export: dynamic axis {axis!r} of {name!r} is not one of its {ndim} axes")
            symbols[(name, axis)] = str(symbol)
    return symbols


