"""profile: what each op costs - floating-point operations, memory and time - recorded while a block of code runs.

`with autograd.profile() as prof: ...` watches every op (forward) and every Node's backward through the hooks in
autograd/function.py; FLOPS below is the one table saying how many floating-point operations each op performs.
"""
from __future__ import annotations

import html
import sys
import time
import weakref
from collections import defaultdict
from typing import Any, Callable

import numpy as np

from . import function
from .function import OpObserver, Variable
from .grad_mode import _state


class OpCall:
    """What a FLOP count may look at: one op's arguments, input and output shapes, and its Node when recorded.

    `needs[i]` tells whether input i needs a gradient (backward counts skip the inputs that do not).
    """

    __slots__ = ("args", "in_shapes", "out_shapes", "needs", "node")

    def __init__(self, args: tuple, in_shapes: list, out_shapes: list, needs: tuple, node: Any) -> None:
        self.args, self.in_shapes, self.out_shapes, self.needs, self.node = args, in_shapes, out_shapes, needs, node

    @property
    def out(self) -> int:
        """Elements in the (first) output."""
        return _size(self.out_shapes[0])

    def size(self, i: int) -> int:
        """Elements in input i (0 for an argument that is not an array)."""
        shape = self.in_shapes[i]
        return 0 if shape is None else _size(shape)


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _zero(c: OpCall) -> int:
    return 0


def _times(k: int) -> Callable[[OpCall], int]:
    """k FLOPs per output element."""
    return lambda c: k * c.out


def _per_input(k: int) -> Callable[[OpCall], int]:
    """k FLOPs per element of the first input."""
    return lambda c: k * c.size(0)


def _each(*counts: Callable[[OpCall], int]) -> Callable[[OpCall], int]:
    """A backward count: one count per forward input, added up over the inputs that need a gradient."""
    return lambda c: sum(f(c) for f, need in zip(counts, c.needs) if need)


def _matmul(c: OpCall) -> int:
    # (..., n, k) @ (..., k, m): every one of the n*m outputs per batch element is a length-k dot product
    return 2 * c.out * c.in_shapes[0][-1]


def _advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return not all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


def _conv(c: OpCall) -> int:
    # x (N, C_in, H, W) * weight (C_out, C_in, kH, kW) -> (N, C_out, H_out, W_out): each output a C_in*kH*kW dot
    return 2 * c.out * _size(c.in_shapes[1][1:])


def _conv_grad(c: OpCall) -> int:
    # the input gradient (grad (N, C_out, H_out, W_out) with the weight) makes the same products as the forward conv
    return 2 * c.size(0) * _size(c.in_shapes[1][1:])


def _weight_grad(c: OpCall) -> int:
    # x (N, C_in, H, W) and grad (N, C_out, H_out, W_out) -> weight gradient w_shape: the same products again
    return 2 * c.size(1) * _size(c.args[2][1:])


def _rows(c: OpCall, axis: int) -> int:
    """How many softmax rows: output elements divided by the length of `axis`."""
    return c.out // c.out_shapes[0][axis] if c.out else 0


def _softmax(k: int, m: int) -> Callable[[OpCall], int]:
    """k per element, less m per row (a reduction over a row of C elements takes C - 1 operations)."""
    return lambda c: k * c.out - m * _rows(c, c.args[1])


def _linear(c: OpCall) -> int:
    # x (..., in) @ W.T (in, out): 2*in per output element
    return 2 * c.out * c.in_shapes[1][1]


def _cross_entropy(c: OpCall) -> int:
    n, classes = c.size(0) // c.in_shapes[0][1], c.in_shapes[0][1]
    return 5 * n * classes + 2 * n + (n * classes + 2 * n if c.args[3] else 0)


def _window(k: tuple) -> int:
    return k[0] * k[1]


