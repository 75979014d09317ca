"""The engine: the one place that walks a graph backwards, for Value and Tensor alike.

It orders the recorded Nodes (iteratively: no recursion, so a chain of a million nodes is fine), calls each Node's
backward with the summed gradient of its outputs, undoes broadcasting, accumulates into leaves, runs hooks and frees
what the graph saved unless `retain_graph`. With `create_graph` the backward pass itself runs in grad mode and is
recorded, so the gradients it returns can be differentiated again.
"""
from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Sequence

from numpy import ndarray

from .errors import BackwardError, GraphFreedError
from .function import Node, Variable, freeing_call, freeing_call_of, parent_of
from .grad_mode import _state


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """The Nodes reachable from `roots` in the order backward visits them: newest first.

    A Node is always made after the Nodes that made its inputs, so decreasing creation number (`seq`) puts every
    Node before all the Nodes it depends on, which is exactly what reverse mode needs.
    """
    seen = {id(r): r for r in roots}
    stack = list(seen.values())
    while stack:
        node = stack.pop()
        for inp, needs in zip(node.inputs, node.needs_input_grad):
            if needs:
                child = inp._node if inp._version < node.seq else parent_of(inp, node.seq)[0]
                if child is not None and id(child) not in seen:
                    seen[id(child)] = child
                    stack.append(child)
    return sorted(seen.values(), key=lambda n: n.seq, reverse=True)


def run_backward(roots: Sequence[Variable], root_grads: Sequence[Any], retain_graph: bool, create_graph: bool,
                 inputs: Sequence[Variable] | None = None) -> list[Any] | None:
    """Send `root_grads` back from `roots`.

    With `inputs=None` gradients accumulate into the leaves' `.grad`. Otherwise nothing is accumulated and the
    gradients reaching `inputs` are returned, in order (None where none arrives).
    """
    captured: dict[int, Any] | None = None
    node_captures: dict[Node, list[tuple[int, int]]] = {}
    leaf_captures: dict[int, list[int]] = {}
    if inputs is not None:
        captured = {}
        for i, x in enumerate(inputs):
            if x._node is not None:
                node_captures.setdefault(x._node, []).append((x._index, i))
            else:
                leaf_captures.setdefault(id(x), []).append(i)

    freer = None if retain_graph else freeing_call(inputs is not None, create_graph)  # noted on each Node it frees
    prev = _state.enabled
    try:  # not `with set_grad_enabled(...)`: a Ctrl-C landing as its __exit__ starts would leave grad mode switched
        _state.enabled = bool(create_graph)  # recorded only to differentiate again
        handed: set[int] = set()   # arrays already handed out: storing one of them in a leaf needs a copy
        buffers: dict[Node, Any] = {}  # the summed gradient of each Node's output(s), until the Node is visited
        pending: list[tuple[int, Node]] = []  # Nodes with a gradient waiting, newest (largest seq) popped first
        hooked: dict[int, tuple] = {}  # leaves with hooks: (leaf, summed gradient), hooks run once at the end
        for root, g in zip(roots, root_grads):
            handed.add(id(g))
            node = root._node
            if node is None:
                _to_leaf(root, g, captured, leaf_captures, handed, hooked)
                continue
            if node not in buffers:
                heappush(pending, (-node.seq, node))
            if node.n_outputs == 1:
                buffers[node] = g if node not in buffers else buffers[node] + g
            else:
                _add_to_slot(buffers, node, root._index, g)

        # Every consumer of a Node was made after it, so when a Node is popped all gradients for it are summed.
        while pending:
            node = heappop(pending)[1]
            grads = buffers.pop(node)
            reduce = node.kind._reduces_grad
            if node._saved is None:
                raise GraphFreedError(f"{'grad' if inputs is not None else 'backward'}: the graph through "
                                      f"{node.name} was already freed by {freeing_call_of(node)}")
            if node.n_outputs == 1 and node.hooks is None and not node_captures:
                # the common case, kept lean: one output, no hooks, nothing captured
                if reduce:
                    handed.add(id(grads))
                if node.retains_grad and captured is None:
                    if reduce:
                        _retain(node, (grads,))
                    else:  # a Value: keep its float (or, under create_graph, Value) gradient as it is
                        old = node.retained_grad
                        node.retained_grad = grads if old is None else old + grads
                if _state.observers:
                    input_grads = _observed_backward(node, (grads,))
                else:
                    input_grads = node.fn.backward(node, grads)
            else:
                input_grads = _general_backward(node, grads, reduce, handed, captured, node_captures)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if len(input_grads) != len(node.inputs):
                raise BackwardError(
                    f"{node.name}.backward returned {len(input_grads)} gradient(s) but forward took "
                    f"{len(node.inputs)} input(s); return one per forward input, None for those that need none")

            for inp, needs, g in zip(node.inputs, node.needs_input_grad, input_grads):
                if not needs or g is None:
                    continue
                if reduce:  # a Tensor: sum back over broadcast axes and keep the dtype (when needed at all)
                    data = inp.data
                    if type(g) is not ndarray or g.shape != data.shape or g.dtype is not data.dtype:
                        g = inp._reduce_grad(g, node)
                # an input changed in place after this op used it: follow the edge as it was then
                child = inp._node if inp._version < node.seq else parent_of(inp, node.seq)[0]
                if child is None:
                    if captured is None and inp._hooks is None:
                        inp._accumulate(g, handed)
                    else:
                        _to_leaf(inp, g, captured, leaf_captures, handed, hooked)
                    continue
                if child not in buffers:
                    heappush(pending, (-child.seq, child))
                    if child.n_outputs == 1:
                        buffers[child] = g
                        continue
                if child.n_outputs == 1:
                    buffers[child] = buffers[child] + g
                else:
                    _add_to_slot(buffers, child, parent_of(inp, node.seq)[1], g)
            if freer is not None:  # free what forward saved and the input arrays; the structure stays, for drawings
                node._saved = None
                node.freed_by = freer
                if reduce:  # a Tensor op: its intermediate inputs go too (see Tensor._released)
                    node.inputs = node.kind._released(node.inputs, node.seq)
        for leaf, g in hooked.values():
            for hook in list(leaf._hooks):
                g = leaf._call_hook(hook, g)
            _to_leaf(leaf, g, captured, leaf_captures, handed)
    finally:
        _state.enabled = prev
    if captured is None:
        return None
    return [captured.get(i) for i in range(len(inputs))]


