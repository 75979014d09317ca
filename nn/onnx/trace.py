"""The recording export reads: the forward run with everything it uses requiring grad, the Nodes in the order they
ran, and the check that a second run (other sizes along the dynamic axes, other values) recorded the same graph up to
what ONNX can keep symbolic."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Tensor, enable_grad
from autograd.engine import topological_order
from autograd.function import Node, Variable
from autograd.variable import made_by

from ..module import Module
from .converters import SHAPE_ARGUMENTS


class ExportError(RuntimeError):
    """The model cannot be written as ONNX (an op without an ONNX form, a module in training mode, ...)."""


def producer(x: Variable, seq: float = math.inf) -> tuple[Node | None, int]:
    """The Node (and which of its outputs) that made `x` as the op numbered `seq` saw it: the engine's own edge."""
    return made_by(x, seq)


def variant(a: np.ndarray, axes: list[int]) -> np.ndarray:
    """`a` with another size along each of `axes` (its slices repeated or dropped) and other values."""
    for axis in axes:
        n = a.shape[axis]
        a = np.take(a, np.arange(n - 1 if n > 2 else n + 1) % n, axis=axis)
    if a.dtype.kind == "f":
        return a * np.asarray(1.015625, a.dtype)  # a power-of-two fraction: the same signs, other values
    return np.roll(a.reshape(-1), 1).reshape(a.shape)  # integer ids: the same set, in another order


class Trace:
    """One recorded forward: the Nodes in the order they ran, the outputs, and the example value of every edge."""

    def __init__(self, model: Module, examples: list[np.ndarray]) -> None:
        # float inputs and every float parameter and buffer require grad while it runs, so each op using them is
        # recorded (a frozen weight or BatchNorm's running statistics would otherwise arrive as anonymous constants)
        self.inputs = [Tensor(a, requires_grad=a.dtype.kind == "f") for a in examples]
        state = list(model.named_parameters()) + list(model.named_buffers())
        switched = [t for _, t in state if t.dtype.kind == "f" and not t.requires_grad]
        try:
            for t in switched:
                t.requires_grad = True
            with enable_grad():
                out = model(*self.inputs)
        finally:
            for t in switched:
                t.requires_grad = False
        self.outputs = list(out) if isinstance(out, (tuple, list)) else [out]
        for i, o in enumerate(self.outputs):
            if not isinstance(o, Tensor):
                raise ExportError(f"export: output {i} of {type(model).__name__} is a {type(o).__name__}; export "
                                  "needs a model returning Tensors (Values and other objects have no ONNX form)")
        self.nodes = list(reversed(topological_order([o.grad_fn for o in self.outputs if o.grad_fn is not None])))
        self.position = {node: i for i, node in enumerate(self.nodes)}
        self.state = {}  # id of a parameter or buffer -> its dotted name (the first name of a shared one)
        for name, t in state:
            self.state.setdefault(id(t), name)
        self.input_ids = {id(t): k for k, t in enumerate(self.inputs)} | {id(t.data): k
                                                                           for k, t in enumerate(self.inputs)}
        self.values: dict[tuple, np.ndarray] = {}  # (Node, output index) -> the example array on that edge
        for node in self.nodes:
            for inp in node.inputs:
                if isinstance(inp, Variable):
                    self.values[producer(inp, node.seq)] = inp.data
        for o in self.outputs:
            self.values[producer(o)] = o.data

    def describe(self, x: Any, seq: float = math.inf) -> tuple:
        """What an op's argument is, comparable across traces: an op's output, an input, a parameter, a constant."""
        if isinstance(x, Variable):
            node, index = producer(x, seq)
            if node is not None:
                return ("op", self.position[node], index)
            if id(x) in self.input_ids:
                return ("input", self.input_ids[id(x)])
            if id(x) in self.state:
                return ("state", self.state[id(x)])
            return ("constant", x.data)
        if isinstance(x, np.ndarray) and id(x) in self.input_ids:
            return ("input", self.input_ids[id(x)])
        return ("argument", x)


def where(node: Node) -> str:
    """The module an op ran in, for error messages: 'in h.0.attn (CausalSelfAttention)'."""
    if not node.scope:
        return "outside any module"
    name, type_name = node.scope[-1]
    return f"in {name} ({type_name})" if name else f"in the model's own forward ({type_name})"


def compare(first: Trace, second: Trace) -> None:
    """Check that the variant's recording is the example's with only symbolic differences."""
    if [n.fn for n in first.nodes] != [n.fn for n in second.nodes] or len(first.outputs) != len(second.outputs):
        changed = next((a for a, b in zip(first.nodes, second.nodes) if a.fn is not b.fn), None)
        at = f" (first at {changed.name} {where(changed)})" if changed is not None else ""
        raise ExportError(f"export: the model recorded other ops when its inputs changed size or values{at}: its "
                          "forward branches on them, which one ONNX graph cannot follow; make the forward the same "
                          "for every input, or leave the axis out of dynamic_axes")
    for a, b in zip(first.nodes, second.nodes):
        for i, (x, y) in enumerate(zip(a.inputs, b.inputs)):
            if SHAPE_ARGUMENTS.get(a.fn) != i and not _equal(first.describe(x, a.seq), second.describe(y, b.seq)):
                raise ExportError(
                    f"export: argument {i} of {a.name} {where(a)} changed when the inputs changed size (dynamic "
                    "axes) or values: the forward computed it outside the graph (with numpy, from an input's size "
                    "or values) and ONNX would keep the example's; compute it with Tensor ops, or leave that axis "
                    "out of dynamic_axes")
    for i, (x, y) in enumerate(zip(first.outputs, second.outputs)):
        if not _equal(first.describe(x), second.describe(y)):
            raise ExportError(f"export: output {i} does not follow the inputs through recorded ops (it changed "
                              "outside the graph); compute it with Tensor ops")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(p, q) for p, q in zip(a, b))
    return type(a) is type(b) and a == b


