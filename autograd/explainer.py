"""explain(): the backward pass as a list of steps, one per edge, in the order the engine visits them.

Each step shows the local derivative rule (the first docstring line of the op's Function, so it cannot drift from the
code), the numbers (found by running the op's own backward) and the gradient accumulated so far.
"""
from __future__ import annotations

import html
import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .engine import topological_order
from .errors import BackwardError, GraphFreedError
from .function import Node, Variable
from .variable import made_by
from .grad_mode import set_grad_enabled


# --- the graph as drawings and explanations see it -------------------------------------------------------------
def value_key(v: Variable, seq: int | None = None) -> tuple:
    """One key per graph value: a leaf is its object, a result is (its Node, which output). With `seq`, the value
    `v` held when the op with that creation number used it (it may have been changed in place since)."""
    node, index = (v._node, v._index) if seq is None else made_by(v, seq)
    return ("l", id(v)) if node is None else ("n", id(node), index)


@dataclass
class Graph:
    """Everything reachable from some roots: Nodes oldest first, and one object for each value seen."""
    roots: list
    nodes: list
    values: dict
    names: dict = field(default_factory=dict)


def collect(roots: Sequence[Variable]) -> Graph:
    """Walk the recorded graph back from `roots` (iteratively) and name every value."""
    values: dict = {}
    nodes: dict = {}
    stack = []
    for r in roots:
        values.setdefault(value_key(r), r)
        if r._node is not None and id(r._node) not in nodes:
            nodes[id(r._node)] = r._node
            stack.append(r._node)
    while stack:
        node = stack.pop()
        for inp in node.inputs:
            if isinstance(inp, Variable):
                values.setdefault(value_key(inp, node.seq), inp)
                child = made_by(inp, node.seq)[0]
                if child is not None and id(child) not in nodes:
                    nodes[id(child)] = child
                    stack.append(child)
    graph = Graph(list(roots), sorted(nodes.values(), key=lambda n: n.seq), values)
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
        for inp in node.inputs:
            if not isinstance(inp, Variable):
                continue
            k = value_key(inp, node.seq)
            if k in names:
                continue
            given = own_name(inp)
            if given:
                names[k] = given
            elif inp._node is None and not inp.requires_grad and inp.size == 1:
                names[k] = fmt(np.asarray(inp.data).reshape(-1)[0])
            elif inp._node is None:
                prefix = "x" if inp.requires_grad else "c"
                counts[prefix] = counts.get(prefix, 0) + 1
                names[k] = f"{prefix}{counts[prefix]}"
            else:
                op = inp._node.name.lower()
                number = counts.setdefault(("op", id(inp._node)), None)
                if number is None:
                    counts[op] = counts.get(op, 0) + 1
                    number = counts[("op", id(inp._node))] = counts[op]
                names[k] = f"{op}{number}" + (f"[{inp._index}]" if inp._node.n_outputs > 1 else "")
    return names


# --- the derivative rule, read from the Function's docstring ---------------------------------------------------
@dataclass
class Rule:
    """The derivative of one op with respect to one of its inputs, as its docstring states it."""
    definition: str   # "z = a * b"
    symbol: str       # the input's name in the docstring: "a"
    text: str         # "dz/da = b"
    formula: str      # "d(a * b)/da = b": the text table shows it
    latex: str        # the formula in LaTeX: the HTML table shows it (with the rule in words on hover)


_DERIVATIVE = re.compile(r"d([A-Za-z_][\w\[\]]*)/d([A-Za-z_][\w\[\]]*)\s*=")
_rules: dict = {}


def rule_for(fn: type, position: int, order: int = 0) -> Rule:
    """The docstring rule of `fn` for its forward argument number `position` (its `order`-th graph input)."""
    cache_key = (fn, position, order)
    if cache_key not in _rules:
        _rules[cache_key] = _parse_rule(fn, position, order)
    return _rules[cache_key]


def _forward_params(fn: type) -> tuple[list[str], str | None]:
    try:
        params = list(inspect.signature(fn.forward).parameters.values())[1:]  # without ctx
    except (TypeError, ValueError):
        return [], None
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), None)
    return names, star


