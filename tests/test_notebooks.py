"""The course's notebooks as a reader meets them: each opens with a title numbered as its file, and the error messages
they catch and print fit in 100 columns (longer lines wrap mid-word in JupyterLab, "expan d_dims"). Running every
notebook is the job of nbmake (`python -m pytest notebooks`); here only those that print caught errors are run."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_title_is_numbered_as_the_file(path):
    first = _cells(path)[0]
    title = "".join(first["source"]).splitlines()[0]
    assert first["cell_type"] == "markdown"
    assert re.match(rf"# {path.name[:2]} · \S", title), f"{path.name} opens with {title!r}"


def test_every_notebook_has_a_two_digit_number():
    assert len(NOTEBOOKS) >= 11 and all(re.match(r"\d\d_", p.name) for p in NOTEBOOKS)


@pytest.mark.parametrize("name", ["02_the_articles_network", "03_tensors_and_broadcasting", "09_write_your_own_op"])
def test_printed_error_messages_fit_in_100_columns(name, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = next(p for p in NOTEBOOKS if p.stem == name)
    notebook = nbformat.read(path, as_version=4)
    # the kernel imports this checkout (not another install of the package)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(path.parents[1]), os.environ.get("PYTHONPATH", "")]))
    nbclient.NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(path.parent)}}).execute()
    catching = [cell for cell in notebook.cells if cell.cell_type == "code" and "except" in cell.source]
    assert catching, f"{name} no longer catches an error; update this test's list"
    for cell in catching:
        printed = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
        assert printed, f"{name}: a cell that catches an error printed nothing"
        too_long = [line for line in printed.splitlines() if len(line) > 100]
        assert not too_long, f"{name}: printed lines longer than 100 columns: {too_long}"
