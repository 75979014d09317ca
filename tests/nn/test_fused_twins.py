"""Fused activation and loss ops against composite twins: the same maths in ordinary Tensor ops, whose gradients the
engine derives op by op. Values and every input's gradient must agree; each fused op is also gradchecked."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, where
from nn import functional as F

_C = math.sqrt(2 / math.pi)


def _softmax_twin(x, axis):
    e = np.exp(x - x.data.max(axis=axis, keepdims=True))  # a constant shift: no gradient, same softmax
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_twin(x, axis):
    s = x - x.data.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _bce_twin(p, y):
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _bce_logits_twin(x, y):
    s = x.sigmoid()
    return -(y * np.log(s) + (1 - y) * np.log(1 - s))


def _layer_norm_twin(x, w, b, axes):
    centered = x - x.mean(axis=axes, keepdims=True)
    var = (centered * centered).mean(axis=axes, keepdims=True)
    return centered / (var + 1e-5).sqrt() * w + b


def _probabilities(rng, *shape):
    return rng.uniform(0.05, 0.95, shape)


def _logits(rng, *shape):
    return rng.standard_normal(shape) * 3


# name: (fused op, twin, makers of the inputs (all differentiated))
TWINS = {
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: where(x.data > 0, x, 0.1 * x), [_logits]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(_C * (x + 0.044715 * x * x * x))), [_logits]),
    "softmax_last_axis": (lambda x: F.softmax(x, axis=-1), lambda x: _softmax_twin(x, -1), [_logits]),
    "softmax_axis_0": (lambda x: F.softmax(x, axis=0), lambda x: _softmax_twin(x, 0), [_logits]),
    "log_softmax_last_axis": (lambda x: F.log_softmax(x, axis=-1), lambda x: _log_softmax_twin(x, -1), [_logits]),
    "log_softmax_axis_0": (lambda x: F.log_softmax(x, axis=0), lambda x: _log_softmax_twin(x, 0), [_logits]),
    # over every axis (weight and bias of the input's shape), and over the last (their first rows)
    "layer_norm": (lambda x, w, b: F.layer_norm(x, x.shape, w, b), lambda x, w, b: _layer_norm_twin(x, w, b, (0, 1)),
                   [_logits, _logits, _logits]),
    "layer_norm_last_axis": (lambda x, w, b: F.layer_norm(x, x.shape[-1], w[0], b[0]),
                             lambda x, w, b: _layer_norm_twin(x, w[0], b[0], -1), [_logits, _logits, _logits]),
    "binary_cross_entropy": (lambda p, y: F.binary_cross_entropy(p, y, reduction="none"), _bce_twin,
                             [_probabilities, _probabilities]),
    "binary_cross_entropy_with_logits": (lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"),
                                         _bce_logits_twin, [_logits, _probabilities]),
}


def _value_and_grads(fn, inputs, seed_grad):
    for t in inputs:
        t.grad = None
    out = fn(*inputs)
    out.backward(seed_grad)
    return out.data, [t.grad.data for t in inputs]


@pytest.mark.parametrize("name", list(TWINS))
def test_fused_op_matches_its_twin_in_values_and_gradients(name):
    fused, twin, makers = TWINS[name]
    rng = np.random.default_rng(7)
    inputs = [Tensor(make(rng, 4, 5), requires_grad=True) for make in makers]
    seed_grad = rng.standard_normal((4, 5))
    got, got_grads = _value_and_grads(fused, inputs, seed_grad)
    want, want_grads = _value_and_grads(twin, inputs, seed_grad)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert len(got_grads) == len(makers)
    for g, h in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(TWINS))
def test_fused_op_passes_gradcheck(name):
    fused, _, makers = TWINS[name]
    rng = np.random.default_rng(8)
    inputs = [Tensor(make(rng, 3, 4), requires_grad=True) for make in makers]
    if name == "leaky_relu":  # keep central differences away from the kink at 0
        inputs[0].data[np.abs(inputs[0].data) < 0.05] = 0.5
    assert ag.gradcheck(fused, inputs)
