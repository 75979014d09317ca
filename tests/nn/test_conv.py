"""Convolution and pooling: gradchecks, composite twins built from ordinary Tensor ops, hand-computed cases, ties,
layers and their errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
import nn.functional as F
from autograd import Tensor, concatenate, gradcheck, gradgradcheck
from autograd.errors import ShapeError


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


# --- composite twins: the same maths written with pad, slicing, matmul and reductions -------------------------------
def windows(x, kernel, stride, padding, fill=0.0):
    """Every kernel offset's slice of the padded input: a list of (N, C, OH, OW) Tensors."""
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(padding)
    OH, OW = out_size(x.shape[2], kh, sh, ph), out_size(x.shape[3], kw, sw, pw)
    xp = x.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    return [xp[:, :, i:i + sh * OH:sh, j:j + sw * OW:sw] for i in range(kh) for j in range(kw)]


def conv2d_twin(x, w, b=None, stride=1, padding=0):
    O, C, kh, kw = w.shape
    out = None
    for k, patch in enumerate(windows(x, (kh, kw), stride, padding)):
        term = patch.transpose(0, 2, 3, 1) @ w[:, :, k // kw, k % kw].T  # (N, OH, OW, O)
        out = term if out is None else out + term
    out = out.transpose(0, 3, 1, 2)
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def max_pool_twin(x, kernel, stride=None, padding=0):
    parts = windows(x, kernel, kernel if stride is None else stride, padding, fill=-np.inf)
    return concatenate([p.expand_dims(0) for p in parts], axis=0).max(axis=0)


def avg_pool_twin(x, kernel, stride=None, padding=0):
    parts = windows(x, kernel, kernel if stride is None else stride, padding)
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total / len(parts)


def grads_of(fn, inputs, seed_grad):
    for t in inputs:
        t.grad = None
    out = fn(*inputs)
    out.backward(seed_grad)
    return out.data, [t.grad.data for t in inputs]


def leaf(rng, *shape):
    return Tensor(rng.standard_normal(shape), requires_grad=True)


@st.composite
def conv_cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H = draw(st.integers(max(1, kh - 2 * ph), 7))
    W = draw(st.integers(max(1, kw - 2 * pw), 7))
    return dict(N=draw(st.integers(1, 2)), C=draw(st.integers(1, 3)), O=draw(st.integers(1, 3)), H=H, W=W,
                kernel=(kh, kw), stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))), padding=(ph, pw),
                bias=draw(st.booleans()), seed=draw(st.integers(0, 2 ** 16)))


# --- conv2d ---------------------------------------------------------------------------------------------------------
@given(conv_cases())
def test_conv2d_matches_twin_values_and_gradients(case):
    rng = np.random.default_rng(case["seed"])
    x = leaf(rng, case["N"], case["C"], case["H"], case["W"])
    w = leaf(rng, case["O"], case["C"], *case["kernel"])
    b = leaf(rng, case["O"]) if case["bias"] else None
    inputs = [t for t in (x, w, b) if t is not None]
    args = dict(stride=case["stride"], padding=case["padding"])
    shape = F.conv2d(x, w, b, **args).shape
    seed_grad = rng.standard_normal(shape)
    got, got_grads = grads_of(lambda *t: F.conv2d(t[0], t[1], t[2] if b is not None else None, **args), inputs,
                              seed_grad)
    want, want_grads = grads_of(lambda *t: conv2d_twin(t[0], t[1], t[2] if b is not None else None, **args), inputs,
                                seed_grad)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    for g, h in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("stride, padding, kernel", [(1, 0, (3, 3)), (2, 1, (3, 3)), ((2, 1), (0, 1), (2, 3)),
                                                     (3, 2, (2, 2))])
def test_conv2d_gradcheck(stride, padding, kernel):
    rng = np.random.default_rng(1)
    x, w, b = leaf(rng, 2, 2, 5, 6), leaf(rng, 3, 2, *kernel), leaf(rng, 3)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding), (x, w, b))


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, 0)])
def test_conv2d_second_derivatives_gradgradcheck(stride, padding):
    rng = np.random.default_rng(2)
    x, w, b = leaf(rng, 1, 2, 4, 5), leaf(rng, 2, 2, 2, 3), leaf(rng, 2)
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding), (x, w, b))


