"""Importing autograd imports numpy and nothing heavier (checked in a fresh interpreter), and its public names exist."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import autograd as ag

PROBE = """
import json, sys
before = set(sys.modules)
import autograd
new = {name.split('.')[0] for name in set(sys.modules) - before}
print(json.dumps(sorted(n for n in new if n not in sys.stdlib_module_names and n not in sys.builtin_module_names)))
"""


@pytest.fixture(scope="module")
def third_party_loaded_by_import() -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("heavy", ["graphviz", "matplotlib", "IPython", "scipy", "pandas", "sklearn", "tqdm",
                                   "ipywidgets", "nn", "optim", "torch", "jax", "micrograd"])
def test_import_autograd_does_not_load(heavy, third_party_loaded_by_import):
    assert heavy not in third_party_loaded_by_import


def test_import_autograd_loads_only_numpy_besides_itself(third_party_loaded_by_import):
    # numpy's compiled parts register a few cython helper modules of their own
    others = [n for n in third_party_loaded_by_import
              if n not in ("autograd", "numpy", "cython_runtime") and not n.startswith("_cython")]
    assert others == []
    assert "numpy" in third_party_loaded_by_import


def test_public_names_exist():
    for name in ag.__all__:
        assert hasattr(ag, name), name
    assert ag.PROJECT == "chainrule"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'autograd' has no attribute 'no_such_thing'"):
        ag.no_such_thing  # noqa: B018
