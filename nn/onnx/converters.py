"""The table of every op export converts: Function class -> its converter (the converters are in forms.py).

The Functions are imported from where they live, here and nowhere else in nn/onnx, so a move changes only these imports.
A Function missing from the table has no ONNX form (yet): export names it, and the module it ran in.
"""
from __future__ import annotations

from typing import Callable

from autograd.ops.arithmetic import Add, Div, Mul, Neg, Pow, Sub
from autograd.ops.elementwise import Abs, Cast, Clip, Cos, Exp, Log, Maximum, Minimum, ReLU, Sigmoid, Sin, Sqrt, Tanh, Where
from autograd.ops.linalg import MatMul
from autograd.ops.reduce import LogSumExp, Max, Mean, Min, Sum
from autograd.ops.shape import BroadcastTo, Concatenate, GetItem, Pad, Reshape, Split, Transpose
from nn.functional.activation import GELU, Dropout, GELUTanh, LeakyReLU, LogSoftmax, NormalCDF, Softmax
from nn.functional.conv import Convolution
from nn.functional.linear import Linear
from nn.functional.normalization import LayerNorm
from nn.functional.pooling import AvgPool, MaxPool

from . import forms as f

CONVERTERS: dict[type, Callable] = {
    # elementwise (autograd/ops/elementwise.py): the ONNX op of the same name
    Add: f.same("Add"), Sub: f.same("Sub"), Mul: f.same("Mul"), Div: f.same("Div"), Pow: f.same("Pow"),
    Maximum: f.same("Max"), Minimum: f.same("Min"), Neg: f.same("Neg"), Exp: f.same("Exp"), Log: f.same("Log"),
    Sqrt: f.same("Sqrt"), Sin: f.same("Sin"), Cos: f.same("Cos"), Tanh: f.same("Tanh"), Sigmoid: f.same("Sigmoid"),
    ReLU: f.same("Relu"), Abs: f.same("Abs"), Clip: f.convert_clip, Where: f.convert_where, Cast: f.convert_cast,
    # reductions (autograd/ops/reduce.py)
    Sum: f.reduce("ReduceSum"), Mean: f.reduce("ReduceMean"), Max: f.reduce("ReduceMax"),
    Min: f.reduce("ReduceMin"), LogSumExp: f.reduce("ReduceLogSumExp"),
    # shape (autograd/ops/shape.py) and matrix product (autograd/ops/linalg.py)
    Reshape: f.convert_reshape, Transpose: f.convert_transpose, BroadcastTo: f.convert_broadcast_to,
    GetItem: f.convert_getitem, Concatenate: f.convert_concatenate, Split: f.convert_split, Pad: f.convert_pad,
    MatMul: f.same("MatMul"),
    # nn (nn/functional/)
    Linear: f.convert_linear, LeakyReLU: f.convert_leaky_relu, GELU: f.convert_gelu, GELUTanh: f.convert_gelu_tanh,
    NormalCDF: f.convert_normal_cdf, Softmax: f.convert_softmax, LogSoftmax: f.convert_log_softmax,
    Dropout: f.convert_dropout, Convolution: f.convert_conv, MaxPool: f.convert_max_pool, AvgPool: f.convert_avg_pool,
    LayerNorm: f.convert_layer_norm,
}

# Arguments a converter makes symbolic itself (the others must not change with the inputs' dynamic axes).
SHAPE_ARGUMENTS: dict[type, int] = {Reshape: 1, BroadcastTo: 1}
