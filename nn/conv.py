"""The Conv2d layer: a convolution's weights and settings; the maths is F.conv2d (nn/functional/conv.py)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor, get_default_dtype

from . import functional as F
from . import init
from .functional.windows import pair
from .module import Module, Parameter


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
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = pair(stride, "stride", "Conv2d", 1)
        self.padding = pair(padding, "padding", "Conv2d", 0)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.empty((out_channels, in_channels) + self.kernel_size, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # PyTorch's choice: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        if bias:
            bound = 1 / math.sqrt(init.fan_in_and_fan_out(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, name="Conv2d")

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None}")
