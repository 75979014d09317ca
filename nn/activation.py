"""Activation layers and Dropout: each holds its settings and calls nn.functional for the maths."""
from __future__ import annotations

from typing import Any

from autograd import Tensor
from autograd.pytorch_names import unknown_keywords

from . import functional as F
from .module import Module


class ReLU(Module):
    """max(x, 0), elementwise.

    Shape: any; the output has the input's shape (as for every layer in this file).
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x.

    Args:
        negative_slope: the slope for negative inputs.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """x * Phi(x) (Phi the standard normal CDF), the activation of BERT and GPT.

    Args:
        approximate: "none" for the exact form (with erf), "tanh" for GPT-2's tanh formula.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `axis`.

    Args:
        axis: the axis that sums to 1 (the class axis).
    """

    def __init__(self, axis: int = -1, **unknown: Any) -> None:
        if unknown:
            unknown_keywords(Softmax.__init__, unknown)
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Dropout(Module):
    """In training mode zero each element with probability p and scale the rest by 1/(1 - p); in eval mode pass
    the input through unchanged. Masks come from nn.init's generator, so `nn.init.seed(n)` makes them repeatable.

    Args:
        p: the probability of zeroing an element.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
