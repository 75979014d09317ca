"""Learning-rate schedules: each `step()` sets every parameter group's "lr" for the next epoch (or batch), from a
closed form of the step count; most of them also chain with other schedulers, as in PyTorch (the base class,
LRScheduler, is in scheduler.py)."""
from __future__ import annotations

import copy
import math
from bisect import bisect_right
from typing import Any, Callable, Iterable

from .optimizer import Optimizer, check_number
from .scheduler import LRScheduler, check_optimizer


def _check_int(name: str, key: str, value: Any, least: int) -> None:
    check_number(name, key, value, f"an integer >= {least}", lambda v: v >= least, integer=True)


def _check_real(name: str, key: str, value: Any, rule: str = "a number",
                ok: Callable[[float], bool] | None = None) -> None:
    check_number(name, key, value, rule, ok)


class StepLR(LRScheduler):
    """Multiply the lr by gamma every `step_size` steps: lr_t = base_lr * gamma ** (t // step_size).

    Args:
        optimizer: the Optimizer to schedule.
        step_size: steps between two decays.
        gamma: the factor of each decay.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        _check_int("StepLR", "step_size", step_size, 1)
        _check_real("StepLR", "gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def closed_form(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiply the lr by gamma at each milestone: lr_t = base_lr * gamma ** (number of milestones <= t).

    Args:
        optimizer: the Optimizer to schedule.
        milestones: the steps at which to decay (a milestone listed twice decays twice).
        gamma: the factor of each decay.
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        milestones = list(milestones)
        for m in milestones:
            _check_int("MultiStepLR", "each milestone", m, 0)
        _check_real("MultiStepLR", "gamma", gamma)
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def closed_form(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every step: lr_t = base_lr * gamma ** t.

    Args:
        optimizer: the Optimizer to schedule.
        gamma: the factor of each step.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check_real("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def closed_form(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** t


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from base_lr down to eta_min over T_max steps (and back up after, periodically):

        lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    Args:
        optimizer: the Optimizer to schedule.
        T_max: steps from the top of the cosine to its bottom.
        eta_min: the lowest lr.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0, last_epoch: int = -1) -> None:
        _check_int("CosineAnnealingLR", "T_max", T_max, 1)
        _check_real("CosineAnnealingLR", "eta_min", eta_min, ">= 0", lambda v: v >= 0)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def _floor(self) -> float:
        return self.eta_min

    def closed_form(self, base_lr: float, t: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class LinearLR(LRScheduler):
    """Scale the lr by a factor going linearly from start_factor to end_factor over total_iters steps (a warm-up
    when start_factor < 1): lr_t = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) /
    total_iters).

    Args:
        optimizer: the Optimizer to schedule.
        start_factor: the factor at step 0, in (0, 1].
        end_factor: the factor from step total_iters on, in [0, 1].
        total_iters: steps to go from one factor to the other.
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        _check_real("LinearLR", "start_factor", start_factor, "in (0, 1]", lambda v: 0 < v <= 1)
        _check_real("LinearLR", "end_factor", end_factor, "in [0, 1]", lambda v: 0 <= v <= 1)
        _check_int("LinearLR", "total_iters", total_iters, 1)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def closed_form(self, base_lr: float, t: int) -> float:
        progress = min(t, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class LambdaLR(LRScheduler):
    """Set the lr to base_lr times a function of the step: lr_t = base_lr * lr_lambda(t).

    Args:
        optimizer: the Optimizer to schedule.
        lr_lambda: a function of the step count, or a list of them, one per parameter group.
    """

    chainable = False
    _unsaved = ("optimizer", "lr_lambdas")  # functions are not saved; state_dict adds the callable objects' attributes

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        check_optimizer("LambdaLR", optimizer)
        self.lr_lambdas = _per_group("LambdaLR", "lr_lambda", lr_lambda, len(optimizer.param_groups), _check_function)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * f(self.last_epoch) for base_lr, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        """As the base class, with each lr_lambda saved as None (a function) or its attributes (a callable object)."""
        state = super().state_dict()
        state["lr_lambdas"] = [None if _is_function(f) else copy.deepcopy(f.__dict__) for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = self._checked(state_dict)
        saved = state.pop("lr_lambdas", None) or []
        self.__dict__.update(state)
        for f, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                f.__dict__.update(attributes)


def _is_function(f: Any) -> bool:
    return not hasattr(f, "__dict__") or type(f).__name__ in ("function", "builtin_function_or_method", "method")


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith and Topin): the lr rises from max_lr / div_factor to max_lr over the first
    pct_start of the steps, then anneals to max_lr / (div_factor * final_div_factor); momentum (or Adam's beta1)
    moves the opposite way between max_momentum and base_momentum. Step it after every batch.

    In each phase from step s0 to s1, with p = (t - s0) / (s1 - s0), the lr goes from a to b as
    "cos": b + (a - b) * (1 + cos(pi * p)) / 2, or "linear": a + (b - a) * p.

    Args:
        optimizer: the Optimizer to schedule.
        max_lr: the peak lr (one number, or one per group).
        total_steps: steps in the cycle; or give epochs and steps_per_epoch.
        epochs, steps_per_epoch: total_steps = epochs * steps_per_epoch.
        pct_start: fraction of the steps spent rising.
        anneal_strategy: "cos" or "linear".
        cycle_momentum: also cycle the momentum (the optimizer needs "momentum" or "betas").
        base_momentum, max_momentum: the momentum's low and high values (numbers, or one per group).
        div_factor: initial lr = max_lr / div_factor.
        final_div_factor: final lr = initial lr / final_div_factor.
        three_phase: rise, fall back to the initial lr symmetrically, then anneal to the final lr.
    """

    chainable = False

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True, base_momentum: float = 0.85,
                 max_momentum: float = 0.95, div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        name = "OneCycleLR"
        check_optimizer(name, optimizer)
        if total_steps is not None:
            _check_int(name, "total_steps", total_steps, 1)
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            _check_int(name, "epochs", epochs, 1)
            _check_int(name, "steps_per_epoch", steps_per_epoch, 1)
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{name}: give total_steps, or both epochs and steps_per_epoch")
        _check_real(name, "pct_start", pct_start, "in [0, 1]", lambda v: 0 <= v <= 1)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        _check_real(name, "div_factor", div_factor, "> 0", lambda v: v > 0)
        _check_real(name, "final_div_factor", final_div_factor, "> 0", lambda v: v > 0)
        self.anneal_strategy = anneal_strategy
        rise = float(pct_start * self.total_steps) - 1
        # Each phase: its last step, and the group keys holding its start and end lr and momentum.
        if three_phase:
            self._phases = [(rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (2 * rise, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                            (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        groups = optimizer.param_groups
        max_lrs = _per_group(name, "max_lr", max_lr, len(groups))
        if last_epoch == -1:
            for group, top in zip(groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{name}: cycle_momentum=True needs an optimizer with momentum or betas, and "
                                 f"{type(optimizer).__name__} has neither; pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group(name, "max_momentum", max_momentum, len(groups))
            lows = _per_group(name, "base_momentum", base_momentum, len(groups))
            if last_epoch == -1:
                for group, high, low in zip(groups, highs, lows):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times but the cycle has total_steps={self.total_steps}; "
                             "make total_steps (or epochs * steps_per_epoch) cover the whole run")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_from, lr_to, momentum_from, momentum_to) in enumerate(self._phases):
                if t <= end or i == len(self._phases) - 1:
                    pct = (t - start) / (end - start) if end > start else 1.0
                    lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[momentum_from], group[momentum_to], pct))
                    break
                start = end
        return lrs


def _per_group(name: str, key: str, value: Any, n_groups: int,
               check: Callable[[str, str, Any], None] = _check_real) -> list:
    """`value` for each parameter group: a list or tuple of one per group, or one value for them all; each passes
    `check(name, key, item)`."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n_groups
    if len(values) != n_groups:
        raise ValueError(f"{name}: expected one {key} per parameter group ({n_groups}) or one for all of them, "
                         f"got {len(values)}")
    for v in values:
        check(name, key, v)
    return values


def _check_function(name: str, key: str, value: Any) -> None:
    if not callable(value):
        raise TypeError(f"{name}: {key} must be a function of the step count (or a list of them, one per parameter "
                        f"group), got {type(value).__name__} {value!r}")
