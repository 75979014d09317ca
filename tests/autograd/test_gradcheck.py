"""gradcheck and gradgradcheck: they pass correct gradients, and for a wrong one they name the input, the worst element
and the op whose backward disagrees, even deep inside a larger expression."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import Function, GradcheckError, Tensor

RNG = np.random.default_rng(5)


def leaf(shape) -> Tensor:
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


class BadSquare(Function):
    """y = x**2;  dy/dx = 2 x  (its backward wrongly uses 3 x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x


class WrongAtTwo(Function):
    """y = x**2;  dy/dx = 2 x  (its backward is off by one at index 2 only)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.mask = (np.arange(x.data.size) == 2).astype(float).reshape(x.data.shape)
        return x.data ** 2

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (2 * x + ctx.mask)


class WrongForB(Function):
    """z = a * b;  dz/da = b,  dz/db = a  (its backward wrongly returns -a for b)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.data * b.data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, -grad * a


class DetachedSecond(Function):
    """y = x**3;  dy/dx = 3 x**2  (its backward reads raw data, so it is not differentiable again)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        raw = x.data if isinstance(x, Tensor) else x
        return grad * 3 * raw ** 2


def test_gradcheck_passes_a_correct_expression():
    x, w = leaf((2, 3)), leaf((3, 2))
    assert ag.gradcheck(lambda a, b: (a @ b).tanh().sum(axis=0), [x, w]) is True


def test_gradcheck_passes_a_function_with_several_outputs_and_plain_arguments():
    x = leaf((3,))
    assert ag.gradcheck(lambda a, k: (a * k, a.exp()), [x, 2.5])


def test_gradcheck_leaves_the_inputs_unchanged():
    x = leaf((2, 2))
    before = x.data.copy()
    ag.gradcheck(lambda a: (a ** 2).sum(), [x])
    np.testing.assert_array_equal(x.data, before)


def test_gradcheck_names_the_worst_element():
    x = Tensor(np.array([0.5, -1.0, 1.5, 2.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"gradcheck: gradient of output 0 \(element \(2,\)\) with respect to "
                                             r"input 0 at index \(2,\): analytic 4 vs numerical 3"):
        ag.gradcheck(WrongAtTwo.apply, [x])


def test_gradcheck_names_the_input():
    a, b = leaf((2,)), leaf((2,))
    with pytest.raises(GradcheckError, match=r"with respect to input 1 at index"):
        ag.gradcheck(WrongForB.apply, [a, b])


def test_gradcheck_finds_the_faulty_op_inside_a_larger_expression():
    x, w = leaf((2, 3)), leaf((3, 2))

    def model(a, b):
        h = (a @ b).tanh()
        return (BadSquare.apply(h) * 2).exp().sum(axis=0) + (a ** 2).sum()

    with pytest.raises(GradcheckError) as info:
        ag.gradcheck(model, [x, w])
    message = str(info.value)
    assert message.startswith("gradcheck: gradient of output 0")
    assert "Checked op by op, the backward of BadSquare disagrees" in message
    for innocent in ("MatMul", "Tanh", "Exp", "Sum"):
        assert f"backward of {innocent}" not in message


def test_gradcheck_can_return_false_instead_of_raising():
    x = leaf((3,))
    assert ag.gradcheck(BadSquare.apply, [x], raise_exception=False) is False


def test_gradcheck_tolerances_are_used():
    class SlightlyOff(Function):
        """y = x;  dy/dx = 1  (its backward returns 1.0005)"""

        @staticmethod
        def forward(ctx, x):
            return x.data.copy()

        @staticmethod
        def backward(ctx, grad):
            return grad * 1.0005

    x = leaf((3,))
    assert ag.gradcheck(SlightlyOff.apply, [x])  # within rtol 1e-3
    assert not ag.gradcheck(SlightlyOff.apply, [x], rtol=1e-4, atol=1e-6, raise_exception=False)


def test_gradcheck_wants_float64_inputs():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    with pytest.raises(TypeError, match=r"gradcheck: inputs must be float64 .* got float32; create them with "
                                        r"dtype=np.float64"):
        ag.gradcheck(lambda a: a.sum(), [x])


def test_gradcheck_wants_an_input_that_requires_grad():
    with pytest.raises(ValueError, match=r"gradcheck: no input requires grad"):
        ag.gradcheck(lambda a: a.sum(), [Tensor(np.ones(2))])


def test_gradgradcheck_passes_correct_second_derivatives():
    x, w = leaf((2, 3)), leaf((3, 2))
    assert ag.gradgradcheck(lambda a, b: (a @ b).tanh(), [x, w])
    assert ag.gradgradcheck(lambda a: a.sigmoid() * a.exp(), [leaf((4,))], grad_outputs=[leaf((4,))])


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = leaf((3,))
    assert ag.gradcheck(DetachedSecond.apply, [x])  # first derivatives are right
    with pytest.raises(GradcheckError, match=r"gradgradcheck: second derivatives disagree: .* with respect to input 0"):
        ag.gradgradcheck(DetachedSecond.apply, [x])
    assert ag.gradgradcheck(DetachedSecond.apply, [x], raise_exception=False) is False
