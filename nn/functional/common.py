"""What every functional module shares: `as_tensor` for arguments, the overflow-free exp behind softmax, and `run` for
a fused op whose gradient is another fused op. Imports nothing from nn: the other modules build on it."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, Value
from autograd.function import Node


def as_tensor(x: Any, op: str) -> Tensor:
    """`x` as a Tensor: Tensors pass through, arrays and numbers are wrapped (copied)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Value):
        raise TypeError(f"{op}: expected a Tensor, got a Value; nn layers work on Tensors (see nn.scalar for Values)")
    return Tensor(x)


def shifted_exp(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stable pieces of softmax along `axis` of an ndarray: (x - max(x), exp of that, its sum with keepdims).

    Shifting by the max makes every exponent <= 0, so exp never overflows; softmax is exp / sum and log-softmax is
    shifted - log(sum). The exp array is fresh: callers may divide it in place.
    """
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return shifted, e, e.sum(axis=axis, keepdims=True)


def run(ctx: Node, fn: Any, *args: Any) -> Any:
    """Fused op `fn` inside the backward of `ctx`: its numpy kernel in an ordinary backward (arrays in, an array out),
    recorded with `fn.apply` under create_graph (Tensors in), so the gradient can be differentiated again."""
    if ctx.create_graph:
        return fn.apply(*args)
    return fn.kernel(*args)
