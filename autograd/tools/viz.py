"""Drawing a recorded graph: which boxes and edges a graph becomes, grouped in nn.Module clusters (collapsed when
large: collapse.py); `draw(root, step=k)` shows backprop half done. How boxes look is paint.py.

graphviz (the Python package) is imported on first drawing; the Drawing it returns renders through tools/render.py.
"""
from __future__ import annotations

import inspect
from typing import Any, Sequence

from ..value import Value
from ..variable import Variable
from .collapse import fit, module_label
from .explain import Explanation, explain
from .graph import collect, input_key, own_name, value_key
from .paint import CLUSTER_FILLS, FONT, LEGEND, STYLES, _esc, _Item, _Painter
from .render import Drawing, _count


def draw(root: Any, *, show_data: bool = True, show_grad: bool = True, rankdir: str = "LR",
         max_nodes: int | None = None, group_modules: bool = True, highlight: Any = None, step: int | None = None,
         legend: bool | None = None, explanation: Explanation | None = None) -> Drawing:
    """Draw the graph that computed `root`.

    Args:
        root: a Value or Tensor, or a list of them.
        show_data: show values (Value data, a preview of small Tensors).
        show_grad: show gradients (Value grad, the norm of a Tensor's .grad).
        rankdir: "LR" (left to right) or "TB" (top to bottom).
        max_nodes: above this many boxes, each nn.Module call is drawn as one box (and the drawing says so); by
            default, above 300 boxes or when the longest path is more than a screen wide (24 boxes). Pass the
            number of nodes (the note says it) to draw every op.
        group_modules: put the ops made inside an nn.Module call in a cluster named after the module.
        highlight: Values/Tensors (or a function of a Value/Tensor returning bool) whose paths to the root are marked.
        step: draw the backward pass after the first `step` steps of `explain(root)`: those gradients filled in and
            the current edge marked; real `.grad` is neither shown nor changed.
        legend: show what the colours and shapes mean (default: for Tensor graphs).
        explanation: for `step`, an `explain(root)` already made (a slider draws every step from one).
    Returns:
        A Drawing (in Jupyter, fitted to the column with zoom and pan; `.source`, `.render(path)`, `.save_svg(path)`).
    """
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    for r in roots:
        if not isinstance(r, Variable):
            raise TypeError(f"draw: expected a Value or Tensor (or a list of them), got {type(r).__name__}")
    if not roots:
        raise ValueError("draw: got an empty list of roots; pass a Value or Tensor")
    check_options("draw", rankdir, max_nodes)
    current = None
    grads = None
    if step is None:
        explanation = None
        graph = collect(roots)
    else:
        if len(roots) != 1:
            raise ValueError(f"draw: step= needs a single root, got {len(roots)}")
        if explanation is None:
            explanation = explain(roots[0])
        elif explanation.root is not roots[0]:
            raise ValueError("draw: explanation= was made for another root; pass explain(root) of the root drawn")
        if not isinstance(step, int) or not 0 <= step <= len(explanation):
            raise ValueError(f"draw: step must be an int from 0 to {len(explanation)} (the number of backward steps), "
                             f"got {step!r}")
        grads = explanation.grads_after(step)
        current = explanation.steps[step - 1] if step else None
        graph = explanation.graph  # explain walked the graph already
    heading = []
    if current is not None:
        heading.append(f"backward step {step} of {len(explanation)}: {str(current).partition(': ')[2]}")
    elif step == 0:
        heading.append(f"backward step 0 of {len(explanation)}: only the root's gradient (the seed) is known")
    return scene(graph, roots, show_data=show_data, show_grad=show_grad, rankdir=rankdir, max_nodes=max_nodes,
                 group_modules=group_modules, highlight=highlight, grads=grads, current=current,
                 explanation=explanation, legend=legend, heading=heading)[0]


