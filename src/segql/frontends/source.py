"""Reading segment files: the text language or JSON documents, and finding the segments a file refers to
(`in segment x` looks among the files given and the `*.segql` / `*.json` files beside them)."""
from __future__ import annotations

import json
from pathlib import Path

from segql import limits
from segql.errors import SegqlError, Span
from segql.files import read_bytes
from segql.syntax import ast
from segql.syntax.parser import (
    EVENT_HINT,
    looks_like_definitions,
    parse_condition,
    parse_document,
)


def read_text(path: str) -> str:
    """A segment file's text: a regular file of bounded size (`segql.files.read_bytes`), UTF-8, with a
    leading byte-order mark dropped (editors on Windows write one)."""
    data = read_bytes(path, limits.MAX_INPUT_CHARS * 4, what="file")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        before = data[:err.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise SegqlError("E0100", f"{path} is not valid UTF-8 (byte 0x{data[err.start]:02x})",
                         Span(line, col, line, col + 1), ["save the file as UTF-8"], path=path) from None


def is_json_text(text: str) -> bool:
    stripped = text.lstrip("\ufeff \t\r\n")
    return stripped.startswith(("{", "["))


def parse_source(source, *, path: str | None = None, on: str | None = None, schema=None) -> ast.Document:
    """Any input form → a Document of definitions: segql text (definitions or one bare condition with
    `on`), JSON text, or an already-decoded JSON value."""
    if isinstance(source, (dict, list)):
        from segql.frontends import json_document

        return json_document(source, path=path, on=on, schema=schema)
    if not isinstance(source, str):
        raise SegqlError("E0002", f"a segment source must be text or a dict, not {type(source).__name__}")
    if is_json_text(source):
        from segql.frontends import json_document_from_text

        return json_document_from_text(source, path=path, on=on, schema=schema)
    if on is not None and not any(line.strip() and not line.lstrip().startswith("#")
                                  for line in source.splitlines()):
        what = "the expression" if path in (None, "<expr>") else f"{path}"
        raise SegqlError("E0106", f"{what} is empty: there is no condition", Span(1, 1, 1, 2),
                         ['write a condition, e.g. -e \'country = "US"\'',
                          "or `segment slug on ENTITY where ...` in a file"], path=path, source=source)
    try:
        if looks_like_definitions(source) or on is None:
            if not looks_like_definitions(source):
                raise SegqlError("E0106", "a bare condition needs the entity it is about", Span(1, 1, 1, 2),
                                 ["pass --on ENTITY (on= in the API), or write `segment slug on ENTITY where ...`"],
                                 path=path, source=source)
            return parse_document(source, path)
        condition = parse_condition(source, path)
    except SegqlError as err:
        if schema is not None and not any(e.is_event_stream for e in schema.entities.values()):
            err.hints = [h for h in err.hints if not h.startswith(EVENT_HINT)]  # no `performed` to suggest
        raise
    slug = Path(path).stem if path else "segment"
    definition = ast.Definition("segment", slug, on, condition, span=condition.span)
    return ast.Document((definition,), path=path, source=source)


def load_file(path: str, *, on: str | None = None, schema=None) -> ast.Document:
    return parse_source(read_text(path), path=path, on=on, schema=schema)



def load_json(text: str, path: str | None):
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SegqlError("E0150", f"invalid JSON: {err.msg}", Span(err.lineno, err.colno, err.lineno, err.colno + 1),
                         path=path, source=text) from None
