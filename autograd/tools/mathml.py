"""The rules' LaTeX as MathML, which every modern browser typesets by itself: explain()'s table and the interactive
view show formulas offline, with no MathJax and no network. Only the small LaTeX that rules.py writes is understood."""
from __future__ import annotations

import html
import re

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\d+(?:\.\d+)?|\s+|.")
_OPERATORS = {r"\cdot": "\u22c5", r"\geq": "\u2265", r"\leq": "\u2264", r"\neq": "\u2260", r"\sim": "~",
              r"\top": "\u22a4", r"\partial": "\u2202"}
_FUNCTIONS = {r"\exp", r"\log", r"\sin", r"\cos", r"\tanh", r"\max", r"\min"}


def mathml(latex: str, display: bool = False) -> str:
    """`latex` (as rules.py writes it) as a <math> element; the LaTeX rides along as its annotation."""
    body, _ = _row(_TOKEN.findall(latex), 0)
    block = ' display="block"' if display else ""
    return (f'<math xmlns="http://www.w3.org/1998/Math/MathML"{block}><semantics><mrow>{body}</mrow>'
            f'<annotation encoding="application/x-tex">{_escape(latex)}</annotation></semantics></math>')


def mathml_row(latex: str) -> str:
    """`latex` as the inside of a <math> element (for formulas pieced together in the interactive view)."""
    return _row(_TOKEN.findall(latex), 0)[0]


def _row(tokens: list[str], i: int) -> tuple[str, int]:
    """Items up to the closing brace of the group (or the end); returns their MathML and the index after it."""
    out: list[str] = []
    while i < len(tokens):
        tok = tokens[i]
        if tok == "}":
            return "".join(out), i + 1
        if tok in ("^", "_") and out:
            script, i = _argument(tokens, i + 1)
            tag = "msup" if tok == "^" else "msub"
            out[-1] = f"<{tag}>{out[-1]}<mrow>{script}</mrow></{tag}>"
            continue
        item, i = _item(tokens, i)
        if item:
            out.append(item)
    return "".join(out), i


def _argument(tokens: list[str], i: int) -> tuple[str, int]:
    """One braced group, or a single token, as MathML."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i < len(tokens) and tokens[i] == "{":
        return _row(tokens, i + 1)
    return _item(tokens, i)


def _braced_text(tokens: list[str], i: int) -> tuple[str, int]:
    """The raw text of a braced group (for \\text and names), with LaTeX's escapes undone."""
    depth, text = 0, []
    while i < len(tokens):
        tok = tokens[i]
        depth += tok == "{"
        depth -= tok == "}"
        i += 1
        if depth == 0:
            break
        if not (tok == "{" and depth == 1):
            text.append(tok[1:] if len(tok) == 2 and tok[0] == "\\" and not tok[1].isalpha() else tok)
    return "".join(text), i


def _item(tokens: list[str], i: int) -> tuple[str, int]:
    tok = tokens[i]
    if tok.isspace():
        return "", i + 1
    if tok == "{":
        inner, i = _row(tokens, i + 1)
        return f"<mrow>{inner}</mrow>", i
    if tok == r"\frac":
        top, i = _argument(tokens, i + 1)
        bottom, i = _argument(tokens, i)
        return f"<mfrac><mrow>{top}</mrow><mrow>{bottom}</mrow></mfrac>", i
    if tok == r"\,":
        return '<mspace width="0.17em"/>', i + 1
    if tok in (r"\text", r"\mathrm", r"\operatorname", r"\mathbin"):
        text, i = _braced_text(tokens, i + 1)
        if tok == r"\text":
            return f"<mtext>{_escape(text.replace(' ', chr(160)))}</mtext>", i
        if tok == r"\mathbin":
            return f"<mo>{_escape(text)}</mo>", i
        return f'<mi mathvariant="normal">{_escape(text)}</mi>' if len(text) == 1 else f"<mi>{_escape(text)}</mi>", i
    if tok == r"\hat":
        _, i = _braced_text(tokens, i + 1)
        return "<mo>^</mo>", i
    if tok in _FUNCTIONS:
        return f"<mi>{tok[1:]}</mi>", i + 1
    if tok in _OPERATORS:
        tag = "mi" if tok in (r"\partial", r"\top") else "mo"
        return f"<{tag}>{_OPERATORS[tok]}</{tag}>", i + 1
    if len(tok) == 2 and tok[0] == "\\":  # an escaped character: \_ \{ ...
        return f"<mo>{_escape(tok[1])}</mo>", i + 1
    if tok[0].isdigit():
        return f"<mn>{tok}</mn>", i + 1
    if tok.isalpha():
        return f"<mi>{_escape(tok)}</mi>", i + 1
    if tok == "-":
        return "<mo>\u2212</mo>", i + 1
    return f"<mo>{_escape(tok)}</mo>", i + 1


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
