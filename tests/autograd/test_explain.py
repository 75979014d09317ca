"""Tests for autograd.explain: hand-derived chain-rule numbers, the engine's order, and, for every op of the core,
final gradients equal to what backward() puts in .grad."""
from __future__ import annotations

import inspect
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd
from autograd import Function, Tensor, Value, explain
from autograd.ops import scalar as value_module
from autograd.engine import topological_order
from autograd.errors import BackwardError, GraphFreedError
from autograd.tools.mathml import mathml
from autograd.tools.rules import _latex, rule_for, rule_rhs, with_numbers
from autograd.ops import arithmetic, elementwise, linalg, reduce, shape
from autograd.ops.shape import IndexAdd
from lessons import lesson


def test_a_times_b_plus_c_matches_hand_derived_chain_rule():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    out = a * b + c
    steps = explain(out).steps
    # Add first (the newest node), then Mul; within a node its inputs in order
    assert [(s.op, s.input) for s in steps] == [("Add", "mul1"), ("Add", "c"), ("Mul", "a"), ("Mul", "b")]
    assert [(s.upstream, s.local, s.sent) for s in steps] == [(1.0, 1.0, 1.0), (1.0, 1.0, 1.0), (1.0, -3.0, -3.0),
                                                              (1.0, 2.0, 2.0)]
    assert steps[2].numbers == "upstream 1.0 x local -3.0 = -3.0"
    assert steps[2].rule.text == "dz/da = b"
    assert steps[2].rule.formula == "d(a * b)/da = b"


def test_lesson_gradients_match_hand_derivation():
    L, v = lesson()
    ex = explain(L)
    # dL/dd = f = -2, dL/df = d = 4, dL/de = dL/dc = -2, dL/da = -2 * b = 6, dL/db = -2 * a = -4
    expected = dict(a=6.0, b=-4.0, c=-2.0, d=-2.0, e=-2.0, f=4.0)
    assert {k: ex.grad(v[k]) for k in expected} == expected
    assert ex.grad(L) == 1.0
    assert [s.input for s in ex] == ["d", "f", "e", "c", "a", "b"]
    assert ex[4].numbers == "upstream -2.0 x local -3.0 = 6.0"
    assert ex[4].total == "a.grad = 6.0"


def test_steps_follow_the_engine_order_and_each_nodes_inputs_in_order():
    x = Value(0.7, label="x")
    y = Value(-1.3, label="y")
    out = ((x * y).tanh() + x.exp() * y) ** 2
    ex = explain(out)
    expected = []
    for node in topological_order([out.grad_fn]):
        for pos, (inp, needs) in enumerate(zip(node.inputs, node.needs_input_grad)):
            if needs:
                expected.append((node, pos))
    assert [(s.node, s.position) for s in ex] == expected


def test_reused_value_accumulates_over_its_paths():
    x = Value(3.0, label="x")
    out = x * x + x  # d/dx = 2x + 1 = 7
    ex = explain(out)
    x_steps = [s for s in ex if s.input == "x"]
    assert [s.sent for s in x_steps] == [1.0, 3.0, 3.0]
    assert [s.accumulated for s in x_steps] == [1.0, 4.0, 7.0]
    assert [s.first for s in x_steps] == [True, False, False]
    assert x_steps[1].total == "x.grad = 1.0 + 3.0 = 4.0"
    assert ex.grad(x) == 7.0


def test_subtraction_shows_as_add_of_times_minus_one():
    a, b = Value(5.0, label="a"), Value(2.0, label="b")
    ex = explain(a - b)
    assert [(s.op, s.input) for s in ex] == [("Add", "a"), ("Add", "mul1"), ("Mul", "b")]
    assert ex.grad(b) == -1.0
    assert ex[2].numbers == "upstream 1.0 x local -1.0 = -1.0"


