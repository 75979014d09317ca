"""Linear, Identity, Flatten and MLP: PyTorch's parameter names, shapes and initialisation; values; gradients."""
from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor
from autograd.errors import ShapeError
from nn import functional as F

RNG = np.random.default_rng(0)


def _x(*shape, grad=True):
    return Tensor(RNG.standard_normal(shape), requires_grad=grad)


@pytest.fixture(autouse=True)
def _seed():
    nn.init.seed(0)


# --- Linear ----------------------------------------------------------------------------------------------------------
def test_linear_parameters_have_pytorch_names_shapes_and_dtype():
    layer = nn.Linear(784, 256)
    assert [(n, p.shape) for n, p in layer.named_parameters()] == [("weight", (256, 784)), ("bias", (256,))]
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert all(isinstance(p, nn.Parameter) for p in layer.parameters())


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.95 * bound  # the whole interval is used, not a narrower one
    # U(-k, k) has standard deviation k / sqrt(3); 120,000 samples pin it to well under 1%
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert abs(layer.weight.data.mean()) < 0.01 * bound


def test_linear_init_repeats_with_the_same_seed():
    nn.init.seed(7)
    a = nn.Linear(5, 4)
    nn.init.seed(7)
    b = nn.Linear(5, 4)
    c = nn.Linear(5, 4)
    assert np.array_equal(a.weight.data, b.weight.data) and np.array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(b.weight.data, c.weight.data)


def test_linear_forward_is_x_weight_transposed_plus_bias():
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = RNG.standard_normal((5, 3))
    expected = x @ layer.weight.data.T + layer.bias.data
    assert np.allclose(layer(Tensor(x)).data, expected, rtol=1e-12, atol=1e-12)


def test_linear_hand_computed_value():
    layer = nn.Linear(2, 1, dtype=np.float64)
    layer.load_state_dict({"weight": np.array([[2.0, -1.0]]), "bias": np.array([0.5])})
    assert layer(Tensor(np.array([[3.0, 4.0]]))).data.tolist() == [[2.5]]  # 2*3 - 4 + 0.5


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False, dtype=np.float64)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    x = RNG.standard_normal((4, 3))
    assert np.allclose(layer(Tensor(x)).data, x @ layer.weight.data.T)
    assert "bias=False" in repr(layer)


def test_linear_batched_and_single_inputs():
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = RNG.standard_normal((2, 5, 3))
    assert layer(Tensor(x)).shape == (2, 5, 2)
    assert np.allclose(layer(Tensor(x)).data[1, 3], layer(Tensor(x[1, 3])).data)
    assert layer(Tensor(x[0, 0])).shape == (2,)


def test_linear_wrong_input_width_names_the_layer_and_the_fix():
    with pytest.raises(ShapeError, match=r"^Linear: expected input with last dimension 784 \(in_features\), "
                                         r"got shape \(32, 100\)$"):
        nn.Linear(784, 10)(Tensor(np.zeros((32, 100), np.float32)))


def test_linear_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="in_features must be a non-negative int"):
        nn.Linear(2.5, 3)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3), (3,)])
def test_linear_gradcheck_input_weight_bias(shape):
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = _x(*shape)
    assert ag.gradcheck(lambda x, w, b: F.linear(x, w, b), (x, layer.weight, layer.bias))


def test_linear_gradgradcheck():
    layer = nn.Linear(3, 2, dtype=np.float64)
    assert ag.gradgradcheck(lambda x, w, b: F.linear(x, w, b), (_x(2, 2, 3), layer.weight, layer.bias))


def test_linear_layer_gradcheck_through_the_module():
    layer = nn.Linear(3, 2, dtype=np.float64)
    assert ag.gradcheck(lambda x, w, b: layer(x), (_x(4, 3), layer.weight, layer.bias))


