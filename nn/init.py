"""Weight initialisation, in place on a Tensor's data, with PyTorch's formulas (fan_in/fan_out, gain).

Every function draws from one seedable generator (`seed(n)`), which the layers use too, so a seed makes model creation
repeatable; pass `generator=np.random.default_rng(...)` to use your own instead.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor

_generator = np.random.default_rng()


def seed(value: int) -> None:
    """Seed the generator that nn.init, the layers' initialisation and dropout draw from."""
    global _generator
    _generator = np.random.default_rng(value)


def get_generator() -> np.random.Generator:
    """The generator nn.init, the layers and dropout draw from (see `seed`)."""
    return _generator


def _fill(tensor: Tensor, values: Any, op: str) -> Tensor:
    """Write `values` into the tensor's array (same array, same dtype); copy_ notes the in-place change."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{op}: expected a Tensor or Parameter, got {type(tensor).__name__}")
    return tensor.copy_(values)


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return _generator if generator is None else generator


def fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) as PyTorch counts them: a weight of shape (out, in, *kernel) has fan_in = in * prod(kernel)
    and fan_out = out * prod(kernel)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"nn.init: fan_in and fan_out need a Tensor with at least 2 dimensions, got shape {shape}; "
                         "use uniform_ or normal_ for biases")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor PyTorch scales initial weights by for a nonlinearity (so activations keep their variance).

    Args:
        nonlinearity: "linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu" or "selu".
        param: the negative slope for "leaky_relu" (0.01 when None).
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of linear, conv2d, "
                     "sigmoid, tanh, relu, leaky_relu, selu")


def _fan(tensor: Tensor, mode: str, op: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init.{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Fill with samples from U(a, b). Returns the tensor."""
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape), "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Fill with samples from N(mean, std**2). Returns the tensor."""
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape), "normal_")


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill with `value`. Returns the tensor."""
    return _fill(tensor, value, "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0. Returns the tensor."""
    return _fill(tensor, 0, "zeros_")


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1. Returns the tensor."""
    return _fill(tensor, 1, "ones_")


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)). Returns the tensor."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None) -> Tensor:
    """Glorot: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)). Returns the tensor."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """He: U(-bound, bound) with bound = gain * sqrt(3 / fan). Returns the tensor.

    Args:
        a: the negative slope of the leaky ReLU that follows (PyTorch's layers use sqrt(5), giving 1/sqrt(fan_in)).
        mode: "fan_in" keeps the forward variance, "fan_out" the backward one.
        nonlinearity: passed to `calculate_gain` with `a`.
    """
    fan = _fan(tensor, mode, "kaiming_uniform_")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """He: N(0, std**2) with std = gain / sqrt(fan). Returns the tensor (arguments as in `kaiming_uniform_`)."""
    fan = _fan(tensor, mode, "kaiming_normal_")
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)
