"""Activation and dropout layers (being written)."""
from __future__ import annotations

from .module import Module


class ReLU(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('ReLU is not written yet')


class LeakyReLU(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('LeakyReLU is not written yet')


class GELU(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('GELU is not written yet')


class Tanh(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('Tanh is not written yet')


class Sigmoid(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('Sigmoid is not written yet')


class Softmax(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('Softmax is not written yet')


class Dropout(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('Dropout is not written yet')
