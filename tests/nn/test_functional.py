"""nn.functional: the erf behind exact GELU, softmax and log-softmax, linear, dropout, pad, the full list of names."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, Value
from autograd.errors import ShapeError
import nn
from nn import functional as F
from nn.functional.common import shifted_exp

RNG = np.random.default_rng(2)


def _x(*shape):
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


def test_functional_has_the_whole_list():
    names = ["relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "cross_entropy", "nll_loss",
             "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge_loss",
             "linear", "dropout", "pad", "conv2d", "max_pool2d", "avg_pool2d", "layer_norm", "batch_norm",
             "embedding"]
    assert [n for n in names if not callable(getattr(F, n, None))] == []


# --- erf -------------------------------------------------------------------------------------------------------------
def test_erf_matches_math_erf_to_float64_precision():
    x = np.concatenate([np.linspace(-12, 12, 24001), [0.0, 1e-300, -1e-8, 26.0, -30.0]])
    expected = np.array([math.erf(v) for v in x])
    assert np.abs(F.erf(x) - expected).max() < 5e-15


def test_erf_float32_is_within_float32_rounding():
    x = np.linspace(-6, 6, 4001).astype(np.float32)
    expected = np.array([math.erf(float(v)) for v in x])
    y = F.erf(x)
    assert y.dtype == np.float32
    assert np.abs(y - expected).max() < 4e-7  # a few float32 ulps of values near 1


def test_erf_and_gelu_of_zero_dimensional_inputs():
    assert F.erf(np.array(0.5)) == pytest.approx(math.erf(0.5), abs=1e-15)
    assert F.gelu(Tensor(np.array(1.0))).item() == pytest.approx(0.5 * (1 + math.erf(1 / math.sqrt(2))), abs=1e-15)


def test_erf_is_odd_and_exact_at_zero():
    x = RNG.uniform(-5, 5, 100)
    assert np.array_equal(F.erf(-x), -F.erf(x))
    assert F.erf(np.array([0.0]))[0] == 0.0


def test_normal_cdf_is_accurate_in_the_far_left_tail():
    x = np.array([-5.0, -10.0, -14.0])
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    assert np.allclose(F.normal_cdf(x), expected, rtol=1e-12, atol=0)
    assert 0.0 <= F.normal_cdf(np.array([-20.0]))[0] < 1e-45  # true value 2.8e-89

def test_normal_cdf_float32_tail_error_grows_like_x_squared_as_documented():
    x = np.array([-3.0, -8.0, -13.0], dtype=np.float32)
    expected = np.array([0.5 * math.erfc(-float(v) / math.sqrt(2)) for v in x])
    y = F.normal_cdf(x)
    assert y.dtype == np.float32
    assert (np.abs(y - expected) / expected < np.array([2e-6, 1e-5, 3e-5])).all()


def test_importing_nn_loads_no_scipy_until_exact_gelu_runs():
    import subprocess
    import sys
    code = ("import sys, numpy as np, nn; from nn import functional as F; print('scipy.special' in sys.modules); "
            "F.gelu(np.ones(2)); print('scipy.special' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


# --- softmax and log-softmax -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_values_and_gradients(axis):
    x = _x(3, 4)
    e = np.exp(x.data)
    assert np.allclose(F.softmax(x, axis=axis).data, e / e.sum(axis=axis, keepdims=True))
    assert ag.gradcheck(lambda x: F.softmax(x, axis=axis), (x,))
    assert ag.gradgradcheck(lambda x: F.softmax(x, axis=axis), (x,))


@pytest.mark.parametrize("axis", [-1, 0, 2])
def test_log_softmax_values_and_gradients(axis):
    x = _x(2, 3, 4)
    e = np.exp(x.data)
    assert np.allclose(F.log_softmax(x, axis=axis).data, np.log(e / e.sum(axis=axis, keepdims=True)))
    assert ag.gradcheck(lambda x: F.log_softmax(x, axis=axis), (x,))
    assert ag.gradgradcheck(lambda x: F.log_softmax(x, axis=axis), (x,))


def test_log_softmax_of_huge_logits_is_finite_and_exact():
    x = Tensor(np.array([[1e4, 0.0]]), requires_grad=True)
    y = F.log_softmax(x)
    assert y.data.tolist() == [[0.0, -1e4]]
    y[0, 1].backward()
    # d log p1 / dz = onehot(1) - softmax(z) = [-1, 1] (softmax is [1, 0] to double precision)
    assert np.allclose(x.grad.data, [[-1.0, 1.0]])


def test_softmax_float32_huge_logits_stay_finite():
    y = F.softmax(Tensor(np.array([1e4, 1e4 - 1.0, -1e4], np.float32)))
    assert y.dtype == np.float32 and np.all(np.isfinite(y.data))
    assert y.data[0] == pytest.approx(1 / (1 + math.exp(-1)), rel=1e-6)


def test_softmax_bad_axis_error():
    with pytest.raises(ValueError, match="softmax: axis 2 is out of range for a Tensor of shape \\(3, 4\\)"):
        F.softmax(_x(3, 4), axis=2)


def test_functions_accept_arrays_and_refuse_values():
    assert np.allclose(F.relu(np.array([-1.0, 2.0])).data, [0.0, 2.0])
    with pytest.raises(TypeError, match="expected a Tensor, got a Value"):
        F.relu(Value(1.0))


_W = np.ones((2, 2))
_VALUE_CALLS = {  # each function given a Value where a Tensor belongs, and the name its message must start with
    "relu": lambda v: F.relu(v), "sigmoid": lambda v: F.sigmoid(v), "tanh": lambda v: F.tanh(v),
    "leaky_relu": lambda v: F.leaky_relu(v), "gelu": lambda v: F.gelu(v), "softmax": lambda v: F.softmax(v),
    "log_softmax": lambda v: F.log_softmax(v), "linear": lambda v: F.linear(v, Tensor(_W)),
    "dropout": lambda v: F.dropout(v), "pad": lambda v: F.pad(v, 1),
    "conv2d": lambda v: F.conv2d(v, Tensor(np.ones((1, 1, 1, 1)))),
    "conv2d weight": lambda v: F.conv2d(Tensor(np.ones((1, 1, 2, 2))), v),
    "max_pool2d": lambda v: F.max_pool2d(v, 2), "avg_pool2d": lambda v: F.avg_pool2d(v, 2),
    "layer_norm": lambda v: F.layer_norm(v, 2), "batch_norm": lambda v: F.batch_norm(v, None, None),
    "embedding": lambda v: F.embedding(np.array([0]), v),
    "mse_loss": lambda v: F.mse_loss(v, Tensor(_W)), "l1_loss": lambda v: F.l1_loss(v, Tensor(_W)),
    "cross_entropy": lambda v: F.cross_entropy(v, np.array([0, 1])),
    "nll_loss": lambda v: F.nll_loss(v, np.array([0, 1])),
    "binary_cross_entropy": lambda v: F.binary_cross_entropy(v, Tensor(_W)),
    "binary_cross_entropy_with_logits": lambda v: F.binary_cross_entropy_with_logits(v, Tensor(_W)),
    "hinge_loss": lambda v: F.hinge_loss(v, Tensor(_W)),
}


@pytest.mark.parametrize("name", list(_VALUE_CALLS))
def test_every_function_refuses_a_value_with_as_tensors_message(name):
    with pytest.raises(TypeError, match=rf"^{name.split()[0]}\b.*: expected a Tensor, got a Value; nn layers work on "
                                        "Tensors"):
        _VALUE_CALLS[name](Value(0.5))


@pytest.mark.parametrize("layer, name", [(lambda: nn.Linear(2, 2), "Linear"),
                                         (lambda: nn.Conv2d(1, 1, 1), "Conv2d"),
                                         (lambda: nn.MaxPool2d(2), "MaxPool2d"),
                                         (lambda: nn.LayerNorm(2), "LayerNorm"),
                                         (lambda: nn.BatchNorm1d(2), "BatchNorm1d"),
                                         (lambda: nn.CausalSelfAttention(2, 1), "CausalSelfAttention")])
def test_layers_refuse_a_value_naming_themselves(layer, name):
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor, got a Value"):
        layer()(Value(0.5))


def test_leaky_relu_gradgradcheck():
    x = _x(3, 3)
    x.data[np.abs(x.data) < 0.05] = 0.5
    assert ag.gradgradcheck(lambda x: F.leaky_relu(x, 0.1), (x,))


def test_sigmoid_and_tanh_forward_to_tensor_ops():
    x = _x(4)
    assert np.allclose(F.sigmoid(x).data, 1 / (1 + np.exp(-x.data)))
    assert np.allclose(F.tanh(x).data, np.tanh(x.data))


# --- linear ----------------------------------------------------------------------------------------------------------
def test_linear_function_value_and_errors():
    x, w, b = _x(2, 3), _x(4, 3), _x(4)
    assert np.allclose(F.linear(x, w, b).data, x.data @ w.data.T + b.data)
    assert np.allclose(F.linear(x, w).data, x.data @ w.data.T)
    with pytest.raises(ShapeError, match="linear: expected input with last dimension 3 \\(weight.shape\\[1\\]\\), "
                                         "got shape \\(2, 5\\)"):
        F.linear(_x(2, 5), w, b)
    with pytest.raises(ShapeError, match="linear: expected a 2-d weight"):
        F.linear(x, _x(3), b)
    with pytest.raises(ShapeError, match="linear: expected a bias of shape \\(4,\\), got \\(3,\\)"):
        F.linear(x, w, _x(3))


def test_linear_function_gradients_without_bias():
    assert ag.gradcheck(lambda x, w: F.linear(x, w), (_x(2, 3), _x(4, 3)))


# --- dropout and pad -------------------------------------------------------------------------------------------------
def test_dropout_function_training_flag_and_generator():
    x = _x(20, 20)
    assert F.dropout(x, 0.5, training=False) is x
    a = F.dropout(x, 0.5, generator=np.random.default_rng(9)).data
    b = F.dropout(x, 0.5, generator=np.random.default_rng(9)).data
    assert np.array_equal(a, b)
    assert np.allclose(a[a != 0], 2 * x.data[a != 0])


def test_dropout_function_refuses_bad_p():
    with pytest.raises(ValueError, match="dropout: p must be a probability"):
        F.dropout(_x(2), -0.1)


def test_pad_uses_numpy_pad_width_and_crops_the_gradient_back():
    x = _x(2, 3)
    y = F.pad(x, ((1, 0), (2, 1)), constant_values=7.0)
    assert np.array_equal(y.data, np.pad(x.data, ((1, 0), (2, 1)), constant_values=7.0))
    assert ag.gradcheck(lambda x: F.pad(x, 1), (x,))


def test_shifted_exp_pieces_of_softmax_never_overflow():
    x = np.array([[1000.0, 1000.0 + np.log(3.0)], [-5.0, -5.0]])
    shifted, e, sums = shifted_exp(x, axis=1)
    assert np.allclose(shifted, [[-np.log(3.0), 0.0], [0.0, 0.0]])
    assert np.allclose(e / sums, [[0.25, 0.75], [0.5, 0.5]])
    assert sums.shape == (2, 1)


# --- create_graph: fused ops read ctx.create_graph ----------------------------------------------------------------
class _ArrayGradient(ag.Function):
    """y = 2x;  dy/dx = 2 (a custom op whose backward returns a plain array, even under create_graph)"""

    @staticmethod
    def forward(ctx, x):
        return 2 * x.data

    @staticmethod
    def backward(ctx, grad):
        return 2 * (grad.data if isinstance(grad, Tensor) else grad)


@pytest.mark.parametrize("op", [lambda x: F.conv2d(x, Tensor(np.ones((1, 1, 2, 2)))), lambda x: F.max_pool2d(x, 2),
                                lambda x: F.avg_pool2d(x, 2), lambda x: x[:, :, [0, 0, 1]]],
                         ids=["conv2d", "max_pool2d", "avg_pool2d", "getitem"])
def test_fused_ops_under_create_graph_take_an_array_gradient_from_a_custom_op(op):
    x = Tensor(RNG.standard_normal((1, 1, 4, 4)), requires_grad=True)
    (g,) = ag.grad(_ArrayGradient.apply(op(x)).sum(), x, create_graph=True)
    (expected,) = ag.grad((2 * op(x)).sum(), x)
    assert np.allclose(g.data, expected.data)
