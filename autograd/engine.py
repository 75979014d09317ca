"""The engine: the one place that walks a graph backwards, for Value and Tensor alike.

Backward visits the recorded Nodes newest first. A Node is always made after the Nodes that made its inputs, so taking
the newest Node that has a gradient waiting (a heap ordered by creation number) reaches every Node only once all its
gradients have arrived: a topological order, without recursion or a separate sort. Each Node's backward returns its
inputs' gradients; the engine sums each back to its input's shape, hands it to the Node (or leaf) that made the input,
and frees what the Node saved unless `retain_graph`. Leaves get their summed gradients last, after their hooks. With
`create_graph` the pass runs in grad mode, so it is itself recorded and its gradients can be differentiated again.

`topological_order(roots)` lists the Nodes backward can reach, in its order: drawings and tools read graphs through it.
"""
from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Sequence

from numpy import ndarray

from .errors import BackwardError
from .function import Function, Node, freeing_call
from .grad_mode import _state
from .variable import Variable


class GraphRoot(Function):
    """The start of backward: hands each root its seed gradient (dL/dL = 1), as an op hands out gradients."""

    @staticmethod
    def backward(ctx, grad):
        return ctx.seeds


def run_backward(roots: Sequence[Variable], seeds: Sequence[Any], retain_graph: bool, create_graph: bool,
                 inputs: Sequence[Variable] | None = None) -> list[Any] | None:
    """Send the `seeds` (one gradient per root) back through the graph.

    With `inputs=None` gradients accumulate into the leaves' `.grad` (and retained gradients). Otherwise no `.grad` is
    touched and the gradients reaching `inputs` are returned, in order (None where none arrives), as grad() needs.
    """
    start = Node(GraphRoot, tuple(roots), (True,) * len(roots), roots[0]._result_class)
    start.seq, start.seeds, start.retains_grad = float("inf"), tuple(seeds), False
    wanted = _Wanted(inputs)
    freer = None if retain_graph else freeing_call(inputs is not None, create_graph)  # noted on each Node it frees
    prev = _state.enabled, _state.in_backward
    try:  # not `with set_grad_enabled(...)`: a Ctrl-C landing as its __exit__ starts would leave grad mode switched
        _state.enabled, _state.in_backward = bool(create_graph), True  # recorded only to differentiate it again
        pending = [(-start.seq, start)]  # a heap: the newest Node with a gradient waiting comes out first
        waiting: dict[Node, Any] = {start: None}  # each Node's summed output gradient (a list for several outputs)
        leaves: dict[int, list] = {}  # id(leaf) -> [leaf, summed gradient]: handed over after the pass
        observed = _state.observers  # what watches this thread's ops (profile, detect_anomaly, explain)
        keeping = wanted.found is None  # backward() keeps gradients for .grad; grad() takes only what it asked for
        taking = wanted.nodes  # the results grad() asked for, by Node
        while pending:
            node = heappop(pending)[1]
            grads = waiting.pop(node)
            if node._saved is None:
                raise node.freed_error("grad" if inputs is not None else "backward")
            if node.n_outputs > 1 or node.hooks is not None or (taking and node in taking):
                grads = _arrived(node, grads, wanted)  # zeros for unused outputs, hooks, grad()'s results
            else:
                if node.retains_grad and keeping:  # kept for .grad: every Value, and Tensors after retain_grad()
                    node.retained_grad = node.kind._add_grads(node.retained_grad, grads)
                grads = (grads,)
            if observed:
                input_grads = _observed_backward(node, grads)
            else:
                input_grads = node.fn.backward(node, *grads)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if len(input_grads) != len(node.inputs):
                raise BackwardError(
                    f"{node.name}.backward returned {len(input_grads)} gradient(s) but forward took "
                    f"{len(node.inputs)} input(s); return one per forward input, None for those that need none")
            shaped = node.kind._has_shape
            for inp, needs, g in zip(node.inputs, node.needs_input_grad, input_grads):
                if not needs or g is None:
                    continue
                if create_graph and not isinstance(g, Variable):  # a custom op's plain array or float: a constant
                    g = node.kind._as_grad(g)
                if shaped:  # a Tensor: summed back over broadcast axes and cast to the input's dtype
                    data = inp.data  # (checked here first: most gradients already fit, and a call per edge is 5% of W4)
                    if type(g) is not ndarray or g.shape != data.shape or g.dtype is not data.dtype:
                        g = inp._fit_grad(g, node)
                # the Node that made inp (inp._node, unless inp was changed in place after this op used it)
                parent = inp._node if inp._version < node.seq else node.parent_of(inp)[0]
                if parent is None:  # a leaf: its gradients are summed here and handed over after the pass
                    entry = leaves.get(id(inp))
                    if entry is None:
                        leaves[id(inp)] = [inp, g]
                    else:
                        entry[1] = entry[1] + g
                elif parent.n_outputs == 1:
                    if parent in waiting:
                        waiting[parent] = waiting[parent] + g
                    else:  # the first gradient to reach this Node
                        waiting[parent] = g
                        heappush(pending, (-parent.seq, parent))
                else:  # one output of several: its own slot
                    slots = waiting.get(parent)
                    if slots is None:
                        slots = waiting[parent] = [None] * parent.n_outputs
                        heappush(pending, (-parent.seq, parent))
                    index = node.parent_of(inp)[1]
                    slots[index] = g if slots[index] is None else slots[index] + g
            if freer is not None:  # free what forward saved (and, for Tensors, the input arrays only the graph keeps)
                node._saved = None
                node.freed_by = freer
                if shaped:
                    node.inputs = node.kind._released(node.inputs, node.seq)
        return _hand_to_leaves(leaves, seeds, wanted)
    finally:
        _state.enabled, _state.in_backward = prev


