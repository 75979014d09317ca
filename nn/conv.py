"""Convolution over NCHW images: a fused op built on strided windows (im2col) and matrix products, its functional
form `conv2d` and the Conv2d layer (pooling, built on the same windows, is in pooling.py).

Each op's gradient is again one of these ops (the input gradient of a convolution is a transposed convolution, and so
on), so the backward passes run at numpy speed and can themselves be differentiated under create_graph.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd import Function, Tensor, get_default_dtype
from autograd.errors import ShapeError

from . import init
from .functional import as_tensor  # functional imports this file last, once as_tensor exists
from .module import Module, Parameter


# --- numpy kernels --------------------------------------------------------------------------------------------------
def _out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _pad(x: np.ndarray, padding: tuple[int, int], value: float = 0.0) -> np.ndarray:
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _windows(x: np.ndarray, kernel: tuple, stride: tuple) -> np.ndarray:
    """A read-only strided view (N, C, OH, OW, kH, kW) of every window of `x`; nothing is copied."""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    shape = (N, C, (H - kh) // sh + 1, (W - kw) // sw + 1, kh, kw)
    s = x.strides
    strides = (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3])
    if x.flags.c_contiguous:  # the direct constructor: a few microseconds instead of as_strided's tens
        view = np.ndarray(shape, x.dtype, x, 0, strides)
        view.flags.writeable = False
        return view
    return as_strided(x, shape, strides, writeable=False)


def _im2col(x: np.ndarray, kernel: tuple, stride: tuple, padding: tuple) -> np.ndarray:
    """Every window of `x` as a column: (N, C*kH*kW, OH*OW), rows ordered like a flattened (C, kH, kW) weight."""
    N, C = x.shape[:2]
    windows = _windows(_pad(x, padding), kernel, stride)
    OH, OW = windows.shape[2:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kernel[0] * kernel[1], OH * OW)


def _col2im(cols: np.ndarray, x_shape: tuple, kernel: tuple, stride: tuple, padding: tuple, OH: int,
            OW: int) -> np.ndarray:
    """The adjoint of _im2col: add each column back onto the window it came from."""
    N, C, H, W = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    cols = cols.reshape(N, C, kh, kw, OH, OW)
    out = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=cols.dtype)
    # one strided add per kernel offset (kH*kW of them): faster than np.add.at over every pixel
    for i in range(kh):
        for j in range(kw):
            out[:, :, i:i + sh * OH:sh, j:j + sw * OW:sw] += cols[:, :, i, j]
    return out[:, :, ph:ph + H, pw:pw + W]


def _conv(x: np.ndarray, weight: np.ndarray, stride: tuple, padding: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The convolution y (N, O, OH, OW) and the columns it was computed from."""
    N, (O, _, kh, kw) = x.shape[0], weight.shape
    cols = _im2col(x, (kh, kw), stride, padding)
    y = weight.reshape(O, -1) @ cols  # (N, O, OH*OW): one small matrix product per image, contiguous NCHW result
    return y.reshape(N, O, _out_size(x.shape[2], kh, stride[0], padding[0]),
                     _out_size(x.shape[3], kw, stride[1], padding[1])), cols


def _conv_input_grad(grad: np.ndarray, weight: np.ndarray, x_shape: tuple, stride: tuple,
                     padding: tuple) -> np.ndarray:
    N, O, OH, OW = grad.shape
    cols = weight.reshape(O, -1).T @ grad.reshape(N, O, OH * OW)  # (N, C*kH*kW, OH*OW)
    return _col2im(cols, x_shape, weight.shape[2:], stride, padding, OH, OW)


def _conv_weight_grad(cols: np.ndarray, grad: np.ndarray, w_shape: tuple) -> np.ndarray:
    N, O = grad.shape[:2]
    g = grad.reshape(N, O, -1)
    return (g @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w_shape)


