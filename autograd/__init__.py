"""autograd: reverse-mode automatic differentiation for scalars (Value) and numpy arrays (Tensor), on one engine.

Importing it imports numpy only; drawing (graphviz) and everything heavier load on first use.
"""
from __future__ import annotations

from .array_api import (abs, arange, clip, concatenate, cos, exp, full, log, matmul, maximum, minimum, ones,
                        ones_like, pad, rand, randn, relu, seed, sigmoid, sin, split, sqrt, stack, tanh, tensor, where,
                        zeros, zeros_like)
from .engine import grad
from .errors import (AutogradError, BackwardError, DTypeError, GradcheckError, GraphFreedError, ShapeError)
from .function import Function, Node
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from .dtypes import get_default_dtype, set_default_dtype
from .tensor import Tensor
from .value import Value

__version__ = "0.1.0"
PROJECT = "chainrule"  # nn and optim check this to be sure the `autograd` they import is this project's

__all__ = [
    "Tensor", "Value", "Function", "Node", "tensor", "grad", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "gradcheck", "gradgradcheck", "set_default_dtype", "get_default_dtype",
    "zeros", "ones", "full", "zeros_like", "ones_like", "randn", "rand", "arange", "seed",
    "concatenate", "stack", "split", "pad", "where", "maximum", "minimum", "matmul", "clip",
    "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs",
    "AutogradError", "BackwardError", "DTypeError", "GradcheckError", "GraphFreedError", "ShapeError",
]

# Loaded on first use, so `import autograd` stays numpy-only: drawing needs graphviz, the others are seldom needed.
_LAZY = {
    "draw": ("tools.viz", "draw"),
    "animate": ("tools.animate", "animate"),
    "explain": ("tools.explain", "explain"),
    "profile": ("tools.profiler", "profile"),
    "detect_anomaly": ("tools.anomaly", "detect_anomaly"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        module_name, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module_name}", __name__), attr)
        globals()[name] = value
        return value
    if name in ("tools", "func"):  # autograd.func: the function transforms (grad, jvp, jacfwd, hessian, ...)
        import importlib
        return importlib.import_module(f".{name}", __name__)
    from .pytorch_names import FUNCTIONS
    hint = f" (PyTorch's name); use {FUNCTIONS[name]}" if name in FUNCTIONS else ""
    raise AttributeError(f"module 'autograd' has no attribute {name!r}{hint}")
