"""nn.save / nn.load: round trips, atomic writes, and clear errors for damaged or foreign files (never unpickled)."""
from __future__ import annotations

import os
import pickle
import zipfile

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.errors import AutogradError


@pytest.fixture(autouse=True)
def _seed():
    nn.init.seed(0)


class WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.MLP([3, 4, 2])
        self.register_buffer("steps", np.array(7, dtype=np.int64))


def test_state_dict_round_trip_keeps_keys_order_values_and_dtypes(tmp_path):
    model = WithBuffer()
    path = tmp_path / "model.npz"
    nn.save(model.state_dict(), path)
    loaded = nn.load(path)
    original = model.state_dict()
    assert list(loaded) == list(original) == ["steps", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    for key in original:
        assert loaded[key].dtype == original[key].dtype and np.array_equal(loaded[key], original[key])


def test_loaded_checkpoint_reproduces_the_model(tmp_path):
    source = nn.MLP([4, 8, 3])
    nn.save(source.state_dict(), tmp_path / "ckpt.npz")
    target = nn.MLP([4, 8, 3])
    x = Tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    assert not np.array_equal(source(x).data, target(x).data)
    target.load_state_dict(nn.load(tmp_path / "ckpt.npz"))
    assert np.array_equal(source(x).data, target(x).data)


def test_save_writes_exactly_at_the_path_given(tmp_path):
    nn.save({"w": np.ones(2)}, str(tmp_path / "weights.ckpt"))
    assert sorted(os.listdir(tmp_path)) == ["weights.ckpt"]
    assert nn.load(tmp_path / "weights.ckpt")["w"].tolist() == [1.0, 1.0]


def test_save_accepts_tensors_and_numbers(tmp_path):
    nn.save({"t": Tensor([1.0, 2.0]), "n": 3}, tmp_path / "a.npz")
    loaded = nn.load(tmp_path / "a.npz")
    assert loaded["t"].dtype == np.float32 and loaded["n"].item() == 3


def test_keys_that_are_numpy_savez_argument_names_round_trip(tmp_path):
    nn.save({"file": np.zeros(1), "allow_pickle": np.ones(1)}, tmp_path / "a.npz")
    assert list(nn.load(tmp_path / "a.npz")) == ["file", "allow_pickle"]


def test_a_plain_numpy_savez_file_loads(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.arange(3), b=np.eye(2))
    loaded = nn.load(tmp_path / "plain.npz")
    assert loaded["a"].tolist() == [0, 1, 2] and np.array_equal(loaded["b"], np.eye(2))


def test_a_crash_mid_write_leaves_the_old_file_intact_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    nn.save({"w": np.zeros(3)}, path)
    before = path.read_bytes()
    real_write = np.lib.format.write_array
    calls = []

    def write_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process is stopped half-way through the archive
        return real_write(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"w": np.ones(3), "b": np.ones(2)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_saved_file_gets_ordinary_permissions(tmp_path):
    nn.save({"w": np.zeros(1)}, tmp_path / "m.npz")
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o644


def test_saving_objects_is_refused(tmp_path):
    with pytest.raises(nn.CheckpointError, match="'meta' holds list of dtype <U1"):
        nn.save({"meta": ["a", "b"]}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_save_needs_a_mapping(tmp_path):
    with pytest.raises(TypeError, match="expected a dict of name -> array"):
        nn.save(nn.Linear(1, 1), tmp_path / "x.npz")


def test_truncated_checkpoint_is_reported_as_truncated(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(nn.MLP([3, 4, 2]).state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(nn.CheckpointError, match="is truncated or damaged"):
        nn.load(path)


def test_file_that_is_not_a_zip(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    with pytest.raises(nn.CheckpointError, match="is not an .npz checkpoint: it is not a zip archive$"):
        nn.load(path)


def test_pickle_file_is_named_and_never_unpickled(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo should-not-run > " + str(tmp_path / "ran"),))

    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": Boom()}))
    with pytest.raises(nn.CheckpointError, match="looks like a pickle, which nn.load never runs"):
        nn.load(path)
    assert not (tmp_path / "ran").exists()


def test_zip_that_is_not_an_npz(tmp_path):
    path = tmp_path / "archive.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not arrays")
    with pytest.raises(nn.CheckpointError, match="is a zip archive but not an .npz checkpoint"):
        nn.load(path)


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, w=np.zeros(2), meta=np.array([{"lr": 0.1}], dtype=object))
    with pytest.raises(nn.CheckpointError, match="holds pickled objects"):
        nn.load(path)


def test_single_npy_file_is_named(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, np.zeros(2))
    with pytest.raises(nn.CheckpointError, match="is a single .npy array"):
        nn.load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.npz")


def test_checkpoint_error_is_a_value_error_of_the_project():
    assert issubclass(nn.CheckpointError, ValueError) and issubclass(nn.CheckpointError, AutogradError)
