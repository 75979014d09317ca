"""summary: a model's layers in a table - output shapes, parameters, forward FLOPs and activation memory - measured by
running one forward pass under autograd.profile and attributing each op to the modules it ran in (node scopes)."""
from __future__ import annotations

import html
from typing import Any

import numpy as np

from autograd import Tensor

from . import init
from .module import Module


class Summary:
    """The result of `summary`: one row per module (a module's numbers include its sub-modules) and totals.

    Attributes:
        rows: dicts with name, type, depth, output_shape, params, trainable, flops, activation_bytes.
        total_params, trainable_params: parameter counts (each parameter once, even if shared).
        total_flops: forward FLOPs of the whole model for the given input.
        param_bytes: parameter memory as stored; activation_bytes: the peak memory the forward's graph held
            (every buffer once: op outputs the graph keeps, masks, and the input); input_bytes: the input's size.
        A row's activation_bytes are the buffers made by the module's ops that the graph keeps alive.
        uncounted: ops that ran but have no FLOP count (their FLOPs are missing from the totals).
    """

    def __init__(self, model_type: str, rows: list[dict], total_params: int, trainable_params: int,
                 total_flops: int, param_bytes: int, activation_bytes: int, input_bytes: int,
                 uncounted: list[str]) -> None:
        self.model_type, self.rows = model_type, rows
        self.total_params, self.trainable_params, self.total_flops = total_params, trainable_params, total_flops
        self.param_bytes, self.activation_bytes, self.input_bytes = param_bytes, activation_bytes, input_bytes
        self.uncounted = uncounted

    def to_dict(self) -> dict[str, Any]:
        """Rows and totals as plain Python values."""
        return {"rows": [dict(r) for r in self.rows], "total_params": self.total_params,
                "trainable_params": self.trainable_params, "total_flops": self.total_flops,
                "param_bytes": self.param_bytes, "activation_bytes": self.activation_bytes,
                "input_bytes": self.input_bytes, "uncounted": list(self.uncounted)}

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        from autograd.tools.profiler import format_bytes as _bytes, format_count as _si
        head = ["layer (type)", "output shape", "params", "trainable", "forward FLOPs", "activations"]
        body = [["  " * r["depth"] + (r["name"] or "(model)") + f" ({r['type']})", _shape(r["output_shape"]),
                 f"{r['params']:,}", f"{r['trainable']:,}", _si(r["flops"]), _bytes(r["activation_bytes"])]
                for r in self.rows]
        return head, body

    def _footer(self) -> list[str]:
        from autograd.tools.profiler import format_bytes as _bytes, format_count as _si
        n = self.total_params
        lines = [f"total params: {n:,}  (trainable {self.trainable_params:,}, non-trainable "
                 f"{n - self.trainable_params:,})",
                 f"parameter memory: {_bytes(4 * n)} float32, {_bytes(2 * n)} float16, {_bytes(n)} int8 "
                 f"(as stored: {_bytes(self.param_bytes)})",
                 f"forward FLOPs: {_si(self.total_flops)}  (a training step, forward + backward, costs about 3x)",
                 f"graph memory at its peak (activations, input included): {_bytes(self.activation_bytes)};  "
                 f"input {_bytes(self.input_bytes)};  with the parameters: "
                 f"{_bytes(self.param_bytes + self.activation_bytes)}"]
        if self.uncounted:
            lines.append("no FLOP count for: " + ", ".join(self.uncounted) + " (missing from the FLOPs)")
        return lines

    def __str__(self) -> str:
        head, body = self._cells()
        widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
        fmt = lambda row: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        rule = "-" * len(fmt(head))
        return "\n".join([f"{self.model_type} summary", rule, fmt(head), rule] + [fmt(r) for r in body]
                         + [rule] + self._footer())

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head, body = self._cells()
        th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        rows = "".join("<tr>" + "".join(
            f"<td style='text-align:{'left' if i < 2 else 'right'};white-space:pre'>{html.escape(c)}</td>"
            for i, c in enumerate(row)) + "</tr>" for row in body)
        notes = "<br>".join(html.escape(line) for line in self._footer())
        return (f"<b>{html.escape(self.model_type)} summary</b><table><thead><tr>{th}</tr></thead>"
                f"<tbody>{rows}</tbody></table><p>{notes}</p>")


