"""Function: how an operation runs forward and sends gradients back; Node: the record it leaves in the graph.

Every built-in op (and every custom op) is a Function. `apply` runs `forward` on the inputs' data and, when grad mode is on
and an input requires grad, records a Node: the op, its inputs (held strongly) and what `forward` saved. The output holds
its Node; a Node never holds its outputs, so a graph has no reference cycles and is freed as soon as nobody holds it.

`backward(ctx, *grads)` is written with operators, methods and numpy functions. During an ordinary backward pass the
upstream gradients and saved tensors arrive as plain numpy arrays (or floats for Value), so the maths runs at numpy speed;
with `create_graph=True` they arrive as Tensors (or Values) and the same lines record a new graph, which is how gradients
of gradients come for free (`ctx.create_graph` tells a backward which of the two it is in).

`jvp(ctx, *tangents)` is forward mode's rule (autograd/forward.py): the output's tangent from the inputs' tangents, with
the same ctx and written the same way, so it runs on arrays or, when the tangent must itself be differentiated, on
Tensors (or Values).
"""
from __future__ import annotations

from typing import Any

from .errors import BackwardError, GraphFreedError, ShapeError
from .grad_mode import _state
from .variable import Variable, _last_change, creation_counter, made_by, mark_modified, rebind  # noqa: F401


class Node:
    """One recorded operation; it is also the `ctx` passed to `forward` and `backward`.

    Attributes:
        fn: the Function class that ran.
        inputs: the positional arguments of `apply`, Variables and plain values alike.
        needs_input_grad: for each input, whether a gradient must flow to it.
        kind: the class of its outputs (Tensor or Value).
        seq: its creation number; Nodes made later get larger numbers, and backward visits newest first.
        retains_grad, retained_grad: whether backward keeps the gradient of its output (always for Value, for Tensor
            after retain_grad()), and that gradient.
        freed_by: once a backward pass has freed what it saved, which call that was (see `freeing_call`).
    Ops may set any other attribute on it in forward (ctx.kernel_size = ...), for their backward and for drawings.
    """

    __slots__ = ("fn", "inputs", "needs_input_grad", "kind", "seq", "_saved", "retains_grad", "retained_grad",
                 "freed_by", "__dict__", "__weakref__")

    # rarely changed: class-level defaults keep the per-op record small
    n_outputs = 1
    _saved_outputs: tuple = ()
    outputs_modified = False
    scope: tuple | None = None  # the module calls it was made in, e.g. (("", "MLP"), ("layers.0", "Linear"))
    hooks: list | None = None
    _tangents: dict | None = None  # forward mode: its outputs' tangents, by level (autograd/forward.py)
    _origin = 0  # forward mode: the oldest reverse-transform leaf its output depends on, 0 if older ones (forward.py)

    def __init__(self, fn: type, inputs: tuple, needs_input_grad: tuple, kind: type) -> None:
        self.fn, self.inputs, self.needs_input_grad, self.kind = fn, inputs, needs_input_grad, kind
        self.seq = next(creation_counter)
        self._saved = ()
        self.retains_grad = kind._keeps_grad
        self.retained_grad = None
        if _state.scope is not None:
            self.scope = _state.scope

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def create_graph(self) -> bool:
        """True when what this op's backward or jvp computes is recorded (a backward run with create_graph=True, or a
        jvp whose result may be differentiated again): its inputs are then Tensors/Values, and a fused op's rule can
        take a faster array-only path when this is False."""
        return _state.enabled

    def parent_of(self, x: Variable) -> tuple[Node | None, int]:
        """The Node (and which of its outputs) that made `x`, one of this op's inputs, as this op saw it; (None, 0)
        for a leaf. An input changed in place since (x += 1) now belongs to a newer Node; this still answers with the
        one this op used."""
        return made_by(x, self.seq)

    def save_for_backward(self, *items: Any) -> None:
        """Keep input Tensors (or the output array about to be returned) for backward."""
        self._saved = items

    @property
    def saved_tensors(self) -> tuple:
        """What `forward` saved: arrays in an ordinary backward, Tensors under `create_graph`."""
        saved = self._saved
        if saved is None:
            raise GraphFreedError(f"{self.name}: the graph was already freed by {freeing_call_of(self)}")
        if _last_change[0] > self.seq:  # something changed in place since this op ran: check what it saved
            for item in saved:
                if isinstance(item, Variable) and item._version > self.seq:
                    self._raise_modified(item)
            if self.outputs_modified:
                self._raise_modified(None)
        if not _state.enabled:
            plain = []
            for item in saved:  # a plain loop: cheaper than a comprehension for the one or two items ops save
                plain.append(item.data if isinstance(item, Variable) else item)
            return tuple(plain)
        if not self._saved_outputs:
            return saved
        # A saved output is rebuilt as a Variable of this Node: the same graph value, without a Node->output cycle.
        marks = self._saved_outputs
        return tuple([item if marks[i] is None else self.kind._result(item, self, marks[i])
                      for i, item in enumerate(saved)])

    def freed_error(self, where: str) -> GraphFreedError:
        """The error for going through this Node again after a backward pass freed what it saved."""
        return GraphFreedError(f"{where}: the graph through {self.name} was already freed by {freeing_call_of(self)}")

    def _raise_modified(self, item: Any) -> None:
        what = f"a Tensor of shape {item.shape}" if item is not None else "its output"
        raise BackwardError(
            f"{self.name}: {what}, saved for backward, was modified by an in-place operation after {self.name} "
            "used it, so its gradient would be wrong; use an out-of-place op (x = x + y instead of x += y), or "
            "modify a copy")

    def register_hook(self, index: int, hook: Any) -> None:
        if self.hooks is None:
            self.hooks = []
        self.hooks.append((index, hook))

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