def _conv_bias(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: tuple,
               padding: tuple) -> tuple[np.ndarray, np.ndarray]:
    """_conv plus the bias of each output channel (when given)."""
    y, cols = _conv(x, weight, stride, padding)
    if bias is not None:
        y += bias.reshape(-1, 1, 1)
    return y, cols


# --- convolution ops ------------------------------------------------------------------------------------------------
def _run(fn: type, *args: Any) -> Any:
    """Op `fn` on plain arrays (an ordinary backward: its numpy kernel) or recorded on Tensors (create_graph)."""
    if any(isinstance(a, Tensor) for a in args):
        return fn.apply(*[Tensor._constant(a) if isinstance(a, np.ndarray) else a for a in args])
    return fn.kernel(*args)


class Convolution(Function):
    """y = conv2d(x, W) + b;  dy/dx = conv_transpose2d(grad, W),  dy/dW = sum over windows of grad * x,  dy/db = 1"""

    @staticmethod
    def kernel(x, weight, bias, stride, padding):
        return _conv_bias(x, weight, bias, stride, padding)[0]

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        ctx.kernel_size, ctx.stride, ctx.padding = weight.data.shape[2:], stride, padding
        y, cols = _conv_bias(x.data, weight.data, None if bias is None else bias.data, stride, padding)
        # the columns are kept so the weight gradient need not rebuild them
        ctx.save_for_backward(x, weight, cols if ctx.needs_input_grad[1] else None)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, cols = ctx.saved_tensors
        needs_x, needs_w, needs_b = ctx.needs_input_grad[:3]
        stride, padding = ctx.stride, ctx.padding
        dx = _run(TransposedConvolution, grad, weight, x.shape, stride, padding) if needs_x else None
        if needs_w and isinstance(grad, np.ndarray):
            dw = _conv_weight_grad(cols, grad, weight.shape)
        else:
            dw = _run(ConvolutionWeightGrad, x, grad, weight.shape, stride, padding) if needs_w else None
        db = grad.sum(axis=(0, 2, 3)) if needs_b else None
        return dx, dw, db, None, None


class TransposedConvolution(Function):
    """z = conv_transpose2d(g, W) (the input gradient of conv2d);  dz/dg = conv2d(., W),  dz/dW = conv weight grad"""

    kernel = staticmethod(_conv_input_grad)

    @staticmethod
    def forward(ctx, grad, weight, x_shape, stride, padding):
        ctx.kernel_size, ctx.stride, ctx.padding = weight.data.shape[2:], stride, padding
        ctx.save_for_backward(grad, weight)
        return _conv_input_grad(grad.data, weight.data, x_shape, stride, padding)

    @staticmethod
    def backward(ctx, upstream):
        grad, weight = ctx.saved_tensors
        needs_g, needs_w = ctx.needs_input_grad[:2]
        d_grad = _run(Convolution, upstream, weight, None, ctx.stride, ctx.padding) if needs_g else None
        d_weight = None
        if needs_w:
            d_weight = _run(ConvolutionWeightGrad, upstream, grad, weight.shape, ctx.stride, ctx.padding)
        return d_grad, d_weight, None, None, None


class ConvolutionWeightGrad(Function):
    """z = dconv2d(x, W)/dW applied to g;  dz/dx = conv_transpose2d(g, .),  dz/dg = conv2d(x, .)"""

    @staticmethod
    def kernel(x, grad, w_shape, stride, padding):
        return _conv_weight_grad(_im2col(x, w_shape[2:], stride, padding), grad, w_shape)

    @staticmethod
    def forward(ctx, x, grad, w_shape, stride, padding):
        ctx.kernel_size, ctx.stride, ctx.padding = w_shape[2:], stride, padding
        ctx.save_for_backward(x, grad)
        return ConvolutionWeightGrad.kernel(x.data, grad.data, w_shape, stride, padding)

    @staticmethod
    def backward(ctx, upstream):
        x, grad = ctx.saved_tensors
        needs_x, needs_g = ctx.needs_input_grad[:2]
        dx = _run(TransposedConvolution, grad, upstream, x.shape, ctx.stride, ctx.padding) if needs_x else None
        d_grad = _run(Convolution, x, upstream, None, ctx.stride, ctx.padding) if needs_g else None
        return dx, d_grad, None, None, None