def test_conv2d_hand_computed_sums_of_windows():
    x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    w = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    y = F.conv2d(x, w, Tensor(np.array([10.0])))
    # windows [[0,1],[3,4]], [[1,2],[4,5]], [[3,4],[6,7]], [[4,5],[7,8]] summed, plus 10
    np.testing.assert_array_equal(y.data, [[[[18.0, 22.0], [30.0, 34.0]]]])
    y.sum().backward()
    # dL/dw[i, j] is the sum of the input pixels that offset (i, j) touches
    np.testing.assert_array_equal(w.grad.data, [[[[8.0, 12.0], [20.0, 24.0]]]])
    # each pixel counts once per window it lies in: corners 1, edges 2, centre 4
    np.testing.assert_array_equal(x.grad.data, [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]])


def test_conv2d_stride_skips_pixels_no_window_reaches():
    x = Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    F.conv2d(x, Tensor(np.ones((1, 1, 1, 1))), stride=3).sum().backward()
    expected = np.zeros((4, 4))
    expected[::3, ::3] = 1
    np.testing.assert_array_equal(x.grad.data[0, 0], expected)


def test_conv2d_of_a_non_contiguous_view_equals_conv2d_of_a_copy():
    rng = np.random.default_rng(10)
    x = Tensor(rng.standard_normal((2, 3, 7, 6)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 3, 3, 3)))
    view = x.transpose(0, 1, 3, 2)  # (2, 3, 6, 7), strided
    assert not view.data.flags.c_contiguous
    copy = Tensor(np.ascontiguousarray(view.data))
    np.testing.assert_allclose(F.conv2d(view, w, stride=2).data, F.conv2d(copy, w, stride=2).data, rtol=1e-12)
    np.testing.assert_allclose(F.max_pool2d(view, 2).data, F.max_pool2d(copy, 2).data, rtol=1e-12)


def test_conv2d_keeps_float32():
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    y = conv(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and conv.weight.grad.dtype == np.float32


def test_conv2d_node_carries_kernel_stride_padding():
    x = Tensor(np.ones((1, 1, 5, 5)), requires_grad=True)
    node = F.conv2d(x, Tensor(np.ones((2, 1, 3, 2))), stride=2, padding=1).grad_fn
    assert (tuple(node.kernel_size), node.stride, node.padding) == ((3, 2), (2, 2), (1, 1))


# --- pooling --------------------------------------------------------------------------------------------------------
@given(conv_cases())
def test_pools_match_twins_values_and_gradients(case):
    rng = np.random.default_rng(case["seed"])
    kernel = case["kernel"]
    padding = tuple(min(p, k // 2) for p, k in zip(case["padding"], kernel))
    if case["H"] + 2 * padding[0] < kernel[0] or case["W"] + 2 * padding[1] < kernel[1]:
        return
    # distinct values: a tie would make the twin split the gradient where max_pool2d picks one element
    values = rng.permutation(case["N"] * case["C"] * case["H"] * case["W"]).astype(np.float64)
    x = Tensor(values.reshape(case["N"], case["C"], case["H"], case["W"]), requires_grad=True)
    for pool, twin in ((F.max_pool2d, max_pool_twin), (F.avg_pool2d, avg_pool_twin)):
        shape = pool(x, kernel, case["stride"], padding).shape
        seed_grad = rng.standard_normal(shape)
        got, (gx,) = grads_of(lambda t: pool(t, kernel, case["stride"], padding), [x], seed_grad)
        want, (wx,) = grads_of(lambda t: twin(t, kernel, case["stride"], padding), [x], seed_grad)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        np.testing.assert_allclose(gx, wx, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 1)), (3, 2, 0)])
def test_pools_gradcheck(kernel, stride, padding):
    rng = np.random.default_rng(4)
    # distinct values spaced far more than gradcheck's step, so no window has a tie
    x = Tensor(rng.permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) * 0.1, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, kernel, stride, padding), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, kernel, stride, padding), (x,))


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pools_second_derivatives_gradgradcheck(pool):
    rng = np.random.default_rng(5)
    x = Tensor(rng.permutation(2 * 5 * 5).reshape(1, 2, 5, 5) * 0.1, requires_grad=True)
    assert gradgradcheck(lambda x: pool(x, 3, 2, 1) ** 2, (x,))


