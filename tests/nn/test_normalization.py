"""Batch and layer normalization: values against the formulas, running statistics, train vs eval, closed-form
gradients, gradchecks and errors."""
from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, gradcheck, gradgradcheck
from autograd.errors import ShapeError


def leaf(rng, *shape):
    return Tensor(rng.standard_normal(shape), requires_grad=True)


# --- batch_norm -----------------------------------------------------------------------------------------------------
def test_batch_norm_training_normalises_each_channel_then_scales_and_shifts():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 4, 5)) * 3 + 2
    w, b = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    y = F.batch_norm(Tensor(x), None, None, Tensor(w), Tensor(b), training=True).data
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)  # biased, as the normalisation uses
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5) * w.reshape(1, 3, 1, 1) + b.reshape(1, 3, 1, 1),
                               rtol=1e-12)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), b, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=(0, 2, 3)), w, rtol=1e-5)


def test_batch_norm_running_stats_follow_momentum_with_unbiased_variance():
    rng = np.random.default_rng(1)
    rm, rv = Tensor(np.zeros(2)), Tensor(np.ones(2))
    expected_mean, expected_var = np.zeros(2), np.ones(2)
    for _ in range(3):
        x = rng.standard_normal((5, 2, 3)) + 4
        F.batch_norm(Tensor(x), rm, rv, training=True, momentum=0.2)
        expected_mean = 0.8 * expected_mean + 0.2 * x.mean(axis=(0, 2))
        expected_var = 0.8 * expected_var + 0.2 * x.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(rm.data, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(rv.data, expected_var, rtol=1e-12)


def test_batch_norm_eval_uses_running_stats_and_leaves_them_alone():
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    rm, rv = Tensor(np.array([1.0, 2.0])), Tensor(np.array([4.0, 9.0]))
    y = F.batch_norm(Tensor(x), rm, rv, Tensor(np.array([2.0, 1.0])), Tensor(np.array([0.5, 0.0])), training=False,
                     eps=0.0)
    np.testing.assert_allclose(y.data, [[0.5, 0.0], [2.5, 4 / 3]], rtol=1e-12)
    np.testing.assert_array_equal(rm.data, [1.0, 2.0])
    np.testing.assert_array_equal(rv.data, [4.0, 9.0])


def test_batch_norm_training_input_gradient_matches_closed_form():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((6, 3)), rng.standard_normal(3)
    g = rng.standard_normal((6, 3))
    xt = Tensor(x, requires_grad=True)
    F.batch_norm(xt, None, None, Tensor(w), None, training=True, eps=1e-5).backward(g)
    std = np.sqrt(x.var(axis=0) + 1e-5)
    x_hat = (x - x.mean(axis=0)) / std
    expected = w / std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    np.testing.assert_allclose(xt.grad.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (3, 3, 2, 2)])
def test_batch_norm_gradcheck(training, shape):
    rng = np.random.default_rng(3)
    x, w, b = leaf(rng, *shape), leaf(rng, 3), leaf(rng, 3)
    rm, rv = Tensor(rng.standard_normal(3)), Tensor(rng.random(3) + 0.5)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.0), (x, w, b))


def test_batch_norm_training_with_one_value_per_channel_is_an_error():
    with pytest.raises(ValueError, match=r"batch_norm: training needs more than one value per channel"):
        F.batch_norm(Tensor(np.zeros((1, 4))), None, None, training=True)


def test_batch_norm_wrong_running_mean_shape():
    with pytest.raises(ShapeError, match=r"batch_norm: expected running_mean of shape \(3,\)"):
        F.batch_norm(Tensor(np.zeros((2, 3))), Tensor(np.zeros(4)), Tensor(np.ones(3)))


# --- BatchNorm layers -----------------------------------------------------------------------------------------------
def test_batchnorm2d_names_and_initial_values_match_pytorch():
    bn = nn.BatchNorm2d(4)
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(state["weight"], np.ones(4))
    np.testing.assert_array_equal(state["bias"], np.zeros(4))
    np.testing.assert_array_equal(state["running_mean"], np.zeros(4))
    np.testing.assert_array_equal(state["running_var"], np.ones(4))
    assert state["num_batches_tracked"] == 0 and state["num_batches_tracked"].dtype == np.int64
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]


