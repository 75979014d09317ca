"""Losses: fused cross-entropy against its composite twin, hand values, stability, gradients by central differences."""
from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor
from autograd.errors import DTypeError, ShapeError
from nn import functional as F

RNG = np.random.default_rng(3)


def _x(*shape, scale=1.0):
    return Tensor(RNG.standard_normal(shape) * scale, requires_grad=True)


# --- the composite twin of cross_entropy: log_softmax and a gather, written with Tensor ops ---------------------------
def twin_cross_entropy(x, target, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    C = x.shape[1]
    rows = x.transpose((0,) + tuple(range(2, x.ndim)) + (1,)).reshape((-1, C)) if x.ndim > 2 else x
    logp = rows - rows.logsumexp(axis=1, keepdims=True)
    t = np.asarray(target).reshape(-1)
    valid = t != ignore_index
    picked = logp[np.arange(t.size), np.where(valid, t, 0)]
    losses = -(1 - label_smoothing) * picked - label_smoothing * logp.mean(axis=1)
    losses = losses * valid.astype(x.dtype)
    if reduction == "none":
        return losses.reshape(np.shape(target))
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / valid.sum()


CE_CASES = [
    ((5, 4), [0, 3, 1, 2, 2], {}),
    ((5, 4), [0, 3, -100, 2, 2], {}),
    ((5, 4), [0, 3, 1, 7, 2], {"ignore_index": 7}),
    ((5, 4), [0, 3, 1, 2, 2], {"label_smoothing": 0.2}),
    ((5, 4), [0, -100, 1, 2, 2], {"label_smoothing": 0.1}),
    ((2, 3, 4, 2), [[[0, 1], [2, 0], [1, 1], [2, 2]], [[0, 0], [1, 2], [2, 1], [-100, 0]]], {}),
    ((2, 3, 4), [[0, 1, 2, 0], [2, 2, 1, 0]], {"label_smoothing": 0.3}),
]
CE_IDS = ["plain", "ignored", "ignore7", "smooth", "smooth+ignored", "spatial", "sequence+smooth"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape, target, kw", CE_CASES, ids=CE_IDS)
def test_cross_entropy_matches_its_twin_in_values_and_gradients(shape, target, kw, reduction):
    data = RNG.standard_normal(shape)
    results = []
    for fn in (F.cross_entropy, twin_cross_entropy):
        x = Tensor(data, requires_grad=True)
        loss = fn(x, np.array(target), reduction=reduction, **kw)
        weights = np.linspace(0.5, 1.5, loss.size).reshape(loss.shape)  # a non-uniform upstream gradient
        (loss * Tensor(weights)).sum().backward()
        results.append((loss.data, x.grad.data))
    assert results[0][0].shape == results[1][0].shape
    assert np.allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-12)
    assert np.allclose(results[0][1], results[1][1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("shape, target, kw", CE_CASES[1:2] + CE_CASES[4:], ids=CE_IDS[1:2] + CE_IDS[4:])
def test_cross_entropy_gradcheck_and_gradgradcheck(shape, target, kw, reduction):
    x = _x(*shape)
    fn = lambda x: F.cross_entropy(x, np.array(target), reduction=reduction, **kw)  # noqa: E731
    assert ag.gradcheck(fn, (x,))
    assert ag.gradgradcheck(fn, (x,))


def test_cross_entropy_equals_nll_loss_of_log_softmax():
    data, t = RNG.standard_normal((2, 5, 3)), np.array([[0, 4, 2], [1, -100, 3]])
    grads = []
    for fn in (lambda x: F.cross_entropy(x, t), lambda x: F.nll_loss(F.log_softmax(x, axis=1), t)):
        x = Tensor(data, requires_grad=True)
        loss = fn(x)
        loss.backward()
        grads.append((loss.item(), x.grad.data))
    assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-13)
    assert np.allclose(grads[0][1], grads[1][1], rtol=1e-12, atol=1e-14)


def test_cross_entropy_hand_values():
    # uniform logits over C classes: loss = log C; gradient = (1/C - onehot) / N
    x = Tensor(np.zeros((2, 4)), requires_grad=True)
    loss = F.cross_entropy(x, [1, 3])
    assert loss.item() == pytest.approx(math.log(4), abs=1e-15)
    loss.backward()
    assert np.allclose(x.grad.data, [[0.125, -0.375, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]])


def test_cross_entropy_label_smoothing_hand_value():
    # logits (0, log 3): p = (1/4, 3/4); target 1 with e = 0.5: 0.75 * -log(3/4) + 0.25 * -log(1/4)
    loss = F.cross_entropy(Tensor(np.array([[0.0, math.log(3)]])), [1], label_smoothing=0.5)
    assert loss.item() == pytest.approx(-0.75 * math.log(0.75) - 0.25 * math.log(0.25), abs=1e-14)


def test_cross_entropy_huge_logits_give_finite_loss_and_gradients():
    for dtype in (np.float32, np.float64):
        x = Tensor(np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]], dtype), requires_grad=True)
        loss = F.cross_entropy(x, [2, 1])
        loss.backward()
        assert loss.item() == pytest.approx(2e4 / 2, rel=1e-6)  # the first sample is off by 2e4, the second right
        assert np.all(np.isfinite(x.grad.data)) and x.grad.dtype == dtype
        assert np.allclose(x.grad.data, [[0.5, 0.0, -0.5], [0.0, 0.0, 0.0]])


