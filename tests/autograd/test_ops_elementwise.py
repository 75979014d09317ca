"""Elementwise ops: values against numpy, gradients against central differences (first and second order), dtypes, and
one hand-derived gradient per op. Driven by the op table in op_table.py."""
from __future__ import annotations

import decimal
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor, Value
from op_table import BINARY, UNARY, draw_inputs, leaf, small_shapes


def broadcastable_pair(data: st.DataObject) -> tuple:
    return data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)).input_shapes


# --- unary ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", UNARY, ids=repr)
@given(data=st.data())
def test_unary_forward_matches_numpy(op, data):
    (x,) = draw_inputs(data, op, (data.draw(small_shapes()),))
    out = op.fn(leaf(x))
    expected = op.ref(x)
    assert isinstance(out, Tensor) and out.shape == expected.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("op", UNARY, ids=repr)
@settings(max_examples=25)
@given(data=st.data())
def test_unary_gradcheck(op, data):
    (x,) = draw_inputs(data, op, (data.draw(small_shapes()),))
    assert ag.gradcheck(op.fn, [leaf(x)])


@pytest.mark.parametrize("op", [op for op in UNARY if op.twice], ids=repr)
@settings(max_examples=12)
@given(data=st.data())
def test_unary_gradgradcheck(op, data):
    (x,) = draw_inputs(data, op, (data.draw(small_shapes(max_dims=2)),))
    assert ag.gradgradcheck(op.fn, [leaf(x)])


@pytest.mark.parametrize("op", UNARY, ids=repr)
def test_unary_keeps_float32_in_value_and_gradient(op):
    (x,) = [domain(np.linspace(-1.7, 1.9, 6).reshape(2, 3)) for domain in op.domains]
    t = Tensor(x.astype(np.float32), requires_grad=True)
    out = op.fn(t)
    out.sum().backward()
    assert out.dtype == np.float32
    assert t.grad.dtype == np.float32 and t.grad.shape == (2, 3)


# --- binary, with every pair of mutually broadcastable shapes ---------------------------------------------------------


@pytest.mark.parametrize("op", BINARY, ids=repr)
@given(data=st.data())
def test_binary_forward_matches_numpy_with_broadcasting(op, data):
    a, b = draw_inputs(data, op, broadcastable_pair(data))
    out = op.fn(leaf(a), leaf(b))
    expected = op.ref(a, b)
    assert out.shape == np.shape(expected) and out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("op", BINARY, ids=repr)
@settings(max_examples=25)
@given(data=st.data())
def test_binary_gradcheck_with_broadcasting(op, data):
    a, b = draw_inputs(data, op, broadcastable_pair(data))
    ta, tb = leaf(a), leaf(b)
    assert ag.gradcheck(op.fn, [ta, tb])
    out = op.fn(ta, tb)
    out.sum().backward()
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape  # broadcasting undone to each input's shape


@pytest.mark.parametrize("op", [op for op in BINARY if op.twice], ids=repr)
@settings(max_examples=12)
@given(data=st.data())
def test_binary_gradgradcheck_with_broadcasting(op, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)).input_shapes
    a, b = draw_inputs(data, op, shapes)
    assert ag.gradgradcheck(op.fn, [leaf(a), leaf(b)])


@pytest.mark.parametrize("op", BINARY, ids=repr)
def test_binary_keeps_float32_in_value_and_gradient(op):
    a, b = [domain(np.linspace(-1.7, 1.9, n)) for domain, n in zip(op.domains, (6, 1))]
    ta = Tensor(a.reshape(2, 3).astype(np.float32), requires_grad=True)
    tb = Tensor(b.astype(np.float32), requires_grad=True)
    out = op.fn(ta, tb)
    out.sum().backward()
    assert out.dtype == np.float32
    assert ta.grad.dtype == np.float32 and tb.grad.dtype == np.float32
    assert tb.grad.shape == (1,)


