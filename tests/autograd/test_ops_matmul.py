"""matmul with numpy's rules (1-d vectors, 2-d matrices, batched n-d with broadcast batch axes): values against numpy,
gradients against central differences and closed forms."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor
from op_table import leaf, values

# numpy's own signature for matmul: the optional axes make 1-d operands, the leading axes broadcast
MATMUL_SHAPES = hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, max_side=3)

FORMS = {
    "operator": lambda a, b: a @ b,
    "function": ag.matmul,
    "numpy": np.matmul,
}


@pytest.mark.parametrize("form", FORMS)
@given(data=st.data())
def test_matmul_forward_matches_numpy(form, data):
    shape_a, shape_b = data.draw(MATMUL_SHAPES).input_shapes
    a, b = data.draw(values(shape_a)), data.draw(values(shape_b))
    out = FORMS[form](leaf(a), leaf(b))
    expected = a @ b
    assert isinstance(out, Tensor) and out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=30)
@given(data=st.data())
def test_matmul_gradcheck(data):
    shape_a, shape_b = data.draw(MATMUL_SHAPES).input_shapes
    ta, tb = leaf(data.draw(values(shape_a))), leaf(data.draw(values(shape_b)))
    assert ag.gradcheck(lambda a, b: a @ b, [ta, tb])


@settings(max_examples=12)
@given(data=st.data())
def test_matmul_gradgradcheck(data):
    shape_a, shape_b = data.draw(MATMUL_SHAPES).input_shapes
    ta, tb = leaf(data.draw(values(shape_a))), leaf(data.draw(values(shape_b)))
    assert ag.gradgradcheck(lambda a, b: a @ b, [ta, tb])


def test_matmul_with_array_on_either_side():
    W = Tensor(np.eye(2) * 3.0, requires_grad=True)
    x = np.array([1.0, 2.0])
    right, left = W @ x, x @ W
    np.testing.assert_array_equal(right.data, [3.0, 6.0])
    np.testing.assert_array_equal(left.data, [3.0, 6.0])
    (right.sum() + left.sum()).backward()
    np.testing.assert_array_equal(W.grad.data, [[2.0, 3.0], [3.0, 4.0]])


RNG = np.random.default_rng(7)
A, B = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))


def test_matmul_2d_closed_form_gradients():
    a, b = leaf(A), leaf(B)
    G = RNG.standard_normal((3, 2))
    (a @ b).backward(G)
    np.testing.assert_allclose(a.grad.data, G @ B.T, rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, A.T @ G, rtol=1e-12)


def test_matmul_vector_dot_vector_gradients():
    u, v = leaf([1.0, 2.0, 3.0]), leaf([4.0, 5.0, 6.0])
    out = u @ v
    assert out.shape == () and out.item() == 32.0
    out.backward()
    np.testing.assert_array_equal(u.grad.data, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(v.grad.data, [1.0, 2.0, 3.0])


def test_matmul_matrix_vector_gradients():
    a, v = leaf(A), leaf(np.arange(4.0))
    g = np.array([1.0, -1.0, 2.0])
    (a @ v).backward(g)
    np.testing.assert_allclose(a.grad.data, np.outer(g, np.arange(4.0)))
    np.testing.assert_allclose(v.grad.data, A.T @ g)


def test_matmul_vector_matrix_gradients():
    v, b = leaf(np.arange(4.0)), leaf(B)
    g = np.array([2.0, -3.0])
    (v @ b).backward(g)
    np.testing.assert_allclose(v.grad.data, B @ g)
    np.testing.assert_allclose(b.grad.data, np.outer(np.arange(4.0), g))


def test_batched_matmul_broadcast_batch_gradient_summed_over_batch():
    batch = RNG.standard_normal((5, 3, 4))
    a, b = leaf(batch), leaf(B)  # b is shared by the 5 products
    (a @ b).sum().backward()
    assert b.grad.shape == (4, 2)
    np.testing.assert_allclose(b.grad.data, batch.sum(axis=0).T @ np.ones((3, 2)), rtol=1e-12)
    np.testing.assert_allclose(a.grad.data, np.broadcast_to(np.ones((3, 2)) @ B.T, (5, 3, 4)), rtol=1e-12)


def test_batched_matmul_with_broadcast_batch_dimensions_on_both_sides():
    a, b = leaf(RNG.standard_normal((2, 1, 3, 4))), leaf(RNG.standard_normal((3, 4, 2)))
    out = a @ b
    assert out.shape == (2, 3, 3, 2)
    out.sum().backward()
    assert a.grad.shape == (2, 1, 3, 4) and b.grad.shape == (3, 4, 2)
    assert ag.gradcheck(lambda x, y: x @ y, [a, b])


def test_matmul_keeps_float32():
    a = Tensor(A.astype(np.float32), requires_grad=True)
    b = Tensor(B.astype(np.float32), requires_grad=True)
    out = a @ b
    out.sum().backward()
    assert out.dtype == np.float32 and a.grad.dtype == np.float32 and b.grad.dtype == np.float32