# --- argument checks ------------------------------------------------------------------------------------------------
def _pair(value: Any, what: str, name: str, minimum: int) -> tuple[int, int]:
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int and type(value[1]) is int \
            and value[0] >= minimum and value[1] >= minimum:
        return value  # already checked: layers pass the pairs they made in __init__ on every call
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= minimum for v in pair):
        raise ValueError(f"{name}: {what} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_input(x: Any, name: str, channels: int | None = None) -> Tensor:
    x = as_tensor(x, name)
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        want = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
        raise ShapeError(f"{name}: expected input of shape {want}, got shape {x.shape}; add the missing axes "
                         "with x.reshape(N, C, H, W)")
    return x


# --- functional forms -----------------------------------------------------------------------------------------------
def _check_window(shape: tuple, kernel: tuple, padding: tuple, name: str) -> None:
    H, W = shape[2] + 2 * padding[0], shape[3] + 2 * padding[1]
    if kernel[0] > H or kernel[1] > W:
        raise ShapeError(f"{name}: kernel {kernel} is larger than the padded input ({H}, {W}) of an input of shape "
                         f"{shape}; use a smaller kernel or more padding")


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0, *,
           name: str = "conv2d") -> Tensor:
    """2-d convolution (cross-correlation, as in PyTorch) over NCHW images.

    Args:
        x: input (N, C, H, W).
        weight: filters (O, C, kH, kW).
        bias: (O,) or None.
        stride, padding: an int or an (h, w) pair; padding adds zeros on every side.
        name: the operation named in error messages (layers pass their class name).
    Returns:
        (N, O, OH, OW) with OH = (H + 2 padding - kH) // stride + 1 (likewise OW).
    """
    weight = as_tensor(weight, name)
    if weight.ndim != 4:
        raise ShapeError(f"{name}: expected weight of shape (out_channels, in_channels, kH, kW), got shape "
                         f"{weight.shape}")
    x = _check_input(x, name, weight.shape[1])
    if bias is not None:
        bias = as_tensor(bias, name)
        if bias.shape != (weight.shape[0],):
            raise ShapeError(f"{name}: expected bias of shape ({weight.shape[0]},) (out_channels), got shape "
                             f"{bias.shape}")
    stride, padding = _pair(stride, "stride", name, 1), _pair(padding, "padding", name, 0)
    _check_window(x.shape, weight.shape[2:], padding, name)
    return Convolution.apply(x, weight, bias, stride, padding)


# --- layers ---------------------------------------------------------------------------------------------------------
class Conv2d(Module):
    """2-d convolution layer; parameters named and initialised as PyTorch's (U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = in_channels * kH * kW), so state dicts move between the two.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size, stride, padding: an int or an (h, w) pair.
        bias: learn an additive bias per output channel.
        dtype: the parameters' dtype (the default dtype, float32, unless given).
    Shape:
        input (N, in_channels, H, W) -> output (N, out_channels, OH, OW),
        OH = (H + 2 padding - kH) // stride + 1 (likewise OW).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        if in_channels < 1 or out_channels < 1:
            raise ValueError(f"Conv2d: in_channels and out_channels must be >= 1, got {in_channels} and "
                             f"{out_channels}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = _pair(stride, "stride", "Conv2d", 1)
        self.padding = _pair(padding, "padding", "Conv2d", 0)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.empty((out_channels, in_channels) + self.kernel_size, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # PyTorch's choice: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        if bias:
            bound = 1 / math.sqrt(init.fan_in_and_fan_out(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, name="Conv2d")

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None}")