def _parse_rule(fn: type, position: int, order: int) -> Rule:
    names, star = _forward_params(fn)
    symbol = names[position] if position < len(names) else (star or f"input{position}")
    first_line = (inspect.getdoc(fn) or "").strip().splitlines()
    first_line = first_line[0].strip() if first_line else ""
    matches = list(_DERIVATIVE.finditer(first_line))
    definition = first_line[:matches[0].start()].strip().rstrip(";").strip() if matches else first_line
    chosen = None
    for i, m in enumerate(matches):
        if m.group(2) == symbol or m.group(2).startswith(symbol + "["):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(first_line)
            chosen = (m.group(1), m.group(2), first_line[m.end():end].strip().rstrip(",;").strip())
            break
    if chosen is None and order < len(matches):  # the docstring names the input differently: go by order
        m = matches[order]
        end = matches[order + 1].start() if order + 1 < len(matches) else len(first_line)
        chosen = (m.group(1), m.group(2), first_line[m.end():end].strip().rstrip(",;").strip())
    if chosen is None:
        text = f"d out/d {symbol}: stated by {fn.__name__}.backward (its docstring gives no rule for {symbol})"
        return Rule(definition, symbol, text, text, r"\text{" + _tex_escape(text) + "}")
    out, wrt, rhs = chosen
    text = f"d{out}/d{wrt} = {rhs}"
    lhs, _, body = definition.partition("=")
    body = re.sub(r"\s{2,}\(.*\)$", "", body).strip()  # drop a trailing note such as "(n a number)"
    variables = set(names) | {star or "", "grad", out, lhs.strip()}
    if lhs.strip() == out and body and ";" not in body:
        formula = f"d({body})/d{wrt} = {rhs}"
        latex = (r"\frac{\partial\,(" + _latex(body, variables) + r")}{\partial " + _latex(wrt, variables) + "} = "
                 + _latex(rhs, variables))
    else:
        formula = text
        latex = (r"\frac{\partial " + _latex(out, variables) + r"}{\partial " + _latex(wrt, variables) + "} = "
                 + _latex(rhs, variables))
    return Rule(definition, symbol, text, formula, latex)


_TOKEN = re.compile(r"\s+|\d+(?:\.\d+)?|[A-Za-z_][\w']*(?:\[[^\]]*\])?(?:\.T\b)?|\*\*|>=|<=|!=|==|.")
_NAMED_FUNCTIONS = {"exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh",
                    "max": r"\max", "min": r"\min"}
_SYMBOLS = {"*": r"\cdot ", ">=": r"\geq ", "<=": r"\leq ", "!=": r"\neq ", "==": "=", "@": r"\mathbin{@}",
            "'": r"\text{'}"}


def _tex_escape(text: str) -> str:
    return re.sub(r"([_%#&${}])", r"\\\1", text).replace("~", r"\sim ").replace("^", r"\hat{}")


def _latex(expr: str, variables: set) -> str:
    """The docstring notation in LaTeX: `**` as a superscript, `*` as a dot, words as text."""
    tokens = _TOKEN.findall(expr)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.isspace():
            out.append(" ")
        elif tok == "**":
            j = i + 1
            while j < len(tokens) and tokens[j].isspace():
                j += 1
            group, i = _exponent(tokens, j)
            out.append("^{" + _latex(group, variables) + "}")
            continue
        elif re.match(r"[A-Za-z_]", tok):
            base, index, transposed = re.match(r"([\w']+)(?:\[([^\]]*)\])?(\.T)?$", tok).groups()
            if i + 1 < len(tokens) and tokens[i + 1] == "(":
                out.append(_NAMED_FUNCTIONS.get(base, r"\operatorname{" + _tex_escape(base) + "}"))
            elif len(base) == 1 or base in variables:
                out.append(base if len(base) == 1 else r"\mathrm{" + _tex_escape(base) + "}")
            else:  # words: gather the whole phrase into one \text
                words = [tok]
                while i + 2 < len(tokens) and tokens[i + 1].isspace() and re.match(r"[A-Za-z]", tokens[i + 2]) \
                        and re.match(r"[\w']+", tokens[i + 2]).group() not in variables and len(tokens[i + 2]) > 1:
                    words.append(tokens[i + 2])
                    i += 2
                out.append(r"\text{ " + _tex_escape(" ".join(words)) + " }")
                i += 1
                continue
            if index is not None:
                out.append("_{" + _latex(index, variables) + "}")
            if transposed:
                out.append(r"^{\top}")
        else:
            out.append(_SYMBOLS.get(tok, _tex_escape(tok)))
        i += 1
    return "".join(out).strip()


def _exponent(tokens: list, j: int) -> tuple[str, int]:
    """The exponent after `**`: a parenthesised group, or one (possibly negative) number or name."""
    if j < len(tokens) and tokens[j] == "(":
        depth, k = 0, j
        while k < len(tokens):
            depth += tokens[k] == "("
            depth -= tokens[k] == ")"
            if depth == 0:
                return "".join(tokens[j + 1:k]), k + 1
            k += 1
        return "".join(tokens[j + 1:]), len(tokens)
    if j < len(tokens) and tokens[j] == "-" and j + 1 < len(tokens):
        return "-" + tokens[j + 1], j + 2
    return (tokens[j], j + 1) if j < len(tokens) else ("", j)


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


