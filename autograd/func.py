"""Function transforms, with the names JAX and torch.func use: grad, value_and_grad, vjp, jvp, jacrev, jacfwd, jacobian,
hessian and hvp. Each takes a Python function f and returns a function (vjp, jvp and hvp evaluate f at once).

Reverse mode (grad, vjp, jacrev) calls f on leaves that require grad and runs the engine's backward, one pass per
output element. Forward mode (jvp, jacfwd) calls f inside a ForwardLevel (forward.py): tangents ride along with the
values, one per input direction, through each op's jvp rule, in a single pass. They compose: hessian is
jacfwd(jacrev(f)) (forward over reverse), hvp is jvp of grad, and grad of jvp or jacfwd of jacfwd work as well.

Arguments may be Tensors, Values, numpy arrays or Python floats, and tuples or lists of them (func_args.py); shapes
follow JAX and torch.func: a Jacobian has shape out.shape + in.shape, a Hessian in.shape + in.shape for a scalar f.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import func_args as fa
from .array_api import stack
from .engine import run_backward
from .errors import ShapeError
from .forward import ForwardLevel, differentiable_leaf, levels
from .grad_mode import _state
from .variable import Variable, creation_counter

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "jacobian", "hessian", "hvp"]


# --- reverse mode -------------------------------------------------------------------------------------------------------
class _Reverse:
    """f evaluated for reverse mode: the leaves its arguments at `argnums` became, its outputs, and `pull`, which sends
    gradients from the outputs back to those leaves (the engine's backward, the graph kept for another pull)."""

    def __init__(self, f: Callable, args: tuple, argnums: Any, name: str) -> None:
        self.name = name
        nums, self.single = fa.argnums_of(argnums, len(args), name)
        began = next(creation_counter)  # the leaves made here (and by transforms inside f) are newer
        prev = _state.enabled
        try:
            _state.enabled = True  # as in torch.func: reverse mode differentiates even inside no_grad
            # each argument a new leaf (carrying its forward tangents), or itself if it already requires grad
            self.arguments = fa.Arguments(args, nums, name, make=lambda v: v if v._requires_grad else
                                          differentiable_leaf(v))
            self.leaves = self.arguments.values
            self.outputs, self.out_spec = fa.outputs(f(*self.arguments.args), name)
        finally:
            _state.enabled = prev
        # recorded when the gradients will be differentiated again: by a forward level watching (hessian), or through
        # graph values from outside (an argument that already required grad, a parameter f closes over)
        self.outside = reaches_outside(self.outputs, began)
        self.create_graph = self.outside or bool(levels())

    def pull(self, seeds: Sequence[Any]) -> list:
        """The gradients of sum(seed * output) at each leaf (one seed per output, None for none), as graph values."""
        roots, root_seeds = [], []
        for out, seed in zip(self.outputs, seeds):
            if seed is not None and out._requires_grad:
                roots.append(out)
                root_seeds.append(out._seed(seed, self.create_graph, self.name))
        found = [None] * len(self.leaves)
        if roots:
            found = run_backward(roots, root_seeds, True, self.create_graph, inputs=self.leaves)
        return [fa.zeros_like(x) if g is None else x._as_grad(g) for x, g in zip(self.leaves, found)]

    def per_argument(self, values: list) -> Any:
        """One value per leaf, regrouped as the arguments at argnums were given (a single one for an int argnums)."""
        return self.arguments.regroup(values, self.outside, self.single)

    def value(self) -> Any:
        """f's result as handed back: without the graph made here, unless something outside still differentiates it."""
        outs = [o if self.create_graph else o._constant(o.data) for o in self.outputs]
        return fa.unflatten(self.out_spec, [fa.returned(o, self.arguments.raw, self.outside) for o in outs])


def reaches_outside(outputs: list, began: int) -> bool:
    """Whether the graph of `outputs` reaches a leaf that requires grad and was made before the transform began
    (creation number `began`): a parameter, the user's leaf, an enclosing transform's. Transforms stamp the leaves
    they make (`_origin`, forward.py); the user's have 0."""
    todo, seen = [], set()
    for out in outputs:
        if out._node is None:
            if out._requires_grad and out._origin < began:
                return True
        else:
            todo.append(out._node)
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for inp, needs in zip(node.inputs, node.needs_input_grad):
            if needs:
                parent = node.parent_of(inp)[0]
                if parent is None:
                    if inp._origin < began:
                        return True
                elif id(parent) not in seen:
                    todo.append(parent)
    return False


def value_and_grad(f: Callable, argnums: Any = 0) -> Callable:
    """A function returning (f(*args), the gradient of f with respect to the arguments at `argnums`).

    f must return one number: a Value or a one-element Tensor. The gradient has the shape of its argument (a tuple of
    them for a tuple argnums).
    """
    def value_and_grad_f(*args: Any) -> tuple:
        rev = _Reverse(f, args, argnums, "grad")
        _check_scalar(rev.outputs, "grad")
        return rev.value(), rev.per_argument(rev.pull([1.0]))
    return value_and_grad_f


def grad(f: Callable, argnums: Any = 0) -> Callable:
    """The gradient of f as a function: grad(f)(x) = df/dx, of x's shape (f must return one number).

    Args:
        f: a function of Tensors, Values, arrays or floats returning a Value or a one-element Tensor.
        argnums: which argument (an int) or arguments (a tuple: the result is then a tuple) to differentiate.
    """
    def grad_f(*args: Any) -> Any:
        return value_and_grad(f, argnums)(*args)[1]
    return grad_f


def _check_scalar(outputs: list, name: str) -> None:
    if len(outputs) != 1 or outputs[0].size != 1:
        got = (f"{len(outputs)} outputs" if len(outputs) != 1 else f"a Tensor of shape {outputs[0].shape}")
        raise ShapeError(f"{name}: f must return one number (a Value or a 1-element Tensor), got {got}; reduce it "
                         "(.sum()), or use jacrev for a Jacobian")


def vjp(f: Callable, *primals: Any) -> tuple[Any, Callable]:
    """f(*primals) and its vector-Jacobian product: vjp_fn(cotangent) = cotangent^T J, one gradient per primal.

    The cotangent has the structure and shapes of f's output; vjp_fn may be called any number of times.
    """
    rev = _Reverse(f, primals, tuple(range(len(primals))), "vjp")

    def vjp_fn(cotangents: Any) -> tuple:
        flat, _ = fa.flatten(cotangents)
        if len(flat) != len(rev.outputs):
            raise ValueError(f"vjp: got {len(flat)} cotangent(s) for {len(rev.outputs)} output(s) of f; give one per "
                             "output, in the structure f returns")
        return rev.per_argument(rev.pull(flat))
    return rev.value(), vjp_fn


def jacrev(f: Callable, argnums: Any = 0) -> Callable:
    """The Jacobian of f by reverse mode: one backward pass per output element (cheap when outputs are few).

    jacrev(f)(x) has shape f(x).shape + x.shape; for several outputs or argnums, nested tuples [output][argument].
    """
    return _jacrev(f, argnums, "jacrev")


def _jacrev(f: Callable, argnums: Any, name: str) -> Callable:
    def jacrev_f(*args: Any) -> Any:
        return _rows(_Reverse(f, args, argnums, name))
    return jacrev_f


def _rows(rev: _Reverse) -> Any:
    """The Jacobian from a reverse-mode evaluation, row by row: one pull per output element."""
    per_output = []
    for k, out in enumerate(rev.outputs):
        rows = [rev.pull([seed if i == k else None for i in range(len(rev.outputs))]) for seed in _basis(out)]
        blocks = [_block([row[i] for row in rows], out, x, True, rev.create_graph) for i, x in enumerate(rev.leaves)]
        per_output.append(rev.per_argument(blocks))
    return fa.unflatten(rev.out_spec, per_output)


def _block(pieces: list, out: Variable, x: Variable, by_rows: bool, graph: bool) -> Variable:
    """The Jacobian of `out` with respect to `x`, of shape out.shape + x.shape, from its pieces: d out[j]/dx for each
    element of out (by_rows, from reverse mode) or d out/dx[i] for each element of x (from forward mode). With `graph`
    (the pieces are still being differentiated) they are put together by recorded ops, else as arrays."""
    if not out._has_shape:  # Values: one number
        return x._as_grad(pieces[0])
    if graph:
        block = stack([out._as_grad(p) for p in pieces])
    else:
        block = np.stack([p.data if isinstance(p, Variable) else p for p in pieces])
    if not by_rows:  # (x.size, *out.shape) -> (*out.shape, x.size)
        block = block.transpose(tuple(range(1, block.ndim)) + (0,))
    block = block.reshape(out.shape + x.shape)
    return block if isinstance(block, Variable) else out._constant(block)


# --- forward mode -------------------------------------------------------------------------------------------------------
def jvp(f: Callable, primals: Sequence, tangents: Sequence) -> tuple[Any, Any]:
    """f(*primals) and its Jacobian-vector product J @ tangents, in one forward pass (dual numbers).

    Args:
        f: a function of Tensors, Values, arrays or floats.
        primals: a tuple (or list) of arguments.
        tangents: one tangent per primal, of its shape and dtype.
    Returns:
        (f(*primals), the tangent of that output), each with f's output structure.
    """
    name = "jvp"
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"{name}: primals and tangents must be tuples (or lists), one entry per argument of f; got "
                        f"{type(primals).__name__} and {type(tangents).__name__}")
    flat, spec = fa.flatten(list(primals))
    flat_t, spec_t = fa.flatten(list(tangents))
    if spec_t != spec:
        raise ValueError(f"{name}: tangents must have the structure of primals (one per primal): got {len(flat_t)} "
                         f"tangent(s) for {len(flat)} primal(s)")
    arguments = fa.Arguments(flat, range(len(flat)), name, "primal")
    checked = [fa.tangent(t, p, name, f"tangent {i}") for i, (t, p) in enumerate(zip(flat_t, arguments.values))]
    began = next(creation_counter)
    with ForwardLevel(1, name) as level:
        for v, t in zip(arguments.values, checked):
            level.seed(v, (t,))
        outs, out_spec = fa.outputs(f(*fa.unflatten(spec, arguments.args)), name)
        found = [level.take(o) for o in outs]
    outside = reaches_outside(outs, began)
    out_tangents = [fa.zeros_like(o) if t is None else o._as_grad(t[0]) for o, t in zip(outs, found)]
    return (fa.unflatten(out_spec, [fa.returned(o, arguments.raw, outside) for o in outs]),
            fa.unflatten(out_spec, [fa.returned(t, arguments.raw, outside) for t in out_tangents]))


