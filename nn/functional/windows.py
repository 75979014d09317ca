"""The windows of NCHW images that convolution and pooling slide over: output sizes, padding, a strided view of every
window, and the checks of their arguments (kernel_size, stride and padding as pairs, the input's shape)."""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd import Tensor
from autograd.errors import ShapeError

from .common import as_tensor


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """How many windows fit along one axis: (size + 2 padding - kernel) // stride + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def pad_images(x: np.ndarray, padding: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """`x` (N, C, H, W) with `padding` rows and columns of `value` added on every side (x itself for no padding)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def windows(x: np.ndarray, kernel: tuple, stride: tuple) -> np.ndarray:
    """A read-only strided view (N, C, OH, OW, kH, kW) of every window of `x`; nothing is copied."""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    shape = (N, C, out_size(H, kh, sh, 0), out_size(W, kw, sw, 0), kh, kw)
    s = x.strides
    strides = (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3])
    if x.flags.c_contiguous:  # the direct constructor: a few microseconds instead of as_strided's tens
        view = np.ndarray(shape, x.dtype, x, 0, strides)
        view.flags.writeable = False
        return view
    return as_strided(x, shape, strides, writeable=False)


# --- argument checks ------------------------------------------------------------------------------------------------
def pair(value: Any, what: str, name: str, minimum: int) -> tuple[int, int]:
    """`value` (an int or an (h, w) pair, each >= minimum) as a pair of ints; `what` and `name` go in the error."""
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int and type(value[1]) is int \
            and value[0] >= minimum and value[1] >= minimum:
        return value  # already checked: layers pass the pairs they made in __init__ on every call
    both = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(both) != 2 or not all(isinstance(v, (int, np.integer)) and v >= minimum for v in both):
        raise ValueError(f"{name}: {what} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(both[0]), int(both[1])


def check_images(x: Any, name: str, channels: int | None = None) -> Tensor:
    """`x` as a Tensor of shape (N, C, H, W) (with C = channels when given), or a ShapeError naming `name`."""
    x = as_tensor(x, name)
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        want = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
        raise ShapeError(f"{name}: expected input of shape {want}, got shape {x.shape}; add the missing axes "
                         "with x.reshape(N, C, H, W)")
    return x


def check_window(shape: tuple, kernel: tuple, padding: tuple, name: str) -> None:
    """Refuse a kernel larger than the padded input (no window would fit)."""
    H, W = shape[2] + 2 * padding[0], shape[3] + 2 * padding[1]
    if kernel[0] > H or kernel[1] > W:
        raise ShapeError(f"{name}: kernel {kernel} is larger than the padded input ({H}, {W}) of an input of shape "
                         f"{shape}; use a smaller kernel or more padding")
