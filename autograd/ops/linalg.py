"""Matrix product with numpy's rules: 1-d vectors, 2-d matrices and stacks of matrices with broadcast batch axes."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..function import Function


class MatMul(Function):
    """z = a @ b;  dz/da = grad @ b.T,  dz/db = a.T @ grad  (batch axes summed back by the engine)"""

    @staticmethod
    def forward(ctx, a, b):
        x, y = a.data, b.data
        check_matmul_shapes(x.shape, y.shape)
        ctx.save_for_backward(a, b)
        return x @ y

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        # a 1-d operand is a (1, n) row or an (n, 1) column; the engine sums the extra axis away
        if a.ndim == 1 and b.ndim == 1:
            grad = grad.reshape((1, 1))
        elif a.ndim == 1:
            grad = grad.reshape(grad.shape[:-1] + (1, grad.shape[-1]))
        elif b.ndim == 1:
            grad = grad.reshape(grad.shape + (1,))
        b_is_vector = b.ndim == 1
        if a.ndim == 1:
            a = a.reshape((1, -1))
        if b_is_vector:
            b = b.reshape((-1, 1))
        ga = grad @ b.swapaxes(-1, -2) if da else None
        gb = a.swapaxes(-1, -2) @ grad if db else None
        if gb is not None and b_is_vector:
            gb = gb.reshape(gb.shape[:-1])  # (..., n, 1) back to a column of the vector's length
        return ga, gb

    @staticmethod
    def jvp(ctx, da, db):
        """dz = da @ b + a @ db"""
        a, b = ctx.saved_tensors
        if db is None:
            return da @ b
        return a @ db if da is None else da @ b + a @ db

    @staticmethod
    def flops(c):
        """(..., n, k) @ (k, m): 2*n*k*m per batch element; backward grad @ b.T and a.T @ grad cost the same each"""
        products = 2 * c.out * c.in_shapes[0][-1]  # each of the outputs is a length-k dot product: k multiply-adds
        return products, (products, products)


def check_matmul_shapes(s: tuple, t: tuple) -> None:
    if len(s) == 0 or len(t) == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dimension, got shapes {s} and {t}; use * for scalars")
    ka, kb = s[-1], (t[0] if len(t) == 1 else t[-2])
    if ka != kb:
        dim_b = 0 if len(t) == 1 else len(t) - 2
        raise ShapeError(f"matmul: shapes {s} and {t} are not aligned: {ka} (dim {len(s) - 1}) != {kb} (dim {dim_b})")
    batch_a, batch_b = s[:-2], t[:-2]
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise ShapeError(f"matmul: batch dimensions {batch_a} and {batch_b} of shapes {s} and {t} do not broadcast") from None
