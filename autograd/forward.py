"""Forward mode: each value carries tangents next to it (a dual number x + eps t), and each op's output tangent is
computed by its `jvp(ctx, *tangents)` rule right after its forward, from its inputs' tangents.

A ForwardLevel is an OpObserver (function.py): while it is entered, Function.apply hands it every op with the op's ctx
(the Node its backward would get), and it calls the op's jvp. Ordinary runs have no observer and pay nothing. A level
carries one tangent per direction (`directions` of them: jacfwd pushes every basis vector through one forward pass).

Levels nest (jvp of jvp, jacfwd of jacfwd): each keeps its own tangents, and a level's jvp computations are watched
by the levels entered before it, never by itself or later ones, so `d/dx [x * d/dy (x*y)]` sees no confusion between
the two perturbations. Tangents are stored on the value's holder: the Node that made it (for a recorded result, so a
saved output rebuilt by `saved_tensors` finds its tangent too) or the value itself (a leaf, or a result no Node was
kept for); a dead intermediate frees its tangents with it.

Plain or recorded: a jvp runs on plain arrays (floats for Value), at numpy speed, unless its result may be
differentiated again: when a level entered before this one watches it (jacfwd of jacfwd), or when, in grad mode, an
input requires grad for someone outside this level (a parameter, an enclosing grad) or a tangent requires grad. Then
it runs on Tensors (Values) and is recorded like any op. What inner reverse transforms (grad inside jacfwd: hessian)
make inside the level does not count: their leaves carry a creation number (`_origin`) newer than the level's, which
the level passes on from inputs to outputs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ForwardModeError
from .function import Node, OpObserver
from .grad_mode import _state
from .variable import Variable, creation_counter


class ForwardLevel(OpObserver):
    """One forward-mode pass: the tangents its values carry, `directions` per value (None where one is zero).

    Enter it as a context manager; inside, `seed(x, tangents)` gives a value its tangents, every op computes its
    output's, and `tangents(y)` reads them. `name` is the transform that runs it, for error messages.
    """

    def __init__(self, directions: int = 1, name: str = "jvp") -> None:
        self.directions, self.name = directions, name
        self.kept: list = []  # holders whose tangents may outlive the level's ops: emptied when it ends
        self.variable_tangents = False  # some tangent may require grad (its computation must then be recorded)

    def __enter__(self) -> ForwardLevel:
        self.stamp = next(creation_counter)
        self.below = below = _state.observers
        self.nested = any(isinstance(o, ForwardLevel) for o in below)
        _state.observers = below + (self,)
        return self

    def __exit__(self, *exc: object) -> None:
        _state.observers = self.below
        for holder in self.kept:
            holder._tangents.pop(self, None)
        self.kept = []

    # --- reading and writing tangents ----------------------------------------------------------------------------
    def tangents(self, v: Variable) -> tuple | None:
        """v's tangents at this level, one per direction, or None when all of them are zero."""
        node = v._node
        held = (v if node is None else node)._tangents
        if held is None:
            return None
        t = held.get(self)
        if t is not None and node is not None and node.n_outputs > 1:
            return t[v._index]
        return t

    def seed(self, v: Variable, tangents: tuple) -> None:
        """Give `v` these tangents (one per direction: arrays, floats, Tensors or Values, None for zero)."""
        node = v._node
        holder = v if node is None else node
        if holder._tangents is None:
            holder._tangents = {}
        if node is not None and node.n_outputs > 1:
            slots = list(holder._tangents.get(self) or [None] * node.n_outputs)
            slots[v._index] = tangents
            holder._tangents[self] = slots
        else:
            holder._tangents[self] = tangents
        self.kept.append(holder)
        if any(isinstance(t, Variable) and t._requires_grad for t in tangents):
            self.variable_tangents = True

    def take(self, v: Variable) -> tuple | None:
        """`tangents(v)` for an output the transform returns (its tangents are let go when the level ends)."""
        node = v._node
        if (v if node is None else node)._tangents is not None:
            self.kept.append(v if node is None else node)
        return self.tangents(v)

    # --- the observer: one op's tangents, right after its forward -----------------------------------------------
    def forward_end(self, token: Any, fn: type, args: tuple, outputs: Any, ctx: Node) -> None:
        found = False
        ins = []  # each input's tangents (one per direction), None for an input without
        for a in args:
            t = None
            if isinstance(a, Variable):
                node = a._node
                held = (a if node is None else node)._tangents
                if held is not None:
                    t = held.get(self)
                    if t is not None:
                        found = True
                        if node is not None and node.n_outputs > 1:
                            t = t[a._index]
            ins.append(t)
        enabled = _state.enabled
        outside = enabled and True in ctx.needs_input_grad and self._outside(args, ctx)
        if not found:
            return
        record = self.nested or (enabled and (outside or (self.variable_tangents and _require_grad(ins))))
        single = type(outputs) is not tuple
        outs = (outputs,) if single else outputs
        recorded = outs[0]._node is ctx
        if record and not recorded and ctx._saved:
            # a saved output must be the very output object, which holds the lower levels' tangents
            ctx._saved = tuple([next((o for o in outs if item is o.data), item) for item in ctx._saved])
        results = self._run_rule(fn, ctx, ins, record)
        if record:
            self.variable_tangents = True  # its results may require grad: later ops check their tangents
        if single:
            tangents = [tuple([None if r is None else _fit(r, outputs, fn) for r in results])]
        else:
            tangents = [tuple([None if r is None else _fit(r[i], out, fn) for r in results]) for i, out in
                        enumerate(outs)]
        tangents = [ts if _any(ts) else None for ts in tangents]
        if recorded:
            if _any(tangents):
                if ctx._tangents is None:
                    ctx._tangents = {}
                ctx._tangents[self] = tangents[0] if single else tangents
                self.kept.append(ctx)
            return
        for out, ts in zip(outs, tangents):
            if ts is not None:
                if out._tangents is None:
                    out._tangents = {}
                out._tangents[self] = ts

    def _outside(self, args: tuple, ctx: Node) -> bool:
        """Whether an input requires grad for someone outside this level; passes its inputs' oldest origin on to the
        output (a reverse transform's leaf made inside the level is newer than the level: not outside)."""
        origin = None
        for a, needs in zip(args, ctx.needs_input_grad):
            if needs:
                o = (a if a._node is None else a._node)._origin
                origin = o if origin is None or o < origin else origin
        if origin:
            ctx._origin = origin  # every graph input of the op comes from leaves a reverse transform made this late
        return origin < self.stamp

    def _run_rule(self, fn: type, ctx: Node, ins: list, record: bool) -> list:
        """The op's jvp for each direction (None where every input tangent is zero), watched by the levels below."""
        rule = fn.jvp
        if rule is None:
            raise ForwardModeError(f"{self.name}: {fn.__name__} has no jvp rule; define jvp(ctx, *tangents) next to its "
                                   "backward to use it in forward mode")
        kind = ctx.kind
        results = []
        prev = _state.enabled, _state.observers
        try:
            _state.enabled, _state.observers = record, self.below
            for j in range(self.directions):
                ts = [None if t is None else t[j] for t in ins]
                if not _any(ts):
                    results.append(None)
                    continue
                if record:  # recorded: every tangent a graph value, so Function.apply can take it
                    ts = [t if t is None or isinstance(t, Variable) else kind._constant(t) for t in ts]
                results.append(rule(ctx, *ts))
        finally:
            _state.enabled, _state.observers = prev
        return results


