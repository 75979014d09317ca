"""batch_norm, composed of Tensor ops (so the engine derives its gradients), which also moves the running statistics
it is given; layer_norm, one fused op (LayerNorm) with its gradient written out (the layers BatchNorm1d, BatchNorm2d and
LayerNorm are in nn/normalization.py)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from autograd import Tensor
from autograd.errors import ShapeError
from autograd.function import Function
from autograd.ops.numpy_errors import numpy_warnings_as

from .common import as_tensor


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) over the batch and any spatial axes, then scale and shift.

    y = (x - mean) / sqrt(var + eps) * weight + bias. In training (or without running statistics) mean and var are
    the batch's (var biased, dividing by n), and the running statistics, when given, move towards the batch's by
    `momentum`: running = (1 - momentum) * running + momentum * batch, using the UNBIASED variance (n - 1), as
    PyTorch does. Otherwise the running statistics are used.

    Args:
        x: (N, C) or (N, C, *) with the channels on axis 1.
        running_mean, running_var: (C,) Tensors updated in place in training, or None.
        weight, bias: (C,) or None.
        training: use (and record) batch statistics.
        momentum: the weight of the new batch in the running statistics.
        eps: added to the variance, for stability.
    Returns:
        A Tensor of x's shape.
    """
    x = as_tensor(x, "batch_norm")
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C) or (N, C, *), got shape {x.shape}")
    C = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise ShapeError(f"batch_norm: expected {name} of shape ({C},) (the input's channels, axis 1), got shape "
                             f"{tuple(t.shape)}")
    axes = (0,) + tuple(range(2, x.ndim))
    keep = (1, C) + (1,) * (x.ndim - 2)  # a per-channel value broadcast over the other axes
    if training or running_mean is None or running_var is None:
        count = x.size // C
        if training and count < 2:
            raise ValueError(f"batch_norm: training needs more than one value per channel to estimate a variance, "
                             f"got input shape {x.shape}; use a larger batch or eval mode")
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        if training:
            _update_running(running_mean, mean.data.reshape(C), momentum)
            _update_running(running_var, var.data.reshape(C) * (count / (count - 1)), momentum)
    else:
        centered = x - as_tensor(running_mean, "batch_norm").reshape(keep)
        var = as_tensor(running_var, "batch_norm").reshape(keep)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * as_tensor(weight, "batch_norm").reshape(keep)
    if bias is not None:
        out = out + as_tensor(bias, "batch_norm").reshape(keep)
    return out


def _update_running(running: Tensor | None, batch: np.ndarray, momentum: float) -> None:
    if running is None:
        return
    # copy_ writes in place and marks the Tensor changed: an earlier graph that saved it refuses to use the new values
    running.copy_((1 - momentum) * running.data + momentum * batch.astype(running.dtype, copy=False))


def layer_norm(x: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5, *, name: str = "layer_norm") -> Tensor:
    """Normalise over the last len(normalized_shape) axes of each sample, then scale and shift.

    y = (x - mean) / sqrt(var + eps) * weight + bias, with the (biased) mean and variance over those axes.

    Args:
        x: (*, *normalized_shape).
        normalized_shape: the trailing shape to normalise over (an int for the last axis).
        weight, bias: of shape normalized_shape, or None.
        eps: added to the variance, for stability.
        name: the operation named in error messages (LayerNorm passes its class name).
    Returns:
        A Tensor of x's shape.
    """
    x = as_tensor(x, name)
    shape = as_normalized_shape(normalized_shape, name)
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ShapeError(f"{name}: expected input of shape (*, {', '.join(map(str, shape))}) (normalized_shape "
                         f"{shape} last), got shape {x.shape}")
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"{name}: expected {what} of shape {shape} (normalized_shape), got shape "
                             f"{tuple(t.shape)}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return LayerNorm.apply(x, weight, bias, axes, eps)


