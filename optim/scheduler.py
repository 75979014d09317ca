"""LRScheduler, the base class of the learning-rate schedules: it steps a schedule's closed form, chains it with other
schedulers, and saves and checks its state dict (the schedules themselves are in lr_scheduler.py)."""
from __future__ import annotations

import copy
import numbers
from typing import Any

from .optimizer import Optimizer, check_number


class LRScheduler:
    """Base class: holds the optimizer, each group's starting lr (`base_lrs`) and the step count (`last_epoch`).

    Constructing a scheduler takes its first step (t = 0), so the optimizer starts with the schedule's first lr.
    A schedule gives the lr as `closed_form(base_lr, t)`. A chainable one (StepLR, MultiStepLR, ExponentialLR,
    CosineAnnealingLR, LinearLR), finding that something else changed the lr since its last step (another scheduler,
    say a LinearLR warm-up stepped alongside), applies its own change, closed_form(t) / closed_form(t - 1), to that
    lr instead, so stacked schedules multiply as in PyTorch. LambdaLR and OneCycleLR set the lr outright.

    Args:
        optimizer: the Optimizer whose groups' "lr" this sets.
        last_epoch: the index of the last step taken, to resume a schedule (-1 to start one).
    """

    chainable = True  # False: the lr is set outright from base_lrs
    _unsaved: tuple[str, ...] = ("optimizer",)  # attributes state_dict leaves out

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        check_optimizer(name, optimizer)
        check_number(name, "last_epoch", last_epoch, "an integer >= -1 (-1 starts a new schedule)",
                     lambda v: v >= -1, integer=True)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError(f"{name}: resuming with last_epoch={last_epoch} needs 'initial_lr' in parameter "
                                 f"group {i}; load the optimizer's state dict first, or start with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def closed_form(self, base_lr: float, t: int) -> float:
        """The lr this schedule gives at step `t` to a group starting at `base_lr`."""
        raise NotImplementedError(f"{type(self).__name__}: a scheduler needs a closed_form(base_lr, t) method")

    def _floor(self) -> float:
        """The lr the schedule scales towards (0 for most; eta_min for cosine annealing)."""
        return 0.0

    def get_lr(self) -> list[float]:
        """The lr of each group at the current `last_epoch` (what `step()` sets)."""
        t, floor = self.last_epoch, self._floor()
        lrs = []
        for base_lr, group in zip(self.base_lrs, self.optimizer.param_groups):
            target = self.closed_form(base_lr, t)
            previous = self.closed_form(base_lr, t - 1) if t > 0 else base_lr
            current = group["lr"]
            if self.chainable and current != previous:
                # Something else changed the lr since this schedule set it: apply this schedule's own change to it,
                # as a ratio (about the floor), or as a difference where the ratio is undefined.
                if previous != floor:
                    target = floor + (target - floor) * (current - floor) / (previous - floor)
                else:
                    target = current + (target - floor)
            lrs.append(target)
        return lrs

    def step(self) -> None:
        """Advance the schedule by one step and set each group's lr."""
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lr of each group as last set by this scheduler."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything the scheduler holds except the optimizer (save the optimizer's own state dict beside it)."""
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items() if key not in self._unsaved}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by `state_dict`: the same keys as this scheduler's own, each value of the same kind
        (an integer, a number, a string, a list as long); everything is checked before anything changes."""
        self.__dict__.update(self._checked(state_dict))

    def _checked(self, state_dict: Any) -> dict[str, Any]:
        """A copy of `state_dict` without retired keys, after checking it against this scheduler's own state."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}: expected a dict (from state_dict()), got {type(state_dict).__name__}")
        state, own = _without_retired(copy.deepcopy(state_dict)), self.state_dict()
        unknown = [key for key in state if key not in own]
        if unknown:
            raise ValueError(f"{name}: the state dict has {unknown}, which {type(self).__name__} does not keep; it "
                             "comes from another kind of scheduler")
        for key, value in state.items():
            expected = _unlike(own[key], value)
            if expected:
                raise TypeError(f"{name}: '{key}' must be {expected} like this scheduler's, got {value!r}; the state "
                                "dict comes from another scheduler or was changed")
        check_number(name, "'last_epoch'", state.get("last_epoch", -1), "an integer >= -1", lambda v: v >= -1,
                     integer=True)
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


_RETIRED_KEYS = ("_step_count",)  # saved by older versions, read by nothing now


def _unlike(own: Any, saved: Any) -> str | None:
    """What `saved` should be, if it is not of the same kind as this scheduler's `own` value (None if it is): a
    bool, an integer, a number, a string, None, a dict, or a list as long with items of the same kinds."""
    if isinstance(own, (list, tuple)):
        if not isinstance(saved, (list, tuple)) or len(saved) != len(own):
            return f"a list of {len(own)}"
        wrong = [_unlike(a, b) for a, b in zip(own, saved)]
        return next((f"a list of {len(own)}, each {w}" for w in wrong if w), None)
    kinds = [(bool, "True or False"), (numbers.Integral, "an integer"), (numbers.Real, "a number"), (str, "a string"),
             (type(None), "None"), (dict, "a dict")]
    for kind, said in kinds:
        if isinstance(own, kind):
            return None if isinstance(saved, kind) and (kind is bool or not isinstance(saved, bool)) else said
    return None


def _without_retired(state: dict[str, Any]) -> dict[str, Any]:
    """`state` without the retired keys, so state dicts saved by older versions still load."""
    for key in _RETIRED_KEYS:
        state.pop(key, None)
    return state


def check_optimizer(name: str, optimizer: Any) -> None:
    """Refuse anything but an optim.Optimizer (`name`, the scheduler, opens the message)."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected an optim.Optimizer, got {type(optimizer).__name__}")
