"""Forward mode: every op's jvp rule against central differences in float64 and against the reverse-mode Jacobian (the
engine's backward, one pass per output element), driven by the op table; the rules again on graph values (jvp of jvp,
grad of jvp); and the mechanism: levels that nest, values freed as a pass goes, what is refused and why."""
from __future__ import annotations

import gc
import importlib
import inspect
import math
import pkgutil
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
import autograd.ops
from autograd import Function, Tensor, Value
from autograd.errors import ForwardModeError
from autograd.forward import ForwardLevel
from autograd.func import jvp
from autograd.grad_mode import _state
from autograd.ops.shape import IndexAdd
from jvp_checks import EPS, check_jvp
from op_table import BINARY, REDUCTIONS, STRUCTURAL, UNARY, MIN_COUNT, axis_and_keepdims, draw_inputs, leaf, \
    reduced_count, small_shapes, values

def broadcastable_pair(data):
    return data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)).input_shapes


# --- every op of the table: jvp == central differences == reverse-mode Jacobian @ tangent -----------------------------
@pytest.mark.parametrize("op", UNARY, ids=repr)
@settings(max_examples=15)
@given(data=st.data())
def test_unary_jvp_matches_central_differences_and_reverse_mode(op, data):
    (x,) = draw_inputs(data, op, (data.draw(small_shapes()),))
    check_jvp(op.fn, [x], [data.draw(values(x.shape))])


@pytest.mark.parametrize("op", BINARY, ids=repr)
@settings(max_examples=15)
@given(data=st.data())
def test_binary_jvp_with_broadcasting_matches_central_differences_and_reverse_mode(op, data):
    arrays = draw_inputs(data, op, broadcastable_pair(data))
    check_jvp(op.fn, arrays, [data.draw(values(a.shape)) for a in arrays])


@pytest.mark.parametrize("op", BINARY, ids=repr)
def test_binary_jvp_with_one_constant_operand(op):
    """A tangent of None for one input (a constant) leaves only the other term."""
    a, b = (domain(np.linspace(-1.7, 1.9, 6).reshape(2, 3)) for domain in op.domains)
    v = np.linspace(0.5, -1.0, 6).reshape(2, 3)
    for fn, arrays in ((lambda x: op.fn(x, Tensor(b)), [a]), (lambda y: op.fn(Tensor(a), y), [b])):
        check_jvp(fn, arrays, [v])


@pytest.mark.parametrize("op", REDUCTIONS, ids=repr)
@settings(max_examples=15)
@given(data=st.data())
def test_reduction_jvp_matches_central_differences_and_reverse_mode(op, data):
    shape = data.draw(small_shapes(min_dims=1))
    axis, keepdims = axis_and_keepdims(data, len(shape))
    if reduced_count(shape, axis) < MIN_COUNT.get(op.name, 1):
        return
    (x,) = draw_inputs(data, op, (shape,))
    check_jvp(lambda t: op.fn(t, axis, keepdims), [x], [data.draw(values(shape))])


@pytest.mark.parametrize("name, fn, shapes", STRUCTURAL, ids=[c[0] for c in STRUCTURAL])
def test_structural_jvp_matches_central_differences_and_reverse_mode(name, fn, shapes):
    rng = np.random.default_rng(7)
    check_jvp(fn, [rng.standard_normal(s) for s in shapes], [rng.standard_normal(s) for s in shapes])


# --- the ops the table does not reach: one case each -------------------------------------------------------------
def test_cast_jvp_is_the_tangent_cast():
    x, v = np.array([0.5, -1.25]), np.array([1.0, 3.0])
    out, t = jvp(lambda x: x.astype(np.float32), (Tensor(x),), (v,))
    assert t.dtype == np.float32 and np.array_equal(t.data, v.astype(np.float32))


def test_index_add_jvp_scatters_the_tangent_adding_repeats():
    index = np.array([0, 2, 0])
    check_jvp(lambda g: IndexAdd.apply(g, index, (4, 2), np.dtype(np.float64)), [np.ones((3, 2))],
              [np.arange(6.0).reshape(3, 2)])