def _general_backward(node: Node, grads: Any, reduce: bool, handed: set, captured: dict | None,
                      node_captures: dict) -> Any:
    """A Node's backward with everything around it: several outputs, hooks, retained or captured gradients."""
    if node.n_outputs == 1:
        if reduce:
            handed.add(id(grads))
        grads = (grads,)
    else:
        grads = tuple([node.kind._zeros_for(node, i) if g is None else g for i, g in enumerate(grads)])
        handed.update(map(id, grads))
    if node.hooks is not None:
        grads = _run_node_hooks(node, grads)
    if node.retains_grad and captured is None:
        _retain(node, grads)
    if node in node_captures:
        for index, i in node_captures[node]:
            captured[i] = grads[index]
    if _state.observers:
        return _observed_backward(node, grads)
    return node.fn.backward(node, *grads)


def _observed_backward(node: Node, grads: tuple) -> Any:
    active = _state.observers
    tokens = [o.backward_start(node) for o in active]
    input_grads = node.fn.backward(node, *grads)
    for o, token in zip(active, tokens):
        o.backward_end(token, node, grads, input_grads if type(input_grads) is tuple else (input_grads,))
    return input_grads


def _add_to_slot(buffers: dict, node: Node, index: int, g: Any) -> None:
    """Accumulate the gradient of output `index` of a multi-output Node."""
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * node.n_outputs
    slots[index] = g if slots[index] is None else slots[index] + g


def _to_leaf(leaf: Variable, g: Any, captured: dict | None, leaf_captures: dict, handed: set,
             hooked: dict | None = None) -> None:
    """Accumulate `g` into a leaf's .grad (or capture it for grad()); `hooked=None` once its hooks have run."""
    if hooked is not None and leaf._hooks and (captured is None or id(leaf) in leaf_captures):
        # a hook sees the leaf's whole gradient once, not each path's share (a clipping hook depends on it)
        entry = hooked.get(id(leaf))
        hooked[id(leaf)] = (leaf, g if entry is None else entry[1] + g)
        return
    if captured is None:
        leaf._accumulate(g, handed)
        return
    for i in leaf_captures.get(id(leaf), ()):
        captured[i] = g if captured.get(i) is None else captured[i] + g


def _run_node_hooks(node: Node, grads: tuple) -> tuple:
    grads = list(grads)
    for index, hook in node.hooks:
        grads[index] = node.kind._call_hook(hook, grads[index])
    return tuple(grads)


def _retain(node: Node, grads: tuple) -> None:
    kind = node.kind
    if node.n_outputs == 1:
        node.retained_grad = kind._sum_grads(node.retained_grad, grads[0])
        return
    if node.retained_grad is None:
        node.retained_grad = [None] * node.n_outputs
    for i, g in enumerate(grads):
        node.retained_grad[i] = kind._sum_grads(node.retained_grad[i], g)


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
    found = run_backward(outputs, seeds, create_graph if retain_graph is None else retain_graph, create_graph,
                         inputs=inputs)
    result = []
    for i, (x, g) in enumerate(zip(inputs, found)):
        if g is None and not allow_unused:
            raise BackwardError(f"grad: input {i} was not used to compute the outputs; pass allow_unused=True to "
                                "get None for it")
        result.append(None if g is None else x._wrap_grad(g))
    return tuple(result)