# Each entry: op (Function class name) -> (forward count, backward count, how it is counted).
# n = output elements, N = input elements, M = output elements of a reduction. Multiply-adds count 2 FLOPs;
# comparisons, exp, log, sqrt, tanh, sin and cos count 1 each (real hardware spends more on the last ones).
# Backward counts only the gradients of inputs that need one. On top of every backward count the profiler adds the
# engine's sum back over broadcast axes (size of the returned gradient - size of the input, additions).
# Not counted: gradients summed where a value feeds several ops, .grad accumulation, and optimizer steps.
FLOPS: dict[str, tuple[Callable[[OpCall], int], Callable[[OpCall], int], str]] = {
    "Add": (_times(1), _each(_zero, _zero), "a + b: 1 per output; the gradient passes through"),
    "Sub": (_times(1), _each(_zero, _times(1)), "a - b: 1 per output; backward negates b's gradient (n)"),
    "Mul": (_times(1), _each(_times(1), _times(1)), "a * b: 1 per output; backward grad*b and grad*a (n each)"),
    "Div": (_times(1), _each(_times(1), _times(4)), "a / b: 1 per output; backward grad/b (n), -grad*a/(b*b) (4n)"),
    "Neg": (_times(1), _each(_times(1)), "-a: 1 per output; backward negates (n)"),
    "Pow": (_times(1), _each(_times(4), _times(3)), "a ** b: 1 per output; backward b*a**(b-1)*grad (4n), "
                                                   "z*log(a)*grad (3n)"),
    "Exp": (_times(1), _each(_times(1)), "exp: 1 per output; backward grad*y (n)"),
    "Log": (_times(1), _each(_times(1)), "log: 1 per output; backward grad/x (n)"),
    "Sqrt": (_times(1), _each(_times(2)), "sqrt: 1 per output; backward grad*0.5/y (2n)"),
    "Sin": (_times(1), _each(_times(2)), "sin: 1 per output; backward grad*cos(x) (2n)"),
    "Cos": (_times(1), _each(_times(3)), "cos: 1 per output; backward -grad*sin(x) (3n)"),
    "Tanh": (_times(1), _each(_times(3)), "tanh: 1 per output; backward grad*(1-y*y) (3n)"),
    "Sigmoid": (_times(4), _each(_times(3)), "0.5*(tanh(0.5x)+1): 4 per output; backward grad*y*(1-y) (3n)"),
    "ReLU": (_times(1), _each(_times(1)), "max(x, 0): 1 comparison per output; backward grad*mask (n)"),
    "Abs": (_times(1), _each(_times(1)), "|x|: 1 per output; backward grad*sign (n)"),
    "Clip": (lambda c: c.out * ((c.args[1] is not None) + (c.args[2] is not None)), _each(_times(1)),
             "clip: 1 comparison per bound per output; backward grad*mask (n)"),
    "Maximum": (_times(1), _each(_times(1), _times(2)), "1 comparison per output; backward grad*share (n), "
                                                        "grad*(1-share) (2n)"),
    "Minimum": (_times(1), _each(_times(1), _times(2)), "1 comparison per output; backward as Maximum"),
    "Where": (_zero, _each(_zero, _zero, _zero), "selection only, no arithmetic"),
    "Cast": (_zero, _each(_zero), "a change of dtype, no arithmetic"),
    "Sum": (lambda c: c.size(0) - c.out, _each(_zero), "N - M additions; backward spreads the gradient (0)"),
    "Mean": (_per_input(1), _each(lambda c: c.out), "N - M additions + M divisions = N; backward grad/count (M)"),
    "Max": (lambda c: c.size(0) - c.out, _each(_per_input(1)), "N - M comparisons; backward spread*share (N)"),
    "Min": (lambda c: c.size(0) - c.out, _each(_per_input(1)), "N - M comparisons; backward spread*share (N)"),
    "LogSumExp": (_per_input(4), _each(_per_input(3)), "max, x-m, exp, sum: 4 per input element (+ log and +m "
                                                       "on M); backward grad*exp(x-y) (3N)"),
    "MatMul": (_matmul, _each(_matmul, _matmul), "(..., n, k) @ (k, m): 2*n*k*m per batch element; backward "
                                                 "grad @ b.T and a.T @ grad cost the same each"),
    "Reshape": (_zero, _each(_zero), "no arithmetic"),
    "Transpose": (_zero, _each(_zero), "no arithmetic"),
    "BroadcastTo": (_zero, _each(_zero), "no arithmetic (the engine's sum back is added to backward)"),
    "GetItem": (_zero, _each(lambda c: c.out if _advanced(c.args[1]) else 0),
                "no arithmetic; backward scatters, adding once per picked element for integer-array indices"),
    "IndexAdd": (lambda c: c.size(0) if _advanced(c.args[1]) else 0, _each(_zero),
                 "scatter: 1 addition per element for integer-array indices, else 0; backward picks (0)"),
    "Concatenate": (_zero, _zero, "no arithmetic"),
    "Split": (_zero, _zero, "no arithmetic"),
    "Pad": (_zero, _each(_zero), "no arithmetic"),
    # nn's fused ops
    "Linear": (lambda c: _linear(c) + (c.out if c.in_shapes[2] is not None else 0),
               _each(_linear, _linear, lambda c: c.out - c.size(2)),
               "x @ W.T (+ b): 2*in per output (+1 with bias); backward grad @ W and grad.T @ x cost the same as "
               "the forward product each, the bias gradient sums the rows (n - out)"),
    "LeakyReLU": (_times(2), _each(_times(1)), "a comparison and a product per output; backward grad*scale (n)"),
    "NormalCDF": (_times(5), _each(_times(5)), "|x|, scale, erfc (1, like exp), halve, 1 - tail: 5 per output; "
                                               "backward grad*pdf(x) (5n)"),
    "GELU": (_times(6), _each(_times(7)), "x*Phi(x): Phi 5 + 1 per output; backward grad*(Phi + x*pdf(x)) (7n)"),
    "GELUTanh": (_times(9), _each(_times(13)), "x/2*(1+tanh(c(x+0.044715x^3))): 9 per output; backward 13n"),
    "Softmax": (_softmax(5, 2), _each(_softmax(4, 1)), "max, subtract, exp, sum, divide: 5 per element less 2 per "
                                                       "row; backward y*(grad - sum(grad*y)) (4 per element - 1)"),
    "LogSoftmax": (_softmax(5, 1), _each(_softmax(4, 1)), "max, subtract, exp, sum, log, subtract: 5 per element "
                                                          "less 1 per row; backward grad - exp(y)*sum(grad) (4 - 1)"),
    "Dropout": (_times(1), _each(_times(1)), "x * scaled mask: 1 per output; backward grad * scaled mask (n)"),
    "CrossEntropy": (_cross_entropy, _each(lambda c: c.size(0) + 2 * c.size(0) // c.in_shapes[0][1]
                                           + (c.size(0) if c.args[3] else 0)),
                     "for N rows of C logits: log-softmax 5NC, the picked log-probability and the mean 2N (label "
                     "smoothing: + NC + 2N); backward softmax*scale - onehot: NC + 2N (smoothing: + NC)"),
    "BinaryCrossEntropy": (_times(10), _each(_times(6), _times(7)), "two clamped logs and the weighted sum: 10 "
                                                                   "per output; backward 6n for p, 7n for y"),
    "BinaryCrossEntropyWithLogits": (_times(8), _each(_times(6), _times(2)), "max(x,0) - x*y + log1p(exp(-|x|)): "
                                                                             "8 per output; backward 6n, 2n"),
    "Convolution": (lambda c: _conv(c) + (c.out if c.in_shapes[2] is not None else 0),
                    _each(_conv, _conv, lambda c: c.out - c.size(2)),
                    "2*C_in*kH*kW per output (+1 with bias), as a matmul of the weight with the im2col columns; "
                    "backward: the same products for the input and for the weight gradient, N*H_out*W_out - 1 "
                    "additions per bias (col2im's overlap additions are not counted)"),
    "TransposedConvolution": (_conv_grad, _each(_conv_grad, _conv_grad), "the input gradient of a convolution "
                                                                         "(create_graph): its products, as conv"),
    "ConvolutionWeightGrad": (_weight_grad, _each(_weight_grad, _weight_grad), "the weight gradient of a "
                                                                               "convolution (create_graph), as conv"),
    "MaxPool": (lambda c: c.out * (_window(c.args[1]) - 1), _each(_times(1)),
                "kH*kW - 1 comparisons per output; backward sends each gradient to its window's max (n)"),
    "AvgPool": (lambda c: c.out * _window(c.args[1]), _each(lambda c: c.out * (_window(c.args[1]) + 1)),
                "kH*kW - 1 additions and a division per output; backward divides and spreads: n*(kH*kW + 1)"),
    "AvgPoolTranspose": (lambda c: c.size(0) * (_window(c.args[2]) + 1),
                         _each(lambda c: c.size(0) * _window(c.args[2])),
                         "the input gradient of avg_pool2d (create_graph): n*(kH*kW + 1); backward avg_pool"),
}


