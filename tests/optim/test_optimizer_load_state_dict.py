"""Optimizer.load_state_dict and the schedulers' check what they load (types, dtypes, shapes, ranges, keys) against
their own parameters and groups, and refuse with a message naming the entry, before anything changes, instead of
letting the next step() fail deep inside numpy."""
from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Tensor
from autograd.errors import ShapeError
from optim import lr_scheduler as sched

from test_optimizer import make_params, train


def _trained(make, steps=2):
    params = make_params()
    opt = make(params)
    train(opt, params, steps)
    return opt.state_dict()


def _sgd(params):
    return optim.SGD(params, lr=0.1, momentum=0.9)


def _adam(params):
    return optim.Adam(params, lr=0.1)


def _load_and_check_nothing_changed(make, saved, error, match):
    params = make_params()
    target = make(params)
    train(target, params, 1)
    groups_before = [dict(g) for g in target.param_groups]
    state_before = {id(p): {k: np.copy(v) for k, v in s.items()} for p, s in target.state.items()}
    with pytest.raises(error, match=match):
        target.load_state_dict(saved)
    assert [dict(g) for g in target.param_groups] == groups_before
    assert {id(p): {k: np.copy(v) for k, v in s.items()} for p, s in target.state.items()}.keys() == \
        state_before.keys()
    for p, entries in target.state.items():
        for k, v in entries.items():
            np.testing.assert_array_equal(v, state_before[id(p)][k])


# --- buffers ------------------------------------------------------------------------------------------------------
def test_a_buffer_given_as_a_list_is_refused():
    saved = _trained(_sgd)
    saved["state"][0]["momentum_buffer"] = saved["state"][0]["momentum_buffer"].tolist()
    _load_and_check_nothing_changed(_sgd, saved, TypeError,
                                    r"SGD.load_state_dict: state 'momentum_buffer' of parameter 0 must be a numpy "
                                    r"array of shape \(3, 2\), got list")


def test_a_complex_buffer_is_refused():
    saved = _trained(_adam)
    saved["state"][1]["exp_avg"] = saved["state"][1]["exp_avg"] + 0j
    _load_and_check_nothing_changed(_adam, saved, TypeError,
                                    r"Adam.load_state_dict: state 'exp_avg' of parameter 1 must hold real numbers "
                                    r"\(a float array\), got dtype complex128")


def test_a_negative_sum_of_squares_is_refused():
    saved = _trained(_adam)
    saved["state"][0]["exp_avg_sq"][0, 0] = -1.0  # its square root would be NaN at the next step
    _load_and_check_nothing_changed(_adam, saved, ValueError,
                                    r"state 'exp_avg_sq' of parameter 0 holds negative values \(down to -1.0\)")


def test_a_buffer_of_another_shape_is_still_a_shape_error():
    saved = _trained(_adam)
    saved["state"][0]["exp_avg"] = np.zeros((2, 3))
    _load_and_check_nothing_changed(_adam, saved, ShapeError, r"state 'exp_avg' of parameter 0 has shape \(2, 3\)")


# --- the step count -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("step, error, match", [
    ("3", TypeError, r"state 'step' of parameter 0 must be an integer, got str '3'"),
    (2.0, TypeError, r"state 'step' of parameter 0 must be an integer, got float 2.0"),
    (True, TypeError, r"state 'step' of parameter 0 must be an integer, got bool True"),
    (-1, ValueError, r"state 'step' of parameter 0 must be the number of steps taken, an integer >= 0, got -1"),
], ids=["string", "float", "bool", "negative"])
def test_a_step_count_that_is_not_a_count_is_refused(step, error, match):
    saved = _trained(_adam)
    saved["state"][0]["step"] = step
    _load_and_check_nothing_changed(_adam, saved, error, "Adam.load_state_dict: " + match)


def test_a_step_count_as_a_0d_integer_array_loads_as_an_int():
    saved = _trained(_adam)
    saved["state"][0]["step"] = np.array(2)  # what nn.load gives back for a saved count
    params = make_params()
    opt = _adam(params)
    opt.load_state_dict(saved)
    assert type(opt.state[params[0]]["step"]) is int and opt.state[params[0]]["step"] == 2


# --- entries that belong to another optimizer ---------------------------------------------------------------------
def test_state_of_another_optimizer_is_refused():
    saved = _trained(_adam)
    _load_and_check_nothing_changed(_sgd, saved, ValueError,
                                    r"SGD.load_state_dict: the state of parameter 0 has \['step', 'exp_avg', "
                                    r"'exp_avg_sq'\], which SGD does not keep \(it keeps \['momentum_buffer'\]\)")


def test_state_lacking_an_entry_the_optimizer_needs_is_refused():
    saved = _trained(_adam)
    del saved["state"][1]["exp_avg_sq"]  # the next step() would raise KeyError
    _load_and_check_nothing_changed(_adam, saved, ValueError,
                                    r"Adam.load_state_dict: the state of parameter 1 lacks \['exp_avg_sq'\]")


