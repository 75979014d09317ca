"""In-place ops: +=, -=, *=, /= and item/slice assignment. Safe on leaves under no_grad, differentiable on results,
refused on a leaf that requires grad, and detected when they change data an op saved for backward."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.errors import BackwardError, ShapeError


def f64(values, requires_grad=True):
    return ag.Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_in_place_on_a_leaf_that_requires_grad_is_refused_in_those_words(op):
    x = f64([1.0, 2.0])
    with pytest.raises(BackwardError) as err:
        exec(f"x {op} 2.0", {"x": x})
    message = str(err.value)
    assert "a leaf that requires grad" in message and "in-place" in message and op in message
    np.testing.assert_array_equal(x.data, [1.0, 2.0])  # nothing was changed


def test_setitem_on_a_leaf_that_requires_grad_is_refused():
    x = f64([1.0, 2.0])
    with pytest.raises(BackwardError, match="a leaf that requires grad cannot be changed in-place"):
        x[0] = 5.0


def test_in_place_under_no_grad_updates_the_same_array_like_an_optimizer():
    x = f64([1.0, 2.0, 3.0])
    buffer = x.data
    with ag.no_grad():
        x -= 0.5
        x *= 2.0
        x[0] = 10.0
    assert x.data is buffer and x.is_leaf and x.requires_grad
    np.testing.assert_array_equal(x.data, [10.0, 3.0, 5.0])


def test_in_place_keeps_float32():
    x = ag.Tensor(np.ones(3, dtype=np.float32))
    x += np.float64(0.25)
    x *= np.ones(3, dtype=np.float64)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.data, [1.25, 1.25, 1.25])


def test_in_place_on_a_result_is_differentiable():
    def f(x, w):
        h = x * w
        h += x        # h = x*w + x
        h *= w        # h = (x*w + x) * w
        h -= 1.0
        h /= 2.0
        return (h * h).sum()
    x, w = f64([0.5, -1.5, 2.0]), f64([1.5, 0.3, -0.7])
    assert ag.gradcheck(f, (x, w))
    assert ag.gradgradcheck(f, (x, w))


def test_ops_that_used_the_old_value_keep_their_edge_to_it():
    x = f64([1.0, 2.0, 3.0])
    y = x * 2.0
    z = y + 1.0          # Add saves nothing: it may use y's old value through the graph
    y *= 3.0             # y = 6x now; z = 2x + 1 still
    (z.sum() + y.sum()).backward()
    np.testing.assert_allclose(x.grad.data, [8.0, 8.0, 8.0])  # d/dx (2x + 1) + d/dx (6x) = 2 + 6


def test_changing_a_value_an_op_saved_is_an_error_naming_the_op():
    x = f64([1.0, 2.0])
    y = x * 2.0
    w = y.sin()          # Sin saved y
    y += 1.0
    with pytest.raises(BackwardError) as err:
        w.sum().backward()
    assert "Sin" in str(err.value) and "was modified by an in-place operation" in str(err.value)


def test_changing_a_constant_an_op_saved_is_an_error():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0], requires_grad=False)
    c = a * b            # Mul saved b for a's gradient
    b += 1.0
    with pytest.raises(BackwardError, match="Mul: a Tensor of shape \\(2,\\), saved for backward, was modified"):
        c.sum().backward()


def test_changing_a_saved_output_under_no_grad_is_an_error():
    x = f64([0.0, 1.0])
    y = x.exp()          # Exp saved its output array
    with ag.no_grad():
        y += 1.0
    with pytest.raises(BackwardError, match="Exp: its output, saved for backward, was modified"):
        y.sum().backward()


def test_changing_a_tensor_nobody_saved_is_fine():
    a = f64([1.0, 2.0])
    b = f64([5.0, 6.0], requires_grad=False)
    c = a + b            # Add saves nothing
    b += 100.0
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 1.0])


def test_setitem_sends_gradient_to_the_value_and_the_rest_to_the_old_tensor():
    x, v = f64([1.0, 2.0, 3.0, 4.0]), f64(5.0)
    y = x * 1.0
    y[1:3] = v * 2.0     # broadcast into two places
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 0.0, 0.0, 8.0])
    np.testing.assert_allclose(v.grad.data, 2 * (2 * 10.0 * 2.0))  # two places, each d(y^2)/dv = 2*y*2


def test_setitem_gradcheck_with_masks_and_integer_arrays():
    def f(x, v):
        y = x.tanh()
        y[np.array([0, 2])] = v
        y[y.data > 0.9] = v[0] * 0.5
        return (y * x).sum()
    assert ag.gradcheck(f, (f64([0.3, -2.0, 1.1, 3.0]), f64([0.7, -0.4])))


def test_setitem_with_an_index_written_twice_is_refused_when_differentiated():
    x, v = f64([1.0, 2.0, 3.0]), f64([1.0, 2.0])
    y = x * 1.0
    with pytest.raises(ValueError, match="writes one element twice"):
        y[np.array([1, 1])] = v


def test_setitem_shape_mismatch_is_a_clear_error():
    y = f64([1.0, 2.0, 3.0], requires_grad=False)
    with pytest.raises(ShapeError, match="setitem: cannot assign a value of shape \\(2,\\)"):
        y[0:3] = np.array([1.0, 2.0])


def test_in_place_cannot_change_the_shape():
    x = f64([[1.0, 2.0]]) * 1.0
    with pytest.raises(ShapeError, match="an in-place op cannot change its shape"):
        x += f64([[1.0], [2.0]])
