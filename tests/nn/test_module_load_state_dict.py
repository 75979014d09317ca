"""Module.load_state_dict is all or nothing: a problem found while checking changes nothing, and a copy that fails
part-way puts back what was already copied."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nn
from nn.module import StateDictError


def _model():
    nn.init.seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))


def _other_values(model):
    """A state dict that fits `model`, every value different from its own."""
    return {k: v + 1 for k, v in model.state_dict().items()}


def _assert_unchanged(model, before):
    after = model.state_dict()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)


def test_a_read_only_array_is_reported_and_nothing_is_loaded():
    model = _model()
    before = model.state_dict()
    model[1].running_var.data.flags.writeable = False  # after the Linear's weight and bias, in state dict order
    with pytest.raises(StateDictError, match=r"1.running_var: its array is read-only, so it cannot be loaded in "
                                             r"place .* Nothing was loaded"):
        model.load_state_dict(_other_values(model))
    _assert_unchanged(model, before)


def test_a_copy_failing_part_way_puts_back_what_was_copied():
    model = _model()
    before = model.state_dict()
    state = _other_values(model)
    state["1.num_batches_tracked"] = np.array(np.nan)  # passes the checks (a float of the right shape); the copy
    # into the int64 counter, the last entry, warns of an invalid cast, and warnings are errors here
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="invalid value encountered in cast"):
            model.load_state_dict(state)
    _assert_unchanged(model, before)


class _Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(2, 2, bias=False)
        self.decoder = nn.Linear(2, 2, bias=False)
        self.decoder.weight = self.encoder.weight  # one Parameter under two keys
        self.register_buffer("count", np.array(0, dtype=np.int64))


def test_a_failed_copy_restores_a_tied_weight_copied_twice():
    model = _Tied()
    before = model.state_dict()
    state = {"encoder.weight": np.ones((2, 2)), "decoder.weight": np.full((2, 2), 2.0), "count": np.array(np.inf)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning):
            model.load_state_dict(state)
    _assert_unchanged(model, before)


def test_a_successful_load_writes_in_place():
    model = _model()
    weight = model[0].weight.data
    state = _other_values(model)
    model.load_state_dict(state)
    assert model[0].weight.data is weight
    _assert_unchanged(model, state)
