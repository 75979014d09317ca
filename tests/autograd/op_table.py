"""The op table: each Tensor op with its numpy reference and input domain, plus the hypothesis strategies that feed it.

One table drives the forward tests (value == numpy reference), the gradchecks and gradgradchecks in test_ops_*.py, the
comparison with the scalar front end in test_front_ends_agree.py, and the forward-mode checks in test_forward_mode.py
(with STRUCTURAL: the ops whose arguments are shapes, axes or indices, at fixed shapes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor

# --- input domains: raw values in [-2, 2] moved off the kinks and poles of an op --------------------------------------


def real(x: np.ndarray) -> np.ndarray:
    return x


def positive(x: np.ndarray) -> np.ndarray:
    """[0.5, 2.5]: log, sqrt and the base of a**b stay well away from 0."""
    return np.abs(x) + 0.5


def nonzero(x: np.ndarray) -> np.ndarray:
    """|x| >= 0.5: away from the pole of 1/x and the kinks of |x| and relu at 0."""
    return np.where(x >= 0, x + 0.5, x - 0.5)


def off_clip(x: np.ndarray) -> np.ndarray:
    """At least 0.05 away from the clip bounds -0.5 and 0.5 used below."""
    for bound in (-0.5, 0.5):
        x = np.where(np.abs(x - bound) < 0.05, bound + np.where(x >= bound, 0.05, -0.05), x)
    return x


def grid(x: np.ndarray) -> np.ndarray:
    """Multiples of 0.25; with `grid_half` on the other side, maximum/minimum never meet a tie."""
    return np.round(x * 4) / 4


def grid_half(x: np.ndarray) -> np.ndarray:
    """Multiples of 0.25 shifted by 0.125: always at least 0.125 from any `grid` value."""
    return np.round(x * 4) / 4 + 0.125


def distinct(x: np.ndarray) -> np.ndarray:
    """The ranks of x, spaced 0.3 apart: no two elements tie (max/min), none is constant (std), order kept."""
    ranks = np.argsort(np.argsort(x.reshape(-1), kind="stable"), kind="stable")
    return (ranks * 0.3 - 1.0).reshape(x.shape)


# --- the table -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One op: `fn` on Tensors, `ref` the same maths in numpy, `domains` one per input.

    `value_fn` is the same op on single Values (None when Value has no such op); `twice` says whether the op is twice
    differentiable on its domain (gradgradcheck).
    """

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    domains: tuple[Callable[[np.ndarray], np.ndarray], ...]
    value_fn: Callable[..., Any] | None = None
    twice: bool = True

    def __repr__(self) -> str:
        return self.name


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


