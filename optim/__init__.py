"""optim: optimizers and learning-rate schedules for Tensor and Value parameters."""
from __future__ import annotations

import autograd as _autograd

if getattr(_autograd, "PROJECT", None) != "chainrule":
    raise ImportError(
        f"optim: the `autograd` found at {getattr(_autograd, '__file__', '?')} is not chainrule's but the unrelated "
        "`autograd` package from the package index, installed in the same environment; the two cannot share one. "
        "Fix: create a fresh virtual environment and `pip install -e .` there (or `pip uninstall autograd`).")

from . import lr_scheduler  # noqa: E402  (after the check above: it must run first)
from .adagrad import Adagrad  # noqa: E402
from .adam import Adam, AdamW  # noqa: E402
from .optimizer import Optimizer  # noqa: E402
from .rmsprop import RMSprop  # noqa: E402
from .sgd import SGD  # noqa: E402

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
