"""Normalization: batch_norm and layer_norm as compositions of Tensor ops (so the engine derives their gradients), and
the layers BatchNorm1d, BatchNorm2d and LayerNorm with PyTorch's parameter and buffer names."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd.errors import ShapeError
from autograd.function import mark_modified

from .functional import as_tensor  # functional imports this file last, once as_tensor exists
from .module import Module, Parameter


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
    running.data *= 1 - momentum
    running.data += momentum * batch.astype(running.dtype, copy=False)
    mark_modified(running)  # an earlier graph that saved it must not silently use the new values


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
    shape = _normalized_shape(normalized_shape, name)
    _check_trailing(x, shape, name)
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


def _normalized_shape(shape: int | Sequence[int], name: str) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not shape or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in shape):
        raise ValueError(f"{name}: normalized_shape must be a positive int or a non-empty tuple of them, got {shape!r}")
    return tuple(int(n) for n in shape)


def _check_trailing(x: Tensor, shape: tuple, name: str) -> None:
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ShapeError(f"{name}: expected input of shape (*, {', '.join(map(str, shape))}) (normalized_shape "
                         f"{shape} last), got shape {x.shape}")


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d; they differ only in the input shapes they accept."""

    _shapes = ""  # the accepted input shapes, for error messages

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: Any = None) -> None:
        super().__init__()
        if num_features < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be >= 1, got {num_features}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _check(self, x: Tensor) -> None:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        x = as_tensor(x, type(self).__name__)
        self._check(x)  # the layer accepts fewer shapes than batch_norm (one number of axes each)
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if momentum is None:  # a cumulative average over all batches so far, as PyTorch does
                momentum = 1.0 / float(self.num_batches_tracked.data)
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, self.training,
                          momentum if momentum is not None else 0.0, self.eps)

    def _shape_error(self, x: Tensor) -> ShapeError:
        return ShapeError(f"{type(self).__name__}: expected input of shape {self._shapes} with C = "
                          f"{self.num_features} (num_features), got shape {x.shape}")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over the batch (and length) of each feature.

    Args:
        num_features: C.
        eps, momentum (None: a cumulative average), affine (learn weight and bias), track_running_stats,
        dtype (of the parameters and running statistics; the default dtype unless given).
    Shape:
        (N, C) or (N, C, L) -> the same shape.
    """

    _shapes = "(N, C) or (N, C, L)"

    def _check(self, x: Tensor) -> None:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise self._shape_error(x)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over the batch and spatial axes of each channel.

    Args:
        num_features: C.
        eps, momentum (None: a cumulative average), affine (learn weight and bias), track_running_stats,
        dtype (of the parameters and running statistics; the default dtype unless given).
    Shape:
        (N, C, H, W) -> the same shape.
    """

    _shapes = "(N, C, H, W)"

    def _check(self, x: Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise self._shape_error(x)


class LayerNorm(Module):
    """Layer normalisation over the trailing normalized_shape axes of each sample.

    Args:
        normalized_shape: an int (the last axis) or a tuple of trailing sizes.
        eps: added to the variance.
        elementwise_affine: learn `weight` (ones) and `bias` (zeros) of shape normalized_shape.
        dtype: the parameters' dtype (the default dtype unless given).
    Shape:
        (*, *normalized_shape) -> the same shape.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.ones(self.normalized_shape, dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype)) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps, name="LayerNorm")

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
