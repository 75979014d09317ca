"""nn.scalar: micrograd-style Neuron, Layer and MLP on Values; hand-derived values and gradients; two moons to 100%."""
from __future__ import annotations

import time

import numpy as np
import pytest

import optim
from autograd import Value, no_grad
from nn import init
from nn.scalar import MLP, Layer, Neuron


@pytest.fixture(autouse=True)
def _seed():
    init.seed(0)


def test_neuron_is_relu_of_w_dot_x_plus_b_with_hand_gradients():
    n = Neuron(2)
    n.w[0].data, n.w[1].data, n.b.data = 2.0, -1.0, 0.5
    x = [Value(3.0), Value(1.0)]
    out = n(x)
    assert out.data == 5.5  # relu(2*3 - 1 + 0.5)
    out.backward()
    assert [w.grad for w in n.w] == [3.0, 1.0] and n.b.grad == 1.0
    assert [xi.grad for xi in x] == [2.0, -1.0]


def test_neuron_relu_blocks_the_gradient_when_inactive():
    n = Neuron(1)
    n.w[0].data, n.b.data = -1.0, 0.0
    out = n([2.0])
    out.backward()
    assert out.data == 0.0 and n.w[0].grad == 0.0


def test_linear_neuron_passes_negative_values():
    n = Neuron(1, nonlin=False)
    n.w[0].data, n.b.data = -1.0, 0.25
    assert n([2.0]).data == -1.75


def test_initial_weights_are_uniform_minus_one_to_one_and_biases_zero():
    model = MLP(8, [32, 32, 1])
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    biases = [n.b.data for layer in model.layers for n in layer.neurons]
    assert -1 <= min(weights) < -0.9 and 0.9 < max(weights) <= 1
    assert biases == [0.0] * 65


def test_parameter_count_and_order():
    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    assert len(params) == model.num_parameters() == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    first = model.layers[0].neurons[0]
    assert params[:3] == first.w + [first.b]


def test_last_layer_is_linear_and_the_others_relu():
    model = MLP(3, [4, 5, 2])
    assert [layer.neurons[0].nonlin for layer in model.layers] == [True, True, False]
    assert repr(model.layers[2].neurons[0]) == "LinearNeuron(5)"
    assert repr(Layer(2, 2)) == "Layer of [ReLUNeuron(2), ReLUNeuron(2)]"
    assert repr(MLP(2, [1])) == "MLP of [Layer of [LinearNeuron(2)]]"


def test_mlp_output_is_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    out = MLP(2, [3, 2])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2


def test_mlp_equals_the_same_maths_in_numpy():
    model = MLP(3, [4, 2])
    W1 = np.array([[w.data for w in n.w] for n in model.layers[0].neurons])
    W2 = np.array([[w.data for w in n.w] for n in model.layers[1].neurons])
    x = np.array([0.5, -1.0, 2.0])
    expected = W2 @ np.maximum(W1 @ x, 0)
    assert np.allclose([v.data for v in model(list(x))], expected, rtol=1e-12)


def test_zero_grad_resets_accumulated_gradients():
    model = MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_seed_and_generator_make_models_repeatable():
    init.seed(4)
    a = [p.data for p in MLP(2, [3, 1]).parameters()]
    init.seed(4)
    b = [p.data for p in MLP(2, [3, 1]).parameters()]
    c = [p.data for p in MLP(2, [3, 1], generator=np.random.default_rng(4)).parameters()]
    d = [p.data for p in MLP(2, [3, 1], generator=np.random.default_rng(4)).parameters()]
    assert a == b and c == d and a != [p.data for p in MLP(2, [3, 1]).parameters()]


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="Neuron: expected 2 inputs, got 3"):
        Neuron(2)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="nin must be a positive int"):
        Neuron(0)
    with pytest.raises(ValueError, match="nouts needs at least one layer"):
        MLP(2, [])


# --- two moons, the classic scalar demo -----------------------------------------------------------------------------
def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (labels -1 and +1), as sklearn's make_moons draws them."""
    rng = np.random.default_rng(seed)
    t_upper, t_lower = rng.uniform(0, np.pi, n // 2), rng.uniform(0, np.pi, n - n // 2)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([-np.ones(n // 2), np.ones(n - n // 2)])
    return X, y


def test_scalar_mlp_reaches_full_training_accuracy_on_two_moons():
    X, y = make_moons()
    X = (X - X.mean(axis=0)) / X.std(axis=0)  # standardised inputs: the first layer needs far fewer steps
    points = [[float(a), float(b)] for a, b in X]
    model = MLP(2, [16, 16, 1], generator=np.random.default_rng(0))
    optimizer = optim.Adam(model.parameters(), lr=0.15)
    accuracies = []
    start = time.perf_counter()
    for step in range(20):
        scores = [model(p) for p in points]
        accuracies.append(np.mean([(s.data > 0) == (label > 0) for s, label in zip(scores, y)]))
        if accuracies[-1] == 1.0:
            break
        # max-margin loss: mean(relu(1 - y * score))
        loss = sum((1 - label * s).relu() for label, s in zip(y, scores)) * (1.0 / len(scores))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    assert accuracies[0] < 0.9  # the untrained model does not already separate the moons
    assert accuracies[-1] == 1.0, f"accuracy after {len(accuracies)} evaluations: {accuracies[-1]}"
    with no_grad():
        assert all((model(p).data > 0) == (label > 0) for p, label in zip(points, y))
    print(f"two moons: 100% after {len(accuracies) - 1} Adam steps in {seconds:.1f} s")
