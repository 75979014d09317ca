"""Speed of the engine, as ratios to a baseline measured in the same process (machines here are shared and noisy).

Each workload runs a warm-up, then a fixed number of timed steps; a baseline and its candidate are timed in
alternating blocks of back-to-back steps (`median_times`), so a change in the machine's load hits both alike. There
is no gc.collect or sleep between steps (idle BLAS threads would distort the figures), except in W1: micrograd's
graphs are reference cycles that only the garbage collector frees, so W1 times its two sides one after the other and
collects between them. The table shows medians and the ratio to the baseline.

    python benchmarks/run.py            # every workload
    python benchmarks/run.py W3 W4      # some of them
    python benchmarks/run.py W2 --depth 1000000

W1 scalar MLP step (Value) vs micrograd; W2 depth (a chain of N steps); W3 MLP step vs hand-written numpy (float32
and float64); W4 per-op overhead vs plain numpy; W5 conv step vs hand-written im2col numpy (and PyTorch, when
installed); W6 memory of 20 MLP steps vs hand-written numpy; W7 GPT step vs PyTorch (when installed); WP profiler
overhead when off; WA anomaly-mode overhead when off; WM memory over 2,000 training steps (flat); WJ forward mode: jvp
vs forward, jacfwd vs jacrev across shapes, a Hessian vs gradients (benchmarks/workloads_forward.py).
"""
from __future__ import annotations

import argparse
import gc
import importlib.metadata
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autograd as ag  # noqa: E402
from autograd import Tensor, Value  # noqa: E402


def median_time(step: Callable[[], object], repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class CollectorClock:
    """Seconds the garbage collector spends while it is entered (gc.callbacks mark each collection's start and end)."""

    def __enter__(self) -> CollectorClock:
        self.seconds, self._start = 0.0, 0.0
        gc.callbacks.append(self._tick)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._tick)

    def _tick(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start


def median_times(steps: list[Callable[[], object]], rounds: int = 10, per_round: int = 3, warmup: int = 3) -> list[float]:
    """Medians of several workloads timed in alternating blocks of `per_round` back-to-back steps, so that a change
    in the machine's load during the run hits the baseline and the candidate alike."""
    for step in steps:
        for _ in range(warmup):
            step()
    times: list[list[float]] = [[] for _ in steps]
    for _ in range(rounds):
        for step, bucket in zip(steps, times):
            for _ in range(per_round):
                start = time.perf_counter()
                step()
                bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in times]


def row(name: str, seconds: float, base: float | None = None, extra: str = "") -> None:
    ratio = f"{seconds / base:6.2f}x" if base else "   base"
    print(f"  {name:<44} {seconds * 1e3:10.3f} ms  {ratio}  {extra}")


# --- W1: micrograd's demo step with Value -------------------------------------------------------------------------
def moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([x, y], 1) + noise * rng.standard_normal((n, 2))
    return X, np.where(upper, -1.0, 1.0)


