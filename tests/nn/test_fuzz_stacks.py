"""Fuzzing nn: random stacks of layers (dense and convolutional), in float64, have input and parameter gradients that
match central differences."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn

DENSE = ["linear", "relu", "tanh", "sigmoid", "gelu", "gelu_tanh", "leaky_relu", "layer_norm", "batch_norm",
         "dropout_eval", "softmax", "identity"]


def _dense_layer(name, width, k):
    if name == "linear":
        return nn.Linear(width, 2 + k % 3), 2 + k % 3
    return {
        "relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(), "gelu": nn.GELU(),
        "gelu_tanh": nn.GELU(approximate="tanh"), "leaky_relu": nn.LeakyReLU(0.1), "layer_norm": nn.LayerNorm(width),
        "batch_norm": nn.BatchNorm1d(width), "dropout_eval": nn.Dropout(0.5).eval(), "softmax": nn.Softmax(axis=-1),
        "identity": nn.Identity(),
    }[name], width


def _check(model, x):
    model.to(np.float64)
    params = [p for p in model.parameters()]
    for p in params:
        p.data = p.data + 0.05 * np.random.default_rng(1).standard_normal(p.shape)  # off zeros and symmetric ties
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
