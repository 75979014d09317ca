"""The test problem the optimizer tests share: f(x) = 0.5 x^T A x - b^T x, whose gradient A x - b comes from the
engine's backward, and the path an optimizer takes on it."""
from __future__ import annotations

from typing import Callable

import numpy as np

from autograd import Tensor

A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5])
X0 = np.array([0.5, -1.0, 2.0])


def quadratic(x: Tensor) -> Tensor:
    return 0.5 * (x @ (Tensor(A) @ x)) - (x * Tensor(B)).sum()


def engine_path(make_optimizer: Callable, steps: int = 8) -> np.ndarray:
    """Positions after each step of an optimizer driven by gradients from the engine's backward."""
    x = Tensor(X0, requires_grad=True)
    optimizer = make_optimizer([x])
    path = []
    for _ in range(steps):
        optimizer.zero_grad()
        quadratic(x).backward()
        optimizer.step()
        path.append(x.data.copy())
    return np.array(path)
