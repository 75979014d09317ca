"""Small graphs the drawing, explanation and view tests share."""
from __future__ import annotations

from autograd import Value


def lesson():
    """The classic first lesson, L = (a*b + c) * f, and its values by name."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, dict(a=a, b=b, c=c, d=d, e=e, f=f)


def long_chain(n: int = 40) -> Value:
    """y = tanh(1.01 y), n times: a drawing many times wider than a notebook column."""
    y = Value(0.5, label="x")
    for _ in range(n):
        y = (y * 1.01).tanh()
    return y
