"""Variable: a value in the graph, and the whole protocol between its two kinds (Tensor, Value) and the engine.

Function.apply and the engine call nothing on a value but what is declared here. Each kind implements it in its own
file: array_variable.py for numpy arrays (Tensor), value.py for Python floats. Versions (for in-place changes) live here
too.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .function import Node

# One counter numbers every Node and every in-place change: a larger number always means "happened later".
creation_counter = itertools.count()


class Variable:
    """A graph value: a leaf (an input, a parameter, a constant) or the output of a recorded op.

    `_node` is the Node that made it (None for a leaf) and `_index` which of that Node's outputs it is.
    """

    __slots__ = ("_node", "_requires_grad", "__dict__", "__weakref__")
    _index = 0     # which output of its Node (class defaults: most values never change them)
    _version = 0   # the creation number of its latest in-place change (0: never changed)
    _hooks: list | None = None  # functions called with a leaf's whole gradient (register_hook)
    _made_with_grad_off = False  # made by an op run with grad mode off (backward's error message says so)
    _tangents: dict | None = None  # forward mode: a leaf's (or unrecorded result's) tangents, by level (forward.py)
    _origin = 0  # forward mode: the creation number of the reverse transform that made this leaf (forward.py)

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

    # --- the protocol: what Function.apply and the engine need; ArrayVariable (for Tensor) and Value define it ----
    _result_class: type          # the class of the values ops make from this one (Tensor for a Parameter)
    _has_shape: bool             # True for Tensor: each gradient is summed back to its input's shape and dtype
    _keeps_grad: bool            # results keep their gradient after backward (Value: always; Tensor: retain_grad())

    @classmethod
    def _result(cls, data: Any, node: Node, index: int) -> Variable:
        """Output number `index` of `node`, holding `data` (what Function.apply returns)."""
        raise NotImplementedError

    @classmethod
    def _constant(cls, data: Any) -> Variable:
        """A leaf that needs no gradient (an op's output when nothing requires grad, a gradient handed out)."""
        raise NotImplementedError

    @staticmethod
    def _output_info(data: Any) -> Any:
        """What a Node remembers of an output of a multi-output op, to make zeros for it (`_zero_grad`)."""
        raise NotImplementedError

    @staticmethod
    def _zero_grad(node: Node, index: int) -> Any:
        """The gradient of an output of `node` that no later op used: zeros of its shape."""
        raise NotImplementedError

    def _fit_grad(self, g: Any, node: Node) -> Any:
        """The gradient `node` sent to this input, summed over broadcast axes and cast to its shape and dtype."""
        raise NotImplementedError

    def _seed(self, grad: Any, create_graph: bool, op: str) -> Any:
        """The gradient a backward pass starts from at this value (ones, or the `grad` the user gave, checked)."""
        raise NotImplementedError

    def _accumulate(self, g: Any, owned: bool) -> None:
        """Add `g` to this leaf's .grad; `owned` says nobody else holds `g`, so it may be stored without a copy."""
        raise NotImplementedError

    @staticmethod
    def _call_hook(hook: Callable, g: Any) -> Any:
        """Run a gradient hook on `g` and return the gradient to use (the hook's result, or `g`)."""
        raise NotImplementedError

    @staticmethod
    def _add_grads(old: Any, g: Any) -> Any:
        """`old + g` for a kept gradient (`old` may be None), as the kind's own gradient type."""
        raise NotImplementedError

    @staticmethod
    def _as_grad(g: Any) -> Variable:
        """A gradient the engine computed (an array, a float, or already a Variable), as this kind of value."""
        raise NotImplementedError

    @staticmethod
    def _released(inputs: tuple, seq: int) -> tuple:
        """A freed Node's inputs, with what only the graph keeps alive let go (see Node.free)."""
        return inputs


def mark_modified(x: Variable) -> None:
    """Record that `x` was just changed in place, so ops that saved it earlier refuse to use it in backward."""
    x._version = _last_change[0] = next(creation_counter)
    node = x._node
    if node is not None and node._saved_outputs and x._index in node._saved_outputs:
        node.outputs_modified = True


# The creation number of the latest in-place change anywhere: ops made after it need not check what they saved.
_last_change = [-1]


def rebind(x: Variable, result: Variable) -> None:
    """Make `x` hold `result` (a differentiable in-place op: x += y records x_new = x_old + y, and x becomes x_new).

    The ops that used x before keep their edge to the Node that made the old x: it is kept in x's history under the
    creation number of this change, where `made_by` finds it for any op older than that.
    """
    stamp = next(creation_counter)
    x.__dict__.setdefault("_history", []).append((stamp, x._node, x._index))
    x.data = result.data
    x._node, x._requires_grad = result._node, result._requires_grad
    if result._index != x._index:
        x._index = result._index
    x._version = _last_change[0] = stamp


def made_by(x: Variable, seq: int) -> tuple[Node | None, int]:
    """The Node (and output index) that made `x` as it was when the op with creation number `seq` used it."""
    if x._version > seq:
        for stamp, node, index in x.__dict__.get("_history", ()):
            if stamp > seq:
                return node, index
    return x._node, x._index
