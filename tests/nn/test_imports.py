"""nn's imports go one way: layers (Modules) call nn.functional, which imports nothing of nn but its own modules and
nn.init; no nn module imports another that imports it back; each module imports on its own."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nn

ROOT = Path(nn.__file__).resolve().parent.parent


def _modules() -> dict[str, Path]:
    """Every nn module by dotted name (a package by its own name, for its __init__.py)."""
    found = {}
    for path in sorted((ROOT / "nn").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _import_graph() -> dict[str, set[str]]:
    """For each nn module, the nn modules its import statements name (anywhere in the file)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                for a in node.names:  # `from . import init` names a module; `from .module import Module` does not
                    targets.add(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` (as a path back to its start), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [node, nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [node])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [])
            if found:
                return found
    return None


def test_the_graph_walk_finds_a_cycle_when_there_is_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_nn_module_imports_one_that_imports_it_back():
    assert _cycle(_import_graph()) is None


def test_functional_imports_no_layer_module():
    graph = _import_graph()
    reached, stack = set(), [m for m in graph if m.startswith("nn.functional")]
    while stack:
        for target in graph[stack.pop()] - reached:
            reached.add(target)
            stack.append(target)
    assert sorted(m for m in reached if not m.startswith("nn.functional")) == ["nn.init"]


def test_each_nn_module_imports_first_in_a_fresh_interpreter():
    # one interpreter for all, with every nn module dropped from sys.modules before each import
    code = ("import importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    for loaded in [m for m in sys.modules if m == 'nn' or m.startswith('nn.')]:\n"
            "        del sys.modules[loaded]\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except Exception as err:\n"
            "        print(name, type(err).__name__, err)\n")
    names = sorted(_modules())
    result = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, cwd=ROOT,
                            timeout=300)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert len(names) > 20 and "nn.module" in names  # the walk found the package


def test_nn_onnx_is_reachable_after_import_nn_alone():
    code = "import sys, nn; print('nn.onnx' in sys.modules); print(callable(nn.onnx.export))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]  # not loaded by `import nn`, found on first use
