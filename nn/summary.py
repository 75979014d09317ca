"""Model summary (being written)."""
from __future__ import annotations

from .module import Module


def summary(*args, **kwargs):
    raise NotImplementedError('summary is not written yet')
