"""Embedding: a lookup table of learned vectors, one row per token id. The lookup is indexing (`weight[indices]`), so
its gradient is the upstream gradient added back into the picked rows, summed where an id repeats."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, get_default_dtype
from autograd.errors import DTypeError, ShapeError
from autograd.ops.shape import GetItem

from . import init
from .functional import as_tensor  # functional imports this file last, once as_tensor exists
from .module import Module, Parameter


def _indices(indices: Any, num_embeddings: int, name: str) -> np.ndarray:
    """The ids as an integer array, checked to lie in [0, num_embeddings)."""
    data = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if data.dtype.kind not in "iu":
        raise DTypeError(f"{name}: expected integer indices (token ids), got dtype {data.dtype}; convert them with "
                         ".astype(np.int64)")
    if data.size:
        low, high = data.min(), data.max()
        if low < 0 or high >= num_embeddings:
            bad = low if low < 0 else high
            raise IndexError(f"{name}: index {int(bad)} is out of range; valid indices are 0..{num_embeddings - 1} "
                             f"(num_embeddings={num_embeddings})")
    return data


def embedding(indices: Any, weight: Tensor) -> Tensor:
    """Rows of `weight` picked by integer `indices`: out[..., :] = weight[indices[...], :].

    Args:
        indices: an integer ndarray or integer Tensor of any shape (*), each in [0, num_embeddings).
        weight: (num_embeddings, embedding_dim).
    Returns:
        (*, embedding_dim). The gradient of weight row i is the sum of the gradients of every output that picked i.
    """
    weight = as_tensor(weight, "embedding")
    if weight.ndim != 2:
        raise ShapeError(f"embedding: expected weight of shape (num_embeddings, embedding_dim), got shape "
                         f"{weight.shape}")
    return _lookup(indices, weight, "embedding")


def _lookup(indices: Any, weight: Tensor, name: str) -> Tensor:
    ids = _indices(indices, weight.shape[0], name)
    return GetItem.apply(weight, ids)  # already checked, so the op need not validate the index again


class Embedding(Module):
    """A table of num_embeddings learned vectors of size embedding_dim; weight initialised N(0, 1) as in PyTorch.

    Args:
        num_embeddings: how many ids (the vocabulary size).
        embedding_dim: the size of each vector.
        dtype: the weight's dtype (the default dtype unless given).
    Shape:
        integer ids (*) -> (*, embedding_dim).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype: Any = None) -> None:
        super().__init__()
        if num_embeddings < 1 or embedding_dim < 1:
            raise ValueError(f"Embedding: num_embeddings and embedding_dim must be >= 1, got {num_embeddings} and "
                             f"{embedding_dim}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=np.dtype(dtype or get_default_dtype())))
        init.normal_(self.weight, 0.0, 1.0)

    def forward(self, indices: Any) -> Tensor:
        return _lookup(indices, self.weight, "Embedding")

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
