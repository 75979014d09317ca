"""WJ: forward mode and the function transforms, as ratios measured in the same process.

    WJ1 jvp of an elementwise chain against the same chain's forward pass alone (no derivative), on a small array
        (100 elements: Python's overhead per op dominates) and a large one (1,000,000 elements: numpy's arithmetic
        and memory traffic do), for two chains: W4's (multiply, add, a tanh every tenth op) and one of tanh and exp.
        The same ratio for the chain and its tangent written by hand in numpy shows the floor: a tangent costs array
        passes of its own (t * 0.9 is as dear as x * 0.9; tanh's needs three).
    WJ2 jacfwd against jacrev for f: R^n -> R^m with n/m from 1/100 to 100/1: forward mode carries n tangents through
        one pass, reverse mode runs m backward passes; the ratio crosses 1 where n and m cross.
    WJ3 hessian of a 100-parameter MLP loss (forward over reverse) against 100 gradient evaluations (loss.backward()).

benchmarks/run.py calls wj(); `python benchmarks/workloads_forward.py` runs it on its own.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from autograd import Tensor  # noqa: E402
from autograd.func import grad, hessian, jacfwd, jacrev, jvp  # noqa: E402


def _run_helpers():
    """median_times and row from run.py (imported late: run.py imports this module too)."""
    import run
    return run.median_times, run.row


# --- WJ1: jvp of an elementwise chain --------------------------------------------------------------------------------
def w4_chain(x: Tensor) -> Tensor:
    """W4's chain, 100 ops: x * 0.9 and x + 0.5 in turn, a tanh every tenth op."""
    for i in range(100):
        if i % 10 == 9:
            x = x.tanh()
        elif i % 2:
            x = x + 0.5
        else:
            x = x * 0.9
    return x


def activation_chain(x: Tensor) -> Tensor:
    """60 ops: ten rounds of a scaled, shifted tanh and the exp of its square (bounded, so it never overflows)."""
    for _ in range(10):
        x = (x * 0.9 + 0.1).tanh()
        x = (x * x * -0.5).exp()
    return x


def w4_chain_by_hand(x: np.ndarray, t: np.ndarray | None = None) -> tuple:
    """w4_chain written in numpy; given a tangent t, its tangent too, written by hand (the floor for jvp)."""
    for i in range(100):
        if i % 10 == 9:
            x = np.tanh(x)
            t = None if t is None else t * (1 - x * x)
        elif i % 2:
            x = x + 0.5
        else:
            x = x * 0.9
            t = None if t is None else t * 0.9
    return x, t


def activation_chain_by_hand(x: np.ndarray, t: np.ndarray | None = None) -> tuple:
    """activation_chain written in numpy; given a tangent t, its tangent too, in as few array ops as it takes."""
    for _ in range(10):
        a = np.tanh(x * 0.9 + 0.1)
        t = None if t is None else t * (0.9 - 0.9 * a * a)
        x = np.exp(a * a * -0.5)
        t = None if t is None else t * (-a * x)
    return x, t


def jvp_chain() -> None:
    median_times, row = _run_helpers()
    print("WJ1 jvp of an elementwise chain vs the chain's forward pass alone (float64); the same value and tangent "
          "written by hand in numpy, against numpy's forward, is the floor")
    for chain, by_hand in ((w4_chain, w4_chain_by_hand), (activation_chain, activation_chain_by_hand)):
        for n in (100, 1_000_000):
            x, v = Tensor(np.linspace(-1, 1, n)), np.ones(n)
            forward, tangent, numpy_forward, numpy_tangent = median_times(
                [lambda: chain(x), lambda: jvp(chain, (x,), (v,)), lambda: by_hand(x.data), lambda: by_hand(x.data, v)],
                rounds=10 if n < 10_000 else 3)
            row(f"{chain.__name__}, {n:,} elements: forward alone", forward)
            row("    jvp: value and tangent (target <= 1.5x)", tangent, forward)
            row("    numpy by hand: forward alone", numpy_forward)
            row("    numpy by hand: value and tangent", numpy_tangent, numpy_forward)


