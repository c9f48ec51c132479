"""Syntax tree → canonical segql text (`segql fmt`, and `fmt --to text` for JSON inputs).

Canonical means: keywords in lower case, one top-level condition per line, parentheses exactly where
precedence needs them (plus around an `and` inside an `or`, for the reader), strings in double quotes.
Printing never changes meaning: parse(print(tree)) equals tree once grouping parentheses are ignored,
and print(parse(print(tree))) == print(tree). Comments on their own line stay before the clause that
follows them; a comment at the end of a line stays at the end of that clause's line.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from segql.errors import SegqlError
from segql.syntax import ast

_NAME = re.compile(r"^[^\W\d]\w*$")
KEYWORDS = {
    "segment", "list", "on", "where", "title", "description", "let", "or", "and", "not", "in", "between", "is",
    "null", "empty", "contains", "starts", "ends", "with", "matches", "ignoring", "case", "last", "past", "this",
    "within", "any", "all", "no", "performed", "did", "perform", "at", "least", "most", "exactly", "more",
    "fewer", "less", "than", "times", "time", "true", "false", "today", "now", "ago", "date", "timestamp",
    "before", "after", "then", "week", "month", "quarter", "year",
    *(u + s for u in ("second", "minute", "hour", "day", "week", "month", "quarter", "year") for s in ("", "s")),
}

# precedence: higher binds tighter
OR, AND, NOT, PRED, SUM, PRODUCT, UNARY, ATOM = range(1, 9)


def strip_parens(node):
    """The same tree without grouping nodes (their meaning is the tree's shape)."""
    import dataclasses

    if isinstance(node, ast.Parens):
        return strip_parens(node.item)
    if isinstance(node, tuple):
        return tuple(strip_parens(n) for n in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, (ast.Node, tuple)) and not f.name.endswith("spans"):
            new = strip_parens(value)
            if new is not value:
                changes[f.name] = new
    return dataclasses.replace(node, **changes) if changes else node


def name(text: str) -> str:
    if _NAME.match(text) and text.lower() not in KEYWORDS:
        return text
    if "`" in text or "\n" in text:
        raise SegqlError("E0107", f"the name {text!r} cannot be written in segql text")
    return f"`{text}`"


def slug(text: str) -> str:
    return text if _NAME.match(text) and text.lower() not in KEYWORDS else string(text)


def string(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ch in "\u2028\u2029\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def number(value, money: bool = False) -> str:
    if isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    if money and not text.startswith("-"):
        whole, _, frac = text.partition(".")
        return "$" + f"{int(whole):,}" + (f".{frac}" if frac else "")
    return text


def unit(amount: int, word: str) -> str:
    return f"{amount} {word}" + ("" if amount == 1 else "s")


class Printer:
    def __call__(self, node) -> str:
        return self.expr(node, OR)

    def expr(self, node, context: int) -> str:
        text, prec = self.render(node)
        return f"({text})" if prec < context else text

    def render(self, node):  # -> (text, precedence)
        method = getattr(self, "_" + type(node).__name__)
        return method(node)

    # ---- logic
    def _Parens(self, node):
        return self.render(node.item)

    def _Or(self, node):
        if not node.items:
            return "false", ATOM
        parts = [self.expr(i, OR + 1) if not isinstance(strip_parens(i), ast.And) else f"({self.expr(i, AND)})"
                 for i in node.items]
        return " or ".join(parts), OR

    def _And(self, node):
        if not node.items:
            return "true", ATOM
        return " and ".join(self.expr(i, AND + 1) for i in node.items), AND

    def _Not(self, node):
        inner = strip_parens(node.item)
        if isinstance(inner, ast.InSegment) and inner.subject is None and not inner.negated:
            return f"not {self.render(inner)[0]}", NOT
        return f"not {self.expr(node.item, NOT)}", NOT

    # ---- predicates
    def _Compare(self, node):
        return f"{self.expr(node.left, SUM)} {node.op} {self.expr(node.right, SUM)}", PRED

    def _InList(self, node):
        items = ", ".join(self.expr(i, OR) for i in node.items)
        return f"{self.expr(node.operand, SUM)} {'not in' if node.negated else 'in'} ({items})", PRED

    def _Between(self, node):
        word = "not between" if node.negated else "between"
        return (f"{self.expr(node.operand, SUM)} {word} {self.expr(node.low, SUM)} and "
                f"{self.expr(node.high, SUM)}"), PRED

    def _IsNull(self, node):
        return f"{self.expr(node.operand, SUM)} is {'not ' if node.negated else ''}null", PRED

    def _IsEmpty(self, node):
        return f"{self.expr(node.operand, SUM)} is {'not ' if node.negated else ''}empty", PRED

    def _TextMatch(self, node):
        word = {"contains": "contains", "starts": "starts with", "ends": "ends with", "matches": "matches"}[node.op]
        if node.negated:
            word = "not " + word
        tail = " ignoring case" if node.ignore_case else ""
        return f"{self.expr(node.operand, SUM)} {word} {self.expr(node.pattern, SUM)}{tail}", PRED

    def period(self, p: ast.Period) -> str:
        if p.kind == "rolling":
            return f"last {unit(p.amount, p.unit)}"
        if p.kind in ("this", "last"):
            return f"{p.kind} {p.unit}"
        return f"between {p.amount} and {unit(p.amount2, p.unit)} ago"

    def _InPeriod(self, node):
        if node.period.kind == "between":
            word = "not between" if node.negated else "between"
            p = node.period
            return f"{self.expr(node.operand, SUM)} {word} {p.amount} and {unit(p.amount2, p.unit)} ago", PRED
        word = "not in" if node.negated else "in"
        return f"{self.expr(node.operand, SUM)} {word} {self.period(node.period)}", PRED

    def _InSegment(self, node):
        ref = f"in {node.kind} {slug(node.slug)}"
        if node.subject is None:
            if node.negated:
                return f"not {ref}", NOT
            return ref, PRED
        return f"{self.expr(node.subject, SUM)} {'not ' if node.negated else ''}{ref}", PRED

    def _Quantified(self, node):
        path = self._path_text(node.path)
        if node.condition is None:
            return f"{node.quantifier} {path}", PRED
        return f"{node.quantifier} {path} ({self.expr(node.condition, OR)})", PRED

    def _count_and_window(self, node, parts: list) -> str:
        """The `at least N times` and `in last …` that end `performed` and sequences alike."""
        if node.count is not None and not node.negated:
            words = {">=": "at least", "<=": "at most", "=": "exactly", ">": "more than", "<": "fewer than"}
            parts.append(f"{words[node.count.op]} {node.count.count} time{'s' if node.count.count != 1 else ''}")
        if node.window is not None:
            p = node.window
            parts.append(self.period(p) if p.kind == "between" else f"in {self.period(p)}")
        return " ".join(parts)

    def _Performed(self, node):
        parts = [f'did not perform {string(node.event)}' if node.negated else f"performed {string(node.event)}"]
        if node.where is not None:
            parts.append(f"where {self.expr(node.where, NOT)}")
        return self._count_and_window(node, parts), PRED

    def _Sequence(self, node):
        parts = ["did not perform" if node.negated else "performed", string(node.first)]
        if node.first_where is not None:
            parts.append(f"where {self.expr(node.first_where, NOT)}")
        parts += ["then", string(node.then)]
        if node.then_where is not None:
            parts.append(f"where {self.expr(node.then_where, NOT)}")
        if node.within is not None:
            parts.append(f"within {unit(node.within.amount, node.within.unit)}")
        return self._count_and_window(node, parts), PRED

    # ---- values
    def _path_text(self, node: ast.Path) -> str:
        return ".".join(name(p) for p in node.parts)

    def _Path(self, node):
        return self._path_text(node), ATOM

    def _Literal(self, node):
        v = node.value
        if node.kind == "string":
            return string(v), ATOM
        if node.kind == "number":
            text = number(v, node.money)
            return text, (UNARY if text.startswith("-") else ATOM)
        if node.kind == "boolean":
            return ("true" if v else "false"), ATOM
        if node.kind == "null":
            return "null", ATOM
        if node.kind == "date":
            return f"date {string(v.isoformat())}", ATOM
        if node.kind == "timestamp":
            text = v.isoformat()
            if isinstance(v, dt.datetime) and v.utcoffset() is not None and v.utcoffset().total_seconds() == 0:
                text = text.replace("+00:00", "Z")
            return f"timestamp {string(text)}", ATOM
        raise SegqlError("E0107", f"cannot print a {node.kind} literal")  # pragma: no cover

    def _Keyword(self, node):
        return node.name, ATOM

    def _Duration(self, node):
        return unit(node.amount, node.unit) + (" ago" if node.ago else ""), ATOM

    def _Unary(self, node):
        operand = strip_parens(node.operand)
        if isinstance(operand, ast.Literal) and operand.kind == "number" and not operand.money and operand.value >= 0:
            return f"-({self.expr(operand, OR)})", UNARY  # keeps the operator: `-5` would read as a number
        inner = self.expr(node.operand, UNARY)
        return f"- {inner}" if inner.startswith("-") else f"-{inner}", UNARY

    def _Binary(self, node):
        prec = SUM if node.op in "+-" else PRODUCT
        op = {"*": "*"}.get(node.op, node.op)
        return f"{self.expr(node.left, prec)} {op} {self.expr(node.right, prec + 1)}", prec

    def _Call(self, node):
        args = ", ".join(self.expr(a, OR) for a in node.args)
        if node.where is not None:
            args += f" where {self.expr(node.where, OR)}"
        return f"{node.name}({args})", ATOM


_print = Printer()


def format_condition(node) -> str:
    return _print(node)


def format_definition(d: ast.Definition, comments: dict | None = None) -> str:
    comments = comments or {}
    lines: list[str] = []

    def emit(text, key, indent=""):
        for c in comments.get(("before", key), []):
            lines.append(indent + c)
        trailing = comments.get(("after", key))
        lines.append(indent + text + (("  " + "  ".join(trailing)) if trailing else ""))

    emit(f"{d.kind} {slug(d.slug)} on {name(d.entity)}", "header")
    if d.title is not None:
        emit(f"title {string(d.title)}", "title", "  ")
    if d.description is not None:
        emit(f"description {string(d.description)}", "description", "  ")
    for i, let in enumerate(d.lets):
        emit(f"let {name(let.name)} = {_print(let.expr)}", ("let", i), "  ")
    if d.kind == "segment":
        lines.append("where")
        cond = d.condition
        top = strip_parens(cond)
        if isinstance(top, (ast.And, ast.Or)) and top.items:
            word = "and" if isinstance(top, ast.And) else "or"
            for i, item in enumerate(top.items):
                if isinstance(top, ast.Or) and isinstance(strip_parens(item), ast.And):
                    text = f"({_print.expr(item, AND)})"
                else:
                    text = _print.expr(item, (AND if word == "and" else OR) + 1)
                emit(text if i == 0 else f"{word} {text}", ("item", i), "  ")
        else:
            emit(_print(cond), ("item", 0), "  ")
    for c in comments.get(("end",), []):
        lines.append(c)
    return "\n".join(lines) + "\n"


def format_document(doc: ast.Document, comments: list[dict] | None = None) -> str:
    parts = [format_definition(d, (comments or [None] * len(doc.definitions))[i])
             for i, d in enumerate(doc.definitions)]
    return "\n".join(parts)
