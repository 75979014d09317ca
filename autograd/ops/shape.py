"""Shape ops: reshape, transpose, broadcast_to, indexing, concatenate, split and pad. Their backward moves the
gradient back into the input's layout; indexing scatters it, summing where an index repeats."""
from __future__ import annotations

import numpy as np

from ..function import Function


class Reshape(Function):
    """y = x.reshape(shape);  dy/dx = 1 (the gradient is reshaped back)"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.data.shape
        return x.data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class Transpose(Function):
    """y = x.transpose(axes);  dy/dx = 1 (the gradient is transposed back)"""

    @staticmethod
    def forward(ctx, x, axes):
        return x.data.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        axes = ctx.inputs[1]
        return grad.transpose(tuple(int(a) for a in np.argsort(axes))), None


class BroadcastTo(Function):
    """y = broadcast_to(x, shape);  dy/dx = 1 (the engine sums the gradient back over the broadcast axes)"""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x.data, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class GetItem(Function):
    """y = x[index];  dy/dx = 1 at the picked elements (summed where an index repeats), 0 elsewhere"""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype = x.data.shape, x.data.dtype
        return x.data[index]

    @staticmethod
    def backward(ctx, grad):
        return index_add(grad, ctx.inputs[1], ctx.shape, ctx.dtype, ctx.create_graph), None


class IndexAdd(Function):
    """y = zeros(shape); y[index] += g  (repeats summed);  dy/dg = 1 at the indexed places (the gradient is g's index)"""

    @staticmethod
    def forward(ctx, grad, index, shape, dtype):
        return _scatter(grad.data, index, shape, dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.inputs[1]], None, None, None


def index_add(grad, index, shape, dtype, create_graph):
    """zeros(shape) with `grad` added at `index`: an array for an ordinary backward, a recorded op under create_graph."""
    if create_graph:
        return IndexAdd.apply(grad, index, shape, dtype)
    return _scatter(np.asarray(grad), index, shape, dtype)  # numpy may hand a 0-d result back as a scalar


def _scatter(values, index, shape, dtype):
    out = np.zeros(shape, dtype=dtype)
    if _is_basic(index):
        out[index] = values  # a basic index picks each element at most once
    else:
        np.add.at(out, index, values)  # repeated integer indices must add up
    return out


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class Concatenate(Function):
    """y = concatenate(xs, axis);  dy/dxs[i] = 1 on xs[i]'s block (the gradient is sliced back into blocks)"""

    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.bounds = np.cumsum([0] + [x.data.shape[axis] for x in xs])
        return np.concatenate([x.data for x in xs], axis=axis)

    @staticmethod
    def backward(ctx, grad):
        axis = ctx.inputs[0]
        lead = (slice(None),) * (axis % grad.ndim)
        bounds = ctx.bounds
        return (None,) + tuple(grad[lead + (slice(bounds[i], bounds[i + 1]),)] for i in range(len(bounds) - 1))


class Split(Function):
    """ys = split(x, sections, axis);  dys[i]/dx = 1 on block i (the gradients are concatenated back)"""

    @staticmethod
    def forward(ctx, x, sections, axis):
        return tuple(np.split(x.data, sections, axis=axis))

    @staticmethod
    def backward(ctx, *grads):
        return np.concatenate(grads, axis=ctx.inputs[2]), None, None


class Pad(Function):
    """y = pad(x, pad_width, constant);  dy/dx = 1 on x's own elements, 0 on the padding"""

    @staticmethod
    def forward(ctx, x, pad_width, value):
        ctx.crop = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.data.shape))
        return np.pad(x.data, pad_width, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.crop], None, None
