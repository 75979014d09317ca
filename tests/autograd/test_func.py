"""autograd.func: grad, value_and_grad, vjp, jvp, jacrev, jacfwd, jacobian, hessian and hvp against hand-derived
derivatives and central differences; the shapes and types of what they return; their compositions (jacfwd of jacrev,
jvp of grad, grad of jvp, third derivatives); and the errors for arguments they cannot differentiate."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Tensor, Value
from autograd.errors import DTypeError, ForwardModeError, ShapeError
from autograd.func import grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, value_and_grad, vjp

A = np.array([[1.0, -2.0, 0.5], [0.3, 0.7, -1.1]])


def f_vector(x):
    """R^3 -> R^2: A @ tanh(x) * x[0]; J = A diag(1 - tanh(x)**2) x[0] + outer(A @ tanh(x), e0)."""
    return (Tensor(A) @ x.tanh()) * x[0]


def jacobian_of_f_vector(x):
    t = np.tanh(x)
    J = A * (1 - t * t) * x[0]
    J[:, 0] += A @ t
    return J


def quartic(x):
    """sum(x**4) + x0 x1**2: gradient (4x**3 + (x1**2, 2 x0 x1, 0)), Hessian diag(12 x**2) + the mixed terms."""
    return (x ** 4).sum() + x[0] * x[1] * x[1]


def hessian_of_quartic(x):
    H = np.diag(12 * x ** 2)
    H[0, 1] = H[1, 0] = 2 * x[1]
    H[1, 1] += 2 * x[0]
    return H


X = np.array([0.4, -1.2, 0.9])


# --- grad and value_and_grad -----------------------------------------------------------------------------------------
def test_grad_of_cube_at_two_is_twelve_and_comes_back_as_a_float():
    g = grad(lambda x: x ** 3)(2.0)
    assert type(g) is float and g == 12.0


def test_grad_keeps_the_argument_kind():
    g = grad(lambda x: (x ** 2).sum())(Tensor(X))
    assert isinstance(g, Tensor) and not g.requires_grad and np.allclose(g.data, 2 * X)
    g = grad(lambda x: (x ** 2).sum())(X)
    assert type(g) is np.ndarray and np.allclose(g, 2 * X)
    g = grad(lambda v: v.tanh())(Value(0.3))
    assert isinstance(g, Value) and g.data == pytest.approx(1 - math.tanh(0.3) ** 2)


def test_a_float_beside_arrays_is_a_tensor_and_comes_back_as_a_float():
    g = grad(lambda w, b, x: ((w * x).sum() + b) ** 2, argnums=1)(np.array([1.0, 2.0]), 0.5, np.array([3.0, -1.0]))
    assert type(g) is float and g == pytest.approx(3.0)


def test_grad_with_argnums_and_tuple_arguments():
    def f(params, x):
        w, b = params
        return ((w * x).sum() + b) ** 2
    w, b, x = np.array([1.0, 2.0]), 0.5, np.array([3.0, -1.0])
    (gw, gb) = grad(f)((w, b), x)
    residual = 2 * ((w * x).sum() + b)  # 2 * 1.5
    assert np.allclose(gw, residual * x) and gb == pytest.approx(residual)
    gparams, gx = grad(f, argnums=(0, 1))((w, b), x)
    assert np.allclose(gx, residual * w) and np.allclose(gparams[0], gw)


def test_value_and_grad():
    value, g = value_and_grad(quartic)(X)
    assert float(value.data if isinstance(value, Tensor) else value) == pytest.approx(float(np.sum(X ** 4) + X[0] * X[1] ** 2))
    assert np.allclose(g, 4 * X ** 3 + np.array([X[1] ** 2, 2 * X[0] * X[1], 0]))


def test_grad_of_an_output_not_depending_on_the_argument_is_zero():
    assert grad(lambda x, y: y * 2.0, argnums=0)(1.0, Value(3.0)) == 0.0


def test_grad_works_inside_no_grad_and_leaves_leaves_alone():
    x = Tensor(X, requires_grad=True)
    with ag.no_grad():
        g = grad(lambda t: (t * t).sum())(x.detach())
    assert np.allclose(g.data, 2 * X) and x.grad is None


def test_grad_through_a_parameter_stays_differentiable():
    """f closes over w, which requires grad: the gradient with respect to x is itself differentiable in w."""
    w = Tensor(np.array([1.5, -0.5]), requires_grad=True)
    g = grad(lambda x: ((w * x).tanh()).sum())(np.array([0.2, 0.4]))
    assert isinstance(g, Tensor) and g.requires_grad  # d/dx = w (1 - tanh(w x)**2)
    g.sum().backward()
    x = np.array([0.2, 0.4])
    t = np.tanh(w.data * x)
    expected = (1 - t * t) - w.data * 2 * t * (1 - t * t) * x  # d/dw [w (1 - tanh(wx)^2)]
    assert np.allclose(w.grad.data, expected)


# --- vjp and jvp ---------------------------------------------------------------------------------------------------
def test_vjp_is_the_cotangent_times_the_jacobian_and_can_be_called_again():
    out, vjp_fn = vjp(f_vector, X)
    J = jacobian_of_f_vector(X)
    assert np.allclose(out, f_vector(Tensor(X)).data)
    for u in (np.array([1.0, 0.0]), np.array([0.3, -2.0])):
        (g,) = vjp_fn(u)
        assert np.allclose(g, u @ J)


def test_jvp_is_the_jacobian_times_the_tangent():
    v = np.array([0.5, 1.0, -2.0])
    out, t = jvp(f_vector, (X,), (v,))
    assert type(out) is np.ndarray and type(t) is np.ndarray
    assert np.allclose(t, jacobian_of_f_vector(X) @ v)


def test_jvp_with_tuple_outputs_and_several_primals():
    def f(x, y):
        return x * y, (x + y).exp()
    (p, e), (dp, de) = jvp(f, (2.0, 0.5), (1.0, -1.0))
    assert type(p) is float and (p, e) == (1.0, pytest.approx(math.exp(2.5)))
    assert dp == pytest.approx(0.5 * 1.0 + 2.0 * -1.0) and de == pytest.approx(0.0)


def test_jvp_and_vjp_agree_on_the_same_function():
    """<u, J v> is the same number whichever side J is applied from."""
    u, v = np.array([0.7, -1.3]), np.array([0.2, 0.9, 0.4])
    _, Jv = jvp(f_vector, (X,), (v,))
    _, vjp_fn = vjp(f_vector, X)
    assert float(u @ Jv) == pytest.approx(float(vjp_fn(u)[0] @ v), rel=1e-12)


# --- Jacobians -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transform", [jacrev, jacfwd, jacobian], ids=lambda t: t.__name__)
def test_jacobian_against_the_hand_derived_one(transform):
    J = transform(f_vector)(X)
    assert J.shape == (2, 3) and np.allclose(J, jacobian_of_f_vector(X), rtol=1e-12)


@pytest.mark.parametrize("transform", [jacrev, jacfwd, jacobian], ids=lambda t: t.__name__)
def test_jacobian_shape_is_out_shape_plus_in_shape(transform):
    x = np.arange(6.0).reshape(2, 3) / 10
    J = transform(lambda x: (x.reshape(3, 2) * 2.0).exp())(x)
    assert J.shape == (3, 2, 2, 3)
    assert np.allclose(J.reshape(6, 6), np.diag(2 * np.exp(2 * x.reshape(-1))))


@pytest.mark.parametrize("transform", [jacrev, jacfwd], ids=lambda t: t.__name__)
def test_jacobian_of_several_outputs_and_arguments_nests_output_then_argument(transform):
    J = transform(lambda x, y: (x * y, (x - y).sum()), argnums=(0, 1))(np.array([1.0, 2.0]), np.array([3.0, 5.0]))
    (dxy_dx, dxy_dy), (ds_dx, ds_dy) = J
    assert np.allclose(dxy_dx, np.diag([3.0, 5.0])) and np.allclose(dxy_dy, np.diag([1.0, 2.0]))
    assert np.allclose(ds_dx, [1.0, 1.0]) and np.allclose(ds_dy, [-1.0, -1.0])


def test_jacobian_of_values():
    J = jacfwd(lambda x, y: x * y + y.exp(), argnums=(0, 1))(2.0, 0.5)
    assert J == (0.5, pytest.approx(2.0 + math.exp(0.5)))
    assert jacrev(lambda x: x.tanh())(Value(0.1)).data == pytest.approx(1 - math.tanh(0.1) ** 2)


class Probe(Function):
    """y = 2 x;  dy/dx = 2  (counts which mode differentiated it)"""
    calls = {"backward": 0, "jvp": 0}

    @staticmethod
    def forward(ctx, x):
        return 2 * x.data

    @staticmethod
    def backward(ctx, grad):
        Probe.calls["backward"] += 1
        return 2 * grad

    @staticmethod
    def jvp(ctx, dx):
        """dy = 2 dx"""
        Probe.calls["jvp"] += 1
        return 2 * dx


@pytest.mark.parametrize("n_in, n_out, mode", [(2, 5, "jvp"), (5, 2, "backward"), (3, 3, "backward")])
def test_jacobian_picks_forward_mode_for_fewer_inputs_than_outputs(n_in, n_out, mode):
    Probe.calls.update(backward=0, jvp=0)
    J = jacobian(lambda x: Probe.apply(Tensor(np.ones((n_out, n_in))) @ x))(np.ones(n_in))
    assert np.allclose(J, 2 * np.ones((n_out, n_in)))
    assert Probe.calls[mode] > 0 and Probe.calls["jvp" if mode == "backward" else "backward"] == 0


# --- Hessians and compositions -------------------------------------------------------------------------------------
def test_hessian_against_the_hand_derived_one():
    H = hessian(quartic)(X)
    assert H.shape == (3, 3) and np.allclose(H, hessian_of_quartic(X), rtol=1e-12)


@pytest.mark.parametrize("outer, inner", [(jacfwd, jacrev), (jacrev, jacrev), (jacfwd, jacfwd), (jacrev, jacfwd)],
                         ids=["fwd-rev", "rev-rev", "fwd-fwd", "rev-fwd"])
def test_every_composition_of_jacobians_gives_the_hessian(outer, inner):
    H = outer(inner(quartic))(X)
    assert np.allclose(H, hessian_of_quartic(X), rtol=1e-12)


def test_hessian_of_a_scalar_function_of_a_float():
    assert hessian(lambda x: x ** 4)(2.0) == pytest.approx(48.0)
    assert hessian(lambda x: x.sin())(Tensor(np.array(0.3))).item() == pytest.approx(-math.sin(0.3))


def test_hvp_is_the_hessian_times_the_vector():
    v = np.array([1.0, -0.5, 2.0])
    value, Hv = hvp(quartic, (X,), (v,))
    assert np.allclose(Hv, hessian_of_quartic(X) @ v, rtol=1e-12)
    assert float(value) == pytest.approx(float(quartic(Tensor(X)).data))


def test_jvp_of_grad_is_the_hessian_times_the_tangent():
    v = np.array([0.3, 0.2, -1.0])
    _, t = jvp(grad(quartic), (X,), (v,))
    assert np.allclose(t, hessian_of_quartic(X) @ v, rtol=1e-12)


def test_grad_of_jvp_is_the_hessian_times_the_tangent():
    v = np.array([0.3, 0.2, -1.0])
    g = grad(lambda x: jvp(quartic, (x,), (v,))[1])(X)
    assert np.allclose(g, hessian_of_quartic(X) @ v, rtol=1e-12)


def test_third_derivatives_by_any_mix_of_modes():
    f = lambda x: x.tanh()  # noqa: E731
    t = math.tanh(0.7)
    d1 = 1 - t * t
    third = -2 * d1 * d1 + 4 * t * t * d1
    assert grad(grad(grad(f)))(0.7) == pytest.approx(third)
    assert jacfwd(jacfwd(jacfwd(f)))(0.7) == pytest.approx(third)
    assert jacfwd(grad(jacfwd(f)))(0.7) == pytest.approx(third)


def test_perturbation_confusion_with_grad():
    """d/dx [x * d/dy (x*y)] at y = 1 is 2x: the inner derivative must not see x's perturbation."""
    assert grad(lambda x: x * grad(lambda y: x * y)(1.0))(1.5) == pytest.approx(3.0)
    assert jacfwd(lambda x: x * grad(lambda y: x * y)(1.0))(1.5) == pytest.approx(3.0)


