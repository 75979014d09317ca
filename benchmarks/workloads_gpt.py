"""W7: one training step of the course's GPT (nanoGPT's layout) against the same model in PyTorch (CPU), same process.

    vocab 65, block 64, 2 layers, 4 heads, n_embd 128, batch 16, exact GELU, AdamW (nanoGPT's groups: weight decay on
    the matrices only), float32. Both start from the same weights (the chainrule state dict loaded into PyTorch), and
    the first forward and backward are checked to give the same loss and gradients before anything is timed.

PyTorch is never a dependency of the project: without it the row says "skipped: PyTorch not installed". Its threads
are set to OPENBLAS_NUM_THREADS (when set) so both sides use as many cores. benchmarks/run.py calls w7();
`python benchmarks/workloads_gpt.py` runs it on its own.
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nn  # noqa: E402
import optim  # noqa: E402

VOCAB, BLOCK, LAYERS, HEADS, EMBD, BATCH = 65, 64, 2, 4, 128, 16
LR, WEIGHT_DECAY = 1e-3, 0.1


def batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (B, T) and their next tokens, from one random sequence (any data times the same)."""
    tokens = np.random.default_rng(seed).integers(0, VOCAB, BATCH * BLOCK + 1)
    return tokens[:-1].reshape(BATCH, BLOCK), tokens[1:].reshape(BATCH, BLOCK)


def decay_groups(named: list) -> list[dict]:
    """nanoGPT's configure_optimizers: weight decay on every parameter of 2 or more axes, none on biases and norms."""
    return [{"params": [p for _, p in named if p.ndim >= 2], "weight_decay": WEIGHT_DECAY},
            {"params": [p for _, p in named if p.ndim < 2], "weight_decay": 0.0}]


def torch_gpt(torch, state: dict, manual_attention: bool = False):
    """nanoGPT's model.py in PyTorch, with chainrule's parameter names (no `transformer.` prefix) and an untied head."""
    tnn, tF = torch.nn, torch.nn.functional

    class CausalSelfAttention(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = tnn.Linear(EMBD, 3 * EMBD)
            self.c_proj = tnn.Linear(EMBD, EMBD)
            self.register_buffer("bias", torch.tril(torch.ones(BLOCK, BLOCK)).view(1, 1, BLOCK, BLOCK),
                                 persistent=False)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(EMBD, dim=2)
            k = k.view(B, T, HEADS, C // HEADS).transpose(1, 2)
            q = q.view(B, T, HEADS, C // HEADS).transpose(1, 2)
            v = v.view(B, T, HEADS, C // HEADS).transpose(1, 2)
            if manual_attention:  # nanoGPT's path when scaled_dot_product_attention is missing
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
                y = tF.softmax(att, dim=-1) @ v
            else:  # nanoGPT's "flash" path (what it runs on PyTorch 2)
                y = tF.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0, is_causal=True)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class MLP(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = tnn.Linear(EMBD, 4 * EMBD)
            self.gelu = tnn.GELU()
            self.c_proj = tnn.Linear(4 * EMBD, EMBD)

        def forward(self, x):
            return self.c_proj(self.gelu(self.c_fc(x)))

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = tnn.LayerNorm(EMBD)
            self.attn = CausalSelfAttention()
            self.ln_2 = tnn.LayerNorm(EMBD)
            self.mlp = MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.wte = tnn.Embedding(VOCAB, EMBD)
            self.wpe = tnn.Embedding(BLOCK, EMBD)
            self.h = tnn.ModuleList([Block() for _ in range(LAYERS)])
            self.ln_f = tnn.LayerNorm(EMBD)
            self.lm_head = tnn.Linear(EMBD, VOCAB, bias=False)

        def forward(self, idx, targets):
            B, T = idx.size()
            x = self.wte(idx) + self.wpe(torch.arange(T))
            for block in self.h:
                x = block(x)
            logits = self.lm_head(self.ln_f(x))
            return logits, tF.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)

    model = GPT()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    return model


def w7() -> None:
    import run
    median_times, row = run.median_times, run.row
    print(f"W7  GPT step (nanoGPT's layout): vocab {VOCAB}, block {BLOCK}, {LAYERS} layers, {HEADS} heads, n_embd "
          f"{EMBD}, batch {BATCH}, exact GELU, AdamW, float32")
    idx, targets = batch()
    nn.init.seed(0)
    model = nn.GPT(nn.GPTConfig(vocab_size=VOCAB, block_size=BLOCK, n_layer=LAYERS, n_head=HEADS, n_embd=EMBD))
    state = model.state_dict()  # copies of the arrays
    opt = optim.AdamW(decay_groups(list(model.named_parameters())), lr=LR)

    def step() -> float:
        _, loss = model(idx, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    try:
        import torch
    except ImportError:
        row("chainrule nn + optim.AdamW", run.median_time(step, repeat=10))
        print("  PyTorch: skipped: PyTorch not installed")
        return
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", torch.get_num_threads()))
    torch.set_num_threads(threads)
    tidx, ttargets = torch.from_numpy(idx), torch.from_numpy(targets)
    steps = {}
    for manual in (False, True):
        tmodel = torch_gpt(torch, state, manual_attention=manual)
        topt = torch.optim.AdamW(decay_groups(list(tmodel.named_parameters())), lr=LR)

        def torch_step(tmodel=tmodel, topt=topt) -> float:
            _, loss = tmodel(tidx, ttargets)
            topt.zero_grad(set_to_none=True)
            loss.backward()
            topt.step()
            return loss.item()
        steps[manual] = (tmodel, torch_step)

    # the same model: from the same weights, the same loss and the same gradients (to float32 rounding; weights after
    # an Adam step are no check: it moves a weight by about lr whatever the size of its gradient, and the keys' bias
    # has a gradient of pure rounding noise, softmax being blind to a shift)
    tmodel = steps[False][0]
    _, loss = model(idx, targets)
    _, tloss = tmodel(tidx, ttargets)
    loss.backward()
    tloss.backward()
    tgrads = {name: p.grad.numpy() for name, p in tmodel.named_parameters()}
    worst = max(float(np.abs(p.grad.data - tgrads[name]).max() / np.abs(tgrads[name]).max())
                for name, p in model.named_parameters())
    if abs(loss.item() - tloss.item()) > 1e-5 or worst > 1e-4:
        raise RuntimeError(f"W7: chainrule and PyTorch disagree (loss {loss.item()} vs {tloss.item()}, gradients "
                           f"differ by {worst:.2g} of their largest)")
    base, base_manual, t = median_times([steps[False][1], steps[True][1], step], rounds=5, per_round=2)
    row(f"PyTorch {torch.__version__} ({threads} thread{'s' * (threads > 1)}, nanoGPT's SDPA)", base)
    row("PyTorch, nanoGPT's manual attention", base_manual, base)
    row("chainrule nn + optim.AdamW (target <= 1.3x)", t, base)


if __name__ == "__main__":
    w7()
