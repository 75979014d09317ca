"""The engine: one backward walker for Value and Tensor. Reuse, diamonds, accumulation, retain_graph, freeing,
hooks, retain_grad, non-aliasing leaf gradients, float32 gradients, autograd.grad and very deep graphs."""
from __future__ import annotations

import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import BackwardError, Function, GraphFreedError, Tensor, Value


def leaf(data) -> Tensor:
    return Tensor(np.array(data, dtype=np.float64), requires_grad=True)


class CountedMul(Function):
    """z = a * b;  dz/da = b,  dz/db = a  (counts its backward calls)"""

    calls = 0

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.data * b.data

    @staticmethod
    def backward(ctx, grad):
        CountedMul.calls += 1
        a, b = ctx.saved_tensors
        return grad * b, grad * a


# --- graph shapes -------------------------------------------------------------------------------------------------


def test_reuse_x_times_x_gives_two_x():
    x = leaf([3.0, -1.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, -2.0])


def test_diamond_sums_both_paths_and_visits_each_node_once():
    a = leaf(2.0)
    b = a * 3.0
    c = a.exp()
    CountedMul.calls = 0
    d = CountedMul.apply(b, c)  # d = 3a e^a -> dd/da = 3 e^a (1 + a)
    e = d + d  # the shared node gets its gradient from two uses
    e.backward()
    assert CountedMul.calls == 1
    assert a.grad.item() == pytest.approx(2 * 3 * np.exp(2.0) * 3.0)


def test_value_diamond():
    a = Value(2.0)
    b, c = a * 3, a * a
    d = b * c  # 3 a^3 -> 9 a^2 = 36
    d.backward()
    assert a.grad == pytest.approx(36.0)
    assert b.grad == c.data and c.grad == b.data


def test_gradient_reaches_only_leaves_that_require_it():
    a, b = leaf(1.0), Tensor(np.array(2.0))
    (a * b).backward()
    assert a.grad.item() == 2.0 and b.grad is None


def test_backward_from_a_leaf_itself():
    x = leaf([1.0, 2.0])
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_backward_with_explicit_grad_for_non_scalar_output():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    (x * 2).backward(np.array([[1.0, 0.0], [0.0, 10.0]]))
    np.testing.assert_array_equal(x.grad.data, [[2.0, 0.0], [0.0, 20.0]])
    y = leaf([1.0, 2.0])
    (y ** 2).backward(Tensor(np.array([1.0, 1.0])))  # a Tensor as grad works too
    np.testing.assert_array_equal(y.grad.data, [2.0, 4.0])


# --- accumulation, retain_graph, freeing ---------------------------------------------------------------------------


def test_gradients_accumulate_across_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])


def test_retain_graph_allows_a_second_backward_which_accumulates():
    x = leaf(3.0)
    y = (x * x).exp() * 0 + x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(12.0)


def test_second_backward_through_freed_graph_says_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(GraphFreedError, match=r"already freed by a previous backward\(\); pass retain_graph=True"):
        y.backward()


def test_backward_frees_what_forward_saved():
    made = []

    class SaveTemp(Function):
        """y = 2 x;  dy/dx = 2  (keeps a scratch array alive until backward)"""

        @staticmethod
        def forward(ctx, x):
            two = np.full(x.data.shape, 2.0)
            made.append(weakref.ref(two))
            ctx.save_for_backward(two)
            return 2 * x.data

        @staticmethod
        def backward(ctx, grad):
            (two,) = ctx.saved_tensors
            return grad * two

    x = leaf([1.0])
    y = SaveTemp.apply(x)
    scratch = made[0]
    y.backward(retain_graph=True)
    assert scratch() is not None  # kept for another pass
    y.backward()
    assert scratch() is None  # released, while y itself is still alive
    assert y.grad_fn._saved is None and y.grad_fn.name == "SaveTemp"  # the graph's structure stays, for drawings
    assert x.grad.item() == 4.0


def test_dropping_the_output_frees_the_graph_without_the_cycle_collector():
    import gc

    gc.disable()
    try:
        x = leaf([1.0, 2.0])
        h = x * 2
        watch = weakref.ref(h)
        node = weakref.ref(h.grad_fn)
        y = (h.tanh() * h).sum()
        del h
        assert watch() is not None  # the graph of y still holds it
        del y
        assert watch() is None and node() is None
    finally:
        gc.enable()


# --- leaf gradients never alias -------------------------------------------------------------------------------------


