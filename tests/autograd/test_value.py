"""Value, the scalar front end: results and gradients of every op and of composite expressions, checked against
hand-derived values and central differences; micrograd's semantics (every intermediate keeps its .grad)."""
from __future__ import annotations

import decimal
import math

import pytest

import autograd as ag
from autograd import GraphFreedError, Tensor, Value


def numeric_grads(fn, xs: list[float], eps: float = 1e-6) -> list[float]:
    """Central differences of a scalar function of plain floats (evaluated through Values, without backward)."""
    grads = []
    for i in range(len(xs)):
        plus = list(xs)
        minus = list(xs)
        plus[i] += eps
        minus[i] -= eps
        f_plus = fn(*[Value(v) for v in plus]).data
        f_minus = fn(*[Value(v) for v in minus]).data
        grads.append((f_plus - f_minus) / (2 * eps))
    return grads


def test_value_holds_float_data_label_and_zero_grad():
    a = Value(2, label="a")
    assert type(a.data) is float and a.data == 2.0
    assert a.label == "a"
    assert type(a.grad) is float and a.grad == 0.0
    assert a.is_leaf and a.grad_fn is None and a.requires_grad


def test_value_of_a_value_copies_the_number():
    assert Value(Value(3.5)).data == 3.5


def test_value_rejects_non_numbers():
    with pytest.raises(TypeError, match=r"Value: expected a number, got str"):
        Value("abc")


def test_micrograd_classic_expression_gradients():
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    assert L.data == -8.0
    # dL/dd = f = -2; dL/de = dL/dd = -2; dL/da = dL/de * b = 6; dL/db = dL/de * a = -4; dL/dc = -2; dL/df = d = 4
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)
    # every intermediate Value keeps its gradient, for drawings
    assert (e.grad, d.grad, L.grad) == (-2.0, -2.0, 1.0)


def test_cube_gradient_at_two_is_twelve():
    x = Value(2.0)
    y = x ** 3
    y.backward()
    assert y.data == 8.0 and x.grad == 12.0


HAND = [
    # (name, fn, x, value, d/dx)
    ("add number", lambda x: x + 3, 2.0, 5.0, 1.0),
    ("radd number", lambda x: 3 + x, 2.0, 5.0, 1.0),
    ("sub number", lambda x: x - 3, 2.0, -1.0, 1.0),
    ("rsub number", lambda x: 3 - x, 2.0, 1.0, -1.0),
    ("mul number", lambda x: x * 3, 2.0, 6.0, 3.0),
    ("rmul number", lambda x: 3 * x, 2.0, 6.0, 3.0),
    ("div number", lambda x: x / 4, 2.0, 0.5, 0.25),
    ("rdiv number", lambda x: 4 / x, 2.0, 2.0, -1.0),
    ("neg", lambda x: -x, 2.0, -2.0, -1.0),
    ("pow number", lambda x: x ** 2, -3.0, 9.0, -6.0),
    ("pow negative", lambda x: x ** -1, 2.0, 0.5, -0.25),
    ("pow fraction", lambda x: x ** 0.5, 4.0, 2.0, 0.25),
    ("rpow number", lambda x: 2 ** x, 3.0, 8.0, 8 * math.log(2)),
    ("exp", lambda x: x.exp(), 1.0, math.e, math.e),
    ("log", lambda x: x.log(), 2.0, math.log(2), 0.5),
    ("tanh", lambda x: x.tanh(), 0.5, math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
    ("relu positive", lambda x: x.relu(), 1.5, 1.5, 1.0),
    ("relu negative", lambda x: x.relu(), -1.5, 0.0, 0.0),
    ("sigmoid", lambda x: x.sigmoid(), 0.0, 0.5, 0.25),
    ("sigmoid at 2", lambda x: x.sigmoid(), 2.0, 1 / (1 + math.exp(-2)),
     math.exp(-2) / (1 + math.exp(-2)) ** 2),
    ("square by reuse", lambda x: x * x, 3.0, 9.0, 6.0),
    ("sum by reuse", lambda x: x + x + x, 3.0, 9.0, 3.0),
]


@pytest.mark.parametrize("name, fn, x, value, slope", HAND, ids=[c[0] for c in HAND])
def test_value_op_hand_derived(name, fn, x, value, slope):
    v = Value(x)
    out = fn(v)
    out.backward()
    assert isinstance(out, Value)
    assert out.data == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert v.grad == pytest.approx(slope, rel=1e-12, abs=1e-12)


BINARY_HAND = [
    # (name, fn, a, b, value, dz/da, dz/db)
    ("add", lambda a, b: a + b, 2.0, 5.0, 7.0, 1.0, 1.0),
    ("sub", lambda a, b: a - b, 2.0, 5.0, -3.0, 1.0, -1.0),
    ("mul", lambda a, b: a * b, 2.0, 5.0, 10.0, 5.0, 2.0),
    ("div", lambda a, b: a / b, 3.0, 2.0, 1.5, 0.5, -0.75),
    ("pow value", lambda a, b: a ** b, 2.0, 3.0, 8.0, 12.0, 8 * math.log(2)),
]


@pytest.mark.parametrize("name, fn, a, b, value, da, db", BINARY_HAND, ids=[c[0] for c in BINARY_HAND])
def test_value_binary_op_hand_derived(name, fn, a, b, value, da, db):
    va, vb = Value(a), Value(b)
    out = fn(va, vb)
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-12)
    assert va.grad == pytest.approx(da, rel=1e-12)
    assert vb.grad == pytest.approx(db, rel=1e-12)


