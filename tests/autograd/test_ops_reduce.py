"""Reductions over numpy-style axis (None, int, negative int, tuple) and keepdims: values against numpy, gradients
against central differences, ties in max/min split evenly (hand-derived), argmax/argmin without gradient."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor
from op_table import MIN_COUNT, REDUCTIONS, axis_and_keepdims, draw_inputs, leaf, reduced_count, small_shapes


def draw_case(data: st.DataObject, op, max_dims: int = 3):
    shape = data.draw(small_shapes(max_dims=max_dims))
    axis, keepdims = axis_and_keepdims(data, len(shape))
    assume(reduced_count(shape, axis) >= MIN_COUNT.get(op.name, 1))
    (x,) = draw_inputs(data, op, (shape,))
    return x, axis, keepdims


@pytest.mark.parametrize("op", REDUCTIONS, ids=repr)
@given(data=st.data())
def test_reduction_forward_matches_numpy(op, data):
    x, axis, keepdims = draw_case(data, op)
    out = op.fn(leaf(x), axis, keepdims)
    expected = op.ref(x, axis, keepdims)
    assert out.shape == np.shape(expected) and out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("op", REDUCTIONS, ids=repr)
@settings(max_examples=25)
@given(data=st.data())
def test_reduction_gradcheck(op, data):
    x, axis, keepdims = draw_case(data, op)
    assert ag.gradcheck(lambda t: op.fn(t, axis, keepdims), [leaf(x)])


@pytest.mark.parametrize("op", REDUCTIONS, ids=repr)
@settings(max_examples=12)
@given(data=st.data())
def test_reduction_gradgradcheck(op, data):
    x, axis, keepdims = draw_case(data, op, max_dims=2)
    assert ag.gradgradcheck(lambda t: op.fn(t, axis, keepdims), [leaf(x)])


@pytest.mark.parametrize("op", REDUCTIONS, ids=repr)
def test_reduction_keeps_float32_in_value_and_gradient(op):
    t = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3) * 0.25, requires_grad=True)
    out = op.fn(t, 1, False)
    out.sum().backward()
    assert out.dtype == np.float32 and t.grad.dtype == np.float32 and t.grad.shape == (2, 3)


@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_keepdims_grad_shape(keepdims):
    x = Tensor(np.ones((2, 3, 4)), requires_grad=True)
    out = x.sum(axis=(0, 2), keepdims=keepdims)
    assert out.shape == ((1, 3, 1) if keepdims else (3,))
    (out * Tensor(np.arange(3.0).reshape(out.shape))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.broadcast_to(np.arange(3.0).reshape(1, 3, 1), (2, 3, 4)))


def test_mean_gradient_is_one_over_count():
    x = Tensor(np.ones((4, 5)), requires_grad=True)
    x.mean(axis=-1).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((4, 5), 0.2))


def test_max_splits_gradient_evenly_between_ties():
    x = Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    out = x.max()
    out.backward()
    assert out.item() == 3.0
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5])


def test_max_three_way_tie_gives_thirds():
    x = Tensor(np.array([5.0, 1.0, 5.0, 5.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [1 / 3, 0.0, 1 / 3, 1 / 3], rtol=1e-15)


def test_max_ties_along_an_axis_are_split_per_slice():
    x = Tensor(np.array([[2.0, 2.0], [1.0, 3.0]]), requires_grad=True)
    (x.max(axis=1) * Tensor(np.array([1.0, 10.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.5, 0.5], [0.0, 10.0]])


def test_min_splits_gradient_evenly_between_ties():
    x = Tensor(np.array([[0.0, 4.0], [0.0, -1.0]]), requires_grad=True)
    x.min(axis=0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.5, 0.0], [0.5, 1.0]])


def test_var_gradient_hand_derived():
    data = np.array([1.0, 2.0, 3.0, 4.0])
    x = Tensor(data, requires_grad=True)
    out = x.var()
    out.backward()
    assert out.item() == pytest.approx(1.25)
    # d var / d x_i = 2 (x_i - mean) / n
    np.testing.assert_allclose(x.grad.data, [-0.75, -0.25, 0.25, 0.75])


def test_var_ddof1_gradient_hand_derived():
    x = Tensor(np.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
    out = x.var(ddof=1)
    out.backward()
    assert out.item() == pytest.approx(5 / 3)
    np.testing.assert_allclose(x.grad.data, [-1.0, -1 / 3, 1 / 3, 1.0])


def test_std_gradient_hand_derived():
    x = Tensor(np.array([1.0, 3.0]), requires_grad=True)
    out = x.std()
    out.backward()
    assert out.item() == pytest.approx(1.0)
    # d std / d x_i = (x_i - mean) / (n std)
    np.testing.assert_allclose(x.grad.data, [-0.5, 0.5])


def test_logsumexp_gradient_is_softmax():
    x = Tensor(np.array([0.0, math.log(3.0)]), requires_grad=True)
    out = x.logsumexp()
    out.backward()
    assert out.item() == pytest.approx(math.log(4.0))
    np.testing.assert_allclose(x.grad.data, [0.25, 0.75])


def test_logsumexp_does_not_overflow():
    x = Tensor(np.array([1000.0, 1000.0]), requires_grad=True)
    out = x.logsumexp()
    out.backward()
    assert out.item() == pytest.approx(1000.0 + math.log(2.0))
    np.testing.assert_allclose(x.grad.data, [0.5, 0.5])


def test_argmax_and_argmin_match_numpy_and_carry_no_gradient():
    data = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    x = Tensor(data, requires_grad=True)
    assert x.argmax().item() == 3 and x.argmin().item() == 4
    np.testing.assert_array_equal(x.argmax(axis=1).data, [1, 0])
    np.testing.assert_array_equal(x.argmin(axis=0).data, [0, 1, 0])
    assert not x.argmax(axis=0).requires_grad and x.argmax(axis=0).dtype.kind == "i"


def test_numpy_reduction_functions_dispatch_to_tensor_ops():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    out = np.sum(x, axis=0) + np.mean(x, axis=1, keepdims=True).reshape(2) + np.max(x) + np.min(x, axis=1)
    assert isinstance(out, Tensor)
    out.sum().backward()
    # sum over axis 0 -> 1 each; mean over axis 1 -> 1/2 each; global max at [1,1] counted twice; row minima
    np.testing.assert_allclose(x.grad.data, [[1 + 0.5 + 1, 1 + 0.5], [1 + 0.5 + 1, 1 + 0.5 + 2]])


def test_axis_may_be_a_numpy_integer_list_or_0d_tensor():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal(x.sum(axis=np.int64(1)).data, [3.0, 12.0])
    np.testing.assert_array_equal(x.sum(axis=Tensor(np.array(0))).data, [3.0, 5.0, 7.0])
    assert x.mean(axis=[0, 1]).item() == 2.5
    with pytest.raises(TypeError, match=r"sum: axis must be None, an int or a tuple of ints, got 1.5"):
        x.sum(axis=1.5)


def test_std_of_a_slice_without_spread_has_zero_gradient_not_nan():
    x = Tensor(np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]]), requires_grad=True)
    out = x.std(axis=1)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [math.sqrt(14 / 9), 0.0])
    spread = x.data[0] - x.data[0].mean()
    # d std / d x_i = (x_i - mean) / (n std) for the first row; 0 for the constant row, as central differences say
    np.testing.assert_allclose(x.grad.data, [spread / (3 * math.sqrt(14 / 9)), [0.0, 0.0, 0.0]], rtol=1e-12)
    assert ag.gradcheck(lambda x: x.std(axis=1), [leaf(x.data)])
    one = Tensor(np.array([5.0]), requires_grad=True)
    one.std().backward()
    assert one.grad.data.tolist() == [0.0]


def test_std_without_spread_under_create_graph_gives_finite_gradients():
    x = leaf(np.full((2, 2), 3.0))
    (g,) = ag.grad(x.std(axis=0, ddof=1).sum(), x, create_graph=True)
    (gg,) = ag.grad((g * g).sum() + g.sum(), x)
    assert g.data.tolist() == [[0.0, 0.0], [0.0, 0.0]] and np.isfinite(gg.data).all()


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_send_the_gradient_to_the_nan_they_return(name):
    x = Tensor(np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0], [np.nan, 0.0, np.nan]]), requires_grad=True)
    out = getattr(x, name)(axis=1)
    np.testing.assert_array_equal(out.data, getattr(np, name)(x.data, axis=1))  # nan where the slice holds one
    out.backward(np.array([1.0, 2.0, 4.0]))
    picked = [0.0, 0.0, 2.0] if name == "max" else [2.0, 0.0, 0.0]  # row 1 has no NaN: the usual max or min
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0, 0.0], picked, [2.0, 0.0, 2.0]])  # two NaNs: split
    whole = Tensor(np.array([2.0, np.nan, -1.0]), requires_grad=True)
    getattr(whole, name)().backward()
    np.testing.assert_array_equal(whole.grad.data, [0.0, 1.0, 0.0])


@pytest.mark.parametrize("scale", [1e6, 1e8])
def test_logsumexp_gradient_keeps_its_precision_for_large_float32_inputs(scale):
    offsets = np.array([[0.0, 1.0, 3.0], [0.0, 0.0, 0.0]])
    x = Tensor((scale + offsets * (scale / 1e6 * 0.0625)).astype(np.float32), requires_grad=True)  # exact in float32
    x.logsumexp(axis=1).sum().backward()
    shifted = x.data.astype(np.float64) - x.data.astype(np.float64).max(axis=1, keepdims=True)
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)  # closed form, in float64
    np.testing.assert_allclose(x.grad.data, softmax, rtol=1e-6)


def test_logsumexp_second_derivative_is_the_softmax_jacobian():
    x = leaf([2.0, -1.0, 0.5])
    (g,) = ag.grad(x.logsumexp(), x, create_graph=True)
    (row,) = ag.grad(g[0], x)
    p = np.exp(x.data) / np.exp(x.data).sum()
    np.testing.assert_allclose(row.data, p[0] * (np.eye(3)[0] - p), rtol=1e-12)  # d p_0 / d x = p_0 (e_0 - p)
