"""Gradients of gradients with create_graph: second and third derivatives against closed forms, mixed partials and
Hessian-vector products against a known Hessian, for Tensor and for Value."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, Value


def tanh_derivatives(x: float) -> tuple[float, float, float]:
    t = math.tanh(x)
    d1 = 1 - t * t
    return d1, -2 * t * d1, -2 * d1 * d1 + 4 * t * t * d1


CLOSED_FORMS = [
    # (name, f on Tensor or Value, x, (f', f'', f'''))
    ("tanh", lambda v: v.tanh(), 0.7, tanh_derivatives(0.7)),
    ("tanh at -1.3", lambda v: v.tanh(), -1.3, tanh_derivatives(-1.3)),
    ("exp", lambda v: v.exp(), 0.4, (math.exp(0.4),) * 3),
    ("cube", lambda v: v ** 3, 2.0, (12.0, 12.0, 6.0)),
    ("cube negative", lambda v: v ** 3, -1.5, (6.75, -9.0, 6.0)),
    ("log", lambda v: v.log(), 2.0, (0.5, -0.25, 0.25)),
    ("reciprocal", lambda v: 1 / v, 2.0, (-0.25, 0.25, -0.375)),
    ("sigmoid", lambda v: v.sigmoid(), 0.0, (0.25, 0.0, -0.125)),
]


@pytest.mark.parametrize("name, f, x, derivatives", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_tensor_first_second_third_derivatives(name, f, x, derivatives):
    t = Tensor(np.array(x), requires_grad=True)
    y = f(t)
    found = []
    for _ in range(3):
        (y,) = ag.grad(y, t, create_graph=True)
        found.append(y.item())
    assert found == pytest.approx(list(derivatives), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("name, f, x, derivatives", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_value_first_second_third_derivatives(name, f, x, derivatives):
    v = Value(x)
    y = f(v)
    found = []
    for _ in range(3):
        (y,) = ag.grad(y, v, create_graph=True)
        assert isinstance(y, Value)
        found.append(y.data)
    assert found == pytest.approx(list(derivatives), rel=1e-10, abs=1e-12)


def test_backward_with_create_graph_gives_a_differentiable_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad and first.grad_fn is not None
    np.testing.assert_allclose(first.data, [3.0, 12.0])
    (second,) = ag.grad(first.sum(), x)
    np.testing.assert_allclose(second.data, [6.0, 12.0])



def test_create_graph_leaves_sharing_a_constant_gradient_get_their_own_writable_grads():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward(create_graph=True)  # Sum hands back a broadcast view; Add hands it to both leaves
    assert a.grad is not b.grad
    assert a.grad.data.flags.writeable and b.grad.data.flags.writeable
    a.grad.data[0] = 7.0
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0, 1.0])


def test_create_graph_leaves_sharing_a_recorded_gradient_get_copies_that_stay_differentiable():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    p = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    q = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    ((p + q) * (a * a)).sum().backward(create_graph=True)  # d/dp = d/dq = a**2, one recorded Tensor for both
    assert p.grad is not q.grad
    np.testing.assert_array_equal(p.grad.data, [1.0, 4.0])
    np.testing.assert_array_equal(q.grad.data, [1.0, 4.0])
    (dp,) = ag.grad(p.grad.sum(), a, retain_graph=True)  # d(sum a**2)/da = 2a
    (dq,) = ag.grad(q.grad.sum(), a)
    np.testing.assert_array_equal(dp.data, [2.0, 4.0])
    np.testing.assert_array_equal(dq.data, [2.0, 4.0])


def test_value_backward_with_create_graph_gives_a_value_grad():
    x = Value(2.0)
    (x ** 3).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == pytest.approx(12.0)
    (second,) = ag.grad(x.grad, x)
    assert second.data == pytest.approx(12.0)


def test_mixed_partial_derivatives():
    x, y = Tensor(np.array(1.5), requires_grad=True), Tensor(np.array(-2.0), requires_grad=True)
    f = x * x * y + y.exp() * x  # f_xy = 2x + e^y
    gx, gy = ag.grad(f, [x, y], create_graph=True)
    (gxy,) = ag.grad(gx, y, retain_graph=True)
    (gyx,) = ag.grad(gy, x)
    assert gxy.item() == pytest.approx(2 * 1.5 + math.exp(-2.0))
    assert gyx.item() == pytest.approx(gxy.item())


# --- Hessian-vector products of f(x) = 0.5 x^T A x + sum(x^3): H = (A + A^T) / 2 + diag(6 x) --------------------------

RNG = np.random.default_rng(11)
A = RNG.standard_normal((4, 4))
X0 = RNG.standard_normal(4)
V = RNG.standard_normal(4)
HESSIAN = (A + A.T) / 2 + np.diag(6 * X0)


def tensor_f(x: Tensor) -> Tensor:
    return 0.5 * (x @ (Tensor(A) @ x)) + (x ** 3).sum()


def test_tensor_hessian_vector_product_matches_known_hessian():
    x = Tensor(X0.copy(), requires_grad=True)
    (g,) = ag.grad(tensor_f(x), x, create_graph=True)
    np.testing.assert_allclose(g.data, (A + A.T) / 2 @ X0 + 3 * X0 ** 2, rtol=1e-12)
    (hv,) = ag.grad((g * Tensor(V)).sum(), x)
    np.testing.assert_allclose(hv.data, HESSIAN @ V, rtol=1e-12)


def test_tensor_full_hessian_row_by_row():
    x = Tensor(X0.copy(), requires_grad=True)
    (g,) = ag.grad(tensor_f(x), x, create_graph=True)
    rows = [ag.grad(g[i], x, retain_graph=True)[0].data for i in range(4)]
    np.testing.assert_allclose(np.stack(rows), HESSIAN, rtol=1e-12, atol=1e-14)


def test_value_hessian_vector_product_matches_known_hessian():
    xs = [Value(float(v)) for v in X0]
    f = sum(0.5 * A[i, j] * xs[i] * xs[j] for i in range(4) for j in range(4)) + sum(x ** 3 for x in xs)
    grads = ag.grad(f, xs, create_graph=True)
    np.testing.assert_allclose([g.data for g in grads], (A + A.T) / 2 @ X0 + 3 * X0 ** 2, rtol=1e-12)
    directional = sum(g * float(v) for g, v in zip(grads, V))
    hv = ag.grad(directional, xs)
    np.testing.assert_allclose([h.data for h in hv], HESSIAN @ V, rtol=1e-12)


def test_second_derivative_keeps_float32():
    x = Tensor(np.array([0.5, -0.5], np.float32), requires_grad=True)
    (g,) = ag.grad(x.tanh().sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    assert g.dtype == np.float32 and h.dtype == np.float32
    t = np.tanh(np.array([0.5, -0.5]))
    np.testing.assert_allclose(h.data, -2 * t * (1 - t * t), rtol=1e-6)


def test_gradient_penalty_style_double_backward_into_parameters():
    # loss = |d(w * x^2)/dx|^2 = (2 w x)^2 -> d loss / dw = 8 w x^2
    w = Tensor(np.array(1.5), requires_grad=True)
    x = Tensor(np.array(2.0), requires_grad=True)
    (gx,) = ag.grad(w * x * x, x, create_graph=True)
    (gx * gx).backward()
    assert w.grad.item() == pytest.approx(8 * 1.5 * 4.0)
    assert x.grad.item() == pytest.approx(8 * 1.5 ** 2 * 2.0)  # d/dx (2 w x)^2 = 8 w^2 x
