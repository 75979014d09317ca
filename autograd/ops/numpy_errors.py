"""numpy's floating-point warnings (log of a negative, division by zero), said with the op's name at the user's line.

numpy warns from the line that called it, which for a Tensor op is inside this package; the ops that can meet a
domain error or a pole (log, sqrt, divide, pow) wrap their forward in `numpy_warnings_as` to warn at the user's code.
"""
from __future__ import annotations

import functools
import os
import sys
import warnings
from typing import Callable

import numpy as np

from ..errors import user_frame

_NUMPY_DIR = (os.path.dirname(np.__file__) + os.sep,)


def _warn_at_user_line(message: str) -> None:
    """A RuntimeWarning attributed to the first frame outside autograd, nn, optim and numpy: the user's line (what
    Python 3.12's skip_file_prefixes does, walked by hand for 3.10 and 3.11)."""
    _, level = user_frame(sys._getframe(1), also=_NUMPY_DIR)
    warnings.warn(message, RuntimeWarning, stacklevel=level + 1)  # + 1: counted from this function


def numpy_warnings_as(messages: dict[str, str]) -> Callable:
    """A decorator for a forward: where numpy would warn from inside it ("invalid value encountered in log"),
    say `messages[kind]` instead (kind: "divide by zero" or "invalid value"), at the user's line, and only if the
    user's np.errstate does not ignore that kind ("raise" raises FloatingPointError with the message).

    numpy calls the handler only when its floating-point check signalled, so valid input pays no extra pass over
    the data, only the switch of error state (under 1 us per call).
    """
    signalled: list[str] = []  # filled by numpy's call; shared by threads, so a rare race can only misplace a warning
    state = np.errstate(divide="call", invalid="call", call=lambda kind, flags: signalled.append(kind))

    def decorate(forward: Callable) -> Callable:
        guarded = state(forward)

        @functools.wraps(forward)
        def checked(ctx, *args):
            out = guarded(ctx, *args)
            if signalled:  # back in the user's error state: honour it
                kinds = set(signalled)
                signalled.clear()
                user = np.geterr()
                for kind in sorted(kinds):
                    action = user["divide" if kind == "divide by zero" else "invalid"]
                    if action == "raise":
                        raise FloatingPointError(messages[kind])
                    if action != "ignore":
                        _warn_at_user_line(messages[kind])
            return out
        return checked
    return decorate
