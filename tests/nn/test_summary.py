"""nn.summary: parameter counts, FLOPs and shapes per layer (from the layer sizes), totals, and no side effects."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.grad_mode import _state


def mlp(n_in=6, hidden=5, n_out=3):
    nn.init.seed(0)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, n_out))


def rows_by_name(s):
    return {r["name"]: r for r in s.rows}


def test_mlp_rows_and_totals_follow_from_the_layer_sizes():
    B, D, H, C = 4, 6, 5, 3
    s = nn.summary(mlp(D, H, C), (B, D))
    rows = rows_by_name(s)
    assert [r["type"] for r in s.rows] == ["Sequential", "Linear", "ReLU", "Dropout", "Linear"]
    assert rows["0"]["params"] == D * H + H and rows["3"]["params"] == H * C + C
    assert rows["0"]["output_shape"] == (B, H) and rows["2"]["output_shape"] == (B, H)
    assert rows[""]["output_shape"] == (B, C)
    assert rows["0"]["flops"] == 2 * B * D * H + B * H
    assert rows["1"]["flops"] == B * H                   # one comparison per element
    assert rows["2"]["flops"] == 0                       # dropout is the identity in eval mode
    assert rows["3"]["flops"] == 2 * B * H * C + B * C
    assert s.total_params == D * H + H + H * C + C
    assert s.total_flops == 2 * B * D * H + B * H + B * H + 2 * B * H * C + B * C
    assert rows[""]["flops"] == s.total_flops            # a module's numbers include its sub-modules


def test_activation_memory_is_what_the_graph_keeps_of_each_layer():
    B, D, H, C = 4, 6, 5, 3
    s = nn.summary(mlp(D, H, C), (B, D))
    rows = rows_by_name(s)
    assert rows["0"]["activation_bytes"] == B * H * 4            # Linear's float32 output, input to ReLU
    assert rows["1"]["activation_bytes"] == B * H * 4 + B * H    # ReLU's output and its boolean mask
    assert rows["3"]["activation_bytes"] == 0                    # the model's output is the caller's, not the graph's
    assert s.input_bytes == B * D * 4
    assert s.activation_bytes == B * D * 4 + 2 * B * H * 4 + B * H   # the peak includes the input
    assert s.param_bytes == 4 * s.total_params


def test_frozen_parameters_are_not_trainable():
    model = mlp()
    model[0].requires_grad_(False)
    s = nn.summary(model, (2, 6))
    assert s.trainable_params == s.total_params - (6 * 5 + 5)
    assert rows_by_name(s)["0"]["trainable"] == 0


def test_conv_net_flops_match_the_closed_form():
    nn.init.seed(0)
    N, C_in, H, W, C_out, k = 2, 3, 8, 8, 4, 3
    model = nn.Sequential(nn.Conv2d(C_in, C_out, k, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(C_out * 4 * 4, 10))
    s = nn.summary(model, (N, C_in, H, W))
    rows = rows_by_name(s)
    assert rows["0"]["flops"] == 2 * N * C_out * H * W * C_in * k * k + N * C_out * H * W
    assert rows["2"]["flops"] == N * C_out * 4 * 4 * (2 * 2 - 1)   # 3 comparisons per 2x2 window
    assert rows["2"]["output_shape"] == (N, C_out, 4, 4) and rows["3"]["output_shape"] == (N, C_out * 16)
    assert rows["0"]["params"] == C_out * C_in * k * k + C_out


def test_gpt_takes_an_example_input_of_token_ids_and_counts_containers():
    nn.init.seed(0)
    V, T, C, L = 11, 8, 16, 2
    model = nn.GPT(nn.GPTConfig(vocab_size=V, block_size=T, n_layer=L, n_head=2, n_embd=C))
    s = nn.summary(model, np.zeros((3, T), dtype=np.int64))
    block = 2 * C + (3 * C * C + 3 * C) + (C * C + C) + 2 * C + (4 * C * C + 4 * C) + (4 * C * C + C)
    assert s.total_params == V * C + T * C + L * block + 2 * C + C * V
    rows = rows_by_name(s)
    assert rows[""]["output_shape"] == (3, T, V)
    assert rows["h"]["params"] == L * block
    assert rows["h"]["flops"] == rows["h.0"]["flops"] + rows["h.1"]["flops"] > 0  # a ModuleList is never called
    assert rows["lm_head"]["flops"] == 2 * 3 * T * C * V


def test_depth_limits_the_rows_not_the_totals():
    nn.init.seed(0)
    model = nn.GPT(nn.GPTConfig(vocab_size=7, block_size=4, n_layer=1, n_head=1, n_embd=8))
    full = nn.summary(model, np.zeros((1, 4), dtype=np.int64))
    top = nn.summary(model, np.zeros((1, 4), dtype=np.int64), depth=1)
    assert {r["depth"] for r in top.rows} == {0, 1}
    assert len(top.rows) < len(full.rows)
    assert top.total_flops == full.total_flops and top.total_params == full.total_params


def test_summary_leaves_the_model_as_it_was():
    nn.init.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
    model.train()
    running = model[1].running_mean.data.copy()
    state = nn.init.get_generator().bit_generator.state
    grads = {}
    for i, p in enumerate(model.parameters()):
        p.grad = np.full(p.shape, float(i + 1), dtype=p.data.dtype)
        grads[id(p)] = (p.grad, p.grad.data.copy())
    s = nn.summary(model, (5, 3), mode="train")
    assert all(m.training for m in model.modules())
    assert np.array_equal(model[1].running_mean.data, running)
    assert nn.init.get_generator().bit_generator.state == state
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert all(p.grad is grads[id(p)][0] and np.array_equal(p.grad.data, grads[id(p)][1]) for p in model.parameters())
    assert _state.observers == ()
    assert rows_by_name(s)["2"]["flops"] == 5 * 4        # dropout ran (train mode): one product per element
    model.eval()
    nn.summary(model, (5, 3))
    assert not any(m.training for m in model.modules())


def test_importing_nn_leaves_the_profiler_unloaded():
    code = "import sys, nn; print('autograd.tools.profiler' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False"]
    nn.summary(mlp(), (2, 6))  # and summary still finds it when it runs
    assert "autograd.tools.profiler" in sys.modules


def test_prints_a_table_and_renders_html():
    s = nn.summary(mlp(), (2, 6))
    text, page = str(s), s._repr_html_()
    assert "Linear" in text and "(2, 5)" in text and f"{s.total_params:,}" in text
    assert "float16" in text and "int8" in text
    assert "<table>" in page and "Dropout" in page
    assert s.to_dict()["total_flops"] == s.total_flops


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="nn.Module"):
        nn.summary(lambda x: x, (2, 3))
    with pytest.raises(TypeError, match="input shape"):
        nn.summary(mlp(), "2x6")
    with pytest.raises(ValueError, match="positive"):
        nn.summary(mlp(), (0, 6))
    with pytest.raises(ValueError, match="mode"):
        nn.summary(mlp(), (2, 6), mode="test")


def test_tensor_input_is_used_as_given():
    x = Tensor(np.ones((3, 6), dtype=np.float64))
    s = nn.summary(mlp(), x)
    assert rows_by_name(s)[""]["output_shape"] == (3, 3)
    assert s.input_bytes == 3 * 6 * 8
