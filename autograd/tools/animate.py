"""animate(): watch backprop happen. The graph as draw() lays it out, with controls that step through the forward pass
(each value appears as it is computed) and the engine's real backward pass (each gradient, with the chain-rule product
on its edge); inline in Jupyter and in exported HTML, or saved as one self-contained HTML file that works offline.

The interaction is the project's own small script (tools/static/animate.js); the steps ride along as JSON."""
from __future__ import annotations

import hashlib
import html
import json
import os
from typing import Any

from ..value import Value
from . import page
from .explain import check_root, record
from .graph import collect, value_key
from .paint import grad_text
from .steps import StepBuilder, ViewStep, _listed, _value_words
from .viz import check_options, scene

AFTER_BACKWARD = ("backward() already ran on this graph and freed what its ops saved, so this view shows the order "
                  "the engine visits the ops and the .grad each value ended with, not the numbers on each edge; call "
                  "animate() before backward() (or use backward(retain_graph=True)) to see every chain-rule product.")


class Animation:
    """The interactive view of one backward pass: shows itself in Jupyter; `save_html(path)` writes it as a page.

    Attributes:
        steps: the steps in order (phase, the words shown, and for backward steps the value whose gradient changes
            and that gradient as the engine computed it).
        data: the step data embedded in the page, as a dict (what the view's script reads).
        after_backward: True when the graph had been freed by backward(): no per-edge numbers (see animate()).
    """

    def __init__(self, view: str, view_id: str, title: str, steps: list[ViewStep], data: dict,
                 after_backward: bool) -> None:
        self._view, self._id, self.title = view, view_id, title
        self.steps, self.data, self.after_backward = steps, data, after_backward

    def __len__(self) -> int:
        return len(self.steps)

    def _repr_html_(self) -> str:
        return page.page(self._view, self._id, "animate.js")

    def html(self) -> str:
        """The whole page: one file with the drawing, the steps, the script and the styles; no network needed."""
        body = page.page(self._view.replace('class="cr-anim"', 'class="cr-anim" data-page="1"', 1), self._id,
                         "animate.js")
        return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{html.escape(self.title)}</title>\n</head>\n<body style=\"margin:16px\">\n{body}\n"
                "</body>\n</html>\n")

    def save_html(self, path: str | os.PathLike) -> str:
        """Write the view as one self-contained HTML file (open it in any browser, offline); returns the path.
        `page.html#step=12` opens it at step 12, `#step=last` at the end."""
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html())
        return path

    def __repr__(self) -> str:
        return (f"<Animation of {self.title}: {len(self.steps)} steps; shows in Jupyter, .save_html(path) writes a "
                "page that works offline>")


def animate(root: Any, grad: Any = None, *, rankdir: str = "LR", max_nodes: int | None = None,
            group_modules: bool = True, legend: bool | None = None) -> Animation:
    """An interactive view of the forward and backward pass that computed `root`.

    Args:
        root: a Value or Tensor that requires grad.
        grad: the gradient to start backward from (needed for a Tensor with more than one element).
        rankdir, max_nodes, group_modules, legend: as for draw() (the view uses draw()'s layout).
    Returns:
        An Animation: shows inline in Jupyter (and in exported HTML); `.save_html(path)` writes a page.

    Call it before backward(), as in build, look, backward: the steps come from the engine's real backward pass,
    watched by an observer (as explain() does), which keeps the graph and changes no .grad. Called after a
    backward() that freed the graph, it shows what is still known without running anything again: the values, the
    order of the engine's visits, and each value's .grad; the numbers on each edge need the graph (call animate()
    first, or backward(retain_graph=True)). Nothing is kept during ordinary training: the view reads the graph only
    when asked, and holds the finished page, not the graph.
    """
    check_root(root, "animate")
    check_options("animate", rankdir, max_nodes)
    graph = collect([root])
    after_backward = any(node._saved is None for node in graph.nodes)
    explanation = None if after_backward else record(root, grad, graph, "animate")
    final = explanation.grads_after(len(explanation)) if explanation is not None else None
    drawing, items, reps, painter = scene(graph, [root], show_data=True, show_grad=True, rankdir=rankdir,
                                          max_nodes=max_nodes, group_modules=group_modules, highlight=None,
                                          grads=final, current=None, explanation=explanation, legend=legend,
                                          heading=[], animated=True)
    scalar = isinstance(root, Value)
    builder = StepBuilder(graph, items, reps, painter, scalar)
    builder.forward()
    if explanation is None:
        builder.visits(root, root._seed(grad, False, "animate"))  # what backward() started from, unless given grad=
    else:
        builder.seed(root, explanation.seed)
        builder.recorded(explanation)
        leaves = [(k, v) for k, v in graph.values.items() if k[0] == "l" and v.requires_grad]
        done = [f"{graph.names[k]}.grad = {_value_words(explanation.grad(v))}" for k, v in leaves
                if explanation.grad(v) is not None]
        builder.add("backward", "backward is done: every gradient has arrived; backward() would add these to .grad: "
                    + (_listed(done) or "no leaf needs one"), focus=builder.drawn([b for k, _ in leaves
                                                                                   for b in builder.boxes.get(k, [])]))
    name = graph.names[value_key(root)]
    title = f"backprop through {name}"
    svg = _marked_svg(drawing.svg(), items, painter)
    data = {"steps": builder.frames, "rules": builder.rules, "nodes": builder.details(),
            "edges": {e: list(ends) for e, ends in painter.edge_ends.items()},
            "init": {i: ["data ?" if d is not None else None, grad_text(None, scalar) if g is not None else None]
                     for i, (d, g) in painter.texts.items()}}
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    view_id = "cr-" + hashlib.sha1((svg + text).encode("utf-8")).hexdigest()[:12]
    view = _view(svg, text, builder.steps, title, AFTER_BACKWARD if after_backward else "", view_id)
    return Animation(view, view_id, title, builder.steps, data, after_backward)


