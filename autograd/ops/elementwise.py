"""Elementwise functions (exp, log, sqrt, sin, cos, tanh, sigmoid, relu, abs, clip, maximum, minimum, where) and the
dtype cast, with numpy broadcasting. Each backward returns gradients of the broadcast shape; the engine sums them back
to each input's shape. The arithmetic operators are in arithmetic.py."""
from __future__ import annotations

import numpy as np

from ..function import Function
from .numpy_errors import numpy_warnings_as


class Exp(Function):
    """y = exp(x);  dy/dx = exp(x) = y"""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x.data)
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
        """exp: 1 per output; backward grad*y (1)"""
        return c.out, (c.out,)


class Log(Function):
    """y = log(x);  dy/dx = 1/x"""

    @staticmethod
    @numpy_warnings_as({"divide by zero": "log: log(0) gives -inf; clip the input away from 0 if that is not meant",
                        "invalid value": "log: log of a negative number gives nan; log needs inputs >= 0"})
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x.data)

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
        """log: 1 per output; backward grad/x (1)"""
        return c.out, (c.out,)


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 sqrt(x)) = 0.5 / y"""

    @staticmethod
    @numpy_warnings_as({"invalid value": "sqrt: sqrt of a negative number gives nan; sqrt needs inputs >= 0"})
    def forward(ctx, x):
        y = np.sqrt(x.data)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * 0.5 / y

    @staticmethod
    def jvp(ctx, dx):
        """dy = 0.5 * dx / y"""
        (y,) = ctx.saved_tensors
        return dx * 0.5 / y

    @staticmethod
    def flops(c):
        """sqrt: 1 per output; backward grad*0.5/y (2)"""
        return c.out, (2 * c.out,)


class Sin(Function):
    """y = sin(x);  dy/dx = cos(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.cos(x)

    @staticmethod
    def jvp(ctx, dx):
        """dy = cos(x) * dx"""
        (x,) = ctx.saved_tensors
        return np.cos(x) * dx

    @staticmethod
    def flops(c):
        """sin: 1 per output; backward grad*cos(x) (2)"""
        return c.out, (2 * c.out,)


class Cos(Function):
    """y = cos(x);  dy/dx = -sin(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x.data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * np.sin(x)

    @staticmethod
    def jvp(ctx, dx):
        """dy = -sin(x) * dx"""
        (x,) = ctx.saved_tensors
        return -np.sin(x) * dx

    @staticmethod
    def flops(c):
        """cos: 1 per output; backward -grad*sin(x) (3)"""
        return c.out, (3 * c.out,)


class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - tanh(x)**2 = 1 - y**2"""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x.data)
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
        """tanh: 1 per output; backward grad*(1-y*y) (3)"""
        return c.out, (3 * c.out,)


def sigmoid(x):
    """1 / (1 + exp(-x)) on an ndarray, to full relative precision in both tails and without overflow.

    For x < 0 it computes exp(x) / (1 + exp(x)): exp only ever sees -|x| <= 0, so it never overflows (exp(-x) does
    below -88 in float32), and each step keeps relative precision, so a tiny result keeps its digits (the
    0.5 * (tanh(x/2) + 1) form rounds to 0 below -17 in float32 and -37 in float64).
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  dy/dx = y * (1 - y) = sigmoid(x) * sigmoid(-x)"""

    @staticmethod
    def forward(ctx, x):
        y = sigmoid(x.data)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        # 1 - y rounds to 0 once y rounds to 1 (x > 17 in float32); sigmoid(-x), the same number, keeps its digits
        complement = Sigmoid.apply(-x) if ctx.create_graph else sigmoid(-x)
        return grad * y * complement

    @staticmethod
    def jvp(ctx, dx):
        """dy = y * sigmoid(-x) * dx"""
        return Sigmoid.backward(ctx, dx)  # the slope times dx: backward's product

    @staticmethod
    def flops(c):
        """|x|, exp(-|x|), 1 + e, a choice and a division: 5 per output; backward grad*y*sigmoid(-x) (7)"""
        return 5 * c.out, (7 * c.out,)


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0"""

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x.data, 0)
        ctx.save_for_backward(y > 0)
        return y

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask

    @staticmethod
    def jvp(ctx, dx):
        """dy = dx where x > 0, else 0"""
        (mask,) = ctx.saved_tensors
        return dx * mask

    @staticmethod
    def flops(c):
        """max(x, 0): 1 comparison per output; backward grad*mask (1)"""
        return c.out, (c.out,)


class Abs(Function):
    """y = |x|;  dy/dx = sign(x)  (0 at x = 0)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.sign(x.data))
        return np.abs(x.data)

    @staticmethod
    def backward(ctx, grad):
        (sign,) = ctx.saved_tensors
        return grad * sign

    @staticmethod
    def jvp(ctx, dx):
        """dy = sign(x) * dx"""
        (sign,) = ctx.saved_tensors
        return dx * sign

    @staticmethod
    def flops(c):
        """|x|: 1 per output; backward grad*sign (1)"""
        return c.out, (c.out,)


