"""nn.functional (imported as F): activations, softmax, linear, dropout and padding as functions of Tensors.

The losses (cross_entropy, mse_loss, ...) live in nn/loss.py and convolution, normalisation and embedding in their own
files; all are re-exported here so `F` has the whole list. Fused ops are autograd Functions whose backward is written
with array code, so it is differentiable again under create_graph.
"""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from autograd import Tensor, Value
from autograd.errors import ShapeError
from autograd.function import Function
from autograd.pytorch_names import unknown_keywords

from . import init


def as_tensor(x: Any, op: str) -> Tensor:
    """`x` as a Tensor: Tensors pass through, arrays and numbers are wrapped (copied)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Value):
        raise TypeError(f"{op}: expected a Tensor, got a Value; nn layers work on Tensors (see nn.scalar for Values)")
    return Tensor(x)


# --- activations ----------------------------------------------------------------------------------------------------
def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise."""
    return as_tensor(x, "relu").relu()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise (never overflows)."""
    return as_tensor(x, "sigmoid").sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise."""
    return as_tensor(x, "tanh").tanh()


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x;  dy/dx = 1 if x > 0 else slope"""

    @staticmethod
    def forward(ctx, x, negative_slope):
        data = x.data
        positive = data > 0
        ctx.save_for_backward(np.where(positive, 1, negative_slope).astype(data.dtype))
        return np.where(positive, data, data * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (scale,) = ctx.saved_tensors
        return grad * scale, None


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return LeakyReLU.apply(as_tensor(x, "leaky_relu"), negative_slope)


# The exact GELU needs the normal CDF, i.e. erf, which numpy lacks (math.erf works on one float at a time, ~100x
# slower than array code). For x >= 0, erfc(x) = t * exp(-x**2 + g(t)) with t = 1 / (1 + x/2), where g is smooth on
# t in (0, 1]; g is fitted by a Chebyshev series through values of math.erfc, once per dtype on first use (so that
# `import nn` pays nothing for it). Degree 22 reproduces erf to about 3e-15 (float64), degree 10 to 2e-9 (below float32
# resolution): tests compare it with math.erf.
_T_MIN = 1 / 6  # t at x = 10, where erfc(x) < 3e-45: beyond it erfc is taken as 0


@functools.cache
def _erfc_coefs(dtype: np.dtype) -> tuple[float, ...]:
    """The Chebyshev coefficients of g for `dtype` (float32 needs fewer; any other dtype gets float64's)."""
    from numpy.polynomial import Chebyshev

    degree = 10 if dtype == np.float32 else 22
    n = 4 * degree
    nodes = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    t = _T_MIN + (1 - _T_MIN) * (nodes + 1) / 2
    x = 2 / t - 2
    g = np.log(np.array([math.erfc(v) for v in x]) / t) + x * x
    return tuple(Chebyshev.fit(t, g, degree, domain=[_T_MIN, 1]).coef.tolist())


def erfc_positive(x: np.ndarray) -> np.ndarray:
    """erfc(x) for x >= 0 (an ndarray), in x's float dtype."""
    shape = np.shape(x)
    x = np.atleast_1d(x)  # in-place steps need arrays; a 0-d input would give numpy scalars
    coefs = _erfc_coefs(np.dtype(np.float32) if x.dtype == np.float32 else np.dtype(np.float64))
    # in-place steps (out=, -=): on large arrays fresh temporaries cost more than the arithmetic
    t = np.multiply(x, 0.5)
    t += 1
    np.reciprocal(t, out=t)
    s = t * (2 / (1 - _T_MIN))
    s -= (1 + _T_MIN) / (1 - _T_MIN)  # t mapped onto [-1, 1]
    two_s = s + s
    b1, b2, step = np.full_like(s, coefs[-1]), np.zeros_like(s), np.empty_like(s)
    for c in coefs[-2:0:-1]:  # Clenshaw's recurrence sums the Chebyshev series: b1 <- 2 s b1 - b2 + c
        np.multiply(two_s, b1, out=step)
        step -= b2
        step += c
        b1, b2, step = step, b1, b2
    g = np.multiply(s, b1, out=s)
    g -= b2
    g += coefs[0]
    g -= x * x
    np.exp(g, out=g)
    g *= t
    # past x = 10 the series is extrapolated, but exp(-x**2) makes the result tiny and the mask makes it 0
    g *= x < 10.0
    return g.reshape(shape)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function of an ndarray, accurate to ~3e-15 in float64 (numpy has none)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return np.sign(x) * (1 - erfc_positive(np.abs(x)))


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = P(Z <= x) for a standard normal Z. For float64 x, to relative accuracy ~1e-14 in both tails (down to
    1e-45). That claim is for float64 only: float32 x is computed in float32, and the tail's relative error grows like
    x**2 (about 1e-6 at x = -3, 2e-5 at x = -13), about what rounding x itself to float32 costs."""
    tail = erfc_positive(np.abs(x) * (1 / math.sqrt(2)))
    tail *= 0.5
    # tail for x < 0, else 1 - tail, in arithmetic (faster than np.where)
    upper = 1 - 2 * tail
    upper *= x >= 0
    upper += tail
    return upper


def _normal_pdf(x: Any) -> Any:
    return np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))


class NormalCDF(Function):
    """y = Phi(x) (the standard normal CDF);  dy/dx = phi(x) = exp(-x**2 / 2) / sqrt(2 pi)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return normal_cdf(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _normal_pdf(x)


class GELU(Function):
    """y = x * Phi(x);  dy/dx = Phi(x) + x * phi(x)  (Phi, phi: the standard normal CDF and density)"""

    @staticmethod
    def forward(ctx, x):
        cdf = normal_cdf(x.data)
        ctx.save_for_backward(x, cdf)
        return x.data * cdf

    @staticmethod
    def backward(ctx, grad):
        x, cdf = ctx.saved_tensors
        if not isinstance(x, np.ndarray):
            cdf = NormalCDF.apply(x)  # create_graph: Phi must be a graph value too, to be differentiated again
        return grad * (cdf + x * _normal_pdf(x))


_GELU_C = math.sqrt(2 / math.pi)


class GELUTanh(Function):
    """y = x/2 * (1 + tanh(u)), u = c (x + 0.044715 x**3);  dy/dx = (1 + tanh(u))/2 + x/2 (1 - tanh(u)**2) du/dx"""

    @staticmethod
    def forward(ctx, x):
        data = x.data
        th = np.tanh(_GELU_C * (data + 0.044715 * data * data * data))
        ctx.save_for_backward(x, th)
        return 0.5 * data * (1 + th)

    @staticmethod
    def backward(ctx, grad):
        x, th = ctx.saved_tensors
        if not isinstance(x, np.ndarray):  # create_graph: recompute tanh(u) as a graph value
            th = np.tanh(_GELU_C * (x + 0.044715 * x * x * x))
        du = _GELU_C * (1 + 3 * 0.044715 * x * x)
        return grad * (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * du)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x); approximate="tanh" uses the tanh formula (as GPT-2 did)."""
    x = as_tensor(x, "gelu")
    if approximate == "none":
        return GELU.apply(x)
    if approximate == "tanh":
        return GELUTanh.apply(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


# --- softmax ----------------------------------------------------------------------------------------------------------
def _shifted_exp(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stable pieces of softmax along `axis` of an ndarray: (x - max(x), exp of that, its sum with keepdims).

    Shifting by the max makes every exponent <= 0, so exp never overflows; softmax is exp / sum and log-softmax is
    shifted - log(sum). The exp array is fresh: callers may divide it in place.
    """
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return shifted, e, e.sum(axis=axis, keepdims=True)


class Softmax(Function):
    """y = exp(x) / sum(exp(x), axis);  dy/dx . grad = y * (grad - sum(grad * y, axis))"""

    @staticmethod
    def forward(ctx, x, axis):
        _, e, sums = _shifted_exp(x.data, axis)
        e /= sums
        ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        axis = ctx.inputs[1]
        return y * (grad - (grad * y).sum(axis=axis, keepdims=True)), None


class LogSoftmax(Function):
    """y = x - log(sum(exp(x), axis));  dy/dx . grad = grad - exp(y) * sum(grad, axis)"""

    @staticmethod
    def forward(ctx, x, axis):
        shifted, _, sums = _shifted_exp(x.data, axis)
        shifted -= np.log(sums)
        ctx.save_for_backward(shifted)
        return shifted

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        axis = ctx.inputs[1]
        return grad - np.exp(y) * grad.sum(axis=axis, keepdims=True), None


def _check_axis(x: Tensor, axis: int, op: str) -> int:
    if not isinstance(axis, (int, np.integer)) or not -max(x.ndim, 1) <= axis < max(x.ndim, 1):
        raise ValueError(f"{op}: axis {axis!r} is out of range for a Tensor of shape {x.shape}; pass an int "
                         f"in [-{max(x.ndim, 1)}, {max(x.ndim, 1)})")
    return int(axis)


def softmax(x: Tensor, axis: int = -1, **unknown: Any) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (computed without overflow)."""
    if unknown:
        unknown_keywords(softmax, unknown)
    x = as_tensor(x, "softmax")
    return Softmax.apply(x, _check_axis(x, axis, "softmax"))


def log_softmax(x: Tensor, axis: int = -1, **unknown: Any) -> Tensor:
    """log(softmax(x)) along `axis`, computed stably (never log(0) for large logits)."""
    if unknown:
        unknown_keywords(log_softmax, unknown)
    x = as_tensor(x, "log_softmax")
    return LogSoftmax.apply(x, _check_axis(x, axis, "log_softmax"))


# --- linear -----------------------------------------------------------------------------------------------------------
class Linear(Function):
    """y = x @ W.T + b;  dy/dx = grad @ W,  dy/dW = grad.T @ x,  dy/db = grad summed over the batch axes"""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        y = x.data @ weight.data.T  # a transposed view: BLAS reads it in place, nothing is copied
        if bias is not None:
            y += bias.data
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        out_features, in_features = weight.shape
        gx = grad @ weight if need_x else None
        rows = grad.reshape((-1, out_features)) if grad.ndim != 2 else grad  # batch axes merged into one
        gw = rows.T @ x.reshape((-1, in_features)) if need_w else None
        gb = rows.sum(axis=0) if need_b else None
        return gx, gw, gb


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None, *, name: str = "linear") -> Tensor:
    """x @ weight.T + bias, with weight of shape (out_features, in_features) as in PyTorch.

    Args:
        x: (..., in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or None.
        name: the operation named in error messages (Linear passes its class name).
    Returns:
        (..., out_features).
    """
    x = as_tensor(x, name)
    if weight.ndim != 2:
        raise ShapeError(f"{name}: expected a 2-d weight (out_features, in_features), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        size = "weight.shape[1]" if name == "linear" else "in_features"  # what the caller knows the size as
        raise ShapeError(f"{name}: expected input with last dimension {weight.shape[1]} ({size}), got shape "
                         f"{x.shape}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"{name}: expected a bias of shape ({weight.shape[0]},), got {bias.shape}")
    return Linear.apply(x, weight, bias)


# --- dropout and padding ------------------------------------------------------------------------------------------
class Dropout(Function):
    """y = x * mask / (1 - p), mask ~ Bernoulli(1 - p);  dy/dx = mask / (1 - p)"""

    @staticmethod
    def forward(ctx, x, p, generator):
        dtype = x.data.dtype if x.data.dtype.kind == "f" else np.dtype(np.float32)
        if p < 1.0:
            scaled_mask = (generator.random(x.data.shape) >= p).astype(dtype) * (1.0 / (1.0 - p))
        else:
            scaled_mask = np.zeros(x.data.shape, dtype)
        ctx.save_for_backward(scaled_mask)
        return x.data * scaled_mask

    @staticmethod
    def backward(ctx, grad):
        (scaled_mask,) = ctx.saved_tensors
        return grad * scaled_mask, None, None


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator: np.random.Generator | None = None) -> Tensor:
    """During training, zero each element with probability p and scale the rest by 1/(1 - p); else return x.

    Args:
        p: the probability of zeroing, in [0, 1].
        training: False (evaluation) makes dropout the identity.
        generator: where the mask is drawn from (by default nn.init's seedable generator).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    x = as_tensor(x, "dropout")
    if not training or p == 0.0:
        return x
    return Dropout.apply(x, float(p), init.get_generator() if generator is None else generator)


def pad(x: Tensor, pad_width: Any, constant_values: float = 0.0) -> Tensor:
    """Pad with a constant, numpy style: `pad_width` is an int, a (before, after) pair, or one pair per axis."""
    return as_tensor(x, "pad").pad(pad_width, constant_values)


# Re-exports, last: those files may import this one, which is complete by the time they run.
from .conv import conv2d  # noqa: E402
from .pooling import avg_pool2d, max_pool2d  # noqa: E402
from .embedding import embedding  # noqa: E402
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, hinge_loss,  # noqa: E402
                   l1_loss, mse_loss, nll_loss)
from .normalization import batch_norm, layer_norm  # noqa: E402
