"""The custom-op API: Function.forward/backward, ctx.save_for_backward/saved_tensors, needs_input_grad, multi-output
Functions with unused outputs, custom ops on Values, the mistakes a custom op can make, and the derivative docstring
every built-in op carries."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest

import autograd as ag
import autograd.inplace
import autograd.ops
import autograd.value
from autograd import BackwardError, Function, Tensor, Value
from autograd.function import mark_modified


class Cube(Function):
    """y = x**3;  dy/dx = 3 x**2"""

    seen: list = []

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        Cube.seen.append(type(grad))
        return grad * 3 * x * x


class ScaledMul(Function):
    """z = k a b  (k a number);  dz/da = k b,  dz/db = k a"""

    needs: list = []

    @staticmethod
    def forward(ctx, a, k, b):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return k * a.data * b.data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ScaledMul.needs.append(ctx.needs_input_grad)
        da, _, db = ctx.needs_input_grad
        return (grad * ctx.k * b if da else None), None, (grad * ctx.k * a if db else None)


class SumAndDifference(Function):
    """(s, d) = (a + b, a - b);  ds/da = 1, ds/db = 1, dd/da = 1, dd/db = -1"""

    @staticmethod
    def forward(ctx, a, b):
        return a.data + b.data, a.data - b.data

    @staticmethod
    def backward(ctx, grad_s, grad_d):
        return grad_s + grad_d, grad_s - grad_d


class TanhFromOutput(Function):
    """y = tanh(x);  dy/dx = 1 - y**2  (saves its output)"""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x.data)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


def test_custom_function_forward_backward_and_plain_arrays_in_backward():
    Cube.seen = []
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = Cube.apply(x)
    assert isinstance(y, Tensor) and y.grad_fn.name == "Cube" and repr(y.grad_fn) == "<CubeBackward>"
    np.testing.assert_array_equal(y.data, [1.0, 8.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 12.0])
    assert Cube.seen == [np.ndarray]  # an ordinary backward runs on numpy arrays


def test_custom_function_under_create_graph_gets_tensors_and_is_differentiable_again():
    Cube.seen = []
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = ag.grad(Cube.apply(x).sum(), x, create_graph=True)
    assert Cube.seen == [Tensor]
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_array_equal(h.data, [6.0, 12.0])


def test_custom_function_gradchecks():
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    assert ag.gradcheck(Cube.apply, [x])
    assert ag.gradgradcheck(Cube.apply, [x])
    assert ag.gradcheck(TanhFromOutput.apply, [x])
    assert ag.gradgradcheck(TanhFromOutput.apply, [x])


def test_needs_input_grad_and_non_tensor_arguments():
    ScaledMul.needs = []
    a = Tensor(np.array([2.0]), requires_grad=True)
    b = Tensor(np.array([5.0]))
    out = ScaledMul.apply(a, 3.0, b)
    assert out.item() == 30.0
    out.backward()
    assert ScaledMul.needs == [(True, False, False)]
    assert a.grad.item() == 15.0 and b.grad is None


def test_apply_without_grad_records_nothing():
    a = Tensor(np.array([2.0]))
    out = ScaledMul.apply(a, 3.0, a)
    assert not out.requires_grad and out.grad_fn is None
    x = Tensor(np.array([2.0]), requires_grad=True)
    with ag.no_grad():
        out = Cube.apply(x)
    assert not out.requires_grad and out.grad_fn is None


def test_multi_output_function_with_an_unused_output():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    s, d = SumAndDifference.apply(a, b)
    assert s.grad_fn is d.grad_fn
    np.testing.assert_array_equal(d.data, [-2.0, -2.0])
    (d * 2).sum().backward()  # s is never used: its gradient counts as zero
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(b.grad.data, [-2.0, -2.0])


def test_multi_output_function_with_both_outputs_used():
    a = Tensor(np.array([1.0]), requires_grad=True)
    b = Tensor(np.array([3.0]), requires_grad=True)
    s, d = SumAndDifference.apply(a, b)
    (s * s + d * 10).sum().backward()  # 2s + 10 to a; 2s - 10 to b, with s = 4
    assert a.grad.item() == 18.0 and b.grad.item() == -2.0
    assert ag.gradcheck(lambda x, y: SumAndDifference.apply(x, y), [a, b])


def test_custom_function_on_values():
    class Square(Function):
        """y = x**2;  dy/dx = 2 x"""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data * x.data

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

    v = Value(3.0)
    out = Square.apply(v) + 1
    assert isinstance(out, Value) and out.data == 10.0
    out.backward()
    assert v.grad == 6.0
    w = Value(3.0)
    (g,) = ag.grad(Square.apply(w), w, create_graph=True)
    (h,) = ag.grad(g, w)
    assert h.data == 2.0



def test_multi_output_custom_function_on_values():
    a, b = Value(3.0), Value(2.0)
    s, d = SumAndDifference.apply(a, b)
    assert (s.data, d.data) == (5.0, 1.0)
    (s * s + d * 10).backward()  # dL/ds = 2s = 10, dL/dd = 10: a gets 10 + 10, b gets 10 - 10
    assert a.grad == 20.0 and b.grad == 0.0
    assert s.grad == 10.0 and d.grad == 10.0  # each output's own gradient, not the Node's list
    a, b = Value(3.0), Value(2.0)
    s, d = SumAndDifference.apply(a, b)
    (d * 5).backward()  # only the second output is used
    assert (a.grad, b.grad) == (5.0, -5.0)
    assert s.grad == 0.0 and d.grad == 5.0


# --- mistakes a custom op can make -------------------------------------------------------------------------------


def test_backward_returning_the_wrong_number_of_gradients():
    class Forgets(Function):
        """y = k x;  dy/dx = k"""

        @staticmethod
        def forward(ctx, x, k):
            return x.data * k

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(BackwardError, match=r"Forgets.backward returned 1 gradient\(s\) but forward took 2 input\(s\); "
                                            r"return one per forward input, None for those that need none"):
        Forgets.apply(x, 2.0).sum().backward()


def test_backward_returning_a_gradient_of_the_wrong_shape():
    class BadShape(Function):
        """y = x;  dy/dx = 1"""

        @staticmethod
        def forward(ctx, x):
            return x.data.copy()

        @staticmethod
        def backward(ctx, grad):
            return np.ones(5)

    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(BackwardError, match=r"BadShape.backward returned a gradient of shape \(5,\) for an input of "
                                            r"shape \(2, 3\)"):
        BadShape.apply(x).sum().backward()


def test_apply_needs_a_tensor_or_value():
    with pytest.raises(TypeError, match=r"Cube.apply: expected at least one Tensor or Value argument, got ndarray"):
        Cube.apply(np.ones(2))


def test_apply_refuses_to_mix_tensors_and_values():
    with pytest.raises(TypeError, match="SumAndDifference: cannot mix Tensor and Value in one operation"):
        SumAndDifference.apply(Tensor([1.0]), Value(1.0))


def test_function_without_forward_or_backward_says_what_is_missing():
    class Empty(Function):
        """y = x;  dy/dx = 1"""

    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"needs a forward\(ctx, \*inputs\)"):
        Empty.apply(x)

    class ForwardOnly(Function):
        """y = x;  dy/dx = 1"""

        @staticmethod
        def forward(ctx, x):
            return x.data.copy()

    with pytest.raises(NotImplementedError, match=r"needs a backward\(ctx, \*grads\)"):
        ForwardOnly.apply(x).sum().backward()


def test_saved_tensor_modified_in_place_is_detected():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    h.data[...] = 0.0
    mark_modified(h)
    with pytest.raises(BackwardError, match=r"Mul: a Tensor of shape \(2,\), saved for backward, was modified by an "
                                            r"in-place operation"):
        y.backward()


def test_saved_output_modified_in_place_is_detected():
    x = Tensor(np.array([0.5]), requires_grad=True)
    y = TanhFromOutput.apply(x)
    y.data += 1.0
    mark_modified(y)
    with pytest.raises(BackwardError, match=r"TanhFromOutput: its output, saved for backward, was modified"):
        y.sum().backward()


# --- every built-in op states its derivative in the first line of its docstring -------------------------------------


def builtin_functions() -> list[type]:
    modules = [importlib.import_module(f"autograd.ops.{m.name}") for m in pkgutil.iter_modules(autograd.ops.__path__)]
    modules += [autograd.value, autograd.inplace]
    found = []
    for module in modules:
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Function) and obj is not Function and obj.__module__ == module.__name__:
                found.append(obj)
    return found


def test_the_builtin_function_list_covers_every_module():
    names = {f"{f.__module__}.{f.__name__}" for f in builtin_functions()}
    for expected in ("autograd.ops.arithmetic.Mul", "autograd.ops.reduce.Sum", "autograd.ops.shape.GetItem",
                     "autograd.ops.linalg.MatMul", "autograd.ops.scalar.Tanh", "autograd.inplace.SetItem"):
        assert expected in names
    assert len(names) >= 35


@pytest.mark.parametrize("fn", builtin_functions(), ids=lambda f: f"{f.__module__.split('.')[-1]}.{f.__name__}")
def test_builtin_function_docstring_states_its_derivative(fn):
    first_line = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
    assert "d" in first_line
    assert re.search(r"\bd\S*/d\S+\s*=", first_line), f"{fn.__name__}: {first_line!r} states no derivative"
