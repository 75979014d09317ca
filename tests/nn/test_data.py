"""Datasets and the DataLoader: batch shapes and dtypes, the last batch, shuffling that repeats with a seed."""
from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.data import DataLoader, Dataset, TensorDataset


def _dataset(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n) % 4
    return X, y, TensorDataset(X, y)


def test_tensor_dataset_items_are_rows():
    X, y, ds = _dataset()
    assert len(ds) == 10
    xi, yi = ds[3]
    assert isinstance(xi, Tensor) and xi.data.tolist() == X[3].tolist() and yi.item() == 3


def test_tensor_dataset_accepts_tensors_and_lists():
    ds = TensorDataset(Tensor(np.ones((3, 2))), [0, 1, 2], [0.5, 1.5, 2.5])
    assert ds[2][1].dtype.kind == "i"
    assert ds[2][2].dtype == np.float32  # Python floats take the default dtype


def test_tensor_dataset_refuses_different_lengths():
    with pytest.raises(ValueError, match="every array needs the same length"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()


def test_loader_batches_in_order_with_a_smaller_last_batch():
    X, y, ds = _dataset()
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert np.array_equal(np.concatenate([b[0].data for b in batches]), X)
    assert np.array_equal(np.concatenate([b[1].data for b in batches]), y)
    assert len(DataLoader(ds, batch_size=4)) == 3


def test_loader_keeps_dtypes_of_inputs_and_integer_labels():
    _, _, ds = _dataset()
    xb, yb = next(iter(DataLoader(ds, batch_size=5)))
    assert xb.dtype == np.float32 and yb.dtype.kind == "i"
    assert not xb.requires_grad


def test_loader_drop_last():
    _, _, ds = _dataset()
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[0].shape[0] for b in loader] == [4, 4]


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    X, y, ds = _dataset(20)
    loader = DataLoader(ds, batch_size=6, shuffle=True, seed=0)
    epochs = [np.concatenate([b[0].data[:, 0] // 3 for b in loader]) for _ in range(2)]  # row i holds 3i
    for order in epochs:
        assert sorted(order.tolist()) == list(range(20))
    assert epochs[0].tolist() != list(range(20)) and epochs[0].tolist() != epochs[1].tolist()


def test_shuffle_with_a_seed_repeats_across_loaders():
    _, _, ds = _dataset(20)

    def orders(loader):
        return [np.concatenate([b[0].data[:, 0] for b in loader]).tolist() for _ in range(3)]

    assert orders(DataLoader(ds, 4, shuffle=True, seed=5)) == orders(DataLoader(ds, 4, shuffle=True, seed=5))
    assert orders(DataLoader(ds, 4, shuffle=True, seed=5)) != orders(DataLoader(ds, 4, shuffle=True, seed=6))


def test_shuffle_without_a_seed_follows_nn_init_seed():
    _, _, ds = _dataset(20)
    nn.init.seed(3)
    a = [b[0].data[:, 0].tolist() for b in DataLoader(ds, 5, shuffle=True)]
    nn.init.seed(3)
    b = [b[0].data[:, 0].tolist() for b in DataLoader(ds, 5, shuffle=True)]
    assert a == b


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float64), i % 2


def test_custom_dataset_samples_are_stacked_field_by_field():
    xb, yb = next(iter(DataLoader(Squares(), batch_size=3)))
    assert xb.data.tolist() == [[0, 0], [1, 1], [2, 4]] and xb.dtype == np.float64
    assert yb.data.tolist() == [0, 1, 0] and yb.dtype.kind == "i"


def test_dict_samples_are_batched_per_key():
    class Named(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return {"x": np.full(2, float(i)), "label": i}

    batch = next(iter(DataLoader(Named(), batch_size=2)))
    assert batch["x"].shape == (2, 2) and batch["label"].data.tolist() == [0, 1]


def test_dataset_base_class_needs_its_methods():
    with pytest.raises(NotImplementedError, match="has no __len__"):
        len(Dataset())


def test_loader_refuses_bad_batch_size_and_non_datasets():
    _, _, ds = _dataset()
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(TypeError, match="needs __len__ and __getitem__"):
        DataLoader(42)


def test_unbatchable_samples_are_named():
    class Strings(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return "text"

    with pytest.raises(TypeError, match="cannot batch samples of type str"):
        next(iter(DataLoader(Strings(), batch_size=2)))