def summary(model: Module, input: Any, mode: str = "eval", depth: int | None = None, seed: int = 0) -> Summary:
    """Run one forward pass of `model` and tabulate it layer by layer.

    Args:
        model: an nn.Module.
        input: a shape (tuple of ints: a float32 standard-normal input of that shape is made), or an example input
            (an ndarray or Tensor; integer token ids for models such as GPT).
        mode: "eval" (the default: dropout off, batch norm on running statistics) or "train". The model's modes,
            buffers (running statistics), gradients and nn.init's random generator are left as they were.
        depth: show modules nested at most this deep (None: all); totals always cover the whole model.
        seed: seeds the random input made from a shape.
    Returns:
        A Summary: prints as a table, renders as HTML in Jupyter, with `.total_params` and `.total_flops`.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected an nn.Module, got {type(model).__name__}")
    if mode not in ("eval", "train"):
        raise ValueError(f"summary: mode must be 'eval' or 'train', got {mode!r}")
    from autograd.tools.profiler import profile  # here, not at import: `import nn` leaves the profiler unloaded
    x = _example(input, seed)
    modes = {id(m): m.training for m in model.modules()}
    buffers = [(b, b.data.copy()) for b in model.buffers()]
    generator = init.get_generator().bit_generator.state  # dropout in train mode draws from it
    outputs: dict[str, list] = {}
    patched = _watch_outputs(model, outputs)
    try:
        model.train(mode == "train")
        with profile() as prof:
            model(x)
    finally:
        for m, had, old in patched:
            if had:
                object.__setattr__(m, "forward", old)
            else:
                del m.__dict__["forward"]
        for m in model.modules():
            object.__setattr__(m, "training", modes[id(m)])
        for b, data in buffers:
            b.data = data
        init.get_generator().bit_generator.state = generator
    return _tabulate(model, prof, outputs, depth, x)


def _example(input: Any, seed: int) -> Tensor:
    if isinstance(input, Tensor):
        return input
    if isinstance(input, (tuple, list)) and all(isinstance(d, (int, np.integer)) for d in input):
        if not input or any(d < 1 for d in input):
            raise ValueError(f"summary: an input shape needs positive sizes, got {tuple(input)}")
        data = np.random.default_rng(seed).standard_normal(tuple(int(d) for d in input)).astype(np.float32)
        return Tensor(data)
    if isinstance(input, np.ndarray):
        return Tensor(input)
    raise TypeError(f"summary: expected an input shape (a tuple of ints) or an example input (ndarray or Tensor), "
                    f"got {type(input).__name__}")


def _watch_outputs(model: Module, outputs: dict[str, list]) -> list[tuple]:
    """Wrap each module's forward (on the instance, undone afterwards) to note the shapes it returns."""
    patched = []
    for name, m in model.named_modules():
        had = "forward" in m.__dict__
        original = m.forward

        def forward(*args: Any, _forward: Any = original, _name: str = name, **kwargs: Any) -> Any:
            out = _forward(*args, **kwargs)
            outputs.setdefault(_name, []).append(_shapes(out))
            return out

        patched.append((m, had, m.__dict__.get("forward")))
        object.__setattr__(m, "forward", forward)
    return patched


def _owners(scope: tuple) -> set[str]:
    """The modules an op belongs to: those it ran in, and the containers above them (a ModuleList is never called)."""
    names = {""}
    for name, _ in scope:
        parts = name.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return names


def _shapes(out: Any) -> Any:
    if isinstance(out, Tensor):
        return out.shape
    if isinstance(out, (tuple, list)):
        return [_shapes(o) for o in out]
    return type(out).__name__


def _tabulate(model: Module, prof: Any, outputs: dict, depth: int | None, x: Tensor) -> Summary:
    flops: dict[str, int] = {}
    memory: dict[str, int] = {}
    for e in prof.events:
        if e.phase != "forward":
            continue
        for name in _owners(e.scope or ()):
            flops[name] = flops.get(name, 0) + (e.flops or 0)
            memory[name] = memory.get(name, 0) + e.graph_bytes
    rows = []
    for name, m in model.named_modules():
        level = 0 if name == "" else name.count(".") + 1
        if depth is not None and level > depth:
            continue
        params = list(m.parameters())  # each once, shared ones too
        shapes = outputs.get(name, [])
        rows.append({"name": name, "type": type(m).__name__, "depth": level,
                     "output_shape": shapes[-1] if shapes else None, "calls": len(shapes),
                     "params": sum(p.size for p in params), "trainable": sum(p.size for p in params if p.requires_grad),
                     "flops": flops.get(name, 0), "activation_bytes": memory.get(name, 0)})
    params = list(model.parameters())
    return Summary(type(model).__name__, rows, sum(p.size for p in params),
                   sum(p.size for p in params if p.requires_grad), prof.flops("forward"),
                   sum(p.data.nbytes for p in params), prof.peak_bytes, x.data.nbytes, prof.uncounted)


def _shape(shape: Any) -> str:
    if shape is None:
        return "--"
    if isinstance(shape, tuple):
        return "(" + ", ".join(str(d) for d in shape) + ")"
    if isinstance(shape, list):
        return ", ".join(_shape(s) for s in shape)
    return str(shape)
