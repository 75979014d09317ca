"""Losses as functions of Tensors: the checks every loss shares, then the classification losses: cross-entropy (one
fused op) and NLL. MSE, L1, the binary cross-entropies and hinge are in elementwise_loss.py; the loss modules in
nn/loss.py.

Every loss takes reduction="mean" (the default), "sum" or "none" (one value per element or sample).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.errors import DTypeError, ShapeError
from autograd.function import Function

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
