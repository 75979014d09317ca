"""Fuzzing nn: random stacks of layers (dense and convolutional), in float64, have input and parameter gradients that
match central differences."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn

# constructors, given the width, of the layers that keep it; "linear" changes it, so _dense_layer builds it apart
_SAME_WIDTH = {
    "relu": lambda width: nn.ReLU(), "tanh": lambda width: nn.Tanh(), "sigmoid": lambda width: nn.Sigmoid(),
    "gelu": lambda width: nn.GELU(), "gelu_tanh": lambda width: nn.GELU(approximate="tanh"),
    "leaky_relu": lambda width: nn.LeakyReLU(0.1), "layer_norm": nn.LayerNorm, "batch_norm": nn.BatchNorm1d,
    "dropout_eval": lambda width: nn.Dropout(0.5).eval(), "softmax": lambda width: nn.Softmax(axis=-1),
    "identity": lambda width: nn.Identity(),
}
DENSE = ["linear", *_SAME_WIDTH]


def _dense_layer(name, width, k):
    if name == "linear":
        return nn.Linear(width, 2 + k % 3), 2 + k % 3
    return _SAME_WIDTH[name](width), width


def _check(model, x):
    model.to(np.float64)
    params = list(model.parameters())
    rng = np.random.default_rng(1)  # one stream: parameters of the same shape get different nudges
    for p in params:
        p.data = p.data + 0.05 * rng.standard_normal(p.shape)  # off zeros and symmetric ties
    assert ag.gradcheck(lambda x, *ps: model(x), [x, *params])


@settings(max_examples=25)
@given(layers=st.lists(st.tuples(st.sampled_from(DENSE), st.integers(0, 5)), min_size=1, max_size=5),
       batch=st.integers(2, 3), width=st.integers(1, 3), seed=st.integers(0, 1000))
def test_random_dense_stack_gradients(layers, batch, width, seed):
    nn.init.seed(seed)
    modules, w = [], width
    for name, k in layers:
        layer, w = _dense_layer(name, w, k)
        modules.append(layer)
    x = ag.Tensor(np.random.default_rng(seed).standard_normal((batch, width)), requires_grad=True, dtype=np.float64)
    _check(nn.Sequential(*modules), x)


@settings(max_examples=10)
@given(channels=st.integers(1, 2), kernel=st.integers(1, 3), stride=st.integers(1, 2), padding=st.integers(0, 1),
       pool=st.sampled_from(["max", "avg", "none"]), norm=st.booleans(), seed=st.integers(0, 1000))
def test_random_conv_stack_gradients(channels, kernel, stride, padding, pool, norm, seed):
    nn.init.seed(seed)
    modules = [nn.Conv2d(1, channels, kernel, stride=stride, padding=padding)]
    if norm:
        modules.append(nn.BatchNorm2d(channels))
    modules.append(nn.Tanh())
    if pool == "max":
        modules.append(nn.MaxPool2d(2))
    elif pool == "avg":
        modules.append(nn.AvgPool2d(2, stride=1))
    probe = nn.Sequential(*modules)
    side = 6
    out = probe(ag.Tensor(np.zeros((1, 1, side, side))))
    modules += [nn.Flatten(), nn.Linear(out.size, 2)]
    x = ag.Tensor(np.random.default_rng(seed).standard_normal((2, 1, side, side)), requires_grad=True, dtype=np.float64)
    _check(nn.Sequential(*modules), x)
