"""Fuzzing checkpoints: truncated, bit-flipped and foreign files give the project's CheckpointError (never another
exception, never executed code), a state dict that does not fit raises StateDictError and leaves the module exactly
as it was, and one that fits is loaded."""
from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn.module import StateDictError
from nn.serialization import CheckpointError, _read


def _model():
    nn.init.seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 2))


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "model.npz"
    nn.save(_model().state_dict(), path)
    return path.read_bytes()


def _load_bytes(tmp_path, data: bytes):
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(data)
    return nn.load(path)


@given(cut=st.integers(0, 10_000))
def test_truncated_checkpoints_raise_checkpoint_error(tmp_path_factory, checkpoint_bytes, cut):
    data = checkpoint_bytes[: cut % len(checkpoint_bytes)]
    with pytest.raises(CheckpointError):
        _load_bytes(tmp_path_factory.mktemp("t"), data)


@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7)), min_size=1, max_size=4))
def test_bit_flipped_checkpoints_load_identically_or_raise_checkpoint_error(tmp_path_factory, checkpoint_bytes,
                                                                            flips):
    data = bytearray(checkpoint_bytes)
    for position, bit in flips:
        data[position % len(data)] ^= 1 << bit
    try:
        state = _load_bytes(tmp_path_factory.mktemp("f"), bytes(data))
    except CheckpointError:
        return
    # a flip that numpy and zip cannot see (in a name's padding, say) must not change any array silently
    reference = _model().state_dict()
    assert list(state) == list(reference)
    for key in reference:
        np.testing.assert_array_equal(state[key], reference[key])


class _Counted(nn.Module):
    """A model's checkpoint in small: a weight member over 4 kB (zipfile reads 4 kB ahead, so only a longer member
    can end unread, its CRC unchecked), a bias and an int64 step counter."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(32, 32)
        self.register_buffer("steps", np.array(1234, dtype=np.int64))


def test_every_single_bit_flip_of_a_checkpoint_loads_identically_or_raises_checkpoint_error(tmp_path):
    nn.init.seed(0)
    reference = _Counted().state_dict()
    nn.save(reference, tmp_path / "model.npz")
    data = (tmp_path / "model.npz").read_bytes()
    assert reference["fc.weight"].nbytes == 4096  # and the .npy header makes the member longer
    unchanged = 0
    for position in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[position] ^= 1 << bit
            try:
                state = _read(io.BytesIO(flipped), "nn.load: 'flipped'")  # nn.load's reader, from memory
            except CheckpointError:
                continue
            assert list(state) == list(reference), (position, bit)
            for key in reference:
                assert state[key].dtype == reference[key].dtype, (position, bit, key)
                assert np.array_equal(state[key], reference[key]), (position, bit, key)
            unchanged += 1
    assert 0 < unchanged < len(data)  # flips in timestamps and the like change nothing; most are caught


@given(payload=st.binary(min_size=0, max_size=300))
def test_arbitrary_bytes_raise_checkpoint_error(tmp_path_factory, payload):
    with pytest.raises(CheckpointError):
        _load_bytes(tmp_path_factory.mktemp("b"), payload)


class _Boom:
    """Unpickling this would create a file: proof that loading ran code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_npz_whose_pickle_would_run_code_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as zf:  # an npz whose one member is a pickled object array
        array_bytes = io.BytesIO()
        np.lib.format.write_array(array_bytes, np.array([_Boom(str(marker))], dtype=object), allow_pickle=True)
        zf.writestr("weight.npy", array_bytes.getvalue())
    with pytest.raises(CheckpointError, match="holds pickled objects"):
        nn.load(path)
    assert not marker.exists()
    raw_pickle = tmp_path / "evil.pkl"
    raw_pickle.write_bytes(pickle.dumps(_Boom(str(marker))))
    with pytest.raises(CheckpointError):
        nn.load(raw_pickle)
    assert not marker.exists()


N_KEYS = len(_model().state_dict())


@given(drop=st.sets(st.integers(0, N_KEYS - 1), max_size=3), extra=st.booleans(),
       reshape=st.sets(st.integers(0, N_KEYS - 1), max_size=2), scale=st.floats(0.5, 2.0))
def test_a_state_dict_that_does_not_fit_leaves_the_module_unchanged(drop, extra, reshape, scale):
    model = _model()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    keys = list(before)
    state = {}
    for i, (k, v) in enumerate(before.items()):
        if i in drop:
            continue
        value = v * scale if v.dtype.kind == "f" else v
        state[k] = value.reshape(-1, 1) if i in reshape and value.ndim else value
    if extra:
        state["not.a.parameter"] = np.zeros(2)
    fits = not drop and not extra and not any(before[k].ndim for i, k in enumerate(keys) if i in reshape)
    if fits:
        model.load_state_dict(state)
        after = model.state_dict()
        assert list(after) == keys
        for k in keys:
            np.testing.assert_array_equal(after[k], state[k])
        return
    # load_state_dict reports missing keys, unexpected keys and shape mismatches alike as a StateDictError
    with pytest.raises(StateDictError):
        model.load_state_dict(state)
    after = model.state_dict()
    assert list(after) == list(before)
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])