def _marked_svg(svg: str, items: dict, painter: Any) -> str:
    """The drawing's SVG for the view: compact, each box's value and gradient texts marked (class cr-d, cr-g) for
    the script to change, and each value's box named (data-name) as the graph names it."""
    tree = page.parse(svg)
    page.compact(tree)
    for g in tree.iter(page.TAG + "g"):
        item_id = g.get("data-id")
        if item_id not in items:
            continue
        item = items[item_id]
        if item.kind not in ("op", "module"):
            g.set("data-name", item.name)
        texts = painter.texts.get(item_id)
        if texts is None:
            continue
        for element in g.iter(page.TAG + "text"):
            for cls, wanted in zip(("cr-d", "cr-g"), texts):
                if wanted is not None and element.text == wanted and element.get("class") is None:
                    element.set("class", cls)
                    break
    tree.set("style", "width:100%;height:auto;display:block")
    return page.serialize(tree)


def _view(svg: str, data: str, steps: list[ViewStep], title: str, note: str, view_id: str) -> str:
    """The view's HTML, showing the last step (what a page without JavaScript keeps); the script takes it from there."""
    last = len(steps) - 1
    controls = ('<div class="cr-controls" hidden>'
                '<button type="button" data-act="first" title="first step (Home)">|&#x25C0;</button>'
                '<button type="button" data-act="back" title="step back (Left arrow)">&#x25C0;</button>'
                '<button type="button" data-act="play" title="play or pause (space)">&#x25B6; play</button>'
                '<button type="button" data-act="next" title="step forward (Right arrow)">&#x25B6;</button>'
                '<button type="button" data-act="last" title="last step (End)">&#x25B6;|</button>'
                f'<input type="range" min="0" max="{last}" value="{last}" aria-label="step">'
                '<select aria-label="speed" title="speed"><option value="0.5">0.5&times;</option>'
                '<option value="1" selected>1&times;</option><option value="2">2&times;</option>'
                '<option value="4">4&times;</option></select>'
                f'<span class="cr-counter">step {last} of {last}</span></div>')
    phase = steps[-1].phase
    step = (f'<div class="cr-step" aria-live="polite"><span class="cr-phase {phase}">{phase}</span> '
            f'<span class="cr-math"></span><div class="cr-text">{html.escape(steps[-1].text)}</div></div>')
    note_html = f'<div class="cr-note">{html.escape(note)}</div>' if note else ""
    drawing = page.zoomable(svg, view_id + "-zoom")
    info = ('<div class="cr-info"><span class="cr-hint">Hover over or click a box for its data, gradient, shape and '
            "rule. Keys: Left/Right step, Home/End, space plays.</span></div>")
    payload = data.replace("</", "<\\/")  # a JSON string can never close the script element
    return (f'<div class="cr-anim" id="{view_id}" tabindex="0" role="group" aria-label="{html.escape(title)}, step '
            f'by step">{controls}{note_html}{step}{drawing}{info}'
            f'<script type="application/json" class="cr-data">{payload}</script></div>')
