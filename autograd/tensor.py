"""Tensor: a numpy array that records the operations applied to it, so `backward()` can send gradients back.

This file is its numpy surface: construction, operators, elementwise functions, reductions, shapes, in-place changes.
The graph side (requires_grad, .grad, hooks, backward, and how the engine feeds it) is array_variable.py. Array names
follow numpy (axis, keepdims, expand_dims); training names follow PyTorch (requires_grad, backward, grad).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import inplace
from .array_variable import ArrayVariable
from .dtypes import as_array, get_default_dtype
from .dtypes import operand as _operand
from .errors import GraphFreedError
from .ops import arithmetic as ar
from .ops import elementwise as ew
from .ops import reduce as rd
from .ops import shape as sh
from .ops.linalg import MatMul
from .pytorch_names import ElementCount, PyTorchName, unknown_keywords
from .variable import Variable, made_by


class Tensor(ArrayVariable):
    """An n-dimensional array in the graph.

    `.data` is the ndarray itself, the escape hatch around the graph: writing into it (t.data[0] = 5) is not
    recorded and not version-counted, so an op that saved t would use the new values in backward and give a wrong
    gradient without a word. Change values through the Tensor instead (t[0] = 5, t += 1): that is recorded, and
    refused at backward if an op saved t. Optimizers write into .data on purpose, after backward.

    Args:
        data: a number, a nested list, an ndarray or a Tensor (always copied).
        requires_grad: whether gradients should flow to this Tensor (float dtypes only).
        dtype: numpy dtype; by default float arrays keep theirs and Python numbers become the default dtype.
    """

    __slots__ = ()
    __array_ufunc__: Any  # set below: numpy ufuncs on Tensors record Tensor ops
    name: str | None = None  # set on parameters by nn.Module, shown in drawings

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = as_array(data.data if isinstance(data, Tensor) else data, dtype)
        self._node = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    # --- what a freed graph keeps of a Tensor (see FreedTensor below) ------------------------------------------
    @staticmethod
    def _released(inputs: tuple, seq: int) -> tuple:
        """The inputs of a Node that backward has freed, each Tensor that only the graph keeps alive (an intermediate
        result, a constant made for this step) swapped for a FreedTensor: a held output (`losses.append(loss)`) then
        keeps the graph's structure, not its activations. Leaves that require grad (parameters) stay themselves:
        their `.grad` lives on them and their owner keeps them anyway."""
        for x in inputs:
            if type(x) is Tensor and x.data.size > KEPT_AFTER_BACKWARD:  # checked first: most inputs of small ops pass
                return tuple([FreedTensor(x, seq) if type(x) is Tensor and x.data.size > KEPT_AFTER_BACKWARD
                              and (x._node is not None or not x._requires_grad) else x for x in inputs])
        return inputs

    # --- attributes --------------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements (numpy's meaning; PyTorch's x.size() is x.shape here)."""
        return ElementCount(self.data.size)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed), like ndarray.T."""
        return self.transpose()

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied)."""
        return self.data

    def item(self) -> Any:
        """The value of a one-element Tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element Tensors can be converted to a Python number, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A new leaf sharing this data, cut off from the graph (no gradient flows through it)."""
        return Tensor._constant(self.data)

    def astype(self, dtype: Any) -> Tensor:
        """This Tensor cast to `dtype` (differentiable between float dtypes; an integer or bool result is a constant)."""
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind != "f":  # rounding to integers (or bools) has no useful gradient: cut the graph
            return Tensor._constant(self.data.astype(dtype))
        return ew.Cast.apply(self, dtype)

    # --- numpy interplay ---------------------------------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a Tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub":
            raise TypeError(f"only integer Tensors can be used as an index, got dtype {self.data.dtype}")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", precision=4, threshold=20, edgeitems=2)
        extras = []
        if self.data.dtype != get_default_dtype():
            extras.append(f"dtype={self.data.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.name}Backward>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    def any(self) -> bool:
        return bool(self.data.any())

    def all(self) -> bool:
        return bool(self.data.all())

    # --- arithmetic (operators and reflected forms) ------------------------------------------------------------
    def __add__(self, other): return ar.Add.apply(self, _operand(other, self))
    def __radd__(self, other): return ar.Add.apply(_operand(other, self), self)
    def __sub__(self, other): return ar.Sub.apply(self, _operand(other, self))
    def __rsub__(self, other): return ar.Sub.apply(_operand(other, self), self)
    def __mul__(self, other): return ar.Mul.apply(self, _operand(other, self))
    def __rmul__(self, other): return ar.Mul.apply(_operand(other, self), self)
    def __truediv__(self, other): return ar.Div.apply(self, _operand(other, self))
    def __rtruediv__(self, other): return ar.Div.apply(_operand(other, self), self)
    def __pow__(self, other): return ar.Pow.apply(self, _operand(other, self))
    def __rpow__(self, other): return ar.Pow.apply(_operand(other, self), self)
    def __matmul__(self, other): return MatMul.apply(self, _operand(other, self))
    def __rmatmul__(self, other): return MatMul.apply(_operand(other, self), self)
    def __neg__(self): return ar.Neg.apply(self)
    def __pos__(self): return self

    # comparisons give bool Tensors that carry no gradient
    def __lt__(self, other): return Tensor._constant(self.data < _raw(other))
    def __le__(self, other): return Tensor._constant(self.data <= _raw(other))
    def __gt__(self, other): return Tensor._constant(self.data > _raw(other))
    def __ge__(self, other): return Tensor._constant(self.data >= _raw(other))
    def __eq__(self, other): return Tensor._constant(self.data == _raw(other))  # type: ignore[override]
    def __ne__(self, other): return Tensor._constant(self.data != _raw(other))  # type: ignore[override]
    def __invert__(self): return Tensor._constant(~self.data)
    def __and__(self, other): return Tensor._constant(self.data & _raw(other))
    def __rand__(self, other): return Tensor._constant(_raw(other) & self.data)
    def __or__(self, other): return Tensor._constant(self.data | _raw(other))
    def __ror__(self, other): return Tensor._constant(_raw(other) | self.data)
    def __xor__(self, other): return Tensor._constant(self.data ^ _raw(other))
    def __rxor__(self, other): return Tensor._constant(_raw(other) ^ self.data)

    # --- elementwise functions ---------------------------------------------------------------------------------
    def exp(self) -> Tensor: return ew.Exp.apply(self)
    def log(self) -> Tensor: return ew.Log.apply(self)
    def sqrt(self) -> Tensor: return ew.Sqrt.apply(self)
    def sin(self) -> Tensor: return ew.Sin.apply(self)
    def cos(self) -> Tensor: return ew.Cos.apply(self)
    def tanh(self) -> Tensor: return ew.Tanh.apply(self)
    def sigmoid(self) -> Tensor: return ew.Sigmoid.apply(self)
    def relu(self) -> Tensor: return ew.ReLU.apply(self)
    def abs(self) -> Tensor: return ew.Abs.apply(self)
    __abs__ = abs

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Limit values to [lo, hi] (either may be None); the gradient passes only where x was inside."""
        bounds = []
        for name, bound in (("lo", lo), ("hi", hi)):
            if isinstance(bound, Variable):
                if bound.requires_grad:
                    raise TypeError(f"clip: the bound {name} requires grad, but clip sends no gradient to its bounds; "
                                    "use maximum(x, lo) and minimum(x, hi) for bounds that need one")
                bound = bound.data
            bounds.append(bound)
        return ew.Clip.apply(self, *bounds)

    def maximum(self, other: Any) -> Tensor: return ew.Maximum.apply(self, _operand(other, self))
    def minimum(self, other: Any) -> Tensor: return ew.Minimum.apply(self, _operand(other, self))

    # --- reductions ----------------------------------------------------------------------------------------------
    # **unknown catches PyTorch's dim=/keepdim= to name numpy's axis=/keepdims=; an empty one costs ~20 ns, under 1%
    # of x.sum(axis=1) (4.8 us, unchanged within noise)
    def sum(self, axis: Any = None, keepdims: bool = False, **unknown: Any) -> Tensor:
        if unknown:
            unknown_keywords(Tensor.sum, unknown)
        return rd.Sum.apply(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False, **unknown: Any) -> Tensor:
        if unknown:
            unknown_keywords(Tensor.mean, unknown)
        return rd.Mean.apply(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False, **unknown: Any) -> Tensor:
        if unknown:
            unknown_keywords(Tensor.max, unknown)
        return rd.Max.apply(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False, **unknown: Any) -> Tensor:
        if unknown:
            unknown_keywords(Tensor.min, unknown)
        return rd.Min.apply(self, axis, keepdims)

    def logsumexp(self, axis: Any = None, keepdims: bool = False, **unknown: Any) -> Tensor:
        """log(sum(exp(x))) over `axis`, computed without overflow."""
        if unknown:
            unknown_keywords(Tensor.logsumexp, unknown)
        return rd.LogSumExp.apply(self, axis, keepdims)

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False, **unknown: Any) -> Tensor:
        """Variance over `axis` with numpy's `ddof` (0: divide by n; 1: by n - 1)."""
        if unknown:
            unknown_keywords(Tensor.var, unknown)
        axes = rd.normalize_axis(axis, self.ndim, "var")
        count = math.prod(self.shape[a] for a in axes)
        centered = self - self.mean(axis=axes, keepdims=True)
        return (centered * centered).sum(axis=axes, keepdims=keepdims) / max(count - ddof, 0)

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False, **unknown: Any) -> Tensor:
        """Standard deviation: sqrt(var). Where a slice has no spread (var = 0) its gradient is 0, the subgradient
        that leaves the values as they are (sqrt's infinite slope at 0 times var's zero slope would be nan)."""
        if unknown:
            unknown_keywords(Tensor.std, unknown)
        var = self.var(axis=axis, ddof=ddof, keepdims=keepdims)
        flat = var.data == 0
        if not flat.any():
            return var.sqrt()
        # sqrt(1) in place of sqrt(0) keeps every slope finite, and where() sends those slices no gradient
        zero, one = _operand(0.0, var), _operand(1.0, var)
        return ew.Where.apply(flat, zero, ew.Sqrt.apply(ew.Where.apply(flat, one, var)))

    def argmax(self, axis: int | None = None, **unknown: Any) -> Tensor:
        """Indices of the maxima (an integer Tensor; no gradient)."""
        if unknown:
            unknown_keywords(Tensor.argmax, unknown)
        if axis is not None:
            rd.normalize_axis(axis, self.ndim, "argmax")
        return Tensor._constant(np.argmax(self.data, axis=axis))

    def argmin(self, axis: int | None = None, **unknown: Any) -> Tensor:
        """Indices of the minima (an integer Tensor; no gradient)."""
        if unknown:
            unknown_keywords(Tensor.argmin, unknown)
        if axis is not None:
            rd.normalize_axis(axis, self.ndim, "argmin")
        return Tensor._constant(np.argmin(self.data, axis=axis))

    # --- shape: numpy's argument rules, checked by the functions of the same names in ops/shape.py -------------------
    reshape = sh.reshape
    transpose = sh.transpose
    swapaxes = sh.swapaxes
    squeeze = sh.squeeze
    expand_dims = sh.expand_dims
    flatten = sh.flatten
    broadcast_to = sh.broadcast_to
    __getitem__ = sh.getitem
    split = sh.split
    pad = sh.pad

    # --- in place (see autograd/inplace.py) --------------------------------------------------------------------
    def __setitem__(self, index: Any, value: Any) -> None:
        inplace.setitem(self, index, value)

    def copy_(self, src: Any, casting: str = "same_kind") -> Tensor:
        """Write `src` into this Tensor's own array (broadcast and cast as np.copyto does) without recording it, and
        mark the Tensor as changed in place, so a graph that saved the old values refuses to use them in backward.

        The safe form of `t.data[...] = src`, which bypasses that check: for parameters and buffers (initialising,
        loading a checkpoint, running statistics). Returns self.
        """
        inplace.copy(self, src, casting)
        return self

    def __iadd__(self, other): return inplace.binary(self, ar.Add, other, "+=")
    def __isub__(self, other): return inplace.binary(self, ar.Sub, other, "-=")
    def __imul__(self, other): return inplace.binary(self, ar.Mul, other, "*=")
    def __itruediv__(self, other): return inplace.binary(self, ar.Div, other, "/=")

    # --- PyTorch's names for what numpy calls otherwise: looking one up raises an AttributeError naming what to use
    # here (the table is autograd/pytorch_names.py; `size` is numpy's element count, and calling it says so)
    view = PyTorchName()        # reshape
    permute = PyTorchName()     # transpose
    unsqueeze = PyTorchName()   # expand_dims
    dim = PyTorchName()         # ndim
    numel = PyTorchName()       # size
    to = PyTorchName()          # astype
    cpu = PyTorchName()
    cuda = PyTorchName()


