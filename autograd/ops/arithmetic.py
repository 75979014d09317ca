"""Arithmetic: +, -, *, /, unary - and ** as Functions, with numpy broadcasting. Each backward returns gradients of
the broadcast shape; the engine sums them back to each input's shape. This is the first file of ops to read: each op
is its forward, its backward, and the derivative in its docstring."""
from __future__ import annotations

import numpy as np

from ..function import Function
from .numpy_errors import numpy_warnings_as


class Add(Function):
    """z = a + b;  dz/da = 1,  dz/db = 1"""

    @staticmethod
    def forward(ctx, a, b):
        return a.data + b.data

    @staticmethod
    def backward(ctx, grad):
        return grad, grad

    @staticmethod
    def jvp(ctx, da, db):
        """dz = da + db"""
        if db is None:
            return da
        return db if da is None else da + db

    @staticmethod
    def flops(c):
        """a + b: 1 per output; the gradient passes through"""
        return c.out, (0, 0)


class Sub(Function):
    """z = a - b;  dz/da = 1,  dz/db = -1"""

    @staticmethod
    def forward(ctx, a, b):
        return a.data - b.data

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad

    @staticmethod
    def jvp(ctx, da, db):
        """dz = da - db"""
        if db is None:
            return da
        return -db if da is None else da - db

    @staticmethod
    def flops(c):
        """a - b: 1 per output; backward negates b's gradient (1 per output)"""
        return c.out, (0, c.out)


class Mul(Function):
    """z = a * b;  dz/da = b,  dz/db = a"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.data * b.data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (grad * b if da else None), (grad * a if db else None)

    @staticmethod
    def jvp(ctx, da, db):
        """dz = b * da + a * db"""
        a, b = ctx.saved_tensors
        if db is None:
            return b * da
        return a * db if da is None else b * da + a * db

    @staticmethod
    def flops(c):
        """a * b: 1 per output; backward grad*b and grad*a (1 per output each)"""
        return c.out, (c.out, c.out)


class Div(Function):
    """z = a / b;  dz/da = 1/b,  dz/db = -a/b**2"""

    @staticmethod
    @numpy_warnings_as({"divide by zero": "divide: division by zero gives inf or -inf; keep the denominator away "
                                          "from 0",
                        "invalid value": "divide: 0/0 (or inf/inf) gives nan; keep the denominator away from 0"})
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.data / b.data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (grad / b if da else None), (-grad * a / (b * b) if db else None)

    @staticmethod
    def jvp(ctx, da, db):
        """dz = da / b - a * db / b**2"""
        a, b = ctx.saved_tensors
        if db is None:
            return da / b
        d_by_b = -a * db / (b * b)
        return d_by_b if da is None else da / b + d_by_b

    @staticmethod
    def flops(c):
        """a / b: 1 per output; backward grad/b (1 per output), -grad*a/(b*b) (4)"""
        return c.out, (c.out, 4 * c.out)


class Neg(Function):
    """z = -a;  dz/da = -1"""

    @staticmethod
    def forward(ctx, a):
        return -a.data

    @staticmethod
    def backward(ctx, grad):
        return -grad

    @staticmethod
    def jvp(ctx, da):
        """dz = -da"""
        return -da

    @staticmethod
    def flops(c):
        """-a: 1 per output; backward negates (1)"""
        return c.out, (c.out,)


class Pow(Function):
    """z = a ** b;  dz/da = b * a**(b-1),  dz/db = a**b * log(a)"""

    @staticmethod
    @numpy_warnings_as({"divide by zero": "pow: 0 to a negative power gives inf; keep the base away from 0",
                        "invalid value": "pow: a negative base to a fractional power gives nan; use a positive base"})
    def forward(ctx, a, b):
        z = a.data ** b.data
        ctx.save_for_backward(a, b, z)
        return z

    @staticmethod
    def backward(ctx, grad):
        a, b, z = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        # exponent b - 1, but b where a == b == 0: d(a**0)/da is 0 there too (0 * 0**-1 would be nan); only that
        # point, so the slope of b * a**(b-1) in b (a**-1 at b = 0) stays right for second derivatives
        da = grad * b * a ** (b - 1 + ((a == 0) & (b == 0))) if da else None
        return da, (grad * z * np.log(a) if db else None)

    @staticmethod
    def jvp(ctx, da, db):
        """dz = b * a**(b-1) * da + a**b * log(a) * db"""
        a, b, z = ctx.saved_tensors
        dz = None
        if da is not None:  # the exponent as in backward: 0**0 has slope 0 in a
            dz = b * a ** (b - 1 + ((a == 0) & (b == 0))) * da
        if db is not None:
            d_exponent = z * np.log(a) * db
            dz = d_exponent if dz is None else dz + d_exponent
        return dz

    @staticmethod
    def flops(c):
        """a ** b: 1 per output; backward b*a**(b-1)*grad (4 per output), z*log(a)*grad (3)"""
        return c.out, (4 * c.out, 3 * c.out)