def check_options(caller: str, rankdir: str, max_nodes: int | None) -> None:
    """The layout options draw() and animate() share, checked."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"{caller}: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"{caller}: max_nodes must be a positive int (or None for a drawing that fits a screen), "
                         f"got {max_nodes!r}")


def scene(graph: Any, roots: list, *, show_data: bool, show_grad: bool, rankdir: str, max_nodes: int | None,
          group_modules: bool, highlight: Any, grads: dict | None, current: Any, explanation: Explanation | None,
          legend: bool | None, heading: list[str], animated: bool = False) -> tuple[Drawing, dict, dict, _Painter]:
    """The drawing of `graph`, with what it is made of: its items by id, the box each is drawn in (`reps`; an item
    not drawn is missing), and the painter (the texts of each box, the ids of the edges) the interactive view reads."""
    scalar = isinstance(roots[0], Value)
    items, edges = _items(graph, roots)
    reps, notes = fit(items, edges, max_nodes, roots)
    notes = heading + notes
    marked = _highlighted(items, edges, highlight)
    painter = _Painter(scalar, show_data, show_grad, grads, current, marked, items, explanation, animated)
    dot = painter.digraph(rankdir, notes)
    drawn = _emit(dot, painter, items, edges, reps, group_modules)
    if legend if legend is not None else not scalar:
        _legend(dot, sorted({it.kind for it in reps.values()}, key=list(STYLES).index))
    return Drawing(dot, drawn, notes, _alt(graph, roots, items, notes)), items, reps, painter


def _alt(graph: Any, roots: list, items: dict, notes: list[str]) -> str:
    """The drawing in words, for its alt text."""
    names = ", ".join(graph.names.get(value_key(r), "out") for r in roots)
    ops = sum(it.kind == "op" for it in items.values())
    text = f"Computation graph of {names}: {_count(len(items) - ops, 'value')} and {_count(ops, 'operation')}"
    return text + "".join(f". {note}" for note in notes)


# --- what is drawn -------------------------------------------------------------------------------------------------
def _items(graph: Any, roots: list) -> tuple[dict, list]:
    """Boxes by id and edges (source id, target id, info): value -> op for each input, op -> value for each output."""
    items: dict[str, _Item] = {}
    by_key: dict = {}
    root_keys = {value_key(r) for r in roots}
    consumers: dict = {}
    made_by = {id(node): node for node in graph.nodes}
    for node in graph.nodes:
        for i, inp in enumerate(node.inputs):
            if isinstance(inp, Variable):
                consumers.setdefault(input_key(node, inp), []).append(node)

    def value_item(key: Any, v: Variable) -> _Item:
        if key in by_key:
            return by_key[key]
        maker = made_by.get(key[1]) if key[0] == "n" else None
        if key in root_keys:
            kind = "root"
        elif maker is not None:
            kind = "value"
        elif _is_parameter(v):
            kind = "parameter"
        else:
            kind = "input" if v.requires_grad else "constant"
        scope = tuple(maker.scope or ()) if maker is not None else _owner_scope(v, consumers.get(key, ()))
        item = by_key[key] = items[f"v{len(items)}"] = _Item(f"v{len(items)}", kind, v, graph.names.get(key, ""),
                                                             scope, key)
        return item

    edges = []
    for r in roots:
        value_item(value_key(r), r)
    for node in graph.nodes:
        op = items[f"v{len(items)}"] = _Item(f"v{len(items)}", "op", None, node.name, tuple(node.scope or ()),
                                             ("op", id(node)), node)
        for position, inp in enumerate(node.inputs):
            if not isinstance(inp, Variable):
                continue
            key = input_key(node, inp)
            if key[0] == "l" and not inp.requires_grad and key not in root_keys and inp.size == 1 \
                    and not _is_parameter(inp):
                # a scalar constant is drawn once per use, next to the op that uses it, as micrograd does
                item = items[f"v{len(items)}"] = _Item(f"v{len(items)}", "constant", inp, graph.names.get(key, ""),
                                                       op.scope, key)
            else:
                item = value_item(key, inp)
            edges.append((item.id, op.id, (node, position)))
        for index in range(node.n_outputs):
            key = ("n", id(node), index)
            if key in graph.values:
                edges.append((op.id, value_item(key, graph.values[key]).id, None))
    return items, edges


def _is_parameter(v: Variable) -> bool:
    return any(c.__name__ == "Parameter" for c in type(v).__mro__)


def _owner_scope(v: Variable, users: Sequence) -> tuple:
    """The module scope a named leaf belongs to ("layers.0.weight" -> the call of "layers.0"), or () for inputs."""
    name = own_name(v)
    if not name or not isinstance(getattr(v, "name", None), str):
        return ()
    owner = name.rpartition(".")[0]
    for node in users:
        scope = node.scope or ()
        for j, (module_name, _) in enumerate(scope):
            if module_name == owner:
                return tuple(scope[:j + 1])
    return ()


def _highlighted(items: dict, edges: list, highlight: Any) -> set:
    """Ids of the items and edges (as (source, target)) on a path from a highlighted value to the root."""
    if highlight is None:
        return set()
    if callable(highlight) and not isinstance(highlight, Variable):
        start = {i for i, it in items.items() if it.obj is not None and it.kind != "op" and highlight(it.obj)}
    else:
        wanted = highlight if isinstance(highlight, (list, tuple, set)) else [highlight]
        for w in wanted:
            if not isinstance(w, Variable):
                raise TypeError(f"draw: highlight= takes Values/Tensors or a function of one, got {type(w).__name__}")
        ids = {id(w) for w in wanted}
        keys = {value_key(w) for w in wanted}
        start = {i for i, it in items.items()
                 if it.kind not in ("op", "module") and (it.key in keys or id(it.obj) in ids)}
    out_of: dict = {}
    for src, dst, _ in edges:
        out_of.setdefault(src, []).append(dst)
    marked = set(start)
    stack = list(start)
    while stack:
        i = stack.pop()
        for j in out_of.get(i, ()):
            marked.add((i, j))
            if j not in marked:
                marked.add(j)
                stack.append(j)
    return marked


def _emit(dot: Any, painter: _Painter, items: dict, edges: list, reps: dict, group_modules: bool) -> int:
    """Add the boxes (in nested module clusters) and the edges to `dot`; returns how many boxes were drawn."""
    unique: dict = {}
    for rep in reps.values():
        unique.setdefault(rep.id, rep)
    members: dict = {}
    scopes: dict = {(): None}  # in order of first appearance (not a set: its order would follow string hashes,
    for rep in unique.values():  # and the same graph would be laid out differently on every run)
        scope = tuple(rep.scope) if group_modules else ()
        members.setdefault(scope, []).append(rep)
        for k in range(len(scope) + 1):
            scopes.setdefault(scope[:k], None)
    children: dict = {}
    for scope in sorted(scopes, key=len):
        if scope:
            children.setdefault(scope[:-1], []).append(scope)
    counter = [0]

    def fill(graph: Any, scope: tuple) -> None:
        for rep in members.get(scope, ()):
            graph.node(rep.id, **painter.node_attrs(rep))
        for child in children.get(scope, ()):
            counter[0] += 1
            with graph.subgraph(name=f"cluster_{counter[0]}") as sub:
                depth = len(child) - 1
                sub.attr(label=f"<<b>{_esc(module_label(child))}</b>>", style="rounded,filled",
                         fillcolor=CLUSTER_FILLS[depth % len(CLUSTER_FILLS)], color="#9e97c4", fontname=FONT,
                         fontsize="11", fontcolor="#4b4577", labeljust="l", penwidth="1")
                fill(sub, child)

    fill(dot, ())
    joined: dict = {}
    for src, dst, info in edges:
        if src not in reps or dst not in reps:
            continue
        a, b = reps[src], reps[dst]
        if a is b:
            continue
        entry = joined.setdefault((a.id, b.id), [a, b, [], False])
        entry[2].append(info)
        entry[3] = entry[3] or (src, dst) in painter.marked
    n_edges = 0
    for (a_id, b_id), (a, b, infos, marked) in joined.items():
        # between two plain boxes every edge is drawn (x * x shows two); a collapsed module gets one per neighbour
        groups = [[info] for info in infos] if a.kind != "module" and b.kind != "module" else [infos]
        for group in groups:
            edge_id, n_edges = f"e{n_edges}", n_edges + 1
            for info in group:  # each input an edge carries (node, position), and the pair of boxes it joins
                painter.edge_ids.setdefault(info if info is not None else (a_id, b_id), edge_id)
            painter.edge_ids.setdefault((a_id, b_id), edge_id)
            painter.edge_ends[edge_id] = (a_id, b_id)
            dot.edge(a_id, b_id, **painter.edge_attrs(a, b, group, marked, edge_id))
    return len(unique)


def _legend(dot: Any, kinds: list[str]) -> None:
    """A small cluster with one sample box per kind of box in the drawing."""
    with dot.subgraph(name="cluster_legend") as leg:
        leg.attr(label="<<b>legend</b>>", style="rounded", color="#cccccc", fontsize="10", labeljust="l")
        previous = None
        for kind in kinds:
            fill, border, shape, style = STYLES[kind]
            leg.node(f"legend_{kind}", label=LEGEND[kind], shape=shape, style=style, fillcolor=fill, color=border,
                     fontsize="9", height="0.25", margin="0.06,0.02")
            if previous is not None:
                leg.edge(previous, f"legend_{kind}", style="invis")
            previous = f"legend_{kind}"


def step_through(root: Variable, **options: Any) -> Any:
    """A slider over the backward pass of `root`: each position draws `draw(root, step=k)` (needs ipywidgets).

    Args:
        root: a Value or Tensor that requires grad.
        options: more arguments for draw (show_data, rankdir, ...).
    Returns:
        An ipywidgets interactive widget; display it in a notebook.
    """
    try:
        import ipywidgets
    except ImportError:
        raise ImportError("step_through needs ipywidgets: pip install ipywidgets (or use draw(root, step=k))") from None
    allowed = set(inspect.signature(draw).parameters) - {"root", "step", "explanation"}
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"step_through: unknown option(s) {sorted(unknown)}; use {sorted(allowed)}")
    explanation = explain(root)

    def show(step: int) -> Drawing:
        return draw(root, step=step, explanation=explanation, **options)

    slider = ipywidgets.IntSlider(value=0, min=0, max=len(explanation), step=1, description="step",
                                  continuous_update=False)
    return ipywidgets.interactive(show, {"auto_display": True}, step=slider)
