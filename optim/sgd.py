"""SGD: stochastic gradient descent, with optional momentum (heavy-ball or Nesterov), dampening and weight decay."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, StateSpec


class SGD(Optimizer):
    """Gradient descent, the rule PyTorch's SGD follows, for each parameter theta with gradient g:

        g <- -g if maximize;   g <- g + weight_decay * theta
        with momentum:  b <- g on the first step, else b <- momentum * b + (1 - dampening) * g
                        g <- g + momentum * b (nesterov)  or  g <- b
        theta <- theta - lr * g

    Args:
        params: parameters (float Tensors or Values) or parameter-group dicts.
        lr: learning rate.
        momentum: momentum factor (0 for plain gradient descent).
        dampening: how much of the new gradient the momentum buffer leaves out.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the objective instead of descending it.
    """

    _state_spec = StateSpec(optional=("momentum_buffer",))

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 nesterov: bool = False, weight_decay: float = 0, maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        self._expect_nonnegative(group, where, "lr", "momentum", "weight_decay")
        self._expect("dampening", group["dampening"], where, "in [0, 1]", lambda v: 0 <= v <= 1)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening=0, got momentum="
                             f"{group['momentum']} and dampening={group['dampening']}{where}; set momentum "
                             "(e.g. 0.9) and leave dampening at 0, or turn nesterov off")

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if group["maximize"]:
            grad = -grad
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            grad = grad + weight_decay * data
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, dtype=data.dtype)  # a copy: grad is the user's
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        data -= group["lr"] * grad
