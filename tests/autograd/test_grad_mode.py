"""Grad mode: no_grad and enable_grad as context managers and decorators, set_grad_enabled, is_grad_enabled, nesting,
restoring after an exception, and one switch per thread."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import autograd as ag
from autograd import BackwardError, Tensor, Value


@pytest.fixture
def x():
    return Tensor(np.array([1.0, 2.0]), requires_grad=True)


def test_grad_is_enabled_by_default(x):
    assert ag.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_context_records_nothing(x):
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2 + 1
        v = Value(2.0) * Value(3.0)
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert not v.requires_grad and v.grad_fn is None
    np.testing.assert_array_equal(y.data, [3.0, 5.0])


def test_no_grad_as_decorator_with_and_without_parentheses(x):
    @ag.no_grad()
    def double(t):
        return t * 2

    @ag.no_grad
    def triple(t):
        """Triples."""
        return t * 3

    assert not double(x).requires_grad and not triple(x).requires_grad
    assert triple.__name__ == "triple" and triple.__doc__ == "Triples."
    assert ag.is_grad_enabled() and (x * 2).requires_grad


def test_enable_grad_inside_no_grad(x):
    with ag.no_grad():
        with ag.enable_grad():
            assert ag.is_grad_enabled()
            y = x * 2
        assert not ag.is_grad_enabled()
    assert y.requires_grad

    @ag.enable_grad()
    def f(t):
        return t * 2

    with ag.no_grad():
        assert f(x).requires_grad


def test_set_grad_enabled_as_call_context_manager_and_decorator(x):
    ag.set_grad_enabled(False)
    try:
        assert not ag.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled()
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @ag.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert ag.is_grad_enabled()  # decorating does not switch the mode
    assert not f(x).requires_grad and ag.is_grad_enabled()


def test_set_grad_enabled_made_before_its_with_block_switches_when_made_and_restores_after(x):
    switch = ag.set_grad_enabled(False)
    assert not ag.is_grad_enabled()  # made by a plain call: switched at once, as in PyTorch
    with switch:
        assert not (x * 2).requires_grad
    assert ag.is_grad_enabled()  # the block ends with the mode found when it was made
    with ag.set_grad_enabled(False) as nothing:  # in a with statement: the switch happens as the block is entered
        assert nothing is None and not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with ag.no_grad():
            raise KeyError("boom")
    assert ag.is_grad_enabled()

    @ag.no_grad()
    def fails():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fails()
    assert ag.is_grad_enabled()


def test_one_no_grad_instance_can_be_nested():
    quiet = ag.no_grad()
    with quiet:
        with quiet:
            assert not ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_no_grad_in_one_thread_leaves_another_recording(x):
    seen = {}
    started, release = threading.Event(), threading.Event()

    def other():
        started.wait()
        seen["enabled"] = ag.is_grad_enabled()
        seen["records"] = (x * 2).requires_grad
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    with ag.no_grad():
        started.set()
        release.wait(timeout=10)
    thread.join()
    assert seen == {"enabled": True, "records": True}


def test_backward_works_on_a_graph_built_before_no_grad(x):
    y = (x * x).sum()
    with ag.no_grad():
        y.backward()  # the backward pass itself needs no recording
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_in_place_update_under_no_grad_like_an_optimizer_step(x):
    (x * x).sum().backward()
    with pytest.raises(BackwardError, match="leaf that requires grad cannot be changed in-place"):
        x -= 0.5 * x.grad  # outside no_grad the same line is refused
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    same = x
    with ag.no_grad():
        x -= 0.5 * x.grad
    assert x is same and x.is_leaf and x.requires_grad
    np.testing.assert_array_equal(x.data, [0.0, 0.0])


# --- backward says when grad mode is why nothing was recorded ------------------------------------------------------------
def linear_loss(w, b):
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    return ((x @ w + b).tanh() ** 2).mean()  # the last ops' inputs are results, not the parameters


def value_loss(w, b):
    return ((w * 3.0 + b).tanh() - 1.0) ** 2


both_kinds = pytest.mark.parametrize("kind, make, loss", [  # parameters that require grad, and a loss of them
    ("Tensor", lambda: (Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)),
     linear_loss),
    ("Value", lambda: (Value(0.5), Value(0.1)), value_loss),
], ids=["Tensor", "Value"])


@both_kinds
def test_backward_of_a_loss_computed_under_no_grad_says_so(kind, make, loss):
    w, b = make()
    with ag.no_grad():
        value = loss(w, b)
    assert w.requires_grad and b.requires_grad
    with pytest.raises(BackwardError, match=rf"^backward: this {kind} does not require grad because it was computed "
                                            r"with grad mode off \(inside no_grad\(\), or after "
                                            r"set_grad_enabled\(False\)\), so no graph was recorded; compute it with "
                                            r"grad mode on$"):
        value.backward()


@both_kinds
def test_backward_with_grad_mode_left_off_says_so_and_how_to_turn_it_on(kind, make, loss):
    w, b = make()
    ag.set_grad_enabled(False)  # left off, as by a forgotten call
    try:
        value = loss(w, b)
        with pytest.raises(BackwardError, match=rf"^backward: this {kind} does not require grad because it was "
                                                r"computed with grad mode off .*; grad mode is still off: call "
                                                r"autograd.set_grad_enabled\(True\) first$"):
            value.backward()
        leaf = Tensor(np.ones(1)) if kind == "Tensor" else Value(1.0, requires_grad=False)
        with pytest.raises(BackwardError, match=rf"^backward: this {kind} does not require grad, and grad mode is off "
                                                r".*; call autograd.set_grad_enabled\(True\), then compute it from "
                                                r"leaves with requires_grad=True$"):
            leaf.backward()
    finally:
        ag.set_grad_enabled(True)
    loss(w, b).backward()  # with grad mode back on, the same computation records its graph
    assert w.grad is not None and b.grad is not None


def test_backward_of_a_result_of_constants_still_names_requires_grad():
    with pytest.raises(BackwardError, match=r"no input of the computation had requires_grad=True"):
        (Tensor(np.ones(2)) * 2).sum().backward()
    with pytest.raises(BackwardError, match=r"computed only from constants"):
        (Value(2.0, requires_grad=False) * 3.0).backward()