@pytest.mark.parametrize("make, x0, local", [
    (lambda x: x ** 3, 2.0, 12.0),                               # d/dx x**3 = 3 x**2
    (lambda x: x.exp(), 0.5, math.exp(0.5)),
    (lambda x: x.log(), 4.0, 0.25),
    (lambda x: x.tanh(), 0.5, 1 - math.tanh(0.5) ** 2),
    (lambda x: x.relu(), -1.5, 0.0),
    (lambda x: x.relu(), 1.5, 1.0),
    (lambda x: x.sigmoid(), 0.3, (1 / (1 + math.exp(-0.3))) * (1 - 1 / (1 + math.exp(-0.3)))),
])
def test_value_op_local_derivative_is_closed_form(make, x0, local):
    x = Value(x0, label="x")
    (step,) = explain(make(x)).steps
    assert step.local == pytest.approx(local, rel=1e-12)
    assert step.sent == pytest.approx(local, rel=1e-12)


def test_rule_text_is_the_first_docstring_line_of_the_op():
    L, _ = lesson()
    x = Tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    ex_t = explain((x.exp().sum(axis=1) ** 2).mean())
    for step in list(explain(L)) + list(ex_t):
        first_line = inspect.getdoc(step.node.fn).splitlines()[0]
        assert step.rule.text.replace(" ", "") in first_line.replace(" ", "")
    # the rule picked for each input, written out: the wrong input's rule or a fallback fails here
    assert [(s.op, s.rule.definition, s.rule.text) for s in explain(L)][:4] == [
        ("Mul", "z = a * b", "dz/da = b"), ("Mul", "z = a * b", "dz/db = a"),
        ("Add", "z = a + b", "dz/da = 1"), ("Add", "z = a + b", "dz/db = 1")]
    assert [(s.op, s.rule.text, s.rule.formula) for s in ex_t] == [
        ("Mean", "dy/dx = 1/n for each of the n averaged elements",
         "d(mean(x, axis))/dx = 1/n for each of the n averaged elements"),
        ("Pow", "dz/da = b * a**(b-1)", "d(a ** b)/da = b * a**(b-1)"),
        ("Sum", "dy/dx = 1 for every summed element", "d(sum(x, axis))/dx = 1 for every summed element"),
        ("Exp", "dy/dx = exp(x) = y", "d(exp(x))/dx = exp(x) = y")]
    y = Value(0.5, label="y")
    (step,) = explain(y.tanh()).steps
    assert (step.rule.text, step.rule.formula) == ("dy/dx = 1 - y**2", "d(tanh(x))/dx = 1 - y**2")


def test_rule_for_maps_inputs_by_forward_argument_name():
    assert rule_for(arithmetic.Div, 0).text == "dz/da = 1/b"
    assert rule_for(arithmetic.Div, 1).text == "dz/db = -a/b**2"
    assert rule_for(elementwise.Where, 2, 1).text.startswith("dz/db = 1 where not cond")
    assert rule_for(shape.Concatenate, 3, 2).text.startswith("dy/dxs[i] = 1")
    # IndexAdd's docstring calls its input g while forward calls it grad: matched by order
    assert rule_for(IndexAdd, 0, 0).text.startswith("dy/dg = 1")


def test_latex_of_docstring_notation():
    assert _latex("b * a**(b-1)", {"a", "b"}) == r"b \cdot  a^{b-1}"
    assert _latex("1 - tanh(x)**2", {"x"}) == r"1 - \tanh(x)^{2}"
    assert _latex("grad @ b.T", {"grad", "b"}) == r"\mathrm{grad} \mathbin{@} b^{\top}"
    assert _latex("1 where a > b", {"a", "b"}) == r"1 \text{ where } a > b"


def _all_core_functions():
    found = []
    for module in (arithmetic, elementwise, reduce, shape, linalg, value_module):
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Function) and obj is not Function and obj.__module__ == module.__name__:
                found.append(obj)
    return found


def test_every_core_op_has_a_latex_rule_with_balanced_braces():
    for fn in _all_core_functions():
        n_args = len(inspect.signature(fn.forward).parameters) - 1
        for position in range(max(n_args, 1)):
            latex = rule_for(fn, position, position).latex
            assert latex.count("{") == latex.count("}"), (fn.__name__, latex)
            assert latex.isascii()


