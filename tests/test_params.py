"""Bind parameters (`--params`): placeholders are tree nodes, so a column literally named like a marker
keeps its name, and the parameterized SQL gives the inline SQL's members on the engines' own drivers."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlglot
from conftest_engines import engine_url, open_engine

import segql
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
        assert (dialect == "clickhouse" and style == "qmark") or (style == "numeric" and dialect in (
            "clickhouse", "tsql", "bigquery", "spark", "databricks", "trino", "mysql")), err
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


EDGE_ROWS = [(1, -2 ** 63), (2, 2 ** 63 - 1), (3, -1), (4, 0), (5, 2 ** 53 + 1), (6, None)]
# integer literals at and beyond BIGINT's ends: a negative one is one bound value (DuckDB read `-(?)` with
# ? = 2**63 as a UBIGINT and overflowed negating it; SQLite's driver cannot bind 2**63), and one beyond the
# range binds as the engine reads the literal (ClickHouse's {p:Int64} wrapped 2**63 to -2**63: wrong members)
EDGE_CONDITIONS = {
    "n = -9223372036854775808": [1],
    "n in (-9223372036854775808, 9223372036854775807)": [1, 2],
    "n between -9223372036854775808 and -1": [1, 3],
    "n < 9223372036854775808": [1, 2, 3, 4, 5],
    "n != 9223372036854775808": [1, 2, 3, 4, 5, 6],
    "n < 99999999999999999999999999999999999999999": [1, 2, 3, 4, 5],
    "n > -99999999999999999999999999999999999999999": [1, 2, 3, 4, 5],
    "n = 9007199254740993": [5],
    "n > -1 and n != 9223372036854775807": [4, 5],
    # inline too: SQLite and ClickHouse read an integer literal beyond BIGINT as a double (-2**63 - 1 as
    # -2**63), so `n > -9223372036854775809` missed n = -2**63; compared with the doubles either side
    "n > -9223372036854775809": [1, 2, 3, 4, 5],
    "n = -9223372036854775809 or n >= 9223372036854775809": [],
    "n <= 9223372036854775809 and n < 9223372036854775809": [1, 2, 3, 4, 5],
    "n in (-9223372036854775809, 9223372036854775809, 0)": [4],
    "n not in (-9223372036854775809, 1)": [1, 2, 3, 4, 5, 6],
    "n between -9223372036854775809 and -1": [1, 3],
}


@pytest.mark.parametrize("dialect,style", [("duckdb", "qmark"), ("duckdb", "named"), ("sqlite", "qmark"),
                                           ("postgres", "pyformat"), ("mysql", "pyformat"), ("clickhouse", "named")])
def test_integers_at_and_beyond_bigint_bind_as_their_literals_read(dialect, style):
    engine_url(dialect)
    eng = open_engine(dialect)
    try:
        eng.create_table("param_things", {"id": "integer", "n": "integer"}, EDGE_ROWS)
        for condition, want in EDGE_CONDITIONS.items():
            assert sorted(r[0] for r in eng.execute(segql.compile(condition, SCHEMA, dialect, on="things"))) == want
            compiled = segql.compile(condition, SCHEMA, dialect, on="things", params=style, pretty=False)
            got = sorted(r[0] for r in eng.execute(compiled.sql, compiled.params))
            assert got == want, (condition, compiled.sql, compiled.params)
    finally:
        eng.close()


def test_a_negative_literal_is_one_bound_value():
    compiled = segql.compile("n between -3 and -1 or segqlparam1 > -0.5", SCHEMA, "duckdb", on="things",
                             params="qmark", pretty=False)
    assert compiled.params == [-3, -1, Decimal("-0.5")] and "-?" not in compiled.sql.replace(" ", ""), compiled.sql


# ---- dates and timestamps at the edges (inline literals: segql does not bind them) ----------------------

EARLY = parse_schema("""
timezone: UTC
entities:
  things:
    table: param_times
    key: id
    properties: {ts: timestamp, d: date}
