"""Adam and AdamW: steps scaled by running averages of the gradient and of its square, with bias correction; AdamW
decays the weights directly instead of through the gradient."""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, StateSpec


class Adam(Optimizer):
    """Adam, the rule PyTorch's Adam follows, for each parameter theta with gradient g at step t = 1, 2, ...:

        g <- -g if maximize;   g <- g + weight_decay * theta
        m <- beta1 * m + (1 - beta1) * g            v <- beta2 * v + (1 - beta2) * g**2
        amsgrad: v_max <- max(v_max, v), used in place of v below
        theta <- theta - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    Args:
        params: parameters (float Tensors or Values) or parameter-group dicts.
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator so it is never zero.
        weight_decay: L2 penalty added to the gradient.
        amsgrad: divide by the largest second moment seen so far (the AMSGrad variant).
        maximize: climb the objective instead of descending it.
    """

    _state_spec = StateSpec(required=("step", "exp_avg", "exp_avg_sq"), optional=("max_exp_avg_sq",),
                            nonnegative=("exp_avg_sq", "max_exp_avg_sq"))
    _decoupled = False  # AdamW: weight decay shrinks theta directly, outside the averages

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        self._expect_nonnegative(group, where, "lr", "eps", "weight_decay")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{self._name}: betas must be a pair (beta1, beta2) such as (0.9, 0.999), got "
                            f"{betas!r}{where}")
        for i, beta in enumerate(betas):
            self._expect(f"betas[{i}]", beta, where, "in [0, 1)", lambda v: 0 <= v < 1)

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            if self._decoupled:
                data *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * data
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(data)
            state["exp_avg_sq"] = np.zeros_like(data)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        if group["amsgrad"]:
            # The running maximum of the raw second moment, bias-corrected below like v (as PyTorch computes it).
            max_sq = state.setdefault("max_exp_avg_sq", np.zeros_like(data))
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
            exp_avg_sq = max_sq
        denom = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2 ** step) + group["eps"]
        data -= (lr / (1 - beta1 ** step)) * exp_avg / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), the rule PyTorch's AdamW follows:

        theta <- theta * (1 - lr * weight_decay), then the Adam step on g without any weight-decay term.

    Args:
        params: parameters (float Tensors or Values) or parameter-group dicts.
        lr: learning rate.
        betas: decay rates of the running averages of the gradient and of its square.
        eps: added to the denominator so it is never zero.
        weight_decay: fraction of theta (times lr) removed every step.
        amsgrad: divide by the largest second moment seen so far (the AMSGrad variant).
        maximize: climb the objective instead of descending it.
    """

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)