UNARY = [
    Op("neg", lambda x: -x, lambda x: -x, (real,), lambda v: -v),
    Op("exp", lambda x: x.exp(), np.exp, (real,), lambda v: v.exp()),
    Op("log", lambda x: x.log(), np.log, (positive,), lambda v: v.log()),
    Op("sqrt", lambda x: x.sqrt(), np.sqrt, (positive,), lambda v: v ** 0.5),
    Op("sin", lambda x: x.sin(), np.sin, (real,)),
    Op("cos", lambda x: x.cos(), np.cos, (real,)),
    Op("tanh", lambda x: x.tanh(), np.tanh, (real,), lambda v: v.tanh()),
    Op("sigmoid", lambda x: x.sigmoid(), _sigmoid, (real,), lambda v: v.sigmoid()),
    Op("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), (nonzero,), lambda v: v.relu()),
    Op("abs", lambda x: x.abs(), np.abs, (nonzero,)),
    Op("abs_builtin", lambda x: abs(x), np.abs, (nonzero,)),
    Op("clip", lambda x: x.clip(-0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), (off_clip,)),
    Op("clip_lo_only", lambda x: ag.clip(x, -0.5, None), lambda x: np.maximum(x, -0.5), (off_clip,)),
    Op("cube", lambda x: x ** 3, lambda x: x ** 3, (real,), lambda v: v ** 3),
    Op("pow_fraction", lambda x: x ** 1.5, lambda x: x ** 1.5, (positive,), lambda v: v ** 1.5),
    Op("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, (real,), lambda v: 2.0 ** v),
    Op("rsub", lambda x: 1.0 - x, lambda x: 1.0 - x, (real,), lambda v: 1.0 - v),
    Op("rdiv", lambda x: 1.0 / x, lambda x: 1.0 / x, (nonzero,), lambda v: 1.0 / v),
    Op("scale_shift", lambda x: x * 0.5 + 2, lambda x: x * 0.5 + 2, (real,), lambda v: v * 0.5 + 2),
]

BINARY = [
    Op("add", lambda a, b: a + b, np.add, (real, real), lambda a, b: a + b),
    Op("sub", lambda a, b: a - b, np.subtract, (real, real), lambda a, b: a - b),
    Op("mul", lambda a, b: a * b, np.multiply, (real, real), lambda a, b: a * b),
    Op("div", lambda a, b: a / b, np.divide, (real, nonzero), lambda a, b: a / b),
    Op("pow", lambda a, b: a ** b, np.power, (positive, real), lambda a, b: a ** b),
    Op("maximum", ag.maximum, np.maximum, (grid, grid_half)),
    Op("minimum", ag.minimum, np.minimum, (grid, grid_half)),
    Op("maximum_method", lambda a, b: a.maximum(b), np.maximum, (grid_half, grid)),
    Op("minimum_method", lambda a, b: a.minimum(b), np.minimum, (grid_half, grid)),
    # the condition is a fixed checkerboard of the broadcast shape, so it cannot flip under finite differences
    Op("where", lambda a, b: ag.where(checkerboard(a.shape, b.shape), a, b),
       lambda a, b: np.where(checkerboard(a.shape, b.shape), a, b), (real, real)),
]

# Reductions take (x, axis, keepdims).
REDUCTIONS = [
    Op("sum", lambda x, axis, keep: x.sum(axis=axis, keepdims=keep),
       lambda x, axis, keep: np.sum(x, axis=axis, keepdims=keep), (real,)),
    Op("mean", lambda x, axis, keep: x.mean(axis=axis, keepdims=keep),
       lambda x, axis, keep: np.mean(x, axis=axis, keepdims=keep), (real,)),
    Op("max", lambda x, axis, keep: x.max(axis=axis, keepdims=keep),
       lambda x, axis, keep: np.max(x, axis=axis, keepdims=keep), (distinct,)),
    Op("min", lambda x, axis, keep: x.min(axis=axis, keepdims=keep),
       lambda x, axis, keep: np.min(x, axis=axis, keepdims=keep), (distinct,)),
    Op("var", lambda x, axis, keep: x.var(axis=axis, keepdims=keep),
       lambda x, axis, keep: np.var(x, axis=axis, keepdims=keep), (real,)),
    Op("var_ddof1", lambda x, axis, keep: x.var(axis=axis, ddof=1, keepdims=keep),
       lambda x, axis, keep: np.var(x, axis=axis, ddof=1, keepdims=keep), (real,)),
    Op("std", lambda x, axis, keep: x.std(axis=axis, keepdims=keep),
       lambda x, axis, keep: np.std(x, axis=axis, keepdims=keep), (distinct,)),
    Op("logsumexp", lambda x, axis, keep: x.logsumexp(axis=axis, keepdims=keep),
       lambda x, axis, keep: np.log(np.sum(np.exp(x), axis=axis, keepdims=keep)), (real,)),
]

# Reductions whose result needs at least this many elements per reduced slice to be defined and differentiable.
MIN_COUNT = {"var_ddof1": 2, "std": 2}


def checkerboard(*shapes: tuple) -> np.ndarray:
    """A fixed boolean pattern of the broadcast shape: True where the index sum is even."""
    shape = np.broadcast_shapes(*shapes)
    return np.indices(shape).sum(axis=0) % 2 == 0 if shape else np.array(True)


# Ops whose arguments are shapes, axes or indices, each at fixed input shapes: (name, fn on Tensors, input shapes).
STRUCTURAL = [
    ("reshape", lambda x: x.reshape(3, 2), ((2, 3),)),
    ("transpose", lambda x: x.transpose(1, 2, 0), ((2, 3, 4),)),
    ("broadcast_to", lambda x: x.broadcast_to((4, 2, 3)), ((2, 1),)),
    ("getitem_slices", lambda x: x[1:, ::2], ((3, 4),)),
    ("getitem_repeated_rows", lambda x: x[[0, 2, 0]], ((3, 2),)),
    ("getitem_element", lambda x: x[1, 2], ((3, 4),)),
    ("concatenate", lambda a, b: ag.concatenate([a, b], axis=1), ((2, 3), (2, 2))),
    ("stack", lambda a, b: ag.stack([a, b], axis=1), ((2, 3), (2, 3))),
    ("split", lambda x: tuple(x.split([1, 3], axis=1)), ((2, 4),)),
    ("pad", lambda x: x.pad(((1, 0), (2, 1)), constant_values=3.0), ((2, 3),)),
    ("matmul", lambda a, b: a @ b, ((2, 3), (3, 4))),
    ("matmul_vector_matrix", lambda a, b: a @ b, ((3,), (3, 4))),
    ("matmul_matrix_vector", lambda a, b: a @ b, ((2, 3), (3,))),
    ("matmul_dot", lambda a, b: a @ b, ((3,), (3,))),
    ("matmul_batched", lambda a, b: a @ b, ((2, 1, 2, 3), (4, 3, 2))),
    ("squeeze_expand", lambda x: x.expand_dims(0).squeeze(), ((2, 3),)),
]


# --- strategies ------------------------------------------------------------------------------------------------------

ELEMENTS = st.floats(-2, 2, allow_nan=False, allow_infinity=False, width=64)


def values(shape: tuple) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of `shape` with elements in [-2, 2] (move them into a domain with the functions above)."""
    return hnp.arrays(np.float64, shape, elements=ELEMENTS)


def small_shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 3) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def leaf(array: np.ndarray) -> Tensor:
    """A float64 leaf Tensor that requires grad."""
    return Tensor(np.array(array, dtype=np.float64), requires_grad=True)


def draw_inputs(data: st.DataObject, op: Op, shapes: tuple) -> list[np.ndarray]:
    """One array per input of `op`, of the given shapes, moved into the op's domain."""
    return [domain(data.draw(values(shape))) for domain, shape in zip(op.domains, shapes)]


def axis_and_keepdims(data: st.DataObject, ndim: int) -> tuple[Any, bool]:
    """An `axis` argument as numpy takes it (None, an int, possibly negative, or a tuple) and a keepdims flag."""
    kind = data.draw(st.sampled_from(["none", "int", "tuple"] if ndim else ["none"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = data.draw(st.integers(-ndim, ndim - 1))
    else:
        axis = data.draw(hnp.valid_tuple_axes(ndim, min_size=1))
    return axis, data.draw(st.booleans())


def reduced_count(shape: tuple, axis: Any) -> int:
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))
