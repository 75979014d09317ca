"""Value parameters: the same optimizers train the scalar engine, following the same trajectories as on Tensors."""
from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Tensor, Value

# f(u, v) = 0.5 [u v] A [u v]^T - b . [u v], written once with Values and once with a Tensor
A = np.array([[3.0, 0.5], [0.5, 2.0]])
B = np.array([1.0, -2.0])
START = (0.5, -1.0)

CASES = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd_momentum_decay": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.05),
    "sgd_nesterov_maximize": lambda p: optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, maximize=True),
    "adam": lambda p: optim.Adam(p, lr=0.1),
    "adam_amsgrad_decay": lambda p: optim.Adam(p, lr=0.1, betas=(0.9, 0.5), amsgrad=True, weight_decay=0.1),
    "adamw": lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.2),
    "rmsprop_centered": lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.1),
}


def value_path(make_optimizer, steps: int = 8) -> np.ndarray:
    u, v = Value(START[0], label="u"), Value(START[1], label="v")
    optimizer = make_optimizer([u, v])
    path = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = 0.5 * (A[0, 0] * u * u + (A[0, 1] + A[1, 0]) * u * v + A[1, 1] * v * v) - (B[0] * u + B[1] * v)
        loss.backward()
        optimizer.step()
        path.append([u.data, v.data])
    return np.array(path)


def tensor_path(make_optimizer, steps: int = 8) -> np.ndarray:
    u = Tensor(np.array(START[0]), requires_grad=True)
    v = Tensor(np.array(START[1]), requires_grad=True)
    optimizer = make_optimizer([u, v])
    path = []
    for _ in range(steps):
        optimizer.zero_grad()
        x = Tensor(np.zeros(2)) + np.array([1.0, 0.0]) * u + np.array([0.0, 1.0]) * v
        loss = 0.5 * (x @ (Tensor(A) @ x)) - (x * Tensor(B)).sum()
        loss.backward()
        optimizer.step()
        path.append([u.data.item(), v.data.item()])
    return np.array(path)


@pytest.mark.parametrize("name", list(CASES))
def test_value_parameters_follow_the_tensor_trajectory(name):
    path = value_path(CASES[name])
    np.testing.assert_allclose(path, tensor_path(CASES[name]), rtol=1e-12, atol=1e-12)
    moves = np.abs(np.diff(np.vstack([START, path]), axis=0)).max(axis=1)
    assert moves.min() > 1e-5  # every step moved, so the comparison above compares something


def test_value_sgd_step_hand_value():
    # f = w^2 at w = 3: grad 6, w <- 3 - 0.1 * 6 = 2.4
    w = Value(3.0)
    opt = optim.SGD([w], lr=0.1)
    (w * w).backward()
    opt.step()
    assert w.data == pytest.approx(2.4, abs=1e-15) and isinstance(w.data, float)


def test_backward_through_a_value_graph_saved_before_step_raises():
    from autograd import BackwardError
    w = Value(2.0)
    loss = w * w
    loss.backward(retain_graph=True)
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(BackwardError, match="modified by an in-place operation"):
        loss.backward()


def test_value_state_buffers_are_zero_dimensional_float64():
    w = Value(3.0)
    opt = optim.Adam([w], lr=0.1, amsgrad=True)
    (w * w).backward()
    opt.step()
    assert {k: (v.shape, v.dtype) for k, v in opt.state[w].items() if k != "step"} == {
        "exp_avg": ((), np.float64), "exp_avg_sq": ((), np.float64), "max_exp_avg_sq": ((), np.float64)}


def test_value_optimizer_state_dict_round_trip():
    first = [Value(0.5), Value(-1.0)]
    opt = optim.Adam(first, lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (first[0] * first[0] + first[0] * first[1] * 3.0).backward()
        opt.step()
    second = [Value(p.data) for p in first]
    restored = optim.Adam(second, lr=0.1)
    restored.load_state_dict(opt.state_dict())
    for params, optimizer in ((first, opt), (second, restored)):
        for _ in range(3):
            optimizer.zero_grad()
            (params[0] * params[0] + params[0] * params[1] * 3.0).backward()
            optimizer.step()
    assert [p.data for p in first] == [p.data for p in second]


def test_scalar_neuron_trained_with_adam_fits_its_data():
    # y = tanh(w x + c) fit to points made with w = 1.5, c = -0.5
    xs = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]
    ys = [np.tanh(1.5 * x - 0.5) for x in xs]
    w, c = Value(0.1, label="w"), Value(0.0, label="c")
    opt = optim.Adam([w, c], lr=0.05)

    def loss_value() -> Value:
        total = Value(0.0, requires_grad=False)
        for x, y in zip(xs, ys):
            error = (w * x + c).tanh() - y
            total = total + error * error
        return total

    start = loss_value().data
    for _ in range(300):
        opt.zero_grad()
        loss_value().backward()
        opt.step()
    assert start > 1.0
    assert loss_value().data < 1e-4
    assert (w.data, c.data) == pytest.approx((1.5, -0.5), abs=0.02)


def test_value_computed_by_an_op_is_rejected():
    w = Value(1.0)
    with pytest.raises(ValueError, match="parameter 0 of group 0 is not a leaf Value"):
        optim.SGD([w * 2.0], lr=0.1)