def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient():
    x = _x(2, 3)
    loss = F.cross_entropy(x, [-100, -100])
    loss.backward()
    assert math.isnan(loss.item()) and np.all(x.grad.data == 0)


def test_cross_entropy_class_probability_targets():
    x = _x(3, 4)
    q = F.softmax(Tensor(RNG.standard_normal((3, 4)))).data
    logp = x.data - np.log(np.exp(x.data).sum(1, keepdims=True))
    assert F.cross_entropy(x, q).item() == pytest.approx(-(q * logp).sum(1).mean(), rel=1e-12)
    assert ag.gradcheck(lambda x: F.cross_entropy(x, q, reduction="sum", label_smoothing=0.1), (x,))
    unnormalised = RNG.random((3, 4))  # PyTorch does not require the rows to sum to 1: -sum(q log p) all the same
    assert F.cross_entropy(x, unnormalised, reduction="sum").item() == pytest.approx(-(unnormalised * logp).sum())
    assert ag.gradcheck(lambda x: F.cross_entropy(x, unnormalised), (x,))
    assert ag.gradgradcheck(lambda x: F.cross_entropy(x, unnormalised), (x,))
    onehot = np.eye(4)[[0, 2, 1]]
    assert F.cross_entropy(x, onehot).item() == pytest.approx(F.cross_entropy(x, [0, 2, 1]).item(), rel=1e-12)


def test_cross_entropy_single_sample():
    x = _x(5)
    assert F.cross_entropy(x, 2).item() == pytest.approx(F.cross_entropy(x.reshape((1, 5)), [2]).item())
    assert F.cross_entropy(x, 2, reduction="none").shape == ()


def test_cross_entropy_keeps_float32_and_saves_no_copy_of_the_logits():
    x = Tensor(RNG.standard_normal((4096, 10)).astype(np.float32), requires_grad=True)
    labels = RNG.integers(0, 10, 4096)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        loss = F.cross_entropy(x, labels)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
    # the shifted logits and the probabilities (two (N, C) float32 arrays) plus O(N) vectors
    assert peak < 2.6 * x.data.nbytes


def test_cross_entropy_errors_name_the_problem():
    x = _x(3, 4)
    with pytest.raises(ValueError, match="cross_entropy: target holds class 4, outside \\[0, 4\\)"):
        F.cross_entropy(x, [0, 4, 1])
    with pytest.raises(DTypeError, match="expected integer class indices"):
        F.cross_entropy(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(DTypeError, match=r"^cross_entropy: expected integer class indices as target, got dtype "
                                         r"float32; convert with \.astype\(np\.int64\)"):
        F.cross_entropy(x, np.array([0.0, 1.0, 2.0], dtype=np.float32))
    with pytest.raises(ShapeError, match="expected target of shape \\(3,\\)"):
        F.cross_entropy(x, [0, 1])
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.cross_entropy(x, [0, 1, 2], reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be in \\[0, 1\\]"):
        F.cross_entropy(x, [0, 1, 2], label_smoothing=2.0)


def test_cross_entropy_loss_module_passes_its_settings():
    x, t = _x(4, 3), np.array([0, 1, -1, 2])
    module = nn.CrossEntropyLoss(ignore_index=-1, reduction="sum", label_smoothing=0.1)
    assert module(x, t).item() == F.cross_entropy(x, t, ignore_index=-1, reduction="sum", label_smoothing=0.1).item()
    assert repr(module) == "CrossEntropyLoss(ignore_index=-1, reduction='sum', label_smoothing=0.1)"


# --- nll_loss --------------------------------------------------------------------------------------------------------
def test_nll_loss_picks_and_averages_the_target_log_probabilities():
    logp = Tensor(np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.6, 0.3]])), requires_grad=True)
    loss = F.nll_loss(logp, [0, 1])
    assert loss.item() == pytest.approx(-(math.log(0.5) + math.log(0.6)) / 2)
    loss.backward()
    assert np.allclose(logp.grad.data, [[-0.5, 0, 0], [0, -0.5, 0]])