class Clip(Function):
    """y = clip(x, lo, hi);  dy/dx = 1 where lo <= x <= hi, else 0"""

    @staticmethod
    def forward(ctx, x, lo, hi):
        data = x.data
        mask = np.ones(data.shape, dtype=bool)
        if lo is not None:
            mask &= data >= lo
        if hi is not None:
            mask &= data <= hi
        ctx.save_for_backward(mask)
        return np.clip(data, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return grad * mask, None, None

    @staticmethod
    def jvp(ctx, dx, dlo, dhi):
        """dy = dx where lo <= x <= hi, else 0"""
        (mask,) = ctx.saved_tensors
        return dx * mask

    @staticmethod
    def flops(c):
        """1 comparison per bound per output; backward grad*mask (1)"""
        return c.out * ((c.args[1] is not None) + (c.args[2] is not None)), (c.out, 0, 0)


class Maximum(Function):
    """z = maximum(a, b);  dz/da = 1 where a > b (1/2 on ties),  dz/db = 1 where b > a (1/2 on ties)"""

    @staticmethod
    def forward(ctx, a, b):
        z = np.maximum(a.data, b.data)
        ctx.save_for_backward(((a.data > b.data) + 0.5 * (a.data == b.data)).astype(z.dtype))  # a's share
        return z

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return grad * share, grad * (1 - share)

    @staticmethod
    def jvp(ctx, da, db):
        """dz = share * da + (1 - share) * db  (share: a's, 1 where a wins, 1/2 on ties, 0 elsewhere)"""
        (share,) = ctx.saved_tensors
        if db is None:
            return share * da
        return (1 - share) * db if da is None else share * da + (1 - share) * db

    @staticmethod
    def flops(c):
        """1 comparison per output; backward grad*share (1), grad*(1-share) (2)"""
        return c.out, (c.out, 2 * c.out)


class Minimum(Maximum):
    """z = minimum(a, b);  dz/da = 1 where a < b (1/2 on ties),  dz/db = 1 where b < a (1/2 on ties)"""
    # backward, jvp and flops: Maximum's, with the share forward gives a where a < b

    @staticmethod
    def forward(ctx, a, b):
        z = np.minimum(a.data, b.data)
        ctx.save_for_backward(((a.data < b.data) + 0.5 * (a.data == b.data)).astype(z.dtype))  # a's share
        return z


class Where(Function):
    """z = where(cond, a, b);  dz/da = 1 where cond, dz/db = 1 where not cond"""

    @staticmethod
    def forward(ctx, cond, a, b):
        return np.where(cond, a.data, b.data)

    @staticmethod
    def backward(ctx, grad):
        cond = ctx.inputs[0]
        return None, np.where(cond, grad, 0), np.where(cond, 0, grad)

    @staticmethod
    def jvp(ctx, dcond, da, db):
        """dz = where(cond, da, db)"""
        cond = ctx.inputs[0]
        return np.where(cond, 0 if da is None else da, 0 if db is None else db)

    @staticmethod
    def flops(c):
        """selection only, no arithmetic"""
        return 0, (0, 0, 0)


class Cast(Function):
    """y = x.astype(dtype);  dy/dx = 1 (the engine casts every gradient to its input's dtype)"""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.data.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None

    @staticmethod
    def jvp(ctx, dx, ddtype):
        """dy = dx.astype(dtype)"""
        return dx.astype(ctx.inputs[1])

    @staticmethod
    def flops(c):
        """a change of dtype, no arithmetic"""
        return 0, (0, 0)
