"""cost.estimate: what a number of floating-point operations costs in time, energy, money and carbon on a device.

Time = FLOPs / (peak FLOP/s x utilisation x devices); energy = time x power x devices. Nothing here is measured at
import: this machine's speed is measured once, on first use, with a float32 matrix product, and cached.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Device:
    """A device's peak throughput and power draw, and where the figures come from."""

    name: str
    peak_flops: float   # FLOP/s at the precision named in `precision`
    watts: float        # power while busy (board power, TDP)
    precision: str
    source: str


# Published peak figures (dense, i.e. without structured sparsity):
# - NVIDIA A100 SXM4: 312 TFLOP/s BF16/FP16 Tensor Core, max TDP 400 W ("NVIDIA A100 Tensor Core GPU" datasheet).
# - NVIDIA H100 SXM5: 989 TFLOP/s BF16 Tensor Core (the datasheet's 1,979 assumes sparsity), max TDP 700 W
#   ("NVIDIA H100 Tensor Core GPU" datasheet).
# - NVIDIA GeForce RTX 4090: 165.2 TFLOP/s FP16/BF16 Tensor with FP32 accumulate (330.4 with sparsity), 450 W total
#   graphics power ("NVIDIA Ada Lovelace GPU Architecture" whitepaper, appendix table for the RTX 4090).
# - AMD Ryzen 7 7840U laptop CPU: 8 cores x 3.3 GHz base clock x 32 FP32 FLOP/cycle (two 256-bit FMA pipes per
#   Zen 4 core) = 845 GFLOP/s; default TDP 28 W (AMD product page "AMD Ryzen 7 7840U"; Zen 4 FPU width from AMD's
#   "Software Optimization Guide for AMD Family 19h Processors").
DEVICES: dict[str, Device] = {
    "a100": Device("NVIDIA A100 SXM4", 312e12, 400.0, "BF16 tensor, dense", "NVIDIA A100 Tensor Core GPU datasheet"),
    "h100": Device("NVIDIA H100 SXM5", 989e12, 700.0, "BF16 tensor, dense", "NVIDIA H100 Tensor Core GPU datasheet"),
    "rtx4090": Device("NVIDIA GeForce RTX 4090", 165.2e12, 450.0, "FP16/BF16 tensor, FP32 accumulate, dense",
                      "NVIDIA Ada Lovelace GPU Architecture whitepaper"),
    "laptop-cpu": Device("AMD Ryzen 7 7840U (laptop CPU)", 8 * 3.3e9 * 32, 28.0, "FP32, all cores at base clock",
                         "AMD Ryzen 7 7840U product page; Zen 4 has two 256-bit FMA pipes per core"),
}
MACHINE_WATTS = 65.0  # assumed for "this machine": a common desktop CPU TDP (not measured; pass watts= to change)

_MATMUL_SIZE, _MATMUL_REPEAT = 512, 5  # big enough to reach BLAS speed, small enough to time in a few ms
_machine_flops: float | None = None


def machine_flops() -> float:
    """This machine's float32 matrix-product speed in FLOP/s: the best of 5 products of 512 x 512 matrices, timed on
    first call and cached."""
    global _machine_flops
    if _machine_flops is None:
        size = _MATMUL_SIZE
        rng = np.random.default_rng(0)
        a = rng.standard_normal((size, size)).astype(np.float32)
        b = rng.standard_normal((size, size)).astype(np.float32)
        a @ b  # warm-up: the first product pays for starting the BLAS threads
        best = float("inf")
        for _ in range(_MATMUL_REPEAT):
            start = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - start)
        _machine_flops = 2 * size ** 3 / best
    return _machine_flops


def get_device(name: str) -> Device:
    """The Device called `name`: one of DEVICES, or "this machine" (measured float32 matmul speed)."""
    key = name.lower()
    if key in ("this machine", "machine", "cpu"):
        return Device("this machine", machine_flops(), MACHINE_WATTS, "FP32 matmul, measured",
                      f"measured here (numpy float32 matmul); power assumed {MACHINE_WATTS:g} W")
    if key not in DEVICES:
        raise ValueError(f"cost.estimate: unknown device {name!r}; use one of {', '.join(DEVICES)} or 'this machine'")
    return DEVICES[key]


