"""Tests for autograd.animate: its steps are the engine's (order and gradients equal what backward() does), a value
used twice visibly adds two contributions, it works before and after backward(), and its page is deterministic,
self-contained and small. What a browser shows is tested in test_animate_browser.py."""
from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, animate
from autograd.engine import topological_order
from autograd.errors import BackwardError, GraphFreedError
from autograd.tools.animate import AFTER_BACKWARD
from autograd.tools.graph import collect, fmt, input_key
from lessons import lesson

REPO = Path(__file__).resolve().parents[2]


def backward_steps(view):
    return [s for s in view.steps if s.phase == "backward" and s.target is not None]


def engine_order(root):
    """The names of the inputs the engine sends gradients to, in its order: its topological order (newest op
    first), each op's inputs in order."""
    names = collect([root]).names
    return [names[input_key(node, inp)] for node in topological_order([root.grad_fn])
            for inp, needs in zip(node.inputs, node.needs_input_grad) if needs]


def test_forward_shows_each_value_in_creation_order_then_backward_in_the_engines_order():
    L, v = lesson()
    view = animate(L)
    forward = [s.text for s in view.steps if s.phase == "forward"]
    assert forward == ["forward: the inputs are set: a, b, c, f",
                       "forward: Mul computes z = a * b: e = 2.0 * (-3.0) = -6.0",
                       "forward: Add computes z = a + b: d = (-6.0) + 10.0 = 4.0",
                       "forward: Mul computes z = a * b: L = 4.0 * (-2.0) = -8.0"]
    steps = backward_steps(view)
    assert [s.target for s in steps] == ["L"] + engine_order(L)
    # by hand: dL/dd = f = -2, dL/df = d = 4, dL/de = dL/dc = -2, dL/da = -2 * b = 6, dL/db = -2 * a = -4
    assert [s.grad for s in steps] == [1.0, -2.0, 4.0, -2.0, -2.0, 6.0, -4.0]
    assert "upstream -2.0 × local -3.0 = 6.0; a.grad = 6.0" in steps[5].text
    assert "dz/da = b = (-3.0)" in steps[5].text  # the docstring's rule with the number put in


def test_each_steps_gradient_is_what_backward_puts_in_grad():
    L, v = lesson()
    view = animate(L)
    last = {s.target: s.grad for s in backward_steps(view)}
    assert all(x.grad == 0.0 for x in v.values())  # animate changed no .grad
    L.backward()
    assert {k: x.grad for k, x in v.items()} == {k: last[k] for k in v}


def test_tensor_graph_steps_equal_backward_and_the_engines_order():
    nn.init.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = Tensor(np.random.default_rng(0).standard_normal((5, 3)))
    loss = (model(x) ** 2).mean()
    view = animate(loss)
    steps = backward_steps(view)
    params = dict(model.named_parameters())
    assert all(p.grad is None for p in params.values())
    assert [s.target for s in steps] == ["out"] + engine_order(loss)
    final = {s.target: s.grad for s in steps}
    loss.backward()
    for name, p in params.items():
        np.testing.assert_array_equal(final[name], p.grad.numpy())  # the same sums, in the same order


def test_a_value_used_twice_receives_and_adds_two_contributions_on_two_edges():
    x = Value(3.0, label="x")
    s = x * 2.0 + x * x  # x feeds three uses: ds/dx = 2 + 2x = 8
    s.label = "s"
    view = animate(s)
    to_x = [st for st in backward_steps(view) if st.target == "x"]
    assert [st.grad for st in to_x] == [3.0, 6.0, 8.0]  # x * x (the newer op) first, then x * 2.0
    assert "x.grad = 3.0 + 3.0 = 6.0 (x is used more than once: its gradients add up)" in to_x[1].text
    frames = [f for f, st in zip(view.data["steps"], view.steps) if st in to_x]
    edges = [f["e"][0] for f in frames]
    assert len(set(edges)) == 3  # each contribution along its own edge, labelled with what it carries
    assert [f["l"][e] for f, e in zip(frames, edges)] == ["3.0", "3.0", "2.0"]
    box = frames[0]["f"][-1]
    assert [f["g"][box] for f in frames] == ["grad 3.0", "grad 6.0", "grad 8.0"]


