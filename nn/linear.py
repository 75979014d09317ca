"""Linear layers (being written)."""
from __future__ import annotations

from .module import Module


class Linear(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('Linear is not written yet')


class Identity(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('Identity is not written yet')


class Flatten(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('Flatten is not written yet')


class MLP(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('MLP is not written yet')
