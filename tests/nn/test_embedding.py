"""Embedding: lookup values, accumulated gradients for repeated ids, index checks, initialisation."""
from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, gradcheck
from autograd.errors import DTypeError, ShapeError


def test_embedding_picks_rows_of_weight():
    weight = Tensor(np.arange(12.0).reshape(4, 3))
    out = F.embedding(np.array([[3, 0], [1, 1]]), weight)
    np.testing.assert_array_equal(out.data, [[[9.0, 10.0, 11.0], [0.0, 1.0, 2.0]], [[3.0, 4.0, 5.0], [3.0, 4.0, 5.0]]])


def test_embedding_repeated_ids_accumulate_gradient():
    weight = Tensor(np.zeros((4, 2)), requires_grad=True)
    ids = np.array([1, 3, 1, 1])
    grad = np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0], [1000.0, 2000.0]])
    F.embedding(ids, weight).backward(grad)
    np.testing.assert_array_equal(weight.grad.data, [[0.0, 0.0], [1101.0, 2202.0], [0.0, 0.0], [10.0, 20.0]])


def test_embedding_gradcheck():
    rng = np.random.default_rng(0)
    weight = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    ids = np.array([[0, 4, 4], [2, 0, 1]])
    assert gradcheck(lambda w: F.embedding(ids, w) ** 2, (weight,))


def test_embedding_accepts_integer_tensor_ids_of_any_integer_dtype():
    weight = Tensor(np.arange(6.0).reshape(3, 2))
    for ids in (Tensor(np.array([2, 0])), np.array([2, 0], dtype=np.uint8), np.array([2, 0], dtype=np.int32)):
        np.testing.assert_array_equal(F.embedding(ids, weight).data, [[4.0, 5.0], [0.0, 1.0]])


def test_embedding_layer_weight_shape_name_and_standard_normal_init():
    nn.init.seed(0)
    emb = nn.Embedding(1000, 50)
    assert list(emb.state_dict()) == ["weight"]
    assert emb.weight.shape == (1000, 50) and emb.weight.dtype == np.float32
    assert nn.Embedding(3, 2, dtype=np.float64).weight.dtype == np.float64
    assert abs(emb.weight.data.mean()) < 0.02  # 50,000 N(0, 1) draws: standard error 0.0045
    assert abs(emb.weight.data.std() - 1.0) < 0.02


def test_embedding_layer_output_shape_and_parameter_gradient():
    emb = nn.Embedding(10, 4)
    out = emb(np.array([[1, 2, 3], [4, 5, 1]]))
    assert out.shape == (2, 3, 4)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[:, 0], [0, 2, 1, 1, 1, 1, 0, 0, 0, 0])


def test_embedding_float_ids_name_the_layer_and_the_fix():
    with pytest.raises(DTypeError, match=r"Embedding: expected integer indices \(token ids\), got dtype float64; "
                                         r"convert them with \.astype\(np\.int64\)"):
        nn.Embedding(10, 4)(np.array([1.0, 2.0]))
    with pytest.raises(DTypeError, match=r"embedding: expected integer indices"):
        F.embedding(Tensor([1.0]), Tensor(np.zeros((3, 2))))


@pytest.mark.parametrize("bad", [10, -1])
def test_embedding_out_of_range_id_names_the_valid_range_and_the_bad_value(bad):
    with pytest.raises(IndexError, match=rf"Embedding: index {bad} is out of range; valid indices are 0\.\.9 "
                                         r"\(num_embeddings=10\)"):
        nn.Embedding(10, 4)(np.array([[0, bad, 3]]))


def test_embedding_weight_must_be_2d():
    with pytest.raises(ShapeError, match=r"embedding: expected weight of shape \(num_embeddings, embedding_dim\)"):
        F.embedding(np.array([0]), Tensor(np.zeros(3)))
