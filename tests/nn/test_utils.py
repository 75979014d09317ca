"""Gradient clipping: the returned norm, the scaling, and the cases that must leave gradients alone."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, Value
from nn.utils import clip_grad_norm_, clip_grad_value_


def _params_with_grads(*grads, dtype=np.float64):
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros(np.shape(g), dtype))
        p.grad = Tensor(np.array(g, dtype))
        params.append(p)
    return params


def test_clip_grad_norm_returns_the_total_norm_and_scales_to_max_norm():
    a, b = _params_with_grads([3.0, 0.0], [[0.0], [4.0]])  # joint norm 5
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)
    assert np.allclose(a.grad.data, [0.6, 0.0], atol=1e-6) and np.allclose(b.grad.data, [[0.0], [0.8]], atol=1e-6)
    joint = math.sqrt((a.grad.data ** 2).sum() + (b.grad.data ** 2).sum())
    assert joint == pytest.approx(1.0, abs=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone():
    (a,) = _params_with_grads([0.3, 0.4])
    assert clip_grad_norm_(a, max_norm=1.0) == pytest.approx(0.5)
    assert a.grad.data.tolist() == [0.3, 0.4]


def test_clip_grad_norm_is_in_place_and_keeps_float32():
    (a,) = _params_with_grads([30.0, 40.0], dtype=np.float32)
    grad_array = a.grad.data
    clip_grad_norm_([a], 5.0)
    assert a.grad.data is grad_array and grad_array.dtype == np.float32
    assert np.allclose(grad_array, [3.0, 4.0], atol=1e-5)


def test_clip_grad_norm_other_norms():
    a, b = _params_with_grads([1.0, -2.0], [3.0])
    assert clip_grad_norm_([a, b], 100.0, norm_type=1) == pytest.approx(6.0)
    assert clip_grad_norm_([a, b], 100.0, norm_type=float("inf")) == pytest.approx(3.0)
    clip_grad_norm_([a, b], 1.5, norm_type=float("inf"))
    assert np.allclose(b.grad.data, [1.5], atol=1e-6) and np.allclose(a.grad.data, [0.5, -1.0], atol=1e-6)


def test_clip_grad_norm_skips_parameters_without_gradients():
    a, b = _params_with_grads([3.0], [4.0])
    b.grad = None
    assert clip_grad_norm_(nn.Linear(1, 1).parameters(), 1.0) == 0.0
    assert clip_grad_norm_([a, b], 1.0) == pytest.approx(3.0)


def test_clip_grad_norm_nonfinite():
    (a,) = _params_with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total gradient norm is inf"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_on_value_parameters():
    w, b = Value(0.0), Value(0.0)
    w.grad, b.grad = 6.0, 8.0
    assert clip_grad_norm_([w, b], 5.0) == pytest.approx(10.0)
    assert w.grad == pytest.approx(3.0, abs=1e-6) and b.grad == pytest.approx(4.0, abs=1e-6)


def test_clip_grad_norm_refuses_bad_arguments():
    (a,) = _params_with_grads([1.0])
    with pytest.raises(ValueError, match="max_norm must be >= 0"):
        clip_grad_norm_([a], -1.0)
    with pytest.raises(TypeError, match="expected Tensors/Parameters"):
        clip_grad_norm_([np.zeros(2)], 1.0)


def test_clip_grad_value_clamps_each_element():
    a, b = _params_with_grads([-3.0, 0.5], [2.0])
    clip_grad_value_([a, b], 1.0)
    assert a.grad.data.tolist() == [-1.0, 0.5] and b.grad.data.tolist() == [1.0]
    v = Value(0.0)
    v.grad = -7.0
    clip_grad_value_([v], 2.0)
    assert v.grad == -2.0
