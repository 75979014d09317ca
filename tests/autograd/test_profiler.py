"""autograd.profile: FLOP counts against closed forms and hand counts, memory held by the graph, phases, reports."""
from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Tensor, Value, profiler
from autograd.grad_mode import _state

F64 = np.float64


def randn(*shape, seed=0, requires_grad=False):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=requires_grad)


# --- matmul and conv: closed forms -----------------------------------------------------------------------------------
@pytest.mark.parametrize("a_shape, b_shape, products", [
    ((5, 3), (3, 4), 5 * 3 * 4),           # (n, k) @ (k, m): n*k*m multiply-adds
    ((2, 5, 3), (3, 4), 2 * 5 * 3 * 4),    # batch of 2
    ((2, 5, 3), (2, 3, 4), 2 * 5 * 3 * 4),
    ((3,), (3, 4), 3 * 4),                 # vector @ matrix
    ((5, 3), (3,), 5 * 3),
    ((3,), (3,), 3),                       # dot product
])
def test_matmul_forward_flops_are_two_per_multiply_add(a_shape, b_shape, products):
    a, b = randn(*a_shape), randn(*b_shape, seed=1)
    with ag.profile() as prof:
        a @ b
    assert prof.flops() == 2 * products
    assert prof.flops("forward", op="MatMul") == 2 * products


def test_matmul_backward_counts_only_inputs_that_need_grad():
    n, k, m = 6, 4, 3
    a, b = randn(n, k, requires_grad=True), randn(k, m, seed=1)
    with ag.profile() as only_a:
        (a @ b).sum().backward()
    b.requires_grad = True
    with ag.profile() as both:
        (a @ b).sum().backward()
    assert only_a.flops("backward", op="MatMul") == 2 * n * k * m      # grad @ b.T
    assert both.flops("backward", op="MatMul") == 2 * (2 * n * k * m)  # and a.T @ grad


def test_matmul_backward_adds_the_sum_over_broadcast_batch_axes():
    batch, n, k, m = 3, 4, 5, 2
    a, w = randn(batch, n, k), randn(k, m, seed=1, requires_grad=True)
    with ag.profile() as prof:
        (a @ w).sum().backward()
    # a.T @ grad gives one (k, m) gradient per batch element; the engine adds the 3 of them: 2 additions per entry
    assert prof.flops("backward", op="MatMul") == 2 * batch * n * k * m + (batch - 1) * k * m


def test_linear_layer_forward_flops_are_2_batch_in_out_plus_bias():
    nn = pytest.importorskip("nn")
    batch, n_in, n_out = 7, 5, 3
    x = randn(batch, n_in)
    for bias in (True, False):
        layer = nn.Linear(n_in, n_out, bias=bias)
        with ag.profile() as prof:
            layer(x)
        assert prof.flops("forward") == 2 * batch * n_in * n_out + (batch * n_out if bias else 0)


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 1), (2, 0)])
def test_conv2d_flops_match_the_closed_form(stride, padding):
    nn = pytest.importorskip("nn")
    N, C_in, H, W, C_out, k = 2, 3, 7, 6, 4, 3
    conv = nn.Conv2d(C_in, C_out, k, stride=stride, padding=padding)
    x = randn(N, C_in, H, W, requires_grad=True)
    H_out, W_out = (H + 2 * padding - k) // stride + 1, (W + 2 * padding - k) // stride + 1
    with ag.profile() as prof:
        y = conv(x)
        y.sum().backward()
    assert y.shape == (N, C_out, H_out, W_out)
    products = 2 * N * C_out * H_out * W_out * C_in * k * k
    outputs = N * C_out * H_out * W_out
    assert prof.flops("forward", op="Convolution") == products + outputs  # + the bias added to every output
    # input gradient and weight gradient: the same products each; bias: sum of N*H_out*W_out values per channel
    assert prof.flops("backward", op="Convolution") == 2 * products + (outputs - C_out)


# --- whole steps: hand counts ----------------------------------------------------------------------------------------
def test_mlp_training_step_total_equals_the_hand_count():
    nn = pytest.importorskip("nn")
    F = nn.functional
    B, D, H, C = 16, 4, 8, 3  # batch, inputs, hidden units, classes
    model = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, C))
    x = randn(B, D)
    target = np.arange(B) % C
    with ag.profile() as prof:
        loss = F.cross_entropy(model(x), target)
        loss.backward()
    forward = (2 * B * D * H + B * H      # Linear 1: x @ W1.T, + b1
               + B * H                    # ReLU: one comparison per element
               + 2 * B * H * C + B * C    # Linear 2
               + 5 * B * C + 2 * B)       # cross-entropy: log-softmax over C (max, sub, exp, sum, div) + pick + mean
    backward = (B * C + 2 * B             # cross-entropy: softmax * scale, minus the one-hot, scale
                + 2 * B * H * C           # Linear 2: grad @ W2 (input gradient)
                + 2 * B * H * C           # Linear 2: grad.T @ h (weight gradient)
                + (B - 1) * C             # Linear 2: bias gradient, a column sum
                + B * H                   # ReLU: grad * mask
                + 2 * B * D * H           # Linear 1: weight gradient only (x needs no gradient)
                + (B - 1) * H)            # Linear 1: bias gradient
    assert prof.flops("forward") == forward
    assert prof.flops("backward") == backward
    assert prof.flops() == forward + backward
    assert prof.uncounted == []


