"""The recorded graph as the tools see it: the Nodes reachable from some roots (found by the engine's own walk) and
every value they touch, each with a stable key and a short name. Drawings, explanations and the interactive view read
graphs through this module; none of them walks a graph itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..engine import topological_order
from ..function import Node
from ..variable import Variable


def value_key(v: Variable) -> tuple:
    """One key per graph value: a leaf is its object, a result is (its Node, which output)."""
    return ("l", id(v)) if v._node is None else ("n", id(v._node), v._index)


def input_key(node: Node, x: Variable) -> tuple:
    """The key of `x`, an input of `node`, as the op saw it (it may have been changed in place since)."""
    parent, index = node.parent_of(x)
    return ("l", id(x)) if parent is None else ("n", id(parent), index)


def output_key(node: Node, index: int = 0) -> tuple:
    return ("n", id(node), index)


@dataclass
class Graph:
    """Everything reachable from some roots: Nodes oldest first, one object for each value seen, and their names."""
    roots: list
    nodes: list
    values: dict
    names: dict = field(default_factory=dict)


def collect(roots: Sequence[Variable]) -> Graph:
    """The graph behind `roots`: the engine lists the Nodes, and every value they use gets a key and a name."""
    values: dict = {}
    for r in roots:
        values.setdefault(value_key(r), r)
    nodes = topological_order([r._node for r in roots if r._node is not None])[::-1]  # oldest first
    for node in nodes:
        for i, inp in enumerate(node.inputs):
            if isinstance(inp, Variable):
                values.setdefault(input_key(node, inp), inp)
    graph = Graph(list(roots), nodes, values)
    graph.names = _names(graph)
    return graph


def fmt(x: Any) -> str:
    """A number with 4 significant digits, as drawings and explanations print them."""
    x = float(np.asarray(getattr(x, "data", x)).reshape(-1)[0])
    text = f"{x:.4g}"
    return text + ".0" if text.lstrip("-").isdigit() else text  # 1.0 and -3.0 read as numbers, not counts


def own_name(v: Variable) -> str:
    """The name the user gave: a Value's label, or a Tensor's name (parameters get theirs from nn.Module)."""
    return getattr(v, "label", "") or getattr(v, "name", None) or ""


def norm(g: Any) -> float:
    """The Euclidean norm of a gradient of any shape, summed in float64."""
    return float(np.sqrt(np.sum(np.square(np.asarray(g), dtype=np.float64))))


def _names(graph: Graph) -> dict:
    """A short, stable name for every value: the user's, else "out" for the root, "mul2" for results, "x1" for
    inputs, the number itself for scalar constants."""
    names: dict = {}
    counts: dict = {}
    roots = [value_key(r) for r in graph.roots]
    for i, k in enumerate(roots):
        given = own_name(graph.values[k])
        names[k] = given or ("out" if len(roots) == 1 else f"out{i + 1}")
    for node in graph.nodes:
        for i, inp in enumerate(node.inputs):
            if not isinstance(inp, Variable):
                continue
            k = input_key(node, inp)
            if k in names:
                continue
            given = own_name(inp)
            parent = node.parent_of(inp)[0]
            if given:
                names[k] = given
            elif parent is None and not inp.requires_grad and inp.size == 1:
                names[k] = fmt(np.asarray(inp.data).reshape(-1)[0])
            elif parent is None:
                prefix = "x" if inp.requires_grad else "c"
                counts[prefix] = counts.get(prefix, 0) + 1
                names[k] = f"{prefix}{counts[prefix]}"
            else:
                op = parent.name.lower()
                number = counts.setdefault(("op", id(parent)), None)
                if number is None:
                    counts[op] = counts.get(op, 0) + 1
                    number = counts[("op", id(parent))] = counts[op]
                names[k] = f"{op}{number}" + (f"[{k[2]}]" if parent.n_outputs > 1 else "")
    return names
