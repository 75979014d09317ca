"""profile: what each op costs - floating-point operations, memory and time - recorded while a block of code runs.

`with autograd.profile() as prof: ...` watches every op (forward) and every Node's backward as an observer (see
OpObserver in autograd/function.py). Each op states its own FLOP count (`Function.flops`): multiply-adds count 2;
comparisons, exp, log, sqrt, tanh, sin and cos 1 each (real hardware spends more on the last ones). Backward counts only
the gradients of inputs that need one, plus the engine's sums back over broadcast axes; not counted: gradients summed
where a value feeds several ops, .grad accumulation, and optimizer steps.
"""
from __future__ import annotations

import html
import math
import time
import weakref
from collections import defaultdict
from typing import Any

import numpy as np

from ..function import OpObserver, Variable
from ..grad_mode import _state


def _root(array: np.ndarray) -> np.ndarray:
    """The array owning the memory a view looks into (keeping a view alive keeps all of it alive)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _nbytes(x: Any) -> int:
    return x.nbytes if isinstance(x, np.ndarray) else 8 if isinstance(x, (float, np.generic)) else 0


def _shape(x: Any) -> tuple | None:
    if isinstance(x, Variable):
        return np.shape(x.data)
    return x.shape if isinstance(x, np.ndarray) else None


class OpCall:
    """What a FLOP count (`Function.flops(c)`) may look at: one op's arguments, input and output shapes, and its Node
    when recorded; `needs[i]` tells whether input i needs a gradient."""

    __slots__ = ("args", "in_shapes", "out_shapes", "needs", "node")

    def __init__(self, args: tuple, in_shapes: list, out_shapes: list, needs: tuple, node: Any) -> None:
        self.args, self.in_shapes, self.out_shapes, self.needs, self.node = args, in_shapes, out_shapes, needs, node

    @property
    def out(self) -> int:
        """Elements in the (first) output."""
        return math.prod(self.out_shapes[0])

    def size(self, i: int) -> int:
        """Elements in input i (0 for an argument that is not an array)."""
        shape = self.in_shapes[i]
        return 0 if shape is None else math.prod(shape)


class Event:
    """One op run (forward) or one Node's backward, as recorded."""

    __slots__ = ("op", "phase", "in_shapes", "out_shapes", "flops", "out_bytes", "saved_bytes", "graph_bytes",
                 "seconds", "scope")

    def __init__(self, op: str, phase: str, in_shapes: list, out_shapes: list, flops: int | None, out_bytes: int,
                 seconds: float, scope: tuple | None) -> None:
        self.op, self.phase, self.in_shapes, self.out_shapes = op, phase, in_shapes, out_shapes
        self.flops, self.out_bytes, self.seconds, self.scope = flops, out_bytes, seconds, scope
        self.saved_bytes = 0  # kept for backward: set once the op's Node is known (_hold)
        self.graph_bytes = 0  # buffers this op made (outputs, masks) that the graph held, each counted once

    def __repr__(self) -> str:
        return (f"Event({self.op} {self.phase}, in={self.in_shapes}, out={self.out_shapes}, flops={self.flops}, "
                f"{self.seconds * 1e6:.1f} us)")