def test_core_ops_step_total_equals_the_hand_count():
    B, D, H = 8, 5, 4
    x = randn(B, D)
    W = randn(D, H, seed=1, requires_grad=True)
    b = Tensor(np.zeros(H), requires_grad=True)
    with ag.profile() as prof:
        loss = (x @ W + b).tanh().mean()
        loss.backward()
    n = B * H
    forward = 2 * B * D * H + n + n + n        # matmul, + b, tanh, mean (n - 1 additions and 1 division)
    backward = (1                              # mean: grad / count, one division (spreading it costs nothing)
                + 3 * n                        # tanh: grad * (1 - y*y)
                + (B - 1) * H                  # + b: the engine sums b's gradient over the batch
                + 2 * B * D * H)               # x.T @ grad for W
    assert prof.flops("forward") == forward
    assert prof.flops("backward") == backward


def test_value_graph_is_counted_like_tensor_ops():
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    with ag.profile() as prof:
        d = a * b + c
        d.backward()
    assert prof.flops("forward") == 2           # one multiply, one add
    assert prof.flops("backward") == 2          # d/da = b*grad, d/db = a*grad; the add passes grad through
    assert a.grad == -3.0


# --- phases, filters, create_graph ------------------------------------------------------------------------------------
def test_flops_filters_by_phase_and_op():
    x = randn(4, 3, requires_grad=True)
    with ag.profile() as prof:
        y = (x * x).sum()
        y.backward()
    n = 12
    assert prof.flops("forward", op="Mul") == n
    assert prof.flops("backward", op="Mul") == 2 * n
    assert prof.flops("forward", op="Sum") == n - 1
    assert prof.flops(op="Sum") == n - 1
    assert prof.flops() == n + 2 * n + n - 1
    with pytest.raises(ValueError, match="phase"):
        prof.flops("sideways")


def test_create_graph_counts_recorded_backward_ops_once():
    x = randn(5, requires_grad=True)
    with ag.profile() as plain:
        (x * x).sum().backward()
    with ag.profile() as recorded:
        (g,) = ag.grad((x * x).sum(), x, create_graph=True)
        (g * 1.0).sum()
    n = 5
    assert plain.flops("backward") == 2 * n  # grad*x twice; the two gradients for x are summed outside any op
    # under create_graph the backward is made of recorded ops: two Muls and the Add summing them into x's gradient
    phases = [(e.op, e.phase) for e in recorded.events]
    assert ("Mul", "backward") in phases and ("Add", "backward") in phases
    assert recorded.flops("backward") == 2 * n + n
    assert recorded.flops("forward", op="Mul") == n + n  # x * x, then g * 1.0 after the backward: forward again
    assert np.allclose(g.data, 2 * x.data)


# --- memory -----------------------------------------------------------------------------------------------------------
def test_graph_memory_counts_each_buffer_once_and_is_released_with_the_graph():
    n = 100
    x = Tensor(np.ones(n))                                      # an input: held by the graph while it lives
    w = Tensor(np.full(n, 0.5), requires_grad=True)             # a parameter: not counted
    with ag.profile() as prof:
        y = x * w          # holds x and w (saved), makes y
        e = y.exp()        # holds y, saves e (its output)
        s = e.sin()        # holds e (saved again: counted once)
        total = s.sum()    # holds s
        assert prof.current_bytes == 4 * 8 * n  # x, y, e, s
        total.backward()
        del y, e, s, total
        gc.collect()
        assert prof.current_bytes == 0
    assert prof.peak_bytes == 4 * 8 * n
    saved = {ev.op: ev.saved_bytes for ev in prof.events if ev.phase == "forward"}
    assert saved == {"Mul": 8 * n, "Exp": 8 * n, "Sin": 8 * n, "Sum": 0}  # Mul saved x (and w, a parameter)


def test_backward_frees_what_an_op_saved_only_for_backward():
    x = Tensor(np.linspace(-1, 1, 64))
    w = Tensor(np.ones(64), requires_grad=True)
    with ag.profile() as prof:
        y = (x * w).relu()          # ReLU saves a boolean mask: 64 bytes only backward needs
        total = y.sum()
        before = prof.current_bytes
        total.backward()
        after = prof.current_bytes
        del y, total
    assert before - after == 64
    relu = next(e for e in prof.events if e.op == "ReLU" and e.phase == "forward")
    assert relu.saved_bytes == 64 and relu.out_bytes == 8 * 64


