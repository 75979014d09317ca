"""Reductions over numpy-style `axis` (None, an int or a tuple) with `keepdims`. Backward spreads the gradient back
over the reduced axes: evenly for sum and mean, to the arg-max elements for max and min (split between ties; a
NaN, which numpy's max and min return, is the selected element of its slice)."""
from __future__ import annotations

import math
import operator

import numpy as np

from ..function import Function


def normalize_axis(axis, ndim: int, op: str) -> tuple[int, ...]:
    """`axis` as a sorted tuple of non-negative ints, with a clear error when one is out of range."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes: tuple = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    elif np.ndim(axis) == 0 and hasattr(axis, "__index__"):  # a 0-d integer array or Tensor
        axes = (operator.index(axis),)
    else:
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of bounds for a Tensor with {ndim} dimension(s); use -{ndim} <= axis < {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def _spread(grad, shape: tuple, axes: tuple, keepdims: bool):
    """The upstream gradient broadcast back to the input's shape (the reverse of reducing `axes`)."""
    if not keepdims:
        grad = grad.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return np.broadcast_to(grad, shape)


class Sum(Function):
    """y = sum(x, axis);  dy/dx = 1 for every summed element"""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.shape, ctx.axes = x.data.shape, normalize_axis(axis, x.data.ndim, "sum")
        return np.sum(x.data, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _spread(grad, ctx.shape, ctx.axes, ctx.inputs[2]), None, None

    @staticmethod
    def jvp(ctx, dx, daxis, dkeepdims):
        """dy = sum(dx, axis)"""
        return dx.sum(axis=ctx.axes, keepdims=ctx.inputs[2])

    @staticmethod
    def flops(c):
        """N - M additions for N inputs and M outputs; backward spreads the gradient (0)"""
        return c.size(0) - c.out, (0, 0, 0)


class Mean(Function):
    """y = mean(x, axis);  dy/dx = 1/n for each of the n averaged elements"""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.shape, ctx.axes = x.data.shape, normalize_axis(axis, x.data.ndim, "mean")
        ctx.count = math.prod(ctx.shape[a] for a in ctx.axes)
        return np.mean(x.data, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _spread(grad / ctx.count, ctx.shape, ctx.axes, ctx.inputs[2]), None, None

    @staticmethod
    def jvp(ctx, dx, daxis, dkeepdims):
        """dy = mean(dx, axis)"""
        return dx.mean(axis=ctx.axes, keepdims=ctx.inputs[2])

    @staticmethod
    def flops(c):
        """N - M additions and M divisions: N; backward grad/count (M)"""
        return c.size(0), (c.out, 0, 0)


class Max(Function):
    """y = max(x, axis);  dy/dx = 1 at the maximum (1/k each when k elements tie), 0 elsewhere"""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        return _extreme(ctx, x, axis, keepdims, np.max, "max")

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return _spread(grad, ctx.shape, ctx.axes, ctx.inputs[2]) * share, None, None

    @staticmethod
    def jvp(ctx, dx, daxis, dkeepdims):
        """dy = sum(share * dx, axis)  (share: 1 at the maximum, or Min's minimum; 1/k each for k ties)"""
        (share,) = ctx.saved_tensors
        return (share * dx).sum(axis=ctx.axes, keepdims=ctx.inputs[2])

    @staticmethod
    def flops(c):
        """N - M comparisons; backward spread*share (N)"""
        return c.size(0) - c.out, (c.size(0), 0, 0)


class Min(Max):
    """y = min(x, axis);  dy/dx = 1 at the minimum (1/k each when k elements tie), 0 elsewhere"""
    # backward, jvp and flops: Max's, with the share forward puts on the minimum

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        return _extreme(ctx, x, axis, keepdims, np.min, "min")


def _extreme(ctx, x, axis, keepdims, reduce, name):
    data = x.data
    if data.size == 0:
        raise ValueError(f"{name}: cannot take the {name} of an empty Tensor of shape {data.shape}")
    ctx.shape, ctx.axes = data.shape, normalize_axis(axis, data.ndim, name)
    y = reduce(data, axis=ctx.axes, keepdims=True)
    hit = data == y
    if y.dtype.kind == "f" and np.isnan(y).any():  # a NaN is the max (and min) of its slice, as numpy says
        hit |= np.isnan(data)
    ctx.save_for_backward((hit / hit.sum(axis=ctx.axes, keepdims=True)).astype(data.dtype))  # split among ties
    return y if keepdims else y.reshape([n for i, n in enumerate(data.shape) if i not in ctx.axes])


class LogSumExp(Function):
    """y = log(sum(exp(x), axis));  dy/dx = exp(x - y) = softmax(x)"""

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        data = x.data
        ctx.shape, ctx.axes = data.shape, normalize_axis(axis, data.ndim, "logsumexp")
        m = np.max(data, axis=ctx.axes, keepdims=True)
        ctx.shift = m = np.where(np.isfinite(m), m, 0)  # shift by the max so exp never overflows
        y = np.log(np.sum(np.exp(data - m), axis=ctx.axes, keepdims=True)) + m
        if not keepdims:
            y = y.reshape([n for i, n in enumerate(data.shape) if i not in ctx.axes])
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # softmax from the shifted values, as log_softmax does: x - y would lose the digits of y that rounding to
        # a large max dropped (float32 at 1e8 gives exp(0) = 1 for each of three equal inputs, not 1/3)
        e = np.exp(x - ctx.shift)
        softmax = e / e.sum(axis=ctx.axes, keepdims=True)
        return _spread(grad, ctx.shape, ctx.axes, ctx.inputs[2]) * softmax, None, None

    @staticmethod
    def jvp(ctx, dx, daxis, dkeepdims):
        """dy = sum(softmax(x) * dx, axis)"""
        (x,) = ctx.saved_tensors
        e = np.exp(x - ctx.shift)
        return (e * dx).sum(axis=ctx.axes, keepdims=ctx.inputs[2]) / e.sum(axis=ctx.axes, keepdims=ctx.inputs[2])

    @staticmethod
    def flops(c):
        """max, x - m, exp, sum: 4 per input element (+ log and + m per output); backward exp(x - m), its sum, the
        division and the product with the spread gradient (5N)"""
        return 4 * c.size(0), (5 * c.size(0), 0, 0)
