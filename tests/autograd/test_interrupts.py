"""A Ctrl-C at any moment leaves the autograd state as it was: grad mode, module scopes, anomaly mode, profiles.

CPython raises KeyboardInterrupt only where it checks for signals: as a function starts, as a call returns, and at
the jump back of a loop. A tracer counts those moments while a block runs; the block then runs once per moment with
KeyboardInterrupt raised at that moment, and the state must be as it was before the block each time.

One moment is out of any context manager's hands: the start of its own `__exit__`, before its first line runs (the
`with` statement does not call it again). A block nested in another one is put right there by the outer block, which
restores what it found; the tests check that. `try`/`finally` has no such moment: the decorator forms, nn.Module
calls and the backward pass use it, and nothing is spared them.
"""
from __future__ import annotations

import dis
import gc
import sys

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.grad_mode import _state


def instruction(frame) -> str:
    """The name of the instruction `frame` is running (CALL_FUNCTION_EX and the like count as CALL)."""
    name = dis.opname[frame.f_code.co_code[frame.f_lasti]]
    return "CALL" if name.startswith("CALL") else name


def run_interrupted(block, at: int | None = None, spared=None) -> list:
    """Run `block`, raising KeyboardInterrupt at moment number `at` (None: never); returns the moments seen up to it.

    The moments are those where CPython can raise it: a function starting, a call (to Python or C) returning, a loop
    jumping back. Each is True when `spared(frame, event)` says a Ctrl-C there may leave the state changed.
    """
    moments: list[bool] = []
    inside = [False]

    def moment(frame, event) -> None:
        if not inside[0] or len(moments) - 1 == at:
            return  # outside the block, or raised already (the moments while it unwinds are not counted)
        moments.append(spared is not None and spared(frame, event))
        if len(moments) - 1 == at:
            raise KeyboardInterrupt

    def calls(frame, event, arg) -> None:  # raising here raises in the caller, at its call, after the call is done
        if frame.f_code is block.__code__ and event in ("call", "return"):
            inside[0] = event == "call"  # count from the block's start to its end
        caller = frame.f_back if event == "return" else frame  # c_return comes with the calling frame
        if event == "call" or event in ("return", "c_return") and caller is not None and instruction(caller) == "CALL":
            moment(frame, event)

    def loops(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode" and instruction(frame) == "JUMP_BACKWARD":
            moment(frame, event)
        return loops

    previous = sys.getprofile(), sys.gettrace()
    sys.setprofile(calls)
    sys.settrace(loops)
    try:
        block()
    except KeyboardInterrupt:
        if at is None or len(moments) != at + 1:
            raise
    finally:
        sys.setprofile(previous[0])
        sys.settrace(previous[1])
    return moments


def exit_start_of(holder: list):
    """`spared` for a block whose outermost context manager is holder[0]: the start of its __exit__."""
    def spared(frame, event) -> bool:
        return (event == "call" and bool(holder) and frame.f_code is type(holder[0]).__exit__.__code__
                and frame.f_locals.get("self") is holder[0])
    return spared


x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
# a Ctrl-C landing in a weakref callback or a generator's clean-up is printed and dropped by Python, here as anywhere
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def state() -> tuple:
    """What a Ctrl-C could leave behind: grad mode, the module scope, and the observers of this thread."""
    return ag.is_grad_enabled(), _state.scope, _state.observers


def check_every_moment(make_block) -> int:
    """`make_block()` -> (block, spared); interrupt a fresh block at each of its moments. Returns how many were checked."""
    clean = state()
    make_block()[0]()  # once untraced, so that first-call work (caches) is not counted as moments that never recur
    gc.disable()  # a collection would run finalizers at moments of its own
    try:
        count = len(run_interrupted(make_block()[0]))
        assert state() == clean
        for at in range(count):
            block, spared = make_block()
            moments = run_interrupted(block, at, spared)
            assert len(moments) == at + 1  # it was raised (a weakref callback may swallow it)
            if not moments[at]:
                assert state() == clean, f"a Ctrl-C at moment {at} of {count} left {state()}, not {clean}"
            _state.enabled, _state.scope, _state.observers = clean  # put right what a spared moment left behind
    finally:
        gc.enable()
        _state.enabled, _state.scope, _state.observers = clean
    return count


def with_block(*makers):
    """A block running an op inside `with makers[0](): with makers[1](): ...`; the outer one is spared its exit."""
    holder: list = []

    def block() -> None:
        holder.append(makers[0]())
        with holder[0]:
            if len(makers) == 1:
                x * 2
            else:
                with makers[1]():
                    x * 2
    return block, exit_start_of(holder)


@pytest.mark.parametrize("make", [
    lambda: ag.no_grad(),
    lambda: ag.enable_grad(),
    lambda: ag.detect_anomaly(),
    lambda: ag.profile(),
], ids=["no_grad", "enable_grad", "detect_anomaly", "profile"])
def test_ctrl_c_anywhere_in_a_with_block_restores_the_state(make):
    assert check_every_moment(lambda: with_block(make)) > 10


@pytest.mark.parametrize("outer, inner", [
    (lambda: ag.no_grad(), lambda: ag.enable_grad()),
    (lambda: ag.enable_grad(), lambda: ag.no_grad()),
    (lambda: ag.enable_grad(), lambda: ag.set_grad_enabled(False)),
    (lambda: ag.no_grad(), lambda: ag.set_grad_enabled(True)),
    (lambda: ag.detect_anomaly(), lambda: ag.detect_anomaly(check_forward=True)),
    (lambda: ag.profile(), lambda: ag.detect_anomaly()),
], ids=["no_grad/enable_grad", "enable_grad/no_grad", "enable_grad/set_grad_enabled", "no_grad/set_grad_enabled",
        "anomaly/anomaly", "profile/anomaly"])
def test_ctrl_c_anywhere_in_an_inner_block_is_put_right_by_the_outer_one(outer, inner):
    """Even at the start of the inner block's __exit__, or between set_grad_enabled(...) and its block."""
    assert check_every_moment(lambda: with_block(outer, inner)) > 20


def test_ctrl_c_anywhere_in_a_set_grad_enabled_block_restores_grad_mode():
    """It switches as the block is entered, not when called: nothing is left switched between the call and the block."""
    exit_code = ag.set_grad_enabled.__exit__.__code__

    def block() -> None:
        with ag.set_grad_enabled(False):
            x * 2

    def spared(frame, event) -> bool:
        return event == "call" and frame.f_code is exit_code
    assert check_every_moment(lambda: (block, spared)) > 10


def test_ctrl_c_anywhere_in_a_nested_use_of_one_no_grad_object():
    """Both exits are spared here: an inner exit cut short leaves its entry on the object's stack for the outer exit."""
    def make():
        quiet = ag.no_grad()
        return with_block(lambda: quiet, lambda: quiet)
    assert check_every_moment(make) > 10


@pytest.mark.parametrize("decorator", [ag.no_grad, ag.enable_grad, lambda: ag.set_grad_enabled(False)],
                         ids=["no_grad", "enable_grad", "set_grad_enabled"])
def test_ctrl_c_anywhere_in_a_decorated_function_restores_grad_mode(decorator):
    @decorator()
    def f() -> None:
        x * 2
    assert check_every_moment(lambda: (f, None)) > 5  # nothing spared: a try/finally has no unguarded moment


def test_ctrl_c_anywhere_in_a_module_call_leaves_no_scope_set():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    inputs = ag.Tensor(np.ones((1, 2)))
    assert check_every_moment(lambda: (lambda: model(inputs), None)) > 50


def test_ctrl_c_anywhere_in_a_backward_pass_restores_grad_mode():
    w = ag.Tensor(np.array([0.5, -0.5]), requires_grad=True)
    assert check_every_moment(lambda: (lambda: ((w * x).tanh().sum()).backward(), None)) > 50