def test_nll_loss_ignore_index_and_reductions():
    x = _x(3, 4)
    t = np.array([1, -100, 3])
    assert F.nll_loss(x, t).item() == pytest.approx(-(x.data[0, 1] + x.data[2, 3]) / 2)
    assert F.nll_loss(x, t, reduction="sum").item() == pytest.approx(-(x.data[0, 1] + x.data[2, 3]))
    assert np.allclose(F.nll_loss(x, t, reduction="none").data, [-x.data[0, 1], 0.0, -x.data[2, 3]])
    assert ag.gradcheck(lambda x: F.nll_loss(x, t), (x,))
    assert nn.NLLLoss(reduction="sum")(x, t).item() == F.nll_loss(x, t, reduction="sum").item()


def test_nll_loss_on_spatial_inputs():
    x = _x(2, 3, 2)
    t = np.array([[0, 2], [1, 1]])
    expected = -np.mean([x.data[0, 0, 0], x.data[0, 2, 1], x.data[1, 1, 0], x.data[1, 1, 1]])
    assert F.nll_loss(x, t).item() == pytest.approx(expected)


# --- regression losses -----------------------------------------------------------------------------------------------
def test_mse_and_l1_hand_values_and_gradients():
    x = Tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    y = np.array([1.0, 0.0, 5.0])
    mse = F.mse_loss(x, y)
    assert mse.item() == pytest.approx(5 / 3)
    mse.backward()
    assert np.allclose(x.grad.data, [0.0, 4 / 3, -2 / 3])  # 2 (x - y) / n
    x.grad = None
    F.l1_loss(x, y, reduction="sum").backward()
    assert F.l1_loss(x, y).item() == pytest.approx(1.0)
    assert np.allclose(x.grad.data, [0.0, 1.0, -1.0])


@pytest.mark.parametrize("module, fn", [(nn.MSELoss, F.mse_loss), (nn.L1Loss, F.l1_loss)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_gradcheck_both_arguments(module, fn, reduction):
    x, y = _x(3, 2), _x(3, 2)
    assert ag.gradcheck(lambda x, y: module(reduction=reduction)(x, y), (x, y))
    assert np.allclose(module(reduction=reduction)(x, y).data, fn(x, y, reduction=reduction).data)


def test_elementwise_losses_refuse_shapes_that_would_broadcast():
    with pytest.raises(ShapeError, match="mse_loss: input shape \\(4, 1\\) and target shape \\(4,\\) differ"):
        F.mse_loss(_x(4, 1), _x(4))


# --- binary losses ---------------------------------------------------------------------------------------------------
def test_binary_cross_entropy_values_and_gradients():
    p = Tensor(np.array([0.2, 0.7, 0.9]), requires_grad=True)
    y = np.array([0.0, 1.0, 0.5])
    expected = -(y * np.log(p.data) + (1 - y) * np.log(1 - p.data))
    assert np.allclose(F.binary_cross_entropy(p, y, reduction="none").data, expected)
    yt = Tensor(y, requires_grad=True)
    assert ag.gradcheck(lambda p, y: F.binary_cross_entropy(p, y), (p, yt))
    assert ag.gradgradcheck(lambda p, y: F.binary_cross_entropy(p, y), (p, yt))


def test_binary_cross_entropy_at_certain_probabilities_is_finite():
    p = Tensor(np.array([0.0, 1.0, 0.0]), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([0.0, 1.0, 1.0]), reduction="none")
    assert loss.data.tolist() == [0.0, 0.0, 100.0]  # log clamped at -100, as in PyTorch
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.data))


