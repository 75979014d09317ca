"""nn.init: PyTorch's formulas (fans, gains, bounds and standard deviations), in place, repeatable with a seed."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import init


def _empty(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype))


def test_fans_of_a_matrix_and_of_a_conv_kernel():
    assert init.fan_in_and_fan_out(_empty(30, 20)) == (20, 30)
    assert init.fan_in_and_fan_out(_empty(8, 3, 5, 5)) == (75, 200)


def test_fans_of_a_vector_are_an_error():
    with pytest.raises(ValueError, match="at least 2 dimensions, got shape \\(5,\\)"):
        init.fan_in_and_fan_out(_empty(5))


@pytest.mark.parametrize("name, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)), ("selu", None, 0.75)])
def test_calculate_gain(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_unknown_name():
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fills_are_in_place_and_keep_dtype():
    p = _empty(3, 4)
    array = p.data
    assert init.constant_(p, 2.5) is p
    assert p.data is array and p.dtype == np.float32 and np.all(array == 2.5)
    init.ones_(p)
    assert np.all(array == 1)
    init.zeros_(p)
    assert np.all(array == 0)


def test_initialising_a_used_parameter_breaks_graphs_that_saved_it():
    import autograd as ag
    layer = nn.Linear(2, 1)
    y = layer(Tensor(np.ones((1, 2), np.float32)))  # Linear saves the weight for its input gradient
    init.zeros_(layer.weight)
    with pytest.raises(ag.BackwardError, match="modified by an in-place operation"):
        y.sum().backward()


def test_uniform_stays_in_bounds_and_fills_them():
    p = init.uniform_(_empty(200, 200, dtype=np.float64), -2.0, 3.0)
    assert p.data.min() >= -2.0 and p.data.max() < 3.0
    assert p.data.min() < -1.99 and p.data.max() > 2.99
    assert p.data.mean() == pytest.approx(0.5, abs=0.03)  # 40,000 draws: sd of the mean 0.007


def test_normal_mean_and_std():
    p = init.normal_(_empty(200, 200, dtype=np.float64), 1.0, 0.5)
    assert p.data.mean() == pytest.approx(1.0, abs=0.01)
    assert p.data.std() == pytest.approx(0.5, rel=0.02)


def test_xavier_uniform_bound():
    p = init.xavier_uniform_(_empty(300, 100), gain=2.0)
    bound = 2.0 * math.sqrt(6 / 400)
    assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.99 * bound


def test_xavier_normal_std():
    p = init.xavier_normal_(_empty(300, 100, dtype=np.float64))
    assert p.data.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)


def test_kaiming_uniform_with_pytorchs_linear_slope_gives_one_over_sqrt_fan_in():
    p = init.kaiming_uniform_(_empty(100, 400), a=math.sqrt(5))
    bound = 1 / math.sqrt(400)
    assert np.abs(p.data).max() <= bound * (1 + 1e-6) and np.abs(p.data).max() > 0.99 * bound


def test_kaiming_uniform_relu_fan_out():
    p = init.kaiming_uniform_(_empty(100, 400), mode="fan_out", nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 100)
    assert np.abs(p.data).max() <= bound * (1 + 1e-6) and np.abs(p.data).max() > 0.99 * bound


def test_kaiming_normal_std():
    p = init.kaiming_normal_(_empty(200, 300, dtype=np.float64), nonlinearity="relu")
    assert p.data.std() == pytest.approx(math.sqrt(2 / 300), rel=0.02)


def test_kaiming_bad_mode():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal_(_empty(2, 2), mode="fan_avg")


def test_generator_argument_makes_draws_repeatable():
    a = init.normal_(_empty(5, 5), generator=np.random.default_rng(4)).data.copy()
    b = init.normal_(_empty(5, 5), generator=np.random.default_rng(4)).data.copy()
    assert np.array_equal(a, b)


def test_seed_makes_draws_and_model_creation_repeatable():
    init.seed(11)
    a = init.uniform_(_empty(4)).data.copy()
    model_a = nn.MLP([3, 5, 2]).state_dict()
    init.seed(11)
    b = init.uniform_(_empty(4)).data.copy()
    model_b = nn.MLP([3, 5, 2]).state_dict()
    assert np.array_equal(a, b)
    assert all(np.array_equal(model_a[k], model_b[k]) for k in model_a)
    before = init.get_generator()
    init.seed(11)
    assert init.get_generator() is not before  # seed() replaces the generator, so its state starts afresh
    assert init.get_generator().random() == np.random.default_rng(11).random()


def test_init_refuses_non_tensors():
    with pytest.raises(TypeError, match="nn.init.zeros_: expected a Tensor or Parameter, got ndarray"):
        init.zeros_(np.zeros(3))


def test_init_works_on_plain_tensors():
    t = Tensor(np.zeros((2, 2)))
    assert np.all(init.ones_(t).data == 1)
