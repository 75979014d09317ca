"""Saving (being written)."""
from __future__ import annotations

from .module import Module


def save(*args, **kwargs):
    raise NotImplementedError('save is not written yet')


def load(*args, **kwargs):
    raise NotImplementedError('load is not written yet')
