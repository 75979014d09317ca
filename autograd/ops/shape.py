"""Shape ops: reshape, transpose, broadcast_to, indexing, concatenate, split and pad. Their backward moves the
gradient back into the input's layout; indexing scatters it, summing where an index repeats.

First come the Tensor methods of the same names (x.reshape(2, 3) is reshape(x, 2, 3)): numpy's argument rules,
checked with a message that names the op, then the op itself."""
from __future__ import annotations

import math
import operator
from typing import Any, Sequence

import numpy as np

from ..errors import ShapeError
from ..function import Function, Variable
from .reduce import normalize_axis


# --- the Tensor methods: numpy's argument rules, checked here, then the op ----------------------------------------------
def reshape(x, *shape: Any) -> Any:
    """Same data in a new shape; takes `reshape(2, 3)` or `reshape((2, 3))`, with one -1 allowed."""
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    try:
        target = _reshaped_shape(x.shape, shape)
    except ValueError as err:
        raise ShapeError(f"reshape: {err}") from None
    if target == x.shape:
        return x
    return Reshape.apply(x, target)


def transpose(x, *axes: Any) -> Any:
    """Permute axes with numpy's semantics; no arguments reverses them."""
    axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list, np.ndarray)) else axes
    ndim = x.ndim
    if not axes:
        axes = tuple(range(ndim - 1, -1, -1))
    if (len(axes) != ndim or not all(isinstance(a, (int, np.integer)) and -ndim <= a < ndim for a in axes)
            or sorted(a % ndim for a in axes) != list(range(ndim))):
        raise ShapeError(f"transpose: axes {axes} are not a permutation of the {ndim} axes of a Tensor "
                         f"of shape {x.shape}")
    return Transpose.apply(x, tuple(int(a) % ndim for a in axes))


def swapaxes(x, axis1: int, axis2: int) -> Any:
    """Exchange two axes."""
    normalize_axis(axis1, x.ndim, "swapaxes")
    normalize_axis(axis2, x.ndim, "swapaxes")
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return x.transpose(axes)


def squeeze(x, axis: Any = None) -> Any:
    """Remove axes of length 1 (all of them, or those in `axis`)."""
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axis(axis, x.ndim, "squeeze")
        wrong = [a for a in axes if x.shape[a] != 1]
        if wrong:
            raise ShapeError(f"squeeze: axis {wrong[0]} has length {x.shape[wrong[0]]}, not 1, in a Tensor "
                             f"of shape {x.shape}")
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))


def expand_dims(x, axis: Any) -> Any:
    """Insert axes of length 1 at `axis` (an int or a tuple), like np.expand_dims."""
    try:
        shape = np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape
    except (ValueError, IndexError, TypeError):
        n = x.ndim + (len(axis) if isinstance(axis, (tuple, list)) else 1)
        raise np.exceptions.AxisError(
            f"expand_dims: cannot insert axis {axis!r} into a Tensor of shape {x.shape}; the result has {n} "
            f"dimensions, so each axis must be an int with -{n} <= axis < {n}, without repeats") from None
    return x.reshape(shape)


def flatten(x) -> Any:
    """All axes merged into one: self when already 1-d, else reshape(-1) (a view of the data when numpy can make
    one, as for ndarray.reshape; not always a copy, unlike ndarray.flatten)."""
    return x.reshape(-1)