def test_output_bytes_and_shapes_are_recorded():
    a, b = randn(3, 4), randn(4, 2, seed=1)
    a32 = Tensor(a.data.astype(np.float32))
    with ag.profile() as prof:
        a @ b
        a32 * 2.0
    mm, mul = prof.events
    assert (mm.op, mm.in_shapes, mm.out_shapes, mm.out_bytes) == ("MatMul", [(3, 4), (4, 2)], [(3, 2)], 3 * 2 * 8)
    assert (mul.op, mul.out_bytes) == ("Mul", 12 * 4)
    assert mm.seconds > 0


# --- reports ----------------------------------------------------------------------------------------------------------
def test_report_table_html_and_dict_agree_with_the_counts():
    x = randn(8, 8, requires_grad=True)
    with ag.profile() as prof:
        (x @ x).tanh().sum().backward()
    ops = prof.to_dict()["ops"]
    assert set(ops) == {"MatMul", "Tanh", "Sum"}
    assert ops["MatMul"]["calls"] == 1
    assert ops["MatMul"]["forward_flops"] == 2 * 8 ** 3
    assert ops["MatMul"]["backward_flops"] == 2 * 2 * 8 ** 3
    totals = prof.to_dict()["totals"]
    assert totals["flops"] == prof.flops() and totals["peak_graph_bytes"] == prof.peak_bytes
    assert totals["flops_per_second"] > 0
    text, page = str(prof), prof._repr_html_()
    for name in ("MatMul", "Tanh", "Sum"):
        assert name in text and f"<td>{name}</td>" in page
    assert "peak memory held by the graph" in text and "<table>" in page


class Cube(Function):
    """y = x**3;  dy/dx = 3 x**2"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.data ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


def test_an_op_without_count_is_reported_not_guessed_and_can_be_registered():
    x = randn(10, requires_grad=True)
    with ag.profile() as prof:
        Cube.apply(x).sum().backward()
    assert prof.uncounted == ["Cube"]
    assert prof.flops(op="Cube") == 0
    assert "no FLOP count for: Cube" in str(prof)
    profiler.register_flops("Cube", lambda c: 2 * c.out, lambda c: 4 * c.out if c.needs[0] else 0, "x*x*x")
    try:
        with ag.profile() as counted:
            Cube.apply(x).sum().backward()
        assert counted.uncounted == []
        assert counted.flops(op="Cube") == 2 * 10 + 4 * 10
    finally:
        del profiler.FLOPS["Cube"]


def test_every_op_of_the_project_has_a_count():
    import importlib
    import inspect
    modules = ["autograd.ops.elementwise", "autograd.ops.reduce", "autograd.ops.shape", "autograd.ops.linalg",
               "autograd.value", "nn.functional.activation", "nn.functional.linear", "nn.functional.loss",
               "nn.functional.conv", "nn.functional.pooling", "nn.functional.normalization",
               "nn.functional.embedding", "nn.attention", "autograd.inplace"]
    ops = set()
    for name in modules:
        module = importlib.import_module(name)
        ops |= {cls.__name__ for _, cls in inspect.getmembers(module, inspect.isclass)
                if issubclass(cls, Function) and cls is not Function and cls.__module__ == name}
    assert "MatMul" in ops and "Convolution" in ops
    assert sorted(ops - set(profiler.FLOPS)) == []


# --- observing costs nothing afterwards -------------------------------------------------------------------------------
def test_profile_removes_its_observer_even_when_the_block_raises():
    assert _state.observers == ()
    with pytest.raises(ZeroDivisionError):
        with ag.profile():
            assert len(_state.observers) == 1
            1 / 0
    assert _state.observers == ()


def test_a_profile_records_only_the_ops_of_its_own_thread():
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        with ag.profile() as other:
            inside.set()
            done.wait(timeout=30)
            randn(2, 2) @ randn(2, 2)
        seen["ops"] = [e.op for e in other.events]

    thread = threading.Thread(target=other_thread)
    thread.start()
    assert inside.wait(timeout=30)
    try:
        with ag.profile() as prof:
            (randn(3, requires_grad=True).exp()).sum().backward()
    finally:
        done.set()
        thread.join(timeout=30)
    assert [(e.op, e.phase) for e in prof.events] == [("Exp", "forward"), ("Sum", "forward"), ("Sum", "backward"),
                                                      ("Exp", "backward")]
    assert seen["ops"] == ["MatMul"]


def test_one_profile_cannot_record_two_threads_at_once():
    prof, entered, done = ag.profile(), threading.Event(), threading.Event()

    def record():
        with prof:
            entered.set()
            done.wait(timeout=30)

    thread = threading.Thread(target=record)
    thread.start()
    assert entered.wait(timeout=30)
    try:
        with pytest.raises(RuntimeError, match="already recording"):
            with prof:
                pass
        assert _state.observers == ()
    finally:
        done.set()
        thread.join(timeout=30)


def test_two_profiles_record_the_same_ops_and_one_cannot_be_entered_twice():
    x = randn(3, 3)
    with ag.profile() as outer:
        with ag.profile() as inner:
            x @ x
        with pytest.raises(RuntimeError, match="already recording"):
            with outer:
                pass
    assert outer.flops() == inner.flops() == 2 * 27
