"""Convolution and pooling (being written)."""
from __future__ import annotations

from .module import Module


class Conv2d(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('Conv2d is not written yet')


class MaxPool2d(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('MaxPool2d is not written yet')


class AvgPool2d(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('AvgPool2d is not written yet')


def conv2d(*args, **kwargs):
    raise NotImplementedError('conv2d is not written yet')


def max_pool2d(*args, **kwargs):
    raise NotImplementedError('max_pool2d is not written yet')


def avg_pool2d(*args, **kwargs):
    raise NotImplementedError('avg_pool2d is not written yet')