def test_max_pool_tie_sends_gradient_to_first_maximum_in_reading_order():
    x = Tensor(np.array([[[[1.0, 1.0, 0.0, 2.0],
                           [1.0, 1.0, 2.0, 2.0]]]]), requires_grad=True)
    y = F.max_pool2d(x, 2)
    np.testing.assert_array_equal(y.data, [[[[1.0, 2.0]]]])
    y.backward(np.array([[[[3.0, 5.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[3.0, 0.0, 0.0, 5.0],
                                                  [0.0, 0.0, 0.0, 0.0]]]])


def test_max_pool_tie_gradient_agrees_with_central_difference_along_the_tie():
    # at a tie the max has no gradient, but moving all tied elements together is smooth: the gradient dotted with
    # that direction must equal the central difference along it
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 4, 4))
    x[:, :, 0, 0] = x[:, :, 1, 1] = x[:, :, 0:2, 0:2].max(axis=(2, 3)) + 1  # a two-way tie in each top-left window
    x[0, 1, 2:, 2:] = 5.0  # a four-way tie
    seed_grad = rng.standard_normal((2, 3, 2, 2))
    xt = Tensor(x, requires_grad=True)
    F.max_pool2d(xt, 2).backward(seed_grad)
    direction = np.zeros_like(x)
    direction[:, :, 0, 0] = direction[:, :, 1, 1] = 1
    direction[0, 1, 2:, 2:] = 1
    eps = 1e-6

    def objective(values):
        return float((F.max_pool2d(Tensor(values), 2).data * seed_grad).sum())

    numeric = (objective(x + eps * direction) - objective(x - eps * direction)) / (2 * eps)
    assert abs(float((xt.grad.data * direction).sum()) - numeric) < 1e-6
    assert np.count_nonzero(xt.grad.data[:, :, 0:2, 0:2]) == 6  # one element per tied window


def test_max_pool_overlapping_windows_accumulate_on_shared_maximum():
    x = Tensor(np.array([[[[0.0, 9.0, 1.0]]]]), requires_grad=True)
    y = F.max_pool2d(x, (1, 2), stride=1)  # windows [0, 9] and [9, 1] share their maximum
    np.testing.assert_array_equal(y.data, [[[[9.0, 9.0]]]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 2.0, 0.0]]]])


def test_max_pool_padding_never_wins():
    x = Tensor(-np.ones((1, 1, 2, 2)), requires_grad=True)
    y = F.max_pool2d(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(y.data, -np.ones((1, 1, 3, 3)))


def test_max_pool_of_integer_images_pads_with_the_lowest_integer():
    x = Tensor(np.array([[[[-5, -7], [-9, -6]]]], dtype=np.int16))
    y = F.max_pool2d(x, 2, stride=1, padding=1)
    assert y.dtype == np.int16
    np.testing.assert_array_equal(y.data[0, 0], [[-5, -5, -7], [-5, -5, -6], [-9, -6, -6]])


def test_avg_pool_padding_counts_as_zeros():
    y = F.avg_pool2d(Tensor(np.ones((1, 1, 2, 2))), 2, stride=1, padding=1)
    np.testing.assert_array_equal(y.data[0, 0], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])


def test_pool_output_shape_follows_floor_formula():
    x = Tensor(np.zeros((2, 3, 11, 7)))
    assert F.max_pool2d(x, 2).shape == (2, 3, 5, 3)
    assert F.avg_pool2d(x, 3, stride=2, padding=1).shape == (2, 3, 6, 4)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 5, 3)
    assert nn.AvgPool2d((3, 1))(x).shape == (2, 3, 3, 7)


# --- layers ---------------------------------------------------------------------------------------------------------
def test_conv2d_layer_parameters_named_shaped_and_bounded_like_pytorch():
    nn.init.seed(0)
    conv = nn.Conv2d(4, 6, (3, 2), stride=2, padding=1)
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert conv.weight.shape == (6, 4, 3, 2) and conv.bias.shape == (6,)
    assert conv.weight.dtype == np.float32
    bound = 1 / math.sqrt(4 * 3 * 2)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.8 * bound  # uniform over the whole range, not a narrower one
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None


def test_conv2d_layer_is_seeded_by_nn_init_seed():
    nn.init.seed(7)
    a = nn.Conv2d(2, 3, 3).weight.data.copy()
    nn.init.seed(7)
    np.testing.assert_array_equal(nn.Conv2d(2, 3, 3).weight.data, a)


def test_conv2d_layer_forward_equals_functional_with_its_parameters():
    rng = np.random.default_rng(6)
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
    x = Tensor(rng.standard_normal((2, 2, 7, 7)).astype(np.float32))
    np.testing.assert_allclose(conv(x).data, conv2d_twin(x, conv.weight, conv.bias, 2, 1).data, rtol=1e-5,
                               atol=1e-6)


