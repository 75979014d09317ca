"""Losses as functions of Tensors: cross-entropy (one fused op), NLL, MSE, L1, binary cross-entropy (on
probabilities or on logits) and the max-margin hinge loss (the loss modules are in nn/loss.py).

Every loss takes reduction="mean" (the default), "sum" or "none" (one value per element or sample).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.errors import DTypeError, ShapeError
from autograd.function import Function
from autograd.ops.elementwise import sigmoid

from .activation import log_softmax, softmax
from .common import as_tensor, shifted_exp

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _tensor(x: Any, op: str, name: str) -> Tensor:
    return as_tensor(x, f"{op} ({name})")


def _same_shape(input: Tensor, target: Tensor, op: str) -> None:
    """Elementwise losses refuse broadcasting: (N, 1) against (N,) would silently compare every pair."""
    if input.shape != target.shape:
        raise ShapeError(f"{op}: input shape {input.shape} and target shape {target.shape} differ; give them the "
                         f"same shape (e.g. target.reshape({input.shape}))")


def _class_targets(target: Any, input_shape: tuple, op: str) -> np.ndarray:
    """Integer class targets as an ndarray of the input's shape without its class axis (axis 1)."""
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise DTypeError(f"{op}: expected integer class indices as target, got dtype {t.dtype}; convert with "
                         ".astype(np.int64) (or pass class probabilities of the input's shape)")
    expected = input_shape[:1] + input_shape[2:]
    if t.shape != expected:
        raise ShapeError(f"{op}: for input of shape {input_shape} expected target of shape {expected} (one class "
                         f"index per sample), got {t.shape}")
    return t


def _class_input(input: Tensor, op: str) -> tuple[int, ...]:
    if input.ndim < 1:
        raise ShapeError(f"{op}: expected input of shape (N, C) or (N, C, d1, ...), got a scalar")
    return input.shape if input.ndim > 1 else (1,) + input.shape


# --- cross-entropy: log-softmax and the negative log-likelihood fused into one op --------------------------------
def _rows(x: Any, C: int) -> Any:
    """(N, C, d1, ...) as (N*d1*..., C): classes last, every position a sample (arrays and Tensors alike)."""
    if x.ndim == 2:
        return x
    return x.transpose((0,) + tuple(range(2, x.ndim)) + (1,)).reshape((-1, C))


def _unrows(d: Any, shape: tuple) -> Any:
    """The inverse of `_rows`: (N*d1*..., C) back to (N, C, d1, ...)."""
    if len(shape) == 2:
        return d
    d = d.reshape(shape[:1] + shape[2:] + shape[1:2])
    return d.transpose((0, d.ndim - 1) + tuple(range(1, d.ndim - 1)))


