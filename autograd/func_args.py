"""What the function transforms (func.py) take and give back: arguments and results as Tensors, Values, numpy arrays or
Python floats, in tuples and lists; each checked, with an error naming the transform, and turned into graph values.

A Python float is differentiated as a Value (as a float64 0-d Tensor in a call that also has arrays or Tensors), a
numpy array (or numpy number) as a Tensor. A result with respect to a float or an array comes back as a float or an
ndarray, unless it is still being differentiated (by an enclosing
transform, or through a parameter that requires grad): then it stays a Value or a Tensor, so that nothing is lost.
"""
from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np

from .errors import DTypeError, ShapeError
from .forward import carries_tangent
from .tensor import Tensor
from .value import Value
from .variable import Variable


# --- trees: tuples and lists of leaves --------------------------------------------------------------------------------
def flatten(tree: Any) -> tuple[list, Any]:
    """The leaves of nested tuples and lists, in order, and a spec that `unflatten` rebuilds the nesting from."""
    if isinstance(tree, (tuple, list)):
        leaves, specs = [], []
        for item in tree:
            found, spec = flatten(item)
            leaves += found
            specs.append(spec)
        return leaves, (type(tree), specs)
    return [tree], None


def unflatten(spec: Any, leaves: Sequence) -> Any:
    """The nesting `spec` (from flatten) with `leaves` in place of the old ones."""
    it = iter(leaves)

    def build(s: Any) -> Any:
        if s is None:
            return next(it)
        kind, specs = s
        return kind(build(child) for child in specs)
    return build(spec)


