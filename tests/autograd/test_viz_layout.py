"""Tests for how drawings fit a reader: the same DOT text on every run, a default collapse that fits a screen, inline
drawings that scale to the column (with zoom and pan), and alt text on every SVG."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import nn
from autograd import Tensor, Value, draw

REPO = Path(__file__).resolve().parents[2]


def test_dot_text_of_a_module_graph_is_the_same_under_every_hash_seed():
    code = ("import numpy as np, nn, autograd as ag\n"
            "nn.init.seed(0)\n"
            "model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))\n"
            "print(ag.draw(model(ag.Tensor(np.ones((4, 2)))).sum()).source)\n")
    sources = set()
    for seed in ("0", "1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                              check=True)
        sources.add(done.stdout)
    assert len(sources) == 1
    (source,) = sources
    # the clusters come in the order the modules ran: 0, 1, 2, 3, 4
    order = re.findall(r"label=<<b>(\d): \w+</b>>", source)
    assert order == ["0", "1", "2", "3", "4"]
