"""Memory: a dropped graph leaves nothing behind, graphs hold no reference cycles, long training does not grow, and
two threads can train at once. (Saved data freed by backward and per-thread grad mode: test_engine.py and
test_grad_mode.py.)"""
from __future__ import annotations

import gc
import sys
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd.function import Node


def _mlp_params(rng, sizes=(8, 16, 3), dtype=np.float64):
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append(ag.Tensor(rng.standard_normal((n_in, n_out)) * 0.3, requires_grad=True, dtype=dtype))
        params.append(ag.Tensor(np.zeros(n_out), requires_grad=True, dtype=dtype))
    return params


def _loss(params, x, labels):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = h.tanh()
    return (h.logsumexp(axis=1) - h[np.arange(len(labels)), labels]).mean()


def _train(params, x, labels, steps, lr=0.1):
    for _ in range(steps):
        loss = _loss(params, x, labels)
        for p in params:
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.data -= lr * p.grad.data


def test_dropping_the_loss_frees_every_node_and_array_without_gc():
    gc.disable()
    try:
        rng = np.random.default_rng(0)
        params = _mlp_params(rng)
        loss = _loss(params, ag.Tensor(rng.standard_normal((5, 8))), np.array([0, 1, 2, 0, 1]))
        nodes = [weakref.ref(n) for n in ag.engine.topological_order([loss.grad_fn])]
        arrays = [weakref.ref(n.inputs[0].data) for n in ag.engine.topological_order([loss.grad_fn])
                  if isinstance(n.inputs[0], ag.Tensor) and n.inputs[0].grad_fn is not None]
        loss.backward()
        del loss
        assert all(r() is None for r in nodes)  # reference counting alone freed them: no cycles
        assert all(r() is None for r in arrays)
    finally:
        gc.enable()


def test_training_step_leaves_no_cyclic_garbage_of_engine_types():
    rng = np.random.default_rng(1)
    params = _mlp_params(rng)
    x, labels = ag.Tensor(rng.standard_normal((6, 8))), np.array([0, 1, 2, 0, 1, 2])
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            loss = _loss(params, x, labels)
            loss.backward(create_graph=False)
            g, = ag.grad((params[0] * params[0]).sum(), params[0], create_graph=True)  # a higher-order graph too
            g.sum().backward()
            del loss, g
        gc.collect()
        leaked = [o for o in gc.garbage if isinstance(o, (Node, ag.Tensor, ag.Value))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert leaked == []


def test_two_thousand_steps_keep_memory_flat():
    rng = np.random.default_rng(2)
    params = _mlp_params(rng, sizes=(16, 32, 4), dtype=np.float32)
    x = ag.Tensor(rng.standard_normal((32, 16)).astype(np.float32))
    labels = rng.integers(0, 4, 32)
    _train(params, x, labels, 1000, lr=0.01)  # warm-up: Python's free lists and numpy's caches fill, then stop growing
    gc.collect()
    blocks = sys.getallocatedblocks()
    _train(params, x, labels, 1000, lr=0.01)
    gc.collect()
    # keeping even one object per step (an array, a node, a tuple) would add 1,000 blocks
    assert sys.getallocatedblocks() - blocks < 200


def test_a_dropped_graph_gives_back_its_memory():
    rng = np.random.default_rng(3)
    params = _mlp_params(rng, sizes=(64, 128, 10))
    x, labels = ag.Tensor(rng.standard_normal((256, 64))), rng.integers(0, 10, 256)
    _loss(params, x, labels).backward()  # warm-up
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        loss = _loss(params, x, labels)
        held, _ = tracemalloc.get_traced_memory()
        loss.backward()
        del loss
        for p in params:
            p.grad = None
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held - before > 256 * 128 * 8  # the graph held its activations (at least one (256, 128) float64 array)
    assert after - before < 4 * 1024  # and every byte of them came back


def test_two_threads_training_two_models_get_correct_gradients():
    rng = np.random.default_rng(0)
    data = [(ag.Tensor(rng.standard_normal((20, 8))), rng.integers(0, 3, 20)) for _ in range(2)]
    start = [_mlp_params(np.random.default_rng(10 + i)) for i in range(2)]
    threads = [threading.Thread(target=_train, args=(start[i], *data[i], 30)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):  # the same training run alone, in this thread, must give the same parameters
        alone = _mlp_params(np.random.default_rng(10 + i))
        _train(alone, *data[i], 30)
        for got, want in zip(start[i], alone):
            np.testing.assert_allclose(got.data, want.data, rtol=1e-12)


def test_held_losses_keep_the_graph_structure_not_the_activations():
    rng = np.random.default_rng(4)
    params = _mlp_params(rng, sizes=(64, 128, 128, 10), dtype=np.float32)
    x = ag.Tensor(rng.standard_normal((64, 64)).astype(np.float32))
    labels = rng.integers(0, 10, 64)
    activations = 64 * (128 * 4 + 10 * 2) * 4  # bytes of the float32 arrays one step computes
    losses = []
    tracemalloc.start()
    try:
        _train(params, x, labels, 1)  # warm-up: the parameters' .grad arrays exist from here on
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(20):
            loss = _loss(params, x, labels)
            for p in params:
                p.grad = None
            loss.backward()
            losses.append(loss)  # the learner's habit: keep every loss to plot later
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held / 20 < activations / 10  # a held loss keeps its Nodes and names, not its arrays


def test_a_freed_graph_keeps_shapes_and_refuses_the_freed_data():
    rng = np.random.default_rng(5)
    w = ag.Tensor(rng.standard_normal((8, 16)), requires_grad=True)
    x = ag.Tensor(rng.standard_normal((32, 8)))
    h = (x @ w).tanh()
    loss = h.sum()
    loss.backward()
    tanh_node = loss.grad_fn.inputs[0].grad_fn
    freed = loss.grad_fn.inputs[0]
    assert freed.shape == (32, 16) and freed.dtype == np.float64 and freed.size == 512
    assert tanh_node.name == "Tanh" and tanh_node.inputs[0].grad_fn.name == "MatMul"
    assert tanh_node.inputs[0].grad_fn.inputs[1] is w  # parameters stay themselves, with their .grad
    with pytest.raises(ag.GraphFreedError, match="retain_graph=True"):
        freed.data
    assert h.data.shape == (32, 16)  # what the user holds keeps its data


def test_retain_graph_keeps_the_inputs_whole():
    rng = np.random.default_rng(6)
    w = ag.Tensor(rng.standard_normal((8, 16)), requires_grad=True)
    h = ag.Tensor(rng.standard_normal((32, 8))) @ w
    loss = h.tanh().sum()
    loss.backward(retain_graph=True)
    assert loss.grad_fn.inputs[0].grad_fn.inputs[0] is h
    first = w.grad.data.copy()
    loss.backward()  # a second pass needs the arrays
    np.testing.assert_allclose(w.grad.data, 2 * first)