# --- WJ2: jacfwd vs jacrev across shapes ------------------------------------------------------------------------------
SHAPES = ((1, 100), (4, 50), (10, 20), (20, 20), (20, 10), (50, 4), (100, 1))


def mixing(n: int, m: int, seed: int = 0):
    """f: R^n -> R^m, f(x) = sin(W @ tanh(x / 2)) with a fixed W (m, n): four ops whatever n and m."""
    W = Tensor(np.random.default_rng(seed).standard_normal((m, n)) / np.sqrt(n))

    def f(x: Tensor) -> Tensor:
        return (W @ (x * 0.5).tanh()).sin()
    return f


def crossover(rounds: int = 5) -> list[tuple[int, int, float, float]]:
    """(n, m, jacfwd seconds, jacrev seconds) for each n/m of SHAPES (printed as a table)."""
    median_times, _ = _run_helpers()
    print("WJ2 jacfwd vs jacrev for f: R^n -> R^m, f(x) = sin(W @ tanh(x/2)): forward mode carries n tangents through "
          "one pass, reverse mode runs m backward passes")
    print(f"  {'n':>5} {'m':>5} {'jacfwd ms':>11} {'jacrev ms':>11} {'jacrev/jacfwd':>14}  faster")
    found = []
    for n, m in SHAPES:
        f, x = mixing(n, m), np.linspace(-1, 1, n)
        fwd, rev = median_times([lambda: jacfwd(f)(x), lambda: jacrev(f)(x)], rounds=rounds)
        print(f"  {n:>5} {m:>5} {fwd * 1e3:>11.3f} {rev * 1e3:>11.3f} {rev / fwd:>13.2f}x  "
              f"{'forward' if fwd < rev else 'reverse'}")
        found.append((n, m, fwd, rev))
    return found


# --- WJ3: hessian of a 100-parameter MLP loss -------------------------------------------------------------------------
def mlp_loss(seed: int = 0):
    """The MSE loss of a 3-8-6-2 tanh MLP on 32 points as a function of one flat vector of its 100 parameters
    (24 + 8 + 48 + 6 + 12 + 2), and a starting vector."""
    rng = np.random.default_rng(seed)
    X, Y = Tensor(rng.standard_normal((32, 3))), Tensor(rng.standard_normal((32, 2)))
    shapes = [(3, 8), (8,), (8, 6), (6,), (6, 2), (2,)]

    def loss(p: Tensor) -> Tensor:
        params, at = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            params.append(p[at:at + size].reshape(shape))
            at += size
        W1, b1, W2, b2, W3, b3 = params
        h = (X @ W1 + b1).tanh()
        h = (h @ W2 + b2).tanh()
        return ((h @ W3 + b3 - Y) ** 2).mean()
    return loss, rng.standard_normal(sum(int(np.prod(s)) for s in shapes)) * 0.3


def hessian_vs_gradients() -> None:
    median_times, row = _run_helpers()
    loss, p = mlp_loss()
    n = p.size
    print(f"WJ3 hessian of an MLP loss (3-8-6-2, tanh, 32 points, MSE: {n} parameters) vs {n} gradient evaluations")
    leaf = Tensor(p, requires_grad=True)

    def gradients() -> None:
        for _ in range(n):
            leaf.grad = None
            loss(leaf).backward()

    def gradients_by_transform() -> None:
        g = grad(loss)
        for _ in range(n):
            g(p)

    base, by_grad, by_hessian = median_times([gradients, gradients_by_transform, lambda: hessian(loss)(p)],
                                             rounds=3, per_round=1)
    row(f"{n} x loss.backward()", base)
    row(f"{n} x autograd.func.grad(loss)(p)", by_grad, base)
    row("hessian(loss)(p), forward over reverse (target <= 3x)", by_hessian, base)


def wj() -> None:
    jvp_chain()
    print()
    crossover()
    print()
    hessian_vs_gradients()


if __name__ == "__main__":
    wj()
