"""Rendering drawings: a Graphviz binary runs on the DOT text (the system `dot` when it is on PATH, else the
`graphviz-pure` binary, so `pip install` alone gives SVG and PNG; PDF needs the system Graphviz), and Drawing shows
the result in Jupyter or writes it to a file. A Jupyter kernel or an unactivated virtual environment does not put the
environment's `bin/` on PATH, so that folder is searched too.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from typing import Any

from .errors import AutogradError

FORMATS = ("svg", "png", "pdf")
_PURE_FORMATS = ("svg", "png")  # graphviz-pure has no PDF writer


class RenderError(AutogradError, RuntimeError):
    """No Graphviz binary could turn the drawing into an image."""


def _script_dirs() -> list[str]:
    """Where pip puts console scripts for this interpreter (the venv's bin/ even when it is not on PATH)."""
    dirs = []
    for path in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if path and path not in dirs:
            dirs.append(path)
    return dirs


def find_binaries() -> list[tuple[str, str]]:
    """The Graphviz binaries found, best first, as (kind, path): ("dot", ...) then ("graphviz-pure", ...)."""
    found = []
    dot = shutil.which("dot")
    if dot:
        found.append(("dot", dot))
    pure = shutil.which("graphviz-pure")
    for folder in _script_dirs():
        if pure:
            break
        pure = shutil.which("graphviz-pure", path=folder)
    if pure:
        found.append(("graphviz-pure", pure))
    return found


def _not_found(what: str) -> RenderError:
    return RenderError(
        f"{what}: no Graphviz binary found: neither `dot` is on PATH nor the `graphviz-pure` binary is installed; "
        "run `pip install graphviz-pure` (or install Graphviz: `apt install graphviz`, `brew install graphviz` or "
        "`conda install -c conda-forge graphviz`); the DOT text is still available as `.source`")


def pipe(source: str, format: str = "svg", timeout: float = 120.0) -> bytes:
    """Lay out and render DOT text with the best Graphviz binary found.

    Args:
        source: the DOT text.
        format: "svg", "png" or "pdf" (PDF needs the system Graphviz).
        timeout: seconds to wait for the binary.
    Returns:
        The rendered file's bytes.
    """
    if format not in FORMATS:
        raise ValueError(f"render: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    binaries = find_binaries()
    if not binaries:
        raise _not_found("render")
    usable = [(kind, path) for kind, path in binaries if kind == "dot" or format in _PURE_FORMATS]
    if not usable:
        raise RenderError(
            f"render: {format.upper()} output needs the system Graphviz `dot` (the graphviz-pure binary found at "
            f"{binaries[0][1]} writes only SVG and PNG); install Graphviz (`apt install graphviz`, `brew install "
            "graphviz` or `conda install -c conda-forge graphviz`) or render as 'svg' or 'png'")
    errors = []
    for kind, path in usable:  # a system dot without the needed plugin falls back to graphviz-pure
        try:
            done = subprocess.run([path, "-Kdot", f"-T{format}"], input=source.encode("utf-8"),
                                  capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            errors.append(f"{kind} ({path}): {err}")
            continue
        if done.returncode == 0 and done.stdout:
            return done.stdout
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        errors.append(f"{kind} ({path}): {message}")
    raise RenderError(f"render: Graphviz could not render the drawing as {format}: " + "; ".join(errors))


class Drawing:
    """A drawn graph: shows as SVG in Jupyter; `.source` is the DOT text, `.render(path)` writes a file.

    Attributes:
        digraph: the graphviz.Digraph it wraps.
        notes: what was simplified to fit (collapsed modules, nodes left out), also written in the drawing.
    """

    def __init__(self, digraph: Any, n_nodes: int, notes: list[str]) -> None:
        self.digraph, self.n_nodes, self.notes = digraph, n_nodes, notes
        self._svg: str | None = None

    @property
    def source(self) -> str:
        """The DOT text (always available, with or without a Graphviz binary)."""
        return self.digraph.source

    def pipe(self, format: str = "svg") -> bytes:
        """The drawing rendered as `format` ("svg", "png" or "pdf"), as bytes."""
        return pipe(self.source, format)

    def svg(self) -> str:
        """The drawing as SVG text (rendered once, then kept)."""
        if self._svg is None:
            self._svg = self.pipe("svg").decode("utf-8")
        return self._svg

    def render(self, path: str, format: str | None = None) -> str:
        """Write the drawing to `path` as "svg", "png" or "pdf" (by default from the file's suffix, else svg).

        Returns:
            The path written.
        """
        if format is None:
            suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
            format = suffix if suffix in FORMATS else "svg"
        data = self.svg().encode("utf-8") if format == "svg" else self.pipe(format)
        with open(path, "wb") as f:
            f.write(data)
        return str(path)

    def save_svg(self, path: str) -> str:
        """Write the drawing to `path` as SVG; returns the path."""
        return self.render(path, "svg")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        try:
            return {"image/svg+xml": self.svg(), "text/plain": repr(self)}
        except RenderError as err:
            return {"text/plain": f"{self!r}\n{err}"}

    def __repr__(self) -> str:
        return f"<Drawing of {self.n_nodes} nodes; .source is DOT, .render(path) writes SVG/PNG>"
