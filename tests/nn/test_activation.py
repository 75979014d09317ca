"""Activation layers and Dropout: values against numpy and hand-derived numbers, gradients by central differences."""
from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor

RNG = np.random.default_rng(1)


def _x(*shape):
    # kept away from 0, where ReLU and LeakyReLU have their kink and finite differences straddle it
    data = RNG.standard_normal(shape)
    data[np.abs(data) < 0.05] = 0.3
    return Tensor(data, requires_grad=True)


def _gelu_reference(x):
    return np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.ravel()]).reshape(x.shape)


LAYERS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.GELU(), _gelu_reference),
    (nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Softmax(axis=-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (nn.Softmax(axis=0), lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True)),
]
IDS = ["relu", "leaky", "leaky0.2", "gelu", "gelu_tanh", "tanh", "sigmoid", "softmax-1", "softmax0"]


@pytest.mark.parametrize("layer, reference", LAYERS, ids=IDS)
def test_activation_values_match_numpy(layer, reference):
    x = _x(3, 4)
    y = layer(x)
    assert y.shape == x.shape
    assert np.allclose(y.data, reference(x.data), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("layer, reference", LAYERS, ids=IDS)
def test_activation_gradcheck(layer, reference):
    assert ag.gradcheck(layer, (_x(3, 4),))


@pytest.mark.parametrize("layer, reference", LAYERS, ids=IDS)
def test_activation_keeps_float32(layer, reference):
    x = Tensor(RNG.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_relu_and_leaky_relu_hand_gradients():
    x = Tensor(np.array([-2.0, 3.0]), requires_grad=True)
    nn.LeakyReLU(0.1)(x).sum().backward()
    assert x.grad.data.tolist() == [0.1, 1.0]


def test_gelu_hand_values():
    # GELU(0) = 0 and GELU'(0) = Phi(0) = 1/2; GELU(1) = Phi(1) = 0.841344746068543
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    y = nn.GELU()(x)
    assert y.data[0] == 0.0 and y.data[1] == pytest.approx(0.8413447460685429, abs=1e-14)
    y.sum().backward()
    assert x.grad.data[0] == pytest.approx(0.5, abs=1e-14)
    # GELU'(1) = Phi(1) + phi(1) = 0.841344746 + 0.241970725
    assert x.grad.data[1] == pytest.approx(0.8413447460685429 + math.exp(-0.5) / math.sqrt(2 * math.pi), abs=1e-14)


def test_gelu_far_tails_are_exact_in_float64():
    x = Tensor(np.array([-40.0, -10.0, 10.0, 40.0]))
    y = nn.GELU()(x).data
    assert y[0] == 0.0 and y[3] == 40.0 and y[2] == 10.0
    assert y[1] == pytest.approx(-10 * 0.5 * math.erfc(10 / math.sqrt(2)), rel=1e-12)


def test_gelu_modes_differ_by_less_than_the_known_tanh_error():
    x = Tensor(np.linspace(-5, 5, 201))
    gap = np.abs(nn.GELU()(x).data - nn.GELU("tanh")(x).data).max()
    assert 1e-5 < gap < 1e-3


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradgradcheck(approximate):
    assert ag.gradgradcheck(nn.GELU(approximate), (_x(2, 3),))


def test_gelu_unknown_mode_error():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'fast'"):
        nn.GELU("fast")


def test_softmax_rows_sum_to_one_and_survive_huge_logits():
    x = Tensor(np.array([[1e4, 0.0, -1e4], [3.0, 3.0, 3.0]]), requires_grad=True)
    y = nn.Softmax()(x)
    assert np.allclose(y.data.sum(axis=1), 1.0)
    assert np.allclose(y.data[0], [1.0, 0.0, 0.0]) and np.allclose(y.data[1], 1 / 3)
    (y * Tensor(np.arange(3.0))).sum().backward()
    assert np.all(np.isfinite(x.grad.data))


def test_reprs_show_settings():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softmax(axis=1)) == "Softmax(axis=1)"
    assert repr(nn.Dropout()) == "Dropout(p=0.5)"
    assert repr(nn.ReLU()) == "ReLU()"


# --- Dropout ---------------------------------------------------------------------------------------------------------
def test_dropout_in_eval_mode_is_the_identity():
    drop = nn.Dropout(0.5).eval()
    x = _x(10, 10)
    assert drop(x) is x


def test_dropout_in_training_zeroes_about_p_and_scales_the_rest():
    nn.init.seed(0)
    drop = nn.Dropout(0.25)
    x = Tensor(np.ones((100, 100)))
    y = drop(x).data
    zeroed = np.mean(y == 0)
    # 10,000 Bernoulli(0.25) draws: the fraction is within 4 standard deviations (0.0173) of 0.25
    assert abs(zeroed - 0.25) < 0.0173
    assert np.allclose(y[y != 0], 1 / 0.75)


def test_dropout_gradient_is_the_scaled_mask():
    nn.init.seed(1)
    x = Tensor(RNG.standard_normal((6, 5)), requires_grad=True)
    y = nn.Dropout(0.4)(x)
    y.sum().backward()
    mask = (y.data != 0) / 0.6
    assert np.allclose(x.grad.data, mask)
    assert np.allclose(y.data, x.data * mask)


def test_dropout_gradcheck_with_a_fixed_mask():
    drop = nn.Dropout(0.3)
    assert ag.gradcheck(lambda x: (nn.init.seed(3), drop(x))[1], (_x(4, 4),))


def test_dropout_masks_repeat_with_a_seed():
    x = Tensor(np.ones(50))
    nn.init.seed(5)
    a = nn.Dropout()(x).data
    nn.init.seed(5)
    b = nn.Dropout()(x).data
    c = nn.Dropout()(x).data
    assert np.array_equal(a, b) and not np.array_equal(b, c)


def test_dropout_p0_is_identity_and_p1_zeroes_everything_with_zero_gradient():
    x = _x(3, 3)
    assert nn.Dropout(0.0)(x) is x
    y = nn.Dropout(1.0)(x)
    y.sum().backward()
    assert np.all(y.data == 0) and np.all(x.grad.data == 0)


def test_dropout_p_outside_0_1_is_refused():
    with pytest.raises(ValueError, match="Dropout: p must be a probability in \\[0, 1\\], got 1.5"):
        nn.Dropout(1.5)
