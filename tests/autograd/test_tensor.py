"""Tensor: construction and dtype rules, factories, attributes, conversions, detach/requires_grad, and the methods
and functions of the issue's list (the maths of each op is checked in test_ops_*.py)."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import BackwardError, DTypeError, Tensor


@pytest.fixture
def default_float64():
    ag.set_default_dtype(np.float64)
    try:
        yield
    finally:
        ag.set_default_dtype(np.float32)


# --- construction and dtypes ----------------------------------------------------------------------------------------


def test_python_numbers_and_lists_become_float32():
    assert Tensor(3).dtype == np.float32
    assert Tensor(2.5).dtype == np.float32
    assert Tensor([1, 2, 3]).dtype == np.float32
    assert Tensor([[1.0, 2.0]]).dtype == np.float32
    assert ag.tensor([1, 2]).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_arrays_keep_their_dtype(dtype):
    assert Tensor(np.ones(3, dtype)).dtype == dtype
    assert Tensor(np.array(1.5, dtype)).dtype == dtype


def test_integer_and_bool_arrays_keep_their_dtype():
    assert Tensor(np.arange(3)).dtype == np.arange(3).dtype
    assert Tensor(np.array([True, False])).dtype == np.bool_
    assert Tensor([True, False]).dtype == np.bool_


def test_dtype_argument_wins():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(np.ones(2), dtype=np.float32).dtype == np.float32
    assert Tensor([1, 2], dtype=np.int32).dtype == np.int32


def test_set_default_dtype_changes_numbers_lists_and_factories(default_float64):
    assert ag.get_default_dtype() == np.float64
    assert Tensor([1, 2]).dtype == np.float64
    assert ag.zeros(2).dtype == np.float64 and ag.ones(2).dtype == np.float64
    assert ag.randn(2).dtype == np.float64 and ag.rand(2).dtype == np.float64
    assert ag.arange(3).dtype == np.float64 and ag.full(2, 1.0).dtype == np.float64
    # a float32 array still stays float32, and so does arithmetic with Python numbers on it
    x = Tensor(np.ones(2, np.float32))
    assert x.dtype == np.float32 and (x * 2.0 + 1).dtype == np.float32


def test_set_default_dtype_refuses_non_float():
    with pytest.raises(DTypeError, match=r"set_default_dtype: expected a float dtype .* got int32"):
        ag.set_default_dtype(np.int32)
    assert ag.get_default_dtype() == np.float32


@pytest.mark.parametrize("data", [np.arange(3), np.array([True, False]), [True]])
def test_integer_and_bool_tensors_cannot_require_grad(data):
    with pytest.raises(DTypeError, match=r"only float Tensors can require grad, got dtype (int64|bool)"):
        Tensor(data, requires_grad=True)
    t = Tensor(data)
    with pytest.raises(DTypeError, match="only float Tensors can require grad"):
        t.requires_grad = True


def test_factory_with_integer_dtype_cannot_require_grad():
    with pytest.raises(DTypeError, match="only float Tensors can require grad, got dtype int64"):
        ag.zeros(2, dtype=np.int64, requires_grad=True)


def test_integer_tensors_compute_and_pass_gradient_to_float_partners():
    i = Tensor(np.arange(3))
    f = Tensor(np.ones(3), requires_grad=True)
    assert (i + 1).dtype == np.arange(3).dtype
    (i * f).sum().backward()
    np.testing.assert_array_equal(f.grad.data, [0.0, 1.0, 2.0])
    assert i.grad is None and not i.requires_grad


def test_constructor_copies_its_data():
    array = np.zeros(2)
    t = Tensor(array)
    array[0] = 5.0
    assert t.data[0] == 0.0


def test_tensor_of_a_tensor_is_a_new_leaf():
    x = Tensor([1.0], requires_grad=True)
    y = Tensor(x * 2)
    assert y.is_leaf and not y.requires_grad and y.data[0] == 2.0


def test_constructor_rejects_non_numeric_data():
    with pytest.raises(DTypeError, match=r"Tensor: cannot hold data of dtype <U3 \(from str\)"):
        Tensor("abc")
    with pytest.raises(DTypeError, match="cannot hold data of dtype complex128"):
        Tensor(np.ones(2), dtype=complex)
    with pytest.raises(ValueError, match=r"Tensor: cannot make an array of list data .*rectangular nested lists"):
        Tensor([[1.0], [1.0, 2.0]])


# --- factories ----------------------------------------------------------------------------------------------------


def test_factories_shapes_values_and_requires_grad():
    assert ag.zeros(2, 3).shape == (2, 3) and not ag.zeros(2, 3).data.any()
    assert ag.zeros((2, 3)).shape == (2, 3)
    assert ag.ones(4).data.sum() == 4.0
    np.testing.assert_array_equal(ag.full((2,), 3.5).data, [3.5, 3.5])
    assert ag.full(3, 1.0).shape == (3,)
    np.testing.assert_array_equal(ag.arange(4).data, [0, 1, 2, 3])
    np.testing.assert_array_equal(ag.arange(1, 6, 2).data, [1, 3, 5])
    for make in (lambda **kw: ag.zeros(2, **kw), lambda **kw: ag.ones(2, **kw), lambda **kw: ag.full(2, 1.0, **kw),
                 lambda **kw: ag.randn(2, **kw), lambda **kw: ag.rand(2, **kw), lambda **kw: ag.arange(2, **kw),
                 lambda **kw: ag.zeros_like(Tensor([1.0, 2.0]), **kw),
                 lambda **kw: ag.ones_like(Tensor([1.0, 2.0]), **kw)):
        assert make(requires_grad=True).requires_grad and make(requires_grad=True).is_leaf
        assert not make().requires_grad


def test_like_factories_follow_shape_and_dtype():
    x = Tensor(np.ones((2, 3), np.float64))
    z, o = ag.zeros_like(x), ag.ones_like(x)
    assert z.shape == o.shape == (2, 3) and z.dtype == o.dtype == np.float64
    assert not z.data.any() and o.data.all()
    assert ag.zeros_like(x, dtype=np.float32).dtype == np.float32


def test_randn_and_rand_repeat_with_a_seed_or_generator():
    ag.seed(3)
    a = ag.randn(5)
    ag.seed(3)
    b = ag.randn(5)
    np.testing.assert_array_equal(a.data, b.data)
    c = ag.rand(100, rng=np.random.default_rng(1))
    d = ag.rand(100, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(c.data, d.data)
    assert c.data.min() >= 0 and c.data.max() < 1
    assert ag.randn((2, 3)).shape == (2, 3)


# --- attributes and conversions -------------------------------------------------------------------------------------


def test_attributes():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.float64
    assert t.requires_grad and t.is_leaf and t.grad_fn is None and t.grad is None
    np.testing.assert_array_equal(t.T.data, np.arange(6.0).reshape(2, 3).T)
    y = t * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None and y.grad_fn.name == "Mul"


def test_numpy_item_asarray_tolist_float():
    t = Tensor(np.array([[1.0, 2.0]]))
    assert t.numpy() is t.data
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert t.tolist() == [[1.0, 2.0]]
    one = Tensor([2.5])
    assert one.item() == 2.5 and type(one.item()) is float and float(one) == 2.5
    with pytest.raises(ValueError, match=r"item: only one-element Tensors .* got shape \(1, 2\)"):
        t.item()


def test_len_iter_bool_and_index():
    t = Tensor(np.array([1.0, 0.0, 3.0]), requires_grad=True)
    assert len(t) == 3
    parts = list(t)
    assert [p.item() for p in parts] == [1.0, 0.0, 3.0] and all(p.requires_grad for p in parts)
    assert bool(Tensor([1.0])) and not bool(Tensor([0.0]))
    with pytest.raises(ValueError, match=r"truth value of a Tensor of shape \(3,\) is ambiguous"):
        bool(t)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d Tensor"):
        len(Tensor(1.0))
    assert [10, 20, 30][Tensor(np.array(1))] == 20
    with pytest.raises(TypeError, match="only integer Tensors can be used as an index"):
        [10, 20][Tensor(1.0)]


def test_repr_shows_data_and_graph_state():
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "Tensor([1., 2.], requires_grad=True)"
    assert "dtype=float64" in repr(Tensor(np.ones(1)))
    assert "grad_fn=<MulBackward>" in repr(Tensor([1.0], requires_grad=True) * 2)


def test_detach_shares_data_and_cuts_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).detach()
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    z = x * 2
    assert z.detach().data is z.data
    (y * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 6.0])  # nothing flowed through the detached branch


def test_requires_grad_propagates_through_ops():
    a = Tensor([1.0], requires_grad=True)
    b = Tensor([2.0])
    assert (a + b).requires_grad and (b * a).requires_grad and a.exp().requires_grad
    assert not (b + b).requires_grad and (b + b).grad_fn is None
    assert not ag.concatenate([b, b]).requires_grad
    assert ag.concatenate([b, a]).requires_grad


def test_requires_grad_can_only_change_on_leaves():
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(ag.BackwardError, match="requires_grad can only be changed on a leaf Tensor"):
        (x * 2).requires_grad = False
    y = Tensor([1.0]).requires_grad_()
    assert y.requires_grad
    y.requires_grad_(False)
    assert not y.requires_grad


def test_grad_can_be_assigned_and_cleared():
    x = Tensor(np.ones(3), requires_grad=True)
    x.grad = np.full(3, 2.0)
    assert isinstance(x.grad, Tensor) and x.grad.dtype == np.float64
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0, 3.0])  # accumulated onto the assigned value
    x.grad = None
    assert x.grad is None
    with pytest.raises(ag.ShapeError, match=r"grad: assigned a gradient of shape \(2,\) to a Tensor of shape \(3,\)"):
        x.grad = np.ones(2)


# --- the method and function forms agree ------------------------------------------------------------------------------


def test_function_forms_match_method_forms():
    x = Tensor(np.array([0.5, 1.5, 2.5]))
    for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs"):
        np.testing.assert_array_equal(getattr(ag, name)(x).data, getattr(x, name)().data, err_msg=name)
    np.testing.assert_array_equal(ag.clip(x, 1.0, 2.0).data, [1.0, 1.5, 2.0])
    np.testing.assert_array_equal(ag.exp([0.0]).data, [1.0])  # a plain list becomes a Tensor


def test_unary_plus_and_builtin_abs():
    x = Tensor([-1.0, 2.0], requires_grad=True)
    assert (+x) is x
    np.testing.assert_array_equal(abs(x).data, [1.0, 2.0])


def test_boolean_operators_on_comparisons():
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(((x > 1) & (x < 3)).data, [False, True, False])
    np.testing.assert_array_equal(((x < 2) | (x > 2)).data, [True, False, True])
    np.testing.assert_array_equal((~(x > 1)).data, [True, False, False])


BINARY_OPERATORS = ["add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "divmod", "pow", "lshift", "rshift",
                    "and", "xor", "or"]


def test_every_binary_operator_has_its_reflected_form():
    missing = [name for name in BINARY_OPERATORS
               if hasattr(Tensor, f"__{name}__") and not hasattr(Tensor, f"__r{name}__")]
    assert missing == []


REFLECTED = [
    # (what, the expression with the Tensor on the right, the same with numpy arrays)
    ("int & int Tensor", lambda t: 6 & t, lambda a: 6 & a),
    ("int | int Tensor", lambda t: 6 | t, lambda a: 6 | a),
    ("int ^ int Tensor", lambda t: 6 ^ t, lambda a: 6 ^ a),
    ("bool & bool Tensor", lambda t: True & (t > 2), lambda a: True & (a > 2)),
    ("bool | bool Tensor", lambda t: False | (t > 2), lambda a: False | (a > 2)),
    ("bool ^ bool Tensor", lambda t: True ^ (t > 2), lambda a: True ^ (a > 2)),
    ("number + Tensor", lambda t: 2.5 + t, lambda a: 2.5 + a),
    ("number - Tensor", lambda t: 2.5 - t, lambda a: 2.5 - a),
    ("number * Tensor", lambda t: 2.5 * t, lambda a: 2.5 * a),
    ("number / Tensor", lambda t: 2.5 / t, lambda a: 2.5 / a),
    ("number ** Tensor", lambda t: 2.5 ** t, lambda a: 2.5 ** a),
    ("list @ Tensor", lambda t: [[1.0, 2.0, 3.0, 4.0]] @ t, lambda a: np.array([[1.0, 2.0, 3.0, 4.0]]) @ a),
    ("number < Tensor", lambda t: 2 < t, lambda a: 2 < a),
    ("number >= Tensor", lambda t: 2 >= t, lambda a: 2 >= a),
]


@pytest.mark.parametrize("what, expression, reference", REFLECTED, ids=[r[0] for r in REFLECTED])
def test_reflected_operators_match_numpy(what, expression, reference):
    data = np.array([1, 2, 3, 7])
    t = Tensor(data if "int" in what or "bool" in what else data.astype(np.float64))
    out = expression(t)
    expected = reference(t.data)
    assert isinstance(out, Tensor) and out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)


def test_an_integer_too_large_for_numpys_integers_is_named_with_the_fix():
    with pytest.raises(DTypeError, match=r"^Tensor: the integer 1180591620717411303424 does not fit numpy's integers "
                                         r"\(int64, uint64\); pass the data as floats, or pass dtype=np.float64$"):
        Tensor([1, 2**70])
    with pytest.raises(DTypeError, match=r"^Tensor: the integer -18446744073709551616 does not fit numpy's integers"):
        Tensor([[1, 2], [3, -2**64]])
    with pytest.raises(DTypeError, match=r"^Tensor: the integer 1180591620717411303424 does not fit dtype int64; "
                                         r"pass dtype=np.float64$"):
        Tensor([1, 2**70], dtype=np.int64)
    for dtype in (None, np.float64):
        with pytest.raises(DTypeError, match=r"^Tensor: an integer of 401 digits does not fit numpy's integers, nor "
                                             r"float64 \(at most about 1.8e308\); scale the data down first$"):
            Tensor([1.0, 10**400], dtype=dtype)
    assert Tensor([1, 2**70], dtype=np.float64).data[1] == 2.0**70  # the fix the message gives works


def test_grad_from_a_hook_owns_its_array_so_clipping_leaves_the_callers_array_alone():
    import nn
    kept = np.array([3.0, 4.0])
    x = Tensor(np.zeros(2), requires_grad=True)
    x.register_hook(lambda g: kept)
    (x * 1.0).sum().backward()
    nn.utils.clip_grad_norm_([x], max_norm=1.0)
    np.testing.assert_allclose(x.grad.data, [0.6, 0.8], rtol=1e-6)  # the norm 5 scaled to 1
    assert kept.tolist() == [3.0, 4.0]  # the hook's array is the caller's: untouched


@pytest.mark.parametrize("on", ["leaf", "non-leaf"])
def test_clipping_works_when_a_hook_returned_a_read_only_array(on):
    import nn
    frozen = np.array([3.0, 4.0])
    frozen.flags.writeable = False
    x = Tensor(np.zeros(2), requires_grad=True)
    y = x if on == "leaf" else x + 0.0  # add passes its gradient on as it is, so the hook's array reaches x
    y.register_hook(lambda g: frozen)
    (y + 0.0).sum().backward()
    nn.utils.clip_grad_value_([x], 1.0)
    assert x.grad.data.tolist() == [1.0, 1.0] and frozen.tolist() == [3.0, 4.0]


def test_grad_from_a_hook_under_create_graph_owns_its_data_and_keeps_its_graph():
    kept = []
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    remove = x.register_hook(lambda g: kept.append(g * 10) or kept[-1])
    (x * x).sum().backward(create_graph=True)
    remove()
    assert x.grad is not kept[0] and x.grad.grad_fn is not None  # d/dx 10 * 2x, still recorded
    x.grad.data *= 0.5
    assert kept[0].data.tolist() == [20.0, 40.0]
    (gg,) = ag.grad(x.grad.sum(), x)  # d/dx sum(10 * 2x) = 20
    assert gg.data.tolist() == [20.0, 20.0]


SAVED = "saved for backward, was modified by an in-place operation"


@pytest.mark.parametrize("change", ["setitem", "+="])
@pytest.mark.parametrize("kind", ["constant", "result"])
def test_changing_through_the_tensor_what_an_op_saved_is_refused_at_backward(change, kind):
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    t = Tensor(np.array([3.0, 4.0])) if kind == "constant" else x * 1.0
    y = (x * t).sum()  # Mul saved t
    if change == "setitem":
        t[0] = 10.0
    else:
        t += 1.0
    with pytest.raises(BackwardError, match=r"^Mul: a Tensor of shape \(2,\), " + SAVED):
        y.backward()


def test_setitem_on_the_input_sigmoid_saved_is_refused_and_on_a_copy_is_fine():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 1.0
    y = h.sigmoid().sum()  # Sigmoid saved h (and its output)
    copy = h.detach().numpy().copy()
    copy[0] = 10.0  # changing a copy touches nothing the graph holds
    h[0] = 10.0
    with pytest.raises(BackwardError, match=r"^Sigmoid: a Tensor of shape \(2,\), " + SAVED):
        y.backward()
