"""Containers: Sequential (modules called in a row), ModuleList and ModuleDict (modules kept in a list or a dict, so
that their parameters are registered and found)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator, Mapping

import numpy as np

from .module import Module


class Sequential(Module):
    """Modules called one after another: Sequential(Linear(2, 16), ReLU(), Linear(16, 1)).

    Also takes one dict (or OrderedDict) of name -> module, to name the steps.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, m in modules[0].items():
                _check_module(m, f"Sequential item {name!r}")
                setattr(self, str(name), m)
        else:
            for i, m in enumerate(modules):
                _check_module(m, f"Sequential item {i}")
                setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_position(index, len(items), "Sequential")][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add `module` at the end; returns self."""
        _check_module(module, "Sequential.append")
        key = len(self)
        while str(key) in self._modules:  # a slice keeps its keys: ("1", "2") must not be overwritten
            key += 1
        setattr(self, str(key), module)
        return self


class ModuleList(Module):
    """A list of modules, registered so their parameters are found (a plain list would hide them)."""

    def __init__(self, modules: Any = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        """Add `module` at the end; returns self."""
        _check_module(module, "ModuleList.append")
        setattr(self, str(len(self._modules)), module)
        return self

    def extend(self, modules: Any) -> ModuleList:
        """Append every module of `modules`; returns self."""
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[_position(index, len(items), "ModuleList")]

    def __setitem__(self, index: int, module: Module) -> None:
        _check_module(module, f"ModuleList[{index}]")
        setattr(self, str(_position(index, len(self), "ModuleList")), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules by name, registered so their parameters are found."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for name, m in (modules or {}).items():
            self[name] = m

    def __setitem__(self, name: str, module: Module) -> None:
        _check_module(module, f"ModuleDict[{name!r}]")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"ModuleDict: keys must be non-empty strings without '.', got {name!r}")
        setattr(self, name, module)

    def __getitem__(self, name: str) -> Module:
        if name not in self._modules:
            raise KeyError(f"ModuleDict has no module {name!r}; it has {list(self._modules)}")
        return self._modules[name]

    def __delitem__(self, name: str) -> None:
        self[name]  # the same KeyError for an unknown name
        delattr(self, name)

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

    def update(self, modules: Mapping[str, Module]) -> None:
        """Add or replace the modules of `modules`."""
        for name, m in modules.items():
            self[name] = m


def _position(index: int, length: int, where: str) -> int:
    if not isinstance(index, (int, np.integer)) or not -length <= index < length:
        raise IndexError(f"{where}: index {index!r} is out of range for {length} module(s)")
    return int(index) % length


def _check_module(m: Any, where: str) -> None:
    if not isinstance(m, Module):
        raise TypeError(f"{where}: expected an nn.Module, got {type(m).__name__}")
