"""WP: the profiler costs nothing when it is not recording.

The W4 chain (1,000 elementwise ops on a (4,) tensor, then backward) is timed before `autograd.tools.profiler` is imported,
again after importing it and recording one profile, and once inside a profile (what recording costs). benchmarks/run.py
runs this file in a process of its own, so the first timing is free of the profiler; when wp() is called from a process
that imported it already, the first row says so and measures the engine with no profile recording.

    python benchmarks/workloads_profile.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from run import chain_tensor, median_time, row  # noqa: E402

from autograd import Tensor  # noqa: E402
from autograd.grad_mode import _state  # noqa: E402


def wp(repeat: int = 50) -> None:
    print("WP  profiler overhead: the W4 chain (1,000 elementwise ops on a (4,) float64 tensor, then backward)")
    fresh = "autograd.tools.profiler" not in sys.modules
    x = Tensor(np.linspace(-1, 1, 4), requires_grad=True)
    before = median_time(lambda: chain_tensor(x), repeat=repeat, warmup=5)
    row("no profiler " + ("(autograd.tools.profiler not imported)" if fresh else "(observers empty)"), before)

    import autograd.tools.profiler as profiler
    with profiler.profile() as prof:
        chain_tensor(x)
    assert _state.observers == (), "a finished profile must leave no observer behind"
    recorded = f"{len(prof.events):,} events, {prof.flops():,} FLOPs counted"
    del prof
    after = median_time(lambda: chain_tensor(x), repeat=repeat, warmup=5)
    row("after import and one profile (target ~1.00x)", after, before)

    def profiled() -> None:
        with profiler.profile():
            chain_tensor(x)

    during = median_time(profiled, repeat=max(repeat // 3, 3), warmup=1)
    row("inside a profile (recording every op)", during, before,
        extra=recorded)


if __name__ == "__main__":
    wp()
