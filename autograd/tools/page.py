"""Drawings inside HTML: the rendered SVG made compact and accessible for inline use (scaled to the column, alt text,
no XML prolog or tooltips), and the small pieces of the project's own CSS and JavaScript (tools/static/) that add zoom
and pan. Drawing (render.py) and the interactive view (animate.py) both build their HTML here."""
from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

SVG = "http://www.w3.org/2000/svg"
TAG = "{" + SVG + "}"  # how ElementTree spells the SVG namespace
ET.register_namespace("", SVG)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
STATIC = Path(__file__).with_name("static")
_GEOMETRY = ("points", "d", "x", "y", "cx", "cy", "rx", "ry", "transform")
_DECIMALS = re.compile(r"(\d+\.\d)\d+")
_NUMBER = re.compile(r"-?\d+\.\d+")
_FONT = "Helvetica,sans-Serif"
_INK = "#333333"


@functools.lru_cache(maxsize=None)
def asset(name: str) -> str:
    """The text of a file in tools/static (the view's JavaScript and CSS, shipped as package data)."""
    return (STATIC / name).read_text(encoding="utf-8")


def with_alt(svg: str, alt: str) -> str:
    """`svg` with alt text: role="img", an aria-label and a <title> as the root's first child."""
    text = html.escape(alt, quote=True)

    def labelled(m: re.Match) -> str:
        return f'<svg{m.group(1)} role="img" aria-label="{text}">\n<title>{text}</title>'

    return re.sub(r"<svg\b([^>]*)>", labelled, svg, count=1)


def parse(svg: str) -> ET.Element:
    """The SVG as an element tree (comments, prolog and doctype dropped)."""
    return ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", svg).encode("utf-8"))


def compact(root: ET.Element) -> None:
    """Make an SVG tree smaller and fit for inline use, in place: shapes to whole points and text to 0.1 pt, the
    common font and text colour set once on the root, a box's fill and border as one path, and no tooltips (a box's
    <title>, its id "v3", becomes data-id)."""
    root.set("font-family", _FONT)
    root.set("fill", _INK)  # inherited by the texts (every shape sets its own fill)
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    for parent in root.iter():
        previous = None
        for child in list(parent):
            if child.tag == TAG + "title" and parent.tag == TAG + "g":
                if parent.get("class", "").startswith("node"):
                    parent.set("data-id", child.text or "")
                    parent.attrib.pop("id", None)  # graphviz's "node7": the view finds boxes by data-id
                parent.remove(child)
                continue
            attrib = child.attrib
            for name in _GEOMETRY:
                if name in attrib:
                    attrib[name] = _round(attrib[name], name in ("d", "points"))
            attrib.pop("{http://www.w3.org/XML/1998/namespace}space", None)
            if attrib.get("font-family") == _FONT:
                del attrib["font-family"]
            if child.tag == TAG + "text" and attrib.get("fill") == _INK:
                del attrib["fill"]
            if attrib.get("font-size", "").endswith(".00"):
                attrib["font-size"] = attrib["font-size"][:-3]
            if (child.tag == TAG + "path" and previous is not None and previous.tag == TAG + "path"
                    and previous.get("d") == attrib.get("d") and previous.get("stroke") == "none"
                    and attrib.get("fill") == "none"):  # the fill, then the same outline stroked: one path
                for name in ("stroke", "stroke-width"):
                    if name in attrib:
                        previous.set(name, attrib[name])
                parent.remove(child)
                continue
            if child.tag == TAG + "path":
                previous = child
            elif child.tag != TAG + "polygon":  # a table's column rules sit between the fill and the outline
                previous = None


def _round(numbers: str, whole: bool) -> str:
    """Numbers in an attribute rounded: to whole points for shapes, to 0.1 pt for text positions."""
    if whole:
        return _NUMBER.sub(lambda m: str(round(float(m.group()))), numbers)
    return _DECIMALS.sub(r"\1", numbers)


def inline_tree(svg: str) -> ET.Element:
    """A rendered SVG ready to sit inside HTML, as a tree: compact, scaled to the width it is given (never wider than
    its own size), its height following from its viewBox."""
    root = parse(svg)
    width = float(root.get("viewBox", "0 0 0 0").split()[2])
    compact(root)
    root.set("style", f"width:100%;max-width:{width * 4 / 3:.0f}px;height:auto;display:block")
    return root


def inline_svg(svg: str) -> str:
    """inline_tree(svg) as text."""
    return serialize(inline_tree(svg))


def serialize(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode")


def zoomable(inner_svg: str, view_id: str) -> str:
    """The HTML of a drawing that fits the column, with zoom buttons and drag-to-pan once its script runs."""
    return (f'<div class="cr-zoom" id="{view_id}">'
            '<div class="cr-tools" hidden><button type="button" data-zoom="out" title="zoom out">&minus;</button>'
            '<button type="button" data-zoom="fit" title="fit the width">fit</button>'
            '<button type="button" data-zoom="in" title="zoom in">+</button> <span class="cr-scale"></span></div>'
            f'<div class="cr-scroll">{inner_svg}</div></div>')


def page(view_html: str, view_id: str, animated: bool = False) -> str:
    """`view_html` with the CSS before it and the script after it (zoom.js, and animate.js for the interactive view,
    then the call that wires up the view), all inline: nothing comes from the network, and nbconvert's HTML keeps
    inline scripts. The call finds its view next to the script first, so two copies of one view both work."""
    code = asset("zoom.js") + (asset("animate.js") if animated else "")
    call = "chainruleAnimate" if animated else "chainruleZoom"
    found = f'chainruleFind("{view_id}", document.currentScript)'
    return f"<style>{asset('view.css')}</style>{view_html}<script>{code}\n{call}({found});</script>"
