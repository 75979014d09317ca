"""Optimizer: the base class that holds parameter groups and per-parameter state, and `param_arrays`, which lends
each parameter's data as an array (`copy_` finishes the update), so one update rule serves Tensors and Values alike.
"""
from __future__ import annotations

import copy
import numbers
from collections import defaultdict
from typing import Any, Callable, Iterable, NamedTuple

import numpy as np

from autograd import Tensor, Value, enable_grad, no_grad
from autograd.errors import ShapeError

Param = Any  # a float Tensor or a Value: anything with `.data` and `.grad`


def param_arrays(p: Param) -> tuple[np.ndarray, np.ndarray | None]:
    """A parameter's data and gradient as arrays, for an update rule to work on.

    A Tensor lends its own data array, so updating it in place updates the parameter. A Value lends its float as a
    0-d float64 array, which `copy_` returns to it after the update; its gradient (a float, 0.0 when nothing reached it) comes
    as a 0-d array too.

    Returns:
        (data, grad), with grad None when a Tensor has no gradient (before backward or after `zero_grad()`);
        optimizers skip such parameters. A Value always has one (0.0 when nothing reached it).
    """
    grad = p.grad
    if isinstance(p, Value):
        return np.array(p.data), np.array(grad.data if isinstance(grad, Value) else grad, dtype=np.float64)
    return p.data, None if grad is None else grad.data


