"""The derivative rule of an op, read from the first line of its Function's docstring ("z = a * b;  dz/da = b,
dz/db = a"), so what explain() and the drawings show cannot drift from the code; and that notation in LaTeX (MathML
for browsers comes from the LaTeX, in mathml.py)."""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from .mathml import mathml


@dataclass
class Rule:
    """The derivative of one op with respect to one of its inputs, as its docstring states it."""
    definition: str   # "z = a * b"
    symbol: str       # the input's name in the docstring: "a"
    text: str         # "dz/da = b"
    formula: str      # "d(a * b)/da = b": the text table shows it
    latex: str        # the formula in LaTeX (the HTML table shows it as MathML, with the rule in words on hover)

    @property
    def mathml(self) -> str:
        """The formula as MathML, which browsers typeset offline."""
        return mathml(self.latex)


_DERIVATIVE = re.compile(r"d([A-Za-z_][\w\[\]]*)/d([A-Za-z_][\w\[\]]*)\s*=")
_rules: dict = {}


def rule_for(fn: type, position: int, order: int = 0) -> Rule:
    """The docstring rule of `fn` for its forward argument number `position` (its `order`-th graph input)."""
    cache_key = (fn, position, order)
    if cache_key not in _rules:
        _rules[cache_key] = _parse_rule(fn, position, order)
    return _rules[cache_key]


def with_numbers(fn: type, expression: str, values: dict) -> tuple[str, str]:
    """`expression` (docstring notation, e.g. a rule's right-hand side "1 - y**2") with the number of each name in
    `values` put in ("1 - 0.7071**2"), as text and as LaTeX. A trailing note in parentheses is left out."""
    expression = _without_note(expression)
    text = "".join(_number(values[t]) if t in values else t for t in _TOKEN.findall(expression))
    names, star = _forward_params(fn)
    return text, _latex(text, set(names) | {star or ""})


def rule_rhs(rule: Rule) -> str:
    """The first form of a rule's right-hand side: "1 - tanh(x)**2" of "dy/dx = 1 - tanh(x)**2 = 1 - y**2"."""
    return _without_note(rule.text.partition("= ")[2]).split(" = ")[0].strip()


def _without_note(expression: str) -> str:
    """`expression` without a trailing note set off by two spaces, such as "  (n a number)"."""
    return re.sub(r"\s{2,}\(.*\)$", "", expression).strip()


def _number(x: float | int) -> str:
    """A number to put into a formula: 4 significant digits, in parentheses when negative or a power of ten."""
    if isinstance(x, int):
        text = str(x)
    else:
        text = f"{x:.4g}"
        if "e" in text:
            mantissa, _, exponent = text.partition("e")
            text = f"{mantissa} * 10**({int(exponent)})"
        elif text.lstrip("-").isdigit():
            text += ".0"
    return f"({text})" if text.startswith("-") or "*" in text else text


def _forward_params(fn: type) -> tuple[list[str], str | None]:
    try:
        params = list(inspect.signature(fn.forward).parameters.values())[1:]  # without ctx
    except (TypeError, ValueError):
        return [], None
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), None)
    return names, star


def _parse_rule(fn: type, position: int, order: int) -> Rule:
    names, star = _forward_params(fn)
    symbol = names[position] if position < len(names) else (star or f"input{position}")
    first_line = (inspect.getdoc(fn) or "").strip().splitlines()
    first_line = first_line[0].strip() if first_line else ""
    matches = list(_DERIVATIVE.finditer(first_line))
    definition = first_line[:matches[0].start()].strip().rstrip(";").strip() if matches else first_line
    chosen = None
    for i, m in enumerate(matches):
        if m.group(2) == symbol or m.group(2).startswith(symbol + "["):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(first_line)
            chosen = (m.group(1), m.group(2), first_line[m.end():end].strip().rstrip(",;").strip())
            break
    if chosen is None and order < len(matches):  # the docstring names the input differently: go by order
        m = matches[order]
        end = matches[order + 1].start() if order + 1 < len(matches) else len(first_line)
        chosen = (m.group(1), m.group(2), first_line[m.end():end].strip().rstrip(",;").strip())
    if chosen is None:
        text = f"d out/d {symbol}: stated by {fn.__name__}.backward (its docstring gives no rule for {symbol})"
        return Rule(definition, symbol, text, text, r"\text{" + _tex_escape(text) + "}")
    out, wrt, rhs = chosen
    text = f"d{out}/d{wrt} = {rhs}"
    lhs, _, body = definition.partition("=")
    body = _without_note(body)
    variables = set(names) | {star or "", "grad", out, lhs.strip()}
    if lhs.strip() == out and body and ";" not in body:
        formula = f"d({body})/d{wrt} = {rhs}"
        latex = (r"\frac{\partial\,(" + _latex(body, variables) + r")}{\partial " + _latex(wrt, variables) + "} = "
                 + _latex(rhs, variables))
    else:
        formula = text
        latex = (r"\frac{\partial " + _latex(out, variables) + r"}{\partial " + _latex(wrt, variables) + "} = "
                 + _latex(rhs, variables))
    return Rule(definition, symbol, text, formula, latex)