Tensor._result_class = Tensor

# Tensors up to this many elements stay whole in a freed graph: drawings show their values (and they cost nothing).
KEPT_AFTER_BACKWARD = 8


class FreedTensor(Tensor):
    """What a graph keeps of a Tensor it used once backward has freed it: the edge to the op that made it, the shape,
    dtype and name, for drawings; not the array. Asking for its data raises GraphFreedError."""

    __slots__ = ("shape", "dtype")

    def __init__(self, x: Tensor, seq: int) -> None:
        self._node, index = made_by(x, seq)  # the value x held when the op with creation number `seq` used it
        if index:
            self._index = index
        self._requires_grad = self._node is not None or (x._requires_grad and x._version < seq)
        self.shape, self.dtype = x.data.shape, x.data.dtype
        if x.name is not None:
            self.name = x.name

    @property
    def data(self) -> np.ndarray:
        raise GraphFreedError(
            f"this Tensor of shape {self.shape} belongs to a graph that backward() freed, and its data went with it; "
            "keep a reference to the Tensor itself, or pass retain_graph=True to backward() to keep the graph's data")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __repr__(self) -> str:
        made_by = f", grad_fn=<{self._node.name}Backward>" if self._node is not None else ""
        return f"Tensor(<freed by backward: shape {self.shape}, dtype {self.dtype}>{made_by})"


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x