def check_number(name: str, key: str, value: Any, rule: str = "a number", ok: Callable[[Any], bool] | None = None,
                 *, integer: bool = False, where: str = "", message: str | None = None) -> None:
    """The one check of a numeric argument that optimizers and schedulers share.

    Args:
        name: the optimizer or scheduler, named first in the message.
        key: the argument's name.
        value: what was given.
        rule: what a valid value is, in words ("in [0, 1)", "an integer >= 1").
        ok: the rule as a test; None accepts every number.
        integer: demand an integer rather than any real number.
        where: appended to the messages (" in parameter group 1").
        message: the ValueError's message, if not "{name}: {key} must be {rule}, got {value!r}{where}".

    Raises:
        TypeError: `value` is not a number (or not an integer); a bool counts as neither.
        ValueError: `ok(value)` is false (NaN fails every comparison, so every rule).
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name}: {key} must be {'an integer' if integer else 'a number'}, got "
                        f"{type(value).__name__} {value!r}{where}")
    if ok is not None and not ok(value):
        raise ValueError(message or f"{name}: {key} must be {rule}, got {value!r}{where}")


class StateSpec(NamedTuple):
    """What an optimizer keeps for each parameter it has updated, for load_state_dict to check: "step" is the count
    of updates, an integer; every other entry is an array shaped like the parameter."""

    required: tuple[str, ...] = ()  # entries every updated parameter has
    optional: tuple[str, ...] = ()  # entries made on first use only (a momentum buffer, AMSGrad's maximum)
    nonnegative: tuple[str, ...] = ()  # sums and averages of squares


class Optimizer:
    """Base class of the optimizers: parameter groups with their own hyper-parameters, and state per parameter.

    A subclass validates its hyper-parameters in `_check_group` and writes its update rule in `_update`, which works
    in place on numpy arrays; `step` calls it for every parameter that has a gradient, under `no_grad()`.

    Args:
        params: an iterable of parameters (float Tensors or Values), or of dicts `{"params": [...], "lr": ...}`
            that each make a group with its own hyper-parameters (those not given take the defaults).
        defaults: the hyper-parameters of every group, by name.
    """

    _state_spec: StateSpec | None = None  # what `_update` keeps in `state[p]`; None: not said, so not checked

    def __init__(self, params: Iterable[Param] | Iterable[dict], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self._check_group(self.defaults, "")
        self.state: defaultdict[Param, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        for group in _groups_from(params, self._name):
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # --- what a subclass writes ----------------------------------------------------------------------------------
    def _check_group(self, group: dict[str, Any], where: str) -> None:
        """Raise a clear error for an invalid hyper-parameter in `group` (`where` names the group in the message)."""

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update `data` in place from `grad`, keeping buffers in `state`; never modify `grad` (it is the user's)."""
        raise NotImplementedError(f"{self._name}: an optimizer needs an _update(data, grad, state, group) method")

    # --- checks shared by the subclasses -------------------------------------------------------------------------
    def _expect(self, shown: str, value: Any, where: str, rule: str, ok: Callable[[float], bool]) -> None:
        """Raise unless `value` (the hyper-parameter called `shown`) is a real number for which `ok` holds."""
        check_number(self._name, shown, value, rule, ok, where=where,
                     message=f"{self._name}: invalid {shown}={value!r}{where}; it must be {rule}")

    def _expect_nonnegative(self, group: dict[str, Any], where: str, *keys: str) -> None:
        for key in keys:
            self._expect(key, group[key], where, ">= 0", lambda v: v >= 0)

    # --- the public interface ------------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (missing ones take the defaults).

        Args:
            param_group: a dict with "params" (an iterable of parameters, or one parameter) and any hyper-parameters.
        """
        name, index = self._name, len(self.param_groups)
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict like {{'params': [...], 'lr': 0.1}}, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: parameter group {index} has no 'params' entry; give it as "
                             "{'params': [...], ...}")
        group = dict(param_group)
        params = _param_list(group["params"], name, f"parameter group {index}")
        seen: set[int] = set()
        for position, p in enumerate(params):
            _check_param(p, name, f"parameter {position} of group {index}")
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {position} of group {index} appears twice in that group; list "
                                 "each parameter once (a duplicate would be updated twice per step)")
            seen.add(id(p))
        for other, existing in enumerate(self.param_groups):
            if any(id(q) in seen for q in existing["params"]):
                raise ValueError(f"{name}: parameter group {index} shares parameters with group {other}; each "
                                 "parameter may be in only one group")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group, f" in parameter group {index}")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters before the next backward.

        Args:
            set_to_none: give Tensor parameters `grad = None` (else a zero array); a Value's gradient is always set
                to its zero, 0.0.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p, Value):
                    p.grad = 0.0
                elif set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = Tensor._constant(np.zeros_like(p.data))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, once.

        Args:
            closure: optional; a function that clears the gradients, recomputes the loss, calls backward and returns
                the loss. It runs (with gradients recorded) before the update.

        Returns:
            What `closure` returned, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            state = self.state
            for group in self.param_groups:
                for p in group["params"]:
                    data, grad = param_arrays(p)
                    if grad is None:
                        continue
                    self._update(data, grad, state[p], group)
                    # copy_ gives a Value back its float (a Tensor's own array was updated in place: numpy skips
                    # copying an array onto itself) and marks either changed, so a graph that saved the old value
                    # refuses to run backward with it
                    p.copy_(data)
        return loss

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout, with copies of its buffers (numpy arrays).

        Returns:
            {"state": {index: {name: buffer or count}}, "param_groups": [{hyper-parameters..., "params": [indices]}]},
            parameters being numbered in group order from 0.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {key: _copied(value) for key, value in entries.items()}
                 for p, entries in self.state.items() if entries and id(p) in index}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and buffers saved by `state_dict`, onto this optimizer's own parameters.

        The saved state must come from the same kind of optimizer with the same groups and the same number of
        parameters in each; each step count must be an integer >= 0 and each buffer an array of real numbers shaped
        like its parameter (float buffers take the parameter's dtype). Everything is checked before anything changes.

        Raises:
            TypeError, ValueError or ShapeError naming the group, parameter index and entry at fault.
        """
        name = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise TypeError(f"{name}: expected a dict with 'state' and 'param_groups' (from state_dict()), got "
                            f"{type(state_dict).__name__}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or \
                not all(isinstance(g, dict) and isinstance(g.get("params"), (list, tuple)) for g in saved_groups):
            raise ValueError(f"{name}: every entry of 'param_groups' must be a dict with a 'params' list of indices, "
                             "as state_dict() makes them")
        if not isinstance(saved_state, dict):
            raise TypeError(f"{name}: 'state' must be a dict of parameter index -> dict of buffers, got "
                            f"{type(saved_state).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the state dict has {len(saved_groups)} parameter groups but this optimizer has "
                             f"{len(self.param_groups)}; build the optimizer with the same groups as the saved one")
        by_index: dict[int, Param] = {}
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}: parameter group {g} has {len(saved['params'])} parameters in the state "
                                 f"dict but {len(group['params'])} in this optimizer; the state dict belongs to "
                                 "another model")
            for i, p in zip(saved["params"], group["params"]):
                index = _index(i)
                if index is None or index in by_index:
                    raise ValueError(f"{name}: 'params' of parameter group {g} must hold parameter indices (integers, "
                                     f"each once in all the groups), got {i!r}; use a state dict from state_dict()")
                by_index[index] = p
        restored: dict[Param, dict[str, Any]] = {}
        for key, entries in saved_state.items():
            index = _index(key)
            if index not in by_index:
                raise ValueError(f"{name}: the state dict has state for parameter {key!r}, but the saved groups list "
                                 f"only parameters {sorted(by_index)}")
            restored[by_index[index]] = self._restored_state(entries, by_index[index], index, name)
        groups = []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            for k, v in self.defaults.items():
                new.setdefault(k, v)
                if isinstance(v, bool) and not isinstance(new[k], bool):  # a flag: "no" would count as true
                    raise TypeError(f"{self._name}: {k} must be True or False, got {new[k]!r} in parameter group "
                                    f"{g} of the state dict")
            self._check_group(new, f" in parameter group {g} of the state dict")
            groups.append(new)
        # Groups are updated in place: schedulers and user code hold references to these very dicts.
        for group, new in zip(self.param_groups, groups):
            params = group["params"]
            group.clear()
            group.update(new, params=params)
        self.state = defaultdict(dict, restored)

    def _restored_state(self, entries: Any, p: Param, index: int, name: str) -> dict[str, Any]:
        """One parameter's saved state, checked against `_state_spec` and `p`, with its buffers copied."""
        where = f"{name}: the state of parameter {index}"
        if not isinstance(entries, dict):
            raise TypeError(f"{where} must be a dict of name -> buffer, got {type(entries).__name__}")
        spec = self._state_spec
        if spec is not None:  # (an optimizer that does not say what it keeps gets only _restored's checks)
            unknown = [k for k in entries if k not in spec.required + spec.optional]
            if unknown:
                raise ValueError(f"{where} has {unknown}, which {self._name} does not keep (it keeps "
                                 f"{list(spec.required + spec.optional)}); the state dict comes from another optimizer")
            lacking = [k for k in spec.required if k not in entries]
            if entries and lacking:
                raise ValueError(f"{where} lacks {lacking}, which {self._name} keeps for every parameter it has "
                                 "updated; the state dict comes from another optimizer or was cut")
        return {k: _restored(v, p, k, index, name, spec) for k, v in entries.items()}

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])


