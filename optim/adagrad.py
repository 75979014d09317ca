"""Adagrad: steps divided by the root of the sum of all squared gradients so far."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, StateSpec


class Adagrad(Optimizer):
    """Adagrad, the rule PyTorch's Adagrad follows, for each parameter theta with gradient g at step t = 1, 2, ...:

        g <- -g if maximize;   g <- g + weight_decay * theta
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s <- s + g**2   (s starts at initial_accumulator_value)
        theta <- theta - lr_t * g / (sqrt(s) + eps)

    Args:
        params: parameters (float Tensors or Values) or parameter-group dicts.
        lr: learning rate.
        lr_decay: how fast the learning rate decays with the step count.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: starting value of the sum of squares.
        eps: added to the denominator so it is never zero.
        maximize: climb the objective instead of descending it.
    """

    _state_spec = StateSpec(required=("step", "sum"), nonnegative=("sum",))

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        self._expect_nonnegative(group, where, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(data, group["initial_accumulator_value"])
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * data
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        square_sum = state["sum"]
        square_sum += grad * grad
        data -= lr * grad / (np.sqrt(square_sum) + group["eps"])
