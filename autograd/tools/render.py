"""Rendering drawings: a Graphviz binary runs on the DOT text (the system `dot` when it is on PATH, else the
`graphviz-pure` binary, so `pip install` alone gives SVG and PNG; PDF needs the system Graphviz), and Drawing shows
the result in Jupyter or writes it to a file. A Jupyter kernel or an unactivated virtual environment does not put the
environment's `bin/` on PATH, so that folder is searched too.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import warnings
from typing import Any

from ..errors import AutogradError
from . import page

FORMATS = ("svg", "png", "pdf")
ENGINES = ("dot", "neato", "fdp", "sfdp", "circo", "twopi", "osage", "patchwork")
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


def pipe(source: str, format: str = "svg", timeout: float = 120.0, engine: str = "dot") -> bytes:
    """Lay out and render DOT text with the best Graphviz binary found.

    Args:
        source: the DOT text.
        format: "svg", "png" or "pdf" (PDF needs the system Graphviz).
        timeout: seconds to wait for the binary.
        engine: the Graphviz layout engine ("dot", "neato", "fdp", ...).
    Returns:
        The rendered file's bytes.
    """
    if format not in FORMATS:
        raise ValueError(f"render: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    if engine not in ENGINES:
        raise ValueError(f"render: unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
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
            done = subprocess.run([path, f"-K{engine}", f"-T{format}"], input=source.encode("utf-8"),
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
    """A drawn graph: shows in Jupyter (fitted to the column, with zoom and pan); `.source` is the DOT text,
    `.render(...)` writes a file (with the arguments of graphviz's `render`), and `print(drawing)` says how to save it
    from a script.

    Attributes:
        digraph: the graphviz.Digraph it wraps.
        notes: what was simplified to fit (collapsed modules, nodes left out), also written in the drawing.
        alt: what the drawing shows, in words: the SVG's alt text (its aria-label and <title>).
    """

    def __init__(self, digraph: Any, n_nodes: int, notes: list[str], alt: str = "A computation graph") -> None:
        self.digraph, self.n_nodes, self.notes, self.alt = digraph, n_nodes, notes, alt
        self._svg: str | None = None

    @property
    def source(self) -> str:
        """The DOT text (always available, with or without a Graphviz binary)."""
        return self.digraph.source

    @property
    def n_edges(self) -> int:
        """The number of arrows drawn (the legend's invisible ones left out)."""
        edges = (_EDGE.match(line) for line in self.digraph.body)
        return sum(1 for edge in edges if edge and not edge[1].startswith("legend_"))

    def pipe(self, format: str = "svg", engine: str = "dot") -> bytes:
        """The drawing rendered as `format` ("svg", "png" or "pdf"), as bytes."""
        return pipe(self.source, format, engine=engine)

    def svg(self) -> str:
        """The drawing as SVG text, with its alt text (rendered once, then kept)."""
        if self._svg is None:
            self._svg = page.with_alt(self.pipe("svg").decode("utf-8"), self.alt)
        return self._svg

    def render(self, filename: str | os.PathLike | None = None, *, directory: str | os.PathLike | None = None,
               view: bool = False, cleanup: bool = False, format: str | None = None, renderer: str | None = None,
               formatter: str | None = None, neato_no_op: Any = None, quiet: bool = False, quiet_view: bool = False,
               outfile: str | os.PathLike | None = None, engine: str | None = None,
               raise_if_result_exists: bool = False, overwrite_source: bool = False) -> str:
        """Write the drawing to a file; takes the arguments of graphviz's `Digraph.render`.

        `render("graph.png")` (a name ending in .svg, .png or .pdf) writes that image, as does `outfile=`. Any other
        name, or none, works as in graphviz: the DOT text goes to `directory/filename` ("graph.gv" by default) and
        the image next to it with the format added, `render(format="png")` writing graph.gv and graph.gv.png.

        Args:
            filename: the image to write, or the DOT file to write the image next to (see above).
            directory: the folder for both files (default: the current one).
            view: open the image with the system's viewer afterwards (xdg-open, open, start); where there is none
                (a server, a container) the image is still written and a warning says so.
            cleanup: delete the DOT file once the image is written.
            format: "svg", "png" or "pdf" (default: the image name's suffix, else "svg"; graphviz's default is pdf,
                which needs the system Graphviz).
            outfile: the path of the image (its suffix gives the format).
            engine: the layout engine, "dot" (the default), "neato", "fdp", "sfdp", "circo", "twopi", ...
            raise_if_result_exists: raise FileExistsError rather than overwrite the image.
            quiet, quiet_view, overwrite_source: accepted for graphviz's sake (messages are always captured, and
                the image is never the DOT file); quiet_view=True also opens the viewer.
            renderer, formatter, neato_no_op: graphviz's plugin choices; only their defaults (None) are supported.
        Returns:
            The path of the image written.
        """
        for name, value in (("renderer", renderer), ("formatter", formatter), ("neato_no_op", neato_no_op)):
            if value is not None:
                raise ValueError(f"render: {name}={value!r} is not supported (the drawing is rendered by the system "
                                 "`dot` or graphviz-pure with their default plugins); leave it out")
        folder = os.fspath(directory) if directory is not None else ""
        name = os.fspath(filename) if filename is not None else None
        source_path = None
        if outfile is not None:
            image = os.fspath(outfile)
            source_path = os.path.join(folder, name) if name is not None else None
        elif name is not None and _suffix(name) in FORMATS:
            image = os.path.join(folder, name)
        else:  # graphviz's way: the DOT file, and the image named after it
            source_path = os.path.join(folder, name if name is not None else f"{self.digraph.name}.gv")
            image = f"{source_path}.{format or 'svg'}"
        if format is None:
            format = _suffix(image) if _suffix(image) in FORMATS else "svg"
        elif _suffix(image) in FORMATS and _suffix(image) != format:
            raise ValueError(f"render: the file {image!r} is named as {_suffix(image)}, but format={format!r}; name it "
                             f"...{format} or leave format= out")
        if raise_if_result_exists and os.path.exists(image):
            raise FileExistsError(f"render: {image!r} exists already (raise_if_result_exists=True)")
        if format == "svg" and engine in (None, "dot"):
            data = self.svg().encode("utf-8")  # rendered once for Jupyter already, most likely
        else:
            data = self.pipe(format, engine or "dot")
        if os.path.dirname(image):
            os.makedirs(os.path.dirname(image), exist_ok=True)
        if source_path is not None and not cleanup:
            with open(source_path, "w", encoding="utf-8") as f:
                f.write(self.source)
        with open(image, "wb") as f:
            f.write(data)
        if view or quiet_view:
            _open_viewer(image, quiet_view)
        return image

    def save_svg(self, path: str | os.PathLike) -> str:
        """Write the drawing to `path` as SVG; returns the path."""
        return self.render(outfile=path, format="svg")

    def _repr_html_(self) -> str:
        """The drawing inline: as wide as the column at most (a wide one is scaled down, not cut off), with zoom
        buttons and drag-to-pan (the project's own small script, inline, so exported HTML keeps them)."""
        svg = self.svg()
        view_id = "cr-" + hashlib.sha1(svg.encode("utf-8")).hexdigest()[:12]
        return page.page(page.zoomable(page.inline_svg(svg), view_id), view_id)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        try:  # front ends that show HTML take the first; the SVG is for those that do not
            return {"text/html": self._repr_html_(), "image/svg+xml": self.svg(), "text/plain": repr(self)}
        except RenderError as err:
            return {"text/plain": f"{self!r}\n{err}"}

    def _size(self) -> str:
        return f"Drawing of {_count(self.n_nodes, 'node')} and {_count(self.n_edges, 'edge')}"

    def __repr__(self) -> str:
        return f'<{self._size()}; .render("graph.svg") or .save_svg(path) writes it to a file, .source is the DOT text>'

    def __str__(self) -> str:
        lines = [self._size()]
        lines += [f"  note: {note}" for note in self.notes]
        lines += ["It shows as an image in Jupyter; from a script, write it to a file and open that:",
                  '    drawing.render("graph.svg")   # or "graph.png"; "graph.pdf" needs the system Graphviz',
                  '    drawing.save_svg("graph.svg")',
                  "drawing.source is the DOT text."]
        return "\n".join(lines)


_EDGE = re.compile(r"^\s*(\w+) -> \w+")


def _suffix(path: str) -> str:
    return os.path.splitext(path)[1][1:].lower()


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _open_viewer(path: str, quiet: bool) -> None:
    """Open `path` with the system's viewer, as graphviz's view=True does; warn (the file is written) where none is."""
    import graphviz

    try:
        graphviz.view(path, quiet=quiet)
    except (OSError, RuntimeError) as err:
        warnings.warn(f"render: wrote {path}, but could not open a viewer ({err}); open the file yourself",
                      stacklevel=3)
