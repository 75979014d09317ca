"""embedding: rows of a table picked by integer ids. The lookup is indexing (`weight[indices]`), so its gradient is the
upstream gradient added back into the picked rows, summed where an id repeats (the Embedding layer is in
nn/embedding.py)."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from autograd.errors import DTypeError, ShapeError
from autograd.ops.shape import GetItem

from .common import as_tensor


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


def embedding(indices: Any, weight: Tensor, *, name: str = "embedding") -> Tensor:
    """Rows of `weight` picked by integer `indices`: out[..., :] = weight[indices[...], :].

    Args:
        indices: an integer ndarray or integer Tensor of any shape (*), each in [0, num_embeddings).
        weight: (num_embeddings, embedding_dim).
        name: the operation named in error messages (Embedding passes its class name).
    Returns:
        (*, embedding_dim). The gradient of weight row i is the sum of the gradients of every output that picked i.
    """
    weight = as_tensor(weight, name)
    if weight.ndim != 2:
        raise ShapeError(f"{name}: expected weight of shape (num_embeddings, embedding_dim), got shape "
                         f"{weight.shape}")
    ids = _indices(indices, weight.shape[0], name)
    return GetItem.apply(weight, ids)  # already checked, so the op need not validate the index again