def test_two_leaves_fed_by_one_add_do_not_share_gradient_arrays():
    a, b = leaf([1.0, 1.0]), leaf([1.0, 1.0])
    (a + b).backward(np.ones(2))
    a.grad.data += 100
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])


def test_leaf_gradients_through_add_then_mul_do_not_alias():
    a, b = leaf([1.0, 1.0]), leaf([1.0, 1.0])
    ((a + b) * Tensor(np.array([2.0, 3.0]))).sum().backward()
    b.grad.data[0] = -7.0
    np.testing.assert_array_equal(a.grad.data, [2.0, 3.0])


def test_leaf_gradient_does_not_alias_the_given_grad_or_a_view():
    g = np.ones(3)
    x = leaf([1.0, 2.0, 3.0])
    x.backward(g)
    x.grad.data += 1
    np.testing.assert_array_equal(g, [1.0, 1.0, 1.0])
    y = leaf([1.0, 2.0, 3.0, 4.0])
    z = leaf([1.0, 2.0, 3.0, 4.0])
    (y.reshape(2, 2) + z.reshape(2, 2)).sum().backward()
    y.grad.data *= 0
    np.testing.assert_array_equal(z.grad.data, [1.0, 1.0, 1.0, 1.0])


def test_leaf_used_twice_gets_its_own_gradient_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    z = a + b
    w = z + a  # a is used twice; every Add hands the same upstream array to both of its inputs
    w.backward(np.ones(2))
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])
    a.grad.data[0] = 100.0
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])
    b.grad.data[1] = -100.0
    np.testing.assert_array_equal(a.grad.data, [100.0, 2.0])


def test_retained_grad_does_not_alias_the_leaf_grad():
    x = leaf([1.0, 2.0])
    y = x + 0.0
    y.retain_grad()
    y.backward(np.array([1.0, 1.0]))
    x.grad.data += 5
    np.testing.assert_array_equal(y.grad.data, [1.0, 1.0])


# --- retain_grad and hooks ---------------------------------------------------------------------------------------


def test_non_leaf_grad_is_none_unless_retained():
    x = leaf([1.0, 2.0])
    y = x * 3
    z = y * y
    w = z.sum()
    z.retain_grad()
    w.backward()
    assert y.grad is None
    np.testing.assert_array_equal(z.grad.data, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, 18 * np.array([1.0, 2.0]))


def test_retain_grad_on_outputs_of_a_multi_output_op():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    a, b = ag.split(x, 2)
    a.retain_grad()
    b.retain_grad()
    (a * 5).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [5.0, 5.0])
    np.testing.assert_array_equal(b.grad.data, [0.0, 0.0])


def test_leaf_hook_replaces_gradient_and_remover_removes_it():
    x = leaf([1.0, 2.0])
    remove = x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [20.0, 20.0])
    remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_non_leaf_hook_replaces_gradient_flowing_further_and_remover_removes_it():
    x = leaf([1.0, 2.0])
    y = x * 2
    remove = y.register_hook(lambda g: g * 0 + 5)
    y.retain_grad()
    (y * 3).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [5.0, 5.0])  # the retained gradient is the replaced one
    np.testing.assert_array_equal(x.grad.data, [10.0, 10.0])
    remove()
    x.grad = None
    y2 = x * 2
    (y2 * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])


def test_hook_returning_none_only_observes():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    (x * 4).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])
    assert len(seen) == 1 and np.array_equal(seen[0], [4.0, 4.0])


def test_leaf_hook_sees_the_whole_gradient_once():
    x = leaf([0.8])
    seen = []
    x.register_hook(lambda g: (seen.append(g.item()), g.clip(-1.0, 1.0))[1])
    (x * 1.0 + x * 1.0).sum().backward()  # two paths of 1 each: the hook clips their sum 2, not each 1
    assert seen == [2.0]
    assert x.grad.item() == 1.0


def test_leaf_hook_also_applies_to_autograd_grad():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 10)
    (g,) = ag.grad((x * x).sum(), x)
    np.testing.assert_array_equal(g.data, [20.0, 40.0])
    assert x.grad is None


def test_register_hook_needs_requires_grad():
    with pytest.raises(BackwardError, match="register_hook: this Tensor does not require grad"):
        Tensor([1.0]).register_hook(lambda g: g)


# --- dtypes ----------------------------------------------------------------------------------------------------------


