"""Normalization layers with PyTorch's parameter and buffer names: BatchNorm1d, BatchNorm2d (which keep running
statistics) and LayerNorm; the maths is F.batch_norm and F.layer_norm (nn/functional/normalization.py)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd.errors import ShapeError

from . import functional as F
from .functional.normalization import as_normalized_shape
from .module import Module, Parameter


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
        x = F.as_tensor(x, type(self).__name__)
        self._check(x)  # the layer accepts fewer shapes than batch_norm (one number of axes each)
        momentum = self.momentum
        if self.training and self.track_running_stats:
            count = self.num_batches_tracked
            count.copy_(count.data + 1)
            if momentum is None:  # a cumulative average over all batches so far, as PyTorch does
                momentum = 1.0 / float(count.data)
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, self.training,
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
        self.normalized_shape = as_normalized_shape(normalized_shape, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.ones(self.normalized_shape, dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype)) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps, name="LayerNorm")

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
