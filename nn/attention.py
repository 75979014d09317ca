"""A small GPT, in the shape of nanoGPT's model file: causal self-attention, the transformer block and the model, in
dependency order. Everything is composed from Tensor ops and nn layers, so the engine derives every gradient.

Shapes: B batch, T sequence length (time), C embedding size (n_embd), nh heads, hs = C // nh the size of each head.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import Tensor, no_grad
from autograd.errors import DTypeError, ShapeError

from . import functional as F
from . import init
from .activation import GELU, Dropout
from .container import ModuleList
from .embedding import Embedding
from .functional.common import shifted_exp
from .linear import Linear
from .module import Module
from .normalization import LayerNorm


def _check_sequence(x: Any, n_embd: int, name: str) -> Tensor:
    x = F.as_tensor(x, name)
    if x.ndim != 3 or x.shape[2] != n_embd:
        raise ShapeError(f"{name}: expected input of shape (B, T, {n_embd}) (batch, time, n_embd), got shape "
                         f"{x.shape}")
    return x


class CausalSelfAttention(Module):
    """Multi-head self-attention where each position attends only to itself and to earlier positions.

    For each head: att = softmax(q @ k.T / sqrt(hs)) with the future masked out (set to -inf before the softmax, so
    it gets probability 0 and no gradient), then y = att @ v; the heads are joined and projected by c_proj.

    Args:
        n_embd: the embedding size C (must be divisible by n_head).
        n_head: the number of heads nh.
        dropout: dropout probability on the attention weights and on the output.
        bias: whether c_attn and c_proj learn biases.
    Shape:
        (B, T, n_embd) -> (B, T, n_embd).
    Attributes:
        c_attn: Linear(n_embd, 3 * n_embd) making queries, keys and values at once.
        c_proj: Linear(n_embd, n_embd), the output projection.
    """

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        if n_head < 1 or n_embd % n_head:
            raise ValueError(f"CausalSelfAttention: n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        self.n_embd, self.n_head, self.dropout = n_embd, n_head, dropout
        self.c_attn = Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = Linear(n_embd, n_embd, bias=bias)
        self.attn_dropout = Dropout(dropout)
        self.resid_dropout = Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        att, v = self._weights_and_values(x)  # (B, nh, T, T) and (B, nh, T, hs)
        att = self.attn_dropout(att)
        y = att @ v  # (B, nh, T, hs)
        B, nh, T, hs = y.shape
        y = y.transpose(0, 2, 1, 3).reshape(B, T, nh * hs)  # heads side by side again: (B, T, C)
        return self.resid_dropout(self.c_proj(y))

    def attention(self, x: Tensor) -> Tensor:
        """The attention weights a_ts of every head (before dropout), the ones forward averages the values with.

        Shape:
            (B, T, n_embd) -> (B, n_head, T, T); row t sums to 1 and is 0 above the diagonal (s > t).
        """
        return self._weights_and_values(x)[0]

    def _weights_and_values(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = _check_sequence(x, self.n_embd, "CausalSelfAttention")
        B, T, C = x.shape
        nh = self.n_head
        hs = C // nh
        q, k, v = self.c_attn(x).split(3, axis=2)  # each (B, T, C)
        q = q.reshape(B, T, nh, hs).transpose(0, 2, 1, 3)  # (B, nh, T, hs)
        k = k.reshape(B, T, nh, hs).transpose(0, 2, 1, 3)  # (B, nh, T, hs)
        v = v.reshape(B, T, nh, hs).transpose(0, 2, 1, 3)  # (B, nh, T, hs)
        att = (q @ k.swapaxes(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, nh, T, T)
        # position t may look at positions 0..t: -inf is added above the diagonal (an added constant costs nothing in
        # backward; where(mask, att, -inf) took 0.55 ms a call, forward and backward, for W7's (16, 4, 64, 64))
        att = att + np.triu(np.full((T, T), -np.inf, dtype=att.dtype), 1)
        return F.softmax(att, axis=-1), v

    def extra_repr(self) -> str:
        return f"n_embd={self.n_embd}, n_head={self.n_head}, dropout={self.dropout}"


class FeedForward(Module):
    """The block's position-wise MLP: c_fc (C -> 4C), GELU, c_proj (4C -> C), dropout.

    Shape:
        (B, T, n_embd) -> (B, T, n_embd).
    """

    def __init__(self, n_embd: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        self.c_fc = Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = GELU()
        self.c_proj = Linear(4 * n_embd, n_embd, bias=bias)
        self.dropout = Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.gelu(self.c_fc(x))  # (B, T, 4C)
        return self.dropout(self.c_proj(x))  # (B, T, C)


class TransformerBlock(Module):
    """A pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).

    Args:
        n_embd: the embedding size C.
        n_head: the number of attention heads.
        dropout: dropout probability inside attention and the MLP.
    Shape:
        (B, T, n_embd) -> (B, T, n_embd).
    """

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.n_embd = n_embd
        self.ln_1 = LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln_2 = LayerNorm(n_embd)
        self.mlp = FeedForward(n_embd, dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = _check_sequence(x, self.n_embd, "TransformerBlock")
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


@dataclass
class GPTConfig:
    """The sizes of a GPT.

    Attributes:
        vocab_size: how many token ids.
        block_size: the longest sequence (context) the model takes.
        n_layer: how many transformer blocks.
        n_head: attention heads per block.
        n_embd: the embedding size C.
        dropout: dropout probability (0 for none).
    """

    vocab_size: int
    block_size: int
    n_layer: int
    n_head: int
    n_embd: int
    dropout: float = 0.0


class GPT(Module):
    """A decoder-only transformer language model: token + position embeddings, n_layer blocks, a final LayerNorm and
    a linear head giving the logits of the next token at every position.

    Weights are initialised as nanoGPT does: N(0, 0.02) for Linear and Embedding weights, zero biases, and
    N(0, 0.02 / sqrt(2 n_layer)) for the projections that feed the residual stream. The head is not tied to `wte`.

    Args:
        config: a GPTConfig.
    Shape:
        idx: integer token ids (B, T) with T <= block_size -> logits (B, T, vocab_size).
        With targets (B, T), as in nanoGPT's `model(idx, targets)`: -> (logits (B, T, vocab_size), loss), the loss
        the mean cross-entropy over every position (targets equal to -1 are left out, nanoGPT's ignore_index).
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            if getattr(config, name) < 1:
                raise ValueError(f"GPT: config.{name} must be >= 1, got {getattr(config, name)}")
        self.config = config
        self.wte = Embedding(config.vocab_size, config.n_embd)
        self.wpe = Embedding(config.block_size, config.n_embd)
        self.drop = Dropout(config.dropout)
        self.h = ModuleList([TransformerBlock(config.n_embd, config.n_head, config.dropout)
                             for _ in range(config.n_layer)])
        self.ln_f = LayerNorm(config.n_embd)
        self.lm_head = Linear(config.n_embd, config.vocab_size, bias=False)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):  # residual projections: scaled so the stream's variance stays put
                init.normal_(p, 0.0, 0.02 / math.sqrt(2 * config.n_layer))
            elif name.endswith("bias") and ".ln_" not in name and not name.startswith("ln_f"):
                init.zeros_(p)
            elif name.endswith("weight") and ".ln_" not in name and not name.startswith("ln_f"):
                init.normal_(p, 0.0, 0.02)

    def _check_idx(self, idx: Any) -> np.ndarray:
        ids = idx.data if isinstance(idx, Tensor) else np.asarray(idx)
        if ids.dtype.kind not in "iu":
            raise DTypeError(f"GPT: expected integer token ids, got dtype {ids.dtype}; convert them with "
                             ".astype(np.int64)")
        if ids.ndim != 2:
            raise ShapeError(f"GPT: expected token ids of shape (B, T) (batch, time), got shape {ids.shape}; "
                             "use idx.reshape(1, -1) for a single sequence")
        if ids.shape[1] > self.config.block_size:
            raise ShapeError(f"GPT: sequence length {ids.shape[1]} is longer than block_size "
                             f"{self.config.block_size}; keep the last {self.config.block_size} tokens "
                             f"(idx[:, -{self.config.block_size}:])")
        return ids

    def forward(self, idx: Any, targets: Any = None) -> Tensor | tuple[Tensor, Tensor]:
        ids = self._check_idx(idx)
        B, T = ids.shape
        x = self.drop(self.wte(ids) + self.wpe(np.arange(T)))  # (B, T, C) + (T, C) -> (B, T, C)
        for block in self.h:
            x = block(x)  # (B, T, C)
        logits = self.lm_head(self.ln_f(x))  # (B, T, vocab_size)
        if targets is None:
            return logits
        if np.shape(targets) != (B, T):
            raise ShapeError(f"GPT: targets must have the shape of idx, {(B, T)} (the next token at every position), "
                             f"got shape {np.shape(targets)}")
        targets = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
        loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T), ignore_index=-1)  # (B*T, V), (B*T,)
        return logits, loss

    def generate(self, idx: Any, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 rng: np.random.Generator | None = None) -> Any:
        """Continue each sequence by sampling max_new_tokens tokens, one at a time, feeding each back in.

        Runs in eval mode (no dropout) without recording gradients, then restores the previous mode.

        Args:
            idx: integer token ids (B, T): an ndarray or an integer Tensor.
            max_new_tokens: how many tokens to add.
            temperature: divides the logits: < 1 sharper, > 1 flatter; 0 always picks the most likely token.
            top_k: sample only among the k most likely tokens (None: all).
            rng: a numpy Generator for repeatable samples (default: nn.init's generator, see nn.init.seed).
        Returns:
            (B, T + max_new_tokens) token ids, of the same kind (ndarray or Tensor) as idx.
        """
        if temperature < 0:
            raise ValueError(f"GPT.generate: temperature must be >= 0, got {temperature}")
        if top_k is not None and top_k < 1:
            raise ValueError(f"GPT.generate: top_k must be >= 1 or None, got {top_k}")
        ids = np.array(self._check_idx(idx), dtype=np.int64)
        rng = init.get_generator() if rng is None else rng
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                for _ in range(max_new_tokens):
                    logits = self(ids[:, -self.config.block_size:]).data[:, -1, :].astype(np.float64)  # (B, vocab)
                    ids = np.concatenate([ids, _sample(logits, temperature, top_k, rng)], axis=1)
        finally:
            self.train(was_training)
        return Tensor(ids) if isinstance(idx, Tensor) else ids


def _sample(logits: np.ndarray, temperature: float, top_k: int | None, rng: np.random.Generator) -> np.ndarray:
    """One token id per row of logits (B, vocab), as a (B, 1) column."""
    if temperature == 0:
        return logits.argmax(axis=1)[:, None]
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[1]:
        kth = np.sort(logits, axis=1)[:, -top_k][:, None]
        logits = np.where(logits < kth, -np.inf, logits)
    cdf = np.cumsum(shifted_exp(logits, axis=1)[1], axis=1)  # unnormalised: the draws scale to its last column
    draws = rng.random((len(logits), 1)) * cdf[:, -1:]
    return np.minimum((cdf <= draws).sum(axis=1), logits.shape[1] - 1)[:, None]
