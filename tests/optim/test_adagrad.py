"""Adagrad against its update rule written out by hand (lr_decay, weight decay, initial accumulator), on a quadratic
whose gradients come from backward, and steps worked out on paper."""
from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Tensor
from quadratic import A, B, X0, engine_path


def adagrad_by_hand(steps: int = 8, lr: float = 0.1, lr_decay: float = 0.0, weight_decay: float = 0.0,
                    initial_accumulator_value: float = 0.0, eps: float = 1e-10, maximize: bool = False) -> np.ndarray:
    x = X0.copy()
    total = np.full(3, initial_accumulator_value)
    path = []
    for t in range(1, steps + 1):
        g = A @ x - B
        if maximize:
            g = -g
        g = g + weight_decay * x
        lr_t = lr / (1 + (t - 1) * lr_decay)
        total = total + g ** 2
        x = x - lr_t * g / (np.sqrt(total) + eps)
        path.append(x)
    return np.array(path)


@pytest.mark.parametrize("options", [
    {},
    {"lr_decay": 0.5},
    {"weight_decay": 0.2},
    {"initial_accumulator_value": 0.7},
    {"eps": 0.5, "lr_decay": 0.1},
    {"maximize": True},
], ids=["plain", "lr_decay", "weight_decay", "initial_accumulator", "eps", "maximize"])
def test_adagrad_trajectory_matches_update_rule(options):
    got = engine_path(lambda p: optim.Adagrad(p, lr=0.1, **options))
    np.testing.assert_allclose(got, adagrad_by_hand(lr=0.1, **options), rtol=1e-12, atol=1e-12)


def test_adagrad_variants_change_the_trajectory():
    plain = engine_path(lambda p: optim.Adagrad(p, lr=0.1))
    for options in ({"lr_decay": 0.5}, {"weight_decay": 0.2}, {"initial_accumulator_value": 0.7}):
        assert np.abs(engine_path(lambda p: optim.Adagrad(p, lr=0.1, **options)) - plain).max() > 1e-3


def test_adagrad_constant_gradient_hand_values():
    # f = 2x: g = 2 every step. s_t = 4t, step t moves lr_t * 2 / (2 sqrt(t)) = lr_t / sqrt(t),
    # lr_t = 1 / (1 + (t - 1) * 1): x1 = -1, x2 = -1 - 0.5 / sqrt(2)
    x = Tensor(np.array([0.0]), requires_grad=True)
    opt = optim.Adagrad([x], lr=1.0, lr_decay=1.0, eps=0.0)
    values = []
    for _ in range(2):
        opt.zero_grad()
        (2.0 * x).sum().backward()
        opt.step()
        values.append(x.data[0])
    assert values == pytest.approx([-1.0, -1.0 - 0.5 / np.sqrt(2)], abs=1e-15)
    assert opt.state[x]["step"] == 2 and opt.state[x]["sum"][0] == 8.0


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -0.1}, r"Adagrad: invalid lr=-0.1"),
    ({"lr_decay": -0.1}, r"invalid lr_decay=-0.1"),
    ({"weight_decay": -0.1}, r"invalid weight_decay=-0.1"),
    ({"initial_accumulator_value": -1.0}, r"invalid initial_accumulator_value=-1.0"),
    ({"eps": -1e-10}, r"invalid eps"),
])
def test_adagrad_invalid_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adagrad([Tensor([1.0], requires_grad=True)], **kwargs)
