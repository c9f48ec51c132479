"""The Python API (SPEC §4): everything the CLI does, as functions.

    schema = segql.load_schema("schema.yml")
    sql = segql.compile(source, schema=schema, dialect="bigquery", segment=None, on=None, now=None,
                        select="keys")

Pipeline: source ─parse─▶ syntax tree ─check(schema)─▶ IR ─lower(dialect)─▶ sqlglot tree ─▶ SQL.
Each stage is a public function here, so tools (and `segql compile --emit ast|ir|sql`) can stop anywhere.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import ir
from .errors import SegqlError
from .schema import Schema, load_schema, parse_schema  # noqa: F401 - re-exported
from .semantic.checker import Checker, Library, check_policy
from .syntax import ast
from .workspace import library_for, parse_source

SELECTS = ("keys", "count")
PARAM_STYLES = ("qmark", "numeric", "named", "pyformat")


@dataclass
class Compiled:
    """SQL with bind parameters (`compile(..., params="qmark")`)."""

    sql: str
    params: list | dict


def _schema(schema) -> Schema:
    if isinstance(schema, Schema):
        return schema
    if schema is None:
        raise SegqlError("E0200", "a schema is required", hints=["segql.load_schema('schema.yml')"])
    return load_schema(schema)


def parse(source, *, schema=None, path: str | None = None, on: str | None = None) -> ast.Document:
    """Any input form (segql text, JSON text, a dict) → syntax tree."""
    return parse_source(source, path=path, on=on, schema=schema)


def check(source, schema, *, path: str | None = None, on: str | None = None,
          library: Library | None = None) -> list[ir.Segment]:
    """Parse and check every definition; raises the first error (see `diagnose` for all of them)."""
    schema = _schema(schema)
    doc = source if isinstance(source, ast.Document) else parse(source, schema=schema, path=path, on=on)
    library = library or library_for([doc], schema)
    checker = Checker(schema, library)
    out = []
    for d in doc.definitions:
        out.append(_check_one(checker, d, doc, schema, library))
    return out


def _check_one(checker, d, doc, schema, library) -> ir.Segment:
    try:
        check_policy(d, schema, library)
        return checker.check_definition(d)
    except SegqlError as err:
        if err.path is None:
            err.path, err.source = doc.path, doc.source
        raise


def select_definition(doc: ast.Document, segment: str | None) -> ast.Definition:
    defs = doc.definitions
    if segment is None:
        if len(defs) == 1:
            return defs[0]
        raise SegqlError("E0003", f"{doc.path or 'the input'} defines {len(defs)} segments; choose one",
                         hints=[f"pass --segment with one of: {', '.join(d.slug for d in defs)}"], path=doc.path)
    for d in defs:
        if d.slug == segment:
            return d
    folded = [d for d in defs if d.slug.casefold() == segment.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise SegqlError("E0003", f"no segment {segment!r} in {doc.path or 'the input'}",
                     hints=[f"segments: {', '.join(d.slug for d in defs)}"], path=doc.path)


def to_ir(source, schema, *, segment=None, on=None, path=None, library=None) -> ir.Segment:
    schema = _schema(schema)
    doc = source if isinstance(source, ast.Document) else parse(source, schema=schema, path=path, on=on)
    definition = select_definition(doc, segment)
    library = library or library_for([doc], schema)
    return _check_one(Checker(schema, library), definition, doc, schema, library)


def to_sql_tree(segment: ir.Segment, schema: Schema, dialect: str = "duckdb", *, now=None, select: str = "keys"):
    """IR → sqlglot tree (`segql.lower` is the lowering package, so the package exports this name)."""
    from .lower.sql import Lowerer, pin_now

    if select not in SELECTS:
        raise SegqlError("E0004", f"select must be one of {', '.join(SELECTS)}, not {select!r}")
    if segment.kind == "list" and schema.lists is None:
        raise SegqlError("E0313", f"{segment.slug} is a static list, but the schema has no `lists:` table")
    return Lowerer(schema, dialect, pin_now(_check_now(now), schema.timezone)).select(segment, select)


def _check_now(now):
    if isinstance(now, str):
        try:
            text = now.strip()
            dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise SegqlError("E0005", f"--now {now!r} is not an ISO date or timestamp",
                             hints=["e.g. 2024-06-01T12:00:00Z or 2024-06-01"]) from None
    return now


def render(tree, dialect: str, *, pretty: bool = True, params: str | None = None):
    from .lower.params import parameterize

    if params is not None:
        return Compiled(*parameterize(tree, dialect, params, pretty=pretty))
    return tree.sql(dialect=dialect, pretty=pretty, copy=False)


def compile(source, schema=None, dialect: str = "duckdb", segment: str | None = None, on: str | None = None,
            now=None, select: str = "keys", *, params: str | None = None, pretty: bool = True, path=None):
    """Compile one segment to one SQL statement for `dialect` (SPEC §3, §4).

    `source` is segql text, JSON text or a dict. `now` (ISO string or datetime) pins relative times;
    without it they are evaluated when the SQL runs. With `params` (qmark|numeric|named|pyformat) the
    result is a `Compiled(sql, params)` with bind parameters instead of inline literals.
    """
    from .lower.dialects import get_ops

    schema = _schema(schema)
    get_ops(dialect)  # unknown dialect: a clear error before any work
    segment_ir = to_ir(source, schema, segment=segment, on=on, path=path)
    tree = to_sql_tree(segment_ir, schema, dialect, now=now, select=select)
    return render(tree, dialect, pretty=pretty, params=params)


lower = to_sql_tree  # the stage's name inside segql.api
