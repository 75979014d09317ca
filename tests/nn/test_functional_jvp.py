"""Forward mode through nn's fused ops: each Function's jvp against central differences in float64 and against the
reverse-mode Jacobian, again under create_graph (jvp of jvp), and a check that every nn Function has a case here."""
from __future__ import annotations

import numpy as np
import pytest

import nn.functional as F
from autograd import Tensor
from autograd.func import jvp
from jvp_checks import EPS, check_jvp
from nn.functional.activation import NormalCDF
from nn.functional.conv import ConvolutionWeightGrad, TransposedConvolution
from nn.functional.pooling import AvgPoolTranspose
from test_flops import _nn_functions

rng = np.random.default_rng(11)


def _normal(*shape):
    return rng.standard_normal(shape)


def _distinct(*shape):
    """Values spaced 0.1 apart in a random order: no two tie, so max pooling's choice cannot flip under eps."""
    return (rng.permutation(int(np.prod(shape))) * 0.1 - 1.0).reshape(shape)


labels = np.array([2, 0, 1])
soft = np.abs(_normal(3, 4)) + 0.1
soft /= soft.sum(axis=1, keepdims=True)

# name of the Function -> cases: (fn on Tensors, input arrays); each input gets a random tangent
CASES = {
    "LeakyReLU": [(lambda x: F.leaky_relu(x, 0.1), [_distinct(2, 5)])],
    "NormalCDF": [(lambda x: NormalCDF.apply(x), [_normal(6)])],
    "GELU": [(lambda x: F.gelu(x), [_normal(2, 3)])],
    "GELUTanh": [(lambda x: F.gelu(x, approximate="tanh"), [_normal(2, 3)])],
    "Softmax": [(lambda x: F.softmax(x, axis=0), [_normal(3, 4)])],
    "LogSoftmax": [(lambda x: F.log_softmax(x), [_normal(3, 4)])],
    "Dropout": [(lambda x: F.dropout(x, 0.4, generator=np.random.default_rng(0)), [_normal(4, 5)])],
    "Linear": [(F.linear, [_normal(5, 3), _normal(2, 3), _normal(2)]),
               (lambda x, w: F.linear(x, w), [_normal(2, 4, 3), _normal(2, 3)])],
    "CrossEntropy": [(lambda z: F.cross_entropy(z, labels), [_normal(3, 4)]),
                     (lambda z: F.cross_entropy(z, labels, reduction="sum", label_smoothing=0.2), [_normal(3, 4)]),
                     (lambda z: F.cross_entropy(z, np.array([2, -100, 1]), reduction="none"), [_normal(3, 4)]),
                     (lambda z: F.cross_entropy(z, np.array([[1, 0], [2, 2]])), [_normal(2, 3, 2)]),
                     (lambda z, q: F.cross_entropy(z, q), [_normal(3, 4), soft])],
    "BinaryCrossEntropy": [(F.binary_cross_entropy, [rng.uniform(0.1, 0.9, (2, 3)), rng.uniform(0, 1, (2, 3))])],
    "BinaryCrossEntropyWithLogits": [(F.binary_cross_entropy_with_logits, [_normal(2, 3), rng.uniform(0, 1, (2, 3))])],
    "Convolution": [(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
                     [_normal(2, 2, 5, 5), _normal(3, 2, 3, 3), _normal(3)]),
                    (lambda x, w: F.conv2d(x, w), [_normal(1, 1, 4, 4), _normal(2, 1, 2, 2)])],
    "TransposedConvolution": [(lambda g, w: TransposedConvolution.apply(g, w, (2, 2, 5, 5), (2, 2), (1, 1)),
                               [_normal(2, 3, 3, 3), _normal(3, 2, 3, 3)])],
    "ConvolutionWeightGrad": [(lambda x, g: ConvolutionWeightGrad.apply(x, g, (3, 2, 3, 3), (2, 2), (1, 1)),
                               [_normal(2, 2, 5, 5), _normal(2, 3, 3, 3)])],
    "MaxPool": [(lambda x: F.max_pool2d(x, 2), [_distinct(2, 2, 4, 4)]),
                (lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [_distinct(1, 2, 5, 5)])],
    "AvgPool": [(lambda x: F.avg_pool2d(x, 2, padding=1), [_normal(2, 2, 4, 4)])],
    "LayerNorm": [(lambda x, w, b: F.layer_norm(x, (4,), w, b), [_normal(3, 4), _normal(4), _normal(4)]),
                  (lambda x: F.layer_norm(x, (2, 3)), [_normal(2, 2, 3)])],
    "AvgPoolTranspose": [(lambda g: AvgPoolTranspose.apply(g, (2, 2, 4, 4), (2, 2), (2, 2), (1, 1)),
                          [_normal(2, 2, 3, 3)])],
}
CASE_LIST = [(name, i, fn, arrays) for name, cases in CASES.items() for i, (fn, arrays) in enumerate(cases)]


def test_every_nn_function_has_a_jvp_rule_checked_here():
    functions = _nn_functions()
    assert {cls.__name__ for cls in functions} == set(CASES)
    for cls in functions:
        first_line = (cls.jvp.__doc__ or "").strip().splitlines()[0] if callable(cls.jvp) else ""
        assert first_line.startswith("d") and "=" in first_line, f"{cls.__name__}.jvp states no rule"


@pytest.mark.parametrize("name, i, fn, arrays", CASE_LIST, ids=[f"{c[0]}-{c[1]}" for c in CASE_LIST])
def test_jvp_matches_central_differences_and_reverse_mode(name, i, fn, arrays):
    tangents = [np.random.default_rng(i).standard_normal(a.shape) for a in arrays]
    check_jvp(fn, arrays, tangents)


@pytest.mark.parametrize("name, i, fn, arrays", CASE_LIST, ids=[f"{c[0]}-{c[1]}" for c in CASE_LIST])
def test_jvp_of_jvp_matches_central_differences_of_the_jvp(name, i, fn, arrays):
    """The inner jvp runs recorded (the outer level watches it), through the ops' create_graph forms."""
    gen = np.random.default_rng(i + 100)
    v = [gen.standard_normal(a.shape) for a in arrays]
    w = [gen.standard_normal(a.shape) for a in arrays]

    def inner(*xs):
        return jvp(fn, xs, tuple(v))[1]
    _, second = jvp(inner, tuple(Tensor(a) for a in arrays), tuple(w))
    plus = inner(*[Tensor(a + EPS * d) for a, d in zip(arrays, w)])
    minus = inner(*[Tensor(a - EPS * d) for a, d in zip(arrays, w)])
    np.testing.assert_allclose(second.data, (plus.data - minus.data) / (2 * EPS), rtol=1e-5, atol=1e-7)
