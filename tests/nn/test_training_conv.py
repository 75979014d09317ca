"""Training end to end: a small conv net (Conv2d, BatchNorm2d, MaxPool2d, Linear) learns scikit-learn's 8x8 digits."""
from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.functional as F
import optim
from autograd import Tensor, no_grad

pytestmark = pytest.mark.usefixtures("one_blas_thread")


def _images(digits_split):
    """The shared digits split (tests/nn/conftest.py) with each row of 64 pixels as an image (1, 8, 8)."""
    x_train, y_train, x_test, y_test = digits_split
    return x_train.reshape(-1, 1, 8, 8), y_train, x_test.reshape(-1, 1, 8, 8), y_test


def small_conv_net():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),   # (N, 16, 4, 4)
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, 2, 2)
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


def test_conv_net_reaches_97_percent_test_accuracy_on_digits(digits_split):
    x_train, y_train, x_test, y_test = _images(digits_split)
    assert len(x_test) == 445 and len(set(y_test)) == 10
    nn.init.seed(0)
    model = small_conv_net()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    for _ in range(10):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order) - 31, 32):
            batch = order[start:start + 32]
            loss = F.cross_entropy(model(Tensor(x_train[batch])), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with no_grad():
        train_accuracy = (model(Tensor(x_train)).data.argmax(axis=1) == y_train).mean()
        test_accuracy = (model(Tensor(x_test)).data.argmax(axis=1) == y_test).mean()
    assert train_accuracy >= 0.99
    assert test_accuracy >= 0.97


def test_conv_net_first_steps_reduce_the_loss_on_a_fixed_batch(digits_split):
    x_train, y_train, _, _ = _images(digits_split)
    nn.init.seed(1)
    model = small_conv_net()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x, y = Tensor(x_train[:64]), y_train[:64]
    losses = []
    for _ in range(20):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 2.0  # about log(10) at the start: no class is favoured yet
    assert losses[-1] < 0.5 * losses[0]
