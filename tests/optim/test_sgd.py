"""SGD against its update rule written out by hand: on a quadratic whose gradients come from backward, and on
one-dimensional cases worked out on paper."""
from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Tensor
from quadratic import A, B, X0, engine_path


def sgd_by_hand(steps: int = 6, lr: float = 0.1, momentum: float = 0.0, dampening: float = 0.0,
                nesterov: bool = False, weight_decay: float = 0.0, maximize: bool = False) -> np.ndarray:
    x, buf, path = X0.copy(), None, []
    for _ in range(steps):
        g = A @ x - B
        if maximize:
            g = -g
        g = g + weight_decay * x
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        x = x - lr * g
        path.append(x)
    return np.array(path)


@pytest.mark.parametrize("options", [
    {},
    {"momentum": 0.9},
    {"momentum": 0.8, "dampening": 0.3},
    {"momentum": 0.9, "nesterov": True},
    {"weight_decay": 0.1},
    {"momentum": 0.5, "weight_decay": 0.05, "maximize": True},
    {"maximize": True},
], ids=["plain", "momentum", "dampening", "nesterov", "weight_decay", "maximize_momentum_decay", "maximize"])
def test_sgd_trajectory_matches_update_rule(options):
    got = engine_path(lambda p: optim.SGD(p, lr=0.1, **options), steps=6)
    np.testing.assert_allclose(got, sgd_by_hand(lr=0.1, **options), rtol=1e-12, atol=1e-12)


def test_sgd_variants_change_the_trajectory():
    plain = engine_path(lambda p: optim.SGD(p, lr=0.1), steps=6)
    for options in ({"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"momentum": 0.8, "dampening": 0.3},
                    {"weight_decay": 0.1}):
        assert np.abs(engine_path(lambda p: optim.SGD(p, lr=0.1, **options), steps=6) - plain).max() > 1e-3


def test_sgd_momentum_on_half_square_hand_values():
    # f = x^2 / 2, x0 = 1, lr 0.1, momentum 0.9: b1 = 1, x1 = 0.9; b2 = 0.9 * 1 + 0.9 = 1.8, x2 = 0.9 - 0.18 = 0.72
    x = Tensor([1.0], dtype=np.float64, requires_grad=True)
    opt = optim.SGD([x], lr=0.1, momentum=0.9)
    values = []
    for _ in range(2):
        opt.zero_grad()
        (0.5 * x * x).sum().backward()
        opt.step()
        values.append(x.data[0])
    assert values == pytest.approx([0.9, 0.72], abs=1e-15)


def test_sgd_nesterov_on_half_square_hand_values():
    # f = x^2 / 2, x0 = 1, lr 0.1, momentum 0.5, nesterov: b1 = 1, step g + 0.5 b = 1.5, x1 = 0.85;
    # g2 = 0.85, b2 = 0.5 + 0.85 = 1.35, step 0.85 + 0.675 = 1.525, x2 = 0.85 - 0.1525 = 0.6975
    x = Tensor([1.0], dtype=np.float64, requires_grad=True)
    opt = optim.SGD([x], lr=0.1, momentum=0.5, nesterov=True)
    values = []
    for _ in range(2):
        opt.zero_grad()
        (0.5 * x * x).sum().backward()
        opt.step()
        values.append(x.data[0])
    assert values == pytest.approx([0.85, 0.6975], abs=1e-15)


def test_sgd_float32_update_in_place_keeps_dtype():
    x = Tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    array = x.data
    opt = optim.SGD([x], lr=0.5, momentum=0.9, weight_decay=0.1)
    (x * x).sum().backward()
    opt.step()
    assert x.data is array
    assert x.data.dtype == np.float32
    assert opt.state[x]["momentum_buffer"].dtype == np.float32
    # g = 2x + 0.1x = 2.1x, x1 = x - 0.5 * 2.1 x = -0.05 x
    np.testing.assert_allclose(x.data, [-0.05, 0.1], rtol=1e-6)


def test_sgd_does_not_modify_the_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([x], lr=0.1, momentum=0.9, weight_decay=0.5, maximize=True)
    (x * x).sum().backward()
    before = x.grad.data.copy()
    opt.step()
    opt.step()
    np.testing.assert_array_equal(x.grad.data, before)


def test_sgd_skips_parameters_without_grad():
    used = Tensor(np.array([1.0]), requires_grad=True)
    unused = Tensor(np.array([5.0]), requires_grad=True)
    opt = optim.SGD([used, unused], lr=0.1, momentum=0.9)
    (used * 3.0).sum().backward()
    opt.step()
    assert unused.data[0] == 5.0 and unused not in opt.state
    assert used.data[0] == pytest.approx(1.0 - 0.3)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -0.1}, "invalid lr=-0.1"),
    ({"momentum": -0.5}, "invalid momentum=-0.5"),
    ({"weight_decay": -1e-4}, "invalid weight_decay"),
    ({"dampening": 1.5}, "invalid dampening=1.5"),
    ({"lr": float("nan")}, "invalid lr=nan"),
    ({"nesterov": True}, "nesterov=True needs momentum > 0 and dampening=0"),
    ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov=True needs momentum > 0 and dampening=0"),
])
def test_sgd_invalid_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        optim.SGD([Tensor([1.0], requires_grad=True)], **kwargs)


def test_sgd_lr_of_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="SGD: lr must be a number, got str"):
        optim.SGD([Tensor([1.0], requires_grad=True)], lr="0.1")
