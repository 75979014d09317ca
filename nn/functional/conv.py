"""Convolution over NCHW images: numpy kernels built on strided windows (im2col) and matrix products, the fused ops
and their functional form `conv2d` (the Conv2d layer is in nn/conv.py).

Each op's gradient is again one of these ops (the input gradient of a convolution is a transposed convolution, and so
on), so the backward passes run at numpy speed and can themselves be differentiated under create_graph.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Function, Tensor
from autograd.errors import ShapeError

from .common import as_tensor, run
from .windows import check_images, check_window, out_size, pad_images, pair, windows


# --- numpy kernels --------------------------------------------------------------------------------------------------
def _im2col(x: np.ndarray, kernel: tuple, stride: tuple, padding: tuple) -> np.ndarray:
    """Every window of `x` as a column: (N, C*kH*kW, OH*OW), rows ordered like a flattened (C, kH, kW) weight."""
    N, C = x.shape[:2]
    each = windows(pad_images(x, padding), kernel, stride)
    OH, OW = each.shape[2:4]
    return each.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kernel[0] * kernel[1], OH * OW)


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


def _conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: tuple,
          padding: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The convolution y (N, O, OH, OW), plus the bias of each output channel when given, and the columns it was
    computed from."""
    N, (O, _, kh, kw) = x.shape[0], weight.shape
    cols = _im2col(x, (kh, kw), stride, padding)
    y = weight.reshape(O, -1) @ cols  # (N, O, OH*OW): one small matrix product per image, contiguous NCHW result
    y = y.reshape(N, O, out_size(x.shape[2], kh, stride[0], padding[0]),
                  out_size(x.shape[3], kw, stride[1], padding[1]))
    if bias is not None:
        y += bias.reshape(-1, 1, 1)
    return y, cols


def _conv_input_grad(grad: np.ndarray, weight: np.ndarray, x_shape: tuple, stride: tuple,
                     padding: tuple) -> np.ndarray:
    N, O, OH, OW = grad.shape
    cols = weight.reshape(O, -1).T @ grad.reshape(N, O, OH * OW)  # (N, C*kH*kW, OH*OW)
    return _col2im(cols, x_shape, weight.shape[2:], stride, padding, OH, OW)


def _conv_weight_grad(cols: np.ndarray, grad: np.ndarray, w_shape: tuple) -> np.ndarray:
    N, O = grad.shape[:2]
    g = grad.reshape(N, O, -1)
    return (g @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w_shape)


