"""Causal self-attention, the transformer block and the small GPT: values against a loop-by-loop numpy reference,
causality, gradchecks, shapes and names, errors, sampling, and a tiny model learning a repeated pattern."""
from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import nn.functional as F
import optim
from autograd import Tensor, gradcheck
from autograd.errors import DTypeError, ShapeError


def attention_reference(x, attn):
    """Causal multi-head attention one batch item, head and position at a time, in plain numpy."""
    B, T, C = x.shape
    nh = attn.n_head
    hs = C // nh
    qkv = x @ attn.c_attn.weight.data.T + attn.c_attn.bias.data
    q, k, v = qkv[..., :C], qkv[..., C:2 * C], qkv[..., 2 * C:]
    heads = np.zeros((B, T, C))
    for b in range(B):
        for h in range(nh):
            cols = slice(h * hs, (h + 1) * hs)
            for t in range(T):
                scores = np.array([q[b, t, cols] @ k[b, s, cols] / math.sqrt(hs) for s in range(t + 1)])
                weights = np.exp(scores - scores.max())
                weights /= weights.sum()
                heads[b, t, cols] = sum(w * v[b, s, cols] for s, w in enumerate(weights))
    return heads @ attn.c_proj.weight.data.T + attn.c_proj.bias.data


# --- CausalSelfAttention --------------------------------------------------------------------------------------------
def test_attention_matches_loop_reference():
    nn.init.seed(0)
    attn = nn.CausalSelfAttention(12, 3).to(np.float64)
    x = np.random.default_rng(0).standard_normal((2, 5, 12))
    np.testing.assert_allclose(attn(Tensor(x)).data, attention_reference(x, attn), rtol=1e-10, atol=1e-12)


def test_attention_weights_match_a_loop_over_heads_and_positions():
    nn.init.seed(4)
    attn = nn.CausalSelfAttention(8, 2, dropout=0.5).to(np.float64)  # the weights come before dropout
    x = np.random.default_rng(4).standard_normal((2, 4, 8))
    weights = attn.attention(Tensor(x)).data
    assert weights.shape == (2, 2, 4, 4)
    qk = x @ attn.c_attn.weight.data.T + attn.c_attn.bias.data
    for b in range(2):
        for h in range(2):
            cols = slice(h * 4, (h + 1) * 4)
            for t in range(4):
                scores = np.array([qk[b, t, cols] @ qk[b, s, 8:][cols] / 2.0 for s in range(t + 1)])  # sqrt(hs) = 2
                expected = np.exp(scores) / np.exp(scores).sum()
                np.testing.assert_allclose(weights[b, h, t, :t + 1], expected, rtol=1e-12)
                assert np.all(weights[b, h, t, t + 1:] == 0.0)


def test_attention_output_ignores_future_positions_values_and_gradients():
    nn.init.seed(1)
    attn = nn.CausalSelfAttention(8, 2).to(np.float64)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 6, 8))
    changed = x.copy()
    changed[:, 4:] += rng.standard_normal((1, 2, 8))
    y, y_changed = attn(Tensor(x)).data, attn(Tensor(changed)).data
    np.testing.assert_array_equal(y[:, :4], y_changed[:, :4])
    assert not np.allclose(y[:, 4:], y_changed[:, 4:])
    xt = Tensor(x, requires_grad=True)
    attn(xt)[:, 2].sum().backward()  # the output at position 2 ...
    assert np.all(xt.grad.data[:, 3:] == 0)  # ... gets nothing from later positions
    assert np.all(np.abs(xt.grad.data[:, :3]).sum(axis=-1) > 0)


def test_attention_gradcheck_input_and_parameters():
    nn.init.seed(2)
    attn = nn.CausalSelfAttention(4, 2).to(np.float64)
    x = Tensor(np.random.default_rng(2).standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda x, *params: attn(x), (x, *attn.parameters()))


