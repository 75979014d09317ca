"""RMSprop against its update rule written out by hand (plain, centered, momentum, weight decay), on a quadratic whose
gradients come from backward, and a first step worked out on paper."""
from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Tensor
from quadratic import A, B, X0, engine_path


def rmsprop_by_hand(steps: int = 8, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                    weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                    maximize: bool = False) -> np.ndarray:
    x = X0.copy()
    v, mean, buf = np.zeros(3), np.zeros(3), np.zeros(3)
    path = []
    for _ in range(steps):
        g = A @ x - B
        if maximize:
            g = -g
        g = g + weight_decay * x
        v = alpha * v + (1 - alpha) * g ** 2
        if centered:
            mean = alpha * mean + (1 - alpha) * g
            denom = np.sqrt(v - mean ** 2) + eps
        else:
            denom = np.sqrt(v) + eps
        if momentum > 0:
            buf = momentum * buf + g / denom
            x = x - lr * buf
        else:
            x = x - lr * g / denom
        path.append(x)
    return np.array(path)


@pytest.mark.parametrize("options", [
    {},
    {"alpha": 0.9},
    {"centered": True, "alpha": 0.9},
    {"momentum": 0.9},
    {"centered": True, "momentum": 0.5, "alpha": 0.8},
    {"weight_decay": 0.2},
    {"maximize": True},
], ids=["plain", "alpha", "centered", "momentum", "centered_momentum", "weight_decay", "maximize"])
def test_rmsprop_trajectory_matches_update_rule(options):
    got = engine_path(lambda p: optim.RMSprop(p, lr=0.01, **options))
    np.testing.assert_allclose(got, rmsprop_by_hand(lr=0.01, **options), rtol=1e-12, atol=1e-12)


def test_rmsprop_variants_change_the_trajectory():
    plain = engine_path(lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9))
    for options in ({"centered": True}, {"momentum": 0.9}, {"weight_decay": 0.2}):
        assert np.abs(engine_path(lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, **options)) - plain).max() > 1e-4


def test_rmsprop_first_step_hand_value():
    # v1 = (1 - alpha) g^2, so the move is lr * g / (sqrt(1 - alpha) |g|) = lr / sqrt(1 - alpha) = 0.01 / 0.1 = 0.1
    x = Tensor(np.array([4.0, -7.0]), requires_grad=True)
    opt = optim.RMSprop([x], lr=0.01, alpha=0.99, eps=0.0)
    (x * x).sum().backward()
    opt.step()
    np.testing.assert_allclose(x.data, [3.9, -6.9], rtol=1e-13)


def test_rmsprop_default_hyperparameters():
    opt = optim.RMSprop([Tensor([1.0], requires_grad=True)])
    assert {k: opt.defaults[k] for k in ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")} == {
        "lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0, "centered": False}


def test_rmsprop_float32_stays_float32():
    x = Tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    opt = optim.RMSprop([x], lr=0.01, centered=True, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        (x * x).sum().backward()
        opt.step()
    assert x.data.dtype == np.float32
    assert all(v.dtype == np.float32 for k, v in opt.state[x].items() if k != "step")


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -0.01}, r"RMSprop: invalid lr=-0.01"),
    ({"alpha": 1.5}, r"invalid alpha=1.5; it must be in \[0, 1\]"),
    ({"eps": -1.0}, r"invalid eps=-1.0"),
    ({"momentum": -0.9}, r"invalid momentum=-0.9"),
    ({"weight_decay": -0.1}, r"invalid weight_decay=-0.1"),
])
def test_rmsprop_invalid_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.RMSprop([Tensor([1.0], requires_grad=True)], **kwargs)
