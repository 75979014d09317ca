"""Embedding (being written)."""
from __future__ import annotations

from .module import Module


class Embedding(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('Embedding is not written yet')


def embedding(*args, **kwargs):
    raise NotImplementedError('embedding is not written yet')
