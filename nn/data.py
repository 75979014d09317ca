"""Datasets and the DataLoader that cuts them into (shuffled) mini-batches of Tensors."""
from __future__ import annotations

import numbers
from typing import Any, Iterator

import numpy as np

from autograd import Tensor, get_default_dtype

from . import init


class Dataset:
    """A sized collection of samples: subclasses define `__len__` and `__getitem__(i)` (a sample or a tuple)."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no __getitem__(index) method")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} has no __len__() method")


def _as_array(x: Any) -> np.ndarray:
    """Tensor data and arrays keep their dtype; Python floats become the default float dtype, ints stay integers."""
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, np.ndarray):
        return x
    array = np.asarray(x)
    return array.astype(get_default_dtype()) if array.dtype.kind == "f" else array


class TensorDataset(Dataset):
    """Samples are rows of the given arrays: TensorDataset(X, y)[i] == (X[i], y[i]).

    Args:
        *arrays: Tensors, ndarrays or lists with the same length (first axis); integer labels stay integers.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: expected at least one array, got none")
        self.arrays = [_as_array(a) for a in arrays]
        lengths = [len(a) if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: every array needs the same length (first axis), got shapes "
                             f"{[a.shape for a in self.arrays]}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor(a[index]) for a in self.arrays)


def _collate(samples: list) -> Any:
    """Stack a list of samples into one batch: field by field for tuples, as Tensors."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (Tensor, np.ndarray, numbers.Number, np.generic)):
        return Tensor(np.stack([_as_array(s) for s in samples]) if not isinstance(first, numbers.Number)
                      else _as_array(samples))
    raise TypeError(f"DataLoader: cannot batch samples of type {type(first).__name__}; a dataset should return "
                    "Tensors, arrays, numbers, or tuples/dicts of them")


class DataLoader:
    """Iterate over a dataset in mini-batches of Tensors (stacked along a new first axis).

    Args:
        dataset: a Dataset (or anything with __len__ and __getitem__).
        batch_size: samples per batch.
        shuffle: a new random order every epoch (every `iter`).
        drop_last: skip the last batch when it is smaller than batch_size.
        seed: seed for the shuffling, so the epochs' orders repeat from run to run; by default the order comes from
            nn.init's generator (see nn.init.seed).
    Yields:
        a batch shaped like one sample: a Tensor, or a tuple of Tensors for a TensorDataset (inputs, labels).
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None) -> None:
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset needs __len__ and __getitem__, got {type(dataset).__name__}")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self._rng = None if seed is None else np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        if self.shuffle:
            order = (self._rng or init.get_generator()).permutation(n)
        else:
            order = np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if isinstance(self.dataset, TensorDataset):  # one fancy index per array instead of stacking rows
                yield tuple(Tensor(a[indices]) for a in self.dataset.arrays)
            else:
                yield _collate([self.dataset[int(i)] for i in indices])