def register_flops(op: str, forward: Callable[[OpCall], int], backward: Callable[[OpCall], int] | None = None,
                   note: str = "") -> None:
    """Tell the profiler how many FLOPs a (custom) Function performs.

    Args:
        op: the Function's class name.
        forward: OpCall -> FLOPs of one forward call.
        backward: OpCall -> FLOPs of its backward (counting only inputs with `call.needs[i]`); None for 0.
        note: one line saying how it is counted.
    """
    FLOPS[op] = (forward, backward or _zero, note)


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


class Event:
    """One op run (forward) or one Node's backward, as recorded."""

    __slots__ = ("op", "phase", "in_shapes", "out_shapes", "flops", "out_bytes", "saved_bytes", "graph_bytes",
                 "seconds", "scope")

    def __init__(self, op: str, phase: str, in_shapes: list, out_shapes: list, flops: int | None, out_bytes: int,
                 saved_bytes: int, seconds: float, scope: tuple | None) -> None:
        self.op, self.phase, self.in_shapes, self.out_shapes = op, phase, in_shapes, out_shapes
        self.flops, self.out_bytes, self.saved_bytes, self.seconds, self.scope = flops, out_bytes, saved_bytes, \
            seconds, scope
        self.graph_bytes = 0  # buffers this op made (outputs, masks) that the graph held, each counted once

    def __repr__(self) -> str:
        return (f"Event({self.op} {self.phase}, in={self.in_shapes}, out={self.out_shapes}, flops={self.flops}, "
                f"{self.seconds * 1e6:.1f} us)")