def test_a_value_graph_after_backward_runs_again_and_shows_every_edge_as_before_backward():
    L, _ = lesson()
    before = [(s.phase, s.text) for s in animate(L).steps]
    L, v = lesson()
    L.backward()  # build, backward, look: the order of every lesson
    grads = {k: x.grad for k, x in v.items()}
    view = animate(L)
    assert not view.after_backward
    assert [(s.phase, s.text) for s in view.steps] == before
    edges = [s.text for s in view.steps if s.phase == "backward"]
    assert any("a.grad = 6.0" in t for t in edges) and any("b.grad = -4.0" in t for t in edges)  # by hand: -2*b, -2*a
    assert {k: x.grad for k, x in v.items()} == grads  # no .grad changed
    with pytest.raises(GraphFreedError):
        L.backward()  # and the user's graph stays freed


def test_before_backward_the_graph_stays_whole_and_backward_still_works():
    L, v = lesson()
    animate(L)
    animate(L)
    L.backward()
    assert (v["a"].grad, v["b"].grad) == (6.0, -4.0)


def test_the_view_keeps_no_reference_to_the_graph():
    L, _ = lesson()
    node = weakref.ref(L.grad_fn)
    view = animate(L)
    del L, _
    gc.collect()
    assert node() is None and len(view.steps) == 12


def test_the_page_is_self_contained():
    L, _ = lesson()
    L.label = "L</script><script>alert(1)</script>"  # a name can never end the page's script early
    page = animate(L).html()
    assert page.count("</script>") == 2  # the step data's and the view's own
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    addresses = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
                         "http://www.w3.org/1998/Math/MathML"}  # namespaces, never fetched
    data = json.loads(re.search(r'<script type="application/json" class="cr-data">(.*?)</script>', page,
                                re.S).group(1))
    assert len(data["steps"]) == 12


def test_save_html_writes_the_page(tmp_path):
    L, _ = lesson()
    view = animate(L)
    path = view.save_html(tmp_path / "lesson.html")
    assert Path(path).read_text(encoding="utf-8") == view.html()
    assert view.html().startswith("<!DOCTYPE html>") and 'data-page="1"' in view.html()


def test_inline_view_has_its_script_and_an_id_of_its_own():
    L, _ = lesson()
    first, second = animate(L)._repr_html_(), animate(L * 2.0)._repr_html_()
    id_first = re.search(r'class="cr-anim" id="([\w-]+)"', first).group(1)
    id_second = re.search(r'class="cr-anim" id="([\w-]+)"', second).group(1)
    assert id_first != id_second
    assert f'chainruleAnimate(chainruleFind("{id_first}", document.currentScript))' in first
    assert "window.chainruleAnimate = function" in first and "<script src" not in first


def test_output_is_the_same_under_every_hash_seed():
    code = ("import hashlib, numpy as np, nn, autograd as ag\n"
            "nn.init.seed(0)\n"
            "model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))\n"
            "print(hashlib.sha1(ag.animate(model(ag.Tensor(np.ones((4, 2)))).sum()).html().encode()).hexdigest())\n")
    digests = set()
    for seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        digests.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                                   check=True).stdout)
    assert len(digests) == 1


def value_graph(n_ops: int) -> Value:
    rng = np.random.default_rng(0)
    values = [Value(float(rng.uniform(-1, 1)), label=f"x{i}") for i in range(12)]
    for _ in range(n_ops):
        i, j = rng.choice(min(20, len(values)), size=2, replace=False)
        a, b = values[-1 - i], values[-1 - j]
        values.append(a * b if rng.uniform() < 0.5 else (a + b).tanh())
    return sum(values[-8:], Value(0.0))


def test_a_500_node_graph_gives_a_page_under_one_megabyte():
    root = value_graph(195)
    view = animate(root, max_nodes=1000)
    boxes = len(view.data["nodes"])
    assert 500 <= boxes <= 560
    assert len(view.html().encode("utf-8")) < 1_000_000