class CrossEntropy(Function):
    """L = logsumexp(z) - (1-e) z[t] - e mean(z)  (e: smoothing);  dL/dz = softmax(z) - (1-e) onehot(t) - e/C

    With class probabilities q as target: L = sum(q) logsumexp(z) - sum(q z);  dL/dz = softmax(z) sum(q) - q,
    dL/dq = -log_softmax(z).
    """

    @staticmethod
    def forward(ctx, logits, target, ignore_index, label_smoothing, reduction):
        C = logits.data.shape[1]
        z = _rows(logits.data, C)
        shifted, probs, sums = shifted_exp(z, axis=1)
        probs /= sums
        log_sums = np.log(sums[:, 0])
        picked = weight = None
        if target.dtype.kind == "f":  # class probabilities (a Tensor when they require grad)
            q = _rows(target.data if isinstance(target, Tensor) else target, C)
            losses = log_sums * q.sum(axis=1) - (q * shifted).sum(axis=1)
            ctx.count = z.shape[0]
        else:
            t = target.reshape(-1)
            valid = t != ignore_index
            ctx.count = int(valid.sum())
            picked = t if ctx.count == t.size else np.where(valid, t, 0)
            losses = log_sums - (1 - label_smoothing) * shifted[np.arange(t.size), picked]
            if label_smoothing:
                losses -= label_smoothing * shifted.mean(axis=1)
            if ctx.count != t.size:
                weight = valid.astype(z.dtype)
                losses *= weight
        ctx.save_for_backward(logits, probs, picked, weight, target if picked is None else None)
        losses = losses.astype(z.dtype, copy=False)
        if reduction == "none":
            return losses.reshape(logits.data.shape[:1] + logits.data.shape[2:])
        total = losses.sum()
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: nan, as in PyTorch
                total = total / np.asarray(ctx.count, dtype=z.dtype)
        return np.asarray(total, dtype=z.dtype)

    @staticmethod
    def backward(ctx, grad):
        logits, probs, picked, weight, target = ctx.saved_tensors
        smoothing, reduction = ctx.inputs[3:]
        M, C = probs.shape
        if reduction == "none":
            scale = grad.reshape((-1, 1))
        elif reduction == "mean":
            scale = grad / max(ctx.count, 1)
        else:
            scale = grad
        if weight is not None:  # ignored targets get no gradient
            scale = scale * weight.reshape((-1, 1))
        if not ctx.create_graph:  # ordinary backward: forward's probabilities, one subtraction
            if picked is None:  # class probabilities q: dL/dz = softmax(z) * sum(q) - q
                q = _rows(target, C)
                d = (probs * q.sum(axis=1, keepdims=True) - q) * scale
            else:
                d = probs * scale
                d[np.arange(M), picked] -= (1 - smoothing) * (scale[:, 0] if np.ndim(scale) == 2 else scale)
                if smoothing:
                    d -= (smoothing / C) * scale
        else:  # create_graph: the same formula in Tensor ops, so it can be differentiated again
            if picked is None:
                q = _rows(target, C)
            else:
                q = np.full((M, C), smoothing / C, dtype=probs.dtype)
                q[np.arange(M), picked] += 1 - smoothing
            d = (softmax(_rows(logits, C), axis=1) * q.sum(axis=1, keepdims=True) - q) * scale
        d_target = None
        if ctx.needs_input_grad[1]:  # learned class probabilities (a teacher's, say): dL/dq = -log_softmax(z)
            z = _rows(logits, C)
            if ctx.create_graph:
                log_probs = log_softmax(z, axis=1)
            else:
                shifted, _, sums = shifted_exp(z, axis=1)
                log_probs = shifted - np.log(sums)
            d_target = _unrows(-log_probs * scale, logits.shape)
        return _unrows(d, logits.shape), d_target, None, None, None

    @staticmethod
    def jvp(ctx, dz, dq, dignore, dsmoothing, dreduction):
        """dL = (softmax(z) - target distribution) . dz - log_softmax(z) . dq  (per sample, reduced as L is)"""
        logits, probs, picked, weight, target = ctx.saved_tensors
        smoothing, reduction = ctx.inputs[3:]
        M, C = probs.shape
        z = _rows(logits, C)
        per_sample = None
        if dz is not None:
            dz = _rows(dz, C)
            if ctx.create_graph:  # the probabilities as a graph value, to be differentiated again
                probs = softmax(z, axis=1)
            if picked is None:  # class probabilities q
                q = _rows(target, C)
                per_sample = (probs * dz).sum(axis=1) * q.sum(axis=1) - (q * dz).sum(axis=1)
            else:
                per_sample = (probs * dz).sum(axis=1) - (1 - smoothing) * dz[np.arange(M), picked]
                if smoothing:
                    per_sample = per_sample - smoothing * dz.mean(axis=1)
                if weight is not None:
                    per_sample = per_sample * weight
        if dq is not None:
            if ctx.create_graph:
                log_probs = log_softmax(z, axis=1)
            else:
                shifted, _, sums = shifted_exp(z, axis=1)
                log_probs = shifted - np.log(sums)
            from_target = -(log_probs * _rows(dq, C)).sum(axis=1)
            per_sample = from_target if per_sample is None else per_sample + from_target
        if reduction == "none":
            return per_sample.reshape(logits.shape[:1] + logits.shape[2:])
        total = per_sample.sum()
        return total / max(ctx.count, 1) if reduction == "mean" else total

    @staticmethod
    def flops(c):
        """N rows of C logits: log-softmax 5NC, the picked log-probability and the mean 2N; backward NC + 2N.

        With label smoothing: + NC + 2N forward, + NC backward (softmax*scale - onehot, then the uniform share).
        """
        size, C = c.size(0), c.in_shapes[0][1]
        N = size // C
        smoothing = bool(c.args[3])
        forward = 5 * size + 2 * N + (size + 2 * N if smoothing else 0)
        return forward, (size + 2 * N + (size if smoothing else 0), 0, 0, 0, 0)