# --- every op of the core: explain's gradients equal backward's ------------------------------------------------
rng = np.random.default_rng(0)


def _t(*shape_, low=-2.0, high=2.0, away=0.0):
    data = rng.uniform(low, high, size=shape_)
    if away:  # off kinks: |x| >= away
        data = np.where(np.abs(data) < away, np.sign(data + 1e-12) * away, data)
    return Tensor(data, requires_grad=True)


def _cases():
    a, b, p = _t(2, 3), _t(3), _t(2, 3, low=0.5, high=2.0)
    k = _t(2, 3, away=0.2)
    m1, m2 = _t(2, 4), _t(4, 3)
    cond = rng.uniform(size=(2, 3)) > 0.5
    return {
        arithmetic.Add: (lambda a, b: a + b, [a, b]),
        arithmetic.Sub: (lambda a, b: a - b, [a, b]),
        arithmetic.Mul: (lambda a, b: a * b, [a, b]),
        arithmetic.Div: (lambda a, p: a / p, [a, p]),
        arithmetic.Neg: (lambda a: -a, [a]),
        arithmetic.Pow: (lambda p, b: p ** b, [p, b]),
        elementwise.Exp: (lambda a: a.exp(), [a]),
        elementwise.Log: (lambda p: p.log(), [p]),
        elementwise.Sqrt: (lambda p: p.sqrt(), [p]),
        elementwise.Sin: (lambda a: a.sin(), [a]),
        elementwise.Cos: (lambda a: a.cos(), [a]),
        elementwise.Tanh: (lambda a: a.tanh(), [a]),
        elementwise.Sigmoid: (lambda a: a.sigmoid(), [a]),
        elementwise.ReLU: (lambda k: k.relu(), [k]),
        elementwise.Abs: (lambda k: k.abs(), [k]),
        elementwise.Clip: (lambda k: k.clip(-0.5, 0.5), [k]),
        elementwise.Maximum: (lambda a, b: autograd.maximum(a, b), [a, b]),
        elementwise.Minimum: (lambda a, b: autograd.minimum(a, b), [a, b]),
        elementwise.Where: (lambda a, b: autograd.where(cond, a, b), [a, b]),
        elementwise.Cast: (lambda a: a.astype(np.float32) * 2, [a]),
        linalg.MatMul: (lambda m1, m2: m1 @ m2, [m1, m2]),
        reduce.Sum: (lambda a: a.sum(axis=1, keepdims=True), [a]),
        reduce.Mean: (lambda a: a.mean(axis=0), [a]),
        reduce.Max: (lambda a: a.max(axis=1), [a]),
        reduce.Min: (lambda a: a.min(), [a]),
        reduce.LogSumExp: (lambda a: a.logsumexp(axis=1), [a]),
        shape.Reshape: (lambda a: a.reshape(3, 2), [a]),
        shape.Transpose: (lambda a: a.T, [a]),
        shape.BroadcastTo: (lambda b: b.broadcast_to((4, 3)), [b]),
        shape.GetItem: (lambda a: a[np.array([0, 1, 1]), np.array([2, 0, 0])], [a]),
        shape.IndexAdd: (lambda b: IndexAdd.apply(b, (np.array([0, 2, 0]),), (4,), np.dtype(np.float64)), [b]),
        shape.Concatenate: (lambda a, b: autograd.concatenate([a, b.reshape(1, 3), a], axis=0), [a, b]),
        shape.Split: (lambda a: sum(part * (i + 1) for i, part in enumerate(a.split([1, 2], axis=1)[:2])), [a]),
        shape.Pad: (lambda a: a.pad(((1, 0), (2, 1))), [a]),
    }


def _value_cases():
    x, y = Value(0.8, label="x"), Value(-1.7, label="y")
    return {
        arithmetic.Add: (lambda x, y: x + y, [x, y]),
        arithmetic.Mul: (lambda x, y: x * y, [x, y]),
        value_module.Pow: (lambda x: x ** 3 + x ** -1, [x]),
        value_module.Exp: (lambda x: x.exp(), [x]),
        value_module.Log: (lambda x: x.log(), [x]),
        value_module.Tanh: (lambda x: x.tanh(), [x]),
        value_module.ReLU: (lambda x, y: x.relu() + y.relu(), [x, y]),
        value_module.Sigmoid: (lambda y: y.sigmoid(), [y]),
    }


