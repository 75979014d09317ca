"""Anomaly mode: find the op that first produced a NaN or an infinity, and the line of your code that made it.

Inside `detect_anomaly()` every op remembers where in the user's code it was created; backward stops at the first op
whose gradient is not finite, naming the op, its input shapes and that line. With `check_forward=True` the forward
pass is checked too. Off by default; when off it costs nothing (the thread has no observer).
"""
from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np

from ..errors import BackwardError, user_frame
from ..function import Node, OpObserver, Variable
from ..grad_mode import _state

class AnomalyError(BackwardError):
    """A NaN or infinity appeared; the message names the op and where it was created."""


def _user_line() -> str:
    """`file:line: code` of the innermost frame outside autograd, nn and optim (the user's line)."""
    frame, _ = user_frame(sys._getframe(2))
    if frame is None:
        return "<unknown>"
    import linecache
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: {code}"


def _not_finite(x: Any) -> bool:
    if x is None:
        return False
    data = x.data if isinstance(x, Variable) else x
    array = np.asarray(data)
    return array.dtype.kind in "fc" and not np.isfinite(array).all()


def _shapes(args: tuple) -> str:
    return ", ".join(str(getattr(a, "shape", "()")) for a in args if isinstance(a, Variable)) or "none"


class _AnomalyObserver(OpObserver):
    def __init__(self, check_forward: bool) -> None:
        self.check_forward = check_forward

    def forward_end(self, token: Any, fn: type, args: tuple, outputs: Any, ctx: Any) -> None:
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        where = _user_line()
        node = next((o._node for o in outputs if isinstance(o, Variable) and o._node is not None), None)
        if node is not None:
            node.created_at = where
        if self.check_forward and any(_not_finite(o) for o in outputs):
            raise AnomalyError(f"{fn.__name__} produced NaN or infinity in the forward pass (inputs of shape "
                               f"{_shapes(args)}), at {where}")

    def backward_end(self, token: Any, node: Node, grads_out: tuple, grads_in: tuple) -> None:
        for i, g in enumerate(grads_in):
            if _not_finite(g):
                where = node.__dict__.get("created_at", "<made before detect_anomaly() was entered>")
                raise AnomalyError(
                    f"{node.name}.backward returned NaN or infinity for its input {i} (inputs of shape "
                    f"{_shapes(node.inputs)}); the op was created at {where}")


class detect_anomaly(threading.local):
    """Context manager: stop at the first NaN/infinity in backward (and in forward with check_forward=True).

    It watches the ops of the thread that entered it. As with no_grad, what to restore is kept per thread (the object is
    a threading.local) and per entry, and entering or leaving is one assignment, so a Ctrl-C cannot leave it on.

    Args:
        check_forward: also check every op's output in the forward pass.
    """

    _entered: tuple | None = None  # (this thread's observers before entering, _entered of the enclosing entry)

    def __init__(self, check_forward: bool = False) -> None:
        self.observer = _AnomalyObserver(check_forward)

    def __enter__(self) -> detect_anomaly:
        self._entered, _state.observers = (_state.observers, self._entered), _state.observers + (self.observer,)
        return self

    def __exit__(self, *exc: object) -> None:
        _state.observers, self._entered = self._entered