def test_binary_cross_entropy_refuses_values_outside_0_1():
    with pytest.raises(ValueError, match="input must hold probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy(Tensor([1.5]), Tensor([1.0]))


def test_bce_with_logits_equals_bce_of_sigmoid_and_is_stable():
    x = _x(6)
    y = RNG.random(6)
    assert np.allclose(F.binary_cross_entropy_with_logits(x, y).data,
                       F.binary_cross_entropy(F.sigmoid(x), y).data, rtol=1e-12)
    big = Tensor(np.array([1e4, -1e4, 1e4]), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(big, np.array([1.0, 0.0, 0.0]), reduction="none")
    assert loss.data.tolist() == [0.0, 0.0, 1e4]
    loss.sum().backward()
    assert big.grad.data.tolist() == [0.0, 0.0, 1.0]


def test_bce_with_logits_gradient_at_zero_logit_is_one_half_minus_target():
    x = Tensor(np.zeros(2), requires_grad=True)
    F.binary_cross_entropy_with_logits(x, np.array([1.0, 0.0]), reduction="sum").backward()
    assert x.grad.data.tolist() == [-0.5, 0.5]


def test_bce_with_logits_gradcheck_input_and_target():
    x, y = _x(2, 3), Tensor(RNG.random((2, 3)), requires_grad=True)
    assert ag.gradcheck(lambda x, y: nn.BCEWithLogitsLoss()(x, y), (x, y))
    assert ag.gradgradcheck(lambda x, y: nn.BCEWithLogitsLoss(reduction="sum")(x, y), (x, y))


def test_bce_loss_module():
    p, y = Tensor(np.array([0.3, 0.6])), np.array([1.0, 0.0])
    assert nn.BCELoss()(p, y).item() == pytest.approx(-(math.log(0.3) + math.log(0.4)) / 2)


# --- hinge -----------------------------------------------------------------------------------------------------------
def test_hinge_loss_hand_values_and_gradient():
    scores = Tensor(np.array([2.0, 0.5, -0.5, -3.0]), requires_grad=True)
    labels = np.array([1.0, 1.0, 1.0, -1.0])
    loss = F.hinge_loss(scores, labels)
    assert loss.item() == pytest.approx((0 + 0.5 + 1.5 + 0) / 4)
    loss.backward()
    assert scores.grad.data.tolist() == [0.0, -0.25, -0.25, 0.0]


def test_hinge_loss_accepts_column_scores_with_flat_labels():
    scores = _x(5, 1)
    labels = np.array([1, -1, 1, -1, 1])
    column = F.hinge_loss(scores, labels.reshape(5, 1))
    assert F.hinge_loss(scores, labels).item() == column.item()


def test_hinge_loss_refuses_zero_one_labels():
    with pytest.raises(ValueError, match="expected labels of \\+1 and -1, got \\[0.0, 1.0\\]; map 0/1 labels"):
        F.hinge_loss(_x(3), np.array([0.0, 1.0, 1.0]))


def test_hinge_loss_module_margin_and_gradcheck():
    scores = _x(4)
    labels = np.array([1.0, -1.0, -1.0, 1.0])
    assert ag.gradcheck(lambda s: nn.HingeLoss(margin=2.0)(s, labels), (scores,))
    expected = np.maximum(2.0 - labels * scores.data, 0).sum()
    assert nn.HingeLoss(margin=2.0, reduction="sum")(scores, labels).item() == pytest.approx(expected)


def test_loss_modules_refuse_unknown_reductions():
    with pytest.raises(ValueError, match="MSELoss: reduction must be"):
        nn.MSELoss(reduction="avg")


def test_hinge_loss_refuses_a_label_of_magnitude_other_than_one():
    with pytest.raises(ValueError, match=r"expected labels of \+1 and -1, got \[-1.0, 1.0, 2.0\]"):
        F.hinge_loss(_x(4), np.array([1.0, -1.0, 2.0, 1.0]))


def test_binary_cross_entropy_of_sigmoid_far_in_the_tail_in_float32():
    x = Tensor(np.array([-20.0, -20.0], dtype=np.float32), requires_grad=True)
    loss = F.binary_cross_entropy(x.sigmoid(), np.array([1.0, 0.0]), reduction="none")
    # -log(sigmoid(-20)) = 20 + log(1 + e**-20) and -log(1 - sigmoid(-20)) = log(1 + e**-20); d/dx = sigmoid(x) - y
    tail = math.exp(-20.0) / (1 + math.exp(-20.0))
    np.testing.assert_allclose(loss.data, [20.0, tail], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [tail - 1, tail], rtol=1e-6)


def test_bce_with_logits_gradient_keeps_relative_precision_far_in_the_tail():
    x = Tensor(np.array([-30.0, -30.0]), requires_grad=True)
    F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0]), reduction="sum").backward()
    tail = math.exp(-30.0) / (1 + math.exp(-30.0))  # d/dx = sigmoid(x) - y, sigmoid(-30) = e**-30 / (1 + e**-30)
    np.testing.assert_allclose(x.grad.data, [tail, tail - 1], rtol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2), (4,)], ids=["rows", "spatial", "one sample"])
def test_cross_entropy_sends_a_gradient_to_class_probability_targets_that_require_grad(shape, smoothing, reduction):
    x = _x(*shape)
    teacher = Tensor(RNG.standard_normal(shape), requires_grad=True)
    axis = 0 if len(shape) == 1 else 1

    def loss(x, teacher):  # distillation: the target is itself the output of a learned model
        return F.cross_entropy(x, F.softmax(teacher, axis=axis), reduction=reduction, label_smoothing=smoothing)

    assert ag.gradcheck(loss, (x, teacher))
    assert ag.gradgradcheck(loss, (x, teacher))
    q = Tensor(F.softmax(teacher, axis=axis).data, requires_grad=True)
    out = F.cross_entropy(x, q, reduction="sum", label_smoothing=smoothing)
    out.backward()
    # closed form: dL/dq = -(1 - e) log_softmax(x), the smoothing e mixing q with the uniform 1/C
    log_probs = x.data - np.log(np.exp(x.data).sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(q.grad.data, -(1 - smoothing) * log_probs, rtol=1e-12)
