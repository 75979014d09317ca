"""Tensor: a numpy array that records the operations applied to it, so `backward()` can send gradients back.

Array names follow numpy (axis, keepdims, expand_dims); training names follow PyTorch (requires_grad, backward, grad).
Python scalars and lists become the default dtype (float32, see `set_default_dtype`); float arrays keep their dtype.
"""
from __future__ import annotations

import math
import numbers
import operator
from typing import Any, Callable, Sequence

import numpy as np

from . import engine, inplace
from .errors import BackwardError, DTypeError, GraphFreedError, ShapeError
from .function import Node, Variable
from .variable import made_by
from .grad_mode import _grad_mode_was_why, _state
from .ops import elementwise as ew
from .ops import reduce as rd
from .ops import shape as sh
from .ops.linalg import MatMul
from .pytorch_names import ElementCount, PyTorchName, unknown_keywords

_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype given to Python scalars and lists (float32 unless changed)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise DTypeError(f"set_default_dtype: expected a float dtype such as np.float32 or np.float64, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The float dtype given to Python scalars and lists."""
    return _default_dtype


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """`data` as an ndarray under the Tensor dtype rules (copied, so the Tensor never shares the caller's array)."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
    try:
        if dtype is not None:
            array = np.array(data, dtype=dtype)
        elif isinstance(data, np.ndarray) or isinstance(data, np.generic):
            array = np.array(data)
        else:
            array = np.array(data)
            if array.dtype.kind in "iuf":  # Python numbers and lists of them take the default float dtype
                array = array.astype(_default_dtype)
    except OverflowError:  # a Python int beyond the dtype asked for
        raise _large_int_error(_large_int(data), dtype) from None
    except (ValueError, TypeError) as err:  # ragged lists, strings that are not numbers
        raise ValueError(f"Tensor: cannot make an array of {type(data).__name__} data ({err}); pass a number, "
                         "rectangular nested lists of numbers or a numeric numpy array") from None
    if array.dtype == object:  # numpy keeps ints beyond int64 and uint64 as Python objects: say which one
        large = _large_int(data)
        if large is not None:
            raise _large_int_error(large, dtype)
    if array.dtype.kind not in "biuf":
        raise DTypeError(f"Tensor: cannot hold data of dtype {array.dtype} (from {type(data).__name__}); "
                         "pass numbers, nested lists of numbers or a numeric numpy array")
    return array


def _large_int(data: Any) -> int | None:
    """The first Python int in `data` (a number, nested lists or an object array) that int64 and uint64 cannot hold."""
    if isinstance(data, int) and not isinstance(data, bool):
        return None if -2**63 <= data < 2**64 else data
    if isinstance(data, (list, tuple)) or (isinstance(data, np.ndarray) and data.dtype == object):
        for item in (data.flat if isinstance(data, np.ndarray) else data):
            found = _large_int(item)
            if found is not None:
                return found
    return None


def _large_int_error(n: int | None, dtype: np.dtype | None) -> DTypeError:
    """The error for an integer too large for numpy's integers: which one, what it does not fit, the fix."""
    if n is None:  # an OverflowError from something else: say it generally
        return DTypeError(f"Tensor: a number in the data does not fit dtype {dtype}; pass floats, or dtype=np.float64")
    what = f"the integer {n}" if n.bit_length() <= 128 else f"an integer of {int(n.bit_length() * 0.30103) + 1} digits"
    try:
        float(n)
    except OverflowError:  # beyond float64 too
        return DTypeError(f"Tensor: {what} does not fit numpy's integers, nor float64 (at most about 1.8e308); "
                          "scale the data down first")
    if dtype is not None and dtype.kind in "iu":
        return DTypeError(f"Tensor: {what} does not fit dtype {dtype}; pass dtype=np.float64")
    return DTypeError(f"Tensor: {what} does not fit numpy's integers (int64, uint64); pass the data as floats, or "
                      "pass dtype=np.float64")


class Tensor(Variable):
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

    __slots__ = ("data",)
    __array_ufunc__: Any  # set below: numpy ufuncs on Tensors record Tensor ops
    _has_shape = True  # gradients are summed back over broadcast axes and cast to the dtype
    _keeps_grad = False
    _grad: Tensor | None = None
    name: str | None = None  # set on parameters by nn.Module, shown in drawings

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = as_array(data, dtype)
        self._node = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    # --- how the engine and Function.apply make and feed Tensors -------------------------------------------------
    @classmethod
    def _constant(cls, data: Any) -> Tensor:
        t = object.__new__(Tensor)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t._node = None
        t._requires_grad = False
        return t

    @classmethod
    def _result(cls, data: Any, node: Node, index: int) -> Tensor:
        t = object.__new__(Tensor)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t._node = node
        t._requires_grad = True
        if index:
            t._index = index
        return t

    @staticmethod
    def _output_info(data: Any) -> tuple:
        return np.shape(data), np.asarray(data).dtype

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

    @staticmethod
    def _zero_grad(node: Node, index: int) -> Any:
        shape, dtype = node.outputs_info[index]
        zeros = np.zeros(shape, dtype)
        return Tensor._constant(zeros) if _state.enabled else zeros

    def _fit_grad(self, g: Any, node: Node) -> Any:
        """The gradient `g` sent to this Tensor, summed back over broadcast axes and cast to this Tensor's dtype."""
        data = self.data
        if type(g) is np.ndarray and g.shape == data.shape and g.dtype is data.dtype:
            return g  # the usual case, checked first
        if not isinstance(g, (np.ndarray, Tensor)):
            g = np.asarray(g)
        if g.shape != data.shape:
            g = _sum_to(g, data.shape, node)
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
        return g

    def _accumulate(self, g: Any, owned: bool) -> None:
        if self._grad is not None:
            self._grad = self._grad + g if isinstance(g, Tensor) else Tensor._constant(self._grad.data + g)
            return
        data = g.data if isinstance(g, Tensor) else g
        if not owned or data.base is not None:  # a view, or an array someone else holds: .grad owns a copy
            if not isinstance(g, Tensor):
                g = data.copy()
            elif g._node is not None:  # create_graph: the copy is still the same graph value
                g = Tensor._result(data.copy(), g._node, g._index)
            elif not g._requires_grad:  # (a leaf that requires grad stays itself, so its gradient still flows)
                g = Tensor._constant(data.copy())
        self._grad = g if isinstance(g, Tensor) else Tensor._constant(g)

    def _seed(self, grad: Any, create_graph: bool, op: str) -> Any:
        """The gradient that starts a backward pass from this Tensor: ones for a 1-element output, else `grad`."""
        if grad is None:
            if self.data.size != 1:
                raise BackwardError(f"{op}() without grad= needs a 1-element output, got shape {self.shape}; "
                                    "call .sum() first or pass grad=")
            grad = np.ones_like(self.data)
        else:
            grad = _grad_like(grad, self, op)
        if create_graph:
            return grad if isinstance(grad, Tensor) else Tensor._constant(grad)
        return grad.data if isinstance(grad, Tensor) else grad

    @staticmethod
    def _as_grad(g: Any) -> Tensor:
        return g if isinstance(g, Tensor) else Tensor._constant(g)

    @staticmethod
    def _call_hook(hook: Callable, g: Any) -> Any:
        raw = not isinstance(g, Tensor)
        result = hook(Tensor._constant(g) if raw else g)
        if result is None or result is g:
            return g
        if not isinstance(result, Tensor):
            result = Tensor._constant(np.asarray(result))
        if result.shape != g.shape:
            raise BackwardError(f"register_hook: the hook {getattr(hook, '__name__', hook)!s} returned a gradient of "
                                f"shape {result.shape} in place of one of shape {g.shape}; a hook must keep the shape")
        # The caller may hold what its hook returned (or it may be read-only), while .grad is changed in place (by
        # clip_grad_norm_, say): the gradient gets its own copy, in the gradient's dtype (a float64 result for a
        # float32 parameter would change the .grad dtype).
        if raw:
            return result.data.astype(g.dtype)  # astype copies
        if result.dtype != g.dtype:
            return result.astype(g.dtype)  # create_graph: a recorded cast, new data
        if result._node is not None:  # the same place in the graph, its own data
            return Tensor._result(result.data.copy(), result._node, result._index)
        return result if result._requires_grad else Tensor._constant(result.data.copy())

    @staticmethod
    def _add_grads(old: Tensor | None, g: Any) -> Tensor:
        g = g if isinstance(g, Tensor) else Tensor._constant(np.array(g))
        return g if old is None else old + g

    # --- attributes --------------------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self._node is not None:
            raise BackwardError("requires_grad can only be changed on a leaf Tensor; use .detach() to get a leaf "
                                "copy of this result")
        if flag and self.data.dtype.kind != "f":
            raise DTypeError(f"Tensor: only float Tensors can require grad, got dtype {self.data.dtype}; "
                             "make it a float first (Tensor(data, dtype=np.float32))")
        self._requires_grad = bool(flag)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set requires_grad in place and return self."""
        self.requires_grad = flag
        return self

    @property
    def grad(self) -> Tensor | None:
        """The gradient after backward: a Tensor for leaves (and non-leaves that called retain_grad), else None."""
        if self._node is None:
            return self._grad
        g = self._node.retained_grad
        return g[self._index] if isinstance(g, list) else g

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None and not isinstance(value, Tensor):
            value = Tensor(value, dtype=self.data.dtype)
        if value is not None and value.shape != self.shape:
            raise ShapeError(f"grad: assigned a gradient of shape {value.shape} to a Tensor of shape {self.shape}")
        self._grad = value

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

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf Tensor after backward (leaves always keep theirs)."""
        if self._node is not None:
            self._node.retains_grad = True

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """Call `hook(grad)` when this Tensor's gradient is computed; a returned Tensor replaces the gradient.

        Returns a function that removes the hook.
        """
        if not self._requires_grad:
            raise BackwardError("register_hook: this Tensor does not require grad, so no gradient will reach it")
        if self._node is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return lambda: self._hooks.remove(hook)
        node, entry = self._node, (self._index, hook)
        node.register_hook(*entry)
        return lambda: node.hooks.remove(entry)

    def backward(self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Compute the gradient of this Tensor with respect to every leaf that requires grad, into their `.grad`.

        Args:
            grad: the gradient of the final objective with respect to this Tensor; needed unless it has one element.
            retain_graph: keep the saved data so backward can run through this graph again.
            create_graph: record the backward pass itself, so the gradients can be differentiated again.
        """
        if not self._requires_grad:
            raise BackwardError(_grad_mode_was_why(self, "Tensor") or "backward: this Tensor does not require grad (no "
                                "input of the computation had requires_grad=True); create the leaves with "
                                "requires_grad=True")
        grad = self._seed(grad, create_graph, "backward")
        engine.run_backward([self], [grad], retain_graph or create_graph, create_graph)

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
        if self.data.dtype != _default_dtype:
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
    def __add__(self, other): return ew.Add.apply(self, _operand(other, self))
    def __radd__(self, other): return ew.Add.apply(_operand(other, self), self)
    def __sub__(self, other): return ew.Sub.apply(self, _operand(other, self))
    def __rsub__(self, other): return ew.Sub.apply(_operand(other, self), self)
    def __mul__(self, other): return ew.Mul.apply(self, _operand(other, self))
    def __rmul__(self, other): return ew.Mul.apply(_operand(other, self), self)
    def __truediv__(self, other): return ew.Div.apply(self, _operand(other, self))
    def __rtruediv__(self, other): return ew.Div.apply(_operand(other, self), self)
    def __pow__(self, other): return ew.Pow.apply(self, _operand(other, self))
    def __rpow__(self, other): return ew.Pow.apply(_operand(other, self), self)
    def __matmul__(self, other): return MatMul.apply(self, _operand(other, self))
    def __rmatmul__(self, other): return MatMul.apply(_operand(other, self), self)
    def __neg__(self): return ew.Neg.apply(self)
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

    # --- shape ---------------------------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """Same data in a new shape; takes `reshape(2, 3)` or `reshape((2, 3))`, with one -1 allowed."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            target = _reshaped_shape(self.shape, shape)
        except ValueError as err:
            raise ShapeError(f"reshape: {err}") from None
        if target == self.shape:
            return self
        return sh.Reshape.apply(self, target)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes with numpy's semantics; no arguments reverses them."""
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list, np.ndarray)) else axes
        ndim = self.ndim
        if not axes:
            axes = tuple(range(ndim - 1, -1, -1))
        if (len(axes) != ndim or not all(isinstance(a, (int, np.integer)) and -ndim <= a < ndim for a in axes)
                or sorted(a % ndim for a in axes) != list(range(ndim))):
            raise ShapeError(f"transpose: axes {axes} are not a permutation of the {ndim} axes of a Tensor "
                             f"of shape {self.shape}")
        return sh.Transpose.apply(self, tuple(int(a) % ndim for a in axes))

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Exchange two axes."""
        rd.normalize_axis(axis1, self.ndim, "swapaxes")
        rd.normalize_axis(axis2, self.ndim, "swapaxes")
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self.transpose(axes)

    def squeeze(self, axis: Any = None) -> Tensor:
        """Remove axes of length 1 (all of them, or those in `axis`)."""
        if axis is None:
            axes = tuple(i for i, n in enumerate(self.shape) if n == 1)
        else:
            axes = rd.normalize_axis(axis, self.ndim, "squeeze")
            wrong = [a for a in axes if self.shape[a] != 1]
            if wrong:
                raise ShapeError(f"squeeze: axis {wrong[0]} has length {self.shape[wrong[0]]}, not 1, in a Tensor "
                                 f"of shape {self.shape}")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def expand_dims(self, axis: Any) -> Tensor:
        """Insert axes of length 1 at `axis` (an int or a tuple), like np.expand_dims."""
        try:
            shape = np.expand_dims(np.empty(self.shape, dtype=bool), axis).shape
        except (ValueError, IndexError, TypeError):
            n = self.ndim + (len(axis) if isinstance(axis, (tuple, list)) else 1)
            raise np.exceptions.AxisError(
                f"expand_dims: cannot insert axis {axis!r} into a Tensor of shape {self.shape}; the result has {n} "
                f"dimensions, so each axis must be an int with -{n} <= axis < {n}, without repeats") from None
        return self.reshape(shape)

    def flatten(self) -> Tensor:
        """All axes merged into one: self when already 1-d, else reshape(-1) (a view of the data when numpy can make
        one, as for ndarray.reshape; not always a copy, unlike ndarray.flatten)."""
        return self.reshape(-1)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Repeat along axes of length 1 (and new leading axes) to reach `shape`."""
        shape = tuple(shape)
        if shape == self.shape:
            return self
        try:
            if np.broadcast_shapes(self.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ShapeError(f"broadcast_to: cannot broadcast a Tensor of shape {self.shape} to shape {shape}") from None
        return sh.BroadcastTo.apply(self, shape)

    def __getitem__(self, index: Any) -> Tensor:
        index = _index_data(index)
        try:
            return sh.GetItem.apply(self, index)
        except (IndexError, TypeError, ValueError) as err:  # numpy's own indexing rules, said with the op's name
            raise IndexError(f"getitem: cannot index a Tensor of shape {self.shape} with {index!r}: {err}") from None

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

    def __iadd__(self, other): return inplace.binary(self, ew.Add, other, "+=")
    def __isub__(self, other): return inplace.binary(self, ew.Sub, other, "-=")
    def __imul__(self, other): return inplace.binary(self, ew.Mul, other, "*=")
    def __itruediv__(self, other): return inplace.binary(self, ew.Div, other, "/=")

    def split(self, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
        """Split into equal sections (an int) or at the given indices along `axis`, like np.split."""
        rd.normalize_axis(axis, self.ndim, "split")
        if isinstance(indices_or_sections, Tensor):  # the split points carry no gradient
            indices_or_sections = indices_or_sections.data
        try:
            if np.ndim(indices_or_sections) == 0:  # a number of equal sections (np.int64 too)
                sections: Any = int(indices_or_sections)
                if sections != indices_or_sections or sections < 1:
                    raise ValueError("the number of sections must be a whole number of at least 1")
            else:
                sections = tuple(operator.index(i) for i in indices_or_sections)
            return list(sh.Split.apply(self, sections, axis))
        except (ValueError, IndexError, TypeError) as err:  # numpy's own rules for split, said with the op's name
            raise ShapeError(f"split: cannot split a Tensor of shape {self.shape} by {indices_or_sections!r} along "
                             f"axis {axis}: {err}") from None

    def pad(self, pad_width: Any, constant_values: float = 0) -> Tensor:
        """Pad with a constant; `pad_width` as in np.pad (an int, a (before, after) pair, or one pair per axis)."""
        try:
            width = np.broadcast_to(np.asarray(pad_width, dtype=int), (self.ndim, 2))
        except ValueError:
            raise ShapeError(f"pad: pad_width {pad_width!r} does not fit a Tensor of shape {self.shape}; give one "
                             "(before, after) pair per axis") from None
        if (width < 0).any():
            raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
        return sh.Pad.apply(self, tuple(map(tuple, width.tolist())), constant_values)

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


def _sum_to(g: Any, shape: tuple, node: Node) -> Any:
    """Undo broadcasting: sum `g` over the axes that broadcasting added or stretched, to get `shape` back."""
    lead = g.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, g.shape[lead:])):
        raise BackwardError(f"{node.name}.backward returned a gradient of shape {g.shape} for an input of shape "
                            f"{shape}; it must be that shape or broadcast from it")
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if lead else g


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _operand(x: Any, like: Tensor) -> Tensor:
    """The other operand of a binary op as a Tensor; a Python number takes the dtype of the Tensor it meets."""
    if isinstance(x, Tensor):
        return x
    if (type(x) is float or type(x) is int) and x:  # not 0: 0.0 and -0.0 are equal keys but differ in sign
        dtype = like.data.dtype
        by_number = _scalar_constants.get(dtype)
        if by_number is None:
            by_number = _scalar_constants[dtype] = {}
        key = x if dtype.kind == "f" else (type(x), x)  # for float Tensors 2 and 2.0 are the same constant
        constant = by_number.get(key)
        if constant is None:
            if len(by_number) > 4096:
                by_number.clear()
            constant = by_number[key] = _number_constant(x, like)
        return constant
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        return _number_constant(x, like)
    if isinstance(x, Variable):
        raise TypeError(f"cannot combine a Tensor with a {type(x).__name__}; use Tensors throughout")
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"cannot combine a Tensor with {type(x).__name__} (dtype {array.dtype}); "
                        "use numbers, arrays or Tensors")
    if isinstance(x, (list, tuple)) and array.dtype.kind in "iuf":
        # Python lists follow the rule for Python numbers (numpy would make them int64/float64 and upcast float32)
        kind = like.data.dtype.kind
        if kind == "f" or (kind in "iu" and array.dtype.kind in "iu"):
            array = array.astype(like.data.dtype)
        elif array.dtype.kind == "f":
            array = array.astype(_default_dtype)
    return Tensor._constant(array)


# Python numbers met in expressions (x * 0.5, 1 - y) become constant Tensors once per dtype and number: they are
# never modified, so sharing them saves making a new array for every operation.
_scalar_constants: dict = {}


def _number_constant(x: Any, like: Tensor) -> Tensor:
    kind = like.data.dtype.kind
    if kind == "f" or (kind in "iu" and isinstance(x, numbers.Integral)):
        return Tensor._constant(np.asarray(x, dtype=like.data.dtype))
    return Tensor._constant(np.asarray(x, dtype=_default_dtype if isinstance(x, float) else None))


def _index_data(index: Any) -> Any:
    """Tensors inside an index become their arrays (indices carry no gradient)."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _grad_like(grad: Any, out: Tensor, op: str) -> Any:
    """A user-given upstream gradient, checked against the output it belongs to."""
    if isinstance(grad, Tensor):
        g = grad
    else:
        g = np.asarray(grad, dtype=out.data.dtype)
    if g.shape != out.shape:
        raise ShapeError(f"{op}: grad has shape {g.shape} but the output has shape {out.shape}; pass a gradient "
                         "of the output's shape")
    return g
