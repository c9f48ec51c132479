"""The compile pipeline as functions (SPEC §4): each stage public, so tools (and
`segql compile --emit ast|ir|sql`) can stop anywhere.

    source ─parse─▶ syntax tree ─check(schema)─▶ IR ─to_sql_tree(dialect)─▶ sqlglot tree ─render─▶ SQL
"""
from __future__ import annotations

from dataclasses import dataclass

from segql import ir
from segql.clock import check_now, pin_now
from segql.errors import SegqlError
from segql.ops.load import as_schema, check_documents, select_definition  # noqa: F401 - part of the pipeline's API
from segql.schema import Schema
from segql.syntax import ast

SELECTS = ("keys", "count")
PARAM_STYLES = ("qmark", "numeric", "named", "pyformat")


@dataclass
class Compiled:
    """SQL with bind parameters (`compile(..., params="qmark")`)."""

    sql: str
    params: list | dict


def parse(source, *, schema=None, path: str | None = None, on: str | None = None) -> ast.Document:
    """Any input form (segql text, JSON text, a dict) → syntax tree."""
    from segql.frontends.source import parse_source

    return parse_source(source, path=path, on=on, schema=schema)


def _document(source, schema, path, on) -> ast.Document:
    return source if isinstance(source, ast.Document) else parse(source, schema=schema, path=path, on=on)


def check(source, schema, *, path: str | None = None, on: str | None = None, library=None) -> list[ir.Segment]:
    """Parse and check every definition; raises the first error (`segql check` reports all of them)."""
    schema = as_schema(schema)
    result = check_documents([_document(source, schema, path, on)], schema, library=library)
    if result.errors:
        raise result.errors[0]
    return [item.segment for item in result.loaded]


def to_ir(source, schema, *, segment=None, on=None, path=None, library=None) -> ir.Segment:
    """One definition (`segment`, or the only one) → typed IR."""
    schema = as_schema(schema)
    doc = _document(source, schema, path, on)
    definition = select_definition(doc, segment)
    one = ast.Document((definition,), path=doc.path, source=doc.source)
    from segql.semantic.library import library_for

    result = check_documents([one], schema, library=library or library_for([doc], schema))
    if result.errors:
        raise result.errors[0]
    return result.loaded[0].segment


def to_sql_tree(segment: ir.Segment, schema: Schema, dialect: str = "duckdb", *, now=None, select: str = "keys"):
    """IR → sqlglot tree for `dialect` (one SELECT of member keys, or of their count)."""
    from segql.lower.sql import (
        Lowerer,  # lazy: start-up time (sqlglot) for commands that never lower
    )

    if select not in SELECTS:
        raise SegqlError("E0004", f"select must be one of {', '.join(SELECTS)}, not {select!r}")
    if segment.kind == "list" and schema.lists is None:
        raise SegqlError("E0313", f"{segment.slug} is a static list, but the schema has no `lists:` table")
    return Lowerer(schema, dialect, pin_now(check_now(now), schema.timezone)).select(segment, select)


def render(tree, dialect: str, *, pretty: bool = True, params: str | None = None):
    """sqlglot tree → SQL text, or `Compiled(sql, params)` with bind parameters in style `params`."""
    from segql.lower.dialects import get_ops  # lazy: start-up time (sqlglot)

    dialect = get_ops(dialect).name  # an alias (`postgresql`) renders as its dialect
    if params is not None:
        from segql.lower.params import parameterize

        return Compiled(*parameterize(tree, dialect, params, pretty=pretty))
    from sqlglot.dialects.dialect import Dialect

    # segql's trees carry no SQL comments: the generator need not look for them at every node (~10 % of
    # rendering; benchmarks/README.md §1)
    return Dialect.get_or_raise(dialect).generate(tree, copy=False, pretty=pretty, comments=False)


def compile(source, schema=None, dialect: str = "duckdb", segment: str | None = None, on: str | None = None,
            now=None, select: str = "keys", *, params: str | None = None, pretty: bool = True, path=None):
    """Compile one segment to one SQL statement for `dialect` (SPEC §3, §4).

    `source` is segql text, JSON text or a dict. `now` (ISO string or datetime) pins relative times;
    without it they are evaluated when the SQL runs. With `params` (qmark|numeric|named|pyformat) the
    result is a `Compiled(sql, params)` with bind parameters instead of inline literals.
    """
    from segql.lower.dialects import get_ops

    schema = as_schema(schema)
    dialect = get_ops(dialect).name  # unknown dialect: a clear error before any work; aliases accepted
    segment_ir = to_ir(source, schema, segment=segment, on=on, path=path)
    tree = to_sql_tree(segment_ir, schema, dialect, now=now, select=select)
    return render(tree, dialect, pretty=pretty, params=params)
