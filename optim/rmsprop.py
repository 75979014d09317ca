"""RMSprop: steps divided by the root of a running average of the squared gradient."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, StateSpec


class RMSprop(Optimizer):
    """RMSprop, the rule PyTorch's RMSprop follows, for each parameter theta with gradient g:

        g <- -g if maximize;   g <- g + weight_decay * theta
        v <- alpha * v + (1 - alpha) * g**2
        centered: a <- alpha * a + (1 - alpha) * g, and v - a**2 (the variance) replaces v below
        with momentum:  b <- momentum * b + g / (sqrt(v) + eps);   theta <- theta - lr * b
        without:        theta <- theta - lr * g / (sqrt(v) + eps)

    Args:
        params: parameters (float Tensors or Values) or parameter-group dicts.
        lr: learning rate.
        alpha: decay rate of the running averages.
        eps: added to the denominator so it is never zero.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor (0 for none).
        centered: divide by the estimated variance of the gradient instead of its mean square.
        maximize: climb the objective instead of descending it.
    """

    _state_spec = StateSpec(required=("step", "square_avg"), optional=("grad_avg", "momentum_buffer"),
                            nonnegative=("square_avg",))

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, maximize: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        self._expect_nonnegative(group, where, "lr", "eps", "weight_decay", "momentum")
        self._expect("alpha", group["alpha"], where, "in [0, 1]", lambda v: 0 <= v <= 1)

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * data
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(data)
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", np.zeros_like(data))
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denom = np.sqrt(square_avg) + group["eps"]
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(data))
            buf *= momentum
            buf += grad / denom
            data -= group["lr"] * buf
        else:
            data -= group["lr"] * grad / denom