_TOKEN = re.compile(r"\s+|\d+(?:\.\d+)?|[A-Za-z_][\w']*(?:\[[^\]]*\])?(?:\.T\b)?|\*\*|>=|<=|!=|==|.")
_NAMED_FUNCTIONS = {"exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh",
                    "max": r"\max", "min": r"\min"}
_SYMBOLS = {"*": r"\cdot ", ">=": r"\geq ", "<=": r"\leq ", "!=": r"\neq ", "==": "=", "@": r"\mathbin{@}",
            "'": r"\text{'}"}


def _tex_escape(text: str) -> str:
    return re.sub(r"([_%#&${}])", r"\\\1", text).replace("~", r"\sim ").replace("^", r"\hat{}")


def _latex(expr: str, variables: set) -> str:
    """The docstring notation in LaTeX: `**` as a superscript, `*` as a dot, words as text."""
    tokens = _TOKEN.findall(expr)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.isspace():
            out.append(" ")
        elif tok == "**":
            j = i + 1
            while j < len(tokens) and tokens[j].isspace():
                j += 1
            group, i = _exponent(tokens, j)
            out.append("^{" + _latex(group, variables) + "}")
            continue
        elif re.match(r"[A-Za-z_]", tok):
            base, index, transposed = re.match(r"([\w']+)(?:\[([^\]]*)\])?(\.T)?$", tok).groups()
            if i + 1 < len(tokens) and tokens[i + 1] == "(":
                out.append(_NAMED_FUNCTIONS.get(base, r"\operatorname{" + _tex_escape(base) + "}"))
            elif len(base) == 1 or base in variables:
                out.append(base if len(base) == 1 else r"\mathrm{" + _tex_escape(base) + "}")
            else:  # words: gather the whole phrase into one \text
                words = [tok]
                while i + 2 < len(tokens) and tokens[i + 1].isspace() and re.match(r"[A-Za-z]", tokens[i + 2]) \
                        and re.match(r"[\w']+", tokens[i + 2]).group() not in variables and len(tokens[i + 2]) > 1:
                    words.append(tokens[i + 2])
                    i += 2
                out.append(r"\text{ " + _tex_escape(" ".join(words)) + " }")
                i += 1
                continue
            if index is not None:
                out.append("_{" + _latex(index, variables) + "}")
            if transposed:
                out.append(r"^{\top}")
        else:
            out.append(_SYMBOLS.get(tok, _tex_escape(tok)))
        i += 1
    return "".join(out).strip()


def _exponent(tokens: list, j: int) -> tuple[str, int]:
    """The exponent after `**`: a parenthesised group, or one (possibly negative) number or name."""
    if j < len(tokens) and tokens[j] == "(":
        depth, k = 0, j
        while k < len(tokens):
            depth += tokens[k] == "("
            depth -= tokens[k] == ")"
            if depth == 0:
                return "".join(tokens[j + 1:k]), k + 1
            k += 1
        return "".join(tokens[j + 1:]), len(tokens)
    if j < len(tokens) and tokens[j] == "-" and j + 1 < len(tokens):
        return "-" + tokens[j + 1], j + 2
    return (tokens[j], j + 1) if j < len(tokens) else ("", j)