class profile(OpObserver):
    """Context manager recording every op run inside it, forward and backward.

    For each op (`events`): name, phase, input/output shapes, FLOPs (see `FLOPS`; None for an op without a count),
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
        self._after_backward = False            # a backward ended: ops may be the engine's (create_graph)
        self._freed_check: Any = None           # (weakref to) the last Node through backward: freed next

    # --- context manager ----------------------------------------------------------------------------------------
    def __enter__(self) -> profile:
        if self in function.observers:
            raise RuntimeError("profile: this profile is already recording; use a new autograd.profile() to nest one")
        self._start = time.perf_counter()
        function.observers.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        function.observers.remove(self)
        self.wall_seconds += time.perf_counter() - self._start
        self._check_freed()
        self._backward_node = None
        self._after_backward = False

    # --- observer hooks -----------------------------------------------------------------------------------------
    def forward_start(self, fn: type, args: tuple) -> Any:
        return time.perf_counter()

    def forward_end(self, token: Any, fn: type, args: tuple, outputs: Any) -> None:
        seconds = time.perf_counter() - token
        if self._freed_check is not None:
            self._check_freed()
        phase = "forward"
        if self._backward_node is not None:
            phase, self._nested = "backward", True
        elif self._after_backward:
            if _inside_backward():
                phase = "backward"
            else:
                self._after_backward = False
        outs = outputs if type(outputs) is tuple else (outputs,)
        node = outs[0]._node if outs else None
        in_shapes = [_shape(a) for a in args]
        out_shapes = [np.shape(o.data) for o in outs]
        needs = node.needs_input_grad if node is not None else (False,) * len(args)
        flops = _count(fn.__name__, 0, OpCall(args, in_shapes, out_shapes, needs, node))
        event = Event(fn.__name__, phase, in_shapes, out_shapes, flops, sum(_nbytes(o.data) for o in outs), 0,
                      seconds, _state.scope)
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
        self._backward_node, self._freed_check, self._after_backward = None, weakref.ref(node), True
        if self._nested:  # under create_graph the backward ran recorded ops: they were counted one by one
            return
        in_shapes = [_shape(a) for a in node.inputs]
        out_shapes = [np.shape(g) for g in grads_out]
        flops = _count(node.name, 1, OpCall(node.inputs, in_shapes, out_shapes, node.needs_input_grad, node))
        if flops is not None and node.kind._reduces_grad:
            for shape, needs, g in zip(in_shapes, node.needs_input_grad, grads_in):
                if needs and g is not None and not isinstance(g, Variable) and np.shape(g) != shape:
                    flops += np.size(g) - _size(shape)  # the engine sums it back over the broadcast axes
        self.events.append(Event(node.name, "backward", in_shapes, out_shapes, flops,
                                 sum(_nbytes(g) for g in grads_in if g is not None), 0, seconds, node.scope))

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
        """Names of ops that ran but have no FLOP count (add one with `register_flops`)."""
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
            lines.append("no FLOP count for: " + ", ".join(t["uncounted"]) + " (not in the totals; see "
                         "autograd.profiler.register_flops)")
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


def _count(name: str, phase: int, call: OpCall) -> int | None:
    entry = FLOPS.get(name)
    if entry is None:
        return None
    try:
        return int(entry[phase](call))
    except (LookupError, TypeError, ValueError, AttributeError):
        return None  # arguments the count does not understand: reported as "no count", never a wrong number


def _inside_backward() -> bool:
    """Whether the engine's backward loop is on this thread's stack (ops it runs itself under create_graph)."""
    from .engine import run_backward
    code = run_backward.__code__
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


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
