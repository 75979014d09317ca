"""Attention (being written)."""
from __future__ import annotations

from .module import Module


class CausalSelfAttention(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('CausalSelfAttention is not written yet')


class TransformerBlock(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('TransformerBlock is not written yet')


class GPT(Module):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('GPT is not written yet')


class GPTConfig:
    def __init__(self, *args, **kwargs):
        raise NotImplementedError('GPTConfig is not written yet')