def test_module_clusters_and_collapsed_modules_are_focused_by_the_steps_inside_them():
    nn.init.seed(0)
    model = nn.Sequential(*[nn.Linear(2, 2) for _ in range(6)])
    loss = model(Tensor(np.ones((3, 2)))).sum()
    view = animate(loss, max_nodes=12)
    modules = {i for i, n in view.data["nodes"].items() if n["k"] == "module"}
    assert len(modules) == 6
    inside = [f for f in view.data["steps"] if f["p"] == "backward" and set(f.get("f", ())) & modules]
    assert len(inside) >= 6  # each module's ops, focused through its box
    assert len(backward_steps(view)) == 1 + 6 * 3  # the seed, then input, weight and bias of each layer


def test_bad_arguments_are_clear_errors():
    L, _ = lesson()
    with pytest.raises(TypeError, match="animate: expected a Value or Tensor"):
        animate(np.ones(3))
    with pytest.raises(BackwardError, match="animate: this result does not require grad"):
        animate(Value(1.0, requires_grad=False) * 2.0)
    with pytest.raises(ValueError, match="animate: rankdir"):
        animate(L, rankdir="sideways")
    with pytest.raises(ValueError, match="animate: max_nodes"):
        animate(L, max_nodes=0)


def test_a_tensor_step_shows_summary_numbers_and_a_heatmap():
    w = Tensor(np.arange(-3.0, 3.0).reshape(2, 3), requires_grad=True)
    w.name = "w"
    loss = (w * w).sum()
    view = animate(loss)
    detail = next(n for n in view.data["nodes"].values() if n["n"] == "w")
    assert detail["data"]["min"] == "-3.0" and detail["data"]["max"] == "2.0" and detail["data"]["mean"] == "-0.5"
    assert detail["data"]["heat"] == {"w": 3, "h": 2, "s": "3.0", "c": "02579c"}  # 7 + 7 x / 3: 0 2.3 4.7 7 9.3 11.7
    grads = [f["i"] for f in view.data["steps"] if "i" in f]
    assert grads[-1][next(iter(grads[-1]))]["heat"]["c"] == "02579c"  # 2w, against 6


def test_the_readme_example_runs_as_written(tmp_path, monkeypatch):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Drawings, explanations, and watching backprop"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README animate", "exec"), namespace)
    view, a = namespace["view"], namespace["a"]
    assert (tmp_path / "backprop.html").read_text(encoding="utf-8") == view.html()
    assert [s.grad for s in view.steps if s.target == "a"] == [a.grad] == [6.0]


def test_a_tensor_graph_after_backward_shows_the_leaves_grads_and_what_was_freed():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((8, 16)), requires_grad=True)
    w.name = "w"
    loss = (Tensor(rng.standard_normal((32, 8))) @ w).tanh().sum()
    loss.backward()
    view = animate(loss)
    assert view.after_backward
    assert AFTER_BACKWARD in view.html().replace("&#x27;", "'")  # and the page says how to see every edge
    texts = [s.text for s in view.steps]
    assert "backward: start at the output with dout/dout = 1.0 (the seed)" in texts
    assert ("backward: the engine visits Tanh (tanh1.grad not kept, every gradient of its output has arrived) and "
            "sends gradients on to matmul1") in texts
    assert texts[-1] == ("backward: after the pass, the leaves get their summed gradients: w.grad = (8, 16) with norm "
                         f"{np.linalg.norm(w.grad.numpy()):.4g}")
    names = {i: n["n"] for i, n in view.data["nodes"].items()}
    freed = {names[i] for i, n in view.data["nodes"].items() if n.get("data") == "freed by backward()"}
    assert freed == {"matmul1", "tanh1", "c1"}  # what backward() freed; w and the 1-element output stay
    shown = {}
    for frame in view.data["steps"]:
        shown.update(frame.get("g", {}))
    norm = fmt(np.linalg.norm(w.grad.numpy()))
    assert {names[i]: t for i, t in shown.items()} == {"out": "grad 1.0", "w": f"|grad| {norm}"}
