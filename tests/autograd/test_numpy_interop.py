"""numpy on Tensors: ufuncs and array functions with a Tensor op give Tensors with gradients; the rest work as
queries but refuse a float result from a Tensor that requires grad; arguments a Tensor op cannot honour are refused."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

X = np.array([[0.5, 1.0], [1.5, 2.0]])


def leaf() -> Tensor:
    return Tensor(X.copy(), requires_grad=True)


DIFFERENTIABLE = [
    ("np.exp", lambda t: np.exp(t), lambda a: np.exp(a)),
    ("np.log", lambda t: np.log(t), lambda a: np.log(a)),
    ("np.sqrt", lambda t: np.sqrt(t), lambda a: np.sqrt(a)),
    ("np.sin", lambda t: np.sin(t), lambda a: np.sin(a)),
    ("np.cos", lambda t: np.cos(t), lambda a: np.cos(a)),
    ("np.tanh", lambda t: np.tanh(t), lambda a: np.tanh(a)),
    ("np.abs", lambda t: np.abs(t), lambda a: np.abs(a)),
    ("np.negative", lambda t: np.negative(t), lambda a: -a),
    ("np.add", lambda t: np.add(t, 1.0), lambda a: a + 1.0),
    ("np.subtract", lambda t: np.subtract(1.0, t), lambda a: 1.0 - a),
    ("np.multiply", lambda t: np.multiply(t, t), lambda a: a * a),
    ("np.divide", lambda t: np.divide(t, 2.0), lambda a: a / 2.0),
    ("np.power", lambda t: np.power(t, 3), lambda a: a ** 3),
    ("np.maximum", lambda t: np.maximum(t, 1.2), lambda a: np.maximum(a, 1.2)),
    ("np.minimum", lambda t: np.minimum(t, 1.2), lambda a: np.minimum(a, 1.2)),
    ("np.matmul", lambda t: np.matmul(t, t), lambda a: a @ a),
    ("array + Tensor", lambda t: np.array([1.0, 2.0]) + t, lambda a: np.array([1.0, 2.0]) + a),
    ("array * Tensor", lambda t: np.array([1.0, 2.0]) * t, lambda a: np.array([1.0, 2.0]) * a),
    ("array @ Tensor", lambda t: np.array([1.0, 2.0]) @ t, lambda a: np.array([1.0, 2.0]) @ a),
    ("array ** Tensor", lambda t: np.array([2.0, 3.0]) ** t, lambda a: np.array([2.0, 3.0]) ** a),
    ("np.float64 * Tensor", lambda t: np.float64(2.0) * t, lambda a: 2.0 * a),
    ("np.where", lambda t: np.where(X > 1, t, 0), lambda a: np.where(X > 1, a, 0)),
    ("np.where with Tensor condition", lambda t: np.where(t > 1.2, t, -t), lambda a: np.where(a > 1.2, a, -a)),
    ("np.concatenate", lambda t: np.concatenate([t, t * 2]), lambda a: np.concatenate([a, a * 2])),
    ("np.concatenate axis 1", lambda t: np.concatenate([t, X], axis=1), lambda a: np.concatenate([a, X], axis=1)),
    ("np.stack", lambda t: np.stack([t, t], axis=2), lambda a: np.stack([a, a], axis=2)),
    ("np.split", lambda t: np.split(t, 2, axis=1)[1], lambda a: np.split(a, 2, axis=1)[1]),
    ("np.pad", lambda t: np.pad(t, 1), lambda a: np.pad(a, 1)),
    ("np.clip", lambda t: np.clip(t, 0.75, 1.75), lambda a: np.clip(a, 0.75, 1.75)),
    ("np.reshape", lambda t: np.reshape(t, (4,)), lambda a: np.reshape(a, (4,))),
    ("np.transpose", lambda t: np.transpose(t), lambda a: np.transpose(a)),
    ("np.swapaxes", lambda t: np.swapaxes(t, 0, 1), lambda a: np.swapaxes(a, 0, 1)),
    ("np.broadcast_to", lambda t: np.broadcast_to(t, (3, 2, 2)), lambda a: np.broadcast_to(a, (3, 2, 2))),
    ("np.expand_dims", lambda t: np.expand_dims(t, 1), lambda a: np.expand_dims(a, 1)),
    ("np.squeeze", lambda t: np.squeeze(t[None]), lambda a: np.squeeze(a[None])),
    ("np.sum", lambda t: np.sum(t, axis=0), lambda a: np.sum(a, axis=0)),
    ("np.mean", lambda t: np.mean(t, axis=1, keepdims=True), lambda a: np.mean(a, axis=1, keepdims=True)),
    ("np.max", lambda t: np.max(t, axis=1), lambda a: np.max(a, axis=1)),
    ("np.min", lambda t: np.min(t), lambda a: np.min(a)),
]


@pytest.mark.parametrize("name, fn, ref", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_numpy_call_on_tensor_gives_tensor_with_gradient(name, fn, ref):
    t = leaf()
    out = fn(t)
    assert isinstance(out, Tensor) and out.requires_grad and out.grad_fn is not None
    np.testing.assert_allclose(out.data, ref(X), rtol=1e-13)
    assert ag.gradcheck(fn, [leaf()])


def test_np_split_returns_a_list_of_tensors_with_gradients():
    t = leaf()
    parts = np.split(t, 2)
    assert len(parts) == 2 and all(isinstance(p, Tensor) for p in parts)
    (parts[0] * 3).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [[3.0, 3.0], [0.0, 0.0]])


def test_like_factories_take_a_tensor():
    z, o = np.zeros_like(leaf()), np.ones_like(leaf())
    assert isinstance(z, Tensor) and isinstance(o, Tensor)
    assert z.shape == o.shape == (2, 2) and not z.requires_grad
    np.testing.assert_array_equal(o.data, np.ones((2, 2)))


def test_np_sum_and_mean_with_dtype_cast_the_result():
    out = np.mean(leaf(), dtype=np.float32)
    assert isinstance(out, Tensor) and out.dtype == np.float32 and out.item() == pytest.approx(1.25)


def test_queries_without_a_tensor_op_work():
    t = leaf()
    assert np.allclose(t, X)
    assert not np.allclose(t, X + 1)
    assert np.array_equal(t, X)
    assert np.argmax(t) == 3
    assert np.shape(t) == (2, 2) and np.ndim(t) == 2
    finite = np.isfinite(t)
    assert isinstance(finite, Tensor) and finite.dtype == np.bool_ and finite.data.all()
    np.testing.assert_array_equal(np.greater(t, 1.0).data, X > 1.0)


def test_asarray_and_array_give_the_data():
    t = leaf()
    assert np.asarray(t) is t.data
    copied = np.array(t)
    assert copied is not t.data and np.array_equal(copied, X)
    assert float(np.sum(t)) == pytest.approx(X.sum())


@pytest.mark.parametrize("fn", [np.std, np.square, np.sign, np.cumsum, np.sort, np.dot, np.floor],
                         ids=lambda f: f.__name__)
def test_float_result_without_a_tensor_op_is_refused_when_grad_is_needed(fn):
    args = (leaf(), leaf()) if fn is np.dot else (leaf(),)
    with pytest.raises(TypeError, match=rf"np.{fn.__name__} has no gradient in autograd, and its input requires "
                                        r"grad; use Tensor ops, or call it on .detach\(\)"):
        fn(*args)


def test_float_result_without_a_tensor_op_is_fine_without_grad():
    t = leaf()
    assert np.std(t.detach()) == pytest.approx(np.std(X))
    with ag.no_grad():
        assert np.std(t) == pytest.approx(np.std(X))
    np.testing.assert_array_equal(np.square(Tensor(X)).data, X ** 2)


def test_arguments_a_tensor_op_cannot_honour_are_refused_with_a_clear_error():
    t = leaf()
    cases = [
        (lambda: np.sum(t, where=X > 1), r"np.sum on a Tensor: where= is not supported"),
        (lambda: np.sum(t, axis=0, out=np.empty(2)), r"np.sum on a Tensor: out= is not supported"),
        (lambda: np.exp(t, out=np.empty((2, 2))), r"np.exp on a Tensor: out= is not supported"),
        (lambda: np.pad(t, 1, mode="reflect"), r"np.pad on a Tensor: mode='reflect' is not supported"),
        (lambda: np.reshape(t, (4,), order="F"), r"np.reshape on a Tensor: order='F' is not supported"),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=message):
            call()


def test_such_arguments_still_work_on_tensors_without_grad():
    t = Tensor(X)
    out = np.empty(2)
    np.sum(t, axis=0, out=out)
    np.testing.assert_array_equal(out, X.sum(axis=0))
    assert np.sum(t, where=X > 1) == pytest.approx(3.5)