def test_float64_operand_with_float32_tensor_follows_numpy_promotion():
    a = Tensor(np.ones(3, np.float32), requires_grad=True)
    b = Tensor(np.full(3, 2.0), requires_grad=True)  # float64
    out = a * b
    out.sum().backward()
    assert out.dtype == np.float64  # as numpy: float32 * float64 -> float64
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64  # each gradient in its input's dtype
    np.testing.assert_array_equal(a.grad.data, [2, 2, 2])


def test_python_number_takes_the_tensor_dtype():
    for dtype in (np.float32, np.float64):
        x = Tensor(np.ones(2, dtype), requires_grad=True)
        for out in (x + 1, 1 + x, x * 0.5, 0.5 * x, x - 2.0, 2.0 - x, x / 3, 3 / x, x ** 2, 2 ** x):
            assert out.dtype == dtype


def test_python_list_takes_the_tensor_dtype_like_a_number():
    for dtype in (np.float32, np.float64):
        x = Tensor(np.ones(2, dtype), requires_grad=True)
        for out in (x + [0.5, 1.0], [1, 2] * x, x * (1, 2), x @ [1.0, 2.0], ag.maximum(x, [0.0, 2.0]),
                    ag.where([True, False], x, [0.0, 1.0])):
            assert out.dtype == dtype
    np.testing.assert_array_equal((Tensor(np.ones(2, np.float32)) + [0.5, 1.0]).data, [1.5, 2.0])


# --- one hand-derived gradient per op ---------------------------------------------------------------------------------

HAND_UNARY = [
    # (name, fn, x, expected value, expected dy/dx)
    ("neg", lambda x: -x, 3.0, -3.0, -1.0),
    ("exp", lambda x: x.exp(), 0.0, 1.0, 1.0),
    ("exp at 1", lambda x: x.exp(), 1.0, math.e, math.e),
    ("log", lambda x: x.log(), 2.0, math.log(2), 0.5),
    ("sqrt", lambda x: x.sqrt(), 4.0, 2.0, 0.25),
    ("sin", lambda x: x.sin(), 0.0, 0.0, 1.0),
    ("cos", lambda x: x.cos(), math.pi / 2, 0.0, -1.0),
    ("tanh", lambda x: x.tanh(), 0.0, 0.0, 1.0),
    ("sigmoid", lambda x: x.sigmoid(), 0.0, 0.5, 0.25),
    ("sigmoid large", lambda x: x.sigmoid(), 800.0, 1.0, 0.0),
    ("sigmoid very negative", lambda x: x.sigmoid(), -800.0, 0.0, 0.0),
    ("relu positive", lambda x: x.relu(), 2.0, 2.0, 1.0),
    ("relu negative", lambda x: x.relu(), -1.0, 0.0, 0.0),
    ("abs negative", lambda x: x.abs(), -3.0, 3.0, -1.0),
    ("abs at zero", lambda x: x.abs(), 0.0, 0.0, 0.0),
    ("clip inside", lambda x: x.clip(-1, 1), 0.5, 0.5, 1.0),
    ("clip above", lambda x: x.clip(-1, 1), 2.0, 1.0, 0.0),
    ("clip below", lambda x: x.clip(-1, 1), -2.0, -1.0, 0.0),
    ("cube", lambda x: x ** 3, 2.0, 8.0, 12.0),
    ("cube negative base", lambda x: x ** 3, -2.0, -8.0, 12.0),
    ("square negative base", lambda x: x ** 2, -3.0, 9.0, -6.0),
    ("rpow", lambda x: 2 ** x, 3.0, 8.0, 8 * math.log(2)),
    ("reciprocal", lambda x: 1 / x, 2.0, 0.5, -0.25),
    ("rsub", lambda x: 5 - x, 2.0, 3.0, -1.0),
]


@pytest.mark.parametrize("name, fn, x, value, slope", HAND_UNARY, ids=[c[0] for c in HAND_UNARY])
def test_unary_hand_derived_gradient(name, fn, x, value, slope):
    t = Tensor(np.array(x), requires_grad=True)
    out = fn(t)
    out.backward()
    assert out.item() == pytest.approx(value, abs=1e-12)
    assert t.grad.item() == pytest.approx(slope, abs=1e-12)


