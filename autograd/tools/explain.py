"""explain(): the backward pass as a list of steps, one per edge, in the order the engine visits them.

explain runs the engine's real backward pass (as autograd.grad does, so no `.grad` changes) with an observer that
records each step: the local derivative rule (tools/rules.py, from the op's docstring), the numbers, and the gradient
accumulated so far.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import run_backward
from ..errors import BackwardError, GraphFreedError
from ..function import Node, OpObserver
from ..grad_mode import _state
from ..variable import Variable
from .graph import Graph, collect, fmt, input_key, norm, output_key, value_key
from .rules import Rule, rule_for


# --- the steps ---------------------------------------------------------------------------------------------------
@dataclass
class Step:
    """One edge of the backward pass: `op` sends the gradient of `output` back to `input`."""
    index: int
    op: str
    output: str
    input: str
    rule: Rule
    upstream: Any      # the gradient of the op's output (a float for Value, an ndarray for Tensor)
    local: Any         # d output / d input for scalars; None when it is a Jacobian (shapes differ)
    sent: Any          # the gradient sent to `input` (summed back to its shape)
    accumulated: Any   # `input`'s gradient after this step (the sum over the paths seen so far)
    first: bool        # whether this is the first gradient to reach `input`
    node: Node = field(repr=False)
    position: int = field(repr=False)   # which argument of forward the input is
    key: tuple = field(repr=False)      # the input's value key

    @property
    def edge(self) -> str:
        """"out -> x", with the input's role in the rule ("as a") when the op has several graph inputs."""
        several = sum(isinstance(i, Variable) for i in self.node.inputs) > 1
        return f"{self.output} -> {self.input}" + (f" (as {self.rule.symbol})" if several else "")

    @property
    def words(self) -> str:
        return (f"{self.op} computes {self.rule.definition}; its local derivative with respect to {self.rule.symbol} "
                f"({self.input}) is {self.rule.text.partition('= ')[2] or self.rule.text}")

    @property
    def numbers(self) -> str:
        if self.local is not None:
            return f"upstream {fmt(self.upstream)} x local {fmt(self.local)} = {fmt(self.sent)}"
        return f"upstream {_describe(self.upstream)} -> sent {_describe(self.sent)}"

    @property
    def total(self) -> str:
        if self.local is not None or np.size(self.accumulated) == 1:
            if self.first:
                return f"{self.input}.grad = {fmt(self.accumulated)}"
            before, sign = self.accumulated - self.sent, "-" if float(self.sent) < 0 else "+"
            return f"{self.input}.grad = {fmt(before)} {sign} {fmt(abs(self.sent))} = {fmt(self.accumulated)}"
        return f"{self.input}.grad {_describe(self.accumulated)}" + ("" if self.first else " (summed)")

    def __str__(self) -> str:
        return (f"step {self.index}: {self.op} sends the gradient of {self.output} to {self.input}: "
                f"{self.rule.text};  {self.numbers};  {self.total}")


def _describe(g: Any) -> str:
    if isinstance(g, tuple):
        return "(" + ", ".join(_describe(x) for x in g) + ")"
    a = np.asarray(g)
    return fmt(a) if a.size == 1 else f"{a.shape} |g|={fmt(norm(a))}"


class Explanation:
    """The backward pass, step by step; prints as a table, shows as an HTML table in Jupyter.

    `steps` are in the engine's order; `grad(v)` is the gradient the explanation computed for value `v`.
    """

    def __init__(self, root: Variable, steps: list, grads: dict, seed: Any, graph: Graph) -> None:
        self.root, self.steps, self._grads, self.seed, self.graph = root, steps, grads, seed, graph

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __getitem__(self, i: int) -> Step:
        return self.steps[i]

    def grad(self, v: Variable) -> Any:
        """d(root)/d(v) as this explanation computed it (a float or an ndarray), None if no gradient reaches v."""
        return self._grads.get(value_key(v))

    def grads_after(self, k: int) -> dict:
        """The gradient of each value reached by the first `k` steps, by value key (the root's is its seed)."""
        found = {value_key(self.root): self.seed}
        for step in self.steps[:k]:
            found[step.key] = step.accumulated
        return found

    def _rows(self) -> list[list[str]]:
        # the rule as a formula, the plain-text twin of the LaTeX the HTML table typesets
        return [[str(s.index), s.op, s.edge, s.rule.formula, s.numbers, s.total] for s in self.steps]

    def __str__(self) -> str:
        head = ["#", "op", "gradient flows", "local rule", "upstream x local = sent", "accumulated"]
        rows = [[_clip(c) for c in row] for row in self._rows()]
        widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
        lines = [f"backward pass of {self.graph.names[value_key(self.root)]}: seed gradient "
                 f"{fmt(self.seed) if np.size(self.seed) == 1 else _describe(self.seed)}, {len(self.steps)} step(s)"]
        for row in [head] + rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
            if row is head:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cells = ["#", "op", "gradient flows", "local rule", "upstream &times; local = sent", "accumulated"]
        name = html.escape(self.graph.names[value_key(self.root)])
        out = ['<table style="border-collapse:collapse;font-family:Helvetica,Arial,sans-serif">',
               f'<caption style="text-align:left">backward pass of <b>{name}</b>, {len(self.steps)} step(s), in the '
               "order the engine runs them</caption>",
               "<tr>" + "".join(f'<th style="text-align:left;padding:2px 8px">{c}</th>' for c in cells) + "</tr>"]
        for s in self.steps:
            formula = s.rule.mathml  # typeset by the browser itself: no MathJax, no network
            row = [str(s.index), html.escape(s.op), html.escape(s.edge).replace("-&gt;", "&rarr;"),
                   f'<span title="{html.escape(s.words)}">{formula}</span>', html.escape(s.numbers),
                   html.escape(s.total)]
            out.append("<tr>" + "".join(f'<td style="text-align:left;padding:2px 8px">{c}</td>' for c in row) + "</tr>")
        out.append("</table>")
        return "\n".join(out)


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def explain(root: Variable, grad: Any = None) -> Explanation:
    """The backward pass from `root`, one step per edge, without touching any `.grad`.

    Args:
        root: a Value or Tensor that requires grad (call explain before backward, or backward with retain_graph=True).
        grad: the gradient to start from (needed for a Tensor with more than one element).
    Returns:
        An Explanation: a list of Steps that prints as a table.

    The steps are those of the engine's own backward pass, run as autograd.grad runs it: the graph is kept and no
    `.grad` changes; hooks on intermediate results run, as they would in backward().
    """
    check_root(root, "explain")
    return record(root, grad, collect([root]), "explain")


