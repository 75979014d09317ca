"""batch_norm and layer_norm, composed of Tensor ops (so the engine derives their gradients); batch_norm also moves
the running statistics it is given (the layers BatchNorm1d, BatchNorm2d and LayerNorm are in nn/normalization.py)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from autograd import Tensor
from autograd.errors import ShapeError

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
    centered = x - x.mean(axis=axes, keepdims=True)
    var = (centered * centered).mean(axis=axes, keepdims=True)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def as_normalized_shape(shape: int | Sequence[int], name: str) -> tuple[int, ...]:
    """`normalized_shape` (an int or a sequence of them, each >= 1) as a tuple of ints; `name` goes in the error."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not shape or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in shape):
        raise ValueError(f"{name}: normalized_shape must be a positive int or a non-empty tuple of them, got {shape!r}")
    return tuple(int(n) for n in shape)