HAND_BINARY = [
    # (name, fn, a, b, expected dz/da, expected dz/db)
    ("add", lambda a, b: a + b, 3.0, 4.0, 1.0, 1.0),
    ("sub", lambda a, b: a - b, 3.0, 4.0, 1.0, -1.0),
    ("mul", lambda a, b: a * b, 3.0, 4.0, 4.0, 3.0),
    ("div", lambda a, b: a / b, 3.0, 2.0, 0.5, -0.75),
    ("pow", lambda a, b: a ** b, 2.0, 3.0, 12.0, 8 * math.log(2)),
    ("maximum", ag.maximum, 3.0, 1.0, 1.0, 0.0),
    ("maximum tie", ag.maximum, 2.0, 2.0, 0.5, 0.5),
    ("minimum", ag.minimum, 3.0, 1.0, 0.0, 1.0),
    ("minimum tie", ag.minimum, 2.0, 2.0, 0.5, 0.5),
    ("where true", lambda a, b: ag.where(True, a, b), 3.0, 1.0, 1.0, 0.0),
    ("where false", lambda a, b: ag.where(np.array(False), a, b), 3.0, 1.0, 0.0, 1.0),
]


@pytest.mark.parametrize("name, fn, a, b, da, db", HAND_BINARY, ids=[c[0] for c in HAND_BINARY])
def test_binary_hand_derived_gradient(name, fn, a, b, da, db):
    ta, tb = Tensor(np.array(a), requires_grad=True), Tensor(np.array(b), requires_grad=True)
    fn(ta, tb).backward()
    assert ta.grad.item() == pytest.approx(da, abs=1e-12)
    assert tb.grad.item() == pytest.approx(db, abs=1e-12)


def test_broadcast_add_gradient_sums_over_stretched_axes():
    a = Tensor(np.zeros((2, 3)), requires_grad=True)
    b = Tensor(np.zeros((3,)), requires_grad=True)
    c = Tensor(np.zeros((2, 1)), requires_grad=True)
    (a + b + c).sum().backward()
    np.testing.assert_array_equal(b.grad.data, [2, 2, 2])
    np.testing.assert_array_equal(c.grad.data, [[3], [3]])


def test_maximum_ties_split_per_element_with_broadcasting():
    a = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    b = Tensor(np.array([[2.0], [0.0]]), requires_grad=True)
    ag.maximum(a, b).sum().backward()
    # row 0 compares with 2: a wins at 3, ties at 2, loses at 1; row 1 compares with 0: a wins everywhere
    np.testing.assert_array_equal(a.grad.data, [[1.0, 1.5, 2.0]])
    np.testing.assert_array_equal(b.grad.data, [[1.5], [0.0]])


def test_where_with_number_branches():
    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    out = ag.where(x > 0, x * 3, 0.0)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [0.0, 6.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 3.0])


def test_astype_between_float_dtypes_casts_gradient_back():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32 and x.astype(np.float64) is x
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_astype_gradient_under_create_graph_has_the_input_dtype():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    (g,) = ag.grad((y * y * y).sum(), x, create_graph=True)  # 3 x**2, then 6 x
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.data, [3.0, 12.0])
    (h,) = ag.grad(g.sum(), x)
    assert h.dtype == np.float32
    np.testing.assert_array_equal(h.data, [6.0, 12.0])


def test_power_with_an_exponent_array_holding_zero_has_closed_form_first_and_second_derivatives():
    x = Tensor(np.array([0.0, 0.0, 2.0]), requires_grad=True)
    n = np.array([0.0, 1.0, 3.0])  # d/dx x**n = n x**(n-1): 0, 1, 12;  d2/dx2 = n (n-1) x**(n-2): 0, 0, 12
    (first,) = ag.grad((x ** n).sum(), x, create_graph=True)
    np.testing.assert_array_equal(first.data, [0.0, 1.0, 12.0])
    (second,) = ag.grad(first.sum(), x)
    np.testing.assert_array_equal(second.data, [0.0, 0.0, 12.0])


