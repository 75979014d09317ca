"""gradcheck: compare the engine's gradients with central differences in float64, and find the op at fault.

Central difference: df/dx[i] ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps). An element passes when
|analytic - numeric| <= atol + rtol * |numeric| (PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .engine import grad as autograd_grad
from .engine import topological_order
from .errors import GradcheckError
from .function import Node
from .tensor import Tensor


def _outputs(fn: Callable, inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor)]


def _jacobians(fn: Callable, inputs: Sequence[Any], eps: float) -> tuple[list, list, list, list]:
    """Numerical and analytic Jacobians: one (output, input) matrix each, of shape (out.size, input.size).

    Returns:
        (numeric, analytic, the positions of the checked inputs, the shapes of the outputs).
    """
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = _outputs(fn, inputs)
    numeric = [[np.zeros((o.size, inputs[i].size)) for i in checked] for o in outputs]
    analytic = [[np.zeros((o.size, inputs[i].size)) for i in checked] for o in outputs]
    # evaluated in grad mode: fn may differentiate inside (gradgradcheck does)
    for k, i in enumerate(checked):
        if not inputs[i].data.flags.c_contiguous:
            inputs[i].data = inputs[i].data.copy()
        flat = inputs[i].data.reshape(-1)  # a view: perturbing it perturbs the input
        for j in range(flat.size):
            saved = flat[j]
            flat[j] = saved + eps
            plus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
            flat[j] = saved - eps
            minus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
            flat[j] = saved
            for m in range(len(outputs)):
                numeric[m][k][:, j] = (plus[m] - minus[m]) / (2 * eps)
    wrt = [inputs[i] for i in checked]
    for m, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for j in range(out.size):
            seed = np.zeros(out.shape, dtype=out.dtype)
            seed.reshape(-1)[j] = 1.0
            grads = autograd_grad(out, wrt, grad_outputs=seed, retain_graph=True, allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:
                    analytic[m][k][j, :] = g.data.reshape(-1)
    return numeric, analytic, checked, [o.shape for o in outputs]


def _compare(fn: Callable, inputs: Sequence[Any], eps: float, atol: float, rtol: float) -> str | None:
    """None when the gradients agree, else a sentence naming the output, the input and the worst element."""
    numeric, analytic, checked, out_shapes = _jacobians(fn, inputs, eps)
    for m in range(len(numeric)):
        for k, i in enumerate(checked):
            n, a = numeric[m][k], analytic[m][k]
            excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            if excess.size and (excess > 0).any():
                j_out, j_in = np.unravel_index(np.argmax(excess), excess.shape)
                where_in = np.unravel_index(j_in, inputs[i].shape)
                where_out = np.unravel_index(j_out, out_shapes[m])
                return (f"gradient of output {m} (element {tuple(int(v) for v in where_out)}) "
                        f"with respect to input {i} at index {tuple(int(v) for v in where_in)}: analytic "
                        f"{a[j_out, j_in]:.6g} vs numerical {n[j_out, j_in]:.6g}")
    return None


def _check_inputs(inputs: Sequence[Any], name: str) -> tuple:
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError(f"{name}: no input requires grad; pass Tensors created with requires_grad=True")
    for x in wrt:
        if x.dtype != np.float64:
            raise TypeError(f"{name}: inputs must be float64 for finite differences to be accurate, got {x.dtype}; "
                            "create them with dtype=np.float64")
    return inputs


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check the gradients of `fn(*inputs)` against central differences.

    Args:
        fn: a function of Tensors returning a Tensor (or a tuple of Tensors).
        inputs: its arguments; those with requires_grad=True (float64) are checked.
        eps, atol, rtol: the step and tolerances.
        raise_exception: raise GradcheckError on failure (else return False).

    Returns:
        True when every gradient agrees. On failure the error names the output, the input and the worst element,
        then checks each op of the graph on its own and names the first whose backward disagrees.
    """
    return _gradcheck(fn, inputs, eps, atol, rtol, raise_exception, "gradcheck")


def _gradcheck(fn: Callable, inputs: Sequence[Any], eps: float, atol: float, rtol: float, raise_exception: bool,
               name: str) -> bool:
    inputs = _check_inputs(inputs, name)
    problem = _compare(fn, inputs, eps, atol, rtol)
    if problem is None:
        return True
    if not raise_exception:
        return False
    culprit = _find_faulty_op(fn, inputs, eps, atol, rtol)
    what = "second derivatives disagree: " if name == "gradgradcheck" else ""
    raise GradcheckError(f"{name}: {what}{problem}." + (f" {culprit}" if culprit else ""))


def _find_faulty_op(fn: Callable, inputs: Sequence[Any], eps: float, atol: float, rtol: float,
                    max_nodes: int = 500) -> str:
    outputs = [o for o in _outputs(fn, inputs) if o.requires_grad]
    order = topological_order([o._node for o in outputs])[:max_nodes]
    for node in reversed(order):  # from the inputs up: the first bad op is the one to fix
        problem = check_node(node, eps, atol, rtol)
        if problem:
            return f"Checked op by op, the backward of {node.name} disagrees: {problem}."
    return "Every op passes on its own, so the fault is in how they are combined (a hook, or a custom backward)."


def check_node(node: Node, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> str | None:
    """Check one recorded op on its own inputs (copied to float64); None when its backward agrees."""
    args = []
    for x, needs in zip(node.inputs, node.needs_input_grad):
        if isinstance(x, Tensor):
            data = x.data.astype(np.float64) if x.dtype.kind == "f" else x.data.copy()
            x = Tensor._constant(data)
            if needs:
                x.requires_grad = True
        args.append(x)
    try:
        return _compare(lambda *a: node.fn.apply(*a), args, eps, atol, rtol)
    except Exception as err:  # an op that cannot even run on its own is reported, not hidden
        return f"running it on its own raised {type(err).__name__}: {err}"


def gradgradcheck(fn: Callable[..., Any], inputs: Sequence[Any], grad_outputs: Sequence[Any] | None = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0,
                  raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of the vector-Jacobian product v . d fn/d inputs (with create_graph).

    Args:
        fn, inputs, eps, atol, rtol: as for gradcheck.
        grad_outputs: the vectors v, one per output of fn (random float64 from `seed` by default); they are
            checked as inputs too.
        raise_exception: raise GradcheckError on failure (else return False).

    Returns:
        True when the derivatives of the first derivatives agree with central differences.
    """
    inputs = _check_inputs(inputs, "gradgradcheck")
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True, dtype=np.float64)
                        for o in _outputs(fn, inputs)]
    grad_outputs = list(grad_outputs)
    n = len(inputs)

    def first_derivatives(*args: Any) -> tuple:
        xs, vs = args[:n], args[n:]
        pairs = [(o, v) for o, v in zip(_outputs(fn, xs), vs) if o.requires_grad]
        ys, vs = [o for o, _ in pairs], [v for _, v in pairs]
        wrt_now = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = autograd_grad(ys, wrt_now, grad_outputs=vs, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor(np.zeros(x.shape)) for g, x in zip(grads, wrt_now))

    return _gradcheck(first_derivatives, tuple(inputs) + tuple(grad_outputs), eps, atol, rtol, raise_exception,
                      "gradgradcheck")
