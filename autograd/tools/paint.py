"""How a drawing looks: one palette, and the labels and styles of boxes and edges for Value graphs (micrograd's
records: label | data | grad) and Tensor graphs (names, shapes, previews, gradient norms). viz.py decides what is
drawn; this file decides how."""
from __future__ import annotations

import html
from typing import Any

import numpy as np

from ..errors import GraphFreedError
from ..tensor import KEPT_AFTER_BACKWARD
from ..variable import Variable
from .explain import Explanation
from .graph import fmt, norm, own_name
from .render import _count
from .rules import _forward_params

# One palette for every drawing: soft fills, darker borders of the same hue.
FONT = "Helvetica"
INK = "#333333"
EDGE = "#666666"
STYLES = {  # kind: (fill, border, shape, extra style)
    "root": ("#d5e8d4", "#5b9a4d", "box", "rounded,filled,bold"),
    "parameter": ("#dae8fc", "#6c8ebf", "cylinder", "filled"),
    "input": ("#fff2cc", "#c9a227", "box", "rounded,filled"),
    "constant": ("#f5f5f5", "#999999", "box", "rounded,filled,dashed"),
    "value": ("#ffffff", "#666666", "box", "rounded,filled"),
    "op": ("#ffe6cc", "#d79b00", "ellipse", "filled"),
    "module": ("#e1d5e7", "#9673a6", "box3d", "filled"),
}
LEGEND = {"root": "output (root)", "parameter": "parameter", "input": "input, requires grad",
          "constant": "constant", "value": "intermediate", "op": "operation", "module": "module (collapsed)"}
CLUSTER_FILLS = ("#f6f5fb", "#eceaf6", "#e2dff0")
HIGHLIGHT = "#d62728"
STEP = "#ff7f0e"
STEP_FILL = "#ffd8a8"
VALUE_SYMBOLS = {"Add": "+", "Mul": "*", "Exp": "exp", "Log": "log", "Tanh": "tanh", "ReLU": "ReLU",
                 "Sigmoid": "sigmoid"}
OP_ATTRS = ("axes", "kernel_size", "stride", "padding", "dilation", "groups", "eps", "p", "negative_slope",
            "momentum", "num_heads", "dim", "approximate", "reduction", "ignore_index", "label_smoothing")


class _Item:
    """One box of the drawing: a value, an op or a per-use constant."""

    __slots__ = ("id", "kind", "obj", "name", "scope", "key", "node")

    def __init__(self, id: str, kind: str, obj: Any, name: str, scope: tuple, key: Any, node: Any = None) -> None:
        self.id, self.kind, self.obj, self.name, self.scope, self.key, self.node = id, kind, obj, name, scope, key, node