def broadcast_to(x, shape: Sequence[int]) -> Any:
    """Repeat along axes of length 1 (and new leading axes) to reach `shape`."""
    shape = tuple(shape)
    if shape == x.shape:
        return x
    try:
        if np.broadcast_shapes(x.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ShapeError(f"broadcast_to: cannot broadcast a Tensor of shape {x.shape} to shape {shape}") from None
    return BroadcastTo.apply(x, shape)


def getitem(x, index: Any) -> Any:
    """x[index] with numpy's indexing rules (basic and integer-array indices); Tensors in the index are indices."""
    index = index_data(index)
    try:
        return GetItem.apply(x, index)
    except (IndexError, TypeError, ValueError) as err:  # numpy's own indexing rules, said with the op's name
        raise IndexError(f"getitem: cannot index a Tensor of shape {x.shape} with {index!r}: {err}") from None


def split(x, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into equal sections (an int) or at the given indices along `axis`, like np.split."""
    normalize_axis(axis, x.ndim, "split")
    if isinstance(indices_or_sections, Variable):  # the split points carry no gradient
        indices_or_sections = indices_or_sections.data
    try:
        if np.ndim(indices_or_sections) == 0:  # a number of equal sections (np.int64 too)
            sections: Any = int(indices_or_sections)
            if sections != indices_or_sections or sections < 1:
                raise ValueError("the number of sections must be a whole number of at least 1")
        else:
            sections = tuple(operator.index(i) for i in indices_or_sections)
        return list(Split.apply(x, sections, axis))
    except (ValueError, IndexError, TypeError) as err:  # numpy's own rules for split, said with the op's name
        raise ShapeError(f"split: cannot split a Tensor of shape {x.shape} by {indices_or_sections!r} along "
                         f"axis {axis}: {err}") from None


def pad(x, pad_width: Any, constant_values: float = 0) -> Any:
    """Pad with a constant; `pad_width` as in np.pad (an int, a (before, after) pair, or one pair per axis)."""
    try:
        width = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    except ValueError:
        raise ShapeError(f"pad: pad_width {pad_width!r} does not fit a Tensor of shape {x.shape}; give one "
                         "(before, after) pair per axis") from None
    if (width < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return Pad.apply(x, tuple(map(tuple, width.tolist())), constant_values)


def _reshaped_shape(shape: tuple, target: tuple) -> tuple:
    size = math.prod(shape)
    target = tuple(int(n) for n in target)
    if target.count(-1) > 1:
        raise ValueError(f"can only use one -1 in the new shape {target}")
    known = math.prod(n for n in target if n != -1)
    if -1 in target:
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape a Tensor of shape {shape} ({size} elements) into shape {target}")
        target = tuple(size // known if n == -1 else n for n in target)
    if math.prod(target) != size or any(n < 0 for n in target):
        raise ValueError(f"cannot reshape a Tensor of shape {shape} ({size} elements) into shape {target}")
    return target


def index_data(index: Any) -> Any:
    """Tensors inside an index become their arrays (indices carry no gradient)."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Variable) else i for i in index)
    if isinstance(index, Variable):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


# --- the ops ------------------------------------------------------------------------------------------------------------
class Reshape(Function):
    """y = x.reshape(shape);  dy/dx = 1 (the gradient is reshaped back)"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.data.shape
        return x.data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None

    @staticmethod
    def jvp(ctx, dx, dshape):
        """dy = dx.reshape(shape)"""
        return dx.reshape(ctx.inputs[1])

    @staticmethod
    def flops(c):
        """no arithmetic"""
        return 0, (0, 0)


class Transpose(Function):
    """y = x.transpose(axes);  dy/dx = 1 (the gradient is transposed back)"""

    @staticmethod
    def forward(ctx, x, axes):
        return x.data.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        axes = ctx.inputs[1]
        return grad.transpose(tuple(int(a) for a in np.argsort(axes))), None

    @staticmethod
    def jvp(ctx, dx, daxes):
        """dy = dx.transpose(axes)"""
        return dx.transpose(ctx.inputs[1])

    @staticmethod
    def flops(c):
        """no arithmetic"""
        return 0, (0, 0)


class BroadcastTo(Function):
    """y = broadcast_to(x, shape);  dy/dx = 1 (the engine sums the gradient back over the broadcast axes)"""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x.data, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None

    @staticmethod
    def jvp(ctx, dx, dshape):
        """dy = broadcast_to(dx, shape)"""
        return np.broadcast_to(dx, ctx.inputs[1])

    @staticmethod
    def flops(c):
        """no arithmetic (the engine's sum back is counted with the backward that needs it)"""
        return 0, (0, 0)


class GetItem(Function):
    """y = x[index];  dy/dx = 1 at the picked elements (summed where an index repeats), 0 elsewhere"""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype = x.data.shape, x.data.dtype
        return x.data[index]

    @staticmethod
    def backward(ctx, grad):
        return index_add(grad, ctx.inputs[1], ctx.shape, ctx.dtype, ctx.create_graph), None

    @staticmethod
    def jvp(ctx, dx, dindex):
        """dy = dx[index]"""
        return dx[ctx.inputs[1]]

    @staticmethod
    def flops(c):
        """no arithmetic; backward scatters, adding once per picked element for integer-array indices"""
        return 0, (0 if _is_basic(c.args[1]) else c.out, 0)


class IndexAdd(Function):
    """y = zeros(shape); y[index] += g  (repeats summed);  dy/dg = 1 at the indexed places (the gradient is g's index)"""

    @staticmethod
    def forward(ctx, grad, index, shape, dtype):
        return _scatter(grad.data, index, shape, dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.inputs[1]], None, None, None

    @staticmethod
    def jvp(ctx, dg, dindex, dshape, ddtype):
        """dy = zeros(shape); dy[index] += dg"""
        return index_add(dg, *ctx.inputs[1:], ctx.create_graph)

    @staticmethod
    def flops(c):
        """scatter: 1 addition per element for integer-array indices, else 0; backward picks (0)"""
        return (0 if _is_basic(c.args[1]) else c.size(0)), 0


def index_add(grad, index, shape, dtype, create_graph):
    """zeros(shape) with `grad` added at `index`: an array for an ordinary backward, a recorded op under create_graph."""
    if create_graph:
        return IndexAdd.apply(grad, index, shape, dtype)
    return _scatter(np.asarray(grad), index, shape, dtype)  # numpy may hand a 0-d result back as a scalar


def _scatter(values, index, shape, dtype):
    out = np.zeros(shape, dtype=dtype)
    if _is_basic(index):
        out[index] = values  # a basic index picks each element at most once
    else:
        np.add.at(out, index, values)  # repeated integer indices must add up
    return out


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class Concatenate(Function):
    """y = concatenate(xs, axis);  dy/dxs[i] = 1 on xs[i]'s block (the gradient is sliced back into blocks)"""

    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.bounds = np.cumsum([0] + [x.data.shape[axis] for x in xs])
        return np.concatenate([x.data for x in xs], axis=axis)

    @staticmethod
    def backward(ctx, grad):
        axis = ctx.inputs[0]
        lead = (slice(None),) * (axis % grad.ndim)
        bounds = ctx.bounds
        return (None,) + tuple(grad[lead + (slice(bounds[i], bounds[i + 1]),)] for i in range(len(bounds) - 1))

    @staticmethod
    def jvp(ctx, daxis, *dxs):
        """dy = concatenate(dxs, axis)  (zeros for the blocks whose tangent is zero)"""
        xs = ctx.inputs[1:]
        blocks = [np.zeros_like(x.data) if dx is None else dx for x, dx in zip(xs, dxs)]
        return np.concatenate(blocks, axis=ctx.inputs[0])

    @staticmethod
    def flops(c):
        """no arithmetic"""
        return 0, 0


class Split(Function):
    """ys = split(x, sections, axis);  dys[i]/dx = 1 on block i (the gradients are concatenated back)"""

    @staticmethod
    def forward(ctx, x, sections, axis):
        return tuple(np.split(x.data, sections, axis=axis))

    @staticmethod
    def backward(ctx, *grads):
        return np.concatenate(grads, axis=ctx.inputs[2]), None, None

    @staticmethod
    def jvp(ctx, dx, dsections, daxis):
        """dys = split(dx, sections, axis)"""
        return tuple(np.split(dx, ctx.inputs[1], axis=ctx.inputs[2]))

    @staticmethod
    def flops(c):
        """no arithmetic"""
        return 0, 0


class Pad(Function):
    """y = pad(x, pad_width, constant);  dy/dx = 1 on x's own elements, 0 on the padding"""

    @staticmethod
    def forward(ctx, x, pad_width, value):
        ctx.crop = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.data.shape))
        return np.pad(x.data, pad_width, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.crop], None, None

    @staticmethod
    def jvp(ctx, dx, dwidth, dvalue):
        """dy = pad(dx, pad_width) with zeros (the constant's tangent is 0)"""
        return np.pad(dx, ctx.inputs[1], mode="constant")

    @staticmethod
    def flops(c):
        """no arithmetic"""
        return 0, 0