def test_the_tables_cover_every_op_of_the_core():
    covered = set(_cases()) | set(_value_cases())
    assert len(_all_core_functions()) >= 40
    missing = [fn.__name__ for fn in _all_core_functions() if fn not in covered]
    assert not missing, f"add these ops to the tables in this file: {missing}"


@pytest.mark.parametrize("fn", list(_cases()), ids=lambda f: f.__name__)
def test_tensor_op_explained_gradients_equal_backward(fn):
    make, inputs = _cases()[fn]
    out = make(*inputs)
    weights = np.random.default_rng(1).normal(size=out.shape)
    root = (out * weights).sum()
    ex = explain(root)
    assert any(s.node.fn is fn for s in ex), f"{fn.__name__} is not in the graph"
    root.backward()
    for x in inputs:
        np.testing.assert_allclose(ex.grad(x), x.grad.data, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("fn", list(_value_cases()), ids=lambda f: f"Value.{f.__name__}")
def test_value_op_explained_gradients_equal_backward(fn):
    make, inputs = _value_cases()[fn]
    root = make(*inputs) * 1.5
    ex = explain(root)
    assert any(s.node.fn is fn for s in ex)
    root.backward()
    for x in inputs:
        assert ex.grad(x) == pytest.approx(x.grad, rel=1e-12)


def test_explain_does_not_change_any_grad():
    x = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)
    h = x.tanh()
    h.retain_grad()
    explain((h * x).sum())
    assert x.grad is None and h.grad is None
    L, v = lesson()
    explain(L)
    assert all(val.grad == 0.0 for val in v.values()) and L.grad == 0.0


def test_explain_after_backward_says_to_call_it_first():
    L, _ = lesson()
    L.backward()
    with pytest.raises(GraphFreedError, match=r"explain\(\) before backward\(\).*retain_graph=True"):
        explain(L)


def test_explain_after_backward_with_retain_graph_agrees_with_grad():
    L, v = lesson()
    L.backward(retain_graph=True)
    ex = explain(L)
    assert all(ex.grad(val) == val.grad for val in v.values())


def test_tensor_steps_show_shapes_and_norms():
    W = Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), requires_grad=True)
    W.name = "W"
    x = Tensor(np.array([[2.0, -1.0], [0.5, 1.0], [1.0, 2.0]]))
    out = (W * x).sum()
    ex = explain(out)
    (mul_step,) = [s for s in ex if s.input == "W"]
    # d/dW sum(W * x) = x, whose norm is sqrt(4 + 1 + 0.25 + 1 + 1 + 4)
    assert mul_step.local is None
    assert mul_step.numbers == "upstream (3, 2) |g|=2.449 -> sent (3, 2) |g|=3.354"
    np.testing.assert_array_equal(ex.grad(W), x.data)


def test_broadcast_input_gets_gradient_summed_back_to_its_shape():
    a = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    ex = explain((a * b).sum())
    np.testing.assert_array_equal(ex.grad(b), [4.0, 4.0, 4.0])  # each b[j] meets 4 rows of ones
    assert ex.grad(b).shape == (3,)


def test_scalar_tensor_steps_show_exact_numbers():
    x = Tensor(np.array(3.0), requires_grad=True)
    ex = explain(x * x)
    assert [s.numbers for s in ex] == ["upstream 1.0 x local 3.0 = 3.0"] * 2
    assert ex.grad(x) == 6.0


def test_non_scalar_root_needs_grad_argument():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(BackwardError, match="1-element output"):
        explain(x * 2)
    ex = explain(x * 2, grad=np.array([1.0, -1.0]))
    np.testing.assert_array_equal(ex.grad(x), [2.0, -2.0])


