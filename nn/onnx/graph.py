"""Graph: the ONNX graph being built from a recording. It names every value (inputs, parameters by their state-dict
names, op outputs by the module path they ran in), runs each Node's converter, and assembles the checked model."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd
from autograd.function import Node, Variable

from .converters import CONVERTERS
from .trace import ExportError, Trace, where


class Graph:
    """The ONNX nodes, initializers and names made so far; converters call its methods (see converters.py)."""

    def __init__(self, onnx: Any, opset: int, first: Trace, second: Trace) -> None:
        self.onnx, self.helper, self.opset = onnx, onnx.helper, opset
        self.first, self.second = first, second
        self.nodes: list = []
        self.initializers: dict[str, Any] = {}
        self.constants: dict[tuple, str] = {}  # (dtype, shape, bytes) -> the initializer holding that constant
        self.names: dict[tuple, str] = {}      # (Node, output index) -> the ONNX value holding it
        self.taken: set[str] = set()
        self.path = ""                          # the module path of the op being converted, for names
        self.input_names: list[str] = []
        self.other: Node | None = None          # the Node of the second run matching the one being converted

    # --- converting ----------------------------------------------------------------------------------------------
    def convert(self, input_names: list[str]) -> None:
        """Run every recorded Node's converter, in the order the Nodes ran."""
        self.input_names = input_names
        self.taken.update(input_names)
        for node, other in zip(self.first.nodes, self.second.nodes):
            converter = CONVERTERS.get(node.fn)
            if converter is None:
                raise ExportError(f"export: {node.name} {where(node)} has no ONNX form; write that step with ops "
                                  "that have one (see the table in nn/onnx/converters.py), or export the model "
                                  "without it")
            self.path = node.scope[-1][0] if node.scope else ""
            self.other = other
            x = [self.value(inp, node.seq) if isinstance(inp, Variable) else inp for inp in node.inputs]
            out = converter(self, node, x)
            for i, name in enumerate(out if isinstance(out, list) else [out]):
                self.names[(node, i)] = name

    def value(self, x: Variable, seq: float) -> str:
        """The ONNX name of a Tensor an op used: an earlier op's output, an input, a parameter or a constant."""
        kind = self.first.describe(x, seq)
        if kind[0] == "op":
            return self.names[(self.first.nodes[kind[1]], kind[2])]
        if kind[0] == "input":
            return self.input_names[kind[1]]
        if kind[0] == "state":
            if kind[1] not in self.initializers:
                self.initializers[kind[1]] = self.onnx.numpy_helper.from_array(x.data, kind[1])
                self.taken.add(kind[1])
            return kind[1]
        return self.const(x.data)

    # --- what converters call ----------------------------------------------------------------------------------
    def op(self, op_type: str, inputs: list[str], n_outputs: int = 1, **attributes: Any) -> Any:
        """Add one ONNX node; returns its output's name (a list of names when n_outputs > 1)."""
        name = self._unique(f"/{self.path}/{op_type}" if self.path else f"/{op_type}")
        outputs = [self._unique(f"{name}_output_{i}") for i in range(n_outputs)]
        self.nodes.append(self.helper.make_node(op_type, inputs, outputs, name=name, **attributes))
        return outputs[0] if n_outputs == 1 else outputs

    def const(self, value: Any, dtype: Any = None) -> str:
        """An initializer holding a constant (each distinct constant once)."""
        array = np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self.constants:
            name = self._unique(f"/{self.path}/constant" if self.path else "/constant")
            self.constants[key] = name
            self.initializers[name] = self.onnx.numpy_helper.from_array(array, name)
        return self.constants[key]

    def ints(self, values: Any) -> str:
        """A 1-d int64 constant (the shapes, axes and sizes ONNX ops take as inputs)."""
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1))

    def array(self, value: np.ndarray) -> str:
        """A plain array argument (an index, a mask): the graph input it is, or a constant."""
        kind = self.first.describe(value)
        return self.input_names[kind[1]] if kind[0] == "input" else self.const(value)

    def is_input(self, value: Any) -> bool:
        return self.first.describe(value)[0] == "input"

    def onnx_dtype(self, dtype: Any) -> int:
        return self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def as_result_dtype(self, node: Node, i: int, name: str) -> str:
        """Input `i` of `node` cast to the dtype of the node's result, when numpy's promotion changed it."""
        have, want = np.asarray(node.inputs[i].data).dtype, self.first.values[(node, 0)].dtype
        return name if have == want else self.op("Cast", [name], to=self.onnx_dtype(want))

    def reduce(self, op_type: str, x: str, axes: tuple, keepdims: bool) -> str:
        """A Reduce* op over `axes`: the axes are an input from opset 18 on (13 for ReduceSum), an attribute before."""
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, [x, self.ints(axes)], keepdims=int(keepdims))
        return self.op(op_type, [x], axes=list(axes), keepdims=int(keepdims))

    def symbolic_shape(self, node: Node, expand: bool) -> list[int]:
        """The target shape of a Reshape or Expand, with the sizes that follow a dynamic axis made symbolic: 0 (keep
        the input's axis, Reshape) or 1 (keep it, Expand), else one -1 (Reshape: whatever the size implies)."""
        target, other = tuple(node.inputs[1]), tuple(self.other.inputs[1])
        shape, other_shape = node.inputs[0].data.shape, self.other.inputs[0].data.shape
        if len(target) != len(other):
            self.unsupported(node, f"the target shape {target} changes rank with the dynamic axes ({other})")
        lead = len(target) - len(shape) if expand else 0  # Expand lines the shapes up from the right
        result = []
        for i, (size, other_size) in enumerate(zip(target, other)):
            j = i - lead
            if size == other_size:
                result.append(int(size))
            elif 0 <= j < len(shape) and (shape[j], other_shape[j]) == (size, other_size):
                result.append(1 if expand else 0)
            elif not expand and -1 not in result:
                result.append(-1)
            else:
                self.unsupported(node, f"the target shape {target} has sizes that follow the dynamic axes in a way "
                                       "ONNX cannot infer (more than one size computed from them)")
        return result

    def require_static(self, node: Node, i: int, axis: int, what: str) -> None:
        if node.inputs[i].data.shape[axis] != self.other.inputs[i].data.shape[axis]:
            self.unsupported(node, f"{what} (axis {axis}) is a dynamic axis; leave it out of dynamic_axes")

    def unsupported(self, node: Node, message: str) -> None:
        raise ExportError(f"export: {node.name} {where(node)}: {message}")

    def _unique(self, name: str) -> str:
        base, k = name, 0
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    # --- the model -----------------------------------------------------------------------------------------------
    def model(self, input_names: list[str], output_names: list[str], symbols: dict, graph_name: str) -> Any:
        """The ModelProto: inputs and outputs with their (symbolic) shapes, the nodes, the initializers."""
        helper, first, second = self.helper, self.first, self.second
        clash = sorted((set(input_names) | set(output_names)) & set(self.initializers))
        if clash:
            raise ValueError(f"export: the names {clash} are already those of parameters or constants; pick others "
                             "for input_names and output_names")
        sizes = {}  # (example size, variant size) -> the symbol of the input axis that varied so
        inputs = []
        for k, name in enumerate(input_names):
            a, b = first.inputs[k].data, second.inputs[k].data
            dims = [symbols.get((name, j), n) for j, n in enumerate(a.shape)]
            for j, d in enumerate(dims):
                if isinstance(d, str):
                    sizes.setdefault((a.shape[j], b.shape[j]), d)
            inputs.append(helper.make_tensor_value_info(name, self.onnx_dtype(a.dtype), dims))
        renamed, outputs = {}, []
        for k, (name, out) in enumerate(zip(output_names, first.outputs)):
            value = self.value(out, math.inf)
            if first.describe(out)[0] == "op" and value not in renamed:
                renamed[value] = name
            else:  # an input, a constant or an output listed twice: copied under the output's name
                self.nodes.append(helper.make_node("Identity", [renamed.get(value, value)], [name],
                                                   name=self._unique(f"/{name}/Identity")))
            a, b = out.data, second.outputs[k].data
            dims = [symbols.get((name, j), sizes.get((n, m), f"{name}_dim{j}") if n != m else n)
                    for j, (n, m) in enumerate(zip(a.shape, b.shape))]
            outputs.append(helper.make_tensor_value_info(name, self.onnx_dtype(a.dtype), dims))
        for node in self.nodes:
            for field in (node.input, node.output):
                for i, value in enumerate(field):
                    if value in renamed:
                        field[i] = renamed[value]
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, list(self.initializers.values()))
        opsets = [helper.make_opsetid("", self.opset)]
        return helper.make_model(graph, opset_imports=opsets, producer_name="chainrule",
                                 producer_version=autograd.__version__,
                                 ir_version=helper.find_min_ir_version_for(opsets))