# --- convolution ops ------------------------------------------------------------------------------------------------
class Convolution(Function):
    """y = conv2d(x, W) + b;  dy/dx = conv_transpose2d(grad, W),  dy/dW = sum over windows of grad * x,  dy/db = 1"""

    @staticmethod
    def kernel(x, weight, bias, stride, padding):
        return _conv(x, weight, bias, stride, padding)[0]

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        ctx.kernel_size, ctx.stride, ctx.padding = weight.data.shape[2:], stride, padding
        y, cols = _conv(x.data, weight.data, None if bias is None else bias.data, stride, padding)
        # the columns are kept so the weight gradient need not rebuild them
        ctx.save_for_backward(x, weight, cols if ctx.needs_input_grad[1] else None)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight, cols = ctx.saved_tensors
        needs_x, needs_w, needs_b = ctx.needs_input_grad[:3]
        stride, padding = ctx.stride, ctx.padding
        dx = run(ctx, TransposedConvolution, grad, weight, x.shape, stride, padding) if needs_x else None
        dw = None
        if needs_w and not ctx.create_graph:  # forward's columns: no second im2col
            dw = _conv_weight_grad(cols, grad, weight.shape)
        elif needs_w:
            dw = ConvolutionWeightGrad.apply(x, grad, weight.shape, stride, padding)
        db = grad.sum(axis=(0, 2, 3)) if needs_b else None
        return dx, dw, db, None, None

    @staticmethod
    def jvp(ctx, dx, dw, db, dstride, dpadding):
        """dy = conv2d(dx, W) + conv2d(x, dW) + db"""
        x, weight, _ = ctx.saved_tensors
        dy = None if dx is None else run(ctx, Convolution, dx, weight, None, ctx.stride, ctx.padding)
        if dw is not None:
            from_w = run(ctx, Convolution, x, dw, None, ctx.stride, ctx.padding)
            dy = from_w if dy is None else dy + from_w
        if db is not None:
            dy = db.reshape((-1, 1, 1)) if dy is None else dy + db.reshape((-1, 1, 1))
        return dy

    @staticmethod
    def flops(c):
        """2*C_in*kH*kW per output (+1 with bias); backward the same products for x and for W, N*OH*OW - 1 per bias.

        The products are those of the weight matrix with the im2col columns; col2im's overlap additions are not counted.
        """
        products = 2 * c.out * math.prod(c.in_shapes[1][1:])  # each output a C_in*kH*kW dot product
        bias = c.in_shapes[2] is not None
        return products + (c.out if bias else 0), (products, products, c.out - c.size(2), 0, 0)


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
        d_grad = run(ctx, Convolution, upstream, weight, None, ctx.stride, ctx.padding) if needs_g else None
        d_weight = None
        if needs_w:
            d_weight = run(ctx, ConvolutionWeightGrad, upstream, grad, weight.shape, ctx.stride, ctx.padding)
        return d_grad, d_weight, None, None, None

    @staticmethod
    def jvp(ctx, dg, dw, dshape, dstride, dpadding):
        """dz = conv_transpose2d(dg, W) + conv_transpose2d(g, dW)"""
        return _bilinear_jvp(ctx, TransposedConvolution, dg, dw)

    @staticmethod
    def flops(c):
        """conv2d's input gradient (create_graph): 2*C_in*kH*kW per element of g, as conv; backward the same each."""
        products = 2 * c.size(0) * math.prod(c.in_shapes[1][1:])
        return products, (products, products, 0, 0, 0)


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
        dx = run(ctx, TransposedConvolution, grad, upstream, x.shape, ctx.stride, ctx.padding) if needs_x else None
        d_grad = run(ctx, Convolution, x, upstream, None, ctx.stride, ctx.padding) if needs_g else None
        return dx, d_grad, None, None, None

    @staticmethod
    def jvp(ctx, dx, dg, dshape, dstride, dpadding):
        """dz = dW(dx, g) + dW(x, dg)  (dW: conv2d's weight gradient, linear in each of its two arguments)"""
        return _bilinear_jvp(ctx, ConvolutionWeightGrad, dx, dg)

    @staticmethod
    def flops(c):
        """conv2d's weight gradient (create_graph): 2*C_in*kH*kW per element of g, as conv; backward the same each."""
        products = 2 * c.size(1) * math.prod(c.args[2][1:])
        return products, (products, products, 0, 0, 0)


def _bilinear_jvp(ctx, fn, da, db):
    """The tangent of z = fn(a, b, shape, stride, padding), linear in a and in b: fn(da, b) + fn(a, db)."""
    a, b = ctx.saved_tensors
    shape, stride, padding = ctx.inputs[2], ctx.stride, ctx.padding
    dz = None if da is None else run(ctx, fn, da, b, shape, stride, padding)
    if db is not None:
        from_b = run(ctx, fn, a, db, shape, stride, padding)
        dz = from_b if dz is None else dz + from_b
    return dz


# --- the functional form --------------------------------------------------------------------------------------------
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
    x = check_images(x, name, weight.shape[1])
    if bias is not None:
        bias = as_tensor(bias, name)
        if bias.shape != (weight.shape[0],):
            raise ShapeError(f"{name}: expected bias of shape ({weight.shape[0]},) (out_channels), got shape "
                             f"{bias.shape}")
    stride, padding = pair(stride, "stride", name, 1), pair(padding, "padding", name, 0)
    check_window(x.shape, weight.shape[2:], padding, name)
    return Convolution.apply(x, weight, bias, stride, padding)