@pytest.mark.parametrize("index", [1, (slice(None), 0), np.array([0, 2])], ids=["row", "column", "rows"])
def test_setitem_jvp_takes_the_written_tangent_at_index_and_x_elsewhere(index):
    def fn(x, value):
        y = x * 1.0  # a result, so the assignment is recorded on its own Node
        y[index] = value
        return y
    x = np.arange(6.0).reshape(3, 2)
    value_shape = np.empty((3, 2))[index].shape[-1:]  # broadcast to the indexed shape
    rng = np.random.default_rng(3)
    arrays = [x, rng.standard_normal(value_shape)]
    tangents = [rng.standard_normal(a.shape) for a in arrays]
    out, t = jvp(fn, tuple(leaf(a) for a in arrays), tuple(tangents))
    expected = tangents[0].copy()
    expected[index] = tangents[1]
    np.testing.assert_array_equal(t.data, expected)


VALUE_CASES = [
    ("pow", lambda v: v ** 3, 1.5, 3 * 1.5 ** 2),
    ("pow_zero_exponent", lambda v: v ** 0, 0.0, 0.0),
    ("exp", lambda v: v.exp(), 0.4, math.exp(0.4)),
    ("log", lambda v: v.log(), 2.0, 0.5),
    ("tanh", lambda v: v.tanh(), 0.7, 1 - math.tanh(0.7) ** 2),
    ("relu", lambda v: v.relu(), -0.3, 0.0),
    ("relu_positive", lambda v: v.relu(), 0.3, 1.0),
    ("sigmoid", lambda v: v.sigmoid(), 0.0, 0.25),
    ("sigmoid_far_left", lambda v: v.sigmoid(), -40.0, math.exp(-40.0) / (1 + math.exp(-40.0)) ** 2),
    ("add_mul_div", lambda v: (v + 2) * v / (v - 5), 1.0, (2 * 1.0 + 2) / (1.0 - 5) - 3 / (1.0 - 5) ** 2),
]


