"""The graph side of Tensor: requires_grad, .grad, hooks and backward(), and the Variable protocol (variable.py) for
values holding a numpy array. Here gradients are summed back over broadcast axes (the one place broadcasting is
undone), cast to their input's dtype, accumulated into `.grad` and passed through hooks. tensor.py builds the numpy
surface (operators, reductions, shapes) on top.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import engine
from .errors import BackwardError, DTypeError, ShapeError
from .grad_mode import _grad_mode_was_why, _state
from .variable import Variable

if TYPE_CHECKING:
    from .function import Node
    from .tensor import Tensor


class ArrayVariable(Variable):
    """A graph value holding a numpy array in `.data`. The classes it makes are `_result_class` (Tensor)."""

    __slots__ = ("data",)
    _has_shape = True   # gradients are summed back over broadcast axes and cast to the dtype
    _keeps_grad = False  # results keep their gradient only after retain_grad()
    _grad: Tensor | None = None

    # --- requires_grad, .grad, hooks and backward: what Tensor shows of the graph ------------------------------
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
        if value is not None and not isinstance(value, ArrayVariable):
            value = self._result_class(value, dtype=self.data.dtype)
        if value is not None and value.shape != self.data.shape:
            raise ShapeError(f"grad: assigned a gradient of shape {value.shape} to a Tensor of shape {self.data.shape}")
        self._grad = value

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

    # --- the protocol: how the engine and Function.apply make and feed array values ---------------------------
    @classmethod
    def _constant(cls, data: Any) -> Tensor:
        t = object.__new__(cls._result_class)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t._node = None
        t._requires_grad = False
        return t

    @classmethod
    def _result(cls, data: Any, node: Node, index: int) -> Tensor:
        t = object.__new__(cls._result_class)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t._node = node
        t._requires_grad = True
        if index:
            t._index = index
        return t

    @staticmethod
    def _output_info(data: Any) -> tuple:
        return np.shape(data), np.asarray(data).dtype

    @classmethod
    def _zero_grad(cls, node: Node, index: int) -> Any:
        shape, dtype = node.outputs_info[index]
        zeros = np.zeros(shape, dtype)
        return cls._constant(zeros) if _state.enabled else zeros

    def _fit_grad(self, g: Any, node: Node) -> Any:
        """The gradient `g` sent to this value, summed back over broadcast axes and cast to its dtype."""
        data = self.data
        if type(g) is np.ndarray and g.shape == data.shape and g.dtype is data.dtype:
            return g  # the usual case, checked first
        if not isinstance(g, (np.ndarray, ArrayVariable)):
            g = np.asarray(g)
        if g.shape != data.shape:
            g = sum_to(g, data.shape, node)
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
        return g

    def _accumulate(self, g: Any, owned: bool) -> None:
        constant = self._constant
        if self._grad is not None:
            self._grad = self._grad + g if isinstance(g, ArrayVariable) else constant(self._grad.data + g)
            return
        data = g.data if isinstance(g, ArrayVariable) else g
        if not owned or data.base is not None:  # a view, or an array someone else holds: .grad owns a copy
            if not isinstance(g, ArrayVariable):
                g = data.copy()
            elif g._node is not None:  # create_graph: the copy is still the same graph value
                g = self._result(data.copy(), g._node, g._index)
            elif not g._requires_grad:  # (a leaf that requires grad stays itself, so its gradient still flows)
                g = constant(data.copy())
        self._grad = g if isinstance(g, ArrayVariable) else constant(g)

    def _seed(self, grad: Any, create_graph: bool, op: str) -> Any:
        """The gradient that starts a backward pass from this value: ones for a 1-element output, else `grad`."""
        if grad is None:
            if self.data.size != 1:
                raise BackwardError(f"{op}() without grad= needs a 1-element output, got shape {self.data.shape}; "
                                    "call .sum() first or pass grad=")
            grad = np.ones_like(self.data)
        else:
            grad = _grad_like(grad, self, op)
        if create_graph:
            return grad if isinstance(grad, ArrayVariable) else self._constant(grad)
        return grad.data if isinstance(grad, ArrayVariable) else grad

    @classmethod
    def _as_grad(cls, g: Any) -> Tensor:
        return g if isinstance(g, ArrayVariable) else cls._constant(g)

    @classmethod
    def _call_hook(cls, hook: Callable, g: Any) -> Any:
        raw = not isinstance(g, ArrayVariable)
        result = hook(cls._constant(g) if raw else g)
        if result is None or result is g:
            return g
        if not isinstance(result, ArrayVariable):
            result = cls._constant(np.asarray(result))
        if result.data.shape != np.shape(g):
            raise BackwardError(f"register_hook: the hook {getattr(hook, '__name__', hook)!s} returned a gradient of "
                                f"shape {result.data.shape} in place of one of shape {np.shape(g)}; a hook must keep "
                                "the shape")
        # The caller may hold what its hook returned (or it may be read-only), while .grad is changed in place (by
        # clip_grad_norm_, say): the gradient gets its own copy, in the gradient's dtype (a float64 result for a
        # float32 parameter would change the .grad dtype).
        if raw:
            return result.data.astype(g.dtype)  # astype copies
        if result.data.dtype != g.data.dtype:
            return result.astype(g.data.dtype)  # create_graph: a recorded cast, new data
        if result._node is not None:  # the same place in the graph, its own data
            return cls._result(result.data.copy(), result._node, result._index)
        return result if result._requires_grad else cls._constant(result.data.copy())

    @classmethod
    def _add_grads(cls, old: Tensor | None, g: Any) -> Tensor:
        g = g if isinstance(g, ArrayVariable) else cls._constant(np.array(g))
        return g if old is None else old + g


def sum_to(g: Any, shape: tuple, node: Node) -> Any:
    """Undo broadcasting: sum `g` over the axes that broadcasting added or stretched, to get `shape` back."""
    lead = g.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, g.shape[lead:])):
        raise BackwardError(f"{node.name}.backward returned a gradient of shape {g.shape} for an input of shape "
                            f"{shape}; it must be that shape or broadcast from it")
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if lead else g


def _grad_like(grad: Any, out: ArrayVariable, op: str) -> Any:
    """A user-given upstream gradient, checked against the output it belongs to."""
    if isinstance(grad, ArrayVariable):
        g = grad
    else:
        g = np.asarray(grad, dtype=out.data.dtype)
    if g.shape != out.data.shape:
        raise ShapeError(f"{op}: grad has shape {g.shape} but the output has shape {out.data.shape}; pass a gradient "
                         "of the output's shape")
    return g
