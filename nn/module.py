"""Module and Parameter: how layers hold their weights and sub-layers, name them, and save or load them.

Setting a Parameter or a Module as an attribute registers it (in order), as in PyTorch, so `named_parameters()` gives
dotted names like `layers.0.weight` and state dicts move between the two libraries.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator

import numpy as np

from autograd import Tensor
from autograd.errors import ShapeError
from autograd.function import module_scope


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


class Module:
    """Base class of every layer and model. Subclasses set Parameters and Modules as attributes in `__init__` and
    write `forward`; calling the module runs `forward` (inside a scope that drawings use to group its ops)."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- registration ------------------------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before setting attributes")
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self.__dict__.get("_buffer_names", ()):
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Tensor | np.ndarray | None) -> None:
        """Keep `value` as state that is saved in the state dict but not learned (running means, counters)."""
        if not isinstance(value, Tensor) and value is not None:
            value = Tensor(value)
        names = self.__dict__.setdefault("_buffer_names", set())
        names.add(name)
        setattr(self, name, value)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` under `name` (None registers nothing but keeps the attribute)."""
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        setattr(self, name, module)

    # --- traversal ---------------------------------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, with dotted names ("" for this one)."""
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
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name, in registration order, each listed once."""
        seen: set[int] = set()
        for mod_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for mod_name, module in self.named_modules():
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many numbers the model learns."""
        return sum(p.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # --- training ----------------------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (to None, or to zeros)."""
        for p in self.parameters():
            p.grad = None if set_to_none or p.grad is None else Tensor(np.zeros_like(p.data))

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch norm uses batch statistics) for this module and its children."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as train(False)."""
        return self.train(False)

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call `fn` on every sub-module, then on this one (children first, as PyTorch does); returns self."""
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    def requires_grad_(self, flag: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = flag
        return self

    # --- calling -----------------------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from autograd.grad_mode import _state
        outer = _state.scope
        if outer is None:
            self._name_parameters()
            name = ""
        else:
            name = self.__dict__.get("_scope_name", type(self).__name__.lower())
        with module_scope(name, type(self).__name__):
            return self.forward(*args, **kwargs)

    def _name_parameters(self) -> None:
        """Called on the outermost module: give every sub-module and parameter its dotted name (for drawings)."""
        if self.__dict__.get("_named_version") == len(self._modules) + len(self._parameters):
            return
        for name, m in self.named_modules():
            object.__setattr__(m, "_scope_name", name)
        for name, p in self.named_parameters():
            p.name = name
        object.__setattr__(self, "_named_version", len(self._modules) + len(self._parameters))

    # --- state -------------------------------------------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Parameters and buffers by dotted name, as numpy arrays (copies), in registration order."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for mod_name, module in self.named_modules():
            for store in (module._parameters, module._buffers):
                for name, t in store.items():
                    if t is not None:
                        state[f"{mod_name}.{name}" if mod_name else name] = np.array(t.data)
        return state

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy values from `state_dict` into the parameters and buffers; all or nothing.

        Returns (missing_keys, unexpected_keys). With strict=True any missing or unexpected key, and any shape
        mismatch, raises a KeyError/ShapeError listing them all, and nothing is changed.
        """
        own: dict[str, Tensor] = {}
        for mod_name, module in self.named_modules():
            for store in (module._parameters, module._buffers):
                for name, t in store.items():
                    if t is not None:
                        own[f"{mod_name}.{name}" if mod_name else name] = t
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        arrays = {}
        for k, t in own.items():
            if k in state_dict:
                value = state_dict[k]
                array = np.asarray(value.data if isinstance(value, Tensor) else value)
                if array.shape != t.shape:
                    mismatched.append(f"{k}: expected shape {t.shape}, got {array.shape}")
                arrays[k] = array
        if mismatched:
            raise ShapeError(f"load_state_dict for {type(self).__name__}: shape mismatch for "
                             + "; ".join(mismatched) + ". Nothing was loaded.")
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict for {type(self).__name__}: missing keys {missing}, unexpected keys "
                           f"{unexpected}. Nothing was loaded; pass strict=False to load the keys that match.")
        for k, array in arrays.items():
            t = own[k]
            t.data = array.astype(t.dtype, copy=True)
        return missing, unexpected

    # --- printing ----------------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """One line of this module's settings, shown in its repr (layers override it)."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules called one after another: Sequential(Linear(2, 16), ReLU(), Linear(16, 1))."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            modules = tuple(modules[0].items())  # type: ignore[assignment]
            for name, m in modules:  # type: ignore[misc]
                setattr(self, name, m)
        else:
            for i, m in enumerate(modules):
                _check_module(m, f"Sequential item {i}")
                setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        items = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*items[index])
        return items[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        _check_module(module, "Sequential.append")
        setattr(self, str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules, registered so their parameters are found (a plain list would hide them)."""

    def __init__(self, modules: Any = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        _check_module(module, "ModuleList.append")
        setattr(self, str(len(self._modules)), module)
        return self

    def extend(self, modules: Any) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        return ModuleList(items[index]) if isinstance(index, slice) else items[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules by name, registered so their parameters are found."""

    def __init__(self, modules: dict | None = None) -> None:
        super().__init__()
        for name, m in (modules or {}).items():
            self[name] = m

    def __setitem__(self, name: str, module: Module) -> None:
        _check_module(module, f"ModuleDict[{name!r}]")
        setattr(self, name, module)

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __contains__(self, name: str) -> bool:
        return name in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()


def _check_module(m: Any, where: str) -> None:
    if not isinstance(m, Module):
        raise TypeError(f"{where}: expected an nn.Module, got {type(m).__name__}")