_BY_BACKWARD = "a previous backward(); pass retain_graph=True to the first backward() to go through it again"


def freeing_call(grad_call: bool, create_graph: bool) -> str:
    """How the error for a freed graph names the backward pass that freed it, and how to keep the graph."""
    if not grad_call:
        return _BY_BACKWARD
    if create_graph:
        return ("an earlier autograd.grad(create_graph=True, retain_graph=False) call; leave out retain_graph=False "
                "there (or pass True) to go through the graph again")
    return ("an earlier autograd.grad() call (retain_graph defaults to create_graph, which was False); pass "
            "retain_graph=True to that call to go through the graph again")


def freeing_call_of(node: Node) -> str:
    """The call that freed `node`'s saved data, and the fix (set by the engine as it frees)."""
    return getattr(node, "freed_by", _BY_BACKWARD)


class Function:
    """Base class of every op. Subclass it and write two static methods:

    forward(ctx, *inputs) -> array (or tuple of arrays): compute with numpy on the inputs' `.data`;
        call `ctx.save_for_backward(...)` for what backward needs.
    backward(ctx, *grads) -> one gradient per forward input (None for inputs that need none).

    Then call `MyOp.apply(*inputs)`. The first line of the docstring states the derivative; `explain()` shows it.

    Optionally, `jvp(ctx, *tangents)` is the rule forward mode uses (autograd/forward.py): given one tangent per forward
    argument (None where it is zero, and for arguments that are not Tensors or Values), it returns the output's
    tangent (a tuple for several outputs), read from `ctx` as backward reads it. Its docstring states the rule
    ("dz = b * da + a * db"). Without it, forward mode stops with an error naming the op.

    Optionally, `flops(c)` says how many floating-point operations the op costs, for the profiler: `c` describes one
    call (`c.out`: elements of the output, `c.size(i)`: of input i, `c.in_shapes`, `c.out_shapes`, `c.args`) and it
    returns (forward FLOPs, backward FLOPs), the backward either one number or one per forward input (the profiler
    adds those of the inputs that need a gradient). Without it the profiler reports the op as "no count".
    """

    flops = None
    jvp = None

    @staticmethod
    def forward(ctx: Node, *args: Any) -> Any:
        raise NotImplementedError("a Function needs a forward(ctx, *inputs) static method")

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise NotImplementedError("a Function needs a backward(ctx, *grads) static method")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run the op on `args` and, when something requires grad, record it in the graph."""
        if _state.observers:
            return _apply_observed(cls, args)
        return _record(cls, args)


def _record(cls: Any, args: tuple, made: list | None = None) -> Any:
    """Function.apply without observers: run forward, and record a Node when a gradient will be needed. The observed
    path passes a list `made`, which receives the op's Node (its ctx) even when no Node is kept."""
    kind = None
    needs = []
    for a in args:
        if isinstance(a, Variable):
            if kind is not a._result_class:
                if kind is not None:
                    raise TypeError(f"{cls.__name__}: cannot mix {kind.__name__} and {a._result_class.__name__} "
                                    "in one operation; convert one of them first")
                kind = a._result_class
            needs.append(a._requires_grad)
        else:
            needs.append(False)
    if kind is None:
        raise TypeError(f"{cls.__name__}.apply: expected at least one Tensor or Value argument, got "
                        f"{', '.join(type(a).__name__ for a in args) or 'no arguments'}")
    needs = tuple(needs)
    needs = _needs_cache.setdefault(needs, needs)
    ctx = Node(cls, args, needs, kind)
    if made is not None:
        made.append(ctx)
    try:
        out = cls.forward(ctx, *args)
    except ValueError as err:
        if "could not be broadcast" in str(err):  # numpy's message names neither the op nor a fix
            raise _broadcast_error(cls, args) from None
        raise
    if not _state.enabled:
        return _made_with_grad_off(kind, out)
    if True not in needs:  # nothing to differentiate: plain results, no Node kept
        if type(out) is tuple:
            return tuple([kind._constant(o) for o in out])
        return kind._constant(out)
    if type(out) is not tuple:
        for item in ctx._saved:
            if item is out:
                _mark_saved_outputs(ctx, (out,))
                break
        return kind._result(out, ctx, 0)
    ctx.n_outputs = len(out)
    ctx.outputs_info = [kind._output_info(o) for o in out]
    if any(item is o for item in ctx._saved for o in out):
        _mark_saved_outputs(ctx, out)
    return tuple([kind._result(o, ctx, i) for i, o in enumerate(out)])


