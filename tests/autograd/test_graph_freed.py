"""A second pass through a freed graph: the error names the call that freed it (backward() or autograd.grad(), and
with which create_graph) and the fix, for Tensor and Value alike."""
from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
from autograd import GraphFreedError, Tensor, Value

BY_GRAD = re.escape("was already freed by an earlier autograd.grad() call (retain_graph defaults to create_graph, "
                    "which was False); pass retain_graph=True to that call to go through the graph again")


def test_backward_after_grad_names_the_grad_call_that_freed_the_graph():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    ag.grad(y, x)
    with pytest.raises(GraphFreedError, match=r"^backward: the graph through \w+ " + BY_GRAD + "$"):
        y.backward()


def test_double_backward_names_the_grad_call_that_freed_the_forward_graph():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x * x).sum()
    (g,) = ag.grad(y, x, create_graph=True)  # keeps the graph (retain_graph defaults to create_graph)
    (h,) = ag.grad(g.sum(), x)  # goes back through the forward ops too, and frees them
    np.testing.assert_allclose(h.data, 6 * x.data)  # d/dx sum(3 x**2) = 6 x
    with pytest.raises(GraphFreedError, match=r"^grad: the graph through \w+ " + BY_GRAD + "$"):
        ag.grad(g.sum(), x)


def test_grad_with_retain_graph_true_can_go_through_the_graph_again():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x * x).sum()
    (g,) = ag.grad(y, x, create_graph=True)
    first = ag.grad(g.sum(), x, retain_graph=True)[0].data
    np.testing.assert_allclose(ag.grad(g.sum(), x)[0].data, first)


def test_grad_with_create_graph_but_not_retain_graph_says_so():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    ag.grad(y, x, create_graph=True, retain_graph=False)
    with pytest.raises(GraphFreedError, match=r"^backward: the graph through \w+ " + re.escape(
            "was already freed by an earlier autograd.grad(create_graph=True, retain_graph=False) call; leave out "
            "retain_graph=False there (or pass True) to go through the graph again") + "$"):
        y.backward()


def test_value_graph_freed_by_grad_says_so_too():
    x = Value(3.0)
    y = x * x
    ag.grad(y, x)
    with pytest.raises(GraphFreedError, match=r"^backward: the graph through \w+ " + BY_GRAD + "$"):
        y.backward()


def test_a_custom_op_reading_saved_tensors_after_the_graph_was_freed_names_the_freeing_call():
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = x * x
    ag.grad(y.sum(), x)
    with pytest.raises(GraphFreedError, match=r"^Mul: the graph was already freed by an earlier autograd.grad\(\)"):
        y.grad_fn.saved_tensors