class profile(OpObserver):
    """Context manager recording every op run inside it, forward and backward, by the thread that entered it.

    For each op (`events`): name, phase, input/output shapes, FLOPs (see `Function.flops`; None for an op without a count),
    bytes of the outputs, bytes kept for its backward (what it saved, masks set on ctx, array arguments) and wall
    time. Memory held by the graph (`current_bytes`, `peak_bytes`) counts each array buffer once: the data of every
    Tensor a recorded op takes as input (Nodes keep their inputs) and what ops keep for backward; parameters (leaf
    Tensors that require grad) are left out, they live as long as the model. Value graphs get FLOPs and time only.
    Under create_graph the backward is made of recorded ops, and those are what is counted.
    Every op stays in `events`: profile a step or two, not a whole training run. Outside a profile nothing is
    observed and ordinary runs pay nothing.

        with autograd.profile() as prof:
            loss = model(x).sum(); loss.backward()
        print(prof); prof.flops("backward", op="MatMul")
    """

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.current_bytes = 0
        self.peak_bytes = 0
        self.wall_seconds = 0.0
        self._live: dict[int, list] = {}        # root buffer id -> [references from live Nodes, nbytes]
        self._params: dict[int, int] = {}       # root buffer id of each parameter seen -> nbytes
        self._producer: dict[int, tuple] = {}   # root buffer id of an op's output -> (weakref, event)
        self._held: dict[int, list] = {}        # id(node) -> [weakref, keys until freed, saved keys until backward]
        self._backward_node: Any = None         # the Node whose backward is running
        self._nested = False                    # ops ran inside that backward (create_graph)
        self._freed_check: Any = None           # (weakref to) the last Node through backward: freed next
        self._outer: tuple | None = None        # while recording: the observers of its thread before it was entered

    # --- context manager ----------------------------------------------------------------------------------------
    def __enter__(self) -> profile:
        start = time.perf_counter()
        if self._outer is not None:
            raise RuntimeError("profile: this profile is already recording; use a new autograd.profile() to nest one")
        self._start = start
        # one assignment, after the check with no call in between: neither a Ctrl-C nor another thread entering this
        # profile at the same moment can come between them (CPython switches threads only at calls and loops)
        self._outer, _state.observers = _state.observers, _state.observers + (self,)
        return self

    def __exit__(self, *exc: object) -> None:
        _state.observers, self._outer = self._outer, None
        self.wall_seconds += time.perf_counter() - self._start
        self._check_freed()
        self._backward_node = None

    # --- observer hooks -----------------------------------------------------------------------------------------
    def forward_start(self, fn: type, args: tuple) -> Any:
        return time.perf_counter()

    def forward_end(self, token: Any, fn: type, args: tuple, outputs: Any, ctx: Any) -> None:
        seconds = time.perf_counter() - token
        if self._freed_check is not None:
            self._check_freed()
        phase = "forward"
        if self._backward_node is not None:
            phase, self._nested = "backward", True
        elif _state.in_backward:  # the engine's own sums under create_graph
            phase = "backward"
        outs = outputs if type(outputs) is tuple else (outputs,)
        node = outs[0]._node if outs else None
        in_shapes = [_shape(a) for a in args]
        out_shapes = [np.shape(o.data) for o in outs]
        needs = node.needs_input_grad if node is not None else (False,) * len(args)
        flops = _count(fn, 0, OpCall(args, in_shapes, out_shapes, needs, node))
        event = Event(fn.__name__, phase, in_shapes, out_shapes, flops, sum(_nbytes(o.data) for o in outs), seconds,
                      _state.scope)
        self.events.append(event)
        # who made each buffer: the first op whose output owns it (a view belongs to whoever made its base)
        for data, maker in [(a.data, None) for a in args if isinstance(a, Variable)] + [(o.data, event) for o in outs]:
            if isinstance(data, np.ndarray):
                root = _root(data)
                key = id(root)
                if key not in self._producer:  # entries leave when their buffer is freed, so ids are never stale
                    self._producer[key] = (weakref.ref(root, lambda ref, key=key: self._producer.pop(key, None)),
                                           maker)
        if node is not None:
            event.saved_bytes = self._hold(node, args, event)

    def backward_start(self, node: Any) -> Any:
        if self._freed_check is not None:
            self._check_freed()
        self._backward_node, self._nested = node, False
        return time.perf_counter()

    def backward_end(self, token: Any, node: Any, grads_out: tuple, grads_in: tuple) -> None:
        seconds = time.perf_counter() - token
        self._backward_node, self._freed_check = None, weakref.ref(node)
        if self._nested:  # under create_graph the backward ran recorded ops: they were counted one by one
            return
        in_shapes = [_shape(a) for a in node.inputs]
        out_shapes = [np.shape(g) for g in grads_out]
        flops = _count(node.fn, 1, OpCall(node.inputs, in_shapes, out_shapes, node.needs_input_grad, node))
        if flops is not None and node.kind._has_shape:
            for shape, needs, g in zip(in_shapes, node.needs_input_grad, grads_in):
                if needs and g is not None and not isinstance(g, Variable) and np.shape(g) != shape:
                    flops += np.size(g) - math.prod(shape)  # the engine sums it back over the broadcast axes
        self.events.append(Event(node.name, "backward", in_shapes, out_shapes, flops,
                                 sum(_nbytes(g) for g in grads_in if g is not None), seconds, node.scope))

    # --- memory held by the graph -------------------------------------------------------------------------------
    def _hold(self, node: Any, args: tuple, event: Event) -> int:
        """Count the buffers a new Node keeps alive; returns the bytes it keeps for its backward."""
        for a in args:
            if isinstance(a, Variable) and a._node is None and a._requires_grad and isinstance(a.data, np.ndarray):
                root = _root(a.data)
                self._params[id(root)] = root.nbytes
        attrs = [v for v in node.__dict__.values() if isinstance(v, np.ndarray)]
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        saved = [item.data if isinstance(item, Variable) else item for item in node._saved or ()]
        kept: list[int] = []  # held until the Node is freed: it keeps its inputs and what it set on ctx
        for a in args:
            if isinstance(a, Variable):
                self._add(a.data, kept, None)
        for data in arrays + attrs:  # arrays no op made (masks, indices) belong to this op
            self._add(data, kept, event)
        saved_keys: list[int] = []  # freed by backward (unless retain_graph)
        for data in saved:
            self._add(data, saved_keys, event)
        if kept or saved_keys:
            key = id(node)
            self._held[key] = [weakref.ref(node, lambda ref: self._node_freed(key)), kept, saved_keys]
        return sum(self._own_bytes(x) for x in saved + attrs + arrays)

    def _own_bytes(self, x: Any) -> int:
        if not isinstance(x, np.ndarray):
            return _nbytes(x)
        root = _root(x)
        return 0 if id(root) in self._params else root.nbytes

    def _add(self, data: Any, keys: list, owner: Event | None) -> None:
        if not isinstance(data, np.ndarray):
            return
        root = _root(data)
        key = id(root)
        if key in self._params:
            return
        entry = self._live.get(key)
        if entry is None:
            made = self._producer.get(key)
            if made is not None:
                owner = made[1]  # the op whose output it is; None for an input given to the first op
            if owner is not None:
                owner.graph_bytes += root.nbytes
            self._live[key] = [1, root.nbytes]
            self.current_bytes += root.nbytes
            if self.current_bytes > self.peak_bytes:
                self.peak_bytes = self.current_bytes
        else:
            entry[0] += 1
        keys.append(key)

    def _drop(self, keys: list) -> None:
        for key in keys:
            entry = self._live.get(key)
            if entry is not None:
                entry[0] -= 1
                if entry[0] == 0:
                    del self._live[key]
                    self.current_bytes -= entry[1]
        keys.clear()

    def _check_freed(self) -> None:
        node = self._freed_check() if self._freed_check is not None else None
        self._freed_check = None
        if node is not None and node._saved is None and id(node) in self._held:
            self._drop(self._held[id(node)][2])

    def _node_freed(self, key: int) -> None:
        held = self._held.pop(key, None)
        if held is not None:
            self._drop(held[1])
            self._drop(held[2])

    # --- results ------------------------------------------------------------------------------------------------
    def flops(self, phase: str | None = None, op: str | None = None) -> int:
        """Counted FLOPs, all of them or those of one phase ("forward"/"backward") and/or one op name."""
        if phase not in (None, "forward", "backward"):
            raise ValueError(f"profile.flops: phase must be None, 'forward' or 'backward', got {phase!r}")
        return sum(e.flops for e in self.events
                   if e.flops is not None and (phase is None or e.phase == phase) and (op is None or e.op == op))

    @property
    def uncounted(self) -> list[str]:
        """Names of ops that ran but have no FLOP count (a Function states one with a `flops` method)."""
        return sorted({e.op for e in self.events if e.flops is None})

    @property
    def op_seconds(self) -> float:
        """Time spent inside the ops (forward and backward)."""
        return sum(e.seconds for e in self.events)

    @property
    def flops_per_second(self) -> float:
        """Counted FLOPs divided by the time spent in the ops that have a count."""
        seconds = sum(e.seconds for e in self.events if e.flops is not None)
        return self.flops() / seconds if seconds > 0 else 0.0

    def by_op(self) -> dict[str, dict[str, Any]]:
        """Per op name: calls, FLOPs and seconds by phase, output and saved bytes (forward), in order of total time."""
        rows: dict[str, dict[str, Any]] = defaultdict(lambda: {
            "calls": 0, "forward_flops": 0, "backward_flops": 0, "forward_seconds": 0.0, "backward_seconds": 0.0,
            "output_bytes": 0, "saved_bytes": 0, "counted": True})
        for e in self.events:
            row = rows[e.op]
            if e.phase == "forward":
                row["calls"] += 1
                row["output_bytes"] += e.out_bytes
                row["saved_bytes"] += e.saved_bytes
            row[e.phase + "_seconds"] += e.seconds
            if e.flops is None:
                row["counted"] = False
            else:
                row[e.phase + "_flops"] += e.flops
        return dict(sorted(rows.items(), key=lambda kv: -(kv[1]["forward_seconds"] + kv[1]["backward_seconds"])))

    def totals(self) -> dict[str, Any]:
        """FLOPs by phase and in all, seconds in ops and overall, peak graph memory, FLOP/s, ops without a count."""
        return {"forward_flops": self.flops("forward"), "backward_flops": self.flops("backward"),
                "flops": self.flops(), "op_seconds": self.op_seconds, "wall_seconds": self.wall_seconds,
                "peak_graph_bytes": self.peak_bytes, "flops_per_second": self.flops_per_second,
                "events": len(self.events), "uncounted": self.uncounted}

    def to_dict(self) -> dict[str, Any]:
        """{"ops": by_op(), "totals": totals()} as plain Python values."""
        return {"ops": self.by_op(), "totals": self.totals()}

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        head = ["op", "calls", "fwd FLOPs", "bwd FLOPs", "fwd ms", "bwd ms", "output", "saved"]
        body = [[name, str(r["calls"]), _flops(r["forward_flops"], r["counted"]),
                 _flops(r["backward_flops"], r["counted"]), f"{r['forward_seconds'] * 1e3:.3f}",
                 f"{r['backward_seconds'] * 1e3:.3f}", format_bytes(r["output_bytes"]),
                 format_bytes(r["saved_bytes"])] for name, r in self.by_op().items()]
        return head, body

    def _notes(self) -> list[str]:
        t = self.totals()
        lines = [f"FLOPs: {format_count(t['flops'])} (forward {format_count(t['forward_flops'])}, "
                 f"backward {format_count(t['backward_flops'])})",
                 f"time in ops: {t['op_seconds'] * 1e3:.2f} ms of {t['wall_seconds'] * 1e3:.2f} ms;  measured "
                 f"{format_count(t['flops_per_second'], 'FLOP/s')}",
                 f"peak memory held by the graph: {format_bytes(t['peak_graph_bytes'])}"]
        if t["uncounted"]:
            lines.append("no FLOP count for: " + ", ".join(t["uncounted"]) + " (not in the totals; a Function "
                         "states its count with a flops(c) method)")
        return lines

    def table(self) -> str:
        """The per-op table and the totals, as text."""
        head, body = self._cells()
        widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
        fmt = lambda row: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        lines = [fmt(head), "-" * (sum(widths) + 2 * len(widths) - 2)] + [fmt(r) for r in body]
        return "\n".join(lines + [""] + self._notes())

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<profile: {len(self.events)} events, {format_count(self.flops(), 'FLOPs')}>"

    def _repr_html_(self) -> str:
        head, body = self._cells()
        th = "".join(f"<th>{h}</th>" for h in head)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
        notes = "<br>".join(html.escape(line) for line in self._notes())
        return f"<table><thead><tr>{th}</tr></thead><tbody>{rows}</tbody></table><p>{notes}</p>"


def _count(fn: type, phase: int, call: OpCall) -> int | None:
    """FLOPs of one forward (phase 0) or backward (phase 1) call of `fn`, from its own `flops` rule; None without one."""
    if fn.flops is None:
        return None
    try:
        forward, backward = fn.flops(call)
        if phase == 0:
            return int(forward)
        if isinstance(backward, tuple):  # one count per forward input: those that need a gradient
            return int(sum(n for n, need in zip(backward, call.needs) if need))
        return int(backward)
    except (LookupError, TypeError, ValueError, AttributeError):
        return None  # arguments the count does not understand: reported as "no count", never a wrong number


def format_count(x: float, unit: str = "") -> str:
    """A number with an SI prefix: format_count(1.23e9, "FLOP/s") -> "1.23 GFLOP/s"."""
    for prefix, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}".rstrip()


def _flops(x: int, counted: bool) -> str:
    return format_count(x) + ("" if counted else " + no count")


def format_bytes(n: int) -> str:
    """A size in bytes, in B, kB, MB or GB (powers of 1000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"