# --- how it looks --------------------------------------------------------------------------------------------------
class _Painter:
    """Labels and styles of boxes and edges, for Value graphs (records) and Tensor graphs alike."""

    def __init__(self, scalar: bool, show_data: bool, show_grad: bool, grads: dict | None, current: Any,
                 marked: set, items: dict, explanation: Explanation | None, animated: bool = False) -> None:
        self.scalar, self.show_data, self.show_grad = scalar, show_data, show_grad
        self.grads, self.current, self.marked = grads, current, marked
        # for the interactive view: every value gets a data line and a gradient line, whose texts are kept here by
        # box id (the view's script changes them step by step), and every edge gets an id
        self.animated, self.texts, self.edge_ids, self.edge_ends = animated, {}, {}, {}
        if scalar:  # one width per column, wide enough for every number shown at any step: a slider never jiggles
            values = [it.obj for it in items.values() if it.kind not in ("op", "constant")]
            datas = [f"data {fmt(v.data)}" for v in values]
            grads_seen = [f"grad {fmt(_number(v.grad))}" for v in values] + ["grad ?"]
            if explanation is not None:
                grads_seen += [f"grad {fmt(s.accumulated)}" for s in explanation.steps]
                grads_seen.append(f"grad {fmt(explanation.seed)}")
            self.data_width = max((_text_width(t) for t in datas), default=0) + 12
            self.grad_width = max(_text_width(t) for t in grads_seen) + 12

    def digraph(self, rankdir: str, notes: list[str]) -> Any:
        import graphviz  # loaded on first drawing only: `import autograd` stays numpy-only
        dot = graphviz.Digraph("graph", format="svg")
        dot.attr(rankdir=rankdir, bgcolor="white", fontname=FONT, fontsize="12", fontcolor=INK, nodesep="0.25",
                 ranksep="0.35", pad="0.2")
        if notes:
            # \l ends a left-aligned line in DOT
            dot.attr(label="".join(_ascii(n).replace("\\", "/") + "\\l" for n in notes), labelloc="t", labeljust="l")
        dot.attr("node", fontname=FONT, fontsize="11", fontcolor=INK, penwidth="1.2")
        dot.attr("edge", color=EDGE, arrowsize="0.6", penwidth="1.1", fontname=FONT, fontsize="9")
        return dot

    def node_attrs(self, item: _Item) -> dict:
        kind = item.kind
        fill, border, shape, style = STYLES[kind]
        target = self.current is not None and kind != "op" and item.key == self.current.key and \
            item.kind != "constant"
        marked = item.id in self.marked or (kind == "module" and any(m.id in self.marked for m in item.obj))
        is_current = kind == "op" and self.current is not None and item.node is self.current.node
        if kind == "op":
            attrs = {"label": self._op_label(item), "shape": shape, "style": style, "fillcolor": fill,
                     "color": STEP if is_current else border, "margin": "0.04,0.02"}
            if is_current:
                attrs["penwidth"] = "2.5"
            if self.scalar:
                attrs.update(width="0.3", height="0.3", fontsize="12")
        elif kind == "module":
            ops = sum(m.kind == "op" for m in item.obj)
            params = sum(m.kind == "parameter" for m in item.obj)
            label = f"<b>{_esc(item.name)}</b><br/><font point-size=\"9\">{_count(ops, 'op')}" + \
                (f", {_count(params, 'parameter')}" if params else "") + "</font>"
            attrs = {"label": f"<{label}>", "shape": shape, "style": style, "fillcolor": fill, "color": border}
            if self.current is not None and any(m.node is self.current.node for m in item.obj):
                attrs.update(color=STEP, penwidth="3")  # the current step happens inside this module
                is_current = True
        elif self.scalar:
            return {"label": self._record(item, fill, border, marked, target), "shape": "plain"}
        else:
            attrs = {"label": self._tensor_label(item, target), "shape": shape, "style": style, "fillcolor": fill,
                     "color": border, "margin": "0.1,0.04"}
            if target:
                attrs.update(color=STEP, penwidth="3")
        if marked and not (target or is_current):
            attrs.update(color=HIGHLIGHT, penwidth="2.5")
        return attrs

    def _grad_of(self, item: _Item) -> Any:
        """The gradient shown: the explanation's at this step, else the real `.grad`; None for "not known"."""
        if self.grads is not None:
            return self.grads.get(item.key)
        g = item.obj.grad
        if g is None:
            return None
        return getattr(g, "data", g)

    def _record(self, item: _Item, fill: str, border: str, marked: bool, target: bool) -> str:
        v = item.obj
        color = STEP if target else (HIGHLIGHT if marked else border)
        thick = "2" if (target or marked or item.kind == "root") else "1"
        cells = []
        if item.kind == "constant":
            cells.append(f"<td>{_esc(fmt(v.data))}</td>")
        else:
            cells.append(f"<td><b>{_esc(item.name)}</b></td>")
            data, grad = data_text(v, True), grad_text(self._grad_of(item), True)
            if self.show_data:
                cells.append(self._cell(data, self.data_width, None))
            if self.show_grad:
                cells.append(self._cell(grad, self.grad_width, STEP_FILL if target else None))
            self.texts[item.id] = (data if self.show_data else None, grad if self.show_grad else None)
        return (f'<<table border="{thick}" cellborder="0" cellspacing="0" cellpadding="3" columns="*" '
                f'style="rounded" bgcolor="{fill}" color="{color}"><tr>{"".join(cells)}</tr></table>>')

    @staticmethod
    def _cell(text: str, width: float, bgcolor: str | None) -> str:
        bg = f' bgcolor="{bgcolor}"' if bgcolor else ""
        return f'<td fixedsize="true" width="{width:.0f}" height="20"{bg}>{_esc(text)}</td>'

    def _tensor_label(self, item: _Item, target: bool) -> str:
        v = item.obj
        given = own_name(v)
        if item.kind == "constant" and v.size == 1 and not given:
            return f"<{_esc(fmt(v.data))}>"
        lines = [f"<b>{_esc(given)}</b>" if given else f'<font color="#888888">{_esc(item.name)}</font>']
        small = []
        small.append(f"{tuple(v.shape)} {v.dtype}")
        data = grad = None
        if self.animated and self.show_data:
            data = data_text(v, False)
        elif self.show_data and v.size <= KEPT_AFTER_BACKWARD and item.kind != "op":  # (bigger ones may be freed)
            preview = _preview(np.asarray(v.data))
            if len(preview) <= 48:
                data = preview
        if self.show_grad and item.kind != "constant":
            g = self._grad_of(item)
            if g is not None or self.grads is not None or self.animated:
                grad = grad_text(g, g is not None and np.size(g) == 1)
        small += [text for text in (data, grad) if text is not None]
        self.texts[item.id] = (data, grad)
        for i, text in enumerate(small):
            bg = i == len(small) - 1 and target
            text = _esc(text)
            lines.append(f'<font point-size="9">{f"<b>{text}</b>" if bg else text}</font>')
        return "<" + "<br/>".join(lines) + ">"

    def _op_label(self, item: _Item) -> str:
        node = item.node
        if self.scalar:
            if node.name == "Pow" and not isinstance(node.inputs[1], Variable):
                return f"**{node.inputs[1]:.4g}"
            return VALUE_SYMBOLS.get(node.name, node.name)
        attrs = _op_attributes(node)
        small = f'<br/><font point-size="8">{_esc(attrs)}</font>' if attrs else ""
        return f"<<b>{_esc(node.name)}</b>{small}>"

    def edge_attrs(self, src: _Item, dst: _Item, infos: list, marked: bool, edge_id: str) -> dict:
        attrs: dict = {"id": edge_id} if self.animated else {}
        if src.kind == "constant":
            attrs["style"] = "dashed"
        if marked:
            attrs.update(color=HIGHLIGHT, penwidth="2.2")
        if self.current is not None and (self.current.node, self.current.position) in infos:
            attrs.update(color=STEP, penwidth="3", dir="back", arrowtail="normal")  # the gradient flows back
        return attrs