def jacfwd(f: Callable, argnums: Any = 0) -> Callable:
    """The Jacobian of f by forward mode: one pass carrying one tangent per input element (cheap when inputs are few).

    jacfwd(f)(x) has shape f(x).shape + x.shape; for several outputs or argnums, nested tuples [output][argument].
    """
    return _jacfwd(f, argnums, "jacfwd")


def _jacfwd(f: Callable, argnums: Any, name: str) -> Callable:
    def jacfwd_f(*args: Any) -> Any:
        nums, single = fa.argnums_of(argnums, len(args), name)
        arguments = fa.Arguments(args, nums, name)
        values = arguments.values
        sizes = [v.size for v in values]
        began = next(creation_counter)
        with ForwardLevel(sum(sizes), name) as level:
            start = 0
            for v, n in zip(values, sizes):  # v's tangents: the basis vectors of its own elements, zero elsewhere
                level.seed(v, (None,) * start + _basis(v) + (None,) * (sum(sizes) - start - n))
                start += n
            outs, out_spec = fa.outputs(f(*arguments.args), name)
            found = [level.take(o) for o in outs]
        outside = reaches_outside(outs, began)
        graph = outside or bool(levels())  # the Jacobian is still differentiated: put it together by recorded ops
        per_output = []
        for out, tangents in zip(outs, found):
            tangents = tangents or (None,) * sum(sizes)
            blocks, start = [], 0
            for v, n in zip(values, sizes):
                pieces = [fa.zeros_like(out) if t is None else t for t in tangents[start:start + n]]
                blocks.append(_block(pieces, out, v, False, graph))
                start += n
            per_output.append(arguments.regroup(blocks, outside, single))
        return fa.unflatten(out_spec, per_output)
    return jacfwd_f