def test_attention_softmax_stays_finite_for_huge_scores():
    nn.init.seed(3)
    attn = nn.CausalSelfAttention(4, 1)
    x = Tensor(np.random.default_rng(3).standard_normal((1, 5, 4)).astype(np.float32) * 1e4, requires_grad=True)
    y = attn(x)
    y.sum().backward()
    assert np.isfinite(y.data).all() and np.isfinite(x.grad.data).all()


def test_attention_parameter_names_and_shapes_follow_nanogpt():
    attn = nn.CausalSelfAttention(8, 2)
    shapes = {name: p.shape for name, p in attn.named_parameters()}
    assert shapes == {"c_attn.weight": (24, 8), "c_attn.bias": (24,), "c_proj.weight": (8, 8), "c_proj.bias": (8,)}
    assert [name for name, _ in nn.CausalSelfAttention(8, 2, bias=False).named_parameters()] == [
        "c_attn.weight", "c_proj.weight"]


def test_attention_dropout_only_in_training():
    nn.init.seed(4)
    attn = nn.CausalSelfAttention(8, 2, dropout=0.5)
    x = Tensor(np.random.default_rng(4).standard_normal((1, 4, 8)).astype(np.float32))
    assert not np.allclose(attn(x).data, attn(x).data)
    attn.eval()
    np.testing.assert_allclose(attn(x).data, attention_reference(x.data.astype(np.float64), attn), rtol=1e-4,
                               atol=1e-6)


def test_attention_heads_must_divide_embedding():
    with pytest.raises(ValueError, match=r"CausalSelfAttention: n_embd \(10\) must be divisible by n_head \(3\)"):
        nn.CausalSelfAttention(10, 3)


@pytest.mark.parametrize("shape", [(2, 5), (2, 5, 7)])
def test_attention_wrong_input_shape_names_layer_and_expected_shape(shape):
    with pytest.raises(ShapeError, match=r"CausalSelfAttention: expected input of shape \(B, T, 8\) \(batch, time, "
                                         r"n_embd\), got shape"):
        nn.CausalSelfAttention(8, 2)(Tensor(np.zeros(shape)))


# --- TransformerBlock -----------------------------------------------------------------------------------------------
def test_block_is_identity_when_both_residual_branches_output_zero():
    block = nn.TransformerBlock(8, 2)
    for linear in (block.attn.c_proj, block.mlp.c_proj):
        linear.weight.data[...] = 0
        linear.bias.data[...] = 0
    x = np.random.default_rng(5).standard_normal((2, 3, 8)).astype(np.float32)
    np.testing.assert_array_equal(block(Tensor(x)).data, x)


def test_block_gradcheck_input_and_parameters():
    nn.init.seed(6)
    block = nn.TransformerBlock(4, 2).to(np.float64)
    x = Tensor(np.random.default_rng(6).standard_normal((1, 3, 4)), requires_grad=True)
    assert gradcheck(lambda x, *params: block(x), (x, *block.parameters()))


def test_block_wrong_input_shape_names_block():
    with pytest.raises(ShapeError, match=r"TransformerBlock: expected input of shape \(B, T, 8\)"):
        nn.TransformerBlock(8, 2)(Tensor(np.zeros((3, 8))))


# --- GPT ------------------------------------------------------------------------------------------------------------
def tiny_config(**changes):
    settings = dict(vocab_size=7, block_size=6, n_layer=2, n_head=2, n_embd=8)
    settings.update(changes)
    return nn.GPTConfig(**settings)


def test_gpt_logits_shape_names_and_parameter_count():
    config = tiny_config()
    model = nn.GPT(config)
    logits = model(np.zeros((3, 5), dtype=np.int64))
    assert logits.shape == (3, 5, 7)
    names = list(model.state_dict())
    assert names[:3] == ["wte.weight", "wpe.weight", "h.0.ln_1.weight"]
    assert "h.1.mlp.c_fc.weight" in names and "h.1.attn.c_proj.bias" in names
    assert names[-3:] == ["ln_f.weight", "ln_f.bias", "lm_head.weight"]
    V, T, L, C = 7, 6, 2, 8
    per_block = 2 * 2 * C + (3 * C * C + 3 * C) + (C * C + C) + (4 * C * C + 4 * C) + (4 * C * C + C)
    assert model.num_parameters() == V * C + T * C + L * per_block + 2 * C + C * V


