"""In-place changes to Tensors: `x += y` (and -=, *=, /=) and `x[index] = value`.

Where no gradient is involved (under no_grad, or when nothing requires grad) they write into the array itself, as
numpy does, and bump the Tensor's version so that any op which saved it for backward refuses to use the changed data.
Where a gradient is involved they are recorded like the out-of-place op (x + y) and the Tensor takes the result; the ops
that used the old value keep their edge to it. A leaf that requires grad cannot be changed in place outside no_grad.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import operand as _operand
from .errors import BackwardError, ShapeError
from .forward import check_inplace
from .function import Function
from .variable import Variable, mark_modified, rebind
from .grad_mode import _state
from .ops.shape import _is_basic, index_add, index_data

_NUMPY_INPLACE = {"+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.true_divide}


def _check_leaf(x: Any, op: str) -> None:
    if x._node is None and x._requires_grad and _state.enabled:
        raise BackwardError(
            f"{op}: a leaf that requires grad cannot be changed in-place (its .grad would no longer belong to its "
            "value); do it under autograd.no_grad(), as optimizers do, or write x = x + y to make a new Tensor")


def _check_single_output(x: Any, op: str, fix: str = "") -> None:
    if x._node is not None and x._node.n_outputs > 1:
        raise BackwardError(f"{op}: one output of the multi-output op {x._node.name} cannot be changed in place while "
                            f"gradients are recorded{fix}")


def binary(x: Any, fn: type, other: Any, op: str) -> Any:
    """x op= other, e.g. binary(x, Add, y, "+=")."""
    other = _operand(other, x)
    _check_leaf(x, op)
    recorded = _state.enabled and (x._requires_grad or other._requires_grad)
    if _state.observers:
        check_inplace(x, other, op, recorded)
    if not recorded:
        try:
            _NUMPY_INPLACE[op](x.data, other.data, out=x.data, casting="same_kind")
        except (TypeError, ValueError) as err:  # numpy's casting and broadcasting errors name no op or fix
            raise ShapeError(f"{op}: cannot update a Tensor of shape {x.shape} and dtype {x.dtype} in place with "
                             f"shape {other.shape} and dtype {other.dtype} ({err}); use an out-of-place op") from None
        mark_modified(x)
        return x
    _check_single_output(x, op, f"; write x = x {op[0]} y instead")
    result = fn.apply(_old_value(x), other)
    if result.shape != x.shape:
        raise ShapeError(f"{op}: the result has shape {result.shape} but the Tensor updated in place has shape "
                         f"{x.shape}; an in-place op cannot change its shape: write x = x {op[0]} y instead")
    if result.dtype != x.dtype:
        result = result.astype(x.dtype)
    rebind(x, result)
    return x


def setitem(x: Any, index: Any, value: Any) -> None:
    """x[index] = value: the gradient reaches `value` at the written places and the old x everywhere else."""
    index = index_data(index)
    value = _operand(value, x)
    _check_leaf(x, "setitem")
    try:
        np.broadcast_to(value.data, np.empty(x.shape, dtype=bool)[index].shape)
    except (IndexError, TypeError, ValueError) as err:
        raise ShapeError(f"setitem: cannot assign a value of shape {value.shape} to index {index!r} of a Tensor of "
                         f"shape {x.shape}: {err}") from None
    recorded = _state.enabled and (x._requires_grad or value._requires_grad)
    if _state.observers:
        check_inplace(x, value, "setitem", recorded)
    if not recorded:
        x.data[index] = value.data
        mark_modified(x)
        return
    _check_single_output(x, "setitem")
    rebind(x, SetItem.apply(_old_value(x), value, index))


def copy(x: Any, src: Any, casting: str = "same_kind") -> None:
    """x.copy_(src): write `src` into x's own array, unrecorded, and mark x as changed (see Tensor.copy_)."""
    values = src.data if isinstance(src, Variable) else src
    try:
        np.copyto(x.data, values, casting=casting)
    except (TypeError, ValueError) as err:  # numpy's casting and broadcasting errors name no op or fix
        got = np.shape(values), getattr(values, "dtype", type(values).__name__)
        raise ShapeError(f"copy_: cannot write values of shape {got[0]} and dtype {got[1]} into a Tensor of shape "
                         f"{x.shape} and dtype {x.dtype} ({err}); pass values that broadcast to its shape, or "
                         "casting='unsafe' to cast them whatever their dtype") from None
    mark_modified(x)


def _old_value(x: Any) -> Any:
    """A new Tensor object standing for x's current value (same array, same Node) to feed the recorded op."""
    if x._node is None:
        return x._constant(x.data)
    return x._result(x.data, x._node, x._index)


class SetItem(Function):
    """y = x with y[index] = v;  dy/dx = 1 outside index (0 at it),  dy/dv = 1 at index"""

    @staticmethod
    def forward(ctx, x, value, index):
        if not _is_basic(index):  # a basic index picks each element at most once; others may repeat one
            probe = np.zeros(x.data.shape, dtype=np.intp)
            np.add.at(probe, index, 1)
            if (probe > 1).any():
                raise ValueError("setitem: an index that writes one element twice keeps only the last write, which "
                                 "has no well-defined gradient; use unique indices")
        kept = np.ones(x.data.shape, dtype=x.data.dtype)
        kept[index] = 0
        ctx.save_for_backward(kept)
        y = x.data.copy()
        y[index] = value.data
        return y

    @staticmethod
    def backward(ctx, grad):
        (kept,) = ctx.saved_tensors
        index = ctx.inputs[2]
        return grad * kept, grad[index], None

    @staticmethod
    def jvp(ctx, dx, dv, dindex):
        """dy = dx outside index, dv at it"""
        (kept,) = ctx.saved_tensors
        x, index = ctx.inputs[0], ctx.inputs[2]
        dy = None if dx is None else dx * kept
        if dv is not None:
            written = np.broadcast_to(dv, np.empty(x.shape, dtype=bool)[index].shape)  # dv as the written values
            written = index_add(written, index, x.shape, x.dtype, ctx.create_graph)
            dy = written if dy is None else dy + written
        return dy

    @staticmethod
    def flops(c):
        """x[index] = v: a copy, no arithmetic; backward masks x's gradient (N), picks v's (0)"""
        return 0, (c.size(0), 0, 0)
