"""Shape ops (reshape, transpose, squeeze, expand_dims, broadcast_to, flatten, indexing, concatenate, stack, split,
pad): values against numpy and gradients against central differences, on hypothesis-drawn shapes and arguments."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor
from op_table import leaf, small_shapes, values

# Each case strategy draws a shape and the op's arguments, and returns (shape, fn on Tensors, ref on ndarrays).


@st.composite
def reshape_case(draw):
    shape = draw(small_shapes(max_dims=3))
    target = list(draw(st.permutations(shape)))
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    target = tuple(target)
    spread = draw(st.booleans())  # reshape(2, 3) and reshape((2, 3)) both work
    return shape, (lambda x: x.reshape(*target)) if spread else (lambda x: x.reshape(target)), \
        lambda a: a.reshape(target)


@st.composite
def transpose_case(draw):
    shape = draw(small_shapes(max_dims=4))
    ndim = len(shape)
    if draw(st.booleans()):
        return shape, lambda x: x.transpose(), lambda a: a.transpose()
    axes = tuple(a - ndim if draw(st.booleans()) else a for a in draw(st.permutations(range(ndim))))
    if draw(st.booleans()):
        return shape, lambda x: x.transpose(*axes), lambda a: a.transpose(axes)
    return shape, lambda x: x.transpose(axes), lambda a: a.transpose(axes)


@st.composite
def T_case(draw):
    return draw(small_shapes(max_dims=3)), lambda x: x.T, lambda a: a.T


@st.composite
def swapaxes_case(draw):
    shape = draw(small_shapes(min_dims=1, max_dims=3))
    i, j = draw(st.integers(-len(shape), len(shape) - 1)), draw(st.integers(-len(shape), len(shape) - 1))
    return shape, lambda x: x.swapaxes(i, j), lambda a: a.swapaxes(i, j)


@st.composite
def squeeze_case(draw):
    shape = draw(small_shapes(max_dims=4, max_side=2))
    ones = [i for i, n in enumerate(shape) if n == 1]
    if not ones or draw(st.booleans()):
        return shape, lambda x: x.squeeze(), lambda a: a.squeeze()
    axis = tuple(draw(st.lists(st.sampled_from(ones), min_size=1, unique=True)))
    if len(axis) == 1 and draw(st.booleans()):
        axis = axis[0] - len(shape)
    return shape, lambda x: x.squeeze(axis), lambda a: a.squeeze(axis)


@st.composite
def expand_dims_case(draw):
    shape = draw(small_shapes(max_dims=3))
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    return shape, lambda x: x.expand_dims(axis), lambda a: np.expand_dims(a, axis)


@st.composite
def broadcast_to_case(draw):
    target = draw(small_shapes(max_dims=3))
    keep = draw(st.integers(0, len(target)))  # drop leading axes, then set some sides to 1
    shape = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - keep:])
    return shape, lambda x: x.broadcast_to(target), lambda a: np.broadcast_to(a, target)


@st.composite
def flatten_case(draw):
    return draw(small_shapes(max_dims=3)), lambda x: x.flatten(), lambda a: a.flatten()


@st.composite
def basic_index_case(draw):
    shape = draw(small_shapes(max_dims=3))
    index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    return shape, lambda x: x[index], lambda a: a[index]


@st.composite
def integer_array_index_case(draw):
    shape = draw(small_shapes(min_dims=1, max_dims=3))
    # integer arrays repeat indices often: backward must add them up
    index = draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)))
    return shape, lambda x: x[index], lambda a: a[index]


@st.composite
def mixed_index_case(draw):
    shape = draw(small_shapes(min_dims=2, max_dims=3))
    rows = draw(hnp.arrays(np.intp, draw(st.integers(1, 4)), elements=st.integers(-shape[0], shape[0] - 1)))
    index = (rows, slice(None, None, -1)) if draw(st.booleans()) else (Ellipsis, rows % shape[-1])
    return shape, lambda x: x[index], lambda a: a[index]


@st.composite
def bool_mask_case(draw):
    shape = draw(small_shapes(min_dims=1, max_dims=3))
    mask = draw(hnp.arrays(np.bool_, shape))
    as_tensor = draw(st.booleans())
    return shape, (lambda x: x[Tensor(mask)]) if as_tensor else (lambda x: x[mask]), lambda a: a[mask]


@st.composite
def concatenate_case(draw):
    base = draw(small_shapes(min_dims=1, max_dims=3))
    axis = draw(st.integers(-len(base), len(base) - 1))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    pos = axis % len(base)
    shapes = [base[:pos] + (n,) + base[pos + 1:] for n in sizes]
    offsets = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    total = int(offsets[-1])

    def split_input(flat, to_array):
        return [to_array(flat[offsets[i]:offsets[i + 1]].reshape(s)) for i, s in enumerate(shapes)]

    # one flat input cut into the pieces, so the gradcheck covers every piece
    return (total,), lambda x: ag.concatenate(split_input(x, lambda t: t), axis=axis), \
        lambda a: np.concatenate(split_input(a, lambda t: t), axis=axis)


@st.composite
def stack_case(draw):
    base = draw(small_shapes(max_dims=2))
    count = draw(st.integers(1, 3))
    axis = draw(st.integers(-len(base) - 1, len(base)))
    return (count,) + base, lambda x: ag.stack([x[i] for i in range(count)], axis=axis), \
        lambda a: np.stack([a[i] for i in range(count)], axis=axis)


@st.composite
def split_case(draw):
    shape = draw(small_shapes(min_dims=1, max_dims=3, max_side=4))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    if draw(st.booleans()):
        sections: Any = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    else:
        sections = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    weights = [k + 1.0 for k in range(8)]  # a different weight per piece, so a piece sent to the wrong place shows

    def combine(pieces):
        return sum(((p * w) ** 2).sum() for p, w in zip(pieces, weights))

    return shape, lambda x: combine(ag.split(x, sections, axis=axis)), \
        lambda a: combine(np.split(a, sections, axis=axis))


@st.composite
def pad_case(draw):
    shape = draw(small_shapes(min_dims=1, max_dims=3))
    form = draw(st.sampled_from(["int", "pair", "per_axis"]))
    if form == "int":
        width: Any = draw(st.integers(0, 2))
    elif form == "pair":
        width = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    else:
        width = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape)
    value = draw(st.sampled_from([0.0, -1.5]))
    return shape, lambda x: ag.pad(x, width, constant_values=value), \
        lambda a: np.pad(a, width, mode="constant", constant_values=value)


CASES: dict[str, Callable[[], st.SearchStrategy]] = {
    "reshape": reshape_case, "transpose": transpose_case, "T": T_case, "swapaxes": swapaxes_case,
    "squeeze": squeeze_case, "expand_dims": expand_dims_case, "broadcast_to": broadcast_to_case,
    "flatten": flatten_case, "getitem_basic": basic_index_case, "getitem_integer_arrays": integer_array_index_case,
    "getitem_mixed": mixed_index_case, "getitem_bool_mask": bool_mask_case, "concatenate": concatenate_case,
    "stack": stack_case, "split": split_case, "pad": pad_case,
}


@pytest.mark.parametrize("name", CASES)
@given(data=st.data())
def test_shape_op_forward_matches_numpy(name, data):
    shape, fn, ref = data.draw(CASES[name]())
    x = data.draw(values(shape))
    out = fn(leaf(x))
    expected = ref(x)
    assert isinstance(out, Tensor) and out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=25)
@given(data=st.data())
def test_shape_op_gradcheck(name, data):
    shape, fn, _ = data.draw(CASES[name]())
    assert ag.gradcheck(fn, [leaf(data.draw(values(shape)))])


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=10)
@given(data=st.data())
def test_shape_op_gradgradcheck(name, data):
    shape, fn, _ = data.draw(CASES[name]())
    assert ag.gradgradcheck(fn, [leaf(data.draw(values(shape)))])


# --- hand-derived cases -------------------------------------------------------------------------------------------


def test_getitem_repeated_integer_indices_accumulate():
    x = Tensor(np.arange(4.0), requires_grad=True)
    (x[np.array([0, 0, 2, 0])] * Tensor(np.array([1.0, 2.0, 3.0, 4.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [7.0, 0.0, 3.0, 0.0])


def test_getitem_repeated_pairs_in_two_dimensions_accumulate():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    x[[1, 1, 0], [2, 2, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0, 1], [0, 0, 2]])


def test_getitem_with_python_list_and_integer_tensor_index():
    x = Tensor(np.array([10.0, 20.0, 30.0]), requires_grad=True)
    a = x[[2, 2]]
    b = x[Tensor(np.array([1, 2]))]
    np.testing.assert_array_equal(a.data, [30.0, 30.0])
    np.testing.assert_array_equal(b.data, [20.0, 30.0])
    (a.sum() + b.sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, 3.0])


def test_getitem_repeated_indices_second_derivative():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = (x[np.array([0, 0, 2])] ** 3).sum()  # x0**3 counted twice: d2y/dx0^2 = 2 * 6 x0
    (g,) = ag.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.data, [6.0, 0.0, 27.0])
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, [12.0, 0.0, 18.0])


def test_split_with_unused_outputs_sends_zeros_to_their_part():
    x = Tensor(np.arange(6.0), requires_grad=True)
    first, middle, last = ag.split(x, 3)
    (middle * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 2, 2, 0, 0])


def test_split_two_outputs_used_in_different_places():
    x = Tensor(np.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
    a, b = x.split(2)
    ((a * b).sum() + (a ** 2).sum()).backward()
    # d/da = b + 2a, d/db = a
    np.testing.assert_array_equal(x.grad.data, [3 + 2, 4 + 4, 1, 2])


def test_concatenate_gradient_is_sliced_back_into_blocks():
    a = Tensor(np.zeros((2, 1)), requires_grad=True)
    b = Tensor(np.zeros((2, 2)), requires_grad=True)
    out = ag.concatenate([a, b], axis=1)
    (out * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [[0.0], [3.0]])
    np.testing.assert_array_equal(b.grad.data, [[1.0, 2.0], [4.0, 5.0]])


def test_concatenate_accepts_arrays_mixed_with_tensors():
    a = Tensor(np.ones(2), requires_grad=True)
    out = ag.concatenate([a, np.zeros(1)])
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(a.grad.data, [1.0, 1.0])


def test_stack_gradient_goes_to_each_input():
    a = Tensor(np.zeros(3), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    out = ag.stack([a, b], axis=1)
    assert out.shape == (3, 2)
    (out * Tensor(np.array([[1.0, 2.0]]))).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0, 2.0])


def test_pad_gradient_is_cropped_back():
    x = Tensor(np.ones((1, 2)), requires_grad=True)
    out = x.pad(((1, 0), (0, 1)), constant_values=7.0)
    np.testing.assert_array_equal(out.data, [[7, 7, 7], [1, 1, 7]])
    (out * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[3.0, 4.0]])


def test_broadcast_to_gradient_sums_over_new_and_stretched_axes():
    x = Tensor(np.zeros((3, 1)), requires_grad=True)
    x.broadcast_to((2, 3, 4)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((3, 1), 8.0))


def test_transpose_without_arguments_reverses_axes_like_numpy():
    x = Tensor(np.zeros((2, 3, 4)), requires_grad=True)
    assert x.transpose().shape == (4, 3, 2) and x.T.shape == (4, 3, 2)
    y = x.transpose(1, 2, 0)
    assert y.shape == (3, 4, 2)
    (y * Tensor(np.arange(24.0).reshape(3, 4, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.arange(24.0).reshape(3, 4, 2).transpose(2, 0, 1))


def test_reshape_to_same_shape_and_back_keeps_gradient():
    x = Tensor(np.arange(6.0), requires_grad=True)
    (x.reshape(2, 3).reshape((3, 2)).reshape(-1) * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2 * np.arange(6.0))


def test_squeeze_and_expand_dims_shapes():
    x = Tensor(np.zeros((1, 3, 1)))
    assert x.squeeze().shape == (3,)
    assert x.squeeze(0).shape == (3, 1)
    assert x.squeeze(-1).shape == (1, 3)
    assert x.squeeze((0, 2)).shape == (3,)
    y = Tensor(np.zeros((2, 3)))
    assert y.expand_dims(0).shape == (1, 2, 3)
    assert y.expand_dims(-1).shape == (2, 3, 1)
    assert y.expand_dims((0, 2)).shape == (1, 2, 1, 3)


def test_split_points_may_be_numpy_integers_arrays_or_tensors():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert len(x.split(np.int64(3), axis=1)) == 3
    assert len(x.split(Tensor(np.array(3)), axis=1)) == 3
    assert [p.shape for p in x.split(Tensor(np.array([1])), axis=1)] == [(2, 1), (2, 2)]
    assert [p.shape for p in ag.split(x, np.array([1, 2]), axis=-1)] == [(2, 1), (2, 1), (2, 1)]
