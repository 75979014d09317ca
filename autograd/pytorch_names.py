"""PyTorch's names for what numpy (and so this project) calls otherwise: a PyTorch habit such as `x.view(...)` or
`x.sum(dim=1)` gets an error that names the call to make here, from the two tables below.

Nothing here runs on an ordinary call: the names are looked up only once a call has already failed.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

# PyTorch's Tensor method -> what to use on a Tensor here
NAMES = {
    "view": "x.reshape(...) (numpy's name; it takes the same shape arguments, -1 included)",
    "permute": "x.transpose(...) (numpy's transpose takes the full order of the axes, as permute does)",
    "unsqueeze": "x.expand_dims(axis) (numpy's name)",
    "dim": "x.ndim (numpy's name, a property)",
    "numel": "x.size (numpy's name, a property: the number of elements)",
    "to": "x.astype(dtype) for a dtype; there are no devices (numpy, on the CPU), so drop .to(device)",
    "cpu": "x itself: Tensors live in numpy on the CPU, so drop .cpu()",
    "cuda": "x itself: there are no devices (numpy, on the CPU), so drop .cuda()",
}

# PyTorch's function -> the autograd function to use (autograd.cat says so)
FUNCTIONS = {"cat": "autograd.concatenate(tensors, axis=...) (numpy's name)"}

# PyTorch's keyword -> (numpy's keyword, how a PyTorch value becomes a numpy one)
KEYWORDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "dim": ("axis", lambda v: v),
    "keepdim": ("keepdims", lambda v: v),
    "unbiased": ("ddof", int),       # unbiased=True divides by n - 1: ddof=1 (PyTorch's default; numpy's is ddof=0)
    "correction": ("ddof", lambda v: v),
}


class PyTorchName:
    """A class attribute named as in PyTorch whose lookup raises an AttributeError naming what to use here (so
    `hasattr(x, "view")` stays False, as for any missing attribute)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        raise AttributeError(f"{(owner or type(obj)).__name__} has no .{self.name} (PyTorch's name); use "
                             f"{NAMES[self.name]}", name=self.name, obj=obj)


class ElementCount(int):
    """Tensor.size: numpy's element count, an int. Calling it, as PyTorch's `x.size()`, says what to use instead."""

    def __call__(self, dim: Any = None) -> Any:
        axis = "d" if dim is None else dim
        raise TypeError(f"Tensor.size is numpy's element count ({int(self)}), an int, not PyTorch's size(); use "
                        f"x.shape for the length of every axis and x.shape[{axis}] for that of axis {axis}")


def unknown_keywords(fn: Callable, given: dict) -> None:
    """Raise the TypeError for keyword arguments `fn` does not take, naming numpy's keywords for PyTorch's ones (dim=
    is axis=, keepdim= is keepdims=) and the call to write."""
    takes = [p.name for p in inspect.signature(fn).parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]
    op = fn.__qualname__.removesuffix(".__init__")  # Tensor.sum, concatenate, Softmax
    renamed = {}
    for key, value in given.items():
        numpy_key, convert = KEYWORDS.get(key, (None, None))
        if numpy_key not in takes:
            also = f" (nor numpy's {numpy_key}=)" if numpy_key else ""
            raise TypeError(f"{op}() got an unexpected keyword argument {key!r}; it takes ({', '.join(takes)}){also}")
        renamed[numpy_key] = convert(value)
    raise TypeError(f"{op} takes numpy's {_names(renamed)}, not PyTorch's {_names(given)}: write "
                    f"{_keywords(renamed)} in place of {_keywords(given)}")


def _names(arguments: dict) -> str:
    return " and ".join(f"{k}=" for k in arguments)


def _keywords(arguments: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in arguments.items())
