"""Value: the scalar front end, one Python float per graph node, for learning backprop by hand.

It runs on the same engine as Tensor: every op is a Function (add and multiply are the very ones Tensor uses; the rest
use `math` on floats), so `autograd.grad(..., create_graph=True)` gives gradients of gradients here too. Subtraction,
negation and division come from algebra: a - b = a + (-b), -a = a * -1, a / b = a * b**-1.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

from . import engine
from .errors import BackwardError
from .function import Function, Node, Variable
from .grad_mode import _grad_mode_was_why
from .variable import mark_modified
from .ops.arithmetic import Add, Mul


class Pow(Function):
    """y = x ** n  (n a number);  dy/dx = n * x**(n-1)"""

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        try:
            y = x.data ** n
        except ZeroDivisionError:
            raise ZeroDivisionError(f"pow: {x.data} ** {n} divides by zero; a / b computes a * b**-1, so b must not "
                                    "be 0") from None
        if isinstance(y, complex):
            raise ValueError(f"pow: {x.data} ** {n} is not a real number; use a positive base for fractional powers")
        return y

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        n = ctx.inputs[1]
        if n == 0:
            return grad * 0.0, None  # x**0 is 1 everywhere, even at 0 where x**-1 is undefined
        if n < 1 and float(x) == 0.0:
            return grad * (n * math.inf), None  # the slope of x**n at 0 for 0 < n < 1 is infinite (as numpy says)
        return grad * n * x ** (n - 1), None

    @staticmethod
    def jvp(ctx, dx, dn):
        """dy = n * x**(n-1) * dx"""
        return Pow.backward(ctx, dx)[0]  # the slope times dx: backward's product, with its care at x = 0

    @staticmethod
    def flops(c):
        """x ** n: 1; backward n * x**(n-1) * grad (4)"""
        return 1, (4, 0)


class Exp(Function):
    """y = exp(x);  dy/dx = exp(x) = y"""

    @staticmethod
    def forward(ctx, x):
        y = math.exp(x.data) if x.data < 709.0 else math.inf
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y

    @staticmethod
    def jvp(ctx, dx):
        """dy = y * dx"""
        (y,) = ctx.saved_tensors
        return y * dx

    @staticmethod
    def flops(c):
        """exp: 1; backward grad*y (1)"""
        return 1, (1,)


class Log(Function):
    """y = log(x);  dy/dx = 1/x"""

    @staticmethod
    def forward(ctx, x):
        if x.data <= 0:
            raise ValueError(f"log: needs a positive Value, got {x.data}")
        ctx.save_for_backward(x)
        return math.log(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x

    @staticmethod
    def jvp(ctx, dx):
        """dy = dx / x"""
        (x,) = ctx.saved_tensors
        return dx / x

    @staticmethod
    def flops(c):
        """log: 1; backward grad/x (1)"""
        return 1, (1,)


class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y**2"""

    @staticmethod
    def forward(ctx, x):
        y = math.tanh(x.data)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)

    @staticmethod
    def jvp(ctx, dx):
        """dy = (1 - y**2) * dx"""
        (y,) = ctx.saved_tensors
        return (1 - y * y) * dx

    @staticmethod
    def flops(c):
        """tanh: 1; backward grad*(1-y*y) (3)"""
        return 1, (3,)


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 if x > 0 else 0"""

    @staticmethod
    def forward(ctx, x):
        y = x.data if x.data > 0 else 0.0
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1.0 if y > 0 else 0.0)

    @staticmethod
    def jvp(ctx, dx):
        """dy = dx if x > 0 else 0"""
        (y,) = ctx.saved_tensors
        return dx * (1.0 if y > 0 else 0.0)

    @staticmethod
    def flops(c):
        """a comparison; backward grad*mask (1)"""
        return 1, (1,)


def _sigmoid(x: float) -> float:
    """1 / (1 + exp(-x)) to full relative precision: for x < 0 the same number as exp(x) / (1 + exp(x)), so exp
    never overflows and a tiny result keeps its digits."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  dy/dx = y * (1 - y) = sigmoid(x) * sigmoid(-x)"""

    @staticmethod
    def forward(ctx, x):
        y = _sigmoid(x.data)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        # 1 - y rounds to 0 once y rounds to 1 (x > 37); sigmoid(-x), the same number, keeps its digits
        complement = (-x).sigmoid() if ctx.create_graph else _sigmoid(-x)
        return grad * y * complement

    @staticmethod
    def jvp(ctx, dx):
        """dy = y * sigmoid(-x) * dx"""
        x, y = ctx.saved_tensors
        complement = (-x).sigmoid() if ctx.create_graph else _sigmoid(-x)
        return y * complement * dx

    @staticmethod
    def flops(c):
        """|x|, exp, 1 + e, a choice and a division: 5; backward grad*y*sigmoid(-x) (7)"""
        return 5, (7,)


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
