"""nn.onnx: export a model to ONNX, so it runs in ONNX Runtime and opens in Netron and other ONNX tools.

`export(model, example_inputs, path)` runs the model on the example, reads the graph the engine recorded and writes it
as ONNX: exporter.py drives it, trace.py records and checks the forward, converters.py is the table of ops, forms.py
their ONNX forms, graph.py builds the ONNX graph. Needs the optional `onnx` package (`pip install "chainrule[onnx]"`).
"""
from __future__ import annotations

from .exporter import export
from .trace import ExportError

__all__ = ["export", "ExportError"]