def test_number_to_the_power_of_a_value():
    x = Value(2.0)
    out = 3 ** x
    out.backward()
    assert out.data == pytest.approx(9.0)
    assert x.grad == pytest.approx(9.0 * math.log(3.0))


COMPOSITES = [
    ("neuron", lambda x, w, b: (x * w + b).tanh(), [0.3, -1.2, 0.5]),
    ("softplus-ish", lambda x, y: (1 + (x * y).exp()).log(), [0.7, -0.4]),
    ("quotient of sums", lambda x, y: (x + y * y) / (x * x + 1), [1.5, -0.5]),
    ("powers", lambda x, y: x ** y + y ** 2.5 - 2 ** (x / y), [1.3, 2.1]),
    ("sigmoid and relu", lambda x, y: (x * y).sigmoid() * (x - y).relu() + (y - x).relu(), [0.9, -0.6]),
    ("micrograd-style chain", lambda a, b: (lambda c: (lambda d: (d + d * 2 + (b + a).relu()) ** 2 / 2.0)(
        c + c + 1 + (-a + c * a)))(a + b), [-4.0, 2.0]),
]


@pytest.mark.parametrize("name, fn, xs", COMPOSITES, ids=[c[0] for c in COMPOSITES])
def test_composite_value_gradients_match_central_differences(name, fn, xs):
    leaves = [Value(v) for v in xs]
    out = fn(*leaves)
    out.backward()
    expected = numeric_grads(fn, xs)
    for leaf, g in zip(leaves, expected):
        assert leaf.grad == pytest.approx(g, rel=1e-6, abs=1e-6)


def test_neuron_gradients_hand_derived():
    x, w, b = Value(2.0), Value(-0.5), Value(0.25)
    out = (x * w + b).tanh()
    out.backward()
    t = math.tanh(2.0 * -0.5 + 0.25)
    assert out.data == pytest.approx(t)
    assert w.grad == pytest.approx((1 - t * t) * 2.0)
    assert x.grad == pytest.approx((1 - t * t) * -0.5)
    assert b.grad == pytest.approx(1 - t * t)


def test_value_used_in_two_branches_accumulates():
    a = Value(3.0)
    b = a * 2
    c = a * a
    out = b + c  # 2a + a^2 -> 2 + 2a = 8
    out.backward()
    assert a.grad == 8.0
    assert b.grad == 1.0 and c.grad == 1.0


def test_builtin_sum_of_values():
    xs = [Value(float(i)) for i in range(1, 4)]
    total = sum(x * x for x in xs)
    total.backward()
    assert total.data == 14.0
    assert [x.grad for x in xs] == [2.0, 4.0, 6.0]


