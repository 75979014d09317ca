"""Losses (being written)."""
from __future__ import annotations

from .module import Module


class MSELoss(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('MSELoss is not written yet')


class L1Loss(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('L1Loss is not written yet')


class CrossEntropyLoss(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('CrossEntropyLoss is not written yet')


class NLLLoss(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('NLLLoss is not written yet')


class BCELoss(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('BCELoss is not written yet')


class BCEWithLogitsLoss(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('BCEWithLogitsLoss is not written yet')


class HingeLoss(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('HingeLoss is not written yet')