def _basis(v: Variable) -> tuple:
    """The unit tangents of v, one per element, each of v's shape (rows of an identity matrix, as views)."""
    if not v._has_shape:
        return (1.0,)
    eye = np.eye(v.size, dtype=v.dtype)
    return tuple(row.reshape(v.shape) for row in eye)


def jacobian(f: Callable, argnums: Any = 0) -> Callable:
    """The Jacobian of f, by forward mode when the outputs have more elements than the inputs, else by reverse mode.

    f is first evaluated for reverse mode (so the sizes are known); when forward mode wins, it is evaluated again.
    """
    def jacobian_f(*args: Any) -> Any:
        rev = _Reverse(f, args, argnums, "jacobian")
        if sum(o.size for o in rev.outputs) > sum(x.size for x in rev.leaves):
            return _jacfwd(f, argnums, "jacobian")(*args)
        return _rows(rev)
    return jacobian_f


def hessian(f: Callable, argnums: Any = 0) -> Callable:
    """The Hessian of f by forward over reverse, jacfwd(jacrev(f)): one forward pass carrying a tangent per input
    element through f and through its recorded backward pass. For a scalar f, hessian(f)(x) has shape
    x.shape + x.shape."""
    return _jacfwd(_jacrev(f, argnums, "hessian"), argnums, "hessian")


def hvp(f: Callable, primals: Sequence, tangents: Sequence) -> tuple[Any, Any]:
    """f(*primals) and its Hessian-vector product H @ tangents, as jvp of grad (forward over reverse): the cost of
    about one gradient, without forming H.

    Returns:
        (f(*primals), H @ tangents), the second with the structure of the primals (a single one for one primal).
    """
    argnums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    (value, _), (_, product) = jvp(value_and_grad(f, argnums), primals, tangents)
    return value, product