def _check_classes(t: np.ndarray, C: int, ignore_index: int, op: str) -> None:
    bad = (t != ignore_index) & ((t < 0) | (t >= C))
    if bad.any():
        raise ValueError(f"{op}: target holds class {int(t[bad].flat[0])}, outside [0, {C}) for input with {C} "
                         f"classes (and not ignore_index={ignore_index})")


def _one_sample(input: Tensor, target: Any) -> tuple[Tensor, np.ndarray]:
    """Input (C,) and target () are one sample: make them (1, C) and (1,)."""
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if input.ndim == 1:
        input = input.reshape((1,) + input.shape)
        t = t.reshape((1,) + t.shape) if t.ndim == 0 or t.dtype.kind == "f" else t
    return input, t


def cross_entropy(input: Tensor, target: Any, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between softmax(input) over axis 1 and the target classes, in one stable op.

    Args:
        input: logits, (N, C) or (N, C, d1, ...) (or (C,) for one sample).
        target: class indices (N,) or (N, d1, ...), integers in [0, C) or `ignore_index`; or class probabilities
            of the input's shape (floats; a Tensor that requires grad receives d loss / d target).
        ignore_index: target value that contributes nothing (and is left out of the mean).
        reduction: "mean" (over the targets not ignored), "sum" or "none".
        label_smoothing: e in [0, 1]: the target becomes (1 - e) one-hot + e/C uniform.
    Returns:
        a scalar Tensor, or (N, d1, ...) with reduction="none".
    """
    op = "cross_entropy"
    check_reduction(reduction, op)
    input = _tensor(input, op, "input")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.dtype.kind != "f":
        raise DTypeError(f"{op}: expected float logits, got dtype {input.dtype}")
    one_sample = input.ndim == 1
    shape = _class_input(input, op)
    input, t = _one_sample(input, target)
    if t.dtype.kind == "f" and t.shape == shape[:1] + shape[2:] and t.shape != input.shape:
        _class_targets(t, shape, op)  # float class indices: raises its DTypeError
    if t.dtype.kind == "f":
        if t.shape != input.shape:
            raise ShapeError(f"{op}: class-probability targets need the input's shape {input.shape}, got {t.shape}; "
                             "for class indices pass integers")
        if isinstance(target, Tensor):  # kept as a graph value: a gradient (or a forward-mode tangent) may reach it
            t = target.reshape(input.shape)
        if label_smoothing:
            t = t * (1 - label_smoothing) + label_smoothing / shape[1]
        t = t.astype(input.dtype) if isinstance(t, Tensor) else t.astype(input.dtype, copy=False)
    else:
        t = _class_targets(t, shape, op)
        _check_classes(t, shape[1], ignore_index, op)
    loss = CrossEntropy.apply(input, t, ignore_index, float(label_smoothing), reduction)
    return loss.reshape(()) if one_sample and reduction == "none" else loss


def nll_loss(input: Tensor, target: Any, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -input[n, target[n]] for log-probabilities `input` (e.g. from log_softmax).

    Args:
        input: log-probabilities, (N, C) or (N, C, d1, ...) (or (C,) for one sample).
        target: class indices (N,) or (N, d1, ...), in [0, C) or `ignore_index`.
        ignore_index: target value that contributes nothing (and is left out of the mean).
        reduction: "mean" (over the targets not ignored), "sum" or "none".
    """
    op = "nll_loss"
    check_reduction(reduction, op)
    input = _tensor(input, op, "input")
    one_sample = input.ndim == 1
    shape = _class_input(input, op)
    input, t = _one_sample(input, target)
    t = _class_targets(t, shape, op)
    _check_classes(t, shape[1], ignore_index, op)
    valid = (t != ignore_index).reshape(-1)
    rows = _rows(input, shape[1])
    picked = -rows[np.arange(rows.shape[0]), np.where(valid, t.reshape(-1), 0)]
    if not valid.all():
        picked = picked * valid.astype(input.dtype)
    if reduction == "none":
        return picked.reshape(() if one_sample else t.shape)
    total = picked.sum()
    return total / int(valid.sum()) if reduction == "mean" else total


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
