"""FLOP counts of nn's fused ops (each Function's `flops(c)`): hand-counted closed forms for a few, and for every one
a whole count on real calls, forward and backward (create_graph too)."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from contextlib import contextmanager

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Function, Tensor
from autograd.tools.profiler import OpCall
from autograd.function import OpObserver
from autograd.grad_mode import _state


def _shape(x):
    return np.shape(x.data) if isinstance(x, ag.Tensor) else (x.shape if isinstance(x, np.ndarray) else None)


class _Calls(OpObserver):
    """Every op call, forward and backward, as the OpCall a FLOP count is given (built as the profiler builds it)."""

    def __init__(self):
        self.calls = []  # (Function class, "forward" or "backward", OpCall)

    def forward_end(self, token, fn, args, outputs, ctx):
        outs = outputs if type(outputs) is tuple else (outputs,)
        node = outs[0]._node
        needs = node.needs_input_grad if node is not None else (False,) * len(args)
        self.calls.append((fn, "forward", OpCall(args, [_shape(a) for a in args], [np.shape(o.data) for o in outs],
                                                  needs, node)))

    def backward_end(self, token, node, grads_out, grads_in):
        call = OpCall(node.inputs, [_shape(a) for a in node.inputs], [np.shape(g) for g in grads_out],
                      node.needs_input_grad, node)
        self.calls.append((node.fn, "backward", call))


@contextmanager
def _recorded():
    calls = _Calls()
    outer = _state.observers
    _state.observers = outer + (calls,)
    try:
        yield calls
    finally:
        _state.observers = outer


def _count(fn, phase, c):
    """fn.flops(c) for one phase, the backward added up over the inputs that need a gradient (as the profiler does)."""
    forward, backward = fn.flops(c)
    if phase == "forward":
        return forward
    if isinstance(backward, int):
        return backward
    assert len(backward) == len(c.args), f"{fn.__name__}.flops: one backward count per forward input"
    return sum(b for b, need in zip(backward, c.needs) if need)


def _counts(run, name):
    """Run `run()` and return the (phase, count) of every call of the op called `name`."""
    with _recorded() as rec:
        run()
    return [(phase, _count(fn, phase, c), c) for fn, phase, c in rec.calls if fn.__name__ == name]


RNG = np.random.default_rng(0)


def _t(*shape, grad=True):
    return Tensor(RNG.standard_normal(shape), requires_grad=grad)


def _twice(f, *inputs):
    """Differentiate f's sum with create_graph, then differentiate the gradients again: every op of the first
    backward runs forward and backward."""
    grads = ag.grad(f(*inputs).sum(), inputs, create_graph=True)
    sum(g.sum() for g in grads).backward()


def _classes():
    x, logits = _t(4, 3), _t(4, 3)
    ids = np.array([0, 2, 1, 2])
    images, weight, bias = _t(2, 3, 5, 5), _t(4, 3, 3, 3), _t(4)
    return {
        "Linear": [lambda: F.linear(_t(4, 3), _t(5, 3), _t(5)).sum().backward(),
                   lambda: F.linear(_t(2, 4, 3, grad=False), _t(5, 3), None).sum().backward()],
        "LeakyReLU": [lambda: F.leaky_relu(x, 0.1).sum().backward()],
        "NormalCDF": [lambda: _twice(F.gelu, _t(3, 4))],
        "GELU": [lambda: F.gelu(x).sum().backward()],
        "GELUTanh": [lambda: F.gelu(x, approximate="tanh").sum().backward()],
        "Softmax": [lambda: (F.softmax(_t(3, 4), axis=0) * _t(3, 4, grad=False)).sum().backward(),
                    lambda: (F.softmax(_t(2, 3, 4), axis=-1) * _t(2, 3, 4, grad=False)).sum().backward()],
        "LogSoftmax": [lambda: F.log_softmax(_t(3, 4), axis=0).sum().backward(),
                       lambda: F.log_softmax(_t(2, 3, 4), axis=1).sum().backward()],
        "Dropout": [lambda: F.dropout(x, 0.5, generator=np.random.default_rng(1)).sum().backward()],
        "CrossEntropy": [lambda: F.cross_entropy(logits, ids).backward(),
                         lambda: F.cross_entropy(logits, ids, label_smoothing=0.1).backward(),
                         lambda: F.cross_entropy(_t(2, 3, 4), RNG.integers(0, 3, (2, 4)), reduction="sum").backward(),
                         lambda: F.cross_entropy(logits, F.softmax(_t(4, 3), axis=1)).backward()],
        "BinaryCrossEntropy": [lambda: F.binary_cross_entropy(
            Tensor(RNG.uniform(0.1, 0.9, (3, 4)), requires_grad=True),
            Tensor(RNG.uniform(0, 1, (3, 4)), requires_grad=True)).backward()],
        "BinaryCrossEntropyWithLogits": [lambda: F.binary_cross_entropy_with_logits(
            x, Tensor(RNG.uniform(0, 1, (4, 3)))).backward()],
        "Convolution": [lambda: F.conv2d(images, weight, bias, padding=1).sum().backward(),
                        lambda: F.conv2d(_t(1, 3, 6, 7, grad=False), weight, None, stride=2).sum().backward()],
        "TransposedConvolution": [lambda: _twice(lambda x, w: F.conv2d(x, w, stride=(1, 2)), _t(1, 2, 5, 5),
                                                 _t(3, 2, 2, 3))],
        "ConvolutionWeightGrad": [lambda: _twice(lambda x, w: F.conv2d(x, w, padding=1), _t(1, 2, 4, 4),
                                                 _t(3, 2, 3, 3))],
        "MaxPool": [lambda: F.max_pool2d(images, 2).sum().backward(),
                    lambda: F.max_pool2d(images, 3, stride=2, padding=1).sum().backward()],
        "AvgPool": [lambda: F.avg_pool2d(images, (2, 3)).sum().backward()],
        "AvgPoolTranspose": [lambda: _twice(lambda x: F.avg_pool2d(x, 2, stride=1) ** 2, _t(1, 2, 4, 4))],
        "LayerNorm": [lambda: F.layer_norm(_t(2, 3, 4), 4, _t(4), _t(4)).sum().backward(),
                      lambda: _twice(lambda x, w: F.layer_norm(x, (3, 4), w) ** 2, _t(2, 3, 4), _t(3, 4))],
    }


def _nn_functions():
    """Every Function class defined in nn's modules."""
    names = [m.name for m in pkgutil.walk_packages(nn.__path__, prefix="nn.") if not m.name.startswith("nn.onnx")]
    found = set()
    for name in names:
        module = importlib.import_module(name)
        found |= {cls for _, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, Function) and cls.__module__ == name}
    return found