def test_gpt_initialisation_follows_nanogpt():
    nn.init.seed(7)
    model = nn.GPT(tiny_config(vocab_size=50, n_embd=64, n_layer=2, n_head=4))
    assert abs(model.wte.weight.data.std() - 0.02) < 0.002
    assert abs(model.h[0].attn.c_proj.weight.data.std() - 0.02 / math.sqrt(4)) < 0.002
    assert np.all(model.h[0].mlp.c_fc.bias.data == 0)
    assert np.all(model.ln_f.weight.data == 1)


def test_gpt_gradcheck_logits_with_respect_to_parameters():
    nn.init.seed(8)
    model = nn.GPT(tiny_config(vocab_size=3, block_size=3, n_layer=1, n_embd=4)).to(np.float64)
    idx = np.array([[0, 2, 1]])
    # scaled up from nanoGPT's small init so every parameter visibly moves the logits
    for p in model.parameters():
        p.data = p.data * 10 if p.ndim == 2 else p.data + 0.1
    assert gradcheck(lambda *params: model(idx), tuple(model.parameters()))


def test_gpt_sequence_longer_than_block_size_is_rejected_with_the_fix():
    with pytest.raises(ShapeError, match=r"GPT: sequence length 7 is longer than block_size 6; keep the last 6 "
                                         r"tokens \(idx\[:, -6:\]\)"):
        nn.GPT(tiny_config())(np.zeros((1, 7), dtype=np.int64))


def test_gpt_rejects_float_ids_and_1d_ids():
    model = nn.GPT(tiny_config())
    with pytest.raises(DTypeError, match=r"GPT: expected integer token ids, got dtype float64"):
        model(np.zeros((1, 3)))
    with pytest.raises(ShapeError, match=r"GPT: expected token ids of shape \(B, T\) \(batch, time\), got shape "
                                         r"\(3,\)"):
        model(np.zeros(3, dtype=np.int64))


def _mean_cross_entropy_by_hand(logits, targets):
    """-log softmax(logits)[target], averaged over the positions whose target is not -1, in plain numpy."""
    z = logits - logits.max(axis=-1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    picked = [-log_probs[b, t, targets[b, t]] for b in range(targets.shape[0]) for t in range(targets.shape[1])
              if targets[b, t] != -1]
    return np.mean(picked)


def test_gpt_with_targets_returns_logits_and_loss_as_nanogpt():
    nn.init.seed(10)
    model = nn.GPT(tiny_config()).to(np.float64)
    rng = np.random.default_rng(10)
    idx, targets = rng.integers(0, 7, (3, 5)), rng.integers(0, 7, (3, 5))
    logits, loss = model(idx, targets)
    assert logits.shape == (3, 5, 7) and loss.shape == ()
    np.testing.assert_array_equal(logits.data, model(idx).data)  # the logits of every position, as without targets
    np.testing.assert_allclose(loss.item(), _mean_cross_entropy_by_hand(logits.data, targets), rtol=1e-12)
    flat = F.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1))
    np.testing.assert_allclose(loss.item(), flat.item(), rtol=1e-12)
    loss.backward()
    assert all(p.grad is not None and np.any(p.grad.data != 0) for p in model.parameters())


def test_gpt_targets_of_minus_one_are_ignored_as_in_nanogpt():
    nn.init.seed(11)
    model = nn.GPT(tiny_config()).to(np.float64)
    idx = np.array([[1, 2, 3, 4], [5, 6, 0, 1]])
    targets = np.array([[2, 3, 4, -1], [6, -1, 1, 2]])
    logits, loss = model(Tensor(idx), Tensor(targets))
    np.testing.assert_allclose(loss.item(), _mean_cross_entropy_by_hand(logits.data, targets), rtol=1e-12)