def check_root(root: Any, caller: str) -> None:
    """Refuse what has no backward pass to show, with the fix."""
    if not isinstance(root, Variable):
        raise TypeError(f"{caller}: expected a Value or Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise BackwardError(f"{caller}: this result does not require grad, so there is no backward pass to "
                            "show; create its inputs with requires_grad=True")


def record(root: Variable, grad: Any, graph: Graph, caller: str) -> Explanation:
    """Run the engine's real backward pass from `root` over `graph` (collected already) with a StepRecorder
    watching: the graph is kept and no `.grad` changes, as in autograd.grad."""
    seed = root._seed(grad, False, caller)
    recorder = StepRecorder(graph.names)
    recorder.grads[value_key(root)] = seed
    with recorder:
        try:
            run_backward([root], [seed], retain_graph=True, create_graph=False, inputs=[])
        except GraphFreedError as err:
            raise GraphFreedError(f"{caller}: {str(err).partition(': ')[2]}; call {caller}() before backward(), or "
                                  "backward(retain_graph=True)") from None
    return Explanation(root, recorder.steps, recorder.grads, seed, graph)


class StepRecorder(OpObserver):
    """Watches a backward pass and writes down each edge as a Step (explain() and the interactive view use it)."""

    def __init__(self, names: dict) -> None:
        self.names, self.steps, self.grads = names, [], {}

    def __enter__(self) -> StepRecorder:
        self._before = _state.observers
        _state.observers = self._before + (self,)
        return self

    def __exit__(self, *exc: object) -> None:
        _state.observers = self._before

    def backward_end(self, token: Any, node: Node, grads_out: tuple, grads_in: tuple) -> None:
        names, kind = self.names, node.kind
        local = None
        if node.n_outputs == 1 and np.size(grads_out[0]) == 1:
            # backward is linear in the upstream gradient: with upstream 1 it gives the local derivatives
            local = _as_tuple(node.fn.backward(node, *[g * 0 + 1 for g in grads_out]))
        if node.n_outputs == 1:
            output = names.get(output_key(node), node.name.lower())
        else:
            output = ", ".join(names.get(output_key(node, i), f"{node.name.lower()}[{i}]")
                               for i in range(node.n_outputs))
        graph_inputs = [i for i, inp in enumerate(node.inputs) if isinstance(inp, Variable)]
        for position, (inp, needs, g) in enumerate(zip(node.inputs, node.needs_input_grad, grads_in)):
            if not needs or g is None:
                continue
            if kind._has_shape:
                g = inp._fit_grad(g, node)
            key = input_key(node, inp)
            first = key not in self.grads
            self.grads[key] = g if first else self.grads[key] + g
            loc = None
            if local is not None and inp.size == 1 and local[position] is not None:
                loc = local[position]
                loc = float(np.sum(loc)) if np.size(loc) != 1 else loc
            rule = rule_for(node.fn, position, graph_inputs.index(position))
            upstream = grads_out[0] if node.n_outputs == 1 else grads_out
            if loc is None:
                shown = (upstream, None, g, self.grads[key])
            else:
                shown = (_scalar(upstream), _scalar(loc), _scalar(g), _scalar(self.grads[key]))
            self.steps.append(Step(len(self.steps) + 1, node.name, output, names.get(key, "?"), rule, *shown, first,
                                   node, position, key))


def _as_tuple(x: Any) -> tuple:
    return x if type(x) is tuple else (x,)


def _scalar(x: Any) -> Any:
    """A one-element gradient as a Python float (Values already are)."""
    if x is None or isinstance(x, float):
        return x
    return float(np.asarray(x).reshape(-1)[0])