def test_every_nn_function_states_its_flops_and_is_checked_here():
    functions = _nn_functions()
    assert {cls.__name__ for cls in functions} == set(_classes())
    assert [cls.__name__ for cls in functions if not callable(cls.flops)] == []
    assert all((cls.flops.__doc__ or "").strip() for cls in functions)  # the first line says how it is counted


@pytest.mark.parametrize("name", sorted(_classes()))
def test_flops_count_real_calls_forward_and_backward(name):
    seen = set()
    for run in _classes()[name]:
        for phase, count, c in _counts(run, name):
            assert isinstance(count, int) and count >= 0, (phase, c.in_shapes, count)
            seen.add(phase)
    assert seen == {"forward", "backward"}


# --- hand-counted closed forms ------------------------------------------------------------------------------------
def _by_phase(run, name):
    counts = _counts(run, name)
    return {phase: count for phase, count, _ in counts}


def test_linear_counts_two_per_multiply_add_plus_the_bias():
    batch, n_in, n_out = 4, 3, 5
    counts = _by_phase(lambda: F.linear(_t(batch, n_in), _t(n_out, n_in), _t(n_out)).sum().backward(), "Linear")
    assert counts["forward"] == 2 * n_in * n_out * batch + n_out * batch
    # grad @ W and grad.T @ x cost the forward product each; the bias gradient adds batch rows of n_out
    assert counts["backward"] == 2 * (2 * n_in * n_out * batch) + (batch - 1) * n_out
    only_w = _by_phase(lambda: F.linear(_t(batch, n_in, grad=False), _t(n_out, n_in), None).sum().backward(),
                       "Linear")
    assert only_w == {"forward": 2 * n_in * n_out * batch, "backward": 2 * n_in * n_out * batch}


def test_convolution_counts_one_dot_product_per_output():
    N, C_in, C_out, k, H = 2, 3, 4, 3, 5  # padding 1 keeps 5x5
    counts = _by_phase(lambda: F.conv2d(_t(N, C_in, H, H), _t(C_out, C_in, k, k), _t(C_out), padding=1)
                       .sum().backward(), "Convolution")
    outputs = N * C_out * H * H
    assert counts["forward"] == 2 * outputs * C_in * k * k + outputs
    assert counts["backward"] == 2 * (2 * outputs * C_in * k * k) + (N * H * H - 1) * C_out


def test_cross_entropy_and_max_pool_hand_counts():
    N, C = 4, 3
    plain = _by_phase(lambda: F.cross_entropy(_t(N, C), np.array([0, 1, 2, 0])).backward(), "CrossEntropy")
    assert plain == {"forward": 5 * N * C + 2 * N, "backward": N * C + 2 * N}
    smooth = _by_phase(lambda: F.cross_entropy(_t(N, C), np.array([0, 1, 2, 0]), label_smoothing=0.2).backward(),
                       "CrossEntropy")
    assert smooth == {"forward": 6 * N * C + 4 * N, "backward": 2 * N * C + 2 * N}
    pool = _by_phase(lambda: F.max_pool2d(_t(1, 1, 4, 4), 2).sum().backward(), "MaxPool")
    assert pool == {"forward": 4 * 3, "backward": 4}  # 4 windows of 4: 3 comparisons each; one gradient each