def test_gpt_loss_with_targets_passes_gradcheck():
    nn.init.seed(12)
    model = nn.GPT(tiny_config(vocab_size=3, block_size=3, n_layer=1, n_embd=4)).to(np.float64)
    for p in model.parameters():
        p.data = p.data * 10 if p.ndim == 2 else p.data + 0.1
    idx, targets = np.array([[0, 2, 1]]), np.array([[2, 1, 0]])
    assert gradcheck(lambda *params: model(idx, targets)[1], tuple(model.parameters()))


def test_gpt_targets_of_another_shape_are_rejected():
    with pytest.raises(ShapeError, match=r"GPT: targets must have the shape of idx, \(1, 3\).*got shape \(3,\)"):
        nn.GPT(tiny_config())(np.zeros((1, 3), dtype=np.int64), np.zeros(3, dtype=np.int64))


def test_gpt_generate_keeps_prompt_crops_context_and_repeats_with_seed():
    model = nn.GPT(tiny_config())
    prompt = np.array([[1, 2, 3], [4, 5, 6]])
    a = model.generate(prompt, 8, rng=np.random.default_rng(0))
    b = model.generate(prompt, 8, rng=np.random.default_rng(0))
    assert a.shape == (2, 11) and a.dtype.kind == "i"
    np.testing.assert_array_equal(a[:, :3], prompt)
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0 and a.max() < 7
    assert isinstance(model.generate(Tensor(prompt), 1), Tensor)
    assert model.training  # the mode is restored afterwards


def test_gpt_generate_temperature_zero_is_greedy_and_top_k_one_agrees():
    nn.init.seed(9)
    model = nn.GPT(tiny_config())
    prompt = np.array([[3, 1]])
    greedy = model.generate(prompt, 5, temperature=0)
    np.testing.assert_array_equal(model.generate(prompt, 5, top_k=1, rng=np.random.default_rng(1)), greedy)
    ids = prompt
    for _ in range(5):  # the same, one step at a time from the forward pass
        ids = np.concatenate([ids, model(ids[:, -6:]).data[:, -1].argmax(axis=1)[:, None]], axis=1)
    np.testing.assert_array_equal(greedy, ids)


def test_gpt_sampling_follows_the_softmax_probabilities():
    model = nn.GPT(tiny_config(vocab_size=3, n_layer=1))
    for p in model.parameters():
        p.data[...] = 0
    model.lm_head.weight.data[:, 0] = np.log([0.2, 0.3, 0.5])  # ln_f's bias feeds a constant 1 into this column
    model.ln_f.bias.data[0] = 1.0
    draws = model.generate(np.zeros((4000, 1), dtype=np.int64), 1, rng=np.random.default_rng(2))[:, 1]
    freq = np.bincount(draws, minlength=3) / len(draws)
    np.testing.assert_allclose(freq, [0.2, 0.3, 0.5], atol=0.03)  # ~4 standard errors


def test_tiny_gpt_learns_to_continue_a_repeated_pattern():
    nn.init.seed(0)
    text = "hello world! " * 40
    chars = sorted(set(text))
    data = np.array([chars.index(c) for c in text])
    config = nn.GPTConfig(vocab_size=len(chars), block_size=16, n_layer=1, n_head=2, n_embd=16)
    model = nn.GPT(config)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    for _ in range(200):
        starts = rng.integers(0, len(data) - config.block_size - 1, 16)
        x = np.stack([data[i:i + 16] for i in starts])
        y = np.stack([data[i + 1:i + 17] for i in starts])
        loss = F.cross_entropy(model(x).reshape(-1, config.vocab_size), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.1
    out = model.generate(np.array([[chars.index("h")]]), 25, temperature=0)
    assert "".join(chars[i] for i in out[0]) == "hello world! hello world! "
