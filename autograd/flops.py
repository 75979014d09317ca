"""The FLOP count of every op, in one table: what the profiler adds up. Each entry says how it counts.

Multiply-adds count as 2 FLOPs; matmul and convolution are counted exactly (2*n*k*m for (n, k) @ (k, m)).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np


class OpCall:
    """What a FLOP count may look at: one op's arguments, input and output shapes, and its Node when recorded.

    `needs[i]` tells whether input i needs a gradient (backward counts skip the inputs that do not).
    """

    __slots__ = ("args", "in_shapes", "out_shapes", "needs", "node")

    def __init__(self, args: tuple, in_shapes: list, out_shapes: list, needs: tuple, node: Any) -> None:
        self.args, self.in_shapes, self.out_shapes, self.needs, self.node = args, in_shapes, out_shapes, needs, node

    @property
    def out(self) -> int:
        """Elements in the (first) output."""
        return _size(self.out_shapes[0])

    def size(self, i: int) -> int:
        """Elements in input i (0 for an argument that is not an array)."""
        shape = self.in_shapes[i]
        return 0 if shape is None else _size(shape)


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _zero(c: OpCall) -> int:
    return 0


def _times(k: int) -> Callable[[OpCall], int]:
    """k FLOPs per output element."""
    return lambda c: k * c.out


def _per_input(k: int) -> Callable[[OpCall], int]:
    """k FLOPs per element of the first input."""
    return lambda c: k * c.size(0)


def _each(*counts: Callable[[OpCall], int]) -> Callable[[OpCall], int]:
    """A backward count: one count per forward input, added up over the inputs that need a gradient."""
    return lambda c: sum(f(c) for f, need in zip(counts, c.needs) if need)


def _matmul(c: OpCall) -> int:
    # (..., n, k) @ (..., k, m): every one of the n*m outputs per batch element is a length-k dot product
    return 2 * c.out * c.in_shapes[0][-1]


def _advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return not all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


def _conv(c: OpCall) -> int:
    # x (N, C_in, H, W) * weight (C_out, C_in, kH, kW) -> (N, C_out, H_out, W_out): each output a C_in*kH*kW dot
    return 2 * c.out * _size(c.in_shapes[1][1:])


def _conv_grad(c: OpCall) -> int:
    # the input gradient (grad (N, C_out, H_out, W_out) with the weight) makes the same products as the forward conv
    return 2 * c.size(0) * _size(c.in_shapes[1][1:])


def _weight_grad(c: OpCall) -> int:
    # x (N, C_in, H, W) and grad (N, C_out, H_out, W_out) -> weight gradient w_shape: the same products again
    return 2 * c.size(1) * _size(c.args[2][1:])


def _rows(c: OpCall, axis: int) -> int:
    """How many softmax rows: output elements divided by the length of `axis`."""
    return c.out // c.out_shapes[0][axis] if c.out else 0


def _softmax(k: int, m: int) -> Callable[[OpCall], int]:
    """k per element, less m per row (a reduction over a row of C elements takes C - 1 operations)."""
    return lambda c: k * c.out - m * _rows(c, c.args[1])


def _linear(c: OpCall) -> int:
    # x (..., in) @ W.T (in, out): 2*in per output element
    return 2 * c.out * c.in_shapes[1][1]


def _cross_entropy(c: OpCall) -> int:
    n, classes = c.size(0) // c.in_shapes[0][1], c.in_shapes[0][1]
    return 5 * n * classes + 2 * n + (n * classes + 2 * n if c.args[3] else 0)


def _window(k: tuple) -> int:
    return k[0] * k[1]


# Each entry: op (Function class name) -> (forward count, backward count, how it is counted).
# n = output elements, N = input elements, M = output elements of a reduction. Multiply-adds count 2 FLOPs;
# comparisons, exp, log, sqrt, tanh, sin and cos count 1 each (real hardware spends more on the last ones).
# Backward counts only the gradients of inputs that need one. On top of every backward count the profiler adds the
# engine's sum back over broadcast axes (size of the returned gradient - size of the input, additions).
# Not counted: gradients summed where a value feeds several ops, .grad accumulation, and optimizer steps.
FLOPS: dict[str, tuple[Callable[[OpCall], int], Callable[[OpCall], int], str]] = {
    "Add": (_times(1), _each(_zero, _zero), "a + b: 1 per output; the gradient passes through"),
    "Sub": (_times(1), _each(_zero, _times(1)), "a - b: 1 per output; backward negates b's gradient (n)"),
    "Mul": (_times(1), _each(_times(1), _times(1)), "a * b: 1 per output; backward grad*b and grad*a (n each)"),
    "Div": (_times(1), _each(_times(1), _times(4)), "a / b: 1 per output; backward grad/b (n), -grad*a/(b*b) (4n)"),
    "Neg": (_times(1), _each(_times(1)), "-a: 1 per output; backward negates (n)"),
    "Pow": (_times(1), _each(_times(4), _times(3)), "a ** b: 1 per output; backward b*a**(b-1)*grad (4n), "
                                                   "z*log(a)*grad (3n)"),
    "Exp": (_times(1), _each(_times(1)), "exp: 1 per output; backward grad*y (n)"),
    "Log": (_times(1), _each(_times(1)), "log: 1 per output; backward grad/x (n)"),
    "Sqrt": (_times(1), _each(_times(2)), "sqrt: 1 per output; backward grad*0.5/y (2n)"),
    "Sin": (_times(1), _each(_times(2)), "sin: 1 per output; backward grad*cos(x) (2n)"),
    "Cos": (_times(1), _each(_times(3)), "cos: 1 per output; backward -grad*sin(x) (3n)"),
    "Tanh": (_times(1), _each(_times(3)), "tanh: 1 per output; backward grad*(1-y*y) (3n)"),
    "Sigmoid": (_times(4), _each(_times(3)), "0.5*(tanh(0.5x)+1): 4 per output; backward grad*y*(1-y) (3n)"),
    "ReLU": (_times(1), _each(_times(1)), "max(x, 0): 1 comparison per output; backward grad*mask (n)"),
    "Abs": (_times(1), _each(_times(1)), "|x|: 1 per output; backward grad*sign (n)"),
    "Clip": (lambda c: c.out * ((c.args[1] is not None) + (c.args[2] is not None)), _each(_times(1)),
             "clip: 1 comparison per bound per output; backward grad*mask (n)"),
    "Maximum": (_times(1), _each(_times(1), _times(2)), "1 comparison per output; backward grad*share (n), "
                                                        "grad*(1-share) (2n)"),
    "Minimum": (_times(1), _each(_times(1), _times(2)), "1 comparison per output; backward as Maximum"),
    "Where": (_zero, _each(_zero, _zero, _zero), "selection only, no arithmetic"),
    "Cast": (_zero, _each(_zero), "a change of dtype, no arithmetic"),
    "Sum": (lambda c: c.size(0) - c.out, _each(_zero), "N - M additions; backward spreads the gradient (0)"),
    "Mean": (_per_input(1), _each(lambda c: c.out), "N - M additions + M divisions = N; backward grad/count (M)"),
    "Max": (lambda c: c.size(0) - c.out, _each(_per_input(1)), "N - M comparisons; backward spread*share (N)"),
    "Min": (lambda c: c.size(0) - c.out, _each(_per_input(1)), "N - M comparisons; backward spread*share (N)"),
    "LogSumExp": (_per_input(4), _each(_per_input(3)), "max, x-m, exp, sum: 4 per input element (+ log and +m "
                                                       "on M); backward grad*exp(x-y) (3N)"),
    "MatMul": (_matmul, _each(_matmul, _matmul), "(..., n, k) @ (k, m): 2*n*k*m per batch element; backward "
                                                 "grad @ b.T and a.T @ grad cost the same each"),
    "Reshape": (_zero, _each(_zero), "no arithmetic"),
    "Transpose": (_zero, _each(_zero), "no arithmetic"),
    "BroadcastTo": (_zero, _each(_zero), "no arithmetic (the engine's sum back is added to backward)"),
    "GetItem": (_zero, _each(lambda c: c.out if _advanced(c.args[1]) else 0),
                "no arithmetic; backward scatters, adding once per picked element for integer-array indices"),
    "IndexAdd": (lambda c: c.size(0) if _advanced(c.args[1]) else 0, _each(_zero),
                 "scatter: 1 addition per element for integer-array indices, else 0; backward picks (0)"),
    "Concatenate": (_zero, _zero, "no arithmetic"),
    "Split": (_zero, _zero, "no arithmetic"),
    "Pad": (_zero, _each(_zero), "no arithmetic"),
    "SetItem": (_zero, _each(lambda c: c.size(0), _zero, _zero), "x[index] = v: a copy, no arithmetic; backward "
                                                                "masks x's gradient (N), picks v's (0)"),
    # nn's fused ops
    "Linear": (lambda c: _linear(c) + (c.out if c.in_shapes[2] is not None else 0),
               _each(_linear, _linear, lambda c: c.out - c.size(2)),
               "x @ W.T (+ b): 2*in per output (+1 with bias); backward grad @ W and grad.T @ x cost the same as "
               "the forward product each, the bias gradient sums the rows (n - out)"),
    "LeakyReLU": (_times(2), _each(_times(1)), "a comparison and a product per output; backward grad*scale (n)"),
    "NormalCDF": (_times(5), _each(_times(5)), "|x|, scale, erfc (1, like exp), halve, 1 - tail: 5 per output; "
                                               "backward grad*pdf(x) (5n)"),
    "GELU": (_times(6), _each(_times(7)), "x*Phi(x): Phi 5 + 1 per output; backward grad*(Phi + x*pdf(x)) (7n)"),
    "GELUTanh": (_times(9), _each(_times(13)), "x/2*(1+tanh(c(x+0.044715x^3))): 9 per output; backward 13n"),
    "Softmax": (_softmax(5, 2), _each(_softmax(4, 1)), "max, subtract, exp, sum, divide: 5 per element less 2 per "
                                                       "row; backward y*(grad - sum(grad*y)) (4 per element - 1)"),
    "LogSoftmax": (_softmax(5, 1), _each(_softmax(4, 1)), "max, subtract, exp, sum, log, subtract: 5 per element "
                                                          "less 1 per row; backward grad - exp(y)*sum(grad) (4 - 1)"),
    "Dropout": (_times(1), _each(_times(1)), "x * scaled mask: 1 per output; backward grad * scaled mask (n)"),
    "CrossEntropy": (_cross_entropy, _each(lambda c: c.size(0) + 2 * c.size(0) // c.in_shapes[0][1]
                                           + (c.size(0) if c.args[3] else 0)),
                     "for N rows of C logits: log-softmax 5NC, the picked log-probability and the mean 2N (label "
                     "smoothing: + NC + 2N); backward softmax*scale - onehot: NC + 2N (smoothing: + NC)"),
    "BinaryCrossEntropy": (_times(10), _each(_times(6), _times(7)), "two clamped logs and the weighted sum: 10 "
                                                                   "per output; backward 6n for p, 7n for y"),
    "BinaryCrossEntropyWithLogits": (_times(8), _each(_times(6), _times(2)), "max(x,0) - x*y + log1p(exp(-|x|)): "
                                                                             "8 per output; backward 6n, 2n"),
    "Convolution": (lambda c: _conv(c) + (c.out if c.in_shapes[2] is not None else 0),
                    _each(_conv, _conv, lambda c: c.out - c.size(2)),
                    "2*C_in*kH*kW per output (+1 with bias), as a matmul of the weight with the im2col columns; "
                    "backward: the same products for the input and for the weight gradient, N*H_out*W_out - 1 "
                    "additions per bias (col2im's overlap additions are not counted)"),
    "TransposedConvolution": (_conv_grad, _each(_conv_grad, _conv_grad), "the input gradient of a convolution "
                                                                         "(create_graph): its products, as conv"),
    "ConvolutionWeightGrad": (_weight_grad, _each(_weight_grad, _weight_grad), "the weight gradient of a "
                                                                               "convolution (create_graph), as conv"),
    "MaxPool": (lambda c: c.out * (_window(c.args[1]) - 1), _each(_times(1)),
                "kH*kW - 1 comparisons per output; backward sends each gradient to its window's max (n)"),
    "AvgPool": (lambda c: c.out * _window(c.args[1]), _each(lambda c: c.out * (_window(c.args[1]) + 1)),
                "kH*kW - 1 additions and a division per output; backward divides and spreads: n*(kH*kW + 1)"),
    "AvgPoolTranspose": (lambda c: c.size(0) * (_window(c.args[2]) + 1),
                         _each(lambda c: c.size(0) * _window(c.args[2])),
                         "the input gradient of avg_pool2d (create_graph): n*(kH*kW + 1); backward avg_pool"),
}


def register_flops(op: str, forward: Callable[[OpCall], int], backward: Callable[[OpCall], int] | None = None,
                   note: str = "") -> None:
    """Tell the profiler how many FLOPs a (custom) Function performs.

    Args:
        op: the Function's class name.
        forward: OpCall -> FLOPs of one forward call.
        backward: OpCall -> FLOPs of its backward (counting only inputs with `call.needs[i]`); None for 0.
        note: one line saying how it is counted.
    """
    FLOPS[op] = (forward, backward or _zero, note)