class _Wanted:
    """The values grad() asks for: leaves by id, results by (Node, output index); None (backward) asks for none."""

    def __init__(self, inputs: Sequence[Variable] | None) -> None:
        self.found: list | None = None if inputs is None else [None] * len(inputs)
        self.leaves: dict[int, list[int]] = {}
        self.nodes: dict[Node, list[tuple[int, int]]] = {}
        for i, x in enumerate(inputs or ()):
            if x._node is None:
                self.leaves.setdefault(id(x), []).append(i)
            else:
                self.nodes.setdefault(x._node, []).append((x._index, i))


def _arrived(node: Node, grads: Any, wanted: _Wanted) -> tuple:
    """A Node's summed output gradients, made ready for its backward: zeros for outputs no later op used, its hooks
    run, kept for `.grad` (Values, retain_grad()) or taken by grad()."""
    kind = node.kind
    if node.n_outputs == 1:
        grads = (grads,)
    else:
        grads = tuple([kind._zero_grad(node, i) if g is None else g for i, g in enumerate(grads)])
    if node.hooks is not None:
        grads = list(grads)
        for index, hook in node.hooks:
            grads[index] = kind._call_hook(hook, grads[index])
        grads = tuple(grads)
    if wanted.found is not None:  # grad(): take what was asked for, leave every .grad alone
        for index, i in wanted.nodes.get(node, ()):
            wanted.found[i] = grads[index]
    elif node.retains_grad:
        if node.n_outputs == 1:
            node.retained_grad = kind._add_grads(node.retained_grad, grads[0])
        else:
            kept = node.retained_grad or [None] * node.n_outputs
            node.retained_grad = [kind._add_grads(old, g) for old, g in zip(kept, grads)]
    return grads


def _hand_to_leaves(leaves: dict, seeds: Sequence[Any], wanted: _Wanted) -> list[Any] | None:
    """Give each leaf its whole gradient (summed over every path): hooks first, then into `.grad`, or to grad()."""
    shared = {id(s) for s in seeds}  # arrays someone else holds (the user's seed): stored as copies
    for leaf, g in leaves.values():
        if wanted.found is not None and id(leaf) not in wanted.leaves:
            continue
        for hook in leaf._hooks or ():
            g = leaf._call_hook(hook, g)  # (what a hook returns comes back as a copy the gradient owns)
        if wanted.found is not None:
            for i in wanted.leaves[id(leaf)]:
                wanted.found[i] = g
            continue
        leaf._accumulate(g, owned=id(g) not in shared)
        shared.add(id(g))  # the same array sent to two leaves (a + b sends grad to both): the second one copies
    return wanted.found


def _observed_backward(node: Node, grads: tuple) -> Any:
    if node.fn is GraphRoot:  # not an op of the user's graph
        return node.fn.backward(node, *grads)
    active = _state.observers
    tokens = [o.backward_start(node) for o in active]
    input_grads = node.fn.backward(node, *grads)
    for o, token in zip(active, tokens):
        o.backward_end(token, node, grads, input_grads if type(input_grads) is tuple else (input_grads,))
    return input_grads


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """The Nodes reachable from `roots` (through inputs that need a gradient) in the order backward visits them:
    newest first, which puts every Node before all the Nodes it depends on."""
    seen = {id(r): r for r in roots}
    stack = list(seen.values())
    while stack:
        node = stack.pop()
        for inp, needs in zip(node.inputs, node.needs_input_grad):
            parent = node.parent_of(inp)[0] if needs else None
            if parent is not None and id(parent) not in seen:
                seen[id(parent)] = parent
                stack.append(parent)
    return sorted(seen.values(), key=lambda n: n.seq, reverse=True)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """The gradients of `outputs` with respect to `inputs`, returned as a tuple; no `.grad` is touched.

    Args:
        outputs: a Tensor/Value or a sequence of them.
        inputs: a Tensor/Value or a sequence of them (each must require grad).
        grad_outputs: the gradient to start from for each output (needed for outputs with more than one element).
        retain_graph: keep the graph for another backward; defaults to `create_graph`.
        create_graph: record the computation of the gradients, so they can be differentiated again.
        allow_unused: return None for an input the outputs do not depend on, instead of raising.
    """
    outputs = [outputs] if isinstance(outputs, Variable) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Variable) else list(inputs)
    if not isinstance(grad_outputs, (list, tuple)):  # None, or one gradient (a Variable, an array, a number)
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; give one per output")
    for i, x in enumerate(inputs):
        if not isinstance(x, Variable) or not x.requires_grad:
            raise BackwardError(f"grad: input {i} does not require grad; create it with requires_grad=True")
    for i, out in enumerate(outputs):
        if not isinstance(out, Variable) or not out.requires_grad:
            raise BackwardError(f"grad: output {i} does not require grad (it does not depend on any input that does)")
    seeds = [out._seed(g, create_graph, "grad") for out, g in zip(outputs, grad_outputs)]
    retain = create_graph if retain_graph is None else retain_graph
    found = run_backward(outputs, seeds, retain, create_graph, inputs=inputs)
    result = []
    for i, (x, g) in enumerate(zip(inputs, found)):
        if g is None and not allow_unused:
            raise BackwardError(f"grad: input {i} was not used to compute the outputs; pass allow_unused=True to "
                                "get None for it")
        result.append(None if g is None else x._as_grad(g))
    return tuple(result)
