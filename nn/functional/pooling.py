"""Pooling over NCHW images: max and average pooling as fused ops on the same windows as convolution, and their
functional forms `max_pool2d` and `avg_pool2d` (the layers are in nn/pooling.py). Max-pool sends the gradient to the
first maximum of each window; average-pool spreads it evenly (padding zeros count, as in PyTorch's default).
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from autograd import Function, Tensor
from autograd.ops.shape import IndexAdd

from .common import run
from .windows import check_images, check_window, out_size, pad_images, pair


# --- pooling ops ----------------------------------------------------------------------------------------------------
def _offsets(kernel: tuple, stride: tuple, OH: int, OW: int) -> Iterator[tuple[int, tuple]]:
    """(k, index) for each kernel offset: index picks, from the padded input, that offset of every window."""
    (kh, kw), (sh, sw) = kernel, stride
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, (slice(None), slice(None), slice(i, i + sh * OH, sh), slice(j, j + sw * OW, sw))


def _lowest(dtype: np.dtype) -> Any:
    """The padding value of max pooling: below every value of the dtype, so it never wins."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _pool_shape(shape: tuple, kernel: tuple, stride: tuple, padding: tuple) -> tuple[int, int]:
    return tuple(out_size(shape[2 + i], kernel[i], stride[i], padding[i]) for i in (0, 1))


class MaxPool(Function):
    """y = max of each window of x;  dy/dx = 1 at the window's maximum (the first one on a tie), 0 elsewhere"""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding):
        ctx.kernel_size, ctx.stride, ctx.padding = kernel_size, stride, padding
        OH, OW = _pool_shape(x.data.shape, kernel_size, stride, padding)
        padded = pad_images(x.data, padding, _lowest(x.data.dtype))
        parts = [padded[index] for _, index in _offsets(kernel_size, stride, OH, OW)]
        y = np.maximum(parts[0], parts[1]) if len(parts) > 1 else parts[0].copy()
        for part in parts[2:]:
            np.maximum(y, part, out=y)
        # the input and output are alive anyway (held by this op and the next), so saving them costs no memory;
        # backward finds each window's maximum again by comparing the two
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        if ctx.create_graph:  # finding the maxima is array work; only the routing of the gradient is recorded
            x, y = x.data, y.data
        (kh, kw), (sh, sw), (ph, pw) = ctx.kernel_size, ctx.stride, ctx.padding
        N, C, H, W = x.shape
        padded = pad_images(x, (ph, pw), _lowest(x.dtype))
        hits, unclaimed = [], None  # unclaimed: the windows whose maximum has not been found yet
        for k, index in _offsets((kh, kw), (sh, sw), *y.shape[2:]):
            hit = padded[index] == y
            if unclaimed is None:
                unclaimed = ~hit
            else:
                hit &= unclaimed  # on a tie only the first maximum in reading order takes the gradient
                unclaimed ^= hit
            hits.append((k, index, hit))
        if ctx.create_graph:
            # the same routing as a recorded scatter (its gradient gathers from the same positions)
            which = np.zeros(y.shape, dtype=np.intp)
            for k, _, hit in hits:
                which[hit] = k
            return IndexAdd.apply(grad, _argmax_index(ctx, which), x.shape, grad.dtype), None, None, None
        out = np.zeros(padded.shape, dtype=grad.dtype)
        overlapping = sh < kh or sw < kw
        for _, index, hit in hits:
            if overlapping:
                out[index] += grad * hit
            else:  # each input pixel lies in at most one window: write, no need to add
                np.multiply(grad, hit, out=out[index])
        return out[:, :, ph:ph + H, pw:pw + W], None, None, None

    @staticmethod
    def jvp(ctx, dx, dkernel, dstride, dpadding):
        """dy = dx at each window's maximum (the first one on a tie)"""
        x, y = [t.data if isinstance(t, Tensor) else t for t in ctx.saved_tensors]
        padded = pad_images(x, ctx.padding, _lowest(x.dtype))
        which = np.zeros(y.shape, dtype=np.intp)  # the kernel offset of each window's maximum
        unclaimed = np.ones(y.shape, dtype=bool)
        for k, index in _offsets(ctx.kernel_size, ctx.stride, *y.shape[2:]):
            hit = (padded[index] == y) & unclaimed
            which[hit] = k
            unclaimed &= ~hit
        return dx[_argmax_index(ctx, which)]

    @staticmethod
    def flops(c):
        """kH*kW - 1 comparisons per output; backward sends each gradient to its window's max (n)."""
        kh, kw = c.args[1]
        return c.out * (kh * kw - 1), (c.out, 0, 0, 0)


def _argmax_index(ctx, which: np.ndarray) -> tuple:
    """Where each window's maximum sits in the unpadded input, as an integer index for fancy indexing."""
    N, C, OH, OW = which.shape
    (_, kw), (sh, sw), (ph, pw) = ctx.kernel_size, ctx.stride, ctx.padding
    rows = np.arange(OH).reshape(-1, 1) * sh + which // kw - ph
    cols = np.arange(OW) * sw + which % kw - pw
    return (np.arange(N).reshape(-1, 1, 1, 1), np.arange(C).reshape(-1, 1, 1), rows, cols)