def _groups_from(params: Any, name: str) -> list[dict[str, Any]]:
    """The parameter groups described by an optimizer's `params` argument."""
    items = _param_list(params, name, "optimizer", refuse_single=True)
    dicts = [isinstance(item, dict) for item in items]
    if all(dicts):
        return items
    if any(dicts):
        raise TypeError(f"{name}: params mixes parameters and group dicts; pass either parameters or a list of "
                        "{'params': [...], ...} dicts")
    return [{"params": items}]


def _param_list(params: Any, name: str, what: str, refuse_single: bool = False) -> list:
    """`params` as a list, with clear errors for a set, a non-iterable or an empty iterable, and for a lone
    parameter if `refuse_single` (an optimizer's own argument must be a list; a group dict's "params" need not)."""
    if isinstance(params, (Tensor, Value)):
        if not refuse_single:  # inside a group dict a single parameter is fine, as in PyTorch
            return [params]
        raise TypeError(f"{name}: params must be an iterable of parameters, got a single {type(params).__name__}; "
                        "wrap it in a list: [w]")
    if isinstance(params, (set, frozenset)):
        raise TypeError(f"{name}: params must be an ordered iterable (a list), got a {type(params).__name__}, whose "
                        "order changes between runs; pass a list")
    if isinstance(params, (str, bytes, dict)) or not isinstance(params, Iterable):
        raise TypeError(f"{name}: params must be an iterable of parameters or of group dicts, got "
                        f"{type(params).__name__}")
    used_up = iter(params) is params  # a generator or iterator: it can be read only once
    items = list(params)
    if not items:
        if used_up:
            raise ValueError(f"{name}: {what} got an empty parameter list; if you passed model.parameters() twice, "
                             "the generator was used up: pass list(model.parameters())")
        raise ValueError(f"{name}: {what} got an empty parameter list; pass the parameters to optimize, e.g. "
                         "list(model.parameters())")
    return items


def _check_param(p: Any, name: str, where: str) -> None:
    if isinstance(p, Value):
        kind = "Value"
    elif isinstance(p, Tensor):
        if p.data.dtype.kind != "f":
            raise TypeError(f"{name}: can only optimize float Tensors and Values, but {where} is a Tensor of dtype "
                            f"{p.data.dtype}; make it float (Tensor(data, dtype=np.float32))")
        kind = "Tensor"
    else:
        raise TypeError(f"{name}: can only optimize float Tensors and Values, but {where} is a "
                        f"{type(p).__name__}")
    if p._node is not None:
        raise ValueError(f"{name}: {where} is not a leaf {kind} (it was computed by an operation), so it cannot be "
                         "optimized; optimize the leaves it was computed from, or use x.detach() as a new leaf")


def _copied(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _index(key: Any) -> int | None:
    """A parameter index as state_dict() writes it (an int; a digit string after a JSON round trip), else None."""
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return int(key) if isinstance(key, numbers.Integral) and not isinstance(key, bool) else None


def _restored(value: Any, p: Param, key: str, index: int, name: str, spec: StateSpec | None) -> Any:
    """A saved state entry checked against its parameter and copied: the step count an integer >= 0, a buffer an
    array of real numbers shaped like the parameter, in the parameter's dtype."""
    where = f"{name}: state '{key}' of parameter {index}"
    if key == "step":
        if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu":
            value = value.item()  # what nn.load gives back for a saved count
        check_number(name, f"state 'step' of parameter {index}", value, "the number of steps taken, an integer >= 0",
                     lambda v: v >= 0, integer=True)
        return int(value)
    shape = np.shape(p.data)
    if not isinstance(value, np.ndarray):
        if spec is None:
            return copy.deepcopy(value)
        raise TypeError(f"{where} must be a numpy array of shape {shape}, got {type(value).__name__}")
    if value.dtype.kind not in "iuf":
        raise TypeError(f"{where} must hold real numbers (a float array), got dtype {value.dtype}")
    if value.shape != shape:
        raise ShapeError(f"{where} has shape {value.shape} but the parameter has shape {shape}; the state dict "
                         "belongs to another model or parameter order")
    if spec is not None and key in spec.nonnegative and value.size and value.min() < 0:
        raise ValueError(f"{where} holds negative values (down to {value.min()}), but it sums squares, which "
                         "are never negative; the state dict was changed or damaged")
    return value.astype(np.float64 if isinstance(p, Value) else p.data.dtype)
