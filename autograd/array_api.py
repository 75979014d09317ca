"""Tensor creation and the array functions that take several Tensors (concatenate, stack, where, ...).

It also connects numpy's protocols: `np.exp(t)`, `np.where(c, t, 0)` or `np.concatenate([t, u])` on Tensors run the
matching Tensor op, which is what lets every backward be written once, in numpy, for arrays and Tensors alike.
"""
from __future__ import annotations

import inspect
from typing import Any, Sequence

import numpy as np

from .errors import ShapeError
from .function import Variable
from .grad_mode import _state
from .ops import arithmetic as ar
from .ops import elementwise as ew
from .ops import shape as sh
from .ops.linalg import MatMul
from .pytorch_names import unknown_keywords
from .dtypes import get_default_dtype
from .dtypes import operand as _operand
from .tensor import Tensor

_rng = np.random.default_rng()


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new Tensor holding a copy of `data` (same as `Tensor(...)`)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _shape(shape: tuple) -> tuple:
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


def _made(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._constant(array)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _made(np.zeros(_shape(shape), dtype or get_default_dtype()), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ones."""
    return _made(np.ones(_shape(shape), dtype or get_default_dtype()), requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of `shape` filled with `fill_value`."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _made(np.full(shape, fill_value, dtype or get_default_dtype()), requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype) of `t`."""
    array = np.asarray(t)
    return _made(np.zeros(array.shape, dtype or array.dtype), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype) of `t`."""
    array = np.asarray(t)
    return _made(np.ones(array.shape, dtype or array.dtype), requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False, rng: np.random.Generator | None = None) -> Tensor:
    """Standard normal samples. Pass `rng=np.random.default_rng(seed)` for repeatable numbers (or call `seed`)."""
    rng = rng or _rng
    return _made(rng.standard_normal(_shape(shape)).astype(dtype or get_default_dtype()), requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False, rng: np.random.Generator | None = None) -> Tensor:
    """Uniform samples in [0, 1)."""
    rng = rng or _rng
    return _made(rng.random(_shape(shape)).astype(dtype or get_default_dtype()), requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values like np.arange (default float dtype unless `dtype` is given)."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return _made(values.astype(dtype or get_default_dtype()), requires_grad)


def seed(value: int) -> None:
    """Seed the generator behind randn and rand."""
    global _rng
    _rng = np.random.default_rng(value)


def _tensors(seq: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(seq, (Tensor, np.ndarray)) or not isinstance(seq, (list, tuple)) or not seq:
        raise TypeError(f"{op}: expected a non-empty list or tuple of Tensors, got {type(seq).__name__}")
    first = next((t for t in seq if isinstance(t, Tensor)), None)
    return [t if isinstance(t, Tensor) else Tensor(t, dtype=first.dtype if first is not None else None) for t in seq]


def concatenate(seq: Sequence[Tensor], axis: int = 0, **unknown: Any) -> Tensor:
    """Join Tensors along an existing axis (all other axes must match)."""
    if unknown:
        unknown_keywords(concatenate, unknown)
    tensors = _tensors(seq, "concatenate")
    ndim = tensors[0].ndim
    if ndim == 0 or not -ndim <= axis < ndim:
        raise ShapeError(f"concatenate: axis {axis} is out of bounds for Tensors with {ndim} dimension(s)")
    axis %= ndim
    for t in tensors[1:]:
        if t.ndim != ndim or t.shape[:axis] + t.shape[axis + 1:] != tensors[0].shape[:axis] + tensors[0].shape[axis + 1:]:
            raise ShapeError(f"concatenate: shapes {[x.shape for x in tensors]} differ outside axis {axis}")
    return sh.Concatenate.apply(axis, *tensors)


def stack(seq: Sequence[Tensor], axis: int = 0, **unknown: Any) -> Tensor:
    """Join Tensors of equal shape along a new axis."""
    if unknown:
        unknown_keywords(stack, unknown)
    tensors = _tensors(seq, "stack")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ShapeError(f"stack: all Tensors need the same shape, got {[t.shape for t in tensors]}")
    ndim = tensors[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ShapeError(f"stack: axis {axis} is out of bounds for the {ndim}-d result")
    return concatenate([t.expand_dims(axis % ndim) for t in tensors], axis=axis % ndim)


def split(x: Tensor, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split `x` along `axis` into equal sections (an int) or at the given indices, like np.split."""
    return x.split(indices_or_sections, axis)


def pad(x: Tensor, pad_width: Any, constant_values: float = 0) -> Tensor:
    """Pad with a constant; `pad_width` as in np.pad (an int, a (before, after) pair, or one pair per axis)."""
    return x.pad(pad_width, constant_values)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elements of `a` where `cond` is true, else of `b` (broadcast together); the gradient goes to the chosen one."""
    cond = np.asarray(cond.data if isinstance(cond, Tensor) else cond)
    if cond.dtype != bool:
        cond = cond.astype(bool)
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else Tensor(a)
    return ew.Where.apply(cond, _operand(a, like), _operand(b, like))


def _binary(fn: Any, a: Any, b: Any) -> Tensor:
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else Tensor(a)
    return fn.apply(_operand(a, like), _operand(b, like))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; on ties the gradient is split evenly."""
    return _binary(ew.Maximum, a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; on ties the gradient is split evenly."""
    return _binary(ew.Minimum, a, b)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with numpy's rules (1-d, 2-d and batched)."""
    return _binary(MatMul, a, b)


def _unary(method: str):
    def fn(x: Any) -> Tensor:
        return getattr(x if isinstance(x, Tensor) else Tensor(x), method)()
    fn.__name__ = method
    fn.__doc__ = f"Elementwise {method} (see Tensor.{method})."
    return fn


exp, log, sqrt, sin, cos, tanh, sigmoid, relu = (_unary(m) for m in
                                                 ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu"))
abs = _unary("abs")


def clip(x: Tensor, lo: float | None, hi: float | None) -> Tensor:
    """Limit values to [lo, hi]."""
    return x.clip(lo, hi)


# --- numpy's protocols: numpy functions called on Tensors run Tensor ops ----------------------------------------------
_UFUNCS = {
    np.add: lambda a, b: _binary(ar.Add, a, b), np.subtract: lambda a, b: _binary(ar.Sub, a, b),
    np.multiply: lambda a, b: _binary(ar.Mul, a, b), np.true_divide: lambda a, b: _binary(ar.Div, a, b),
    np.power: lambda a, b: _binary(ar.Pow, a, b), np.matmul: matmul,
    np.maximum: maximum, np.minimum: minimum, np.negative: lambda x: -x, np.positive: lambda x: x,
    np.exp: exp, np.log: log, np.sqrt: sqrt, np.sin: sin, np.cos: cos, np.tanh: tanh, np.absolute: abs,
}

_FUNCTIONS = {
    np.sum: lambda a, axis=None, dtype=None, out=None, keepdims=False: _cast(_t(a).sum(axis=axis, keepdims=keepdims),
                                                                          dtype),
    np.mean: lambda a, axis=None, dtype=None, out=None, keepdims=False: _cast(_t(a).mean(axis=axis, keepdims=keepdims),
                                                                           dtype),
    np.max: lambda a, axis=None, out=None, keepdims=False: _t(a).max(axis=axis, keepdims=keepdims),
    np.min: lambda a, axis=None, out=None, keepdims=False: _t(a).min(axis=axis, keepdims=keepdims),
    np.reshape: lambda a, shape, order="C", **kw: _t(a).reshape(shape) if order == "C"
    else _unsupported("reshape", f"order={order!r}", "only order='C' is supported"),
    np.transpose: lambda a, axes=None: _t(a).transpose(*(() if axes is None else (axes,))),
    np.swapaxes: lambda a, axis1, axis2: _t(a).swapaxes(axis1, axis2),
    np.broadcast_to: lambda a, shape, subok=False: _t(a).broadcast_to(shape),
    np.expand_dims: lambda a, axis: _t(a).expand_dims(axis),
    np.squeeze: lambda a, axis=None: _t(a).squeeze(axis),
    np.concatenate: lambda seq, axis=0, **kw: concatenate(seq, axis),
    np.stack: lambda seq, axis=0, **kw: stack(seq, axis),
    np.split: lambda a, indices_or_sections, axis=0: split(_t(a), indices_or_sections, axis),
    np.pad: lambda a, pad_width, mode="constant", constant_values=0: pad(_t(a), pad_width, constant_values)
    if mode == "constant" else _unsupported("pad", f"mode={mode!r}", "only mode='constant' is supported"),
    np.where: lambda cond, a, b: where(cond, a, b),
    np.clip: lambda a, a_min=None, a_max=None, **kw: _t(a).clip(kw.get("min", a_min), kw.get("max", a_max)),
    np.zeros_like: lambda a, dtype=None, **kw: zeros_like(a, dtype),
    np.ones_like: lambda a, dtype=None, **kw: ones_like(a, dtype),
}


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _cast(t: Tensor, dtype: Any) -> Tensor:
    return t if dtype is None else t.astype(dtype)


def _unsupported(name: str, what: str, why: str) -> Any:
    raise TypeError(f"np.{name} on a Tensor: {what} is not supported ({why}); use Tensor ops, or call it on "
                    ".detach() or .numpy() for a plain array")


def _needs_graph(items: Any) -> bool:
    if isinstance(items, Variable):
        return items.requires_grad
    if isinstance(items, (list, tuple)):
        return any(_needs_graph(i) for i in items)
    if isinstance(items, dict):
        return any(_needs_graph(i) for i in items.values())
    return False


def _to_data(items: Any) -> Any:
    if isinstance(items, Tensor):
        return items.data
    if isinstance(items, list):
        return [_to_data(i) for i in items]
    if isinstance(items, tuple):
        return tuple(_to_data(i) for i in items)
    if isinstance(items, dict):
        return {k: _to_data(v) for k, v in items.items()}
    return items


def _array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    fn = _UFUNCS.get(ufunc)
    if fn is not None and method == "__call__":
        if not kwargs:
            return fn(*inputs)
        if _state.enabled and _needs_graph(inputs):
            _unsupported(ufunc.__name__, ", ".join(f"{k}=" for k in kwargs), "no gradient could flow through it")
    name = ufunc.__name__ + ("" if method == "__call__" else "." + method)
    result = _without_gradient(name, getattr(ufunc, method), inputs, kwargs)
    return Tensor._constant(result) if isinstance(result, np.ndarray) else result


def _array_function(self: Tensor, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
    fn = _FUNCTIONS.get(func)
    if fn is not None:
        if kwargs.get("out") is None:
            try:
                return fn(*args, **kwargs)
            except TypeError:
                if all(k in inspect.signature(fn).parameters for k in kwargs):
                    raise
        # numpy arguments the Tensor op lacks (out=, where=, ...) are fine on plain data, not where a gradient flows
        if _state.enabled and (_needs_graph(args) or _needs_graph(kwargs)):
            known = inspect.signature(fn).parameters
            offending = [k for k in kwargs if k not in known or (k == "out" and kwargs[k] is not None)]
            _unsupported(_numpy_name(func), ", ".join(f"{k}=" for k in offending), "no gradient could flow through it")
    return _without_gradient(_numpy_name(func), func, args, kwargs)


def _numpy_name(func: Any) -> str:
    """The name of a numpy function after "np.", with its submodule: "sum", "linalg.norm", "fft.fft"."""
    module = getattr(func, "__module__", None) or "numpy"
    return ".".join(module.split(".")[1:] + [func.__name__]) if module.startswith("numpy") else func.__name__


def _without_gradient(name: str, func: Any, args: tuple, kwargs: dict) -> Any:
    """A numpy function with no Tensor op runs on the data. That is fine for queries (np.allclose, np.isfinite),
    but a float result computed from a Tensor that requires grad would silently drop its gradient: refuse it."""
    result = func(*_to_data(args), **_to_data(kwargs))
    if np.asarray(result).dtype.kind in "fc" and _state.enabled and (_needs_graph(args) or _needs_graph(kwargs)):
        raise TypeError(f"np.{name} has no gradient in autograd, and its input requires grad; use Tensor ops, "
                        "or call it on .detach() if no gradient should flow through it")
    return result


Tensor.__array_ufunc__ = _array_ufunc
Tensor.__array_function__ = _array_function