@dataclass(frozen=True)
class Estimate:
    """What `flops` cost on `device` under the stated assumptions (see `estimate`)."""

    flops: float
    device: Device
    devices: int
    utilization: float
    seconds: float
    joules: float
    cost: float | None = None
    co2_kg: float | None = None
    currency: str = ""
    assumptions: list[str] = field(default_factory=list)

    @property
    def kwh(self) -> float:
        return self.joules / 3.6e6

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    def __str__(self) -> str:
        lines = [f"{self.flops:.3g} FLOPs on {self.devices} x {self.device.name}: {_duration(self.seconds)}, "
                 f"{_energy(self.kwh)}"]
        if self.cost is not None:
            lines[0] += f", {self.currency}{self.cost:,.2f}"
        if self.co2_kg is not None:
            lines[0] += f", {_mass(self.co2_kg)} CO2e"
        lines += ["  assuming " + a for a in self.assumptions]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head, *rest = str(self).split("\n")
        return f"<b>{head}</b><br>" + "<br>".join(rest)


def estimate(flops: float, device: str | Device = "this machine", utilization: float = 0.4, devices: int = 1,
             watts: float | None = None, price_per_kwh: float | None = None, currency: str = "$",
             carbon_g_per_kwh: float | None = None) -> Estimate:
    """Time, energy, and optionally money and carbon, of `flops` floating-point operations on `device`.

    Args:
        flops: the operations to run (e.g. a profile's `flops()`, or 6 * params * tokens for training).
        device: "this machine", "a100", "h100", "rtx4090" or "laptop-cpu" (see DEVICES for the cited figures), or a
            Device of your own.
        utilization: the fraction of peak actually reached (model FLOPs utilisation); 0.4 is typical of good large
            training runs. For "this machine" the peak is the measured float32 matmul speed.
        devices: how many devices share the work (perfect scaling assumed).
        watts: power per device while busy; defaults to the device's published TDP.
        price_per_kwh: electricity price, gives `cost` (in `currency`).
        carbon_g_per_kwh: grid carbon intensity in g CO2e per kWh, gives `co2_kg`.
    Returns:
        An Estimate with seconds, joules, kwh, hours, cost and co2_kg, that prints its assumptions.
    """
    if not flops >= 0:
        raise ValueError(f"cost.estimate: flops must be a non-negative number, got {flops!r}")
    if not 0 < utilization <= 1:
        raise ValueError(f"cost.estimate: utilization must be in (0, 1], got {utilization!r}; e.g. 0.4 for 40% MFU")
    if devices < 1:
        raise ValueError(f"cost.estimate: devices must be >= 1, got {devices!r}")
    dev = device if isinstance(device, Device) else get_device(device)
    power = dev.watts if watts is None else watts
    seconds = flops / (dev.peak_flops * utilization * devices)
    joules = seconds * power * devices
    kwh = joules / 3.6e6
    assumptions = [f"{utilization:.0%} of peak {dev.peak_flops:.3g} FLOP/s ({dev.precision}; {dev.source})",
                   f"{power:g} W per device while busy, nothing for cooling, networking or idle time"]
    if price_per_kwh is not None:
        assumptions.append(f"electricity at {currency}{price_per_kwh:g} per kWh")
    if carbon_g_per_kwh is not None:
        assumptions.append(f"{carbon_g_per_kwh:g} g CO2e per kWh")
    return Estimate(flops, dev, devices, utilization, seconds, joules,
                    None if price_per_kwh is None else kwh * price_per_kwh,
                    None if carbon_g_per_kwh is None else kwh * carbon_g_per_kwh / 1000, currency, assumptions)


def _duration(seconds: float) -> str:
    for unit, scale in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60), ("s", 1),
                        ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _energy(kwh: float) -> str:
    for unit, scale in (("TWh", 1e9), ("GWh", 1e6), ("MWh", 1e3), ("kWh", 1), ("Wh", 1e-3)):
        if kwh >= scale:
            return f"{kwh / scale:.3g} {unit}"
    joules = kwh * 3.6e6
    return f"{joules / 1e3:.3g} kJ" if joules >= 1e3 else f"{joules:.3g} J"


def _mass(kg: float) -> str:
    return f"{kg / 1000:.3g} t" if kg >= 1000 else f"{kg:.3g} kg" if kg >= 1 else f"{kg * 1000:.3g} g"
