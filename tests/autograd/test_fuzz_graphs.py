"""Fuzzing: hypothesis builds random expression graphs over the whole op set (random shapes with broadcasting, random
axes and indices, shared sub-expressions) and the engine's gradients must match central differences in float64."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag

SIZES = st.integers(1, 3)
SHAPES = st.lists(SIZES, min_size=0, max_size=3).map(tuple)


def _positive(x):
    return x * x + 0.5  # keeps log, sqrt and division away from their poles


def _square(x):
    return x * x  # one value used twice: its gradients meet in the engine's buffer


def _axis(x, k):
    return None if x.ndim == 0 else (k % x.ndim)


# Each step takes the pool of values made so far and returns a new value, or None when the shapes do not fit.
def _unary(name, x, k):
    return {
        "exp": lambda: (x * 0.5).exp(), "log": lambda: _positive(x).log(), "sqrt": lambda: _positive(x).sqrt(),
        "sin": lambda: x.sin(), "cos": lambda: x.cos(), "tanh": lambda: x.tanh(), "sigmoid": lambda: x.sigmoid(),
        "relu": lambda: (x + 0.05).relu(), "abs": lambda: (x + 0.05).abs(), "neg": lambda: -x,
        "pow": lambda: _positive(x) ** 1.5, "clip": lambda: x.clip(-0.7, 0.9),
        "sum": lambda: x.sum(axis=_axis(x, k), keepdims=bool(k % 2)),
        "mean": lambda: x.mean(axis=_axis(x, k), keepdims=bool(k % 2)),
        "max": lambda: x.max(axis=_axis(x, k)), "min": lambda: x.min(axis=_axis(x, k), keepdims=True),
        "logsumexp": lambda: x.logsumexp(axis=_axis(x, k)), "var": lambda: x.var(axis=_axis(x, k)),
        "transpose": lambda: x.T, "flatten": lambda: x.flatten(),
        "reshape": lambda: x.reshape(-1, 1) if x.size else None,
        "expand_dims": lambda: x.expand_dims(k % (x.ndim + 1)),
        "getitem_int_array": lambda: x[np.array([k % x.shape[0], 0, k % x.shape[0]])] if x.ndim else None,
        "getitem_slice": lambda: x[..., ::2] if x.ndim else None,
        "getitem_int": lambda: _square(x[k % x.shape[0]]) if x.ndim else None,
        "getitem_mask": lambda: x[x.data > 0] if x.ndim else None,
        "pad": lambda: x.pad(1) if x.ndim else None,
        "split": lambda: x.split(x.shape[-1], axis=-1)[k % x.shape[-1]] if x.ndim else None,
        "broadcast_to": lambda: x.broadcast_to((2,) + x.shape),
    }[name]()


UNARY = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "neg", "pow", "clip", "sum", "mean",
         "max", "min", "logsumexp", "var", "transpose", "flatten", "reshape", "expand_dims", "getitem_int_array",
         "getitem_slice", "getitem_int", "getitem_mask", "pad", "split", "broadcast_to"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "where", "matmul", "concatenate", "stack", "pow_tensor",
          "inplace"]


def _binary(name, a, b, k):
    try:
        np.broadcast_shapes(a.shape, b.shape)
        broadcastable = True
    except ValueError:
        broadcastable = False
    if name == "matmul":
        if a.ndim >= 1 and b.ndim >= 1 and a.shape[-1] == (b.shape[0] if b.ndim == 1 else b.shape[-2]):
            try:
                np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
                return a @ b
            except ValueError:
                return None
        return None
    if name in ("concatenate", "stack"):
        if a.shape != b.shape or a.ndim == 0 and name == "concatenate":
            return None
        return ag.concatenate([a, b], axis=k % a.ndim) if name == "concatenate" else ag.stack([a, b], axis=k % (a.ndim + 1))
    if not broadcastable:
        return None
    if name == "inplace":
        if np.broadcast_shapes(a.shape, b.shape) != a.shape:
            return None
        h = a * 1.0
        h *= b          # recorded like h = h * b; the ops that used the old h keep their edge to it
        h += a
        return h
    return {
        "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / _positive(b),
        "maximum": lambda: ag.maximum(a, b), "minimum": lambda: ag.minimum(a, b),
        "where": lambda: ag.where(a.data > b.data, a, b * 2), "pow_tensor": lambda: _positive(a) ** (b * 0.5),
    }[name]()


STEP = st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 7), st.integers(0, 7), st.integers(0, 11))


def _program(steps):
    def run(*leaves):
        pool = list(leaves)
        for name, i, j, k in steps:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            out = _unary(name, a, k) if name in UNARY else _binary(name, a, b, k)
            if out is not None and out.size and out.size <= 64:
                pool.append(out)
        # every value made, reduced: a graph with shared sub-expressions and several paths to each leaf
        total = pool[-1].sum()
        for extra in pool[len(leaves):-1]:
            total = total + (extra * 0.3).tanh().sum()
        return total
    return run


@settings(max_examples=200)
@given(shapes=st.lists(SHAPES, min_size=1, max_size=3), steps=st.lists(STEP, min_size=1, max_size=10),
       seed=st.integers(0, 2**16))
def test_random_expression_graph_gradients_match_central_differences(shapes, steps, seed):
    rng = np.random.default_rng(seed)
    leaves = [ag.Tensor(rng.uniform(-2, 2, shape), requires_grad=True, dtype=np.float64) for shape in shapes]
    assert ag.gradcheck(_program(steps), leaves, atol=1e-5, rtol=1e-3)


@given(shape=SHAPES, steps=st.lists(STEP, min_size=1, max_size=5), seed=st.integers(0, 2**16))
def test_random_expression_graph_second_derivatives_match(shape, steps, seed):
    rng = np.random.default_rng(seed)
    x = ag.Tensor(rng.uniform(-2, 2, shape), requires_grad=True, dtype=np.float64)
    assert ag.gradgradcheck(_program(steps), [x], atol=1e-4, rtol=1e-3)
