"""Rendering errors for people (`path:line:col: error[CODE]: message`, the line, a caret, hints) and for
tools (`--format json`)."""
from __future__ import annotations

import json

from segql.errors import SegqlError

DOCS = "docs/errors.md"
MAX_SHOWN = 160  # characters of a source line shown under a diagnostic


def _caret(source: str, span) -> list[str]:
    lines = source.split("\n")
    if not (1 <= span.line <= len(lines)):
        return []
    text = lines[span.line - 1].rstrip("\r")
    start = max(span.col, 1)
    end = span.end_col if span.end_line == span.line and span.end_col > start else len(text) + 1
    end = min(max(end, start + 1), max(len(text) + 1, start + 1))
    if len(text) > MAX_SHOWN:  # a window around the caret: a 2 MB one-line input must not be echoed whole
        lo = max(0, min(start - 1 - MAX_SHOWN // 4, len(text) - MAX_SHOWN))
        hi = lo + MAX_SHOWN
        end = min(end, hi + 1)
        text = ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")
        shift = lo - (1 if lo else 0)
        start, end = start - shift, end - shift
    gutter = str(span.line)
    pad = " " * len(gutter)
    # tabs keep their width so the caret lines up
    prefix = "".join(c if c == "\t" else " " for c in text[:start - 1])
    return [f"{gutter} | {text}", f"{pad} | {prefix}{'^' * (end - start)}"]


def render(err: SegqlError, *, severity: str = "error") -> str:
    span = err.span
    where = err.path or "<input>"
    if span.line:
        head = f"{where}:{span.line}:{span.col}: {severity}[{err.code}]: {err.message}"
        if span.pointer:
            head += f" (at {span.pointer})"
    elif span.pointer is not None:
        head = f"{where}: {severity}[{err.code}]: {err.message} (at {span.pointer or '/'})"
    elif err.path:
        head = f"{where}: {severity}[{err.code}]: {err.message}"
    else:  # not about a file (a connection, a command-line value)
        head = f"segql: {severity}[{err.code}]: {err.message}"
    out = [head]
    if err.source and span.line:
        out.extend(_caret(err.source, span))
    for hint in err.hints:
        out.append(f"  = hint: {hint}")
    return "\n".join(out)


def to_json(err: SegqlError, *, severity: str = "error") -> dict:
    span = err.span
    return {
        "severity": severity,
        "code": err.code,
        "message": err.message,
        "path": err.path,
        "line": span.line or None,
        "column": span.col or None,
        "end_line": span.end_line or None,
        "end_column": span.end_col or None,
        "pointer": span.pointer,
        "hints": err.hints,
    }


def dumps(items: list[dict]) -> str:
    return json.dumps(items, ensure_ascii=False, indent=2)
