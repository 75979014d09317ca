"""autograd.tools.cost.estimate (time, energy, money, carbon from FLOPs) and the 6*N*D rule against measured FLOPs."""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd.tools import cost


def test_a100_second_at_full_utilization_is_its_peak_and_draws_its_power():
    est = cost.estimate(312e12, device="a100", utilization=1.0)
    assert est.seconds == pytest.approx(1.0)
    assert est.joules == pytest.approx(400.0)            # 1 s x 400 W
    assert est.kwh == pytest.approx(400 / 3.6e6)
    assert est.cost is None and est.co2_kg is None       # no price or carbon intensity given


def test_utilization_devices_price_and_carbon_scale_as_stated():
    flops = 989e12 * 3600                                # one H100-hour at peak
    est = cost.estimate(flops, device="h100", utilization=0.5, devices=4, price_per_kwh=0.2,
                        carbon_g_per_kwh=300)
    assert est.hours == pytest.approx(0.5)               # 2x slower at 50%, 4x faster on 4 devices
    assert est.kwh == pytest.approx(0.5 * 0.7 * 4)       # 0.5 h x 700 W x 4 devices
    assert est.cost == pytest.approx(1.4 * 0.2)
    assert est.co2_kg == pytest.approx(1.4 * 0.3)


def test_watts_override_changes_energy_not_time():
    default = cost.estimate(1e15, device="rtx4090")
    low = cost.estimate(1e15, device="rtx4090", watts=225.0)
    assert low.seconds == pytest.approx(default.seconds)
    assert low.joules == pytest.approx(default.joules / 2)


def test_gpt3_training_compute_on_a100s_takes_weeks():
    # GPT-3 175B: 3.14e23 FLOPs (Brown et al. 2020, table D.1); 1,024 A100s at 40% of the 312 TFLOP/s peak
    est = cost.estimate(3.14e23, device="a100", utilization=0.4, devices=1024)
    # by hand: 312e12 x 0.4 x 1024 = 1.277952e17 FLOP/s; 3.14e23 / 1.277952e17 = 2.457056e6 s = 28.438 days
    assert est.seconds == pytest.approx(2.457056e6, rel=1e-6)
    assert est.seconds / 86400 == pytest.approx(28.438, rel=1e-4)
    assert est.joules == pytest.approx(2.457056e6 * 400 * 1024, rel=1e-6)   # 400 W on each of the 1,024 devices
    text = str(est)
    assert "28.4 days" in text and "NVIDIA A100" in text and "40% of peak" in text


def test_this_machine_is_measured_once_and_cached():
    first = cost.machine_flops()
    assert first > 1e8                                   # any machine today does more than 0.1 GFLOP/s
    assert cost.machine_flops() == first
    est = cost.estimate(first, device="this machine", utilization=1.0)
    assert est.seconds == pytest.approx(1.0)
    assert est.joules == pytest.approx(cost.MACHINE_WATTS)


def test_every_device_cites_its_source():
    for key, dev in cost.DEVICES.items():
        assert dev.peak_flops > 1e11 and dev.watts > 0, key
        assert "datasheet" in dev.source or "whitepaper" in dev.source or "product page" in dev.source, key


@pytest.mark.parametrize("kwargs, match", [
    ({"device": "abacus"}, "unknown device"),
    ({"utilization": 0.0}, "utilization"),
    ({"utilization": 1.5}, "utilization"),
    ({"devices": 0}, "devices"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cost.estimate(1e12, **kwargs)
    with pytest.raises(ValueError, match="flops"):
        cost.estimate(-1.0)


def test_six_n_d_rule_agrees_with_the_measured_count_of_a_small_transformer():
    """Training costs about 6 FLOPs per parameter per token: 2 for the forward product, 4 for the two backward ones.

    N counts the parameters that multiply activations (every weight matrix, the head included); token and position
    embeddings are looked up, not multiplied, so they are left out, as in Kaplan et al. 2020. The rule leaves out the
    attention itself: q @ k.T and att @ v cost 2*T*C FLOPs each per token and layer in the forward pass (this model
    computes all T x T scores, then masks the future), 12*L*T*C per token for training. It also leaves out softmax,
    layer norms, GELU, residual additions and the loss, which together add about 1% here. So 6*N*D undercounts this
    small model by 5-15% (attention matters more when T is large next to C), and adding the attention term leaves
    about 1%.
    """
    nn = pytest.importorskip("nn")
    F = nn.functional
    B, T, C, L, V = 4, 32, 64, 2, 65
    nn.init.seed(0)
    model = nn.GPT(nn.GPTConfig(vocab_size=V, block_size=T, n_layer=L, n_head=4, n_embd=C))
    rng = np.random.default_rng(0)
    idx, target = rng.integers(0, V, (B, T)), rng.integers(0, V, (B * T,))
    with ag.profile() as prof:
        loss = F.cross_entropy(model(idx).reshape(B * T, V), target)
        loss.backward()
    assert prof.uncounted == []
    per_block = 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + 2 * C + (C * 4 * C + 4 * C) + (4 * C * C + C)
    N = L * per_block + 2 * C + C * V                     # blocks, final layer norm, head (no bias)
    assert N == sum(p.size for name, p in model.named_parameters() if not name.startswith(("wte", "wpe")))
    D = B * T
    measured = prof.flops()
    rule = 6 * N * D
    assert 1.0 < measured / rule < 1.15
    with_attention = rule + 12 * L * T * C * D
    assert 1.0 < measured / with_attention < 1.03
