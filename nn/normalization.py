"""Normalization (being written)."""
from __future__ import annotations

from .module import Module


class BatchNorm1d(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('BatchNorm1d is not written yet')


class BatchNorm2d(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('BatchNorm2d is not written yet')


class LayerNorm(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('LayerNorm is not written yet')


def batch_norm(*args, **kwargs):
    raise NotImplementedError('batch_norm is not written yet')


def layer_norm(*args, **kwargs):
    raise NotImplementedError('layer_norm is not written yet')
