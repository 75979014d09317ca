"""The ONNX forms of the recorded ops: one converter per op, listed against its Function in converters.py.

A converter gets the graph being built (`g`, see graph.py), the recorded Node and `x`, the node's inputs in order: the
ONNX name of each Tensor input, the plain value of every other argument (an axis, a shape, an index). It adds ONNX
nodes with `g.op(...)` and returns the name of its output (a list of names for several outputs).
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


def same(op_type: str) -> Callable:
    """An elementwise op whose ONNX form has the same name; operands are cast to the result's dtype first (numpy
    promotes mixed dtypes, ONNX requires them equal)."""
    return lambda g, node, x: g.op(op_type, [g.as_result_dtype(node, i, x[i]) for i in range(len(x))])


def reduce(op_type: str) -> Callable:
    return lambda g, node, x: g.reduce(op_type, x[0], node.axes, node.inputs[2])


def convert_linear(g, node, x):
    """x @ W.T + b: Gemm for a batch of rows, else MatMul by the transposed weight (then Add)."""
    if node.inputs[0].data.ndim == 2:
        return g.op("Gemm", [x[0], x[1]] + ([x[2]] if x[2] is not None else []), transB=1)
    y = g.op("MatMul", [x[0], g.op("Transpose", [x[1]], perm=[1, 0])])
    return y if x[2] is None else g.op("Add", [y, x[2]])


def convert_layer_norm(g, node, x):
    """(x - mean) / sqrt(var + eps) * w + b over the trailing axes (the opset 13 ops; LayerNormalization is 17's)."""
    axes, eps, dtype = node.inputs[3], node.inputs[4], node.inputs[0].data.dtype
    centered = g.op("Sub", [x[0], g.reduce("ReduceMean", x[0], axes, True)])
    var = g.reduce("ReduceMean", g.op("Mul", [centered, centered]), axes, True)
    y = g.op("Div", [centered, g.op("Sqrt", [g.op("Add", [var, g.const(eps, dtype)])])])
    if x[1] is not None:
        y = g.op("Mul", [y, x[1]])
    return y if x[2] is None else g.op("Add", [y, x[2]])


def convert_gelu(g, node, x):
    """x * Phi(x), with Phi(x) = (1 + erf(x / sqrt(2))) / 2."""
    return g.op("Mul", [x[0], convert_normal_cdf(g, node, x)])


def convert_normal_cdf(g, node, x):
    dtype = node.inputs[0].data.dtype
    erf = g.op("Erf", [g.op("Mul", [x[0], g.const(1 / math.sqrt(2), dtype)])])
    return g.op("Mul", [g.op("Add", [erf, g.const(1.0, dtype)]), g.const(0.5, dtype)])


def convert_gelu_tanh(g, node, x):
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


def convert_conv(g, node, x):
    return g.op("Conv", [x[0], x[1]] + ([x[2]] if x[2] is not None else []), **_window_attributes(node))


def convert_where(g, node, x):
    cond = g.array(x[0]) if isinstance(x[0], np.ndarray) else x[0]  # a plain boolean array, or a Tensor's name
    return g.op("Where", [cond, g.as_result_dtype(node, 1, x[1]), g.as_result_dtype(node, 2, x[2])])


def convert_clip(g, node, x):
    dtype = node.inputs[0].data.dtype
    bounds = ["" if bound is None else g.const(bound, dtype) for bound in x[1:]]  # "": no bound on that side
    return g.op("Clip", [x[0]] + bounds)


def convert_reshape(g, node, x):
    return g.op("Reshape", [x[0], g.ints(g.symbolic_shape(node, expand=False))])


def convert_broadcast_to(g, node, x):
    return g.op("Expand", [x[0], g.ints(g.symbolic_shape(node, expand=True))])


def convert_concatenate(g, node, x):
    return g.op("Concat", [g.as_result_dtype(node, i, x[i]) for i in range(1, len(x))], axis=int(x[0]))


def convert_split(g, node, x):
    data, sections, axis = node.inputs[0].data, x[1], x[2]
    g.require_static(node, 0, axis, "its split axis")
    sizes = [part.shape[axis] for part in np.split(np.broadcast_to(0, data.shape), sections, axis=axis)]
    return g.op("Split", [x[0], g.ints(sizes)], n_outputs=len(sizes), axis=axis)


def convert_pad(g, node, x):
    widths = np.asarray(x[1], dtype=np.int64)  # one (before, after) pair per axis
    value = g.const(x[2], node.inputs[0].data.dtype)
    return g.op("Pad", [x[0], g.ints(list(widths[:, 0]) + list(widths[:, 1])), value], mode="constant")


def convert_getitem(g, node, x):
    """x[index] for basic indices (ints, slices, None, ...) and at most one integer (or 1-d boolean) array: a Slice
    for the slices and ints, a Squeeze for the ints, a Gather for the array, an Unsqueeze for the new axes."""
    ndim = node.inputs[0].data.ndim
    items = [np.asarray(i) if isinstance(i, list) else i for i in (x[1] if isinstance(x[1], tuple) else (x[1],))]
    items = [np.flatnonzero(i) if isinstance(i, np.ndarray) and i.dtype == bool and i.ndim == 1
             and not g.is_input(i) else i for i in items]  # a constant mask of one axis picks fixed positions
    arrays = [i for i in items if isinstance(i, np.ndarray) and i.ndim > 0]
    bad = [i for i in items if isinstance(i, np.ndarray) and i.dtype.kind not in "iu"]
    if len(arrays) > 1 or bad or (arrays and any(_is_int(i) for i in items)):
        g.unsupported(node, "indexing with several index arrays, a boolean mask of more than one axis, or an index "
                            "array together with integers has no ONNX form here; index in steps (one array each)")
    if any(i is Ellipsis for i in items):
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
        elif isinstance(item, np.ndarray):  # the one index array: its axes take the place of this axis
            gather = (axis, item)
            out_axis += item.ndim
        else:
            g.unsupported(node, f"the index item {item!r} has no ONNX form here; index with ints, slices, None, "
                                "... and one integer array")
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
        y = g.op("Gather", [y, indices], axis=gather[0])  # no int was squeezed before it: they do not mix
    if new_axes:
        y = g.op("Unsqueeze", [y, g.ints(new_axes)])
    if y == x[0]:
        y = g.op("Identity", [y])  # x[...] or x[:]: the same values under a new name
    return y


def _is_int(item: Any) -> bool:
    return isinstance(item, (int, np.integer)) and not isinstance(item, bool) or \
        isinstance(item, np.ndarray) and item.ndim == 0 and item.dtype.kind in "iu"


def convert_dropout(g, node, x):
    g.unsupported(node, "dropout in training mode is random and has no ONNX form; call model.eval() before exporting")


def convert_cast(g, node, x):
    return g.op("Cast", [x[0]], to=g.onnx_dtype(x[1]))


def convert_transpose(g, node, x):
    return g.op("Transpose", [x[0]], perm=list(x[1]))


def convert_leaky_relu(g, node, x):
    return g.op("LeakyRelu", [x[0]], alpha=float(x[1]))


def convert_softmax(g, node, x):
    return g.op("Softmax", [x[0]], axis=int(x[1]))


def convert_log_softmax(g, node, x):
    return g.op("LogSoftmax", [x[0]], axis=int(x[1]))


def convert_max_pool(g, node, x):
    return g.op("MaxPool", [x[0]], **_window_attributes(node))


def convert_avg_pool(g, node, x):
    return g.op("AveragePool", [x[0]], count_include_pad=1, **_window_attributes(node))  # padding zeros count
