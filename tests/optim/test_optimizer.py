"""The Optimizer base: parameter groups, zero_grad, step with a closure, state_dict round trips, argument errors,
and a tiny model trained by every optimizer."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import optim
from autograd import Tensor, Value
from autograd.errors import BackwardError, ShapeError

ALL = {
    "SGD": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Adam": lambda p: optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=1e-3),
    "AdamW": lambda p: optim.AdamW(p, lr=0.05),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True, weight_decay=1e-3),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.3, lr_decay=1e-3, initial_accumulator_value=0.1),
}


def make_params(seed: int = 0) -> list[Tensor]:
    rng = np.random.default_rng(seed)
    return [Tensor(rng.normal(size=(3, 2)), requires_grad=True), Tensor(rng.normal(size=2), requires_grad=True)]


def regression_loss(params: list[Tensor]) -> Tensor:
    """Mean squared error of a linear model y = x W + b on fixed data from a known W, b."""
    rng = np.random.default_rng(42)
    x = rng.normal(size=(16, 3))
    y = x @ np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]]) + np.array([0.3, -0.7])
    w, b = params
    diff = Tensor(x) @ w + b - Tensor(y)
    return (diff * diff).mean()


def train(optimizer, params, steps: int) -> None:
    for _ in range(steps):
        optimizer.zero_grad()
        regression_loss(params).backward()
        optimizer.step()


# --- a tiny model trained by each optimizer -----------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ALL))
def test_tiny_linear_model_loss_decreases(name):
    params = make_params()
    start = regression_loss(params).item()
    optimizer = ALL[name](params)
    train(optimizer, params, 150)
    end = regression_loss(params).item()
    assert start > 5.0
    assert end < 0.002 * start, f"{name}: loss went from {start} to {end}"


# --- parameter groups ---------------------------------------------------------------------------------------------
def test_param_groups_take_defaults_and_their_own_overrides():
    w, b = make_params()
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0, 0.9]
    assert opt.param_groups[0]["params"] == [w] and opt.param_groups[1]["params"] == [b]


def test_each_group_steps_with_its_own_learning_rate():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1)
    ((w * w).sum() + (b * b).sum()).backward()
    opt.step()
    np.testing.assert_allclose(w.data, [1.0 - 0.1 * 2.0, 2.0 - 0.1 * 4.0])
    np.testing.assert_allclose(b.data, [3.0 - 0.5 * 6.0])


def test_changing_group_lr_takes_effect_on_next_step():
    w = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 2.0).sum().backward()
    opt.param_groups[0]["lr"] = 0.25
    opt.step()
    assert w.data[0] == pytest.approx(1.0 - 0.25 * 2.0)


def test_add_param_group_appends_a_group_with_defaults():
    w, b = make_params()
    opt = optim.Adam([w], lr=0.01, betas=(0.8, 0.9))
    opt.add_param_group({"params": [b], "lr": 0.1})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.8, 0.9)


def test_add_param_group_validates_its_hyperparameters():
    w, b = make_params()
    opt = optim.Adam([w])
    with pytest.raises(ValueError, match=r"Adam: invalid lr=-1 in parameter group 1; it must be >= 0"):
        opt.add_param_group({"params": [b], "lr": -1})
    assert len(opt.param_groups) == 1


# --- zero_grad and step -------------------------------------------------------------------------------------------
def test_zero_grad_sets_tensor_grads_to_none_by_default():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)
    regression_loss(params).backward()
    assert all(p.grad is not None for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_without_set_to_none_gives_zero_arrays():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)
    regression_loss(params).backward()
    opt.zero_grad(set_to_none=False)
    for p in params:
        assert p.grad.shape == p.shape and not p.grad.data.any()


def test_zero_grad_sets_value_grad_to_zero_float():
    v = Value(2.0)
    opt = optim.SGD([v], lr=0.1)
    (v * v).backward()
    assert v.grad == 4.0
    opt.zero_grad()
    assert v.grad == 0.0 and isinstance(v.grad, float)


def test_step_with_closure_returns_its_loss_and_records_under_no_grad():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)
    before = [p.data.copy() for p in params]
    calls = []

    def closure():
        opt.zero_grad()
        loss = regression_loss(params)
        loss.backward()  # needs grad mode: step turns it on for the closure
        calls.append(loss.item())
        return loss

    with ag.no_grad():
        returned = opt.step(closure)
    assert len(calls) == 1 and returned.item() == calls[0]
    assert all(np.abs(p.data - q).max() > 0 for p, q in zip(params, before))


def test_step_runs_without_recording_and_restores_grad_mode():
    w = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert ag.is_grad_enabled()
    assert w.is_leaf and w.grad_fn is None


def test_step_without_closure_returns_none():
    w = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    assert opt.step() is None


def test_backward_through_a_graph_saved_before_step_raises():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(BackwardError, match="modified by an in-place operation"):
        loss.backward()


# --- state_dict ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ALL))
def test_state_dict_round_trip_continues_exactly_like_the_original(name):
    params = make_params()
    original = ALL[name](params)
    train(original, params, 3)
    saved = original.state_dict()

    copies = [Tensor(p.data.copy(), requires_grad=True) for p in params]
    restored = ALL[name](copies)
    restored.load_state_dict(saved)
    train(original, params, 4)
    train(restored, copies, 4)
    for p, q in zip(params, copies):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_layout_matches_pytorch():
    w, b = make_params()
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    regression_loss([w, b]).backward()
    opt.step()
    saved = opt.state_dict()
    assert set(saved) == {"state", "param_groups"}
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in saved["param_groups"]] == [0.1, 0.5]
    assert set(saved["state"]) == {0, 1}
    buffer = saved["state"][0]["momentum_buffer"]
    assert isinstance(buffer, np.ndarray) and buffer.shape == w.shape


def test_state_dict_buffers_are_copies():
    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    train(opt, params, 1)
    saved = opt.state_dict()
    snapshot = saved["state"][0]["exp_avg"].copy()
    train(opt, params, 2)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], snapshot)
    assert saved["state"][0]["step"] == 1


def test_load_state_dict_restores_hyperparameters_in_the_same_group_dicts():
    params = make_params()
    saved = optim.SGD(params, lr=0.3, momentum=0.5).state_dict()
    opt = optim.SGD(params, lr=0.1)
    group = opt.param_groups[0]
    opt.load_state_dict(saved)
    assert opt.param_groups[0] is group
    assert group["lr"] == 0.3 and group["momentum"] == 0.5 and group["params"] == params


def test_load_state_dict_casts_buffers_to_the_parameter_dtype():
    params = make_params()
    opt = optim.Adam(params)
    train(opt, params, 1)
    saved = opt.state_dict()
    floats = [Tensor(p.data.astype(np.float32), requires_grad=True) for p in params]
    other = optim.Adam(floats)
    other.load_state_dict(saved)
    assert other.state[floats[0]]["exp_avg"].dtype == np.float32


def test_load_state_dict_with_wrong_group_count_raises():
    w, b = make_params()
    saved = optim.SGD([{"params": [w]}, {"params": [b]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="the state dict has 2 parameter groups but this optimizer has 1"):
        optim.SGD([w, b], lr=0.1).load_state_dict(saved)


def test_load_state_dict_with_wrong_parameter_count_raises():
    w, b = make_params()
    saved = optim.SGD([w, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="parameter group 0 has 2 parameters in the state dict but 1 in this"):
        optim.SGD([w], lr=0.1).load_state_dict(saved)


def test_load_state_dict_with_wrong_buffer_shape_raises_before_changing_anything():
    w, b = make_params()
    opt = optim.SGD([w, b], lr=0.1, momentum=0.9)
    train(opt, [w, b], 1)
    saved = opt.state_dict()
    other_w = Tensor(np.zeros((2, 3)), requires_grad=True)
    target = optim.SGD([other_w, b], lr=0.7)
    with pytest.raises(ShapeError, match=r"state 'momentum_buffer' of parameter 0 has shape \(3, 2\) but the "
                                         r"parameter has shape \(2, 3\)"):
        target.load_state_dict(saved)
    assert target.param_groups[0]["lr"] == 0.7 and not target.state


def test_load_state_dict_of_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="expected a dict with 'state' and 'param_groups'"):
        optim.SGD(make_params(), lr=0.1).load_state_dict({"lr": 0.1})


# --- argument errors ----------------------------------------------------------------------------------------------
def test_empty_parameter_list_raises():
    with pytest.raises(ValueError, match="SGD: optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)


def test_used_up_generator_raises_with_the_fix():
    params = make_params()
    generator = (p for p in params)
    optim.SGD(generator, lr=0.1)
    with pytest.raises(ValueError, match=r"optimizer got an empty parameter list; if you passed "
                                         r"model.parameters\(\) twice, the generator was used up: pass "
                                         r"list\(model.parameters\(\)\)"):
        optim.Adam(generator)


def test_generator_of_parameters_is_accepted_once():
    params = make_params()
    opt = optim.SGD((p for p in params), lr=0.1)
    assert opt.param_groups[0]["params"] == params


def test_integer_tensor_parameter_raises_type_error():
    with pytest.raises(TypeError, match="can only optimize float Tensors and Values, but parameter 1 of group 0 is "
                                        "a Tensor of dtype int64"):
        optim.SGD([Tensor([1.0], requires_grad=True), Tensor(np.array([1, 2]))], lr=0.1)


def test_non_parameter_object_raises_type_error():
    with pytest.raises(TypeError, match="parameter 0 of group 0 is a ndarray"):
        optim.Adam([np.zeros(3)])


def test_non_leaf_tensor_raises_value_error():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="parameter 0 of group 0 is not a leaf Tensor"):
        optim.SGD([w * 2.0], lr=0.1)


def test_same_parameter_in_two_groups_raises():
    w, b = make_params()
    with pytest.raises(ValueError, match="parameter group 1 shares parameters with group 0"):
        optim.SGD([{"params": [w, b]}, {"params": [b]}], lr=0.1)


def test_same_parameter_twice_in_one_group_raises():
    w, _ = make_params()
    with pytest.raises(ValueError, match="parameter 1 of group 0 appears twice"):
        optim.SGD([w, w], lr=0.1)


def test_single_tensor_instead_of_a_list_raises_type_error():
    w, _ = make_params()
    with pytest.raises(TypeError, match=r"got a single Tensor; wrap it in a list"):
        optim.SGD(w, lr=0.1)


def test_set_of_parameters_raises_type_error():
    w, b = make_params()
    with pytest.raises(TypeError, match="got a set, whose order changes between runs"):
        optim.SGD({w, b}, lr=0.1)


def test_group_without_params_key_raises():
    with pytest.raises(ValueError, match="parameter group 0 has no 'params' entry"):
        optim.SGD([{"lr": 0.1}], lr=0.1)


def test_mixed_parameters_and_group_dicts_raise_type_error():
    w, b = make_params()
    with pytest.raises(TypeError, match="mixes parameters and group dicts"):
        optim.SGD([w, {"params": [b]}], lr=0.1)


def test_hyperparameters_are_checked_before_parameters():
    with pytest.raises(ValueError, match="invalid lr=-1"):
        optim.SGD([], lr=-1)


def test_repr_lists_each_group():
    text = repr(optim.SGD([{"params": make_params()[:1]}, {"params": make_params(1)[1:], "lr": 0.5}], lr=0.1))
    assert text.startswith("SGD (") and "Parameter Group 1" in text and "lr: 0.5" in text


def test_optim_exports_the_optimizers_and_schedulers():
    assert set(optim.__all__) >= {"Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"}
    assert issubclass(optim.AdamW, optim.Adam) and issubclass(optim.SGD, optim.Optimizer)
    assert callable(optim.lr_scheduler.OneCycleLR)
