"""The errors autograd raises. Each subclasses the builtin that fits, so `except ValueError` still catches them.

Also where in the user's code a message or warning should point: the first frame outside this project's packages.
"""
from __future__ import annotations

import os
import sys
from types import FrameType

# The folders of the project's three packages: a frame outside them is the user's code.
PACKAGE_DIRS = tuple(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep + name + os.sep
                     for name in ("autograd", "nn", "optim"))


def user_frame(frame: FrameType | None = None, also: tuple = ()) -> tuple[FrameType | None, int]:
    """The innermost frame outside autograd, nn and optim (and the folders in `also`), from `frame` (the caller's by
    default) outwards, and how many frames out it is (a `stacklevel` for warnings.warn, counted from the caller)."""
    frame, level, dirs = frame or sys._getframe(1), 1, PACKAGE_DIRS + also
    while frame is not None and frame.f_code.co_filename.startswith(dirs):
        frame, level = frame.f_back, level + 1
    return frame, level


class AutogradError(Exception):
    """Base of most errors raised by autograd, nn and optim for a usage mistake (builtins such as numpy's AxisError,
    TypeError and IndexError come too, where they say it best)."""


class ShapeError(AutogradError, ValueError):
    """Shapes that do not fit the operation (matmul, reshape, broadcasting, a layer's input)."""


class DTypeError(AutogradError, TypeError):
    """A dtype the operation cannot take (an integer Tensor asked to require grad, say)."""


class BackwardError(AutogradError, RuntimeError):
    """backward() cannot run as asked (non-scalar output without grad=, nothing requires grad, a modified saved tensor)."""


class GraphFreedError(BackwardError):
    """A second backward through a graph whose saved data was freed by the first."""


class GradcheckError(AutogradError, RuntimeError):
    """Analytic and numerical gradients disagree."""


class ForwardModeError(AutogradError, RuntimeError):
    """Forward mode cannot run as asked (an op without a jvp rule, an in-place change that would leave a tangent stale)."""
