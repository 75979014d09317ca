"""Value: the scalar front end, one Python float per graph node, for learning backprop by hand.

It runs on the same engine as Tensor: every op is a Function (add and multiply are the very ones Tensor uses, the rest
are in ops/scalar.py and use `math` on floats), so `autograd.grad(..., create_graph=True)` gives gradients of gradients
here too. Subtraction, negation and division come from algebra: a - b = a + (-b), -a = a * -1, a / b = a * b**-1.
"""
from __future__ import annotations

import numbers
from typing import Any

from . import engine
from .errors import BackwardError
from .function import Node, Variable
from .grad_mode import _grad_mode_was_why
from .variable import mark_modified
from .ops.arithmetic import Add, Mul
from .ops.scalar import Exp, Log, Pow, ReLU, Sigmoid, Tanh


class Value(Variable):
    """A scalar in the graph.

    Args:
        data: the number.
        label: a name shown in drawings and explanations.
        requires_grad: whether backward fills `.grad` (True by default, as in micrograd).
    """

    __slots__ = ("data",)
    _has_shape = False  # a float gradient needs no summing back
    _keeps_grad = True  # every Value keeps its gradient after backward, so a drawing can show them all
    _grad = 0.0
    label = ""
    shape, size = (), 1  # as numpy sees a number: a 0-d array of one element

    def __init__(self, data: float, label: str = "", requires_grad: bool = True) -> None:
        if isinstance(data, Value):
            data = data.data
        if isinstance(data, (str, bytes, bytearray)):  # float() would read "2" or b"1e400": text is not a number
            raise TypeError(f"Value: expected a number, got {type(data).__name__} {data!r}; convert text with float() "
                            "first if it is meant as a number")
        try:
            self.data = float(data)
        except (TypeError, ValueError):
            raise TypeError(f"Value: expected a number, got {type(data).__name__}") from None
        except OverflowError:  # an int (or Fraction) beyond 1.8e308
            raise ValueError(f"Value: the {type(data).__name__} is too large for a float (at most about 1.8e308); "
                             "scale it down first") from None
        if label:
            self.label = label
        self._node = None
        self._requires_grad = bool(requires_grad)

    # --- how the engine and Function.apply make and feed Values -------------------------------------------------
    @classmethod
    def _result(cls, data: Any, node: Node, index: int) -> Value:
        v = object.__new__(Value)
        v.data = data
        v._node = node
        v._requires_grad = True
        if index:
            v._index = index
        return v

    @classmethod
    def _constant(cls, data: Any) -> Value:
        return Value(data, requires_grad=False)

    @staticmethod
    def _output_info(data: Any) -> None:
        return None

    @staticmethod
    def _zero_grad(node: Node, index: int) -> float:
        return 0.0

    def _accumulate(self, g: Any, owned: bool) -> None:
        self._grad = self._grad + g

    def _seed(self, grad: Any, create_graph: bool, op: str) -> Any:
        """The gradient that starts a backward pass from this Value (1.0 unless given)."""
        grad = 1.0 if grad is None else grad
        if create_graph:
            return grad if isinstance(grad, Value) else Value(grad, requires_grad=False)
        return grad.data if isinstance(grad, Value) else float(grad)

    @staticmethod
    def _as_grad(g: Any) -> Value:
        return g if isinstance(g, Value) else Value(g, requires_grad=False)

    @staticmethod
    def _call_hook(hook: Any, g: Any) -> Any:
        result = hook(g)
        return g if result is None else result

    @staticmethod
    def _add_grads(old: Any, g: Any) -> Any:
        return g if old is None else old + g

    @property
    def grad(self) -> Any:
        """d(output)/d(this Value) after backward (0.0 before); a Value under create_graph."""
        node = self._node
        if node is None:
            return self._grad
        g = node.retained_grad
        if g is None:
            return 0.0
        return g[self._index] if isinstance(g, list) else g

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:  # zero_grad(set_to_none=True) style: a Value's "no gradient yet" is 0.0
            value = 0.0
        if self._node is None:
            self._grad = value
        else:
            self._node.retained_grad = value

    def backward(self, grad: float | None = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Fill `.grad` of every Value this one was computed from with d(this)/d(that).

        Args:
            grad: d(final objective)/d(this Value), 1.0 unless given (the same signature as Tensor.backward).
            retain_graph: keep the saved data so backward can run through this graph again.
            create_graph: record the backward pass itself, so the gradients can be differentiated again.
        """
        if not self._requires_grad:
            raise BackwardError(_grad_mode_was_why(self, "Value") or "backward: this Value does not require grad (it "
                                "is a constant or was computed only from constants: numbers and Values made with "
                                "requires_grad=False)")
        engine.run_backward([self], [self._seed(grad, create_graph, "backward")], retain_graph or create_graph,
                            create_graph)

    def copy_(self, value: float) -> Value:
        """Set this Value's number in place, unrecorded, and mark it as changed, so a graph that saved the old number
        refuses to use it in backward (optimizers update parameters this way). Returns self."""
        self.data = float(value.data if isinstance(value, Value) else value)
        mark_modified(self)
        return self

    # --- operators ---------------------------------------------------------------------------------------------
    def __add__(self, other: Any) -> Value:
        return Add.apply(self, _value(other))

    def __mul__(self, other: Any) -> Value:
        return Mul.apply(self, _value(other))

    def __pow__(self, other: Any) -> Value:
        if isinstance(other, Value):
            if self.data <= 0:
                raise ValueError(f"pow: a Value exponent needs a positive base (a**b = exp(b log a)), got base "
                                 f"{self.data}; use a plain number as the exponent for a base <= 0")
            return (other * self.log()).exp()  # a**b = exp(b log a)
        if not isinstance(other, numbers.Real):
            raise TypeError(f"pow: the exponent must be a number or a Value, got {type(other).__name__}")
        if type(other) is not int and type(other) is not float:  # numpy numbers: keep integer exponents integers
            other = int(other) if isinstance(other, numbers.Integral) else float(other)
        return Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Value:
        return _value(other) ** self

    def __neg__(self) -> Value:
        return self * -1

    def __radd__(self, other: Any) -> Value:
        return self + other

    def __sub__(self, other: Any) -> Value:
        return self + (-_value(other))

    def __rsub__(self, other: Any) -> Value:
        return _value(other) + (-self)

    def __rmul__(self, other: Any) -> Value:
        return self * other

    def __truediv__(self, other: Any) -> Value:
        return self * _value(other) ** -1

    def __rtruediv__(self, other: Any) -> Value:
        return _value(other) * self ** -1

    def exp(self) -> Value:
        return Exp.apply(self)

    def log(self) -> Value:
        return Log.apply(self)

    def tanh(self) -> Value:
        return Tanh.apply(self)

    def relu(self) -> Value:
        return ReLU.apply(self)

    def sigmoid(self) -> Value:
        return Sigmoid.apply(self)

    # comparisons look at the numbers only (no gradient), handy for accuracy and sorting
    def __lt__(self, other: Any) -> bool:
        return self.data < _number(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _number(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _number(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _number(other)

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f"{self.label}: " if self.label else ""
        return f"Value({label}data={self.data:.4g}, grad={_number(self.grad):.4g})"


Value._result_class = Value


def _value(x: Any) -> Value:
    """The other operand of an op as a Value: a number becomes a constant (one that needs no gradient)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, Variable):
        raise TypeError(f"cannot combine a Value with a {type(x).__name__}; use Values throughout")
    if not isinstance(x, numbers.Real):  # Python and numpy numbers (np.float32 is not a float subclass)
        raise TypeError(f"cannot combine a Value with {type(x).__name__}; use numbers or Values")
    return Value(x, requires_grad=False)


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else x