def test_constant_value_gets_no_gradient_and_result_of_constants_cannot_backward():
    c = Value(5.0, requires_grad=False)
    x = Value(2.0)
    (x * c).backward()
    assert x.grad == 5.0 and c.grad == 0.0
    with pytest.raises(ag.BackwardError, match="does not require grad"):
        (c * 2).backward()


def test_backward_twice_through_a_freed_graph_is_an_error_naming_retain_graph():
    x = Value(1.0)
    y = x * x
    y.backward()
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        y.backward()


def test_backward_twice_with_retain_graph_accumulates():
    x = Value(3.0)
    y = x * x + x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == 2 * 7.0


def test_grad_with_create_graph_returns_values_for_gradients_of_gradients():
    x = Value(2.0)
    y = x ** 3
    (g,) = ag.grad(y, x, create_graph=True)
    assert isinstance(g, Value) and g.data == pytest.approx(12.0)
    (g2,) = ag.grad(g, x, create_graph=True)
    assert isinstance(g2, Value) and g2.data == pytest.approx(12.0)  # 6x
    (g3,) = ag.grad(g2, x)
    assert g3.data == pytest.approx(6.0)
    assert x.grad == 0.0  # grad() touches no .grad


def test_grad_of_values_without_create_graph_does_not_touch_grad():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    out = c + a
    ga, gb = ag.grad(out, [a, b])
    assert (ga.data, gb.data) == (4.0, 2.0)
    assert a.grad == 0.0 and b.grad == 0.0 and c.grad == 0.0 and out.grad == 0.0


def test_zeroing_grad_between_steps_like_micrograd():
    w = Value(1.0)
    for _ in range(2):
        w.grad = 0.0
        (w * 3).backward()
    assert w.grad == 3.0


def test_comparisons_compare_the_numbers():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= 1.0 and b > a and b >= 2
    assert not (a > b)
    assert sorted([b, a])[0] is a


def test_float_and_repr():
    v = Value(1.5, label="w")
    assert float(v) == 1.5
    assert "w" in repr(v) and "1.5" in repr(v)


def test_exp_of_a_large_value_is_infinite_not_an_error():
    assert Value(1000.0).exp().data == math.inf


def test_log_of_non_positive_value_is_a_clear_error():
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match=rf"log: needs a positive Value, got {bad}"):
            Value(bad).log()


def test_division_by_a_zero_value_is_a_clear_error():
    with pytest.raises(ZeroDivisionError, match=r"pow: 0.0 \*\* -1 divides by zero; a / b computes a \* b\*\*-1"):
        Value(1.0) / Value(0.0)


def test_fractional_power_of_negative_value_is_a_clear_error():
    with pytest.raises(ValueError, match=r"pow: -8.0 \*\* 0.5 is not a real number"):
        Value(-8.0) ** 0.5


def test_value_exponent_with_negative_base_is_a_clear_error():
    with pytest.raises(ValueError, match=r"pow: a Value exponent needs a positive base .* got base -2.0"):
        Value(-2.0) ** Value(2.0)


def test_pow_with_a_non_number_exponent_is_a_type_error():
    with pytest.raises(TypeError, match=r"pow: the exponent must be a number or a Value, got str"):
        Value(2.0) ** "2"


def test_mixing_value_and_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="cannot combine a Value with a Tensor"):
        Value(1.0) + Tensor([1.0])
    with pytest.raises(TypeError, match="cannot combine a Tensor with a Value"):
        Tensor([1.0]) * Value(1.0)
    with pytest.raises(TypeError, match="cannot combine a Value with str"):
        Value(1.0) * "x"


def test_backward_takes_an_upstream_grad_like_tensor_backward():
    x = Value(3.0)
    y = x * x
    y.backward(2.0)  # d(2y)/dx = 4x
    assert x.grad == 12.0 and y.grad == 2.0


def test_power_zero_has_zero_gradient_even_at_zero():
    x = Value(0.0)
    y = x ** 0
    y.backward()
    assert y.data == 1.0 and x.grad == 0.0