def test_explain_rejects_what_has_no_backward():
    with pytest.raises(BackwardError, match="does not require grad"):
        explain(Tensor(np.ones(2)).sum())
    with pytest.raises(TypeError, match="expected a Value or Tensor"):
        explain(3.0)


def test_table_prints_one_row_per_step():
    L, _ = lesson()
    text = str(explain(L))
    lines = text.splitlines()
    assert lines[0] == "backward pass of L: seed gradient 1.0, 6 step(s)"
    assert lines[1].split() == ["#", "op", "gradient", "flows", "local", "rule", "upstream", "x", "local", "=",
                                "sent", "accumulated"]
    assert len(lines) == 3 + 6
    assert lines[3].split()[:5] == ["1", "Mul", "L", "->", "d"]
    assert "d(a * b)/da = b" in lines[3] and "d(a * b)/db = a" in lines[4]   # the rule as a formula (L = d * f)
    assert "d(a + b)/da = 1" in lines[5]
    assert repr(explain(L)) == text


def test_html_table_has_a_row_per_step_and_mathml_formulas():
    L, _ = lesson()
    page = explain(L)._repr_html_()
    assert page.count("<tr>") == 1 + 6
    assert page.count("<math ") == 6 and "\\(" not in page  # MathML, which browsers typeset offline; no raw LaTeX
    assert ("<mfrac><mrow><mi>\u2202</mi><mspace width=\"0.17em\"/><mo>(</mo><mi>a</mi><mo>\u22c5</mo><mi>b</mi>"
            "<mo>)</mo></mrow><mrow><mi>\u2202</mi><mi>a</mi></mrow></mfrac><mo>=</mo><mi>b</mi>") in page
    assert "L &rarr; d" in page


def test_every_core_op_rule_is_well_formed_mathml_with_its_latex_annotation():
    for fn in _all_core_functions():
        n_args = len(inspect.signature(fn.forward).parameters) - 1
        for position in range(max(n_args, 1)):
            rule = rule_for(fn, position, position)
            root = ET.fromstring(rule.mathml)
            assert root.tag == "{http://www.w3.org/1998/Math/MathML}math"
            shown = "".join(e.text or "" for e in root.iter() if not e.tag.endswith("annotation"))
            assert "\\" not in shown and "{" not in shown, (fn.__name__, shown)  # every command understood
            assert root.find(".//{http://www.w3.org/1998/Math/MathML}annotation").text == rule.latex


def test_mathml_of_powers_fractions_words_and_escapes():
    assert mathml(r"1 - y^{2}").count("<msup><mi>y</mi><mrow><mn>2</mn></mrow></msup>") == 1
    assert "<mo>\u2212</mo>" in mathml("1 - y")  # a real minus sign
    assert "<mtext>\u00a0where\u00a0</mtext>" in mathml(r"1 \text{ where } a > b")
    assert "<mo>&gt;</mo>" in mathml("a > b")
    assert "<mi>pad_width</mi>" in mathml(r"\mathrm{pad\_width}")
    assert "<msup><mi>b</mi><mrow><mi>\u22a4</mi></mrow></msup>" in mathml(r"b^{\top}")


def test_rules_take_the_numbers_of_one_use():
    tanh = rule_for(value_module.Tanh, 0)
    assert rule_rhs(tanh) == "1 - y**2"
    assert with_numbers(value_module.Tanh, rule_rhs(tanh), {"y": 0.70710678}) == ("1 - 0.7071**2", "1 - 0.7071^{2}")
    assert rule_rhs(rule_for(elementwise.Tanh, 0)) == "1 - tanh(x)**2"  # the first form of the right-hand side
    assert with_numbers(arithmetic.Mul, "b", {"b": -3.0})[0] == "(-3.0)"  # negative numbers in parentheses
    assert with_numbers(value_module.Pow, "n * x**(n-1)", {"n": 3, "x": 2.0})[0] == "3 * 2.0**(3-1)"
    assert with_numbers(elementwise.Abs, "sign(x)  (0 at x = 0)", {"x": 2e-7})[0] == "sign((2 * 10**(-7)))"