def test_optional_entries_may_be_absent_or_present():
    for make in (lambda p: optim.Adam(p, amsgrad=True), lambda p: optim.RMSprop(p, centered=True, momentum=0.5)):
        saved = _trained(make)
        params = make_params()
        make(params).load_state_dict(saved)  # with the optional buffers
    saved = _trained(_sgd)
    saved["state"] = {}
    _sgd(make_params()).load_state_dict(saved)  # before the first step: no buffers at all


@pytest.mark.parametrize("state, error, match", [
    ([], TypeError, r"'state' must be a dict of parameter index -> dict of buffers, got list"),
    ({0: [1.0]}, TypeError, r"the state of parameter 0 must be a dict of name -> buffer, got list"),
    ({"x": {}}, ValueError, r"the state dict has state for parameter 'x', but the saved groups list only "
                            r"parameters \[0, 1\]"),
], ids=["state-list", "entries-list", "bad-index"])
def test_a_malformed_state_is_refused(state, error, match):
    saved = _trained(_sgd)
    saved["state"] = state
    _load_and_check_nothing_changed(_sgd, saved, error, "SGD.load_state_dict: " + match)


@pytest.mark.parametrize("indices", [[0, 0], ["a", 1], [0.0, 1]], ids=["twice", "string", "float"])
def test_parameter_indices_must_be_distinct_integers(indices):
    saved = _trained(_sgd)
    saved["param_groups"][0]["params"] = indices
    _load_and_check_nothing_changed(_sgd, saved, ValueError,
                                    r"'params' of parameter group 0 must hold parameter indices \(integers, each "
                                    r"once in all the groups\)")


def test_json_style_string_indices_still_load():
    saved = _trained(_sgd)
    saved["state"] = {str(k): v for k, v in saved["state"].items()}
    params = make_params()
    opt = _sgd(params)
    opt.load_state_dict(saved)
    assert set(opt.state) == set(params)


# --- hyper-parameters ---------------------------------------------------------------------------------------------
def test_a_flag_given_as_a_string_is_refused():
    saved = _trained(_sgd)
    saved["param_groups"][0]["maximize"] = "no"  # a non-empty string is true: it would climb the loss
    _load_and_check_nothing_changed(_sgd, saved, TypeError,
                                    r"SGD: maximize must be True or False, got 'no' in parameter group 0 of the "
                                    r"state dict")


def test_a_learning_rate_given_as_a_string_is_refused():
    saved = _trained(_sgd)
    saved["param_groups"][0]["lr"] = "0.1"
    _load_and_check_nothing_changed(_sgd, saved, TypeError, r"SGD: lr must be a number, got str '0.1'")


def test_a_checked_state_dict_still_round_trips_and_trains_the_same():
    params = make_params()
    opt = optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True)
    train(opt, params, 3)
    copies = [Tensor(p.data.copy(), requires_grad=True) for p in params]
    restored = optim.RMSprop(copies, lr=0.5)
    restored.load_state_dict(opt.state_dict())
    train(opt, params, 2)
    train(restored, copies, 2)
    for p, q in zip(params, copies):
        np.testing.assert_array_equal(p.data, q.data)


# --- schedulers ---------------------------------------------------------------------------------------------------
def _step_lr():
    return sched.StepLR(optim.SGD(make_params(), lr=0.1), step_size=2, gamma=0.5)


@pytest.mark.parametrize("change, error, match", [
    ({"last_epoch": "3"}, TypeError, r"'last_epoch' must be an integer like this scheduler's, got '3'"),
    ({"last_epoch": -5}, ValueError, r"'last_epoch' must be an integer >= -1, got -5"),
    ({"base_lrs": [0.1, 0.2]}, TypeError, r"'base_lrs' must be a list of 1 like this scheduler's"),
    ({"base_lrs": ["0.1"]}, TypeError, r"'base_lrs' must be a list of 1, each a number like this scheduler's"),
    ({"gamma": None}, TypeError, r"'gamma' must be a number like this scheduler's, got None"),
    ({"T_max": 10}, ValueError, r"the state dict has \['T_max'\], which StepLR does not keep"),
], ids=["epoch-string", "epoch-negative", "base-lrs-length", "base-lrs-string", "gamma-none", "unknown-key"])
def test_scheduler_state_that_does_not_fit_is_refused_before_anything_changes(change, error, match):
    source = _step_lr()
    source.step()
    saved = dict(source.state_dict(), **change)
    target = _step_lr()
    before = dict(target.__dict__)
    with pytest.raises(error, match="StepLR.load_state_dict: " + match):
        target.load_state_dict(saved)
    assert target.__dict__ == before


def test_lambda_lr_state_of_another_length_is_refused():
    opt = optim.SGD([{"params": [p]} for p in make_params()], lr=0.1)
    saved = sched.LambdaLR(opt, [lambda t: 1.0, lambda t: 0.5]).state_dict()
    target = sched.LambdaLR(optim.SGD(make_params(), lr=0.1), lambda t: 1.0)
    with pytest.raises(TypeError, match=r"LambdaLR.load_state_dict: 'base_lrs' must be a list of 1"):
        target.load_state_dict(saved)


def test_scheduler_state_dict_must_be_a_dict():
    with pytest.raises(TypeError, match=r"StepLR.load_state_dict: expected a dict \(from state_dict\(\)\), got list"):
        _step_lr().load_state_dict([])