def test_third_derivative_of_cube_at_zero():
    x = Value(0.0)
    (g,) = ag.grad(x ** 3, x, create_graph=True)
    (g2,) = ag.grad(g, x, create_graph=True)
    (g3,) = ag.grad(g2, x)  # goes through d/dx x**0, which must not divide by zero
    assert (g.data, g2.data, g3.data) == (0.0, 0.0, 6.0)


def test_fractional_power_slope_at_zero_is_infinite_like_numpy():
    x = Value(0.0)
    (x ** 0.5).backward()
    assert x.grad == math.inf


def test_numpy_scalars_combine_with_values_on_either_side():
    import numpy as np

    v = Value(3.0)
    results = [v * np.float32(2), np.float32(2) * v, np.float64(2) * v, v + np.int64(2), np.float64(5) - v,
               np.float64(6) / v, v ** np.int64(2), v ** np.float32(2.0), np.float64(2) ** v]
    assert all(isinstance(r, Value) and type(r.data) is float for r in results)
    assert [r.data for r in results] == pytest.approx([6, 6, 6, 5, 2, 2, 9, 9, 8])
    w = Value(-2.0)
    assert (w ** np.int64(3)).data == -8.0  # an integer exponent stays an integer: negative bases work
    y = np.float32(0.5) * v * v
    y.backward()
    assert v.grad == pytest.approx(3.0)


def test_setting_grad_to_none_resets_it_to_zero_for_the_next_backward():
    v = Value(3.0)
    (v * v).backward()
    v.grad = None
    assert v.grad == 0.0
    (v * v).backward()
    assert v.grad == 6.0


def test_number_zero_keeps_its_sign_in_value_arithmetic():
    assert math.copysign(1.0, (Value(-1.0) * 0.0).data) == -1.0  # -1 * 0.0 = -0.0
    assert math.copysign(1.0, (Value(-1.0) * -0.0).data) == 1.0  # -1 * -0.0 = +0.0, met after 0.0 was used
    assert math.copysign(1.0, (Value(1.0) * -0.0).data) == -1.0


def test_sigmoid_and_its_slope_keep_relative_precision_in_both_tails():
    for x in [-80.0, -40.0, -37.5, -17.3, -1.0, 0.25, 17.3, 37.5, 40.0, 80.0]:
        with decimal.localcontext() as context:
            context.prec = 50
            e = (-decimal.Decimal(x)).exp()
            value, slope = float(1 / (1 + e)), float(e / (1 + e) ** 2)
        v = Value(x)
        y = v.sigmoid()
        y.backward()
        assert y.data == pytest.approx(value, rel=4e-16, abs=0)
        assert v.grad == pytest.approx(slope, rel=8e-16, abs=0)


def test_log_of_sigmoid_far_in_the_tail_and_its_second_derivative():
    x = Value(-40.0)
    assert x.sigmoid().log().data == pytest.approx(-40.0, rel=1e-15)
    x = Value(30.0)
    (slope,) = ag.grad(x.sigmoid(), x, create_graph=True)
    (curvature,) = ag.grad(slope, x)
    s, t = 1 / (1 + math.exp(-30.0)), math.exp(-30.0) / (1 + math.exp(-30.0))  # sigmoid(30), sigmoid(-30)
    assert curvature.data == pytest.approx(s * t * (t - s), rel=1e-13)


@pytest.mark.parametrize("text", ["2", b"5", "1e400", "nan", bytearray(b"3")])
def test_value_refuses_text_even_when_float_could_read_it(text):
    with pytest.raises(TypeError, match=rf"^Value: expected a number, got {type(text).__name__} .*; convert text "
                                        r"with float\(\) first"):
        Value(text)


def test_value_of_an_integer_too_large_for_a_float_says_so():
    with pytest.raises(ValueError, match=r"^Value: the int is too large for a float \(at most about 1.8e308\)"):
        Value(10 ** 400)
    assert Value(2 ** 70).data == 2.0 ** 70 and Value(True).data == 1.0
