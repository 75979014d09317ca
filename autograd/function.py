"""Function: how an operation runs forward and sends gradients back; Node: the record it leaves in the graph.

Every built-in op (and every custom op) is a Function. `apply` runs `forward` on the inputs' data and, when grad mode is on
and an input requires grad, records a Node: the op, its inputs (held strongly) and what `forward` saved. The output holds
its Node; a Node never holds its outputs, so a graph has no reference cycles and is freed as soon as nobody holds it.

`backward(ctx, *grads)` is written with operators, methods and numpy functions. During an ordinary backward pass the
upstream gradients and saved tensors arrive as plain numpy arrays (or floats for Value), so the maths runs at numpy speed;
with `create_graph=True` they arrive as Tensors (or Values) and the same lines record a new graph, which is how gradients
of gradients come for free.
"""
from __future__ import annotations

from typing import Any

from .errors import BackwardError, GraphFreedError
from .grad_mode import _state


class Variable:
    """What the engine needs of a graph value; Tensor and Value are the two kinds.

    `_node` is the Node that made it (None for a leaf), `_index` which output of that Node it is.
    """

    __slots__ = ("_node", "_index", "_requires_grad", "_version", "__weakref__")

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @property
    def is_leaf(self) -> bool:
        """True for values not made by a recorded op (inputs, parameters, constants)."""
        return self._node is None

    @property
    def grad_fn(self) -> Node | None:
        """The Node that made this value, or None for a leaf."""
        return self._node


class Node:
    """One recorded operation; it is also the `ctx` passed to `forward` and `backward`.

    Attributes:
        fn: the Function class that ran.
        inputs: the positional arguments of `apply`, Variables and plain values alike.
        needs_input_grad: for each input, whether a gradient must flow to it.
    """

    __slots__ = ("fn", "inputs", "needs_input_grad", "kind", "n_outputs", "_saved", "_saved_outputs",
                 "_saved_versions", "hooks", "retains_grad", "retained_grad", "__dict__", "__weakref__")

    def __init__(self, fn: type, inputs: tuple, needs_input_grad: tuple, kind: type) -> None:
        self.fn = fn
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad
        self.kind = kind
        self.n_outputs = 1
        self._saved: tuple | None = ()
        self._saved_outputs: tuple = ()
        self._saved_versions: tuple = ()
        self.hooks: list | None = None
        self.retains_grad = kind._retains_grad
        self.retained_grad: Any = None

    @property
    def name(self) -> str:
        return self.fn.__name__

    def save_for_backward(self, *items: Any) -> None:
        """Keep input Tensors (or the output array about to be returned) for backward."""
        self._saved = items
        self._saved_versions = tuple([t._version if isinstance(t, Variable) else None for t in items])

    @property
    def saved_tensors(self) -> tuple:
        """What `forward` saved: arrays in an ordinary backward, Tensors under `create_graph`."""
        saved = self._saved
        if saved is None:
            raise GraphFreedError(
                f"{self.name}: the graph was already freed by a previous backward(); "
                "pass retain_graph=True to the first backward() to go through it again")
        for item, version in zip(saved, self._saved_versions):
            if version is not None and item._version != version:
                raise BackwardError(
                    f"{self.name}: a Tensor of shape {getattr(item, 'shape', ())} saved for backward was modified by "
                    f"an in-place operation (version {version} -> {item._version}); use an out-of-place op "
                    "(x = x + y instead of x += y) or clone it before modifying")
        if not _state.enabled:
            return tuple([item.data if isinstance(item, Variable) else item for item in saved])
        if not self._saved_outputs:
            return saved
        # A saved output is rebuilt as a Variable of this Node: the same graph value, without a Node->output cycle.
        return tuple([self.kind._from_node(item, self, self._saved_outputs[i]) if self._saved_outputs[i] is not None
                      else item for i, item in enumerate(saved)])

    def register_hook(self, index: int, hook: Any) -> None:
        if self.hooks is None:
            self.hooks = []
        self.hooks.append((index, hook))

    def release(self) -> None:
        """Drop what forward saved (after a backward without retain_graph)."""
        self._saved = None
        self._saved_versions = ()

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


class Function:
    """Base class of every op. Subclass it and write two static methods:

    forward(ctx, *inputs) -> array (or tuple of arrays): compute with numpy on the inputs' `.data`;
        call `ctx.save_for_backward(...)` for what backward needs.
    backward(ctx, *grads) -> one gradient per forward input (None for inputs that need none).

    Then call `MyOp.apply(*inputs)`. The first line of the docstring states the derivative; `explain()` shows it.
    """

    @staticmethod
    def forward(ctx: Node, *args: Any) -> Any:
        raise NotImplementedError("a Function needs a forward(ctx, *inputs) static method")

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise NotImplementedError("a Function needs a backward(ctx, *grads) static method")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run the op on `args` and, when something requires grad, record it in the graph."""
        if observers:
            return _apply_observed(cls, args)
        return _apply(cls, args)


def _apply(cls: type, args: tuple) -> Any:
    kind = None
    needs = []
    for a in args:
        if isinstance(a, Variable):
            if kind is None:
                kind = a._result_kind
            elif a._result_kind is not kind:
                raise TypeError(f"{cls.__name__}: cannot mix {kind.__name__} and {a._result_kind.__name__} "
                                "in one operation; convert one of them first")
            needs.append(a._requires_grad)
        else:
            needs.append(False)
    if kind is None:
        raise TypeError(f"{cls.__name__}.apply: expected at least one Tensor or Value argument, got "
                        f"{', '.join(type(a).__name__ for a in args) or 'no arguments'}")
    record = _state.enabled and True in needs
    ctx = Node(cls, args, tuple(needs), kind)
    out = cls.forward(ctx, *args)
    if isinstance(out, tuple):
        if not record:
            return tuple([kind._constant(o) for o in out])
        ctx.n_outputs = len(out)
        ctx.outputs_meta = [kind._meta(o) for o in out]
        if ctx._saved:
            _mark_saved_outputs(ctx, out)
        return tuple([kind._from_node(o, ctx, i) for i, o in enumerate(out)])
    if not record:
        return kind._constant(out)
    if ctx._saved:
        _mark_saved_outputs(ctx, (out,))
    return kind._from_node(out, ctx, 0)


class OpObserver:
    """Watches every op as it runs: the profiler, anomaly mode and the drawing's module grouping are observers.

    Ordinary runs have none and pay one list check per op.
    """

    def forward_start(self, fn: type, args: tuple) -> Any:
        return None

    def forward_end(self, token: Any, fn: type, args: tuple, outputs: Any) -> None:
        pass

    def backward_start(self, node: Node) -> Any:
        return None

    def backward_end(self, token: Any, node: Node, grads_out: tuple, grads_in: tuple) -> None:
        pass


observers: list[OpObserver] = []


def _apply_observed(cls: type, args: tuple) -> Any:
    active = list(observers)
    tokens = [o.forward_start(cls, args) for o in active]
    outputs = _apply(cls, args)
    for o, token in zip(active, tokens):
        o.forward_end(token, cls, args, outputs)
    return outputs


def _mark_saved_outputs(ctx: Node, outs: tuple) -> None:
    marks = []
    found = False
    for item in ctx._saved:
        index = None
        for i, o in enumerate(outs):
            if item is o:
                index = i
                found = True
                break
        marks.append(index)
    if found:
        ctx._saved_outputs = tuple(marks)
