"""The pooling layers MaxPool2d and AvgPool2d: their settings; the maths is F.max_pool2d and F.avg_pool2d
(nn/functional/pooling.py)."""
from __future__ import annotations

from typing import Any

from autograd import Tensor

from . import functional as F
from .functional.pooling import pool_settings
from .module import Module


class _Pool(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = pool_settings(kernel_size, stride, padding, type(self).__name__)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool):
    """Max pooling layer (see max_pool2d).

    Args:
        kernel_size, stride (default: kernel_size), padding: an int or an (h, w) pair.
    Shape:
        input (N, C, H, W) -> output (N, C, OH, OW), OH = (H + 2 padding - kH) // stride + 1.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, name="MaxPool2d")


class AvgPool2d(_Pool):
    """Average pooling layer (see avg_pool2d).

    Args:
        kernel_size, stride (default: kernel_size), padding: an int or an (h, w) pair.
    Shape:
        input (N, C, H, W) -> output (N, C, OH, OW), OH = (H + 2 padding - kH) // stride + 1.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, name="AvgPool2d")