def test_fused_linear_matches_its_composite_twin_in_values_and_gradients():
    layer = nn.Linear(4, 3, dtype=np.float64)
    x_data = RNG.standard_normal((2, 5, 4))
    grads = []
    for fn in (lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b):
        x = Tensor(x_data, requires_grad=True)
        w, b = (Tensor(p.data, requires_grad=True) for p in (layer.weight, layer.bias))
        y = fn(x, w, b)
        (y * y).sum().backward()
        grads.append((y.data, x.grad.data, w.grad.data, b.grad.data))
    for fused, twin in zip(*grads):
        assert np.allclose(fused, twin, rtol=1e-12, atol=1e-12)


def test_linear_keeps_float32_through_forward_and_backward():
    layer = nn.Linear(3, 2)
    x = Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == np.float32
    assert {x.grad.dtype, layer.weight.grad.dtype, layer.bias.grad.dtype} == {np.dtype(np.float32)}


def test_linear_forward_and_backward_allocate_no_needless_copies():
    layer = nn.Linear(512, 512)
    x = Tensor(np.ones((256, 512), np.float32), requires_grad=True)
    out_bytes = 256 * 512 * 4
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        y = layer(x)
        forward_peak = tracemalloc.get_traced_memory()[1] - base
        seed = np.ones(y.shape, np.float32)
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        y.backward(seed)
        backward_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    # forward: the output only (a copy of x or of weight.T would add 512 KB or 1 MB)
    assert forward_peak < out_bytes + 64 * 1024
    # backward: the three gradients (x: 512 KB, weight: 1 MB, bias: 2 KB) and nothing more
    assert backward_peak < out_bytes + 512 * 512 * 4 + 64 * 1024


def test_linear_extra_repr():
    assert repr(nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"


# --- Identity and Flatten --------------------------------------------------------------------------------------------
def test_identity_returns_its_input_and_ignores_arguments():
    x = Tensor([1.0, 2.0])
    assert nn.Identity(54, unused="x")(x) is x


def test_flatten_keeps_the_batch_axis_by_default():
    x = _x(2, 3, 4, 5)
    y = nn.Flatten()(x)
    assert y.shape == (2, 60)
    assert np.array_equal(y.data, x.data.reshape(2, 60))


def test_flatten_start_and_end_axes():
    x = _x(2, 3, 4, 5)
    assert nn.Flatten(0)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Flatten(-2)(x).shape == (2, 3, 20)


def test_flatten_gradient_flows_back_in_shape():
    x = _x(2, 3, 2)
    assert ag.gradcheck(lambda x: nn.Flatten()(x), (x,))


def test_flatten_bad_axes_error():
    with pytest.raises(ShapeError, match="Flatten: cannot merge axes 3..1"):
        nn.Flatten(3, 1)(_x(2, 3, 4, 5))


def test_flatten_of_an_empty_batch():
    assert nn.Flatten()(Tensor(np.zeros((0, 3, 2)))).shape == (0, 6)


# --- MLP -------------------------------------------------------------------------------------------------------------
def test_mlp_has_activations_between_linears_and_none_after_the_last():
    mlp = nn.MLP([4, 8, 8, 3])
    assert [type(m).__name__ for m in mlp] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [(m.in_features, m.out_features) for m in mlp if isinstance(m, nn.Linear)] == [(4, 8), (8, 8), (8, 3)]
    assert list(mlp.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]


def test_mlp_takes_another_activation():
    mlp = nn.MLP([2, 3, 1], activation=nn.Tanh)
    assert isinstance(mlp[1], nn.Tanh)


def test_mlp_forward_equals_the_layers_by_hand():
    mlp = nn.MLP([3, 5, 2], dtype=np.float64)
    x = RNG.standard_normal((4, 3))
    W1, b1, W2, b2 = (p.data for p in mlp.parameters())
    expected = np.maximum(x @ W1.T + b1, 0) @ W2.T + b2
    assert np.allclose(mlp(Tensor(x)).data, expected)


def test_mlp_gradcheck_all_parameters():
    mlp = nn.MLP([3, 4, 2], activation=nn.Tanh, dtype=np.float64)
    assert ag.gradcheck(lambda x, *ps: mlp(x), (_x(2, 3), *mlp.parameters()))


def test_mlp_needs_two_sizes():
    with pytest.raises(ValueError, match="MLP: sizes needs at least an input and an output width"):
        nn.MLP([3])
