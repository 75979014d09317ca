"""Grad mode: whether running operations record the graph, and the rest of each thread's autograd state.

The state is thread-local, so `no_grad()`, `detect_anomaly()` or a profile in one thread never changes what another
thread records or checks. Each switch is one statement with no call in it, made last when entering and first when
leaving, and it puts back the value found before. CPython raises KeyboardInterrupt (Ctrl-C) only as a call returns,
as a loop jumps back or as a function starts, so a Ctrl-C never leaves half a switch behind. The one moment a context
manager written in Python cannot guard is the start of its own __exit__; there an enclosing block puts the state right
(a try/finally, as in the decorator forms, nn.Module calls and the engine's backward, has no such moment).
"""
from __future__ import annotations

import dis
import functools
import sys
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    enabled = True
    scope = None      # the nn.Module calls the running op is inside, innermost last (set by nn.Module.__call__)
    observers = ()    # the OpObservers watching this thread's ops (anomaly mode, profiles), innermost last; a tuple,
    #                   replaced and never changed in place, so entering or leaving one is a single assignment
    in_backward = False  # the engine's backward pass is running on this thread (what it records is backward's)


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations record the graph (the default)."""
    return _state.enabled


def _grad_mode_was_why(x: Any, what: str) -> str | None:
    """backward's message for `x` (a `what`: Tensor or Value) that does not require grad, when grad mode is why."""
    if x._made_with_grad_off:
        still = "; grad mode is still off: call autograd.set_grad_enabled(True) first" if not _state.enabled else ""
        return (f"backward: this {what} does not require grad because it was computed with grad mode off (inside "
                f"no_grad(), or after set_grad_enabled(False)), so no graph was recorded; compute it with grad mode "
                f"on{still}")
    if not _state.enabled:
        return (f"backward: this {what} does not require grad, and grad mode is off (set_grad_enabled(False) was "
                "called, or a no_grad() block did not end), so no operation records a graph; call "
                "autograd.set_grad_enabled(True), then compute it from leaves with requires_grad=True")
    return None


def _decorate(fn: F, mode: bool) -> F:
    """`fn` run with grad mode `mode`, the previous mode restored afterwards (the decorator form of every switch)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        prev = _state.enabled
        try:  # the switch inside the try: nothing can come between it and the finally that undoes it
            _state.enabled = mode
            return fn(*args, **kwargs)
        finally:
            _state.enabled = prev

    return wrapper  # type: ignore[return-value]


# The instruction that enters a `with` block, right after the call that made its context manager (3.10: SETUP_WITH;
# 3.11 to 3.13: BEFORE_WITH, after the call's inline CACHE entries). On a Python with neither, no call is recognised
# and set_grad_enabled always switches when called, as PyTorch's does.
_ENTER_WITH = {dis.opmap[name] for name in ("SETUP_WITH", "BEFORE_WITH") if name in dis.opmap}
_CACHE = dis.opmap.get("CACHE", -1)


def _opens_with_block(frame: Any) -> bool:
    """Whether the call `frame` is making is the expression of a `with` statement (its next instruction enters it)."""
    code = frame.f_code.co_code
    i = frame.f_lasti + 2
    while i < len(code) and code[i] == _CACHE:
        i += 2
    return i < len(code) and code[i] in _ENTER_WITH


class set_grad_enabled:
    """Turn recording on or off: as a call, a context manager or a decorator.

    As a plain call it switches at once, like PyTorch's. In `with set_grad_enabled(mode):` it switches as the block
    is entered: Python checks for Ctrl-C between the call and the block, and a switch made at the call would stay if
    one landed there. Either way the block ends with the mode found at the call.

    Args:
        mode: True to record operations for backward, False not to.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _state.enabled  # what the block (or __call__) puts back
        if not _opens_with_block(sys._getframe(1)):
            _state.enabled = self.mode

    def __enter__(self) -> None:
        _state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self.prev

    def __call__(self, fn: F) -> F:
        _state.enabled = self.prev  # used as a decorator: undo the switch made in __init__
        return _decorate(fn, self.mode)


class _Mode(threading.local):
    """Base of no_grad/enable_grad: switches on enter, not on construction.

    What to restore is kept per thread (the object is a threading.local) and per entry (a stack, innermost first), so
    one object can be nested or shared by threads. Entering pushes the mode found and switches in one statement;
    leaving pops and restores in one; an outer block restores the mode it found even if an inner one was cut short.
    """

    mode = True
    _entered: tuple | None = None  # (mode found on entering, _entered of the enclosing entry of this object)

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        return self if fn is None else self(fn)  # `@no_grad` without parentheses decorates `fn` directly

    def __enter__(self) -> None:
        self._entered, _state.enabled = (_state.enabled, self._entered), self.mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled, self._entered = self._entered

    def __call__(self, fn: F) -> F:
        return _decorate(fn, self.mode)


class no_grad(_Mode):
    """Context manager and decorator: operations inside record nothing (inference, optimizer steps)."""

    mode = False


class enable_grad(_Mode):
    """Context manager and decorator: record operations even inside `no_grad()`."""

    mode = True
