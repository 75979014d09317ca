"""PyTorch habits (x.sum(dim=1), x.view(...), x.size()) get an error naming numpy's name to use here, and ordinary
numpy-named calls behave exactly as before."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor
from autograd.pytorch_names import KEYWORDS, NAMES


def x() -> Tensor:
    return Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)


KEYWORD_CASES = [
    # (name, call, message pattern)
    ("sum dim", lambda: x().sum(dim=1),
     r"^Tensor\.sum takes numpy's axis=, not PyTorch's dim=: write axis=1 in place of dim=1$"),
    ("sum dim keepdim", lambda: x().sum(dim=1, keepdim=True),
     r"^Tensor\.sum takes numpy's axis= and keepdims=, not PyTorch's dim= and keepdim=: write axis=1, keepdims=True in "
     r"place of dim=1, keepdim=True$"),
    ("mean keepdim", lambda: x().mean(0, keepdim=True),
     r"^Tensor\.mean takes numpy's keepdims=, not PyTorch's keepdim=: write keepdims=True in place of keepdim=True$"),
    ("max dim", lambda: x().max(dim=0), r"^Tensor\.max takes numpy's axis=, not PyTorch's dim="),
    ("min dim", lambda: x().min(dim=-1), r"^Tensor\.min takes numpy's axis=, not PyTorch's dim=: write axis=-1"),
    ("logsumexp dim", lambda: x().logsumexp(dim=1), r"^Tensor\.logsumexp takes numpy's axis=, not PyTorch's dim="),
    ("var unbiased", lambda: x().var(dim=0, unbiased=True),
     r"^Tensor\.var takes numpy's axis= and ddof=, not PyTorch's dim= and unbiased=: write axis=0, ddof=1 in place of "
     r"dim=0, unbiased=True$"),
    ("std correction", lambda: x().std(correction=0), r"^Tensor\.std takes numpy's ddof=, not PyTorch's correction=: "
                                                      r"write ddof=0 in place of correction=0$"),
    ("argmax dim", lambda: x().argmax(dim=1), r"^Tensor\.argmax takes numpy's axis=, not PyTorch's dim="),
    ("argmin keepdim, which it lacks", lambda: x().argmin(axis=1, keepdim=True),
     r"^Tensor\.argmin\(\) got an unexpected keyword argument 'keepdim'; it takes \(axis\) \(nor numpy's keepdims=\)$"),
    ("an unknown keyword", lambda: x().sum(axes=1),
     r"^Tensor\.sum\(\) got an unexpected keyword argument 'axes'; it takes \(axis, keepdims\)$"),
    ("concatenate dim", lambda: ag.concatenate([x(), x()], dim=1),
     r"^concatenate takes numpy's axis=, not PyTorch's dim=: write axis=1 in place of dim=1$"),
    ("stack dim", lambda: ag.stack([x(), x()], dim=0), r"^stack takes numpy's axis=, not PyTorch's dim="),
    ("F.softmax dim", lambda: F.softmax(x(), dim=1), r"^softmax takes numpy's axis=, not PyTorch's dim="),
    ("F.log_softmax dim", lambda: F.log_softmax(x(), dim=-1), r"^log_softmax takes numpy's axis=, not PyTorch's dim="),
    ("nn.Softmax dim", lambda: nn.Softmax(dim=1), r"^Softmax takes numpy's axis=, not PyTorch's dim=: write axis=1"),
]


@pytest.mark.parametrize("name, call, message", KEYWORD_CASES, ids=[c[0] for c in KEYWORD_CASES])
def test_pytorch_keyword_names_numpys(name, call, message):
    with pytest.raises(TypeError, match=message):
        call()


METHOD_CASES = [
    ("view", lambda t: t.view(4, 3), r"x\.reshape\(\.\.\.\)"),
    ("permute", lambda t: t.permute(1, 0), r"x\.transpose\(\.\.\.\)"),
    ("unsqueeze", lambda t: t.unsqueeze(0), r"x\.expand_dims\(axis\)"),
    ("dim", lambda t: t.dim(), r"x\.ndim"),
    ("numel", lambda t: t.numel(), r"x\.size \(numpy's name, a property: the number of elements\)"),
    ("to", lambda t: t.to("cuda"), r"x\.astype\(dtype\) for a dtype; there are no devices"),
    ("cpu", lambda t: t.cpu(), r"x itself: .*, so drop \.cpu\(\)"),
    ("cuda", lambda t: t.cuda(), r"x itself: .*, so drop \.cuda\(\)"),
]


@pytest.mark.parametrize("name, call, hint", METHOD_CASES, ids=[c[0] for c in METHOD_CASES])
def test_pytorch_method_names_the_numpy_one(name, call, hint):
    with pytest.raises(AttributeError, match=rf"^Tensor has no \.{name} \(PyTorch's name\); use {hint}"):
        call(x())
    assert not hasattr(x(), name)  # still a missing attribute to hasattr and getattr(..., default)


def test_every_pytorch_name_in_the_table_is_answered_on_tensor():
    assert sorted(NAMES) == sorted(c[0] for c in METHOD_CASES)
    assert {"dim", "keepdim"} <= set(KEYWORDS)


def test_size_is_numpys_element_count_and_calling_it_points_to_shape():
    t = x()
    assert t.size == 12 and isinstance(t.size, int) and t.size + 1 == 13 and repr(t.size) == "12"
    message = (r"^Tensor\.size is numpy's element count \(12\), an int, not PyTorch's size\(\); use x\.shape for the "
               r"length of every axis and x\.shape\[d\] for that of axis d$")
    with pytest.raises(TypeError, match=message):
        t.size()
    with pytest.raises(TypeError, match=r"x\.shape\[1\] for that of axis 1$"):
        t.size(1)


def test_autograd_cat_names_concatenate():
    with pytest.raises(AttributeError, match=r"^module 'autograd' has no attribute 'cat' \(PyTorch's name\); use "
                                             r"autograd\.concatenate\(tensors, axis=\.\.\.\)"):
        ag.cat([x(), x()])
    with pytest.raises(AttributeError, match=r"^module 'autograd' has no attribute 'nothing_of_the_kind'$"):
        ag.nothing_of_the_kind


def test_numpy_names_work_as_before():
    t = x()
    np.testing.assert_array_equal(t.sum(axis=1, keepdims=True).data, [[6.0], [22.0], [38.0]])
    np.testing.assert_array_equal(t.var(axis=0, ddof=1).data, np.var(t.data, axis=0, ddof=1))
    np.testing.assert_array_equal(t.argmax(axis=1).data, [3, 3, 3])
    assert ag.concatenate([t, t], axis=1).shape == (3, 8) and ag.stack([t, t], axis=0).shape == (2, 3, 4)
    np.testing.assert_allclose(F.softmax(t, axis=0).data.sum(axis=0), np.ones(4))
    assert nn.Softmax(axis=0).axis == 0
