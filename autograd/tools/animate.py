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
from ..variable import Variable
from .graph import collect, input_key, output_key, value_key
from .paint import grad_text
from .steps import StepBuilder, ViewStep, _listed, _value_words
from .viz import check_options, scene

AFTER_BACKWARD = ("backward() already ran on this Tensor graph and freed what its ops saved, so this view shows the order "
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

    def __init__(self, svg: str, data: dict, steps: list[ViewStep], title: str, after_backward: bool) -> None:
        self.steps, self.data, self.title, self.after_backward = steps, data, title, after_backward
        self._svg = svg
        self._json = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        self._id = "cr-" + hashlib.sha1((svg + self._json).encode("utf-8")).hexdigest()[:12]

    def __len__(self) -> int:
        return len(self.steps)

    def _repr_html_(self) -> str:
        return page.page(self._view(on_page=False), self._id, animated=True)

    def html(self) -> str:
        """The whole page: one file with the drawing, the steps, the script and the styles; no network needed."""
        body = page.page(self._view(on_page=True), self._id, animated=True)
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

    def _view(self, on_page: bool) -> str:
        """The view's HTML. It shows the last step, which is what stays without JavaScript; the script then opens
        it at step 0 (a page: at the step its address names), and on a page the keys work anywhere in it."""
        last, final = len(self.steps) - 1, self.steps[-1]
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
        step = (f'<div class="cr-step" aria-live="polite"><span class="cr-phase {final.phase}">{final.phase}</span> '
                f'<span class="cr-math"></span><div class="cr-text">{html.escape(final.text)}</div></div>')
        note = f'<div class="cr-note">{html.escape(AFTER_BACKWARD)}</div>' if self.after_backward else ""
        info = ('<div class="cr-info"><span class="cr-hint">Hover over or click a box for its data, gradient, shape '
                "and rule. Keys: Left/Right step, Home/End, space plays.</span></div>")
        payload = self._json.replace("</", "<\\/")  # a JSON string can never close the script element
        where = ' data-page="1"' if on_page else ""
        return (f'<div class="cr-anim" id="{self._id}"{where} tabindex="0" '
                f'role="group" aria-label="{html.escape(self.title)}, step by step">{controls}{note}{step}'
                f'{page.zoomable(self._svg, self._id + "-zoom")}{info}'
                f'<script type="application/json" class="cr-data">{payload}</script></div>')


def animate(root: Any, grad: Any = None, *, rankdir: str = "LR", max_nodes: int | None = None,
            group_modules: bool = True, legend: bool | None = None) -> Animation:
    """An interactive view of the forward and backward pass that computed `root`.

    Args:
        root: a Value or Tensor that requires grad.
        grad: the gradient to start backward from (needed for a Tensor with more than one element).
        rankdir, max_nodes, group_modules, legend: as for draw() (the view uses draw()'s layout).
    Returns:
        An Animation: shows inline in Jupyter (and in exported HTML); `.save_html(path)` writes a page.

    The steps come from the engine's real backward pass, watched by an observer (as explain() does), which keeps the
    graph and changes no .grad. Called after a backward() that freed the graph (build, backward, look): a Value
    graph keeps every number, so its ops run their forward once more on the same numbers and the engine's pass is
    watched on that; a Tensor graph has let go of its intermediate arrays, so the view shows what is still known
    (the values, the order of the engine's visits, each value's .grad) and says how to see the numbers on each edge
    (animate() before backward(), or backward(retain_graph=True)). Nothing is kept during ordinary training: the view
    reads the graph only when asked, and holds the finished page, not the graph.
    """
    check_root(root, "animate")
    check_options("animate", rankdir, max_nodes)
    graph = collect([root])
    after_backward = any(node._saved is None for node in graph.nodes)
    if after_backward and isinstance(root, Value):  # a Value graph keeps every number: its ops can run again
        root = replayed(root, graph)
        graph, after_backward = collect([root]), False
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
    data = {"steps": builder.frames, "rules": builder.rules, "nodes": builder.details(),
            "edges": {e: list(ends) for e, ends in painter.edge_ends.items()},
            "init": {i: ["data ?" if d is not None else None, grad_text(None, scalar) if g is not None else None]
                     for i, (d, g) in painter.texts.items()}}
    svg = _marked_svg(drawing.svg(), items, painter)
    return Animation(svg, data, builder.steps, f"backprop through {graph.names[value_key(root)]}", after_backward)


def replayed(root: Value, graph: Any) -> Value:
    """The Value graph behind `root` built again after backward() freed it: each recorded op runs its forward once
    more, in creation order, on the same numbers and leaves (a Value graph keeps them all), and each result takes its
    old label. The engine's real backward pass can then run on it, watched, without touching any .grad."""
    made: dict = {}  # key of a result in the old graph -> the same result, made again
    for node in graph.nodes:  # oldest first: every input is made before the op that uses it
        args = [made.get(input_key(node, x), x) if isinstance(x, Variable) else x for x in node.inputs]
        outs = node.fn.apply(*args)
        for index, out in enumerate(outs if type(outs) is tuple else (outs,)):
            made[output_key(node, index)] = out
            old = graph.values.get(output_key(node, index))
            if old is not None and old.label:
                out.label = old.label
    return made.get(value_key(root), root)


def _marked_svg(svg: str, items: dict, painter: Any) -> str:
    """The drawing's SVG for the view: ready to sit inline, each box's value and gradient texts marked (class cr-d,
    cr-g) for the script to change, and each value's box named (data-name) as the graph names it."""
    tree = page.inline_tree(svg)
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
    return page.serialize(tree)