def test_power_mixed_second_derivative_at_exponent_zero_is_one_over_base():
    a = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    b = Tensor(np.array([0.0, 0.0]), requires_grad=True)
    (da,) = ag.grad((a ** b).sum(), a, create_graph=True)  # b a**(b-1) = 0 at b = 0
    np.testing.assert_array_equal(da.data, [0.0, 0.0])
    (dab,) = ag.grad(da.sum(), b)  # d/db of b a**(b-1) = a**(b-1) (1 + b log a) = 1/a at b = 0
    np.testing.assert_allclose(dab.data, [2.0, 0.5], rtol=1e-12)


def test_comparisons_give_bool_tensors_without_gradient():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([3.0, 2.0, 1.0]))
    results = {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= 2, "==": x == y, "!=": x != 2}
    expected = {"<": [1, 0, 0], "<=": [1, 1, 0], ">": [0, 0, 1], ">=": [0, 1, 1], "==": [0, 1, 0], "!=": [1, 0, 1]}
    for key, out in results.items():
        assert out.dtype == np.bool_, key
        assert not out.requires_grad and out.grad_fn is None, key
        np.testing.assert_array_equal(out.data, np.array(expected[key], dtype=bool), err_msg=key)


def test_astype_to_integer_or_bool_is_a_constant():
    x = Tensor(np.array([1.7, -2.2]), requires_grad=True)
    for dtype in (np.int64, np.bool_):
        y = x.astype(dtype)
        assert y.dtype == dtype and not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(x.astype(np.int64).data, [1, -2])


def test_clip_with_tensor_bounds():
    x = Tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
    out = x.clip(Tensor(np.array(0.0)), np.array([1.0, 1.0, 1.5]))
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [0.0, 0.5, 1.5])
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 0.0])
    with pytest.raises(TypeError, match=r"clip: the bound lo requires grad, but clip sends no gradient to its bounds"):
        x.clip(Tensor(np.array(0.0), requires_grad=True), 1.0)


# --- sigmoid keeps its relative precision in both tails --------------------------------------------------------------


def exact_sigmoid(x: float) -> float:
    """sigmoid(x) to 50 digits (decimal arithmetic), rounded to the nearest float64."""
    with decimal.localcontext() as context:
        context.prec = 50
        return float(1 / (1 + (-decimal.Decimal(float(x))).exp()))


def exact_sigmoid_slope(x: float) -> float:
    """d sigmoid / dx = sigmoid(x) * sigmoid(-x), to 50 digits, rounded to the nearest float64."""
    with decimal.localcontext() as context:
        context.prec = 50
        e = (-decimal.Decimal(float(x))).exp()
        return float(e / (1 + e) ** 2)


SIGMOID_POINTS = np.concatenate([np.linspace(-80, 80, 321), [-37.5, -17.3, 17.3, 37.5]])


@pytest.mark.parametrize("dtype, ulps", [(np.float64, 8), (np.float32, 4)])
def test_sigmoid_and_its_slope_keep_relative_precision_in_both_tails(dtype, ulps):
    x = Tensor(SIGMOID_POINTS.astype(dtype), requires_grad=True)
    y = x.sigmoid()
    y.sum().backward()
    points = x.data.astype(np.float64)  # the float32 inputs, exactly
    value = np.array([exact_sigmoid(p) for p in points])
    slope = np.array([exact_sigmoid_slope(p) for p in points])
    tolerance = ulps * np.finfo(dtype).eps
    assert y.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_allclose(y.data, value, rtol=tolerance, atol=0)
    np.testing.assert_allclose(x.grad.data, slope, rtol=tolerance, atol=0)


def test_sigmoid_second_derivative_in_the_tails_matches_the_closed_form():
    x = leaf([-30.0, -5.0, 0.5, 30.0])
    (slope,) = ag.grad(x.sigmoid().sum(), x, create_graph=True)
    (curvature,) = ag.grad(slope.sum(), x)
    s, t = 1 / (1 + np.exp(-x.data)), 1 / (1 + np.exp(x.data))  # sigmoid(x), sigmoid(-x): exact enough in float64
    np.testing.assert_allclose(curvature.data, s * t * (t - s), rtol=1e-13)