def argnums_of(argnums: Any, n_args: int, name: str) -> tuple[tuple[int, ...], bool]:
    """`argnums` (an int or a tuple of ints) as a tuple of positions, and whether it was a single int."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    nums = (argnums,) if single else argnums
    if not isinstance(nums, (tuple, list)) or not nums or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in nums):
        raise TypeError(f"{name}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    if any(not -n_args <= i < n_args for i in nums):
        raise ValueError(f"{name}: argnums {argnums!r} is out of range for a call with {n_args} argument(s)")
    return tuple(int(i) % n_args for i in nums), single


# --- arguments ----------------------------------------------------------------------------------------------------------
def raw_kind(given: Sequence) -> str | None:
    """How results for these arguments are handed back: None (as graph values) if one of them is a Tensor or Value,
    "float" if all are Python floats, else "array"."""
    if any(isinstance(x, Variable) for x in given):
        return None
    return "float" if all(type(x) is float for x in given) else "array"


def uses_arrays(args: Sequence) -> bool:
    """Whether a call has arrays or Tensors among its arguments: then its Python floats become Tensors, not Values."""
    return any(isinstance(x, (Tensor, np.ndarray, np.generic)) for x in flatten(list(args))[0])


def primal(x: Any, name: str, what: str, arrays: bool = False) -> Variable:
    """An argument to differentiate with respect to, as a Tensor or a Value, with a float dtype; a Python float becomes a
    Value, or a float64 0-d Tensor when the call has `arrays`."""
    if isinstance(x, Variable):
        if x._has_shape and x.data.dtype.kind != "f":
            raise DTypeError(f"{name}: {what} is a Tensor of dtype {x.data.dtype}, which cannot be differentiated; "
                             "pass a float Tensor (x.astype(np.float64))")
        return x
    if isinstance(x, (bool, np.bool_)) or (isinstance(x, numbers.Integral) and not isinstance(x, np.ndarray)):
        raise DTypeError(f"{name}: {what} is an integer ({type(x).__name__} {x!r}), which cannot be differentiated; "
                         f"pass a float ({float(x)!r})")
    if type(x) is float:
        return Tensor._constant(np.array(x)) if arrays else Value(x, requires_grad=False)
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind != "f":
            raise DTypeError(f"{name}: {what} has dtype {x.dtype}, which cannot be differentiated; pass a float "
                             "array (x.astype(np.float64))")
        return Tensor._constant(np.array(x))
    raise TypeError(f"{name}: {what} is a {type(x).__name__}; expected a Tensor, a Value, a numpy array or a float "
                    "(or a tuple or list of them)")


def distinct(values: list) -> list:
    """The values with any repeat replaced by a copy made by an op (x + 0), so each argument is its own graph value
    (a tangent or a gradient for each) while the copy stays connected to the graph x belongs to."""
    seen, out = set(), []
    for v in values:
        if id(v) in seen:
            v = v + 0.0
        seen.add(id(v))
        out.append(v)
    return out


def tangent(t: Any, p: Variable, name: str, what: str) -> Any:
    """A tangent checked against its primal `p` (same shape and dtype), as an array or a float (or a Tensor or Value
    that requires grad, whose graph must be kept)."""
    if p._has_shape:
        if isinstance(t, Variable) and not t._has_shape or isinstance(t, (str, bytes)) or t is None:
            raise TypeError(f"{name}: {what} is a {type(t).__name__}; expected an array or Tensor of its primal's "
                            f"shape {p.shape}")
        weak = isinstance(t, numbers.Real) and not isinstance(t, np.generic)  # a Python number takes p's dtype
        data = np.asarray(t.data if isinstance(t, Variable) else t, dtype=p.data.dtype if weak else None)
        if data.shape != p.data.shape:
            raise ShapeError(f"{name}: {what} has shape {data.shape} but its primal has shape {p.data.shape}; give "
                             "each tangent its primal's shape")
        if data.dtype != p.data.dtype:
            raise DTypeError(f"{name}: {what} has dtype {data.dtype} but its primal has dtype {p.data.dtype}; cast "
                             f"it with .astype(np.{p.data.dtype})")
        return t if isinstance(t, Variable) and t._requires_grad else data
    if isinstance(t, Value):
        return t if t._requires_grad else t.data
    if not isinstance(t, numbers.Real) or np.ndim(t) != 0:
        raise TypeError(f"{name}: {what} is a {type(t).__name__}; the primal is a Value, so its tangent must be a "
                        "number or a Value")
    return float(t)


class Arguments:
    """The arguments at positions `nums` of a call, their leaves made graph values (`values`, each one distinct;
    `make` may replace each, as reverse mode makes leaves that require grad), and `args`, the call's arguments with
    those in place. `regroup` hands results back the way the arguments were given."""

    def __init__(self, args: Sequence, nums: Sequence[int], name: str, what: str = "argument",
                 make: Any = None) -> None:
        arrays = uses_arrays(args)
        self.groups, values = [], []  # groups: (spec, number of leaves, raw kind) per argument
        for i in nums:
            flat, spec = flatten(args[i])
            self.groups.append((spec, len(flat), raw_kind(flat)))
            for x in flat:
                v = primal(x, name, f"{what} {i}", arrays)
                values.append(make(v) if make is not None else v)
        self.values = distinct(values)
        self.args, at = list(args), 0
        for i, (spec, n, _) in zip(nums, self.groups):
            self.args[i] = unflatten(spec, self.values[at:at + n])
            at += n

    @property
    def raw(self) -> str | None:
        """How a result of the whole call is handed back (see raw_kind)."""
        kinds = {kind for _, _, kind in self.groups}
        return None if None in kinds else "float" if kinds == {"float"} else "array"

    def regroup(self, results: list, outside: bool, single: bool) -> Any:
        """One result per value, grouped as the arguments were given (just the first for a single int argnums)."""
        grouped, at = [], 0
        for spec, n, raw in self.groups:
            grouped.append(unflatten(spec, [returned(r, raw, outside) for r in results[at:at + n]]))
            at += n
        return grouped[0] if single else tuple(grouped)


# --- results ------------------------------------------------------------------------------------------------------------
def outputs(out: Any, name: str) -> tuple[list, Any]:
    """f's result as a flat list of Tensors and Values (checked: differentiable) and the spec of its nesting."""
    leaves, spec = flatten(out)
    for i, o in enumerate(leaves):
        if not isinstance(o, Variable):
            shown = f"{type(o).__name__} {o!r}" if isinstance(o, numbers.Number) else f"a {type(o).__name__}"
            raise TypeError(f"{name}: f returned {shown} as output {i}, which cannot be differentiated; return Tensors "
                            "or Values computed from the arguments")
        if o._has_shape and o.data.dtype.kind != "f":
            raise DTypeError(f"{name}: output {i} of f is a Tensor of dtype {o.data.dtype}, which cannot be "
                             "differentiated; return a float Tensor")
    return leaves, spec


def returned(v: Any, raw: str | None, outside: bool) -> Any:
    """A result as handed back: a float or an ndarray when the arguments it belongs to were given so (`raw`, from
    raw_kind) and nothing still differentiates it (no level's tangent; no graph from `outside` the transform), else
    the Tensor or Value."""
    if raw is None or (outside and v._requires_grad) or carries_tangent(v):
        return v
    if raw == "float" and np.ndim(v.data) == 0:
        return float(v.data)
    return v.data


def zeros_like(v: Variable) -> Variable:
    return v._constant(np.zeros_like(v.data) if v._has_shape else 0.0)
