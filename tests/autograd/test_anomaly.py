"""detect_anomaly: the first op whose gradient (or, with check_forward, output) is not finite is named, with its
input shapes and the user's line that created it."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import autograd as ag
from autograd.tools.anomaly import AnomalyError
from autograd.grad_mode import _state

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
    before = _state.observers
    with pytest.raises(AnomalyError):
        with ag.detect_anomaly(check_forward=True):
            ag.Tensor(np.array([0.0]), requires_grad=True).log()
    assert _state.observers == before


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


# --- one thread's anomaly mode is its own -------------------------------------------------------------------------------
def start(work):
    """Run `work()` in another thread; returns the thread and a dict that gets what it returned or raised."""
    result = {}

    def target():
        try:
            result["value"] = work()
        except BaseException as err:  # handed back to the test, which checks it
            result["value"] = err

    thread = threading.Thread(target=target)
    thread.start()
    return thread, result


def sqrt_backward_at_zero():
    x = ag.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    x.sqrt().sum().backward()  # the gradient 0.5 / sqrt(0) is infinite
    return x.grad.data


def test_anomaly_mode_in_one_thread_leaves_another_unchecked():
    with ag.detect_anomaly():
        thread, result = start(sqrt_backward_at_zero)  # runs while this thread is inside detect_anomaly()
        thread.join(timeout=30)
        assert isinstance(result["value"], np.ndarray), f"the other thread got {result['value']!r}"
        assert np.isinf(result["value"][0])
        with pytest.raises(AnomalyError):  # this thread's ops are still checked
            sqrt_backward_at_zero()


def test_anomaly_mode_entered_in_another_thread_checks_that_thread_only():
    inside, done = threading.Event(), threading.Event()

    def checked():
        with ag.detect_anomaly():
            inside.set()
            done.wait(timeout=30)
            return sqrt_backward_at_zero()

    thread, result = start(checked)
    assert inside.wait(timeout=30)
    try:
        assert np.isinf(sqrt_backward_at_zero()[0])  # this thread is not checked
    finally:
        done.set()
        thread.join(timeout=30)
    assert isinstance(result["value"], AnomalyError)


def test_one_detect_anomaly_object_used_by_two_threads_at_once():
    anomaly = ag.detect_anomaly()
    together = threading.Barrier(2, timeout=30)

    def use():
        with anomaly:
            together.wait()  # both inside
            with pytest.raises(AnomalyError):
                sqrt_backward_at_zero()
            together.wait()  # both still inside: neither exit may undo the other's entry
        return _state.observers

    thread, result = start(use)
    mine = use()
    thread.join(timeout=30)
    assert mine == () and result["value"] == ()