def test_sigmoid_of_extreme_inputs_is_exact_without_warnings():
    x = Tensor([-1000.0, -40.0, 40.0, 1000.0, np.inf, -np.inf], dtype=np.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_array_equal(y.data[[0, 3, 4, 5]], [0.0, 1.0, 1.0, 0.0])
    assert y.data[1] == pytest.approx(math.exp(-40), rel=1e-15) and y.data[2] == 1.0
    assert y[1:2].log().item() == pytest.approx(-40.0, rel=1e-15)
    assert x.grad.data[1] == x.grad.data[2] == pytest.approx(math.exp(-40), rel=1e-15)


# --- domain errors and poles: Tensor warns at the user's line (as numpy would), Value raises (as math would) ----------

DOMAIN = [
    # (what, the Tensor op on x, x, numpy's result, the warning, the same op on a Value)
    ("log of a negative", lambda x: x.log(), -1.0, np.nan, "log: log of a negative number gives nan",
     lambda v: v.log()),
    ("log of 0", lambda x: x.log(), 0.0, -np.inf, r"log: log\(0\) gives -inf", lambda v: v.log()),
    ("sqrt of a negative", lambda x: x.sqrt(), -4.0, np.nan, "sqrt: sqrt of a negative number gives nan",
     lambda v: v ** 0.5),
    ("divide by 0", lambda x: 1.0 / x, 0.0, np.inf, "divide: division by zero gives inf or -inf", lambda v: 1.0 / v),
    ("0 / 0", lambda x: x / x, 0.0, np.nan, r"divide: 0/0 \(or inf/inf\) gives nan", lambda v: v / v),
    ("0 to a negative power", lambda x: x ** -1.0, 0.0, np.inf, "pow: 0 to a negative power gives inf",
     lambda v: v ** -1.0),
    ("negative base, fractional power", lambda x: x ** 0.5, -8.0, np.nan,
     "pow: a negative base to a fractional power gives nan", lambda v: v ** 0.5),
]


@pytest.mark.parametrize("what, op, x, result, message, value_op", DOMAIN, ids=[c[0] for c in DOMAIN])
def test_tensor_domain_errors_warn_at_the_users_line_and_value_raises(what, op, x, result, message, value_op):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = op(Tensor(np.array([x, 4.0])))
    np.testing.assert_array_equal(out.data, [result, op(Tensor(np.array([4.0]))).item()])
    assert caught
    for w in caught:  # one warning naming the op, none of numpy's own ("invalid value encountered in log")
        assert re.match(message, str(w.message)) and w.category is RuntimeWarning
        assert (w.filename, w.lineno) == (__file__, op.__code__.co_firstlineno)  # the line of the lambda: user code
    with pytest.raises((ValueError, ZeroDivisionError), match=r"^(log|pow): "):
        value_op(Value(x))


def test_domain_warning_through_nn_points_at_the_callers_line():
    import nn.functional as F

    def user_code():
        return F.layer_norm(Tensor(np.ones((2, 3))), (3,), eps=0.0)  # no spread and no eps: 0/0

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        user_code()
    line = user_code.__code__.co_firstlineno + 1
    assert [(str(w.message)[:7], w.filename, w.lineno) for w in caught] == [("divide:", __file__, line)]


def test_domain_warnings_follow_the_users_numpy_error_state():
    x = Tensor(np.array([-1.0, 0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(divide="ignore", invalid="ignore"):
            assert np.isnan(x.log().data[0]) and x.sqrt().data[1] == 0.0
        with np.errstate(invalid="raise"):
            with pytest.raises(FloatingPointError, match="sqrt: sqrt of a negative number gives nan"):
                x.sqrt()
        Tensor(np.array([0.5, 2.0])).log()  # valid input: no warning at all
