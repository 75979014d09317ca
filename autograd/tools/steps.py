"""The steps the interactive view plays, as JSON-ready dicts: forward (each op's result appears in creation order),
then backward in the engine's own order, one step per edge as explain's StepRecorder saw the real pass: the upstream
gradient, the op's rule with the numbers put in, the product, and the sum where a value feeds several ops. After a
backward() that freed the graph, backward shows what is still known: the order of the visits and each `.grad`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import GraphFreedError
from ..variable import Variable
from .explain import Explanation, Step
from .graph import Graph, fmt, input_key, norm, output_key, value_key
from .mathml import mathml_row
from .paint import _Item, grad_text
from .rules import _forward_params, rule_for, rule_rhs, with_numbers

HEAT_SIDE = 16  # a heatmap has at most 16 x 16 cells (block means): a picture of the numbers, not every number
LISTED = 6      # how many names a step lists before "and N more"


@dataclass
class ViewStep:
    """One step as Python sees it: its phase, the words the page shows, and for a backward step the value whose
    gradient it changes and that gradient (a float, or an array for Tensors) as the engine computed it."""
    phase: str
    text: str
    target: str | None = None
    grad: Any = None


class StepBuilder:
    """Collects the steps for one drawing: `items` and `reps` say which box shows what (see viz.scene)."""

    def __init__(self, graph: Graph, items: dict, reps: dict, painter: Any, scalar: bool) -> None:
        self.graph, self.items, self.reps, self.painter, self.scalar = graph, items, reps, painter, scalar
        self.frames: list[dict] = []
        self.steps: list[ViewStep] = []
        self.rules: list[str] = []   # MathML rows of the rules used, shared by the steps that use them
        self._rule_index: dict = {}
        self.boxes: dict = {}        # value key -> ids of the items drawing it (a constant is drawn once per use)
        self.op_box: dict = {}       # id(node) -> the op's item id
        self.makers = {id(node): node.name for node in graph.nodes}
        for item_id, item in items.items():
            if item.kind == "op":
                self.op_box[id(item.node)] = item_id
            else:
                self.boxes.setdefault(item.key, []).append(item_id)

    # --- what is drawn where -------------------------------------------------------------------------------------
    def drawn(self, item_ids: list[str]) -> list[str]:
        """The boxes showing these items (a collapsed module's box for its members), each once."""
        found: dict = {}
        for i in item_ids:
            rep = self.reps.get(i)
            if rep is not None:
                found[rep.id] = None
        return list(found)

    def own_boxes(self, key: tuple) -> list[str]:
        """The boxes that show this value itself (not inside a collapsed module): those with texts to change."""
        return [i for i in self.boxes.get(key, ()) if i in self.painter.texts and self.reps.get(i) is self.items[i]]

    def name(self, key: tuple) -> str:
        return self.graph.names.get(key, "?")

    def add(self, phase: str, text: str, focus: list[str] = (), edges: list[str] = (), reveal: list[str] = (),
            data: dict | None = None, grads: dict | None = None, labels: dict | None = None, info: dict | None = None,
            math: list | None = None, target: str | None = None, grad: Any = None) -> None:
        frame: dict = {"p": phase, "t": text}
        for key, value in (("f", list(focus)), ("e", list(edges)), ("r", list(reveal)), ("d", data), ("g", grads),
                           ("l", labels), ("i", info), ("m", math)):
            if value:
                frame[key] = value
        self.frames.append(frame)
        self.steps.append(ViewStep(phase, text, target, grad))

    def rule_row(self, fn: type, position: int, order: int) -> int:
        key = (fn, position, order)
        if key not in self._rule_index:
            self._rule_index[key] = len(self.rules)
            self.rules.append(mathml_row(rule_for(fn, position, order).latex))
        return self._rule_index[key]

    # --- forward ---------------------------------------------------------------------------------------------------
    def forward(self) -> None:
        leaves = [i for i, it in self.items.items() if it.kind in ("input", "parameter", "constant")]
        named = [self.items[i].name for i in leaves if self.items[i].kind != "constant"]
        self.add("forward", f"forward: the inputs are set: {_listed(named) or 'constants only'}",
                 focus=self.drawn(leaves), reveal=self.drawn(leaves), data=self._data_texts(leaves))
        for node in self.graph.nodes:  # oldest first: the order forward ran them
            outputs = [(i, output_key(node, i)) for i in range(node.n_outputs)
                       if output_key(node, i) in self.graph.values]
            made = [b for _, key in outputs for b in self.boxes.get(key, ())]
            op = self.op_box[id(node)]
            self.add("forward", self._forward_words(node, outputs), focus=self.drawn([op] + made),
                     reveal=self.drawn([op] + made), data=self._data_texts(made))

    def _forward_words(self, node: Any, outputs: list) -> str:
        rule = rule_for(node.fn, 0)
        names = [self.name(key) for _, key in outputs] or [node.name.lower()]
        words = f"forward: {node.name} computes {rule.definition}"
        values, result = self._symbol_values(node, None), self._output_number(node)
        if values is not None and result is not None:
            text, _ = with_numbers(node.fn, rule.definition.partition("=")[2], values)
            return f"{words}: {names[0]} = {text} = {fmt(result)}"
        shapes = ", ".join(f"{self.name(key)} {tuple(self.graph.values[key].shape)}" for _, key in outputs)
        return f"{words}: {shapes or names[0]}"

    def _symbol_values(self, node: Any, output: Any) -> dict | None:
        """The number of each forward argument (and of the output, under its docstring name) when all are single
        numbers, for putting them into the rule; None otherwise."""
        names, _ = _forward_params(node.fn)
        values: dict = {}
        for name, arg in zip(names, node.inputs):
            if isinstance(arg, Variable):
                try:
                    data = np.asarray(arg.data)
                except GraphFreedError:
                    return None
                if data.size != 1:
                    return None
                values[name] = float(data.reshape(-1)[0])
            elif isinstance(arg, (int, float)) and not isinstance(arg, bool):
                values[name] = arg
        if output is not None:
            values[rule_for(node.fn, 0).definition.partition("=")[0].strip()] = output
        return values

    def _data_texts(self, item_ids: list[str]) -> dict:
        texts = {}
        for i in item_ids:
            if i in self.painter.texts and self.reps.get(i) is self.items[i]:
                data = self.painter.texts[i][0]
                if data is not None:
                    texts[i] = data
        return texts

    # --- backward, recorded from the real pass ---------------------------------------------------------------------
    def seed(self, root: Variable, seed: Any) -> None:
        key = value_key(root)
        boxes = self.own_boxes(key)
        self.add("backward", f"backward: start at the output with d{self.name(key)}/d{self.name(key)} = "
                 f"{fmt(seed) if np.size(seed) == 1 else _shape_words(seed)} (the seed)",
                 focus=self.drawn(self.boxes.get(key, [])), grads={b: grad_text(seed, self.scalar) for b in boxes},
                 info=self._grad_info(boxes, seed), target=self.name(key), grad=seed)

    def recorded(self, explanation: Explanation) -> None:
        for step in explanation.steps:
            self.edge(step)

    def edge(self, step: Step) -> None:
        node, key = step.node, step.key
        op = self.op_box[id(node)]
        boxes = self.own_boxes(key)
        edge = self.painter.edge_ids.get((node, step.position))
        graph_inputs = [i for i, x in enumerate(node.inputs) if isinstance(x, Variable)]
        math = [self.rule_row(node.fn, step.position, graph_inputs.index(step.position))]
        rule_words = step.rule.text
        if step.local is not None:  # single numbers: the rule with them put in
            values = self._symbol_values(node, self._output_number(node))
            if values is not None:
                rhs = rule_rhs(step.rule)
                text, latex = with_numbers(node.fn, rhs, values)
                shown = [(text, latex)] if text != rhs else []  # "b" becomes "(-3.0)"; a plain "1" stays
                if not _same_number(shown[-1][0] if shown else rhs, step.local):
                    shown.append((fmt(step.local), fmt(step.local)))
                rule_words += "".join(f" = {t}" for t, _ in shown)
                if shown:
                    math.append(mathml_row("".join(f"= {x} " for _, x in shown)))
        # the gradient sent along the edge: the number, or |g| and its norm for an array
        label = fmt(step.sent) if np.size(step.sent) == 1 else f"|g| {fmt(norm(step.sent))}"
        words = (f"backward: {step.op} sends the gradient of {step.output} to {step.input}: {rule_words}; "
                 f"{step.numbers.replace(' x ', ' × ')}; {step.total}")
        if not step.first:
            words += f" ({step.input} is used more than once: its gradients add up)"
        self.add("backward", words, focus=self.drawn([op] + self.boxes.get(key, [])), edges=[edge] if edge else [],
                 grads={b: grad_text(step.accumulated, self.scalar or np.size(step.accumulated) == 1) for b in boxes},
                 labels={edge: label} if edge else None, info=self._grad_info(boxes, step.accumulated), math=math,
                 target=step.input, grad=step.accumulated)

    def _output_number(self, node: Any) -> float | None:
        """The op's result when it is a single number (and still there), else None."""
        out = self.graph.values.get(output_key(node))
        if out is None or node.n_outputs != 1 or out.size != 1:
            return None
        return float(np.asarray(out.data).reshape(-1)[0])

    # --- backward, from what a freed graph still knows -------------------------------------------------------------
    def visits(self, root: Variable, seed: Any) -> None:
        """After a backward() that freed the graph: the engine's visits in its order (newest Node first), each showing
        the gradient its output had received in full, then the leaves' summed gradients, which the engine hands
        over after the pass. The per-edge numbers went with what the ops saved."""
        self.seed(root, seed)
        for node in reversed(self.graph.nodes):
            keys = [output_key(node, i) for i in range(node.n_outputs) if output_key(node, i) in self.graph.values]
            inputs = [input_key(node, x) for x, needs in zip(node.inputs, node.needs_input_grad) if needs]
            grads, known = {}, []
            for key in keys:
                g = seed if key == value_key(root) else _known_grad(self.graph.values[key])
                if g is None:  # a Tensor keeps .grad on leaves only (and after retain_grad())
                    known.append(f"{self.name(key)}.grad not kept")
                    continue
                known.append(f"{self.name(key)}.grad = {_value_words(g)}")
                for b in self.own_boxes(key):
                    grads[b] = grad_text(g, self.scalar or np.size(g) == 1)
            edges = [self.painter.edge_ids[(node, p)] for p, x in enumerate(node.inputs)
                     if (node, p) in self.painter.edge_ids and node.needs_input_grad[p]]
            self.add("backward", f"backward: the engine visits {node.name} ({'; '.join(known)}, every gradient of its "
                     f"output has arrived) and sends gradients on to {_listed([self.name(k) for k in inputs])}",
                     focus=self.drawn([self.op_box[id(node)]]), edges=edges, grads=grads)
        leaves = [(key, v) for key, v in self.graph.values.items() if key[0] == "l" and v.requires_grad]
        grads, words = {}, []
        for key, v in leaves:
            g = _known_grad(v)
            words.append(f"{self.name(key)}.grad = " + ("none" if g is None else _value_words(g)))
            for b in self.own_boxes(key):
                grads[b] = grad_text(g, self.scalar or (g is not None and np.size(g) == 1))
        self.add("backward", f"backward: after the pass, the leaves get their summed gradients: {_listed(words)}",
                 focus=self.drawn([b for key, _ in leaves for b in self.boxes.get(key, [])]), grads=grads)

    def _grad_info(self, boxes: list[str], g: Any) -> dict | None:
        if self.scalar or np.size(g) == 1:
            return None
        return {b: summary(g) for b in boxes}

    # --- what hovering a box shows ---------------------------------------------------------------------------------
    def details(self) -> dict:
        """For each drawn box: name, kind, op, shape and dtype, and for Tensors the summary of its data (with a
        heatmap for 1-d and 2-d values); for ops, the rule of each input."""
        found = {}
        for box in self.reps.values():
            if box.id not in found:
                found[box.id] = self._detail(box)
        return found

    def _detail(self, item: _Item) -> dict:
        if item.kind == "module":
            return {"n": item.name, "k": "module", "ops": sum(m.kind == "op" for m in item.obj)}
        if item.kind == "op":
            node = item.node
            graph_inputs = [i for i, x in enumerate(node.inputs) if isinstance(x, Variable)]
            rules = [self.rule_row(node.fn, p, graph_inputs.index(p)) for p in graph_inputs]
            return {"n": node.name, "k": "op", "def": rule_for(node.fn, 0).definition, "rules": rules}
        v = item.obj
        detail = {"n": item.name, "k": item.kind, "shape": str(tuple(v.shape)),
                  "dtype": "float (Python)" if self.scalar else str(v.dtype)}
        if item.key[0] == "n" and item.key[1] in self.makers:
            detail["op"] = self.makers[item.key[1]]
        if self.scalar:
            detail["data"] = fmt(v.data)
        else:
            try:
                detail["data"] = summary(np.asarray(v.data))
            except GraphFreedError:
                detail["data"] = "freed by backward()"
        return detail


def summary(a: Any) -> dict:
    """min, mean, max and norm of an array, with a heatmap for 1-d and 2-d arrays."""
    a = np.asarray(getattr(a, "data", a), dtype=np.float64)
    found = {"min": fmt(a.min()), "mean": fmt(a.mean()), "max": fmt(a.max()), "norm": fmt(norm(a))} if a.size else {}
    if a.ndim in (1, 2) and a.size > 1:
        found["heat"] = heatmap(a)
    return found


def heatmap(a: np.ndarray) -> dict:
    """A 1-d or 2-d array as at most HEAT_SIDE x HEAT_SIDE cells (block means), each one hex digit from 0 to e: 7 is
    zero, 0 the most negative (blue) and e the most positive (red) against the largest |x|, `s`."""
    a = a.reshape(1, -1) if a.ndim == 1 else a
    for axis in (0, 1):
        if a.shape[axis] > HEAT_SIDE:
            blocks = np.array_split(np.arange(a.shape[axis]), HEAT_SIDE)
            a = np.stack([np.take(a, b, axis=axis).mean(axis=axis) for b in blocks], axis=axis)
    scale = float(np.abs(a).max())
    levels = np.round(7 + 7 * (a / scale if scale > 0 else a)).astype(int)
    return {"w": int(a.shape[1]), "h": int(a.shape[0]), "s": fmt(scale),
            "c": "".join("0123456789abcde"[q] for q in levels.reshape(-1))}


def _known_grad(v: Variable) -> Any:
    g = v.grad
    return None if g is None else getattr(g, "data", g)


def _value_words(g: Any) -> str:
    return fmt(g) if np.size(g) == 1 else _shape_words(g)


def _shape_words(g: Any) -> str:
    return f"{np.shape(g)} with norm {fmt(norm(g))}"


def _listed(names: list[str]) -> str:
    if len(names) <= LISTED:
        return ", ".join(names)
    return ", ".join(names[:LISTED]) + f" and {len(names) - LISTED} more"


def _same_number(text: str, x: float) -> bool:
    """Whether `text` ("(-3.0)", "1") is just the number x as shown (so writing "= x" after it adds nothing)."""
    try:
        return fmt(float(text.strip("()"))) == fmt(x)
    except ValueError:
        return False

