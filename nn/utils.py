"""Gradient clipping: rescale or clamp the gradients of parameters, in place, between backward() and step()."""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from autograd import Tensor, Value


def _with_grads(parameters: Any, op: str) -> list:
    if isinstance(parameters, (Tensor, Value)):
        parameters = [parameters]
    params = list(parameters)
    for p in params:
        if not isinstance(p, (Tensor, Value)):
            raise TypeError(f"{op}: expected Tensors/Parameters (or Values), got {type(p).__name__}; pass "
                            "model.parameters()")
    return [p for p in params if p.grad is not None]


def _grad_array(p: Any) -> np.ndarray:
    return p.grad.data if isinstance(p, Tensor) else np.asarray(float(p.grad))


def _set_scaled(p: Any, factor: float) -> None:
    if isinstance(p, Tensor):
        g = p.grad.data
        np.multiply(g, factor, out=g, casting="unsafe")  # in place, keeping the gradient's dtype
    else:
        p.grad = float(p.grad) * factor


def clip_grad_norm_(parameters: Iterable[Any] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    """Scale all gradients together so that their joint norm is at most `max_norm`.

    Args:
        parameters: the parameters (model.parameters()), or one Tensor; those without a gradient are skipped.
        max_norm: the largest norm allowed.
        norm_type: p of the p-norm (2 by default; float("inf") for the largest absolute value).
        error_if_nonfinite: raise when the norm is nan or inf (else the gradients are scaled anyway, as in PyTorch).
    Returns:
        the total norm of the gradients before clipping, as a float.
    """
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive (or inf), got {norm_type}")
    params = _with_grads(parameters, "clip_grad_norm_")
    if not params:
        return 0.0
    grads = [_grad_array(p) for p in params]
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        # float64 sums: a float32 sum of squares overflows for gradients above ~1e19
        total = sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total gradient norm is {total}; the gradients hold nan or inf "
                           "(check the loss), or pass error_if_nonfinite=False to clip anyway")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0 or math.isnan(coef):
        for p in params:
            _set_scaled(p, coef)
    return total


def clip_grad_value_(parameters: Iterable[Any] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in _with_grads(parameters, "clip_grad_value_"):
        if isinstance(p, Tensor):
            np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
        else:
            p.grad = min(max(float(p.grad), -clip_value), clip_value)
