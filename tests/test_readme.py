"""The README's tour runs as written and its gradients are right (the training snippet with a small synthetic data set
standing in for X, y)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_tour_runs_and_its_printed_gradients_are_right(capsys):
    namespace: dict = {}
    exec(compile(_python_blocks()[0], "README tour", "exec"), namespace)
    assert capsys.readouterr().out.startswith("6.0 -4.0\n")
    x, w = namespace["x"].data, namespace["w"].data
    assert x.dtype == np.float64 and w.dtype == np.float64

    def g(w):  # d(loss)/dw for loss = mean_i tanh(x_i . w)^2, by hand
        t = np.tanh(x @ w)
        return (2 * t * (1 - t * t)) @ x / len(x)

    np.testing.assert_allclose(namespace["g"].data, g(w), rtol=1e-10, atol=1e-12)
    v, h = np.ones(3), 1e-5  # the tour's vector, and a central-difference step
    expected = (g(w + h * v) - g(w - h * v)) / (2 * h)  # H v
    assert namespace["hvp"].shape == w.shape
    np.testing.assert_allclose(namespace["hvp"].data, expected, rtol=1e-6, atol=1e-8)


def test_the_training_snippet_lowers_the_loss():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 64)).astype(np.float32)
    y = X[:, :10].argmax(axis=1)  # a rule the model can learn
    namespace = {"X": X, "y": y}
    code = _python_blocks()[1]
    epoch = code[code.index("for xb, yb"):]
    exec(compile(code, "README training", "exec"), namespace)  # builds the model and trains one epoch
    F, model = namespace["F"], namespace["model"]
    before = F.cross_entropy(model(X), y).item()
    for _ in range(10):
        exec(compile(epoch, "README training", "exec"), namespace)
    assert F.cross_entropy(model(X), y).item() < 0.8 * before  # measured: 2.27 -> 1.65