def test_hessian_of_a_small_network_loss_against_central_differences_of_its_gradient():
    rng = np.random.default_rng(0)
    data, target = rng.standard_normal((8, 3)), rng.standard_normal(8)

    def loss(p):
        W, b, v = p[:12].reshape(3, 4), p[12:16], p[16:]
        return (((Tensor(data) @ W + b).tanh() @ v - Tensor(target)) ** 2).mean()
    p = rng.standard_normal(20) * 0.5
    H = hessian(loss)(p)
    eps = 1e-6
    numeric = np.stack([(grad(loss)(p + eps * e) - grad(loss)(p - eps * e)) / (2 * eps) for e in np.eye(20)], 1)
    assert H.shape == (20, 20) and np.allclose(H, H.T, atol=1e-12)
    assert np.allclose(H, numeric, rtol=1e-5, atol=1e-7)


def test_hessian_carries_its_tangents_on_plain_arrays_unless_a_parameter_needs_them_recorded():
    """Inside hessian every value depends on jacrev's leaf, which requires grad; tangents of those need no graph. A
    parameter that requires grad, from outside, does: the Hessian may be differentiated with respect to it."""
    recorded = []

    class Square(Function):
        """y = x**2;  dy/dx = 2x"""

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
            recorded.append(ctx.create_graph)
            (x,) = ctx.saved_tensors
            return 2 * x * dx
    H = hessian(lambda x: (Square.apply(x) * x).sum())(X)  # sum(x**3): H = diag(6x)
    assert np.allclose(H, np.diag(6 * X)) and recorded and not any(recorded)
    w = Tensor(np.full(3, 2.0), requires_grad=True)
    recorded.clear()
    H = hessian(lambda x: (Square.apply(x * w) * x).sum())(X)  # sum(w**2 x**3)
    assert np.allclose(H.data, np.diag(6 * 4.0 * X)) and any(recorded) and H.requires_grad


