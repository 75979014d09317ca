"""The Embedding layer: a table of learned vectors, one row per token id; the lookup is F.embedding
(nn/functional/embedding.py)."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor, get_default_dtype

from . import functional as F
from . import init
from .module import Module, Parameter


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
        return F.embedding(indices, self.weight, name="Embedding")

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
