"""Module and Parameter: how layers hold their weights and sub-layers, name them, and save or load them.

Setting a Parameter or a Module as an attribute registers it (in order), as in PyTorch, so `named_parameters()` gives
dotted names like `layers.0.weight` and state dicts move between the two libraries.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, Mapping, NamedTuple

import numpy as np

from autograd import Tensor
from autograd.errors import AutogradError
from autograd.grad_mode import _state


class Parameter(Tensor):
    """A Tensor that a Module learns: it always requires grad and is listed by `parameters()`.

    Args:
        data: an ndarray, a Tensor or anything `Tensor` accepts (copied; float arrays keep their dtype).
        requires_grad: False for a frozen parameter.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


# Bumped whenever a parameter or sub-module is registered or removed anywhere, and whenever a module names its tree:
# the outermost module of a call renames its parameters (for drawings) only when this moved since it last did.
_structure_version = [0]


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict` found: keys the module has but the state dict lacks, and the reverse."""

    missing_keys: list
    unexpected_keys: list


class StateDictError(AutogradError, RuntimeError):
    """A state dict does not fit a module (missing or unexpected keys, wrong shapes or dtypes)."""


class Module:
    """Base class of every layer and model. Subclasses set Parameters and Modules as attributes in `__init__` and
    write `forward`; calling the module runs `forward` (inside a scope that drawings use to group its ops)."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "training", True)

    # --- registration ------------------------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before setting attributes")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._unregister(name, keep=params)
            params[name] = value
        elif isinstance(value, Module):
            self._unregister(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:  # replacing a parameter by a plain value would silently stop it being learned
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to parameter {name!r} "
                                "(an nn.Parameter or None is expected); to change its values, assign to "
                                f".{name}.data or wrap the new value in nn.Parameter(...)")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to sub-module {name!r} "
                                "(an nn.Module or None is expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(value)
            buffers[name] = value
        object.__setattr__(self, name, value)

    def _unregister(self, name: str, keep: dict | None = None) -> None:
        """Remove `name` from the stores, except from `keep` (a replaced entry keeps its place in the order)."""
        for store in (self._parameters, self._buffers, self._modules):
            if store is not keep:
                store.pop(name, None)
        self._non_persistent.discard(name)
        _structure_version[0] += 1

    def __delattr__(self, name: str) -> None:
        self._unregister(name)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Tensor | np.ndarray | None, persistent: bool = True) -> None:
        """Keep `value` as state that is not learned (running means, counters, masks): it moves with the module and
        is saved in the state dict unless persistent=False."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: the name must be a non-empty string without '.', got {name!r}")
        if name in self.__dict__ and name not in self._buffers:
            raise KeyError(f"register_buffer: {type(self).__name__} already has an attribute {name!r}")
        if value is not None and not isinstance(value, Tensor):
            value = Tensor(value)
        self._buffers[name] = value
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, value)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` under `name` (None keeps the name, with no parameter, as for a layer without bias)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: expected an nn.Parameter or None for {name!r}, got "
                            f"{type(param).__name__}")
        if param is None:
            self._unregister(name)
            self._parameters[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` under `name` (same as setting it as an attribute)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: expected an nn.Module or None for {name!r}, got {type(module).__name__}")
        if module is None:
            self._unregister(name)
            self._modules[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    # --- traversal ---------------------------------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first in registration order, with dotted names (`prefix` for
        this one); a module registered twice is listed once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{k}" if name else k, m) for k, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module (see `named_modules`)."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names."""
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, t in getattr(module, store).items():
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    yield (f"{mod_name}.{name}" if mod_name else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name, in registration order, each listed once (tied weights too)."""
        return self._named_members("_parameters", prefix, recurse)  # type: ignore[return-value]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, in registration order, each once: what an optimizer is given."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Every buffer with its dotted name, in registration order."""
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer, in registration order."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many numbers the model learns (tied weights counted once)."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # --- training ----------------------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (to None, or to zeros)."""
        for p in self.parameters():
            p.grad = None if set_to_none or p.grad is None else Tensor(np.zeros_like(p.data))

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch norm uses batch statistics) for this module and its children."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be True or False, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as train(False)."""
        return self.train(False)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every sub-module, then on this one (children first, as PyTorch does); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, flag: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad = flag
        return self

    def to(self, dtype: Any) -> Module:
        """Cast every float parameter and buffer to `dtype` in place (np.float64 for gradcheck, say); returns self."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"to: expected a float dtype such as np.float32 or np.float64, got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            if t.dtype.kind == "f" and t.dtype != dtype:
                # The same Tensor (optimizers hold it) gets an array of the new dtype, filled by copy_, which marks it
                # changed: a graph that saved the old values refuses to use them in backward.
                old = t.data
                t.data = np.empty_like(old, dtype=dtype)
                t.copy_(old)
                t.grad = None
        return self

    # --- calling -----------------------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        outer = _state.scope  # the module calls this one is inside; ops made in forward note it (Node.scope)
        if outer is None:
            self._name_parameters()
            name = ""
        else:
            name = self.__dict__.get("_scope_name", type(self).__name__.lower())
        try:  # set inside the try, put back in the finally: nothing, not even a Ctrl-C, can leave it set
            _state.scope = (outer or ()) + ((name, type(self).__name__),)
            return self.forward(*args, **kwargs)
        finally:
            _state.scope = outer

    def _name_parameters(self) -> None:
        """Called on the outermost module: give every sub-module and parameter its dotted name (for drawings)."""
        if self.__dict__.get("_named_version") == _structure_version[0]:
            return
        changed = False
        for name, m in self.named_modules():
            if m.__dict__.get("_scope_name") != name:
                object.__setattr__(m, "_scope_name", name)
                changed = True
        for name, p in self.named_parameters():
            if p.name != name:
                p.name = name
                changed = True
        if changed:  # other roots sharing these modules must rename before their next call
            _structure_version[0] += 1
        object.__setattr__(self, "_named_version", _structure_version[0])

    # --- state -------------------------------------------------------------------------------------------------
    def _state_tensors(self) -> "OrderedDict[str, Tensor]":
        """What the state dict holds: parameters then persistent buffers of each module, in registration order."""
        state: OrderedDict[str, Tensor] = OrderedDict()
        for mod_name, module in self.named_modules():
            for name, t in module._parameters.items():
                if t is not None:
                    state[f"{mod_name}.{name}" if mod_name else name] = t
            for name, t in module._buffers.items():
                if t is not None and name not in module._non_persistent:
                    state[f"{mod_name}.{name}" if mod_name else name] = t
        return state

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Parameters and buffers by dotted name, as numpy arrays (copies), in registration order."""
        return OrderedDict((k, np.array(t.data)) for k, t in self._state_tensors().items())

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values from `state_dict` into the parameters and buffers, in place; all or nothing.

        Args:
            state_dict: name -> array (or Tensor), as `state_dict()` or `nn.load` give.
            strict: require exactly this module's keys. With strict=False missing and unexpected keys are skipped
                (and returned); a shape mismatch is always an error.
        Returns:
            (missing_keys, unexpected_keys).
        Raises:
            StateDictError listing every missing key, unexpected key, shape or dtype mismatch and read-only array;
            nothing is changed then (nor when a copy fails part-way: what was copied is put back).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a dict of name -> array, got {type(state_dict).__name__}")
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems, arrays = [], {}
        for k, t in own.items():
            if k not in state_dict:
                continue
            value = state_dict[k]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.dtype.kind not in "biuf":
                problems.append(f"{k}: expected numbers, got dtype {array.dtype}")
            elif array.shape != t.shape:
                problems.append(f"{k}: expected shape {t.shape}, got {array.shape}")
            elif not t.data.flags.writeable:
                problems.append(f"{k}: its array is read-only, so it cannot be loaded in place (set its .data to a "
                                "writable copy first)")
            arrays[k] = array
        if strict:
            problems = ([f"missing keys {missing}"] if missing else []) + \
                ([f"unexpected keys {unexpected}"] if unexpected else []) + problems
        if problems:
            fix = "" if not strict or not (missing or unexpected) else \
                "; pass strict=False to load only the keys that match"
            raise StateDictError(f"load_state_dict for {type(self).__name__}: " + "; ".join(problems)
                                 + f". Nothing was loaded{fix}.")
        # copy_ writes in place (optimizers and tied modules keep the array) and marks each Tensor changed, so a graph
        # that saved the old values refuses to use them in backward
        copied: list[tuple[Tensor, np.ndarray]] = []  # (tensor, its values before), to put back if a copy fails
        try:
            for k, array in arrays.items():
                t = own[k]
                copied.append((t, t.data.copy()))
                t.copy_(array, casting="unsafe")
        except BaseException:  # a cast that warnings turned into errors, Ctrl-C: the module stays as it was
            for t, before in reversed(copied):
                t.copy_(before)
            raise
        return IncompatibleKeys(missing, unexpected)

    # --- printing ----------------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """One line of this module's settings, shown in its repr (layers override it)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items() if m is not None]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