""")
EARLY_ROWS = [(1, datetime(1, 1, 1), date(1, 1, 1)), (2, datetime(99, 1, 1), date(99, 1, 1)),
              (3, datetime(999, 12, 31, 23, 59, 59), date(999, 12, 31)), (4, datetime(2001, 1, 1), date(2001, 1, 1)),
              (5, datetime(2028, 2, 29, 12), date(2028, 2, 29)), (6, datetime(9999, 12, 31, 23, 59, 59), date(9999, 12, 31))]
# a timestamp literal before year 1000 was written with strftime's unpadded year ('1-01-01 00:00:00'):
# PostgreSQL read it as 2001 (`ts <= timestamp "0001-01-01T00:00:00"` had members 1-4), SQLite's STRFTIME
# as NULL (and its engine stored such timestamps as that text: no members at all); ClickHouse refused the
# literal before year 100 and its engine stored NULL
EARLY_CONDITIONS = {
    'ts <= timestamp "0001-01-01T00:00:00"': [1],
    'ts < timestamp "0100-01-01T00:00:00"': [1, 2],
    'ts = timestamp "0999-12-31T23:59:59"': [3],
    'ts < date "1000-01-01"': [1, 2, 3],
    'year(ts) < 1000 and year(d) < 1000': [1, 2, 3],
    'd < date "0100-01-01"': [1, 2],
    'ts = timestamp "2028-02-29T12:00:00" or d = date "9999-12-31"': [5, 6],
    'ts >= timestamp "9999-12-31T23:59:59"': [6],
}


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite", "postgres", "mysql", "clickhouse"])
def test_timestamps_before_year_1000(dialect):
    """(ClickHouse's engine stored such timestamps as NULL: its text had the unpadded year too.)"""
    engine_url(dialect)
    eng = open_engine(dialect)
    try:
        eng.create_table("param_times", {"id": "integer", "ts": "timestamp", "d": "date"}, EARLY_ROWS)
        for condition, want in EARLY_CONDITIONS.items():
            sql = segql.compile(condition, EARLY, dialect, on="things")
            assert sorted(r[0] for r in eng.execute(sql)) == want, (condition, sql)
    finally:
        eng.close()


@pytest.mark.parametrize("dialect,style", [("postgres", "pyformat"), ("duckdb", "named")])
def test_a_literal_is_empty_binds_no_untyped_parameter(dialect, style):
    """`"" is empty` was `$1 IS NULL OR $2 = $3`: PostgreSQL cannot type a parameter that is only tested
    for NULL ("could not determine data type of parameter $1"). A literal is or is not empty at compile
    time, as a literal `is null` already was."""
    engine_url(dialect)
    eng = open_engine(dialect)
    try:
        eng.create_table("param_things", {"id": "integer", "segqlparam0": "string"}, [(1, "a"), (2, None)])
        for condition, want in (('"" is empty', [1, 2]), ('"x" is empty or segqlparam0 = "a"', [1]),
                                ('"x" is not empty and segqlparam0 is null', [2])):
            compiled = segql.compile(condition, SCHEMA, dialect, on="things", params=style, pretty=False)
            assert sorted(r[0] for r in eng.execute(compiled.sql, compiled.params)) == want, compiled.sql
    finally:
        eng.close()


# ---- integer constants in arithmetic ---------------------------------------------------------------------

ARITH = parse_schema("""
timezone: UTC
entities:
  things:
    table: param_arith
    key: id
    properties: {n: integer, d: date}
""")
# `integer` is 64-bit (SPEC §2.8), but PostgreSQL and DuckDB type a literal that fits as a 32-bit INTEGER
# (40000 * 40000 * 40000 raised "integer out of range"; DuckDB's year(d) was CAST … AS INTEGER too), and
# psycopg binds a small int as a 16-bit smallint (300 * 300 raised "smallint out of range" with --params)
ARITH_CONDITIONS = {
    "40000 * 40000 * 40000 > n": [1, 2],
    "year(d) * 10000000 > n": [1],
    "300 * 300 > n": [1, 2],
    "abs(-32768) > n and -32768 - 1 < n": [1, 2],
    "-(-32768) * 2 > n": [1, 2],
    "n + 2147483647 + 1 > 2147483648": [1],
    "(1 + 2) * 1000000000 * 1000 > n": [1, 2],
}


@pytest.mark.parametrize("dialect,style", [("duckdb", "qmark"), ("sqlite", "qmark"), ("postgres", "pyformat"),
                                           ("mysql", "pyformat"), ("clickhouse", "named")])
def test_integer_constants_compute_in_64_bits(dialect, style):
    engine_url(dialect)
    eng = open_engine(dialect)
    try:
        eng.create_table("param_arith", {"id": "integer", "n": "integer", "d": "date"},
                         [(1, 5, date(2024, 1, 1)), (2, -3, None), (3, None, None)])
        for condition, want in ARITH_CONDITIONS.items():
            inline = segql.compile(condition, ARITH, dialect, on="things")
            assert sorted(r[0] for r in eng.execute(inline)) == want, (condition, inline)
            compiled = segql.compile(condition, ARITH, dialect, on="things", params=style, pretty=False)
            got = sorted(r[0] for r in eng.execute(compiled.sql, compiled.params))
            assert got == want, (condition, compiled.sql, compiled.params)
    finally:
        eng.close()


# ---- a style the dialect has no placeholder for ------------------------------------------------------------

def test_numeric_placeholders_are_the_dialects_own_or_refused():
    """`$1` is a MONEY constant in T-SQL and a positional column reference in Snowflake (whose numeric
    binds are `:1`): `n = $1` compared with 1.00 or with the table's first column, silently. Where the
    dialect has no numeric placeholder, the style is refused (E0501) naming both."""
    compiled = segql.compile("n = 7 or segqlparam0 = 'x'", SCHEMA, "snowflake", on="things", params="numeric",
                             pretty=False)
    assert ":1" in compiled.sql and ":2" in compiled.sql and "$" not in compiled.sql, compiled.sql
    for dialect in ("tsql", "bigquery", "spark", "databricks", "trino", "mysql", "clickhouse"):
        with pytest.raises(UnsupportedError) as ei:
            segql.compile("n = 7", SCHEMA, dialect, on="things", params="numeric")
        assert ei.value.code == "E0501" and "numeric" in str(ei.value) and dialect in str(ei.value), ei.value
    for dialect in ("postgres", "redshift", "duckdb", "sqlite"):
        assert "$1" in segql.compile("n = 7", SCHEMA, dialect, on="things", params="numeric").sql


@pytest.mark.parametrize("dialect", ["spark", "databricks", "trino", "tsql", "redshift"])
def test_integer_constants_are_64_bit_where_literals_are_int(dialect):
    """Generated dialects whose integer literal is a 32-bit INT (Spark with ANSI off wraps an overflow
    silently; Trino and T-SQL raise): constant arithmetic is cast to BIGINT, as on DuckDB/PostgreSQL."""
    sql = segql.compile("40000 * 40000 * 40000 > n", ARITH, dialect, on="things")
    assert "AS BIGINT)" in sql, sql