def _standardized(x: Any, axes: tuple, eps: float) -> tuple[Any, Any]:
    """(x - mean) / std and std = sqrt(var + eps) over `axes` (kept), for an ndarray and a Tensor alike."""
    centered = x - x.mean(axis=axes, keepdims=True)
    std = ((centered * centered).mean(axis=axes, keepdims=True) + eps) ** 0.5
    return centered / std, std


class LayerNorm(Function):
    """y = xhat * w + b, xhat = (x - mean) / sqrt(var + eps) over the trailing axes;  dy/dx . g = (h - mean(h) - xhat
    mean(h xhat)) / sqrt(var + eps) with h = g w,  dy/dw . g = g xhat,  dy/db . g = g  (w, b summed back over the rest)

    One op instead of the nine Tensor ops it would take (mean, subtract, square, mean, add, sqrt, divide, scale,
    shift), and their nine backward steps: a forward and backward of W7's (16, 64, 128) take 0.9 ms instead of 2.7,
    measured (the GPT step's five layer norms were a seventh of it).
    """

    @staticmethod
    @numpy_warnings_as({"invalid value": "divide: layer_norm divides by sqrt(var + eps), 0 here (a sample whose values "
                                         "are all equal, with eps = 0), which gives 0/0 = nan; use eps > 0",
                        "divide by zero": "divide: layer_norm divides by sqrt(var + eps), 0 here (a sample whose "
                                          "values are all equal, with eps = 0); use eps > 0"})
    def forward(ctx, x, weight, bias, axes, eps):
        xhat, std = _standardized(x.data, axes, eps)
        ctx.save_for_backward(x, weight, xhat, std)
        y = xhat * weight.data if weight is not None else xhat.copy()  # (a copy: xhat is saved, y is the caller's)
        if bias is not None:
            y += bias.data
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, xhat, std = ctx.saved_tensors
        axes, eps = ctx.inputs[3:]
        if ctx.create_graph:  # the statistics as graph values, so the gradient can be differentiated again
            xhat, std = _standardized(x, axes, eps)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = None
        if need_x:
            h = grad * weight if weight is not None else grad
            gx = (h - h.mean(axis=axes, keepdims=True) - xhat * (h * xhat).mean(axis=axes, keepdims=True)) / std
        return gx, (grad * xhat if need_w else None), (grad if need_b else None), None, None  # w, b: summed back

    @staticmethod
    def jvp(ctx, dx, dw, db, daxes, deps):
        """dy = dxhat w + xhat dw + db, dxhat = (dx - mean(dx) - xhat mean(dx xhat)) / sqrt(var + eps)"""
        x, weight, xhat, std = ctx.saved_tensors
        axes, eps = ctx.inputs[3:]
        if ctx.create_graph:  # the statistics as graph values, so the tangent can be differentiated again
            xhat, std = _standardized(x, axes, eps)
        dy = None
        if dx is not None:  # the same projection as backward's: xhat's Jacobian is symmetric
            dy = (dx - dx.mean(axis=axes, keepdims=True) - xhat * (dx * xhat).mean(axis=axes, keepdims=True)) / std
            if weight is not None:
                dy = dy * weight
        if dw is not None:
            dy = xhat * dw if dy is None else dy + xhat * dw
        if db is not None:
            dy = db if dy is None else dy + db
        return dy

    @staticmethod
    def flops(c):
        """mean, subtract, square, mean, divide: 5 per element (+1 for w, +1 for b); backward x 7n (+n with w),
        w: g*xhat n, b: 0 (the engine's sums back over the batch axes are counted by the profiler)."""
        n = c.size(0)
        weight, bias = c.in_shapes[1] is not None, c.in_shapes[2] is not None
        return 5 * n + n * weight + n * bias, (7 * n + n * weight, n, 0, 0, 0)


def as_normalized_shape(shape: int | Sequence[int], name: str) -> tuple[int, ...]:
    """`normalized_shape` (an int or a sequence of them, each >= 1) as a tuple of ints; `name` goes in the error."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not shape or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in shape):
        raise ValueError(f"{name}: normalized_shape must be a positive int or a non-empty tuple of them, got {shape!r}")
    return tuple(int(n) for n in shape)
