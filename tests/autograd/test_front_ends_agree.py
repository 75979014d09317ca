"""The two front ends agree: for each elementwise op Value has, the Tensor gradient equals the gradient of the same
computation unrolled into one Value per element (broadcasting included)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor, Value
from op_table import BINARY, UNARY, draw_inputs, leaf, small_shapes, values

UNARY_WITH_VALUE = [op for op in UNARY if op.value_fn is not None]
BINARY_WITH_VALUE = [op for op in BINARY if op.value_fn is not None]


def as_values(array: np.ndarray) -> np.ndarray:
    """An object array holding one leaf Value per element."""
    out = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        out[index] = Value(float(array[index]))
    return out


def grads_of(values_array: np.ndarray) -> np.ndarray:
    return np.array([v.grad for v in values_array.reshape(-1)], dtype=np.float64).reshape(values_array.shape)


def unrolled_loss(fn, weights: np.ndarray, *operands: np.ndarray) -> Value:
    """sum(w * fn(...)) over the broadcast shape, one Value op per element."""
    results = np.frompyfunc(fn, len(operands), 1)(*operands)
    total = Value(0.0)
    for r, w in zip(np.broadcast_to(results, weights.shape).reshape(-1), weights.reshape(-1)):
        total = total + r * float(w)
    return total


def test_sanity_the_helpers_unroll_broadcasting():
    a, b = as_values(np.array([[1.0], [2.0]])), as_values(np.array([10.0, 20.0, 30.0]))
    loss = unrolled_loss(lambda x, y: x * y, np.ones((2, 3)), a, b)
    loss.backward()
    assert loss.data == 180.0
    np.testing.assert_array_equal(grads_of(a), [[60.0], [60.0]])
    np.testing.assert_array_equal(grads_of(b), [3.0, 3.0, 3.0])


@pytest.mark.parametrize("op", UNARY_WITH_VALUE, ids=repr)
@settings(max_examples=20)
@given(data=st.data())
def test_unary_tensor_gradient_equals_unrolled_value_gradient(op, data):
    shape = data.draw(small_shapes(max_dims=2))
    (x,) = draw_inputs(data, op, (shape,))
    weights = data.draw(values(shape))
    t = leaf(x)
    (op.fn(t) * Tensor(weights)).sum().backward()
    vx = as_values(x)
    unrolled_loss(op.value_fn, weights, vx).backward()
    np.testing.assert_allclose(t.grad.data, grads_of(vx), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", BINARY_WITH_VALUE, ids=repr)
@settings(max_examples=20)
@given(data=st.data())
def test_binary_tensor_gradient_equals_unrolled_value_gradient(op, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    a, b = draw_inputs(data, op, shapes.input_shapes)
    weights = data.draw(values(shapes.result_shape))
    ta, tb = leaf(a), leaf(b)
    out = op.fn(ta, tb)
    (out * Tensor(weights)).sum().backward()
    va, vb = as_values(a), as_values(b)
    loss = unrolled_loss(op.value_fn, weights, va, vb)
    loss.backward()
    assert loss.data == pytest.approx(float((out.data * weights).sum()), rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(ta.grad.data, grads_of(va), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.grad.data, grads_of(vb), rtol=1e-10, atol=1e-12)


def test_a_small_neuron_layer_agrees_between_front_ends():
    rng = np.random.default_rng(2)
    X, W, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    tW, tb = leaf(W), leaf(b)
    ((Tensor(X) @ tW + tb).tanh() ** 2).sum().backward()
    vW, vb = as_values(W), as_values(b)
    total = Value(0.0)
    for i in range(3):
        for j in range(2):
            act = sum((float(X[i, k]) * vW[k, j] for k in range(4)), vb[j])
            total = total + act.tanh() ** 2
    total.backward()
    np.testing.assert_allclose(tW.grad.data, grads_of(vW), rtol=1e-10)
    np.testing.assert_allclose(tb.grad.data, grads_of(vb), rtol=1e-10)


def test_power_zero_at_zero_has_gradient_zero_in_both_front_ends():
    v = Value(0.0)
    (v ** 0).backward()
    t = Tensor(np.array([0.0, 0.0, 3.0]), requires_grad=True)  # x**0 is 1 everywhere, so its slope is 0, also at 0
    (t ** 0).sum().backward()
    assert v.grad == 0.0
    np.testing.assert_array_equal(t.grad.data, [0.0, 0.0, 0.0])

