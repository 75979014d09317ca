"""The unrelated `autograd` package from the package index must not be mistaken for this project's: nn and optim
check at import and say what is wrong and how to fix it."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("package", ["nn", "optim"])
def test_a_foreign_autograd_package_gives_an_import_error_naming_the_clash_and_the_fix(tmp_path, package):
    foreign = tmp_path / "foreign" / "autograd"
    foreign.mkdir(parents=True)
    (foreign / "__init__.py").write_text("from .differential_operators import grad\n")  # as the other package does
    (foreign / "differential_operators.py").write_text("def grad(fun):\n    return fun\n")
    only = tmp_path / "project"  # this project's nn and optim, without its autograd
    only.mkdir()
    for name in ("nn", "optim"):
        os.symlink(ROOT / name, only / name)
    code = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(tmp_path / 'foreign')!r}, {str(only)!r}]
        try:
            import {package}
        except ImportError as err:
            print(err)
        else:
            print("imported without complaint")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "is not chainrule's but the unrelated `autograd` package" in out
    assert "fresh virtual environment" in out
    assert f"{package}:" in out


def test_this_projects_autograd_is_recognised():
    out = subprocess.run([sys.executable, "-c", "import nn, optim, autograd; print(autograd.PROJECT)"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT).stdout
    assert out.strip() == "chainrule"
