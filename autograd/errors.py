"""The errors autograd raises. Each subclasses the builtin that fits, so `except ValueError` still catches them."""
from __future__ import annotations


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