def test_conv2d_layer_gradcheck_inputs_and_parameters():
    rng = np.random.default_rng(8)
    conv = nn.Conv2d(2, 2, 2, stride=1, padding=1, dtype=np.float64)
    assert conv.weight.dtype == np.float64 and conv.bias.dtype == np.float64
    x = leaf(rng, 1, 2, 3, 3)
    assert gradcheck(lambda x, w, b: conv(x), (x, conv.weight, conv.bias))


# --- errors ---------------------------------------------------------------------------------------------------------
def test_conv2d_layer_wrong_channels_names_layer_and_expected_shape():
    with pytest.raises(ShapeError, match=r"Conv2d: expected input of shape \(N, 3, H, W\).*got shape \(2, 4, 8, 8\)"):
        nn.Conv2d(3, 4, 3)(Tensor(np.zeros((2, 4, 8, 8))))


def test_conv2d_layer_missing_batch_axis_is_a_shape_error():
    with pytest.raises(ShapeError, match=r"Conv2d: expected input of shape \(N, 1, H, W\).*\(8, 8\)"):
        nn.Conv2d(1, 4, 3)(Tensor(np.zeros((8, 8))))


def test_conv2d_kernel_larger_than_input_is_a_shape_error():
    with pytest.raises(ShapeError, match=r"conv2d: kernel \(5, 5\) is larger than the padded input \(3, 3\)"):
        F.conv2d(Tensor(np.zeros((1, 1, 3, 3))), Tensor(np.zeros((1, 1, 5, 5))))


def test_conv2d_bad_weight_and_bias_shapes():
    x = Tensor(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ShapeError, match=r"conv2d: expected weight of shape \(out_channels, in_channels, kH, kW\)"):
        F.conv2d(x, Tensor(np.zeros((3, 2, 3))))
    with pytest.raises(ShapeError, match=r"conv2d: expected bias of shape \(3,\)"):
        F.conv2d(x, Tensor(np.zeros((3, 2, 3, 3))), Tensor(np.zeros(2)))


def test_conv2d_bad_stride_and_padding_values():
    with pytest.raises(ValueError, match=r"Conv2d: stride must be an int >= 1"):
        nn.Conv2d(1, 1, 3, stride=0)
    with pytest.raises(ValueError, match=r"conv2d: padding must be an int >= 0"):
        F.conv2d(Tensor(np.zeros((1, 1, 4, 4))), Tensor(np.zeros((1, 1, 3, 3))), padding=-1)


def test_pool_layers_name_themselves_in_shape_errors():
    with pytest.raises(ShapeError, match=r"MaxPool2d: expected input of shape \(N, C, H, W\), got shape \(4, 4\)"):
        nn.MaxPool2d(2)(Tensor(np.zeros((4, 4))))
    with pytest.raises(ShapeError, match=r"AvgPool2d: expected input of shape \(N, C, H, W\), got shape \(1, 4, 4\)"):
        nn.AvgPool2d(2)(Tensor(np.zeros((1, 4, 4))))
    with pytest.raises(ShapeError, match=r"AvgPool2d: kernel \(3, 3\) is larger"):
        nn.AvgPool2d(3)(Tensor(np.zeros((1, 1, 2, 2))))


def test_pool_padding_more_than_half_kernel_is_rejected():
    with pytest.raises(ValueError, match=r"max_pool2d: padding \(2, 2\) must be at most half the kernel size"):
        F.max_pool2d(Tensor(np.zeros((1, 1, 6, 6))), 3, padding=2)


def test_pool_layer_checks_padding_against_the_kernel_when_built():
    with pytest.raises(ValueError, match=r"^MaxPool2d: padding \(2, 2\) must be at most half the kernel size \(3, 3\)"):
        nn.MaxPool2d(3, padding=2)
    with pytest.raises(ValueError, match=r"^AvgPool2d: padding \(0, 2\) must be at most half the kernel size \(2, 2\)"):
        nn.AvgPool2d(2, padding=(0, 2))


def test_conv2d_layer_bias_bound_is_one_over_sqrt_fan_in():
    nn.init.seed(3)
    conv = nn.Conv2d(2, 64, (3, 2), dtype=np.float64)  # fan_in = 2 * 3 * 2 = 12
    assert np.abs(conv.bias.data).max() <= 1 / np.sqrt(12)
    assert np.abs(conv.bias.data).max() > 0.9 / np.sqrt(12)  # 64 draws of U(-b, b) come near the bound
