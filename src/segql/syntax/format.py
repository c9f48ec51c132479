"""`segql fmt`: canonical text, keeping comments (see syntax/printer.py for the layout rules)."""
from __future__ import annotations

from segql.syntax import ast
from segql.syntax.parser import parse_document
from segql.syntax.printer import format_document, strip_parens


def _comments_by_line(text: str) -> list[tuple[int, str, bool]]:
    """(line, comment, own_line) for every `#` comment outside strings and `quoted names`."""
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        quote = None
        i = 0
        while i < len(line):
            ch = line[i]
            if quote:
                if ch == "\\" and quote != "`":
                    i += 2
                    continue
                if ch == quote:
                    quote = None
            elif ch in "\"'`":
                quote = ch
            elif ch == "#":
                out.append((number, line[i:].rstrip(), not line[:i].strip()))
                break
            i += 1
    return out


def _units(d: ast.Definition) -> list[tuple[object, int, int]]:
    """(key, first line, last line) of each clause a comment can sit beside."""
    units = [("header", d.span.line, d.span.line)]
    for i, let in enumerate(d.lets):
        units.append((("let", i), let.span.line, let.span.end_line))
    if d.condition is not None:
        top = strip_parens(d.condition)
        items = top.items if isinstance(top, (ast.And, ast.Or)) and not isinstance(d.condition, ast.Parens) \
            else (d.condition,)
        for i, item in enumerate(items):
            units.append((("item", i), item.span.line or d.span.line, item.span.end_line or d.span.line))
    return units


def format_text(text: str, path: str | None = None) -> str:
    doc = parse_document(text, path)
    comments = _comments_by_line(text)
    per_def: list[dict] = [{} for _ in doc.definitions]
    starts = [d.span.line for d in doc.definitions]
    for line, comment, own_line in comments:
        # the definition this comment belongs to: the last one starting at or before it, or the first
        index = max([i for i, s in enumerate(starts) if s <= line], default=0)
        if own_line and index + 1 < len(starts) and line > doc.definitions[index].span.end_line:
            index += 1  # between two definitions: it introduces the next one
        units = _units(doc.definitions[index])
        bucket = per_def[index]
        if own_line:
            following = [u for u in units if u[1] > line]
            key = ("before", following[0][0]) if following else ("end",)
        else:
            containing = [u for u in units if u[1] <= line]
            key = ("after", containing[-1][0] if containing else "header")
        bucket.setdefault(key, []).append(comment)
    return format_document(doc, per_def)