def _op_attributes(node: Any) -> str:
    """Key settings of an op: its non-graph forward arguments (axis=1) and known ctx attributes (kernel_size)."""
    names = _forward_params(node.fn)[0]
    shown = {}
    for name, value in zip(names, node.inputs):
        if isinstance(value, Variable) or value is None or value is False:
            continue
        shown[name] = value
    for name in OP_ATTRS:
        if name in node.__dict__:
            shown[name] = node.__dict__[name]
    if "axes" in shown:
        shown.pop("axis", None)
    parts = []
    for name, value in shown.items():
        text = _short(value)
        if text is not None:
            parts.append(f"{name}={text}")
    return ", ".join(parts)


def _short(value: Any) -> str | None:
    """A short ASCII rendering of an op setting, or None for what cannot be shown briefly (arrays, objects)."""
    if isinstance(value, (bool, int, np.integer, str)):
        text = str(value)
    elif isinstance(value, (float, np.floating)):
        text = fmt(value)
    elif isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        text = str(np.dtype(value))
    elif isinstance(value, slice) or value is Ellipsis:
        text = "[" + _index_text(value) + "]"
    elif isinstance(value, (tuple, list)):
        if any(isinstance(v, (slice, np.ndarray)) or v is Ellipsis or v is None for v in value):
            text = "[" + ", ".join(_index_text(v) for v in value) + "]"
        else:
            inner = [_short(v) for v in value]
            if None in inner:
                return None
            text = "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
    elif isinstance(value, np.ndarray):
        text = f"array{value.shape}"
    else:
        return None
    return text if len(text) <= 28 else text[:25] + "..."


def _preview(data: np.ndarray) -> str:
    """The values of a small array on one line, 3 significant digits each: [[0.5, -1], [2, 0.25]]."""
    if data.ndim == 0:
        x = data.item()
        return f"{x:.3g}" if isinstance(x, float) else str(x)
    return "[" + ", ".join(_preview(row) for row in data) + "]"


def _index_text(i: Any) -> str:
    if isinstance(i, slice):
        parts = ["" if i.start is None else str(i.start), "" if i.stop is None else str(i.stop)]
        return ":".join(parts) + ("" if i.step is None else f":{i.step}")
    if i is Ellipsis:
        return "..."
    if i is None:
        return "None"
    if isinstance(i, np.ndarray):
        return f"array{i.shape}"
    return str(i)


def data_text(v: Variable, scalar: bool) -> str:
    """A value's number(s) as a box shows them: "data 2.0" (Value), a preview of a small Tensor, or its norm."""
    if scalar:
        return f"data {fmt(v.data)}"
    try:
        data = np.asarray(v.data)
    except GraphFreedError:  # an intermediate whose array backward freed: its shape is still known
        return "data freed"
    preview = _preview(data) if data.size <= KEPT_AFTER_BACKWARD else ""
    return preview if preview and len(preview) <= 48 else f"|data| {fmt(norm(data))}"


def grad_text(g: Any, single: bool) -> str:
    """A gradient as a box shows it: "grad 6.0" for one number, "|grad| 2.3" (its norm) for an array, "?" unknown."""
    if g is None:
        return "grad ?" if single else "|grad| ?"
    g = getattr(g, "data", g)
    return f"grad {fmt(g)}" if np.size(g) == 1 else f"|grad| {fmt(norm(g))}"


# --- small helpers -------------------------------------------------------------------------------------------------
def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def _number(x: Any) -> float:
    return float(getattr(x, "data", x))


_NARROW, _WIDE = set(" .,:;|!il'()[]-/fjrt"), set("mwMW@%")


def _text_width(text: str, size: float = 11) -> float:
    """The width of `text` in Helvetica at `size` points (close enough to size a table cell)."""
    return size * sum(0.3 if c in _NARROW else 0.85 if c in _WIDE else 0.58 for c in text)
