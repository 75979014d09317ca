"""Workloads for nn layers, each against a hand-written numpy baseline measured in the same process.

    W5  speed: one conv-net training step (Conv2d, ReLU, MaxPool2d, Linear, cross-entropy, SGD) vs numpy with im2col.
    W6  memory: tracemalloc peak over 20 training steps of the W3 MLP (nn.Linear + F.cross_entropy + optim.SGD) vs
        the hand-written numpy step.

benchmarks/run.py calls w5() and w6(); `python benchmarks/workloads_nn.py` runs both on their own.
"""
from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path
from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nn  # noqa: E402
import nn.functional as F  # noqa: E402
import optim  # noqa: E402
from autograd import Tensor  # noqa: E402


def _run_helpers():
    """median_times, row, mlp_data and numpy_step from run.py (imported late: run.py imports this module too)."""
    import run
    return run.median_times, run.row, run.mlp_data, run.numpy_step


# --- W5: a conv-net training step by hand in numpy ------------------------------------------------------------------
def conv_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valid 3x3 (any kernel) convolution, stride 1: im2col columns (N, C*kH*kW, OH*OW), one matmul per image."""
    N, C, H, Wd = x.shape
    O, _, kh, kw = W.shape
    OH, OW = H - kh + 1, Wd - kw + 1
    cols = sliding_window_view(x, (kh, kw), axis=(2, 3)).transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kh * kw, OH * OW)
    y = W.reshape(O, -1) @ cols
    y += b.reshape(-1, 1)
    return y.reshape(N, O, OH, OW), cols


def conv_backward(dy: np.ndarray, cols: np.ndarray, W: np.ndarray, x_shape: tuple | None):
    N, O, OH, OW = dy.shape
    d = dy.reshape(N, O, OH * OW)
    dW = (d @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(W.shape)
    db = dy.sum(axis=(0, 2, 3))
    if x_shape is None:
        return dW, db, None
    kh, kw = W.shape[2:]
    dcols = (W.reshape(O, -1).T @ d).reshape(N, x_shape[1], kh, kw, OH, OW)
    dx = np.zeros(x_shape, dtype=dy.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i:i + OH, j:j + OW] += dcols[:, :, i, j]
    return dW, db, dx


def pool_forward(a: np.ndarray) -> tuple[np.ndarray, list]:
    """2x2 max pool, stride 2 (a trailing odd row/column is dropped): the maximum of the four strided corners."""
    PH, PW = a.shape[2] // 2, a.shape[3] // 2
    corners = [a[:, :, i:2 * PH:2, j:2 * PW:2] for i in (0, 1) for j in (0, 1)]
    out = np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]))
    return out, [c == out for c in corners]


def pool_backward(dout: np.ndarray, masks: list, shape: tuple) -> np.ndarray:
    PH, PW = dout.shape[2:]
    da = np.zeros(shape, dtype=dout.dtype)
    for (i, j), mask in zip(((0, 0), (0, 1), (1, 0), (1, 1)), masks):
        da[:, :, i:2 * PH:2, j:2 * PW:2] = dout * mask
    return da


def numpy_conv_step(X: np.ndarray, labels: np.ndarray, params: list, lr: float = 0.01) -> float:
    W1, b1, W2, b2, W3, b3 = params
    n = X.shape[0]
    c1, cols1 = conv_forward(X, W1, b1)
    a1 = np.maximum(c1, 0)
    p1, m1 = pool_forward(a1)
    c2, cols2 = conv_forward(p1, W2, b2)
    a2 = np.maximum(c2, 0)
    p2, m2 = pool_forward(a2)
    flat = p2.reshape(n, -1)
    logits = flat @ W3.T + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), labels]).mean()
    d = probs
    d[np.arange(n), labels] -= 1
    d /= n
    dW3, db3 = d.T @ flat, d.sum(axis=0)
    dp2 = (d @ W3).reshape(p2.shape)
    dc2 = pool_backward(dp2, m2, a2.shape) * (c2 > 0)
    dW2, db2, dp1 = conv_backward(dc2, cols2, W2, p1.shape)
    dc1 = pool_backward(dp1, m1, a1.shape) * (c1 > 0)
    dW1, db1, _ = conv_backward(dc1, cols1, W1, None)
    for p, g in zip(params, (dW1, db1, dW2, db2, dW3, db3)):
        p -= lr * g
    return float(loss)


def conv_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),   # (N, 8, 13, 13)
                         nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 5, 5)
                         nn.Flatten(), nn.Linear(16 * 5 * 5, 10))


def w5() -> None:
    median_times, row, _, _ = _run_helpers()
    print("W5  conv step: batch 32 of 1x28x28, conv 8@3x3, relu, maxpool 2, conv 16@3x3, relu, maxpool 2, linear 10, "
          "cross-entropy, SGD")
    rng = np.random.default_rng(0)
    X = rng.random((32, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 32)
    nn.init.seed(0)
    model = conv_model()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    params = [p.data.copy() for p in model.parameters()]  # the same starting point for the numpy step
    Xt = Tensor(X)

    def step() -> float:
        loss = F.cross_entropy(model(Xt), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    # both steps compute the same thing: one step from the same weights gives the same loss and the same weights
    first, first_numpy = step(), numpy_conv_step(X, labels, params)
    drift = max(float(np.abs(p.data - q).max()) for p, q in zip(model.parameters(), params))
    if abs(first - first_numpy) > 1e-4 or drift > 1e-5:
        raise RuntimeError(f"W5: the nn step and the numpy step disagree (loss {first} vs {first_numpy}, weights "
                           f"differ by {drift})")
    torch_step = _torch_conv_step(model, X, labels)
    if torch_step is None:
        base, t = median_times([lambda: numpy_conv_step(X, labels, params), step])  # alternating blocks, as W3, W4
    else:
        base, t, t_torch = median_times([lambda: numpy_conv_step(X, labels, params), step, torch_step])
    row("hand-written numpy step (im2col)", base)
    row("nn + F + optim (target <= 1.3x)", t, base)
    if torch_step is None:
        print("  PyTorch: skipped: PyTorch not installed")
        return
    import torch
    row(f"PyTorch {torch.__version__} ({torch.get_num_threads()} thread(s)), the same step", t_torch)
    row("nn + F + optim vs PyTorch (target <= 1.5x)", t, t_torch)


def _torch_conv_step(model: nn.Module, X: np.ndarray, labels: np.ndarray) -> Callable[[], float] | None:
    """The W5 step in PyTorch (CPU, as many threads as OPENBLAS_NUM_THREADS when set) from `model`'s weights, checked
    to give the same loss; None when PyTorch is not installed (it is never a dependency of the project)."""
    try:
        import torch
    except ImportError:
        return None
    import os
    torch.set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", torch.get_num_threads())))
    tnn = torch.nn
    tmodel = tnn.Sequential(tnn.Conv2d(1, 8, 3), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(8, 16, 3), tnn.ReLU(),
                            tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(16 * 5 * 5, 10))
    tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    optimizer = torch.optim.SGD(tmodel.parameters(), lr=0.01)
    tX, tlabels = torch.from_numpy(X), torch.from_numpy(labels)

    def step() -> float:
        loss = torch.nn.functional.cross_entropy(tmodel(tX), tlabels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    ours = float(F.cross_entropy(model(Tensor(X)), labels).item())
    if abs(step() - ours) > 1e-4:
        raise RuntimeError("W5: the nn model and the PyTorch model disagree on the loss from the same weights")
    return step


# --- W6: memory held while training the W3 MLP ----------------------------------------------------------------------
def traced_peak(step: Callable[[], object], steps: int = 20) -> int:
    """Bytes allocated at the peak of `steps` calls of `step`, above what was allocated when they began."""
    step()  # warm-up: lazily made state (caches, optimizer state) is not part of a step's working memory
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(steps):
            step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - start


def w6() -> None:
    _, _, mlp_data, numpy_step = _run_helpers()
    print("W6  memory: tracemalloc peak above the start over 20 training steps of the W3 MLP (784-256-256-10 ReLU, "
          "batch 128, float32)")
    X, labels, arrays = mlp_data()
    base = traced_peak(lambda: float(numpy_step(X, labels, arrays)))
    print(f"  {'hand-written numpy step':<44} {base / 2 ** 20:10.3f} MB     base")

    X, labels, arrays = mlp_data()
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for layer, W, b in zip(linears, arrays[0::2], arrays[1::2]):
        layer.weight.data = np.ascontiguousarray(W.T)  # nn.Linear keeps (out, in), the numpy step (in, out)
        layer.bias.data = b.copy()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    Xt = Tensor(X)

    def step() -> float:
        loss = F.cross_entropy(model(Xt), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    peak = traced_peak(step)
    print(f"  {'nn.Linear + F.cross_entropy + optim.SGD':<44} {peak / 2 ** 20:10.3f} MB  {peak / base:6.2f}x  "
          "(target <= 1.5x)")


if __name__ == "__main__":
    w5()
    print()
    w6()
