"""Bind parameters (`--params`): placeholders are tree nodes, so a column literally named like a marker
keeps its name, and the parameterized SQL gives the inline SQL's members on the engines' own drivers."""
from __future__ import annotations

import pytest
import sqlglot

import segql
from conftest_engines import engine_url, open_engine
from segql.errors import UnsupportedError
from segql.lower.dialects import DIALECTS
from segql.lower.params import STYLES
from segql.semantic.schemas import parse_schema

SCHEMA = parse_schema("""
timezone: UTC
entities:
  things:
    table: param_things
    key: id
    properties:
      segqlparam0: string
      segqlparam1: {type: number, column: segqlparam1}
      n: integer
      label: {type: string, column: "p%1 it's"}
""")
CONDITION = ('segqlparam0 = "segqlparam0" or segqlparam1 > 1.5 and n in (2, 3) '
             'or label contains "50%" or label starts with "it\'s \\\\" or segqlparam0 matches "^a.c$"')
VALUES = ["segqlparam0", 1.5, 2, 3, "50%", "it's \\", "^a.c$"]
ROWS = [(1, "segqlparam0", 0.0, 0, "x"), (2, "b", 2.0, 2, "x"), (3, "b", 2.0, 9, "x"), (4, "b", 1.0, 3, "50% off"),
        (5, "b", 0.0, 0, "IT'S \\ fine"), (6, "abc", 0.0, 0, "x"), (7, "b", 1.5, 3, "it's / no"), (8, None, None, None, None)]
WANT = [1, 2, 4, 5, 6]


def _compile(dialect, style):
    condition = CONDITION.rsplit(" or ", 1)[0] if dialect == "tsql" else CONDITION  # T-SQL: no regex
    return segql.compile(condition, SCHEMA, dialect, on="things", params=style, pretty=False)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("style", STYLES)
def test_a_column_named_like_a_marker_keeps_its_name(dialect, style):
    try:
        compiled = _compile(dialect, style)
    except UnsupportedError as err:
        assert dialect == "clickhouse" and style in ("qmark", "numeric"), err
        return
    name = "SEGQLPARAM0" if dialect == "snowflake" else "segqlparam0"  # Snowflake: a plain name upper-cased
    quoted = sqlglot.exp.to_identifier(name, quoted=True).sql(dialect=dialect)
    assert compiled.sql.count(quoted) == (1 if dialect == "tsql" else 2), compiled.sql  # in `=` and `matches`
    values = list(compiled.params.values()) if isinstance(compiled.params, dict) else compiled.params
    assert len(values) == len(VALUES) - (dialect == "tsql"), values
    assert values[:4] == VALUES[:4], values  # in order of appearance, each in its own placeholder


@pytest.mark.parametrize("dialect,style", [
    ("duckdb", "qmark"), ("duckdb", "numeric"), ("duckdb", "named"), ("sqlite", "qmark"), ("sqlite", "named"),
    ("postgres", "pyformat"), ("mysql", "pyformat"), ("clickhouse", "named"), ("spark", "qmark")])
def test_parameterized_sql_gives_the_inline_members(dialect, style):
    engine_url(dialect)  # skips when the engine is unavailable
    eng = open_engine(dialect)
    try:
        eng.create_table("param_things", {"id": "integer", "segqlparam0": "string", "segqlparam1": "number",
                                          "n": "integer", "p%1 it's": "string"}, ROWS)
        inline = segql.compile(CONDITION, SCHEMA, dialect, on="things")
        assert sorted(r[0] for r in eng.execute(inline)) == WANT
        compiled = _compile(dialect, style)
        assert sorted(r[0] for r in eng.execute(compiled.sql, compiled.params)) == WANT, compiled.sql
    finally:
        eng.close()


def test_clickhouse_positional_styles_are_refused():
    with pytest.raises(UnsupportedError) as ei:
        _compile("clickhouse", "qmark")
    assert ei.value.code == "E0501" and "named" in " ".join(ei.value.hints)


def test_sqlite_numbers_are_floats():
    compiled = _compile("sqlite", "qmark")
    assert 1.5 in compiled.params and all(type(v) in (str, int, float) for v in compiled.params)
