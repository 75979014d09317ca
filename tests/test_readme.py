"""The README's tour runs as written and its gradients are right (the training snippet with a small synthetic data set
standing in for X, y)."""
from __future__ import annotations

import os
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


def _section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}\n")
    return text[start:text.index("\n## ", start + 1)]


def test_quick_start_tells_root_users_how_to_start_jupyter_lab():
    quick_start = _section("Quick start")
    assert "jupyter lab notebooks/00_start_here.ipynb" in quick_start
    assert re.search(r"As root .*`jupyter lab` refuses to start: add `--allow-root`", quick_start)


def test_the_from_a_script_note_runs_as_written(tmp_path, monkeypatch, capsys):
    namespace: dict = {}
    exec(compile(_python_blocks()[0], "README tour", "exec"), namespace)
    note = re.search(r"\*\*From a script\*\*(.*?)\n\n", README.read_text(), re.S).group(1)
    calls = [c for c in re.findall(r"`([^`]+)`", note.replace("\n", " ")) if c.endswith(")") and "(" in c]
    assert calls == ["ag.draw(L)", "print(ag.draw(L))", 'ag.draw(L).render("graph.svg")',
                     "print(ag.explain(Value(2.0) * Value(-3.0)))", 'ag.draw(L).render(format="png", cleanup=True)']
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    for call in calls:
        exec(call, namespace)
    out = capsys.readouterr().out
    assert out.startswith("Drawing of 10 nodes and 9 edges\n") and 'drawing.render("graph.svg")' in out
    assert "backward pass of out: seed gradient 1.0, 2 step(s)\n" in out
    assert "upstream 1.0 x local -3.0 = -3.0" in out  # d(a * b)/da = b
    assert sorted(os.listdir(tmp_path)) == ["graph.gv.png", "graph.svg"]  # cleanup=True removed graph.gv
    assert (tmp_path / "graph.gv.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_forward_mode_block_gives_the_values_its_comments_state():
    """Each line of the transforms block, evaluated, against derivatives worked by hand for f(x) = sum(x**3)."""
    block = next(b for b in _python_blocks() if "from autograd.func import" in b)
    namespace: dict = {}
    results = []
    for line in block.splitlines():
        code = line.split("#")[0].rstrip()
        if code.startswith(("grad(", "jvp(", "jacfwd(", "hessian(")):
            results.append(eval(code, namespace))
        elif code:
            exec(code, namespace)
    gradient, (value, tangent), jacobian, hessian, nested = results
    np.testing.assert_array_equal(gradient, [3.0, 12.0])  # 3 x**2 at (1, 2)
    assert value.shape == () == tangent.shape and float(value) == 9.0 and float(tangent) == 15.0  # 1 + 8; 3 + 12
    np.testing.assert_array_equal(jacobian, np.eye(3))  # cos(0) on the diagonal
    np.testing.assert_array_equal(hessian, [[6.0, 0.0], [0.0, 12.0]])  # 6 x on the diagonal
    assert nested == 3.0  # d/dx [x * d/dy (x y)] = d/dx x**2 = 2 x at 1.5
