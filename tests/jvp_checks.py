"""The check every jvp rule passes (tests/autograd/test_forward_mode.py for autograd's ops, tests/nn for nn's): the
tangent forward mode computes equals central differences in float64 and the reverse-mode Jacobian (the engine's
backward, one ag.grad per output element) times the tangents."""
from __future__ import annotations

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.func import jvp

EPS = 1e-6


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def central_difference(fn, arrays, tangents):
    """(f(x + eps v) - f(x - eps v)) / (2 eps) for each output of fn, in float64."""
    plus = _outputs(fn(*[Tensor(a + EPS * v) for a, v in zip(arrays, tangents)]))
    minus = _outputs(fn(*[Tensor(a - EPS * v) for a, v in zip(arrays, tangents)]))
    return [(p.data - m.data) / (2 * EPS) for p, m in zip(plus, minus)]


def reverse_jacobian_times(fn, arrays, tangents):
    """J @ v for each output, J from the engine's backward: one ag.grad per output element."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    found = []
    for out in _outputs(fn(*xs)):
        product = np.zeros(out.size)
        for j in range(out.size):
            seed = np.zeros(out.shape)
            seed.reshape(-1)[j] = 1.0
            grads = ag.grad(out, xs, grad_outputs=seed, retain_graph=True, allow_unused=True)
            product[j] = sum(np.sum(g.data * v) for g, v in zip(grads, tangents) if g is not None)
        found.append(product.reshape(out.shape))
    return found


def check_jvp(fn, arrays, tangents):
    """The tangent jvp computes equals central differences and the reverse-mode Jacobian times the tangents."""
    out, tangent = jvp(fn, tuple(Tensor(a) for a in arrays), tuple(tangents))
    outs, found = _outputs(out), _outputs(tangent)
    for o, t in zip(outs, found):
        assert isinstance(t, Tensor) and t.shape == o.shape and t.dtype == o.dtype
    for t, numeric in zip(found, central_difference(fn, arrays, tangents)):
        np.testing.assert_allclose(t.data, numeric, rtol=1e-6, atol=1e-8)
    for t, reverse in zip(found, reverse_jacobian_times(fn, arrays, tangents)):
        np.testing.assert_allclose(t.data, reverse, rtol=1e-10, atol=1e-12)