def norm(g: Any) -> float:
    """The Euclidean norm of a gradient of any shape, summed in float64."""
    return float(np.sqrt(np.sum(np.square(np.asarray(g), dtype=np.float64))))


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
            formula = html.escape(r"\(" + s.rule.latex + r"\)")
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

    Gradient hooks are not run (they may have side effects); the numbers are those of the ops' own backward.
    """
    if not isinstance(root, Variable):
        raise TypeError(f"explain: expected a Value or Tensor, got {type(root).__name__}")
    if not root.requires_grad:
        raise BackwardError("explain: this result does not require grad, so there is no backward pass to explain; "
                            "create its inputs with requires_grad=True")
    graph = collect([root])
    names = graph.names
    with set_grad_enabled(False):
        seed = root._seed(grad, False, "explain")
        grads: dict = {value_key(root): seed}
        steps: list[Step] = []
        buffers: dict = {}
        if root._node is not None:
            if root._node.n_outputs == 1:
                buffers[root._node] = seed
            else:
                _add_to_slot(buffers, root._node, root._index, seed)
            for node in topological_order([root._node]):
                if node not in buffers:
                    continue  # no gradient reached it (a backward returned None), as in the engine
                _explain_node(node, buffers.pop(node), grads, buffers, steps, names)
    return Explanation(root, steps, grads, seed, graph)


def _run_backward(node: Node, grads: tuple) -> tuple:
    """`node`'s own backward on `grads`, with the engine's checks (graph freed, one gradient per input); the
    engine words these inline, so explain's wording of them lives here only."""
    if node._saved is None:
        raise GraphFreedError(
            f"explain: the graph through {node.name} was already freed by backward(); call explain() before "
            "backward(), or call backward(retain_graph=True)")
    sent = _as_tuple(node.fn.backward(node, *grads))
    if len(sent) != len(node.inputs):
        raise BackwardError(f"{node.name}.backward returned {len(sent)} gradient(s) but forward took "
                            f"{len(node.inputs)} input(s); return one per forward input, None for those that need none")
    return sent


def _explain_node(node: Node, upstream: Any, grads: dict, buffers: dict, steps: list, names: dict) -> None:
    kind = node.kind
    if node.n_outputs == 1:
        ups = (upstream,)
    else:
        ups = tuple(kind._zero_grad(node, i) if g is None else g for i, g in enumerate(upstream))
    sent = _run_backward(node, ups)
    local = None
    scalar = all(np.size(u) == 1 for u in ups) and node.n_outputs == 1
    if scalar:  # backward is linear in the upstream gradient: with upstream 1 it gives the local derivatives
        local = _run_backward(node, tuple(u * 0 + 1 for u in ups))
    output = names.get(("n", id(node), 0), node.name.lower()) if node.n_outputs == 1 else \
        ", ".join(names.get(("n", id(node), i), f"{node.name.lower()}[{i}]") for i in range(node.n_outputs))
    graph_inputs = [i for i, inp in enumerate(node.inputs) if isinstance(inp, Variable)]
    for position, (inp, needs, g) in enumerate(zip(node.inputs, node.needs_input_grad, sent)):
        if not needs or g is None:
            continue
        if kind._has_shape:
            g = inp._fit_grad(g, node)
        key = value_key(inp, node.seq)
        first = key not in grads
        grads[key] = g if first else grads[key] + g
        child, index = made_by(inp, node.seq)
        if child is not None:
            if child.n_outputs == 1:
                buffers[child] = g if child not in buffers else buffers[child] + g
            else:
                _add_to_slot(buffers, child, index, g)
        loc = None
        if local is not None and np.size(inp.data) == 1 and local[position] is not None:
            loc = local[position]
            loc = float(np.sum(loc)) if np.size(loc) != 1 else loc
        rule = rule_for(node.fn, position, graph_inputs.index(position))
        if loc is None:
            shown = (upstream if node.n_outputs == 1 else ups, None, g, grads[key])
        else:
            shown = (_scalar(upstream), _scalar(loc), _scalar(g), _scalar(grads[key]))
        steps.append(Step(len(steps) + 1, node.name, output, names.get(key, "?"), rule, *shown, first, node, position,
                          key))


def _as_tuple(x: Any) -> tuple:
    return x if type(x) is tuple else (x,)


def _scalar(x: Any) -> Any:
    """A one-element gradient as a Python float (Values already are)."""
    if x is None or isinstance(x, float):
        return x
    return float(np.asarray(x).reshape(-1)[0])


def _add_to_slot(buffers: dict, node: Node, index: int, g: Any) -> None:
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * node.n_outputs
    slots[index] = g if slots[index] is None else slots[index] + g
