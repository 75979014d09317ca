"""Grad mode: whether running operations record the graph.

The switch is thread-local, so `no_grad()` in one thread never changes what another thread records.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    enabled = True
    scope = None  # the nn.Module calls the running op is inside, innermost last (see function.module_scope)
    observers: tuple = ()  # what watches every op on this thread: profile(), detect_anomaly(), explain()

    def __init__(self) -> None:
        self.entered: list[bool] = []  # the mode before each `with no_grad()/enable_grad()` still open, innermost last


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations record the graph (the default)."""
    return _state.enabled


def _decorate(fn: F, mode: bool) -> F:
    """`fn` run with grad mode `mode`, the previous mode restored afterwards (the decorator form of every switch)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        prev = _state.enabled
        _state.enabled = mode
        try:
            return fn(*args, **kwargs)
        finally:
            _state.enabled = prev

    return wrapper  # type: ignore[return-value]


class set_grad_enabled:
    """Turn recording on or off: as a call, a context manager or a decorator.

    Args:
        mode: True to record operations for backward, False not to.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _state.enabled
        _state.enabled = self.mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self.prev

    def __call__(self, fn: F) -> F:
        _state.enabled = self.prev  # used as a decorator: undo the switch made in __init__
        return _decorate(fn, self.mode)


class _Mode:
    """Base of no_grad/enable_grad: switches on enter, not on construction.

    The mode to restore is kept per thread, not on the instance, so one instance can be nested or shared.
    """

    mode = True

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        return self if fn is None else self(fn)  # `@no_grad` without parentheses decorates `fn` directly

    def __enter__(self) -> None:
        _state.entered.append(_state.enabled)
        _state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled = _state.entered.pop()

    def __call__(self, fn: F) -> F:
        return _decorate(fn, self.mode)


class no_grad(_Mode):
    """Context manager and decorator: operations inside record nothing (inference, optimizer steps)."""

    mode = False


class enable_grad(_Mode):
    """Context manager and decorator: record operations even inside `no_grad()`."""

    mode = True
