"""Tests for autograd.draw (DOT structure, clusters, collapsing, highlight, step) and autograd.tools.render (the system
`dot` route and the graphviz-pure fallback, checked on the rendered SVG)."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, draw, explain
from autograd.tools import render
from autograd.tools.paint import HIGHLIGHT, STEP, STEP_FILL
from autograd.tools.viz import Drawing, step_through
from lessons import lesson

SVG_NS = "{http://www.w3.org/2000/svg}"


# --- helpers: read the DOT text back -------------------------------------------------------------------------
def nodes_of(drawing: Drawing) -> dict[str, str]:
    """node id -> its attribute text (legend samples left out)."""
    found = {}
    for line in drawing.source.splitlines():
        m = re.match(r"\s*(\w+) \[(.*)\]$", line)
        if m and not m.group(1).startswith("legend_") and m.group(1) not in ("node", "edge", "graph"):
            found[m.group(1)] = m.group(2)
    return found


def edges_of(drawing: Drawing) -> list[tuple[str, str, str]]:
    edges = []
    for line in drawing.source.splitlines():
        m = re.match(r"\s*(\w+) -> (\w+)(?: \[(.*)\])?$", line)
        if m and not m.group(1).startswith("legend_"):
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
    return edges


def clusters_of(drawing: Drawing) -> dict[str, list[str]]:
    """node id -> the labels of the clusters it sits in, outermost first."""
    stack: list[str | None] = []
    where = {}
    for line in drawing.source.splitlines():
        s = line.strip()
        if s.startswith("subgraph cluster_"):
            stack.append(None)
        elif s == "}":
            if stack:
                stack.pop()
        elif stack and stack[-1] is None and re.match(r"\w+=", s) and "label=<<b>" in s:
            stack[-1] = re.search(r"label=<<b>(.*?)</b>>", s).group(1)
        else:
            m = re.match(r"(\w+) \[", s)
            if m:
                where[m.group(1)] = [c for c in stack if c is not None]
    return where


def node_with(drawing: Drawing, text: str) -> str:
    ids = [i for i, attrs in nodes_of(drawing).items() if text in attrs]
    assert len(ids) == 1, f"{len(ids)} nodes contain {text!r}"
    return ids[0]


def svg_nodes(svg: str) -> list[str]:
    """The text of each node group of a rendered SVG."""
    root = ET.fromstring(svg)
    groups = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "node"]
    return [" ".join(t.text or "" for t in g.iter(f"{SVG_NS}text")) for g in groups]


class Affine(nn.Module):
    def __init__(self, n_in: int, n_out: int, seed: int) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weight = nn.Parameter(rng.normal(size=(n_out, n_in)))
        self.bias = nn.Parameter(np.zeros(n_out))

    def forward(self, x):
        return x @ self.weight.T + self.bias


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(Affine(2, 3, 0), Affine(3, 1, 1))

    def forward(self, x):
        return self.layers(x).tanh()


class Deep(nn.Module):
    def __init__(self, depth: int) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[Affine(2, 2, i) for i in range(depth)])

    def forward(self, x):
        return self.blocks(x).sum()


def tiny_net_loss():
    net = TinyNet()
    x = Tensor(np.array([[0.5, -1.0], [2.0, 0.25]]))
    loss = (net(x) ** 2).mean()
    return net, x, loss


# --- Value graphs --------------------------------------------------------------------------------------------
def test_value_graph_has_a_record_per_value_and_an_op_node_per_operation():
    L, _ = lesson()
    d = draw(L)
    nodes = nodes_of(d)
    records = [i for i, a in nodes.items() if "<table" in a]
    ops = {i: re.search(r'label="(.*?)"', a).group(1) for i, a in nodes.items() if "<table" not in a}
    assert len(records) == 7                                   # a b c e d f L
    assert sorted(ops.values()) == ["*", "*", "+"]
    assert len(edges_of(d)) == 9                               # two inputs and one output per op
    for i in records:  # micrograd's record: label | data | grad
        assert re.search(r"<td><b>\w</b></td><td [^>]*>data [-0-9.]+</td><td [^>]*>grad [-0-9.]+</td>", nodes[i])


def test_value_edges_run_from_inputs_through_the_op_to_the_output():
    L, _ = lesson()
    d = draw(L)
    a, b, e = node_with(d, "<b>a</b>"), node_with(d, "<b>b</b>"), node_with(d, "<b>e</b>")
    edges = {(s, t) for s, t, _ in edges_of(d)}
    (mul,) = {t for s, t in edges if s == a}
    assert (b, mul) in edges and (mul, e) in edges


def test_value_numbers_have_four_significant_digits_and_grads_after_backward():
    x = Value(1 / 3, label="x")
    y = x * 3.0
    y.label = "y"
    y.backward()
    d = draw(y)
    assert "data 0.3333" in nodes_of(d)[node_with(d, "<b>x</b>")]
    assert "grad 3.0" in nodes_of(d)[node_with(d, "<b>x</b>")]
    assert "data 1.0" in nodes_of(d)[node_with(d, "<b>y</b>")]


def test_subtraction_draws_as_plus_and_times_minus_one_like_micrograd():
    a, b = Value(5.0, label="a"), Value(2.0, label="b")
    d = draw(a - b)
    nodes = nodes_of(d)
    labels = sorted(re.search(r'label="(.*?)"', x).group(1) for x in nodes.values() if "<table" not in x)
    assert labels == ["*", "+"]
    minus_one = node_with(d, "<td>-1.0</td>")  # the constant, drawn per use, grey and dashed edge
    assert any(s == minus_one and "dashed" in attrs for s, _, attrs in edges_of(d))


def test_power_op_shows_its_exponent():
    x = Value(2.0, label="x")
    d = draw(x ** 2 + x ** -1)
    ops = {re.search(r'label="[^"]*"', a).group() for a in nodes_of(d).values() if "<table" not in a}
    assert ops == {'label="**2"', 'label="**-1"', 'label="+"'}


def test_show_data_and_show_grad_remove_their_cells():
    L, _ = lesson()
    text = draw(L, show_data=False, show_grad=False).source
    assert "data " not in text and "grad " not in text
    assert "<b>a</b>" in text


def test_several_roots_are_drawn_together():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    p, q = a * b, a + b
    d = draw([p, q])
    assert len([x for x in nodes_of(d).values() if "<table" in x]) == 4
    assert len([x for x in nodes_of(d).values() if "<table" not in x]) == 2


# --- Tensor graphs -------------------------------------------------------------------------------------------
def test_tensor_nodes_show_name_shape_dtype_preview_and_grad_norm():
    net, x, loss = tiny_net_loss()
    loss.backward()
    d = draw(loss)
    w = nodes_of(d)[node_with(d, "<b>layers.0.weight</b>")]
    assert "(3, 2) float64" in w
    norm = np.linalg.norm(net.layers[0].weight.grad.data)
    assert f"|grad| {norm:.4g}" in w
    assert "[0, 0, 0]" in nodes_of(d)[node_with(d, "<b>layers.0.bias</b>")]  # small tensors show values
    small = Tensor(np.array([[0.5, -1.25], [2.0, 1 / 3]]), requires_grad=True)
    assert "[[0.5, -1.25], [2, 0.333]]" in draw(small.sum()).source
    big = Tensor(np.ones((10, 10)), requires_grad=True)
    assert "[1, 1" not in draw(big.sum()).source                             # large ones do not


def test_kinds_are_told_apart_by_colour_and_shape_with_a_legend():
    w = nn.Parameter(np.ones((2, 2)))
    w.name = "w"
    x = Tensor(np.ones(2), requires_grad=True)
    c = Tensor(np.full(2, 3.0))
    out = ((w @ x) * c + 0.5).sum()
    d = draw(out)
    attrs = {k: nodes_of(d)[node_with(d, text)] for k, text in
             [("param", "<b>w</b>"), ("input", ">x1<"), ("const", ">c1<"), ("root", ">out<")]}
    assert "shape=cylinder" in attrs["param"] and "#dae8fc" in attrs["param"]
    assert "#fff2cc" in attrs["input"] and "shape=box" in attrs["input"]
    assert "dashed" in attrs["const"]
    assert "bold" in attrs["root"] and "#d5e8d4" in attrs["root"]
    assert len({re.search(r'fillcolor="(#\w+)"', a).group(1) for a in attrs.values()}) == 4
    legend = re.findall(r"^\s*legend_(\w+) \[label=", d.source, re.M)
    assert sorted(legend) == ["constant", "input", "op", "parameter", "root", "value"]


def test_op_nodes_show_key_attributes():
    x = Tensor(np.ones((2, 3, 4)), requires_grad=True)
    d = draw(x.sum(axis=1).reshape(8)[1:5].mean())
    text = d.source
    assert "<b>Sum</b>" in text and "axes=(1,)" in text
    assert "shape=(8,)" in text
    assert "index=[1:5]" in text
    assert "axes=(0,)" in text  # the mean over everything


def test_labels_are_ascii():
    net, x, loss = tiny_net_loss()
    loss.backward(retain_graph=True)
    L, _ = lesson()
    for drawing in (draw(loss), draw(loss, step=3), draw(L, step=2)):
        assert drawing.source.isascii()


# --- nn.Module clusters and collapsing -------------------------------------------------------------------------
def test_module_ops_sit_in_nested_clusters_named_after_the_modules():
    net, x, loss = tiny_net_loss()
    d = draw(loss)
    where = clusters_of(d)
    matmuls = [i for i, a in nodes_of(d).items() if "<b>MatMul</b>" in a]
    assert sorted(where[i][-1] for i in matmuls) == ["layers.0: Affine", "layers.1: Affine"]
    assert all(where[i][:2] == ["TinyNet", "layers: Sequential"] for i in matmuls)
    assert where[node_with(d, "<b>layers.1.bias</b>")][-1] == "layers.1: Affine"
    assert where[node_with(d, "<b>Tanh</b>")] == ["TinyNet"]
    assert where[node_with(d, "<b>Mean</b>")] == []  # made outside the model


def test_group_modules_false_draws_no_clusters():
    net, x, loss = tiny_net_loss()
    assert "cluster_1" not in draw(loss, group_modules=False).source


def test_graph_above_max_nodes_collapses_each_module_and_says_so():
    model = Deep(8)
    out = model(Tensor(np.ones((3, 2))))
    full = draw(out, max_nodes=10_000)
    assert full.n_nodes > 60
    d = draw(out, max_nodes=60)
    nodes = nodes_of(d)
    boxes = [a for a in nodes.values() if "box3d" in a]
    assert len(boxes) == 8 and d.n_nodes <= 60
    assert all(f"blocks.{i}: Affine" in d.source for i in range(8))
    assert "3 ops, 2 parameters" in boxes[0]  # Transpose, MatMul, Add; weight, bias
    assert "<b>MatMul</b>" not in d.source
    assert "is more than max_nodes=60" in d.source and d.notes
    chain = [(s, t) for s, t, _ in edges_of(d) if "box3d" in nodes[s] and "box3d" in nodes[t]]
    assert len(chain) == 7  # block i feeds block i + 1


def test_collapsing_picks_the_deepest_level_that_fits():
    model = Deep(8)
    out = model(Tensor(np.ones((3, 2))))
    d = draw(out, max_nodes=6)
    assert [a for a in nodes_of(d).values() if "box3d" in a][0].count("blocks: Sequential") == 1
    assert d.n_nodes <= 6


def test_graph_without_modules_above_max_nodes_keeps_the_nodes_nearest_the_output():
    x = Tensor(np.array(0.5), requires_grad=True)
    y = x
    for _ in range(100):
        y = (y * 1.01).tanh()
    d = draw(y, max_nodes=50)
    assert d.n_nodes == 50 and len(nodes_of(d)) == 50
    assert "nodes, farthest from the output, are not drawn" in d.source
    assert ">out<" in d.source and ">x1<" not in d.source


# --- highlight -------------------------------------------------------------------------------------------------
def test_highlight_marks_the_path_from_a_value_to_the_root():
    L, v = lesson()
    d = draw(L, highlight=v["c"])
    nodes = nodes_of(d)
    red = {i for i, a in nodes.items() if HIGHLIGHT in a}
    names = {re.search(r"<b>(\w)</b>", nodes[i]).group(1) for i in red if "<table" in nodes[i]}
    assert names == {"c", "d", "L"}
    assert len(red) == 5  # c, +, d, *, L
    red_edges = [(s, t) for s, t, a in edges_of(d) if HIGHLIGHT in a]
    assert len(red_edges) == 4 and all(s in red and t in red for s, t in red_edges)


def test_highlight_takes_a_function_of_a_value():
    L, _ = lesson()
    d = draw(L, highlight=lambda v: v.data == -6.0)  # e
    names = {re.search(r"<b>(\w)</b>", a).group(1) for a in nodes_of(d).values() if "<table" in a and HIGHLIGHT in a}
    assert names == {"e", "d", "L"}


def test_highlight_rejects_other_objects():
    L, _ = lesson()
    with pytest.raises(TypeError, match="highlight"):
        draw(L, highlight=[3.0])


# --- step through backprop -----------------------------------------------------------------------------------
def grads_shown(d: Drawing) -> dict[str, str]:
    return {re.search(r"<b>(\w+)</b>", a).group(1): re.search(r">grad ([^<]+)<", a).group(1)
            for a in nodes_of(d).values() if "<table" in a and "grad " in a}


def test_step_k_fills_exactly_the_gradients_of_the_first_k_steps():
    L, _ = lesson()
    ex = explain(L)
    for k in range(len(ex) + 1):
        shown = grads_shown(draw(L, step=k))
        filled = {n: g for n, g in shown.items() if g != "?"}
        expected = {"L": 1.0}
        for s in ex.steps[:k]:
            expected[s.input] = s.accumulated
        assert set(filled) == set(expected)
        assert all(float(filled[n]) == pytest.approx(expected[n], rel=1e-3) for n in filled)


def test_step_marks_the_current_edge_and_target_and_leaves_grad_alone():
    L, v = lesson()
    d = draw(L, step=5)  # Mul sends -2 * -3 = 6 to a
    a = node_with(d, "<b>a</b>")
    assert f'bgcolor="{STEP_FILL}">grad 6.0<' in nodes_of(d)[a]
    current = [(s, t, attrs) for s, t, attrs in edges_of(d) if STEP in attrs]
    assert len(current) == 1 and current[0][0] == a and "dir=back" in current[0][2]
    assert "backward step 5 of 6" in d.source
    assert all(val.grad == 0.0 for val in v.values()) and L.grad == 0.0


def test_step_uses_the_explanation_not_real_grad():
    x = Value(3.0, label="x")
    y = x * x
    y.backward(retain_graph=True)
    assert x.grad == 6.0
    y2 = x * 2.0  # a second graph on the same leaf: its explanation must not see the 6.0 in x.grad
    y2.label = "y"
    shown = grads_shown(draw(y2, step=1))
    assert shown["x"] == "2.0"


def test_step_on_tensor_graph_shows_norms_from_the_explanation():
    net, x, loss = tiny_net_loss()
    ex = explain(loss)
    d = draw(loss, step=len(ex))
    w = net.layers[0].weight
    assert w.grad is None
    norm = np.linalg.norm(ex.grad(w))
    assert f"|grad| {norm:.4g}" in nodes_of(d)[node_with(d, "<b>layers.0.weight</b>")]


def test_step_out_of_range_is_a_clear_error():
    L, _ = lesson()
    with pytest.raises(ValueError, match="step must be an int from 0 to 6"):
        draw(L, step=7)


def test_step_through_slider_spans_the_steps():
    pytest.importorskip("ipywidgets")
    L, _ = lesson()
    widget = step_through(L)
    slider = widget.children[0]
    assert (slider.min, slider.max, slider.value) == (0, 6, 0)
    slider.value = 3
    assert isinstance(widget.result, Drawing)
    assert "backward step 3 of 6" in widget.result.source


def test_step_walks_the_graph_once_through_the_explanation(monkeypatch):
    import autograd.tools.explain as explainer
    import autograd.tools.viz as viz
    L, _ = lesson()
    real, walks = explainer.collect, []

    def counted(roots):
        walks.append(roots)
        return real(roots)

    monkeypatch.setattr(viz, "collect", counted)
    monkeypatch.setattr(explainer, "collect", counted)
    draw(L)
    assert len(walks) == 1
    draw(L, step=2)
    assert len(walks) == 2  # explain's walk, reused by the drawing
    ex = explain(L)
    draw(L, step=3, explanation=ex)
    assert len(walks) == 3  # a given explanation: no walk at all


def test_step_with_an_explanation_of_another_root_is_a_clear_error():
    L, _ = lesson()
    other = Value(1.0) * 2.0
    with pytest.raises(ValueError, match="explanation= was made for another root"):
        draw(L, step=1, explanation=explain(other))


def test_step_through_passes_its_options_to_draw_and_rejects_unknown_ones():
    pytest.importorskip("ipywidgets")
    L, _ = lesson()
    widget = step_through(L, rankdir="TB", show_data=False)
    widget.children[0].value = 2
    assert "rankdir=TB" in widget.result.source and "data " not in widget.result.source
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['colour'\]"):
        step_through(L, colour="red")


# --- rendering -------------------------------------------------------------------------------------------------
@pytest.fixture
def pure_path():
    kinds = dict(render.find_binaries())
    assert "graphviz-pure" in kinds, "graphviz-pure is a declared dependency and must be installed"
    return kinds["graphviz-pure"]


@pytest.fixture
def no_system_dot(tmp_path, monkeypatch):
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def fake_dot(folder, pure: str, fail: bool = False):
    """A `dot` that logs each call and hands the work to graphviz-pure (PDF: a stub, which graphviz-pure lacks)."""
    folder.mkdir(exist_ok=True)
    log = folder / "calls.log"
    script = folder / "dot"
    body = "exit 3" if fail else f'exec "{pure}" "$@"'
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\ncase "$*" in *-Tpdf*) printf "%%PDF-1.4 stub"; exit 0;; '
                      f"esac\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return log


def test_fallback_route_renders_svg_with_graphviz_pure(no_system_dot, pure_path):
    assert [k for k, _ in render.find_binaries()] == ["graphviz-pure"]
    L, _ = lesson()
    L.backward()
    d = draw(L)
    texts = svg_nodes(d.svg())
    assert len(texts) == len(nodes_of(d)) == 10
    assert any("data -8.0" in t and "grad 1.0" in t for t in texts)
    assert any(t.strip() == "+" for t in texts)


def test_system_dot_is_preferred_when_on_path(tmp_path, monkeypatch, pure_path):
    log = fake_dot(tmp_path / "bin", pure_path)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert [k for k, _ in render.find_binaries()] == ["dot", "graphviz-pure"]
    net, x, loss = tiny_net_loss()
    d = draw(loss)
    texts = svg_nodes(d.svg())
    assert log.read_text().split() == ["-Kdot", "-Tsvg"]
    assert len(texts) == len(nodes_of(d)) + len(re.findall(r"^\s*legend_\w+ \[label=", d.source, re.M))
    assert any("layers.0.weight" in t for t in texts)


def test_pdf_goes_to_system_dot_and_without_it_says_how_to_get_it(tmp_path, monkeypatch, pure_path):
    L, _ = lesson()
    d = draw(L)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(render.RenderError, match=r"PDF output needs the system Graphviz"):
        d.render(str(tmp_path / "g.pdf"))
    fake_dot(tmp_path / "bin", pure_path)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    d.render(str(tmp_path / "g.pdf"))
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")


def test_failing_system_dot_falls_back_to_graphviz_pure(tmp_path, monkeypatch, pure_path):
    log = fake_dot(tmp_path / "bin", pure_path, fail=True)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    L, _ = lesson()
    svg = draw(L).svg()
    assert log.exists() and len(svg_nodes(svg)) == 10


def test_no_binary_gives_a_clear_error_and_source_still_works(no_system_dot, monkeypatch):
    monkeypatch.setattr(render, "_script_dirs", lambda: [])
    L, _ = lesson()
    d = draw(L)
    with pytest.raises(render.RenderError, match=r"pip install graphviz-pure.*\.source"):
        d.svg()
    assert d.source.startswith("digraph")
    bundle = d._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and "pip install graphviz-pure" in bundle["text/plain"]


def test_render_writes_svg_and_png_files(tmp_path):
    L, _ = lesson()
    d = draw(L)
    assert d.render(str(tmp_path / "g.png")) == str(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    d.save_svg(str(tmp_path / "g.svg"))
    assert len(svg_nodes((tmp_path / "g.svg").read_text())) == 10
    with pytest.raises(ValueError, match="unknown format"):
        d.render(str(tmp_path / "g.gif"), format="gif")


def test_render_takes_graphvizs_arguments_and_names_the_files_as_graphviz_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    L, _ = lesson()
    d = draw(L)
    assert d.render(format="png") == "graph.gv.png"  # graphviz: the DOT file "<name>.gv", the image next to it
    assert (tmp_path / "graph.gv.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "graph.gv").read_text() == d.source
    written = d.render("lesson", directory="out", format="svg", cleanup=True)
    assert written == os.path.join("out", "lesson.svg") and not (tmp_path / "out" / "lesson").exists()
    assert len(svg_nodes((tmp_path / "out" / "lesson.svg").read_text())) == 10
    assert d.render(outfile=tmp_path / "o.png") == str(tmp_path / "o.png")  # the format from the suffix
    assert (tmp_path / "o.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert d.render("direct.svg", quiet=True) == "direct.svg" and not (tmp_path / "direct").exists()


def test_render_writes_pdf_through_the_system_dot_with_the_engine_asked(tmp_path, monkeypatch, pure_path):
    log = fake_dot(tmp_path / "bin", pure_path)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    L, _ = lesson()
    path = draw(L).render(tmp_path / "g", format="pdf", engine="neato")
    assert path == str(tmp_path / "g.pdf") and (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    assert log.read_text().split() == ["-Kneato", "-Tpdf"]


def test_render_with_view_writes_the_file_and_warns_when_no_viewer_can_open_it(tmp_path, monkeypatch, pure_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no xdg-open, no dot: graphviz-pure is found next to Python
    L, _ = lesson()
    with pytest.warns(UserWarning, match=r"render: wrote .*g\.svg, but could not open a viewer .*; open the file "
                                         r"yourself"):
        path = draw(L).render(outfile=tmp_path / "g.svg", view=True)
    assert len(svg_nodes(open(path).read())) == 10


def test_render_refuses_what_it_cannot_do_before_writing_anything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    L, _ = lesson()
    d = draw(L)
    with pytest.raises(ValueError, match=r"render: the file 'g\.png' is named as png, but format='svg'"):
        d.render("g.png", format="svg")
    with pytest.raises(ValueError, match=r"render: renderer='cairo' is not supported"):
        d.render(format="png", renderer="cairo")
    with pytest.raises(ValueError, match=r"render: unknown engine 'spring'"):
        d.render(format="png", engine="spring")
    (tmp_path / "taken.svg").write_text("mine")
    with pytest.raises(FileExistsError, match=r"'taken\.svg' exists already"):
        d.render("taken.svg", raise_if_result_exists=True)
    assert sorted(os.listdir(tmp_path)) == ["taken.svg"] and (tmp_path / "taken.svg").read_text() == "mine"


def test_print_of_a_drawing_counts_it_and_says_how_to_save_it():
    L, _ = lesson()
    text = str(draw(L))
    # a, b, c, e, d, f, L and the ops *, +, *; the arrows a->*, b->*, *->e, e->+, c->+, +->d, d->*, f->*, *->L
    assert text.startswith("Drawing of 10 nodes and 9 edges\n")
    assert 'drawing.render("graph.svg")' in text and 'drawing.save_svg("graph.svg")' in text
    assert repr(draw(L)).startswith("<Drawing of 10 nodes and 9 edges; .render(")
    cut = str(draw(L, max_nodes=3))
    assert cut.startswith("Drawing of 3 nodes and 2 edges\n  note: 7 more nodes")


def test_a_script_that_prints_draw_and_explain_shows_both(tmp_path):
    script = tmp_path / "lesson.py"
    script.write_text("import autograd as ag\nfrom autograd import Value\n"
                      "L = (Value(2.0) * Value(-3.0) + Value(10.0)) * Value(-2.0)\n"
                      "print(ag.draw(L))\nprint(ag.explain(L))\n")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": repo}).stdout
    assert out.startswith("Drawing of 10 nodes and 9 edges\n") and ".save_svg(" in out
    assert "backward pass of out: seed gradient 1.0, 6 step(s)" in out
    assert "upstream 1.0 x local 4.0 = 4.0" in out  # dL/df = d = 2 * -3 + 10, by hand


def test_jupyter_mime_bundle_holds_svg():
    L, _ = lesson()
    bundle = draw(L)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert len(svg_nodes(bundle["image/svg+xml"])) == 10


def test_draw_rejects_bad_arguments():
    L, _ = lesson()
    with pytest.raises(TypeError, match="expected a Value or Tensor"):
        draw(np.ones(3))
    with pytest.raises(ValueError, match="rankdir"):
        draw(L, rankdir="sideways")
    with pytest.raises(ValueError, match="max_nodes"):
        draw(L, max_nodes=0)


def test_importing_autograd_and_its_drawing_module_does_not_import_graphviz():
    code = ("import sys, autograd, autograd.tools.viz, autograd.tools.explain; autograd.draw; "
            "print('graphviz' in sys.modules)")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
    assert out.stdout.strip() == "False"


def test_a_tensor_graph_draws_after_backward_freed_its_arrays():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((8, 16)), requires_grad=True)
    loss = (Tensor(rng.standard_normal((32, 8))) @ w).tanh().sum()
    before = draw(loss).source
    loss.backward()
    after = draw(loss).source
    assert "(32, 16) float64" in before and "(32, 16) float64" in after  # shapes of the freed intermediates stay
    assert "|grad|" in after  # the parameter's gradient is shown
