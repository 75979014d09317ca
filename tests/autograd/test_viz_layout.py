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
from autograd import draw
from lessons import lesson, long_chain

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


def svg_size(svg: str) -> tuple[float, float]:
    width, height = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg).groups()
    return float(width), float(height)


def small_gpt_loss():
    nn.init.seed(0)
    model = nn.GPT(nn.GPTConfig(vocab_size=30, block_size=8, n_layer=2, n_head=4, n_embd=48))
    idx = np.random.default_rng(0).integers(0, 30, size=(2, 8))
    return model(idx, idx)[1]


def test_a_small_gpt_draws_to_fit_a_screen_by_default_and_whole_with_max_nodes():
    loss = small_gpt_loss()
    whole = draw(loss, max_nodes=1000)
    assert whole.n_nodes == 147 and not whole.notes  # under the old default of 300 boxes: drawn op by op
    width, height = svg_size(whole.svg())
    assert width > 5 * 1440 and width / height > 8  # a strip more than five screens wide
    d = draw(loss)
    width, height = svg_size(d.svg())
    assert width <= 2 * 1440 and width / height < 8  # at most two screens of 1440 pt (1920 px) wide
    assert d.notes == ["the longest path has 93 boxes, more than fit on a screen: each module call is drawn as "
                       "one box (draw(..., max_nodes=147) shows every op)"]
    assert draw(loss, max_nodes=147).n_nodes == 147  # the expanded view, as the note says


def test_every_svg_carries_alt_text(tmp_path):
    d = draw(lesson()[0])
    alt = "Computation graph of L: 7 values and 3 operations"
    assert d.alt == alt
    svg = d.svg()
    assert re.search(r'<svg[^>]* role="img" aria-label="Computation graph of L: 7 values and 3 operations">\s*'
                     r"<title>Computation graph of L: 7 values and 3 operations</title>", svg)
    assert alt in Path(d.save_svg(tmp_path / "graph.svg")).read_text()
    step = draw(lesson()[0], step=2)
    assert step.alt.startswith(alt + ". backward step 2 of 6: Mul sends the gradient of L to f")


def test_inline_drawing_fits_the_column_and_has_zoom_controls():
    bundle = draw(long_chain())._repr_mimebundle_()
    html = bundle["text/html"]
    width = svg_size(bundle["image/svg+xml"])[0]
    assert width > 2000  # wider than any notebook column
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert 'width="' not in svg.partition(">")[0]  # no fixed width: it takes the column's
    assert f"width:100%;max-width:{width * 4 / 3:.0f}px;height:auto" in svg.partition(">")[0]
    assert 'aria-label="Computation graph of out: ' in svg
    assert 'data-zoom="in"' in html and 'data-zoom="fit"' in html and "window.chainruleZoom = function" in html
    assert "<script src" not in html and "<title>v" not in html  # inline script; no "v12" tooltips
