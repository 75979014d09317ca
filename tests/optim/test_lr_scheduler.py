"""Learning-rate schedules: the lr sequence of each scheduler against its formula, stacked schedules (warm-up chains)
against PyTorch's step-by-step rules, OneCycleLR with its momentum cycle, state dicts and argument errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import optim
from autograd import Tensor
from optim import lr_scheduler as sched


def make_optimizer(lr: float = 0.1, kind=optim.SGD, **kwargs):
    return kind([Tensor(np.ones(2), requires_grad=True)], lr=lr, **kwargs)


def lr_sequence(optimizer, *schedulers, steps: int) -> list[float]:
    """The lr of group 0 at t = 0 (after construction) and after each of `steps` steps of every scheduler."""
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        optimizer.step()
        for s in schedulers:
            s.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def assert_sequence(got, expected):
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert len(set(np.round(expected, 12))) > 1  # the schedule changes the lr, so the comparison can fail


# --- each schedule against its formula ----------------------------------------------------------------------------
def test_step_lr_decays_every_step_size_steps():
    opt = make_optimizer(0.1)
    got = lr_sequence(opt, sched.StepLR(opt, step_size=3, gamma=0.5), steps=10)
    assert_sequence(got, [0.1 * 0.5 ** (t // 3) for t in range(11)])


def test_multistep_lr_decays_at_each_milestone_counting_repeats():
    opt = make_optimizer(1.0)
    got = lr_sequence(opt, sched.MultiStepLR(opt, milestones=[6, 2, 6], gamma=0.1), steps=8)
    assert_sequence(got, [1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 1e-3, 1e-3, 1e-3])


def test_exponential_lr_is_base_times_gamma_to_the_t():
    opt = make_optimizer(0.2)
    got = lr_sequence(opt, sched.ExponentialLR(opt, gamma=0.9), steps=12)
    assert_sequence(got, [0.2 * 0.9 ** t for t in range(13)])


def test_cosine_annealing_follows_the_cosine_and_rises_after_t_max():
    opt = make_optimizer(0.1)
    got = lr_sequence(opt, sched.CosineAnnealingLR(opt, T_max=5, eta_min=0.01), steps=13)
    expected = [0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t / 5)) / 2 for t in range(14)]
    assert_sequence(got, expected)
    assert got[5] == pytest.approx(0.01) and got[10] == pytest.approx(0.1)


def test_linear_lr_warm_up_hand_values():
    opt = make_optimizer(0.8)
    got = lr_sequence(opt, sched.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=3), steps=5)
    assert_sequence(got, [0.2, 0.4, 0.6, 0.8, 0.8, 0.8])


def test_linear_lr_defaults_start_at_a_third_over_five_steps():
    opt = make_optimizer(0.3)
    got = lr_sequence(opt, sched.LinearLR(opt), steps=6)
    assert_sequence(got, [0.3 * (1 / 3 + (2 / 3) * min(t, 5) / 5) for t in range(7)])


def test_lambda_lr_one_function_per_group():
    w, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 1.0}], lr=0.5)
    s = sched.LambdaLR(opt, [lambda t: 1 / (t + 1), lambda t: 0.5 ** t])
    for _ in range(4):
        s.step()
    assert s.get_last_lr() == pytest.approx([0.5 / 5, 1.0 * 0.5 ** 4])
    assert s.last_epoch == 4


def test_scheduler_scales_each_group_from_its_own_base_lr():
    w, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01}], lr=0.1)
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    s.step()
    s.step()
    assert s.get_last_lr() == pytest.approx([0.025, 0.0025])
    assert s.base_lrs == [0.1, 0.01]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]


def test_optimizer_steps_with_the_scheduled_lr():
    w = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    s = sched.LinearLR(opt, start_factor=0.1, total_iters=2)  # lr 0.1 at t = 0
    (w * 3.0).sum().backward()
    opt.step()
    assert w.data[0] == pytest.approx(1.0 - 0.1 * 3.0)
    s.step()  # lr 0.55
    opt.step()
    assert w.data[0] == pytest.approx(0.7 - 0.55 * 3.0)


# --- stacked schedules (warm-up chains) ---------------------------------------------------------------------------
def test_linear_warm_up_chained_with_exponential_decay_multiplies():
    opt = make_optimizer(0.1)
    warm, decay = sched.LinearLR(opt, start_factor=0.25, total_iters=4), sched.ExponentialLR(opt, gamma=0.9)
    got = lr_sequence(opt, warm, decay, steps=9)
    assert_sequence(got, [0.1 * (0.25 + 0.75 * min(t, 4) / 4) * 0.9 ** t for t in range(10)])


def test_linear_warm_up_chained_with_step_decay_multiplies():
    opt = make_optimizer(1.0)
    warm, decay = sched.LinearLR(opt, start_factor=0.5, total_iters=2), sched.StepLR(opt, step_size=2, gamma=0.1)
    got = lr_sequence(opt, warm, decay, steps=5)
    assert_sequence(got, [0.5, 0.75, 0.1, 0.1, 0.01, 0.01])


def test_linear_warm_up_chained_with_cosine_follows_pytorch_recursion():
    # PyTorch's step-by-step rules: LinearLR multiplies the current lr by f(t) / f(t - 1); CosineAnnealingLR maps it
    # to eta_min + (lr - eta_min) * (1 + cos(pi t / T)) / (1 + cos(pi (t - 1) / T)), or adds
    # (base - eta_min) * (1 - cos(pi / T)) / 2 when t - 1 - T is a multiple of 2T.
    base, start, warm_steps, T, eta_min = 0.1, 0.5, 4, 2, 0.01  # warm-up still going at t = T + 1
    opt = make_optimizer(base)
    warm = sched.LinearLR(opt, start_factor=start, total_iters=warm_steps)
    cosine = sched.CosineAnnealingLR(opt, T_max=T, eta_min=eta_min)
    got = lr_sequence(opt, warm, cosine, steps=12)

    def factor(t):
        return start + (1 - start) * min(t, warm_steps) / warm_steps

    lr, expected = base * start, [base * start]
    for t in range(1, 13):
        lr = lr * factor(t) / factor(t - 1)
        if (t - 1 - T) % (2 * T) == 0:
            lr = lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
        else:
            lr = eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        expected.append(lr)
    assert_sequence(got, expected)


def test_scheduler_alone_scales_a_manually_set_lr_by_its_own_factor():
    opt = make_optimizer(0.1)
    s = sched.ExponentialLR(opt, gamma=0.5)
    s.step()
    opt.param_groups[0]["lr"] = 1.0  # set by hand: the schedule continues from it
    s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5)


# --- OneCycleLR ---------------------------------------------------------------------------------------------------
def cos_anneal(start, end, pct):
    return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2


def test_one_cycle_cos_lr_and_momentum_against_formula():
    opt = make_optimizer(0.5, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)  # pct_start 0.3: rise to step 2, fall to step 9
    lrs, momenta = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        opt.step()
        s.step()
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
    low, high, final = 1.0 / 25, 1.0, 1.0 / 25 / 1e4
    expected_lr = [cos_anneal(low, high, t / 2) if t <= 2 else cos_anneal(high, final, (t - 2) / 7)
                   for t in range(10)]
    expected_momentum = [cos_anneal(0.95, 0.85, t / 2) if t <= 2 else cos_anneal(0.85, 0.95, (t - 2) / 7)
                         for t in range(10)]
    assert_sequence(lrs, expected_lr)
    assert_sequence(momenta, expected_momentum)
    assert lrs[0] == pytest.approx(0.04) and lrs[2] == pytest.approx(1.0) and lrs[9] == pytest.approx(4e-6)


def test_one_cycle_linear_three_phase_against_formula():
    opt = make_optimizer(0.5, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=2.0, epochs=2, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
                         three_phase=True, div_factor=10.0, final_div_factor=100.0)
    got = lr_sequence(opt, s, steps=19)
    low, high, final = 0.2, 2.0, 0.002  # phases end at steps 4, 8 and 19

    def linear(start, end, pct):
        return start + (end - start) * pct

    expected = [linear(low, high, t / 4) if t <= 4 else linear(high, low, (t - 4) / 4) if t <= 8
                else linear(low, final, (t - 8) / 11) for t in range(20)]
    assert_sequence(got, expected)


def test_one_cycle_cycles_adam_beta1_and_keeps_beta2():
    opt = make_optimizer(0.5, kind=optim.Adam, betas=(0.9, 0.99))
    s = sched.OneCycleLR(opt, max_lr=0.1, total_steps=10, base_momentum=0.8, max_momentum=0.9)
    assert opt.param_groups[0]["betas"] == (0.9, 0.99)
    s.step()
    s.step()
    assert opt.param_groups[0]["betas"] == pytest.approx((0.8, 0.99))


def test_one_cycle_stepping_past_total_steps_raises():
    opt = make_optimizer(momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        s.step()
    with pytest.raises(ValueError, match="stepped 4 times but the cycle has total_steps=3"):
        s.step()


def test_one_cycle_needs_momentum_to_cycle_it():
    opt = make_optimizer(kind=optim.Adagrad)
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer with momentum or betas, and "
                                         "Adagrad has neither; pass cycle_momentum=False"):
        sched.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    s = sched.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)
    assert s.get_last_lr() == pytest.approx([0.004])


def test_one_cycle_needs_a_length():
    with pytest.raises(ValueError, match="give total_steps, or both epochs and steps_per_epoch"):
        sched.OneCycleLR(make_optimizer(momentum=0.9), max_lr=0.1, epochs=3)


# --- state dicts and resuming -------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda o: sched.StepLR(o, step_size=2, gamma=0.5),
    lambda o: sched.CosineAnnealingLR(o, T_max=6, eta_min=0.001),
    lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=12),
    lambda o: sched.LambdaLR(o, lambda t: 0.9 ** t),
], ids=["step", "cosine", "one_cycle", "lambda"])
def test_scheduler_state_dict_round_trip_continues_the_sequence(make):
    opt = make_optimizer(0.1, momentum=0.9)
    s = make(opt)
    for _ in range(4):
        s.step()
    saved_opt, saved = opt.state_dict(), s.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 4
    rest = lr_sequence(opt, s, steps=5)

    other = make_optimizer(0.1, momentum=0.9)
    other_s = make(other)
    other.load_state_dict(saved_opt)
    other_s.load_state_dict(saved)
    assert lr_sequence(other, other_s, steps=5) == rest


@pytest.mark.parametrize("make", [
    lambda o: sched.StepLR(o, step_size=2, gamma=0.5),
    lambda o: sched.LambdaLR(o, lambda t: 0.9 ** t),
], ids=["step", "lambda"])
def test_scheduler_loads_an_old_state_dict_with_a_step_count(make):
    opt = make_optimizer(0.1)
    s = make(opt)
    for _ in range(3):
        s.step()
    saved = s.state_dict()
    assert "_step_count" not in saved
    old = dict(saved, _step_count=4)  # what older versions saved beside last_epoch
    other_opt = make_optimizer(0.1)
    other = make(other_opt)
    other_opt.load_state_dict(opt.state_dict())
    other.load_state_dict(old)
    assert not hasattr(other, "_step_count") and other.last_epoch == 3
    other.step()
    s.step()
    assert other.get_last_lr() == s.get_last_lr()


def test_lambda_lr_state_dict_saves_callable_object_attributes():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, t):
            return self.rate ** t

    opt = make_optimizer(1.0)
    s = sched.LambdaLR(opt, Decay(0.5))
    saved = s.state_dict()
    assert saved["lr_lambdas"] == [{"rate": 0.5}]
    fresh = Decay(0.9)
    other = sched.LambdaLR(make_optimizer(1.0), fresh)
    other.load_state_dict(saved)
    assert fresh.rate == 0.5


def test_resuming_with_last_epoch_continues_the_closed_form():
    opt = make_optimizer(0.1 * 0.5 ** 3)  # as restored from a checkpoint taken at t = 3
    opt.param_groups[0]["initial_lr"] = 0.1
    s = sched.ExponentialLR(opt, gamma=0.5, last_epoch=3)  # its first step is t = 4
    assert s.last_epoch == 4 and s.get_last_lr() == pytest.approx([0.1 * 0.5 ** 4])
    assert s.base_lrs == [0.1]


def test_resuming_without_initial_lr_raises():
    with pytest.raises(ValueError, match="resuming with last_epoch=3 needs 'initial_lr' in parameter group 0"):
        sched.StepLR(make_optimizer(), step_size=2, last_epoch=3)


# --- argument errors ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, message", [
    (lambda o: sched.StepLR(o, step_size=0), ValueError, "StepLR: step_size must be an integer >= 1, got 0"),
    (lambda o: sched.MultiStepLR(o, milestones=[2, -1]), ValueError, "each milestone must be an integer >= 0"),
    (lambda o: sched.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be an integer >= 1"),
    (lambda o: sched.LinearLR(o, start_factor=0.0), ValueError, r"start_factor must be in \(0, 1\], got 0.0"),
    (lambda o: sched.LinearLR(o, end_factor=1.5), ValueError, r"end_factor must be in \[0, 1\], got 1.5"),
    (lambda o: sched.LambdaLR(o, [lambda t: 1.0, lambda t: 1.0]), ValueError, "one lr_lambda per parameter group"),
    (lambda o: sched.LambdaLR(o, 0.5), TypeError, "lr_lambda must be a function"),
    (lambda o: sched.LambdaLR(o, [2.0]), TypeError, "lr_lambda must be a function.*got float 2.0"),
    (lambda o: sched.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=10), ValueError,
     r"OneCycleLR: expected one max_lr per parameter group \(1\) or one for all of them, got 2"),
    (lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be 'cos' or 'linear'"),
    (lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5), ValueError, "pct_start must be in"),
    (lambda o: sched.ExponentialLR(object(), gamma=0.5), TypeError, "ExponentialLR: expected an optim.Optimizer"),
])
def test_scheduler_invalid_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make(make_optimizer(momentum=0.9))


@pytest.mark.parametrize("make, message", [
    (lambda o: sched.StepLR(o, step_size=2.0), r"StepLR: step_size must be an integer, got float 2.0"),
    (lambda o: sched.StepLR(o, step_size=True), r"StepLR: step_size must be an integer, got bool True"),
    (lambda o: sched.ExponentialLR(o, gamma="0.5"), r"ExponentialLR: gamma must be a number, got str '0.5'"),
    (lambda o: sched.LinearLR(o, start_factor=None), r"LinearLR: start_factor must be a number, got NoneType"),
    (lambda o: sched.OneCycleLR(o, max_lr=["x"], total_steps=10), r"max_lr must be a number, got str"),
    (lambda o: sched.ExponentialLR(o, gamma=0.5, last_epoch=1.0), r"last_epoch must be an integer, got float"),
])
def test_scheduler_argument_of_wrong_type_raises_type_error(make, message):
    with pytest.raises(TypeError, match=message):
        make(make_optimizer(momentum=0.9))


def test_scheduler_and_optimizer_raise_the_same_errors_for_the_same_mistakes():
    with pytest.raises(TypeError, match="must be a number, got str"):
        optim.SGD([Tensor(np.zeros(2))], lr="0.1")
    with pytest.raises(TypeError, match="must be a number, got str"):
        sched.ExponentialLR(make_optimizer(), gamma="0.1")
    with pytest.raises(ValueError, match="it must be >= 0"):
        optim.SGD([Tensor(np.zeros(2))], lr=-0.1)
    with pytest.raises(ValueError, match="must be an integer >= 1, got -1"):
        sched.StepLR(make_optimizer(), step_size=-1)
