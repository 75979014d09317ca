"""How each recorded op becomes ONNX nodes: one table, Function class -> converter, and the converters.

A converter gets the graph being built (`g`, see exporter.py), the recorded Node and `x`, the node's inputs in order:
the ONNX name of each Tensor input, the plain value of every other argument (an axis, a shape, an index). It adds ONNX
nodes with `g.op(...)` and returns the name of its output (a list of names for several outputs).
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

# Every Function converted here, imported from where it lives: a move only changes these lines.
from autograd.ops.elementwise import (Abs, Add, Cast, Clip, Cos, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow, ReLU,
                                      Sigmoid, Sin, Sqrt, Sub, Tanh, Where)
from autograd.ops.linalg import MatMul
from autograd.ops.reduce import LogSumExp, Max, Mean, Min, Sum
from autograd.ops.shape import BroadcastTo, Concatenate, GetItem, Pad, Reshape, Split, Transpose
from nn.conv import Convolution
from nn.functional import GELU, Dropout, GELUTanh, LeakyReLU, Linear, LogSoftmax, NormalCDF, Softmax
from nn.pooling import AvgPool, MaxPool

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def _same(op_type: str) -> Callable:
    """An elementwise op whose ONNX form has the same name; operands are cast to the result's dtype first (numpy
    promotes mixed dtypes, ONNX requires them equal)."""
    return lambda g, node, x: g.op(op_type, [g.as_result_dtype(node, i, x[i]) for i in range(len(x))])


def _reduce(op_type: str) -> Callable:
    return lambda g, node, x: g.reduce(op_type, x[0], node.axes, node.inputs[2])


def _convert_linear(g, node, x):
    """x @ W.T + b: Gemm for a batch of rows, else MatMul by the transposed weight (then Add)."""
    if node.inputs[0].data.ndim == 2:
        return g.op("Gemm", [x[0], x[1]] + ([x[2]] if x[2] is not None else []), transB=1)
    y = g.op("MatMul", [x[0], g.op("Transpose", [x[1]], perm=[1, 0])])
    return y if x[2] is None else g.op("Add", [y, x[2]])


def _convert_gelu(g, node, x):
    """x * Phi(x), with Phi(x) = (1 + erf(x / sqrt(2))) / 2."""
    return g.op("Mul", [x[0], _normal_cdf(g, node, x)])


def _normal_cdf(g, node, x):
    dtype = node.inputs[0].data.dtype
    erf = g.op("Erf", [g.op("Mul", [x[0], g.const(1 / math.sqrt(2), dtype)])])
    return g.op("Mul", [g.op("Add", [erf, g.const(1.0, dtype)]), g.const(0.5, dtype)])


def _convert_gelu_tanh(g, node, x):
    """x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3)))."""
    dtype = node.inputs[0].data.dtype
    cube = g.op("Mul", [g.op("Mul", [x[0], x[0]]), x[0]])
    inner = g.op("Add", [x[0], g.op("Mul", [cube, g.const(0.044715, dtype)])])
    th = g.op("Tanh", [g.op("Mul", [inner, g.const(math.sqrt(2 / math.pi), dtype)])])
    half_x = g.op("Mul", [x[0], g.const(0.5, dtype)])
    return g.op("Mul", [half_x, g.op("Add", [th, g.const(1.0, dtype)])])


def _window_attributes(node) -> dict:
    (ph, pw) = node.padding
    return {"kernel_shape": list(node.kernel_size), "strides": list(node.stride), "pads": [ph, pw, ph, pw]}


def _convert_conv(g, node, x):
    return g.op("Conv", [x[0], x[1]] + ([x[2]] if x[2] is not None else []), **_window_attributes(node))


def _convert_where(g, node, x):
    cond = g.array(x[0]) if isinstance(x[0], np.ndarray) else x[0]  # a plain boolean array, or a Tensor's name
    return g.op("Where", [cond, g.as_result_dtype(node, 1, x[1]), g.as_result_dtype(node, 2, x[2])])


def _convert_clip(g, node, x):
    dtype = node.inputs[0].data.dtype
    bounds = ["" if bound is None else g.const(bound, dtype) for bound in x[1:]]  # "": no bound on that side
    return g.op("Clip", [x[0]] + bounds)


def _convert_reshape(g, node, x):
    return g.op("Reshape", [x[0], g.ints(g.symbolic_shape(node))])


def _convert_broadcast_to(g, node, x):
    return g.op("Expand", [x[0], g.ints(g.symbolic_shape(node))])


def _convert_concatenate(g, node, x):
    return g.op("Concat", [g.as_result_dtype(node, i, x[i]) for i in range(1, len(x))], axis=int(x[0]))


def _convert_split(g, node, x):
    data, sections, axis = node.inputs[0].data, x[1], x[2]
    g.require_static(node, 0, axis, "its split axis")
    sizes = [part.shape[axis] for part in np.split(np.broadcast_to(0, data.shape), sections, axis=axis)]
    return g.op("Split", [x[0], g.ints(sizes)], n_outputs=len(sizes), axis=axis)


def _convert_pad(g, node, x):
    widths = np.asarray(x[1], dtype=np.int64)  # one (before, after) pair per axis
    value = g.const(x[2], node.inputs[0].data.dtype)
    return g.op("Pad", [x[0], g.ints(list(widths[:, 0]) + list(widths[:, 1])), value], mode="constant")


def _convert_getitem(g, node, x):
    """x[index] for basic indices (ints, slices, None, ...) and at most one integer (or 1-d boolean) array: a Slice
    for the slices and ints, a Squeeze for the ints, a Gather for the array, an Unsqueeze for the new axes."""
    ndim = node.inputs[0].data.ndim
    items = list(x[1]) if isinstance(x[1], tuple) else [x[1]]
    items = [np.flatnonzero(i) if isinstance(i, np.ndarray) and i.dtype == bool and i.ndim == 1
             and not g.is_input(i) else i for i in items]
    arrays = [i for i in items if isinstance(i, np.ndarray) and i.ndim > 0]
    bad = [i for i in items if isinstance(i, np.ndarray) and i.dtype.kind not in "iu"]
    if len(arrays) > 1 or bad or (arrays and any(_is_int(i) for i in items)):
        g.unsupported(node, "indexing with several index arrays, a boolean mask of more than one axis, or an index "
                            "array together with integers has no ONNX form here; index in steps (one array each)")
    if Ellipsis in [i for i in items if not isinstance(i, np.ndarray)]:
        at = next(k for k, i in enumerate(items) if i is Ellipsis)
        used = sum(1 for i in items if i is not None and i is not Ellipsis)
        items[at:at + 1] = [slice(None)] * (ndim - used)
    starts, ends, axes, steps, squeeze, gather, new_axes = [], [], [], [], [], None, []
    axis = out_axis = 0  # the next input axis, and the next axis of numpy's result
    for item in items:
        if item is None:
            new_axes.append(out_axis)
            out_axis += 1
            continue
        if isinstance(item, slice):
            step = 1 if item.step is None else int(item.step)
            if item != slice(None) and item != slice(None, None, 1):
                lo, hi = (0, INT64_MAX) if step > 0 else (INT64_MAX, INT64_MIN)
                starts.append(lo if item.start is None else int(item.start))
                ends.append(hi if item.stop is None else int(item.stop))
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        elif _is_int(item):
            i = int(item)
            starts.append(i)
            ends.append(i + 1 if i != -1 else INT64_MAX)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        else:  # the one index array: its axes take the place of this axis
            gather = (axis, item)
            out_axis += item.ndim
        axis += 1
    y = x[0]
    if axes:
        y = g.op("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.op("Squeeze", [y, g.ints(squeeze)])
    if gather is not None:
        indices = g.array(gather[1])
        if gather[1].dtype not in (np.int32, np.int64):
            indices = g.op("Cast", [indices], to=g.onnx_dtype(np.int64))
        y = g.op("Gather", [y, indices], axis=gather[0] - sum(1 for a in squeeze if a < gather[0]))
    if new_axes:
        y = g.op("Unsqueeze", [y, g.ints(new_axes)])
    if y is x[0]:
        y = g.op("Identity", [y])  # x[...] or x[:]: the same values under a new name
    return y


def _is_int(item: Any) -> bool:
    return isinstance(item, (int, np.integer)) and not isinstance(item, bool) or \
        isinstance(item, np.ndarray) and item.ndim == 0 and item.dtype.kind in "iu"


def _convert_dropout(g, node, x):
    g.unsupported(node, "dropout in training mode is random and has no ONNX form; call model.eval() before exporting")


def _convert_cast(g, node, x):
    return g.op("Cast", [x[0]], to=g.onnx_dtype(x[1]))


# The table: every Function the exporter knows, and its converter. A Function not listed has no ONNX form (yet).
CONVERTERS: dict[type, Callable] = {
    # elementwise (autograd/ops/elementwise.py)
    Add: _same("Add"), Sub: _same("Sub"), Mul: _same("Mul"), Div: _same("Div"), Pow: _same("Pow"),
    Maximum: _same("Max"), Minimum: _same("Min"),
    Neg: _same("Neg"), Exp: _same("Exp"), Log: _same("Log"), Sqrt: _same("Sqrt"), Sin: _same("Sin"),
    Cos: _same("Cos"), Tanh: _same("Tanh"), Sigmoid: _same("Sigmoid"), ReLU: _same("Relu"), Abs: _same("Abs"),
    Clip: _convert_clip, Where: _convert_where, Cast: _convert_cast,
    # reductions (autograd/ops/reduce.py)
    Sum: _reduce("ReduceSum"), Mean: _reduce("ReduceMean"), Max: _reduce("ReduceMax"), Min: _reduce("ReduceMin"),
    LogSumExp: _reduce("ReduceLogSumExp"),
    # shape (autograd/ops/shape.py) and matmul (autograd/ops/linalg.py)
    Reshape: _convert_reshape, Transpose: lambda g, node, x: g.op("Transpose", [x[0]], perm=list(x[1])),
    BroadcastTo: _convert_broadcast_to, GetItem: _convert_getitem, Concatenate: _convert_concatenate,
    Split: _convert_split, Pad: _convert_pad, MatMul: _same("MatMul"),
    # nn (nn/functional.py, nn/conv.py, nn/pooling.py)
    Linear: _convert_linear, LeakyReLU: lambda g, node, x: g.op("LeakyRelu", [x[0]], alpha=float(x[1])),
    GELU: _convert_gelu, GELUTanh: _convert_gelu_tanh, NormalCDF: _normal_cdf,
    Softmax: lambda g, node, x: g.op("Softmax", [x[0]], axis=int(x[1])),
    LogSoftmax: lambda g, node, x: g.op("LogSoftmax", [x[0]], axis=int(x[1])),
    Dropout: _convert_dropout,
    Convolution: _convert_conv,
    MaxPool: lambda g, node, x: g.op("MaxPool", [x[0]], **_window_attributes(node)),
    AvgPool: lambda g, node, x: g.op("AveragePool", [x[0]], count_include_pad=1, **_window_attributes(node)),
}

# Arguments a converter makes symbolic itself (the others must not change with the inputs' dynamic axes).
SHAPE_ARGUMENTS: dict[type, int] = {Reshape: 1, BroadcastTo: 1}