def test_batchnorm2d_train_updates_running_stats_eval_uses_them():
    rng = np.random.default_rng(4)
    bn = nn.BatchNorm2d(2)
    x = rng.standard_normal((4, 2, 3, 3)).astype(np.float32) * 2 + 1
    y_train = bn(Tensor(x)).data
    assert int(bn.num_batches_tracked.data) == 1
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data, 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-5)
    bn.eval()
    y_eval = bn(Tensor(x)).data
    rm, rv = bn.running_mean.data.reshape(1, 2, 1, 1), bn.running_var.data.reshape(1, 2, 1, 1)
    np.testing.assert_allclose(y_eval, (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-5, atol=1e-6)
    assert not np.allclose(y_eval, y_train)
    assert int(bn.num_batches_tracked.data) == 1


def test_batchnorm1d_momentum_none_is_a_cumulative_average():
    rng = np.random.default_rng(5)
    bn = nn.BatchNorm1d(3, momentum=None)
    batches = [rng.standard_normal((6, 3)) + i for i in range(3)]
    for x in batches:
        bn(Tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([x.mean(axis=0) for x in batches], axis=0), rtol=1e-5)


@pytest.mark.parametrize("layer, shape", [(nn.BatchNorm1d, (4, 3)), (nn.BatchNorm1d, (4, 3, 2)),
                                          (nn.BatchNorm2d, (3, 3, 2, 2))])
def test_batchnorm_layers_gradcheck_inputs_and_parameters(layer, shape):
    rng = np.random.default_rng(6)
    bn = layer(3, dtype=np.float64)
    assert bn.running_var.dtype == np.float64
    bn.weight.data = rng.standard_normal(3)
    x = leaf(rng, *shape)
    assert gradcheck(lambda x, w, b: bn(x), (x, bn.weight, bn.bias))


def test_batchnorm_without_affine_or_running_stats():
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert list(bn.state_dict()) == []
    bn.eval()  # no running statistics: batch statistics even in eval
    y = bn(Tensor(np.array([[0.0, 1.0], [2.0, 5.0]]))).data
    np.testing.assert_allclose(y, [[-1.0, -1.0], [1.0, 1.0]], rtol=1e-5)


def test_batchnorm2d_rejects_3d_input_naming_layer_and_shape():
    with pytest.raises(ShapeError, match=r"BatchNorm2d: expected input of shape \(N, C, H, W\) with C = 3 "
                                         r"\(num_features\), got shape \(2, 3, 4\)"):
        nn.BatchNorm2d(3)(Tensor(np.zeros((2, 3, 4))))


def test_batchnorm1d_rejects_wrong_feature_count():
    with pytest.raises(ShapeError, match=r"BatchNorm1d: expected input of shape \(N, C\) or \(N, C, L\) with C = 3"):
        nn.BatchNorm1d(3)(Tensor(np.zeros((2, 4))))


# --- layer_norm -----------------------------------------------------------------------------------------------------
def test_layer_norm_normalises_trailing_axes_of_each_sample():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 4, 5)) * 5 - 1
    w, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    y = F.layer_norm(Tensor(x), (4, 5), Tensor(w), Tensor(b)).data
    mean = x.mean(axis=(2, 3), keepdims=True)
    var = x.var(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5) * w + b, rtol=1e-10, atol=1e-12)


def test_layer_norm_ignores_a_shift_of_each_sample():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 6))
    shifted = x + rng.standard_normal((3, 1)) * 10
    np.testing.assert_allclose(F.layer_norm(Tensor(shifted), 6).data, F.layer_norm(Tensor(x), 6).data, atol=1e-10)


@pytest.mark.parametrize("normalized_shape", [4, (3, 4)])
def test_layer_norm_gradcheck(normalized_shape):
    rng = np.random.default_rng(9)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    x, w, b = leaf(rng, 2, 3, 4), leaf(rng, *shape), leaf(rng, *shape)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, normalized_shape, w, b), (x, w, b))


@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_second_derivatives(affine):
    # layer_norm is one fused op: its backward recomputes the statistics as graph values under create_graph
    rng = np.random.default_rng(11)
    x, w, b = leaf(rng, 2, 3, 4), leaf(rng, 3, 4), leaf(rng, 3, 4)
    if affine == "both":
        assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b) ** 2, (x, w, b))
    elif affine == "weight":
        assert gradgradcheck(lambda x, w: F.layer_norm(x, (3, 4), w) ** 2, (x, w))
    else:
        assert gradgradcheck(lambda x: F.layer_norm(x, 4) ** 2, (x,))


def test_layer_norm_gradients_of_the_parameters_alone():
    rng = np.random.default_rng(12)
    x = Tensor(rng.standard_normal((2, 3, 4)))  # needs no gradient
    w, b = leaf(rng, 4), leaf(rng, 4)
    assert gradcheck(lambda w, b: F.layer_norm(x, 4, w, b), (w, b))
    F.layer_norm(x, 4, w, b).sum().backward()
    np.testing.assert_allclose(b.grad.data, np.full(4, 6.0))  # d(sum)/db: one per sample


def test_layernorm_layer_parameters_and_gradcheck():
    rng = np.random.default_rng(10)
    ln = nn.LayerNorm(5)
    np.testing.assert_array_equal(ln.weight.data, np.ones(5))
    np.testing.assert_array_equal(ln.bias.data, np.zeros(5))
    assert list(ln.state_dict()) == ["weight", "bias"]
    assert nn.LayerNorm(5, dtype=np.float64).weight.dtype == np.float64
    ln.to(np.float64)
    ln.weight.data = rng.standard_normal(5)
    x = leaf(rng, 2, 3, 5)
    assert gradcheck(lambda x, w, b: ln(x), (x, ln.weight, ln.bias))
    assert list(nn.LayerNorm(5, elementwise_affine=False).parameters()) == []


def test_layernorm_wrong_trailing_shape_names_layer_and_expected_shape():
    with pytest.raises(ShapeError, match=r"LayerNorm: expected input of shape \(\*, 8\).*got shape \(2, 3, 6\)"):
        nn.LayerNorm(8)(Tensor(np.zeros((2, 3, 6))))
