"""detect_anomaly: the first op whose gradient (or, with check_forward, output) is not finite is named, with its
input shapes and the user's line that created it."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.anomaly import AnomalyError
from autograd.function import observers

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0), sqrt'(0): the NaNs these tests hunt


def test_backward_names_first_nonfinite_op_and_user_line():
    x = ag.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with ag.detect_anomaly():
        y = x.sqrt()  # the gradient 0.5 / sqrt(0) is infinite at x = 0
        loss = (y * 2).sum()
        with pytest.raises(AnomalyError) as err:
            loss.backward()
    message = str(err.value)
    assert "Sqrt.backward returned NaN or infinity" in message
    assert "(2,)" in message
    assert "test_anomaly.py" in message and "y = x.sqrt()" in message


def test_backward_without_anomaly_mode_gives_inf_gradient_silently():
    x = ag.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isinf(x.grad.data[0])


def test_check_forward_stops_at_first_nan_output():
    x = ag.Tensor(np.array([-1.0, 4.0]), requires_grad=True)
    with ag.detect_anomaly(check_forward=True):
        with pytest.raises(AnomalyError) as err:
            (x * 2).log()
    assert "Log produced NaN or infinity in the forward pass" in str(err.value)


def test_forward_not_checked_by_default():
    x = ag.Tensor(np.array([-1.0, 4.0]), requires_grad=True)
    with ag.detect_anomaly():
        y = x.log()
    assert np.isnan(y.data[0])


def test_anomaly_mode_leaves_no_observer_behind():
    before = list(observers)
    with pytest.raises(AnomalyError):
        with ag.detect_anomaly(check_forward=True):
            ag.Tensor(np.array([0.0]), requires_grad=True).log()
    assert observers == before


def test_finite_backward_passes_through_anomaly_mode_with_correct_gradient():
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with ag.detect_anomaly(check_forward=True):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_value_graph_anomaly():
    a = ag.Value(800.0)
    with ag.detect_anomaly():
        b = (a * 1.0).exp()  # exp(800) overflows to infinity, and so does its gradient
        with pytest.raises(AnomalyError) as err:
            b.backward()
    assert "Exp.backward" in str(err.value) and "b = (a * 1.0).exp()" in str(err.value)