def _any(items: Any) -> bool:
    """Whether some item is not None (arrays cannot be compared with None by ==, as list.count would)."""
    for item in items:
        if item is not None:
            return True
    return False


def _require_grad(ins: list) -> bool:
    return any(isinstance(t, Variable) and t._requires_grad for ts in ins if ts is not None for t in ts)


def _fit(t: Any, out: Variable, fn: type) -> Any:
    """A jvp's tangent for `out`, broadcast to its shape and cast to its dtype (the forward twin of the engine's
    sum back): a rule may return b * da with b of a smaller, broadcastable shape."""
    if not out._has_shape:
        return t if isinstance(t, Variable) else float(t)
    data = out.data
    if type(t) is np.ndarray and t.shape == data.shape and t.dtype is data.dtype:
        return t  # the usual case, checked first
    if not isinstance(t, Variable) and type(t) is not np.ndarray:
        t = np.asarray(t)
    if t.shape != data.shape:
        try:
            t = t.broadcast_to(data.shape) if isinstance(t, Variable) else np.broadcast_to(t, data.shape)
        except ValueError:
            raise ForwardModeError(f"{fn.__name__}.jvp returned a tangent of shape {t.shape} for an output of shape "
                                   f"{data.shape}; return one of the output's shape (or broadcastable to it)") from None
    if t.dtype != data.dtype:
        t = t.astype(data.dtype)
    return t


def levels() -> tuple:
    """The forward-mode levels watching this thread's ops, outermost first."""
    return tuple(o for o in _state.observers if isinstance(o, ForwardLevel))


def carries_tangent(v: Any) -> bool:
    """Whether some level gives `v` a tangent (so a result computed from it is still being differentiated)."""
    return isinstance(v, Variable) and any(level.tangents(v) is not None for level in levels())


def differentiable_leaf(x: Variable) -> Variable:
    """A new leaf that requires grad, holding x's value and its tangents at every level: what grad, vjp and jacrev
    differentiate with respect to, so a forward level around them (hessian) still sees x's tangents flow through."""
    leaf = x._constant(x.data)
    leaf._requires_grad = True
    leaf._origin = next(creation_counter)
    for level in levels():
        tangents = level.tangents(x)
        if tangents is not None:
            level.seed(leaf, tangents)
    return leaf


def check_inplace(x: Variable, other: Any, op: str, recorded: bool) -> None:
    """Refuse an in-place change (x += y, x[i] = y) that would leave a tangent stale: one not recorded as an op, or
    recorded on a leaf (inplace.py records it on a copy of the leaf). Called only while some observer watches."""
    if recorded and x._node is not None:
        return  # recorded as an op on x's own Node: its tangent follows, as its gradient does
    for level in levels():
        if level.tangents(x) is not None or (isinstance(other, Variable) and level.tangents(other) is not None):
            raise ForwardModeError(f"{op}: an in-place change of a Tensor that carries a forward-mode tangent "
                                   f"({level.name}) would leave its tangent stale; write it out of place "
                                   f"(x = x + y, or where() for x[i] = y)")