def test_the_transforms_are_reachable_from_autograd():
    assert ag.func.grad is grad and ag.func.hessian is hessian


# --- errors --------------------------------------------------------------------------------------------------------
def test_tangent_of_the_wrong_shape():
    with pytest.raises(ShapeError, match=r"^jvp: tangent 0 has shape \(2,\) but its primal has shape \(3,\); give each "
                                         r"tangent its primal's shape$"):
        jvp(f_vector, (X,), (np.ones(2),))


def test_tangent_of_the_wrong_dtype():
    with pytest.raises(DTypeError, match=r"^jvp: tangent 0 has dtype float32 but its primal has dtype float64; cast it "
                                         r"with \.astype\(np\.float64\)$"):
        jvp(f_vector, (X,), (np.ones(3, dtype=np.float32),))


def test_tangents_not_matching_the_primals():
    with pytest.raises(ValueError, match=r"jvp: tangents must have the structure of primals \(one per primal\): got 1 "
                                         r"tangent\(s\) for 2 primal\(s\)"):
        jvp(lambda x, y: x * y, (1.0, 2.0), (1.0,))


@pytest.mark.parametrize("transform", [grad, jacrev, jacfwd], ids=lambda t: t.__name__)
def test_a_non_differentiable_output(transform):
    with pytest.raises(TypeError, match=rf"^{transform.__name__}: f returned float 3.0 as output 0, which cannot be "
                                        "differentiated; return Tensors or Values computed from the arguments$"):
        transform(lambda x: 3.0)(1.0)