def _made_with_grad_off(kind: Any, out: Any) -> Any:
    """The outputs of an op run with grad mode off: constants, marked so that backward can say why they need no grad."""
    if type(out) is tuple:
        outs = tuple([kind._constant(o) for o in out])
        for o in outs:
            o._made_with_grad_off = True
        return outs
    result = kind._constant(out)
    result._made_with_grad_off = True
    return result


# needs_input_grad tuples are few ((True, False), ...): one shared copy each keeps the per-op record small
_needs_cache: dict = {}


def _mark_saved_outputs(ctx: Node, outs: tuple) -> None:
    """Note which saved items are outputs of the op, so create_graph can rebuild them as graph values."""
    marks = []
    for item in ctx._saved:
        index = None
        for i, out in enumerate(outs):
            if item is out:
                index = i
                break
        marks.append(index)
    ctx._saved_outputs = tuple(marks)


def _broadcast_error(cls: type, args: tuple) -> ShapeError:
    shapes = [a.data.shape if isinstance(a, Variable) else a.shape for a in args
              if isinstance(a, Variable) or hasattr(a, "shape")]
    listed = ", ".join(str(s) for s in shapes[:-1]) + f" and {shapes[-1]}" if len(shapes) > 1 else str(shapes)
    return ShapeError(f"{cls.__name__.lower()}: shapes {listed} cannot be broadcast together (dimensions are compared "
                      "from the right and must be equal or 1); reshape or expand_dims an operand so they line up")


class OpObserver:
    """Watches every op as it runs, forward and backward: the profiler, anomaly mode and explain() are observers.

    Each thread has its own (grad_mode._state.observers, set by `with detect_anomaly()`, `with profile()`, explain(),
    forward mode's levels); ordinary runs have none and pay one check of that tuple per op. `forward_end` gets the op's
    ctx, the Node its backward would get (kept in the graph only when a gradient will be needed).
    """

    def forward_start(self, fn: type, args: tuple) -> Any:
        return None

    def forward_end(self, token: Any, fn: type, args: tuple, outputs: Any, ctx: Node) -> None:
        pass

    def backward_start(self, node: Node) -> Any:
        return None

    def backward_end(self, token: Any, node: Node, grads_out: tuple, grads_in: tuple) -> None:
        pass


def _apply_observed(cls: type, args: tuple) -> Any:
    active = _state.observers
    tokens = [o.forward_start(cls, args) for o in active]
    made: list = []
    outputs = _record(cls, args, made)
    for o, token in zip(active, tokens):
        o.forward_end(token, cls, args, outputs, made[0])
    return outputs
