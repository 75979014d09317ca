"""Adam and AdamW against their update rules written out by hand, on a quadratic whose gradients come from backward,
and against first steps worked out on paper."""
from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Tensor
from quadratic import A, B, X0, engine_path


def adam_by_hand(steps: int = 8, lr: float = 0.1, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, maximize: bool = False, decoupled: bool = False) -> np.ndarray:
    beta1, beta2 = betas
    x = X0.copy()
    m, v, v_max = np.zeros(3), np.zeros(3), np.zeros(3)
    path = []
    for t in range(1, steps + 1):
        g = A @ x - B
        if maximize:
            g = -g
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(x)
    return np.array(path)


@pytest.mark.parametrize("options", [
    {},
    {"betas": (0.8, 0.9)},
    {"weight_decay": 0.1},
    {"amsgrad": True, "betas": (0.9, 0.5)},
    {"maximize": True, "weight_decay": 0.05},
    {"eps": 0.3},
], ids=["plain", "betas", "weight_decay", "amsgrad", "maximize", "eps"])
def test_adam_trajectory_matches_update_rule(options):
    got = engine_path(lambda p: optim.Adam(p, lr=0.1, **options))
    np.testing.assert_allclose(got, adam_by_hand(lr=0.1, **options), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options", [{}, {"weight_decay": 0.3}, {"amsgrad": True, "betas": (0.9, 0.5)},
                                     {"maximize": True}], ids=["default_decay", "decay", "amsgrad", "maximize"])
def test_adamw_trajectory_matches_decoupled_rule(options):
    options = {"weight_decay": 1e-2, **options}
    got = engine_path(lambda p: optim.AdamW(p, lr=0.1, **options))
    np.testing.assert_allclose(got, adam_by_hand(lr=0.1, decoupled=True, **options), rtol=1e-12, atol=1e-12)


def test_amsgrad_and_decoupled_decay_change_the_trajectory():
    # The cases above would pass with the option ignored if it made no difference for these numbers.
    plain = engine_path(lambda p: optim.Adam(p, lr=0.1, betas=(0.9, 0.5)))
    amsgrad = engine_path(lambda p: optim.Adam(p, lr=0.1, betas=(0.9, 0.5), amsgrad=True))
    assert np.abs(amsgrad - plain).max() > 1e-3
    coupled = engine_path(lambda p: optim.Adam(p, lr=0.1, weight_decay=0.3))
    decoupled = engine_path(lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.3))
    assert np.abs(decoupled - coupled).max() > 1e-3


def test_adamw_default_weight_decay_is_one_hundredth():
    assert optim.AdamW([Tensor([1.0], requires_grad=True)]).defaults["weight_decay"] == 1e-2
    assert optim.Adam([Tensor([1.0], requires_grad=True)]).defaults["weight_decay"] == 0


def test_adam_first_step_moves_each_coordinate_by_lr():
    # Step 1: m_hat = g and v_hat = g^2, so the move is lr * g / (|g| + eps): lr against the sign of g.
    x = Tensor(np.array([3.0, -0.02, 1e3]), requires_grad=True)
    opt = optim.Adam([x], lr=0.01, eps=0.0)
    (x * x).sum().backward()
    opt.step()
    np.testing.assert_allclose(x.data, [2.99, -0.01, 999.99], rtol=1e-14)


def test_adamw_decays_a_zero_gradient_parameter_by_lr_times_decay():
    # g = 0 gives a zero Adam step, so only the decoupled decay moves theta: theta * (1 - lr * wd)
    x = Tensor(np.array([2.0, -4.0]), requires_grad=True)
    opt = optim.AdamW([x], lr=0.1, weight_decay=0.5)
    (x * 0.0).sum().backward()
    opt.step()
    np.testing.assert_allclose(x.data, [1.9, -3.8], rtol=1e-15)


def test_adamw_without_weight_decay_follows_adam_exactly():
    adamw = engine_path(lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.0))
    adam = engine_path(lambda p: optim.Adam(p, lr=0.1))
    assert np.array_equal(adamw, adam)
    assert np.abs(adam[-1] - X0).max() > 0.1  # the path moves, so a stray decay could show


def test_adam_float32_state_and_parameter_stay_float32():
    x = Tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    array = x.data
    opt = optim.Adam([x], lr=0.1, amsgrad=True, weight_decay=0.01)
    for _ in range(3):
        opt.zero_grad()
        (x * x).sum().backward()
        opt.step()
    assert x.data is array and x.data.dtype == np.float32
    assert {k: v.dtype for k, v in opt.state[x].items() if k != "step"} == {
        "exp_avg": np.float32, "exp_avg_sq": np.float32, "max_exp_avg_sq": np.float32}
    assert opt.state[x]["step"] == 3


@pytest.mark.parametrize("kwargs, error, message", [
    ({"lr": -1e-3}, ValueError, r"Adam: invalid lr=-0.001; it must be >= 0"),
    ({"betas": (1.0, 0.999)}, ValueError, r"invalid betas\[0\]=1.0; it must be in \[0, 1\)"),
    ({"betas": (0.9, -0.1)}, ValueError, r"invalid betas\[1\]=-0.1"),
    ({"betas": 0.9}, TypeError, r"betas must be a pair"),
    ({"eps": -1e-8}, ValueError, r"invalid eps"),
    ({"weight_decay": -0.1}, ValueError, r"invalid weight_decay"),
])
def test_adam_invalid_arguments_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        optim.Adam([Tensor([1.0], requires_grad=True)], **kwargs)


def test_adamw_invalid_betas_name_adamw():
    with pytest.raises(ValueError, match=r"AdamW: invalid betas\[0\]=-0.5"):
        optim.AdamW([Tensor([1.0], requires_grad=True)], betas=(-0.5, 0.9))
