"""Linear layers: Linear (y = x W^T + b), Identity, Flatten and the MLP convenience stack."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd.errors import ShapeError

from . import functional as F
from . import init
from .activation import ReLU
from .container import Sequential
from .module import Module, Parameter


class Linear(Module):
    """y = x @ weight.T + bias, with PyTorch's parameter names, shapes and initialisation.

    Args:
        in_features: size of each input's last axis.
        out_features: size of each output's last axis.
        bias: whether to learn an additive bias.
        dtype: the parameters' dtype (the default dtype, float32, unless given).
    Shape:
        input (..., in_features) -> output (..., out_features).
    Attributes:
        weight: (out_features, in_features), and bias: (out_features,), both drawn from U(-k, k) with
        k = 1/sqrt(in_features) (PyTorch's kaiming_uniform_(a=sqrt(5)) and its bias rule).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.bias = Parameter(np.empty(out_features, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values (from nn.init's generator)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias, name="Linear")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder where a layer is optional). Accepts and ignores any arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge the axes from `start_axis` to `end_axis` into one: (N, C, H, W) -> (N, C*H*W) by default.

    Args:
        start_axis: the first axis merged (1 keeps the batch axis).
        end_axis: the last axis merged.
    """

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis, self.end_axis = start_axis, end_axis

    def forward(self, x: Tensor) -> Tensor:
        ndim = max(x.ndim, 1)
        start, end = self.start_axis % ndim, self.end_axis % ndim
        if not (-ndim <= self.start_axis < ndim and -ndim <= self.end_axis < ndim) or start > end:
            raise ShapeError(f"Flatten: cannot merge axes {self.start_axis}..{self.end_axis} of an input of shape "
                             f"{x.shape}; pick start_axis <= end_axis within its {x.ndim} axes")
        merged = int(np.prod(x.shape[start:end + 1]))
        return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


class MLP(Sequential):
    """Linear layers with `activation` between them and none after the last: MLP([784, 256, 10]).

    Args:
        sizes: the width of each layer, input first (at least two numbers).
        activation: a Module class (or a function returning a Module) put between the Linear layers.
        bias: whether the Linear layers learn biases.
        dtype: the parameters' dtype.
    Shape:
        input (..., sizes[0]) -> output (..., sizes[-1]).
    """

    def __init__(self, sizes: Sequence[int], activation: Any = ReLU, bias: bool = True, dtype: Any = None) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output width, got {sizes}")
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(n_in, n_out, bias=bias, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(activation())
        super().__init__(*layers)
