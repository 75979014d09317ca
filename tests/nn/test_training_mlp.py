"""Training end to end: a tensor MLP learns scikit-learn's 8x8 digits to >= 97% test accuracy (fixed seeds, seconds)."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import optim
from autograd import Tensor
from nn import functional as F
from nn.data import DataLoader, TensorDataset

pytestmark = pytest.mark.usefixtures("one_blas_thread")  # the digits split is a fixture of tests/nn/conftest.py


def _accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with ag.no_grad():
        predicted = model(Tensor(X)).data.argmax(axis=1)
    model.train()
    return float(np.mean(predicted == y))


def test_mlp_reaches_97_percent_test_accuracy_on_digits(digits_split):
    X_train, y_train, X_test, y_test = digits_split
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0) + 0.1  # standardise with training statistics only
    X_train, X_test = (X_train - mean) / scale, (X_test - mean) / scale
    nn.init.seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10))
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True, seed=0)
    assert _accuracy(model, X_test, y_test) < 0.3  # untrained: about chance (10%)
    for epoch in range(40):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert model[0].weight.dtype == np.float32
    assert _accuracy(model, X_train, y_train) > 0.99
    assert _accuracy(model, X_test, y_test) >= 0.97


def test_training_loss_falls_with_sgd_and_gradient_clipping(digits_split):
    X_train, y_train, _, _ = digits_split
    nn.init.seed(1)
    model = nn.MLP([64, 32, 10])
    optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    xb, yb = Tensor(X_train[:256]), y_train[:256]
    losses = []
    for _ in range(40):
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(np.log(10), abs=0.3)  # a fresh model guesses about uniformly
    assert losses[-1] < 0.1 * losses[0]
