"""The scalar ops of Value: x ** n, exp, log, tanh, relu and sigmoid on one Python float, with `math`. Each is a
Function like the Tensor ops (forward, backward with its derivative in the docstring, jvp, its FLOP count); Value's +
and * are the Tensor ops themselves (ops/arithmetic.py), and exp, log and tanh take the Tensor ops' backward, jvp and
FLOP count, which work on floats as they are: only their forward, with `math`, is Value's own."""
from __future__ import annotations

import math

from ..function import Function
from . import elementwise


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


class Exp(elementwise.Exp):
    """y = exp(x);  dy/dx = exp(x) = y"""  # backward, jvp and flops: the Tensor op's, which work on floats as they are

    @staticmethod
    def forward(ctx, x):
        y = math.exp(x.data) if x.data < 709.0 else math.inf
        ctx.save_for_backward(y)
        return y


class Log(elementwise.Log):
    """y = log(x);  dy/dx = 1/x"""

    @staticmethod
    def forward(ctx, x):
        if x.data <= 0:
            raise ValueError(f"log: needs a positive Value, got {x.data}")
        ctx.save_for_backward(x)
        return math.log(x.data)


class Tanh(elementwise.Tanh):
    """y = tanh(x);  dy/dx = 1 - y**2"""

    @staticmethod
    def forward(ctx, x):
        y = math.tanh(x.data)
        ctx.save_for_backward(y)
        return y


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
        return Sigmoid.backward(ctx, dx)  # the slope times dx: backward's product

    @staticmethod
    def flops(c):
        """|x|, exp, 1 + e, a choice and a division: 5; backward grad*y*sigmoid(-x) (7)"""
        return 5, (7,)