def scalar_mlp(sizes: list[int], seed: int = 0) -> list[list[tuple[list[Value], Value]]]:
    rng = np.random.default_rng(seed)
    return [[([Value(w) for w in rng.uniform(-1, 1, n_in)], Value(0.0)) for _ in range(n_out)]
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def scalar_forward(layers, x):
    for k, layer in enumerate(layers):
        last = k == len(layers) - 1
        out = []
        for w, b in layer:
            act = sum((wi * xi for wi, xi in zip(w, x)), b)
            out.append(act if last else act.relu())
        x = out
    return x[0]


def w1() -> None:
    print("W1  scalar: MLP(2,[16,16,1]) on 100 two-moons points, max-margin loss + L2, one SGD step")
    X, y = moons()
    layers = scalar_mlp([2, 16, 16, 1])
    params = [p for layer in layers for w, b in layer for p in (*w, b)]

    def forward() -> Value:
        scores = [scalar_forward(layers, [Value(a, requires_grad=False) for a in xi]) for xi in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg = 1e-4 * sum((p * p for p in params))
        return data_loss + reg

    def step() -> None:
        loss = forward()
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= 0.01 * p.grad

    nodes = len(ag.engine.topological_order([forward()._node]))
    try:
        from micrograd.engine import Value as MValue
        from micrograd.nn import MLP
    except ImportError:
        t = median_time(step, repeat=5, warmup=1)
        row("chainrule Value", t, extra=f"{nodes:,} nodes, {nodes / t:,.0f} nodes/s")
        print("  micrograd not installed (pip install micrograd) - no comparison")
        return
    model = MLP(2, [16, 16, 1])

    def micro_step() -> None:
        scores = [model([MValue(a) for a in xi]) for xi in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum((p * p for p in model.parameters()))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.01 * p.grad

    # Timed one after the other, not interleaved: micrograd's graphs are reference cycles that only the garbage
    # collector frees, and its collections would otherwise scan (and be charged to) the other workload.
    # The collector's share is printed too: it frees nothing of chainrule's graphs (no cycles), yet scans them as
    # they grow, and how many full collections fall in a step moves the ratio from run to run.
    step()  # the warm-up, outside the clock
    with CollectorClock() as clock:
        t = median_time(step, repeat=5, warmup=0)
    row("chainrule Value", t, extra=f"{nodes:,} nodes, {nodes / t:,.0f} nodes/s, garbage collector "
                                    f"{clock.seconds / 5 * 1e3:.0f} ms a step")
    gc.collect()
    micro_step()
    with CollectorClock() as clock:
        tm = median_time(micro_step, repeat=5, warmup=0)
    gc.collect()
    version = importlib.metadata.version("micrograd")
    row(f"micrograd {version} (same step)", tm, t, extra=f"{nodes / tm:,.0f} nodes/s, garbage collector "
                                                        f"{clock.seconds / 5 * 1e3:.0f} ms a step "
                                                        f"(chainrule {tm / t:.1f}x faster)")


# --- W2: depth ----------------------------------------------------------------------------------------------------
def w2(depth: int) -> None:
    print("W2  depth: x = x * 1.0001 + 0.0001 repeated N times, then backward (time per step should stay flat)")
    for kind in ("Value", "Tensor"):
        for n in (depth // 10, depth):
            x = Value(1.0) if kind == "Value" else Tensor(np.ones(1), requires_grad=True)
            start = time.perf_counter()
            y = x
            for _ in range(n):
                y = y * 1.0001 + 0.0001
            y.sum().backward() if kind == "Tensor" else y.backward()
            t = time.perf_counter() - start
            del y
            print(f"  {kind:<7} N={n:>9,}  {t:7.2f} s   {t / n * 1e6:6.2f} us per step   grad {float(np.asarray(x.grad.data if kind == 'Tensor' else x.grad).ravel()[0]):.5g}")


# --- W3: one MLP training step ------------------------------------------------------------------------------------
def mlp_data(seed: int = 0, dtype: type = np.float32):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((128, 784)).astype(dtype)
    labels = rng.integers(0, 10, 128)
    sizes = [784, 256, 256, 10]
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(n_in)
        params += [rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype), np.zeros(n_out, dtype)]
    return X, labels, params


def numpy_step(X, labels, params, lr=0.01):
    W1, b1, W2, b2, W3, b3 = params
    n = X.shape[0]
    h1 = X @ W1 + b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ W2 + b2
    a2 = np.maximum(h2, 0)
    logits = a2 @ W3 + b3
    shifted = logits - logits.max(1, keepdims=True)
    exp = np.exp(shifted)
    probs = exp / exp.sum(1, keepdims=True)
    loss = -np.log(probs[np.arange(n), labels]).mean()
    d = probs
    d[np.arange(n), labels] -= 1
    d /= n
    dW3, db3 = a2.T @ d, d.sum(0)
    da2 = d @ W3.T
    da2[h2 <= 0] = 0
    dW2, db2 = a1.T @ da2, da2.sum(0)
    da1 = da2 @ W2.T
    da1[h1 <= 0] = 0
    dW1, db1 = X.T @ da1, da1.sum(0)
    for p, g in zip(params, (dW1, db1, dW2, db2, dW3, db3)):
        p -= lr * g
    return loss


def tensor_step(X, labels, params, lr=0.01):
    W1, b1, W2, b2, W3, b3 = params
    n = X.shape[0]
    h = (X @ W1 + b1).relu()
    h = (h @ W2 + b2).relu()
    logits = h @ W3 + b3
    loss = (logits.logsumexp(axis=1) - logits[np.arange(n), labels]).mean()
    for p in params:
        p.grad = None
    loss.backward()
    with ag.no_grad():
        for p in params:
            p.data -= lr * p.grad.data
    return loss


def w3() -> None:
    for dtype in (np.float32, np.float64):
        w3_in(dtype)


def w3_in(dtype: type) -> None:
    name = np.dtype(dtype).name
    print(f"W3  floor: one training step of a 784-256-256-10 ReLU MLP, batch 128, {name}, cross-entropy, SGD")
    X, labels, params = mlp_data(dtype=dtype)
    _, _, arrays = mlp_data(dtype=dtype)  # the same start, for the engine's copy (numpy_step updates `params` in place)
    tparams = [Tensor(p, requires_grad=True) for p in arrays]
    Xt = Tensor(X)

    import nn
    import nn.functional as F
    import optim
    model = nn.Sequential(nn.Linear(784, 256, dtype=dtype), nn.ReLU(), nn.Linear(256, 256, dtype=dtype), nn.ReLU(),
                          nn.Linear(256, 10, dtype=dtype))
    opt = optim.SGD(model.parameters(), lr=0.01)
    targets = ag.Tensor(labels)

    def nn_step() -> None:
        loss = F.cross_entropy(model(Xt), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()

    base, t_ops, t_nn = median_times([lambda: numpy_step(X, labels, params), lambda: tensor_step(Xt, labels, tparams),
                                      nn_step])
    row("hand-written numpy step", base)
    row("Tensor ops (target <= 1.15x)", t_ops, base)
    row("nn.Linear + F.cross_entropy + optim.SGD (<= 1.15x)", t_nn, base)
    assert tparams[0].dtype == dtype and tparams[0].grad.dtype == dtype
    assert all(p.dtype == dtype for p in model.parameters())


# --- W4: per-op overhead ------------------------------------------------------------------------------------------
def chain_numpy(x: np.ndarray) -> np.ndarray:
    for i in range(1000):
        if i % 10 == 9:
            x = np.tanh(x)
        elif i % 2:
            x = x + 0.5
        else:
            x = x * 0.9
    return x


def chain_tensor(x: Tensor) -> None:
    y = x
    for i in range(1000):
        if i % 10 == 9:
            y = y.tanh()
        elif i % 2:
            y = y + 0.5
        else:
            y = y * 0.9
    y.sum().backward()


def w4() -> None:
    print("W4  per-op overhead: 1,000 chained elementwise ops on a (4,) float64 tensor, then backward")
    data = np.linspace(-1, 1, 4)
    x = Tensor(data, requires_grad=True)
    base, t = median_times([lambda: chain_numpy(data), lambda: chain_tensor(x)])
    row("plain numpy, forward only", base, extra=f"{base * 1e3:.2f} us per op")
    row("Tensor forward + backward (target <= 8x)", t, base, extra=f"{t * 1e3:.2f} us per op")


# --- WA: anomaly mode costs nothing when off -----------------------------------------------------------------------
def wa() -> None:
    print("WA  anomaly-mode overhead: the W4 chain, before and after using detect_anomaly()")
    x = Tensor(np.linspace(-1, 1, 4), requires_grad=True)
    before = median_time(lambda: chain_tensor(x), repeat=30, warmup=5)
    row("never used", before)
    with ag.detect_anomaly():
        chain_tensor(x)
    after = median_time(lambda: chain_tensor(x), repeat=30, warmup=5)
    row("after leaving detect_anomaly() (target ~1.00x)", after, before)

    def inside() -> None:
        with ag.detect_anomaly():
            chain_tensor(x)
    row("inside detect_anomaly() (what checking costs)", median_time(inside, repeat=10, warmup=2), before)


# --- WM: memory over a long training loop ------------------------------------------------------------------------
def wm(steps: int = 2000) -> None:
    print(f"WM  memory over {steps:,} training steps of a small MLP (64-128-10, batch 64, nn + F + optim.Adam)")
    import tracemalloc

    import nn
    import nn.functional as F
    import optim
    rng = np.random.default_rng(0)
    X, y = Tensor(rng.standard_normal((64, 64)).astype(np.float32)), Tensor(rng.integers(0, 10, 64))
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    tracemalloc.start()
    marks = {}
    for step in range(1, steps + 1):
        loss = F.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in (200, 500, 1000, steps):
            marks[step] = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for step, current in marks.items():
        print(f"  after step {step:>5,}: {current / 1e3:9.1f} kB traced, {(current - marks[200]) / 1e3:+8.1f} kB since "
              "step 200")
    wm_held()


def wm_held(steps: int = 60) -> None:
    """`losses.append(loss)`, the learner's habit: what each held loss keeps after its backward."""
    print(f"WM  holding every loss: {steps} steps of the W3 MLP (784-256-256-10, batch 128, float32) with "
          "losses.append(loss)")
    import tracemalloc

    import nn
    import nn.functional as F
    import optim
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = Tensor(rng.integers(0, 10, 128))
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.SGD(model.parameters(), lr=0.01)
    losses = []

    def step() -> None:
        loss = F.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss)

    tracemalloc.start()
    step()  # warm-up: the parameters' .grad arrays exist from here on
    start = tracemalloc.get_traced_memory()[0]
    for _ in range(steps):
        step()
    held = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    activations = 128 * (256 * 4 + 10 * 2) * 4  # the float32 arrays one step's graph computes (h, relu(h), ... logits)
    print(f"  held after {steps} steps: {held / 1e6:.2f} MB, {held / steps / 1e3:.1f} kB per step "
          f"(one step's activations: {activations / 1e3:.0f} kB)")


def _workloads(depth: int, fresh: bool) -> dict:
    def nn_workload(name: str):
        def run() -> None:
            import workloads_nn
            getattr(workloads_nn, name)()
        return run

    def forward_workload() -> None:
        import workloads_forward
        workloads_forward.wj()

    def profile_workload() -> None:
        # in a process of its own, so its first timing really runs before autograd.tools.profiler is imported
        sys.stdout.flush()
        subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "workloads_profile.py")], check=True)

    def gpt_workload() -> None:
        import workloads_gpt
        workloads_gpt.w7()

    def scalar_workload() -> None:
        # in a process of its own: the garbage collector's full scans cover every object alive, and what the other
        # workloads leave behind (PyTorch's modules above all) made W1's chainrule step 1.8x slower, measured
        sys.stdout.flush()
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "W1", "--fresh"], check=True)

    return {"W1": w1 if fresh else scalar_workload, "W2": lambda: w2(depth), "W3": w3, "W4": w4,
            "W5": nn_workload("w5"), "W6": nn_workload("w6"), "W7": gpt_workload, "WP": profile_workload, "WA": wa,
            "WM": wm, "WJ": forward_workload}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="*", default=["W1", "W3", "W4", "W5", "W6", "W7", "WP", "WA", "WM", "WJ",
                                                          "W2"])
    parser.add_argument("--depth", type=int, default=1_000_000, help="N for W2")
    parser.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)  # W1 here: this process is new
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    workloads = _workloads(args.depth, args.fresh)
    for name in args.workloads:
        workloads[name.upper()]()
        print()


if __name__ == "__main__":
    main()