def test_an_integer_output():
    with pytest.raises(DTypeError, match=r"jacfwd: output 0 of f is a Tensor of dtype int64, which cannot be "
                                         r"differentiated"):
        jacfwd(lambda x: x.argmax())(X)


@pytest.mark.parametrize("transform", [grad, jacrev, jacfwd, hessian], ids=lambda t: t.__name__)
def test_an_integer_argument(transform):
    with pytest.raises(DTypeError, match=rf"^{transform.__name__}: argument 0 is an integer \(int 3\), which cannot be "
                                         r"differentiated; pass a float \(3\.0\)$"):
        transform(lambda x: x * x)(3)
    with pytest.raises(DTypeError, match=rf"^{transform.__name__}: argument 0 has dtype int64, which cannot be "
                                         r"differentiated; pass a float array"):
        transform(lambda x: x * x)(np.arange(3))
    with pytest.raises(DTypeError, match=r"is a Tensor of dtype int64, which cannot be differentiated"):
        transform(lambda x: x * x)(Tensor(np.arange(3)))


def test_jvp_of_an_integer_primal():
    with pytest.raises(DTypeError, match=r"^jvp: primal 0 is an integer \(int 2\)"):
        jvp(lambda x: x * x, (2,), (1.0,))


def test_grad_of_a_vector_output():
    with pytest.raises(ShapeError, match=r"^grad: f must return one number \(a Value or a 1-element Tensor\), got a "
                                         r"Tensor of shape \(3,\); reduce it \(\.sum\(\)\), or use jacrev for a "
                                         r"Jacobian$"):
        grad(lambda x: x * 2.0)(X)


def test_argnums_out_of_range():
    with pytest.raises(ValueError, match=r"grad: argnums 2 is out of range for a call with 2 argument\(s\)"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_an_op_without_a_jvp_rule_is_named_by_the_transform():
    class Square(Function):
        """y = x**2;  dy/dx = 2x"""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.data ** 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x
    assert np.allclose(jacrev(lambda x: Square.apply(x))(X), np.diag(2 * X))
    with pytest.raises(ForwardModeError, match=r"^hessian: Square has no jvp rule"):
        hessian(lambda x: Square.apply(x).sum())(X)
