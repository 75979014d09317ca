"""User mistakes give one clear sentence naming the operation, what it expected, what it got and the fix; each test
asserts the message (and the error class: the project's subclasses of ValueError/TypeError/RuntimeError)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import autograd as ag
from autograd import BackwardError, DTypeError, GraphFreedError, ShapeError, Tensor, Value


def t(*shape) -> Tensor:
    return Tensor(np.ones(shape), requires_grad=True)


CASES = [
    # (name, call, error class, message pattern)
    ("matmul inner dimensions", lambda: t(3, 4) @ t(5, 2), ShapeError,
     r"^matmul: shapes \(3, 4\) and \(5, 2\) are not aligned: 4 \(dim 1\) != 5 \(dim 0\)$"),
    ("matmul matrix-vector", lambda: t(3, 4) @ t(5), ShapeError,
     r"^matmul: shapes \(3, 4\) and \(5,\) are not aligned: 4 \(dim 1\) != 5 \(dim 0\)$"),
    ("matmul vector-matrix", lambda: ag.matmul(t(3), t(5, 2)), ShapeError,
     r"^matmul: shapes \(3,\) and \(5, 2\) are not aligned: 3 \(dim 0\) != 5 \(dim 0\)$"),
    ("matmul batch", lambda: t(2, 3, 4) @ t(3, 4, 2), ShapeError,
     r"^matmul: batch dimensions \(2,\) and \(3,\) of shapes \(2, 3, 4\) and \(3, 4, 2\) do not broadcast"),
    ("matmul scalar", lambda: Tensor(np.ones(())) @ t(3), ShapeError,
     r"^matmul: both operands need at least 1 dimension, got shapes \(\) and \(3,\); use \* for scalars$"),
    ("add broadcast", lambda: t(3) + t(4), ShapeError,
     r"^add: shapes \(3,\) and \(4,\) cannot be broadcast together .*; reshape or expand_dims an operand"),
    ("mul broadcast with array", lambda: t(2, 3) * np.ones(4), ShapeError,
     r"^mul: shapes \(2, 3\) and \(4,\) cannot be broadcast together"),
    ("where broadcast", lambda: ag.where(np.ones(5, bool), t(3), 0.0), ShapeError,
     r"^where: shapes \(5,\), \(3,\) and \(\) cannot be broadcast together"),
    ("reshape size", lambda: t(2, 3).reshape(4, 2), ShapeError,
     r"^reshape: cannot reshape a Tensor of shape \(2, 3\) \(6 elements\) into shape \(4, 2\)$"),
    ("reshape two -1", lambda: t(2, 3).reshape(-1, -1), ShapeError,
     r"^reshape: can only use one -1 in the new shape \(-1, -1\)$"),
    ("transpose not a permutation", lambda: t(2, 3, 4).transpose(0, 0, 1), ShapeError,
     r"^transpose: axes \(0, 0, 1\) are not a permutation of the 3 axes of a Tensor of shape \(2, 3, 4\)$"),
    ("transpose out of range", lambda: t(2, 3, 4).transpose(0, 1, 5), ShapeError,
     r"^transpose: axes \(0, 1, 5\) are not a permutation"),
    ("transpose too few", lambda: t(2, 3, 4).transpose(1, 0), ShapeError,
     r"^transpose: axes \(1, 0\) are not a permutation"),
    ("swapaxes", lambda: t(2, 3).swapaxes(0, 2), ValueError,
     r"^swapaxes: axis 2 is out of bounds for a Tensor with 2 dimension\(s\); use -2 <= axis < 2$"),
    ("squeeze a long axis", lambda: t(1, 3, 1).squeeze(1), ShapeError,
     r"^squeeze: axis 1 has length 3, not 1, in a Tensor of shape \(1, 3, 1\)$"),
    ("squeeze axis out of range", lambda: t(1, 3).squeeze(4), ValueError,
     r"^squeeze: axis 4 is out of bounds for a Tensor with 2 dimension\(s\)"),
    ("expand_dims", lambda: t(2, 3).expand_dims(5), ValueError,
     r"^expand_dims: cannot insert axis 5 into a Tensor of shape \(2, 3\); the result has 3 dimensions, so each axis "
     r"must be an int with -3 <= axis < 3"),
    ("broadcast_to", lambda: t(2, 3).broadcast_to((3, 3)), ShapeError,
     r"^broadcast_to: cannot broadcast a Tensor of shape \(2, 3\) to shape \(3, 3\)$"),
    ("broadcast_to fewer dims", lambda: t(2, 3).broadcast_to((3,)), ShapeError,
     r"^broadcast_to: cannot broadcast a Tensor of shape \(2, 3\) to shape \(3,\)$"),
    ("concatenate shapes", lambda: ag.concatenate([t(2, 3), t(2, 4)]), ShapeError,
     r"^concatenate: shapes \[\(2, 3\), \(2, 4\)\] differ outside axis 0$"),
    ("concatenate axis", lambda: ag.concatenate([t(2, 3)], axis=2), ShapeError,
     r"^concatenate: axis 2 is out of bounds for Tensors with 2 dimension\(s\)$"),
    ("concatenate not a list", lambda: ag.concatenate(t(2, 3)), TypeError,
     r"^concatenate: expected a non-empty list or tuple of Tensors, got Tensor$"),
    ("stack shapes", lambda: ag.stack([t(2, 3), t(2, 4)]), ShapeError,
     r"^stack: all Tensors need the same shape, got \[\(2, 3\), \(2, 4\)\]$"),
    ("stack axis", lambda: ag.stack([t(2, 3)], axis=4), ShapeError,
     r"^stack: axis 4 is out of bounds for the 3-d result$"),
    ("stack empty", lambda: ag.stack([]), TypeError,
     r"^stack: expected a non-empty list or tuple of Tensors, got list$"),
    ("split unequal", lambda: ag.split(t(5, 3), 2), ShapeError,
     r"^split: cannot split a Tensor of shape \(5, 3\) by 2 along axis 0: array split does not result in an equal "
     r"division"),
    ("split axis", lambda: ag.split(t(5, 3), 2, axis=3), ValueError,
     r"^split: axis 3 is out of bounds for a Tensor with 2 dimension\(s\)"),
    ("pad width", lambda: ag.pad(t(2, 3), ((0, 1), (2, 0), (1, 1))), ShapeError,
     r"^pad: pad_width \(\(0, 1\), \(2, 0\), \(1, 1\)\) does not fit a Tensor of shape \(2, 3\); give one "
     r"\(before, after\) pair per axis$"),
    ("pad negative", lambda: ag.pad(t(2, 3), -1), ValueError, r"^pad: pad_width must be non-negative, got -1$"),
    ("getitem out of bounds", lambda: t(2, 3)[5], IndexError,
     r"^getitem: cannot index a Tensor of shape \(2, 3\) with 5: index 5 is out of bounds for axis 0 with size 2$"),
    ("getitem too many indices", lambda: t(2, 3)[0, 0, 0], IndexError,
     r"^getitem: cannot index a Tensor of shape \(2, 3\) with \(0, 0, 0\): too many indices"),
    ("getitem float", lambda: t(2, 3)[1.5], IndexError, r"^getitem: cannot index a Tensor of shape \(2, 3\) with 1.5"),
    ("getitem mask shape", lambda: t(2, 3)[np.array([True, False, True])], IndexError,
     r"^getitem: cannot index a Tensor of shape \(2, 3\) with array\(\[ True, False,  True\]\): boolean index did "
     r"not match"),
    ("sum axis", lambda: t(3).sum(axis=1), ValueError,
     r"^sum: axis 1 is out of bounds for a Tensor with 1 dimension\(s\); use -1 <= axis < 1$"),
    ("mean axis", lambda: t(3, 2).mean(axis=(0, 2)), ValueError, r"^mean: axis 2 is out of bounds"),
    ("max axis", lambda: t(3).max(axis=-2), ValueError, r"^max: axis -2 is out of bounds"),
    ("min axis", lambda: t(3).min(axis=1), ValueError, r"^min: axis 1 is out of bounds"),
    ("var axis", lambda: t(3).var(axis=1), ValueError, r"^var: axis 1 is out of bounds"),
    ("logsumexp axis", lambda: t(3).logsumexp(axis=2), ValueError, r"^logsumexp: axis 2 is out of bounds"),
    ("argmax axis", lambda: t(2, 3).argmax(axis=5), ValueError, r"^argmax: axis 5 is out of bounds"),
    ("repeated axis", lambda: t(3, 3).sum(axis=(0, 0)), ValueError, r"^sum: repeated axis in \(0, 0\)$"),
    ("max of empty", lambda: Tensor(np.ones(0), requires_grad=True).max(), ValueError,
     r"^max: cannot take the max of an empty Tensor of shape \(0,\)$"),
    ("item", lambda: t(2, 2).item(), ValueError,
     r"^item: only one-element Tensors can be converted to a Python number, got shape \(2, 2\)$"),
    ("integer requires grad", lambda: Tensor(np.arange(3), requires_grad=True), DTypeError,
     r"^Tensor: only float Tensors can require grad, got dtype int64; make it a float first"),
    ("non-numeric data", lambda: Tensor(["a", "b"]), DTypeError, r"^Tensor: cannot hold data of dtype <U1"),
    ("Tensor and string", lambda: t(2) + "a", TypeError, r"^cannot combine a Tensor with str"),
    ("Tensor and Value", lambda: t(2) * Value(1.0), TypeError,
     r"^cannot combine a Tensor with a Value; use Tensors throughout$"),
]


@pytest.mark.parametrize("name, call, error, message", CASES, ids=[c[0] for c in CASES])
def test_error_message(name, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_backward_on_non_scalar_without_grad():
    message = (r"^backward\(\) without grad= needs a 1-element output, got shape \(3, 4\); "
               r"call .sum\(\) first or pass grad=$")
    with pytest.raises(BackwardError, match=message):
        (t(3, 4) * 2).backward()


def test_backward_through_a_freed_graph():
    y = (t(2) * t(2)).sum()
    y.backward()
    with pytest.raises(GraphFreedError, match=r"already freed by a previous backward\(\); pass retain_graph=True to "
                                              r"the first backward\(\) to go through it again$"):
        y.backward()


def test_backward_of_something_that_needs_no_grad():
    with pytest.raises(BackwardError, match=r"^backward: this Tensor does not require grad .* create the leaves with "
                                            r"requires_grad=True$"):
        (Tensor(np.ones(2)) * 2).sum().backward()


def test_backward_with_a_grad_of_the_wrong_shape():
    with pytest.raises(ShapeError, match=r"^backward: grad has shape \(3,\) but the output has shape \(3, 4\); pass a "
                                         r"gradient of the output's shape$"):
        (t(3, 4) * 2).backward(np.ones(3))


def test_errors_are_also_the_builtin_kinds():
    assert issubclass(ShapeError, ValueError) and issubclass(DTypeError, TypeError)
    assert issubclass(BackwardError, RuntimeError) and issubclass(GraphFreedError, BackwardError)
    assert issubclass(ag.GradcheckError, RuntimeError)
    for cls in (ShapeError, DTypeError, BackwardError, GraphFreedError, ag.GradcheckError):
        assert issubclass(cls, ag.AutogradError)


def test_split_into_zero_sections_is_a_clear_error():
    with pytest.raises(ShapeError, match="split: .* the number of sections must be a whole number of at least 1"):
        ag.Tensor(np.ones(4)).split(0)


@pytest.mark.parametrize("fn, name", [(np.linalg.norm, "np.linalg.norm"), (np.linalg.det, "np.linalg.det"),
                                      (np.cumsum, "np.cumsum")])
def test_numpy_function_without_a_gradient_is_named_with_its_submodule(fn, name):
    with pytest.raises(TypeError, match=rf"^{re.escape(name)} has no gradient in autograd, and its input requires grad"):
        fn(t(3, 3))
