"""Activations as functions of Tensors: relu, sigmoid, tanh, leaky_relu, gelu (exact or tanh), softmax and log_softmax
along an axis, and dropout. The fused ops among them are autograd Functions whose backward is written with array
code, so it is differentiable again under create_graph.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.function import Function
from autograd.pytorch_names import unknown_keywords

from .. import init
from .common import as_tensor, shifted_exp


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

    @staticmethod
    def jvp(ctx, dx, dslope):
        """dy = dx if x > 0 else slope * dx"""
        (scale,) = ctx.saved_tensors
        return scale * dx

    @staticmethod
    def flops(c):
        """A comparison and a product per output; backward grad*scale (n)."""
        return 2 * c.out, (c.out, 0)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return LeakyReLU.apply(as_tensor(x, "leaky_relu"), negative_slope)


# --- GELU -------------------------------------------------------------------------------------------------------------
# The exact GELU needs the normal CDF, i.e. erf, which numpy lacks; scipy.special has it, accurate to a few ulps.
# scipy.special is imported on first use, not with nn: importing it takes about as long as all of nn (0.24-0.32 s
# against 0.23 s, measured with python -X importtime).
def erf(x: np.ndarray) -> np.ndarray:
    """The error function of an ndarray (scipy.special.erf), in x's float dtype."""
    from scipy.special import erf as scipy_erf
    x = np.asarray(x)
    return _in_dtype_of(x, scipy_erf(x))


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = P(Z <= x) for a standard normal Z: erfc(-x / sqrt(2)) / 2, as accurate in the far left tail as near 0
    (1 + erf(x / sqrt(2)) would round to 0 there). float32 x is computed in float32: the tail's relative error then
    grows like x**2 (about 5e-7 at x = -3, 1e-5 at x = -13), what rounding x itself to float32 costs."""
    from scipy.special import erfc
    # Phi(x) = tail for x < 0 and 1 - tail for x >= 0, with tail = erfc(|x| / sqrt(2)) / 2 (the same numbers as
    # erfc(-x / sqrt(2)) / 2): scipy's erfc branches on its argument's sign, which random signs mispredict at every
    # other element, and the choice is arithmetic, not np.where (slow for the same reason): 7.0 -> 4.6 ms for W7's
    # (16, 64, 512) float32, measured.
    tail = erfc(np.abs(x) * (1 / math.sqrt(2)))
    tail *= 0.5
    phi = 1 - 2 * tail
    phi *= x >= 0
    phi += tail
    return _in_dtype_of(x, phi)


def _in_dtype_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """`y` in x's float dtype (scipy computes float16 in a wider one); integer x gives float64."""
    return y.astype(x.dtype, copy=False) if x.dtype.kind == "f" else y


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

    @staticmethod
    def jvp(ctx, dx):
        """dy = phi(x) * dx"""
        (x,) = ctx.saved_tensors
        return _normal_pdf(x) * dx

    @staticmethod
    def flops(c):
        """Phi(x) = erfc(-x/sqrt 2)/2: 5 per output (erfc counted 1, like exp); backward grad*pdf(x) (5n)."""
        return 5 * c.out, (5 * c.out,)


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
        if ctx.create_graph:
            cdf = NormalCDF.apply(x)  # Phi must be a graph value too, to be differentiated again
        return grad * (cdf + x * _normal_pdf(x))

    @staticmethod
    def jvp(ctx, dx):
        """dy = (Phi(x) + x * phi(x)) * dx"""
        return GELU.backward(ctx, dx)  # the slope times dx: backward's product

    @staticmethod
    def flops(c):
        """x*Phi(x): Phi 5 + 1 per output; backward grad*(Phi + x*pdf(x)) (7n)."""
        return 6 * c.out, (7 * c.out,)


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
        if ctx.create_graph:  # recompute tanh(u) as a graph value
            th = np.tanh(_GELU_C * (x + 0.044715 * x * x * x))
        du = _GELU_C * (1 + 3 * 0.044715 * x * x)
        return grad * (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * du)

    @staticmethod
    def jvp(ctx, dx):
        """dy = ((1 + tanh(u))/2 + x/2 (1 - tanh(u)**2) du/dx) * dx"""
        return GELUTanh.backward(ctx, dx)  # the slope times dx: backward's product

    @staticmethod
    def flops(c):
        """x/2*(1+tanh(c(x+0.044715x^3))): 9 per output; backward 13n."""
        return 9 * c.out, (13 * c.out,)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x); approximate="tanh" uses the tanh formula (as GPT-2 did)."""
    x = as_tensor(x, "gelu")
    if approximate == "none":
        return GELU.apply(x)
    if approximate == "tanh":
        return GELUTanh.apply(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


# --- softmax ----------------------------------------------------------------------------------------------------------
def _rows(c: Any) -> int:
    """How many rows a softmax of call `c` normalises: its output's elements over the length of its axis."""
    return c.out // c.out_shapes[0][c.args[1]] if c.out else 0


class Softmax(Function):
    """y = exp(x) / sum(exp(x), axis);  dy/dx . grad = y * (grad - sum(grad * y, axis))"""

    @staticmethod
    def forward(ctx, x, axis):
        _, e, sums = shifted_exp(x.data, axis)
        e /= sums
        ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        axis = ctx.inputs[1]
        return y * (grad - (grad * y).sum(axis=axis, keepdims=True)), None

    @staticmethod
    def jvp(ctx, dx, daxis):
        """dy = y * (dx - sum(y * dx, axis))"""
        (y,) = ctx.saved_tensors
        return y * (dx - (y * dx).sum(axis=ctx.inputs[1], keepdims=True))

    @staticmethod
    def flops(c):
        """max, subtract, exp, sum, divide: 5 per element less 2 per row; backward 4 per element less 1 per row."""
        return 5 * c.out - 2 * _rows(c), (4 * c.out - _rows(c), 0)


class LogSoftmax(Function):
    """y = x - log(sum(exp(x), axis));  dy/dx . grad = grad - exp(y) * sum(grad, axis)"""

    @staticmethod
    def forward(ctx, x, axis):
        shifted, _, sums = shifted_exp(x.data, axis)
        shifted -= np.log(sums)
        ctx.save_for_backward(shifted)
        return shifted

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        axis = ctx.inputs[1]
        return grad - np.exp(y) * grad.sum(axis=axis, keepdims=True), None

    @staticmethod
    def jvp(ctx, dx, daxis):
        """dy = dx - sum(exp(y) * dx, axis)"""
        (y,) = ctx.saved_tensors
        return dx - (np.exp(y) * dx).sum(axis=ctx.inputs[1], keepdims=True)

    @staticmethod
    def flops(c):
        """max, subtract, exp, sum, log, subtract: 5 per element less 1 per row; backward 4 per element less 1."""
        return 5 * c.out - _rows(c), (4 * c.out - _rows(c), 0)


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


# --- dropout ----------------------------------------------------------------------------------------------------------
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

    @staticmethod
    def jvp(ctx, dx, dp, dgenerator):
        """dy = mask / (1 - p) * dx"""
        (scaled_mask,) = ctx.saved_tensors
        return scaled_mask * dx

    @staticmethod
    def flops(c):
        """x * scaled mask: 1 per output; backward grad * scaled mask (n)."""
        return c.out, (c.out, 0, 0)


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