def _avg_pool(x: np.ndarray, kernel: tuple, stride: tuple, padding: tuple) -> np.ndarray:
    OH, OW = _pool_shape(x.shape, kernel, stride, padding)
    padded = pad_images(x, padding)
    out = np.zeros(x.shape[:2] + (OH, OW), dtype=x.dtype)
    for _, index in _offsets(kernel, stride, OH, OW):
        out += padded[index]
    out *= 1.0 / (kernel[0] * kernel[1])
    return out


def _avg_pool_transpose(grad: np.ndarray, x_shape: tuple, kernel: tuple, stride: tuple,
                        padding: tuple) -> np.ndarray:
    N, C, H, W = x_shape
    (ph, pw), OH, OW = padding, grad.shape[2], grad.shape[3]
    share = grad * (1.0 / (kernel[0] * kernel[1]))
    out = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=grad.dtype)
    for _, index in _offsets(kernel, stride, OH, OW):
        out[index] += share
    return out[:, :, ph:ph + H, pw:pw + W]


class AvgPool(Function):
    """y = mean of each window of x (padding counts as zeros);  dy/dx = 1/(kH*kW) for each window x is in"""

    kernel = staticmethod(_avg_pool)

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding):
        ctx.kernel_size, ctx.stride, ctx.padding, ctx.shape = kernel_size, stride, padding, x.data.shape
        return _avg_pool(x.data, kernel_size, stride, padding)

    @staticmethod
    def backward(ctx, grad):
        return run(ctx, AvgPoolTranspose, grad, ctx.shape, ctx.kernel_size, ctx.stride, ctx.padding), None, None, None

    @staticmethod
    def jvp(ctx, dx, dkernel, dstride, dpadding):
        """dy = avg_pool2d(dx)"""
        return run(ctx, AvgPool, dx, ctx.kernel_size, ctx.stride, ctx.padding)

    @staticmethod
    def flops(c):
        """kH*kW - 1 additions and a division per output; backward divides and spreads: n*(kH*kW + 1)."""
        kh, kw = c.args[1]
        return c.out * kh * kw, (c.out * (kh * kw + 1), 0, 0, 0)


class AvgPoolTranspose(Function):
    """z = each g spread evenly over its window (the input gradient of avg_pool2d);  dz/dg = avg_pool2d(.)"""

    kernel = staticmethod(_avg_pool_transpose)

    @staticmethod
    def forward(ctx, grad, x_shape, kernel_size, stride, padding):
        ctx.kernel_size, ctx.stride, ctx.padding = kernel_size, stride, padding
        return _avg_pool_transpose(grad.data, x_shape, kernel_size, stride, padding)

    @staticmethod
    def backward(ctx, upstream):
        return run(ctx, AvgPool, upstream, ctx.kernel_size, ctx.stride, ctx.padding), None, None, None, None

    @staticmethod
    def jvp(ctx, dg, dshape, dkernel, dstride, dpadding):
        """dz = avg_pool2d's input gradient of dg (dg spread evenly over its window)"""
        return run(ctx, AvgPoolTranspose, dg, ctx.inputs[1], ctx.kernel_size, ctx.stride, ctx.padding)

    @staticmethod
    def flops(c):
        """The input gradient of avg_pool2d (create_graph): n*(kH*kW + 1) for n elements of g; backward avg_pool."""
        kh, kw = c.args[2]
        return c.size(0) * (kh * kw + 1), (c.size(0) * kh * kw, 0, 0, 0, 0)


# --- the functional forms -------------------------------------------------------------------------------------------
def pool_settings(kernel_size: Any, stride: Any, padding: Any, name: str) -> tuple:
    """kernel_size, stride (default: the kernel) and padding as checked pairs."""
    kernel = pair(kernel_size, "kernel_size", name, 1)
    stride = kernel if stride is None else pair(stride, "stride", name, 1)
    padding = pair(padding, "padding", name, 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel size {kernel}, so no window "
                         "lies entirely in the padding")
    return kernel, stride, padding


def _pool_args(x: Any, kernel_size: Any, stride: Any, padding: Any, name: str) -> tuple:
    x = check_images(x, name)
    kernel, stride, padding = pool_settings(kernel_size, stride, padding, name)
    check_window(x.shape, kernel, padding, name)
    return x, kernel, stride, padding


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, *,
               name: str = "max_pool2d") -> Tensor:
    """The maximum of each kH x kW window (padding never wins: it counts as -inf).

    The gradient goes to the window's maximum; on a tie, to the first maximum in reading order (as PyTorch does).

    Args:
        x: input (N, C, H, W).
        kernel_size, stride (default: kernel_size), padding: an int or an (h, w) pair.
        name: the operation named in error messages (layers pass their class name).
    Returns:
        (N, C, OH, OW) with OH = (H + 2 padding - kH) // stride + 1 (likewise OW).
    """
    return MaxPool.apply(*_pool_args(x, kernel_size, stride, padding, name))


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, *,
               name: str = "avg_pool2d") -> Tensor:
    """The mean of each kH x kW window; zeros of the padding count in the mean (PyTorch's count_include_pad=True).

    Args and Returns as for max_pool2d.
    """
    return AvgPool.apply(*_pool_args(x, kernel_size, stride, padding, name))