def test_float32_in_float32_gradients_through_a_small_network():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32))
    W = Tensor(rng.standard_normal((3, 5)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(5, np.float32), requires_grad=True)
    logits = (x @ W + b).tanh() * 2.0 - 1
    loss = (logits.logsumexp(axis=1) - logits[np.arange(4), [0, 1, 2, 3]]).mean() + 0.01 * (W ** 2).sum()
    loss.backward()
    assert loss.dtype == np.float32
    assert W.grad.dtype == np.float32 and b.grad.dtype == np.float32


# --- autograd.grad ---------------------------------------------------------------------------------------------------


def test_grad_returns_a_tuple_and_touches_no_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    h = x * w
    h.retain_grad()
    out = (h * h).sum()
    gx, gw = ag.grad(out, [x, w])
    np.testing.assert_array_equal(gx.data, 2 * np.array([3.0, 8.0]) * np.array([3.0, 4.0]))
    np.testing.assert_array_equal(gw.data, 2 * np.array([3.0, 8.0]) * np.array([1.0, 2.0]))
    assert x.grad is None and w.grad is None and h.grad is None
    assert isinstance(ag.grad((x * 2).sum(), x, retain_graph=True), tuple)


def test_grad_with_respect_to_an_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 3
    out = (h ** 2).sum()
    gh, gx = ag.grad(out, [h, x])
    np.testing.assert_array_equal(gh.data, [6.0, 12.0])
    np.testing.assert_array_equal(gx.data, [18.0, 36.0])


def test_grad_with_grad_outputs_and_several_outputs():
    x = leaf([1.0, 2.0])
    y1, y2 = x * 2, x ** 2
    (g,) = ag.grad([y1, y2], x, grad_outputs=[np.array([1.0, 0.0]), np.array([0.0, 1.0])])
    np.testing.assert_array_equal(g.data, [2.0, 4.0])


def test_grad_unused_input_raises_unless_allowed():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(BackwardError, match=r"grad: input 1 was not used .* allow_unused=True"):
        ag.grad((x * 2).sum(), [x, unused], retain_graph=True)
    gx, gu = ag.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_grad_frees_the_graph_unless_retained_or_creating_one():
    x = leaf([1.0])
    y = (x * x).sum()
    ag.grad(y, x)
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        ag.grad(y, x)
    z = (x * x).sum()
    ag.grad(z, x, create_graph=True)  # retain_graph defaults to create_graph
    (g,) = ag.grad(z, x)
    assert g.item() == 2.0


def test_grad_argument_errors():
    x = leaf([1.0])
    with pytest.raises(BackwardError, match=r"grad: input 0 does not require grad"):
        ag.grad((x * 2).sum(), Tensor([1.0]))
    with pytest.raises(BackwardError, match=r"grad: output 0 does not require grad"):
        ag.grad(Tensor([1.0]), x)
    with pytest.raises(ValueError, match=r"grad: got 1 grad_outputs for 2 outputs"):
        ag.grad([x * 2, x * 3], x, grad_outputs=[np.ones(1)])


# --- deep graphs: the walk is iterative ----------------------------------------------------------------------------

DEPTH = 200_000


def test_value_chain_of_200000_nodes_backprops_without_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(DEPTH):
        y = y * 1.00001
    y.backward()
    assert x.grad == pytest.approx(1.00001 ** DEPTH, rel=1e-9)


def test_tensor_chain_of_200000_nodes_backprops_without_recursion_error():
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(DEPTH):
        y = y * 1.00001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.00001 ** DEPTH] * 2, rtol=1e-9)
    del y  # dropping a 200,000-node graph must not overflow the stack either


def test_hook_result_keeps_the_gradient_dtype_and_must_keep_its_shape():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    x.register_hook(lambda g: g.data.astype(np.float64) * 2)
    (x * 2).sum().backward()
    assert x.grad.dtype == np.float32 and np.array_equal(x.grad.data, [4.0, 4.0])

    def widen(g):
        return np.ones(3)

    for make in (lambda t: t, lambda t: t * 2):  # on a leaf and on a non-leaf
        y = Tensor(np.ones(2), requires_grad=True)
        target = make(y)
        target.register_hook(widen)
        with pytest.raises(BackwardError, match=r"register_hook: the hook widen returned a gradient of shape \(3,\) in "
                                                r"place of one of shape \(2,\); a hook must keep the shape"):
            (target * 2).sum().backward()
