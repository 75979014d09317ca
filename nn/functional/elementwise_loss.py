"""Losses computed element by element, as functions of Tensors: MSE, L1, binary cross-entropy (of probabilities, and
of logits, computed stably) and the max-margin hinge loss. They share loss.py's checks and reductions.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.function import Function
from autograd.ops.elementwise import sigmoid

from .loss import _reduce, _same_shape, _tensor, check_reduction


# --- regression and binary losses -------------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((input - target)**2). Input and target must have the same shape."""
    check_reduction(reduction, "mse_loss")
    input, target = _tensor(input, "mse_loss", "input"), _tensor(target, "mse_loss", "target")
    _same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: mean(|input - target|). Input and target must have the same shape."""
    check_reduction(reduction, "l1_loss")
    input, target = _tensor(input, "l1_loss", "input"), _tensor(target, "l1_loss", "target")
    _same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


class BinaryCrossEntropy(Function):
    """L = -(y log p + (1-y) log(1-p)) (logs >= -100);  dL/dp = (p - y) / (p (1-p)),  dL/dy = log(1-p) - log p"""

    @staticmethod
    def forward(ctx, p, y):
        ctx.save_for_backward(p, y)
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100 as PyTorch does
            log_p = np.maximum(np.log(p.data), -100)
            log_q = np.maximum(np.log1p(-p.data), -100)  # log(1 - p) drops a small p's digits
        return -(y.data * log_p + (1 - y.data) * log_q)

    @staticmethod
    def backward(ctx, grad):
        p, y = ctx.saved_tensors
        need_p, need_y = ctx.needs_input_grad
        # 1e-12 keeps the gradient finite where p is exactly 0 or 1 (PyTorch's choice too)
        gp = grad * (p - y) / np.maximum(p * (1 - p), 1e-12) if need_p else None
        gy = None
        if need_y:
            with np.errstate(divide="ignore"):
                gy = grad * (np.maximum(np.log(1 - p), -100) - np.maximum(np.log(p), -100))
        return gp, gy

    @staticmethod
    def jvp(ctx, dp, dy):
        """dL = (p - y) / (p (1-p)) * dp + (log(1-p) - log p) * dy"""
        p, y = ctx.saved_tensors
        dL = None if dp is None else (p - y) / np.maximum(p * (1 - p), 1e-12) * dp
        if dy is not None:
            with np.errstate(divide="ignore"):
                from_y = (np.maximum(np.log(1 - p), -100) - np.maximum(np.log(p), -100)) * dy
            dL = from_y if dL is None else dL + from_y
        return dL

    @staticmethod
    def flops(c):
        """Two clamped logs and the weighted sum: 10 per output; backward 6n for p, 7n for y."""
        return 10 * c.out, (6 * c.out, 7 * c.out)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p = input in [0, 1] and targets y in [0, 1]."""
    op = "binary_cross_entropy"
    check_reduction(reduction, op)
    input, target = _tensor(input, op, "input"), _tensor(target, op, "target")
    _same_shape(input, target, op)
    if input.size and (input.data.min() < 0 or input.data.max() > 1):
        raise ValueError(f"{op}: input must hold probabilities in [0, 1], got values in [{input.data.min():.4g}, "
                         f"{input.data.max():.4g}]; apply sigmoid first, or use binary_cross_entropy_with_logits")
    return _reduce(BinaryCrossEntropy.apply(input, target.astype(input.dtype)), reduction)


class BinaryCrossEntropyWithLogits(Function):
    """L = max(x, 0) - x y + log(1 + exp(-|x|));  dL/dx = sigmoid(x) - y,  dL/dy = -x"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        data = x.data
        return np.maximum(data, 0) - data * y.data + np.log1p(np.exp(-np.abs(data)))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        sig = x.sigmoid() if ctx.create_graph else sigmoid(x)  # create_graph: the op, differentiable again
        return (grad * (sig - y) if need_x else None), (-grad * x if need_y else None)

    @staticmethod
    def jvp(ctx, dx, dy):
        """dL = (sigmoid(x) - y) * dx - x * dy"""
        x, y = ctx.saved_tensors
        dL = None
        if dx is not None:
            dL = ((x.sigmoid() if ctx.create_graph else sigmoid(x)) - y) * dx
        if dy is not None:
            dL = -x * dy if dL is None else dL - x * dy
        return dL

    @staticmethod
    def flops(c):
        """max(x,0) - x*y + log1p(exp(-|x|)): 8 per output; backward 6n for x, 2n for y."""
        return 8 * c.out, (6 * c.out, 2 * c.out)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(input) against targets in [0, 1], computed stably from the logits."""
    op = "binary_cross_entropy_with_logits"
    check_reduction(reduction, op)
    input, target = _tensor(input, op, "input"), _tensor(target, op, "target")
    _same_shape(input, target, op)
    return _reduce(BinaryCrossEntropyWithLogits.apply(input, target.astype(input.dtype)), reduction)


def hinge_loss(input: Tensor, target: Any, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """Max-margin loss: mean(relu(margin - y * score)) for scores `input` and labels y = +1 or -1.

    A target of shape (N,) is accepted for scores of shape (N, 1) (and the reverse).
    """
    op = "hinge_loss"
    check_reduction(reduction, op)
    input, target = _tensor(input, op, "input"), _tensor(target, op, "target")
    if target.shape != input.shape and target.size == input.size and input.ndim <= 2 and target.ndim <= 2:
        target = target.reshape(input.shape)
    _same_shape(input, target, op)
    if not (np.abs(target.data) == 1).all():
        labels = np.unique(target.data)  # only for the message
        raise ValueError(f"{op}: expected labels of +1 and -1, got {labels[:5].tolist()}; map 0/1 labels with "
                         "2 * y - 1")
    return _reduce((margin - target.astype(input.dtype) * input).relu(), reduction)
