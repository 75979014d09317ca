"""A neural network made of Values, one number at a time (micrograd's nn): Neuron, Layer and MLP.

Slow on purpose: every multiply is a node you can draw and inspect. Weights start U(-1, 1) and biases 0, drawn from
nn.init's generator (`nn.init.seed(n)` makes them repeatable) unless a `generator=` is given.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from autograd import Value

from . import init


class Module:
    """What the scalar layers share: `parameters()` and `zero_grad()`."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set every parameter's gradient back to 0 (Values accumulate gradients across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        return len(self.parameters())


class Neuron(Module):
    """One unit: act = w . x + b, then relu(act) when `nonlin`, else act itself.

    Args:
        nin: the number of inputs.
        nonlin: apply ReLU to the output.
        generator: where the initial weights are drawn from (nn.init's generator by default).
    """

    def __init__(self, nin: int, nonlin: bool = True, generator: np.random.Generator | None = None) -> None:
        if not isinstance(nin, (int, np.integer)) or nin < 1:
            raise ValueError(f"Neuron: nin must be a positive int, got {nin!r}")
        rng = init.get_generator() if generator is None else generator
        self.w = [Value(float(v), label=f"w{i}") for i, v in enumerate(rng.uniform(-1, 1, int(nin)))]
        self.b = Value(0.0, label="b")
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Any]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons that each see all `nin` inputs.

    Args:
        nin, nout: inputs and outputs.
        **kw: passed to each Neuron (nonlin, generator).
    Returns (when called):
        a list of `nout` Values, or a single Value when nout == 1.
    """

    def __init__(self, nin: int, nout: int, **kw: Any) -> None:
        if not isinstance(nout, (int, np.integer)) or nout < 1:
            raise ValueError(f"Layer: nout must be a positive int, got {nout!r}")
        self.neurons = [Neuron(nin, **kw) for _ in range(nout)]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of neurons with ReLU between them and a linear last layer: MLP(2, [16, 16, 1]).

    Args:
        nin: the number of inputs.
        nouts: the width of each layer.
        generator: where the initial weights are drawn from (nn.init's generator by default).
    """

    def __init__(self, nin: int, nouts: Sequence[int], generator: np.random.Generator | None = None) -> None:
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP: nouts needs at least one layer width, got []")
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, generator=generator)
                       for i in range(len(nouts))]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, Value):
                x = [x]
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