@pytest.mark.parametrize("name, f, x, derivative", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_jvp_against_hand_derivatives(name, f, x, derivative):
    out, t = jvp(f, (Value(x),), (1.0,))
    assert isinstance(t, Value)
    assert t.data == pytest.approx(derivative, rel=1e-12, abs=1e-300)
    assert out.data == pytest.approx(f(Value(x)).data)


@pytest.mark.parametrize("op", [op for op in UNARY + BINARY if op.value_fn is not None], ids=repr)
def test_value_jvp_agrees_with_tensor_jvp(op):
    xs = [float(domain(np.array(0.8 - 0.55 * i))) for i, domain in enumerate(op.domains)]
    tangents = [1.0 - 0.75 * i for i in range(len(xs))]
    _, tv = jvp(op.value_fn, tuple(Value(x) for x in xs), tuple(tangents))
    _, tt = jvp(op.fn, tuple(Tensor(np.array(x)) for x in xs), tuple(np.array(t) for t in tangents))
    assert tv.data == pytest.approx(float(tt.data), rel=1e-12)


# --- the same rules on graph values: jvp of jvp, grad of jvp ------------------------------------------------------
@pytest.mark.parametrize("op", [op for op in UNARY if op.twice], ids=repr)
def test_unary_jvp_of_jvp_matches_central_differences_of_the_jvp(op):
    """The inner jvp runs recorded (an outer level watches it): its tangent's own tangent is the second derivative."""
    (x,) = [domain(np.linspace(-1.6, 1.7, 5)) for domain in op.domains]
    v, w = np.linspace(1.0, -0.5, 5), np.linspace(-0.3, 0.9, 5)

    def inner(x):
        return jvp(op.fn, (x,), (v,))[1]
    _, second = jvp(inner, (Tensor(x),), (w,))
    numeric = (inner(Tensor(x + EPS * w)).data - inner(Tensor(x - EPS * w)).data) / (2 * EPS)
    np.testing.assert_allclose(second.data, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("op", [op for op in BINARY if op.twice], ids=repr)
def test_binary_grad_of_jvp_matches_central_differences(op):
    """a requires grad, so the jvp runs recorded and backward goes through the tangent: d/da sum(u * J(a, b) (v, w))."""
    a, b = (domain(np.linspace(-1.7, 1.9, 6).reshape(2, 3)) for domain in op.domains)
    v, w = np.linspace(0.5, -1.0, 6).reshape(2, 3), np.linspace(-0.4, 0.8, 6).reshape(2, 3)
    u = np.linspace(1.0, 2.0, 6).reshape(2, 3)

    def directional(a_):
        return (jvp(op.fn, (a_, Tensor(b)), (v, w))[1] * u).sum()
    x = leaf(a)
    out = directional(x)
    g = ag.grad(out, x)[0].data if out.requires_grad else np.zeros(a.shape)
    numeric = np.zeros(a.size)
    for i in range(a.size):
        e = np.zeros(a.size)
        e[i] = EPS
        e = e.reshape(a.shape)
        numeric[i] = (directional(Tensor(a + e)).item() - directional(Tensor(a - e)).item()) / (2 * EPS)
    np.testing.assert_allclose(g.reshape(-1), numeric, rtol=1e-5, atol=1e-7)
    assert out.requires_grad == (op.name in ("mul", "div", "pow"))  # the others are piecewise linear in a


# --- every built-in Function has a jvp rule, stated in its docstring ------------------------------------------------
def builtin_functions():
    modules = [importlib.import_module(f"autograd.ops.{m.name}") for m in pkgutil.iter_modules(autograd.ops.__path__)]
    modules += [autograd.value, autograd.inplace]
    return [obj for module in modules for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, Function) and obj is not Function and obj.__module__ == module.__name__]


@pytest.mark.parametrize("fn", builtin_functions(), ids=lambda f: f"{f.__module__.split('.')[-1]}.{f.__name__}")
def test_builtin_function_has_a_jvp_rule_stating_its_formula(fn):
    assert callable(fn.jvp), f"{fn.__name__} has no jvp"
    first_line = (fn.jvp.__doc__ or "").strip().splitlines()[0]
    assert first_line.startswith("d") and "=" in first_line, f"{fn.__name__}.jvp: {first_line!r} states no rule"


# --- the mechanism -------------------------------------------------------------------------------------------------
class Cube(Function):
    """y = x**3;  dy/dx = 3 x**2"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


def test_an_op_without_jvp_is_named_in_the_error():
    with pytest.raises(ForwardModeError, match=r"^jvp: Cube has no jvp rule; define jvp\(ctx, \*tangents\) next to "
                                               r"its backward to use it in forward mode$"):
        jvp(lambda x: Cube.apply(x), (Tensor(np.array([1.0])),), (np.array([1.0]),))


def test_an_op_without_jvp_is_fine_where_no_tangent_reaches_it():
    w = Tensor(np.array([2.0]))
    out, t = jvp(lambda x: x * Cube.apply(w), (Tensor(np.array([1.5])),), (np.array([1.0]),))
    assert t.data.tolist() == [8.0]


def test_a_custom_jvp_is_used():
    class Square(Function):
        """y = x**2;  dy/dx = 2 x"""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data ** 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

        @staticmethod
        def jvp(ctx, dx):
            """dy = 2 x dx"""
            (x,) = ctx.saved_tensors
            return 2 * x * dx
    _, t = jvp(lambda x: Square.apply(x).sin(), (Tensor(np.array([0.5])),), (np.array([2.0]),))
    assert t.data[0] == pytest.approx(np.cos(0.25) * 2 * 0.5 * 2.0)


def test_perturbation_confusion_is_avoided():
    """d/dx [x * d/dy (x*y)] = d/dx [x * x] = 2x; mixing the two perturbations would give x + 2x... or 1 + x."""
    def f(x):
        y = 1.0 if isinstance(x, Value) else np.array(1.0)
        return x * jvp(lambda y: x * y, (y,), (1.0,))[1]
    for x in (1.5, -0.25, 3.0):
        value, derivative = jvp(f, (x,), (1.0,))
        assert value == pytest.approx(x * x) and derivative == pytest.approx(2 * x)
        _, t = jvp(f, (Tensor(np.array(x)),), (np.array(1.0),))
        assert t.item() == pytest.approx(2 * x)


def test_tangents_flow_under_no_grad():
    with ag.no_grad():
        _, t = jvp(lambda x: x.exp(), (Tensor(np.array([0.0, 1.0])),), (np.array([1.0, 1.0]),))
    np.testing.assert_allclose(t.data, [1.0, math.e])


def test_no_observer_and_no_tangent_left_behind():
    x = Tensor(np.array([1.0, 2.0]))
    out, t = jvp(lambda x: (x * x).sum(), (x,), (np.ones(2),))
    assert _state.observers == ()
    assert not x._tangents and not (out._node or out)._tangents


def test_forward_mode_frees_intermediates_as_it_goes():
    """Without requires_grad no graph is kept: an intermediate and its tangent go as soon as the next op is done."""
    x = Tensor(np.ones(3))
    refs = []

    def f(x):
        for _ in range(5):
            x = x.sin()
            refs.append(weakref.ref(x))
        return x
    jvp(f, (x,), (np.ones(3),))
    gc.disable()
    try:
        assert sum(r() is not None for r in refs[:-1]) == 0
    finally:
        gc.enable()


def test_multi_output_op_tangents_by_output():
    x = np.arange(8.0).reshape(2, 4)
    _, (t1, t2) = jvp(lambda x: tuple(x.split([1], axis=1)), (Tensor(x),), (np.ones((2, 4)) * [1, 2, 3, 4],))
    assert t1.data.tolist() == [[1.0], [1.0]] and t2.data.tolist() == [[2.0, 3.0, 4.0]] * 2


def test_in_place_change_of_a_value_with_a_tangent_is_refused():
    def f(x):
        y = x * 2
        y += 1
        return y
    with pytest.raises(ForwardModeError, match=r"\+=: an in-place change of a Tensor that carries a forward-mode "
                                               r"tangent \(jvp\) would leave its tangent stale"):
        jvp(f, (Tensor(np.array([1.0])),), (np.array([1.0]),))


def test_in_place_change_recorded_on_a_result_keeps_its_tangent():
    def f(x):
        y = x * 2
        y *= x
        return y
    _, t = jvp(f, (leaf(np.array([1.5])),), (np.array([1.0]),))
    assert t.data.tolist() == [6.0]  # d(2 x**2) = 4x


def test_levels_nest_and_keep_their_own_tangents():
    x = Tensor(np.array(2.0))
    with ForwardLevel(name="outer") as outer:
        outer.seed(x, (np.array(1.0),))
        with ForwardLevel(name="inner") as inner:
            y = x * x
            assert inner.tangents(y) is None
            assert outer.tangents(y)[0] == 4.0
    assert _state.observers == ()


def test_a_rule_returning_the_wrong_shape_is_named():
    class Wrong(Function):
        """y = x;  dy/dx = 1"""

        @staticmethod
        def forward(ctx, x):
            return x.data.copy()

        @staticmethod
        def backward(ctx, grad):
            return grad

        @staticmethod
        def jvp(ctx, dx):
            """dy = dx"""
            return np.ones(5)
    with pytest.raises(ForwardModeError, match=r"Wrong.jvp returned a tangent of shape \(5,\) for an output of shape "
                                               r"\(2,\)"):
        jvp(lambda x: Wrong.apply(x), (Tensor(np.ones(2)),), (np.ones(2),))


def test_the_benchmark_floor_computes_the_same_tangent_as_jvp():
    """WJ1 compares jvp with the chains and their tangents written by hand in numpy: the hand-written tangents must be
    the derivative jvp computes (and both the central-difference derivative), or the floor would mean nothing."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import workloads_forward as wf
    finally:
        sys.path.pop(0)
    x, v = np.linspace(-1, 1, 7), np.cos(np.arange(7.0))
    for chain, by_hand in ((wf.w4_chain, wf.w4_chain_by_hand), (wf.activation_chain, wf.activation_chain_by_hand)):
        out, tangent = ag.func.jvp(chain, (Tensor(x),), (v,))
        value, hand_tangent = by_hand(x, v)
        assert np.allclose(value, out.data, rtol=1e-12, atol=0) and np.array_equal(by_hand(x)[0], value)
        assert np.allclose(hand_tangent, tangent.data, rtol=1e-12, atol=1e-300)
        h = 1e-6  # the chains shrink tangents to about 1e-6: rounding leaves central differences 4 to 5 digits
        central = (by_hand(x + h * v)[0] - by_hand(x - h * v)[0]) / (2 * h)
        assert np.allclose(hand_tangent, central, rtol=1e-4, atol=1e-11)
