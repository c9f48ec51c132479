"""Bind parameters (`--params`): every value the lowering marked (PARAM_META) becomes a placeholder node
in the tree, in the style the driver expects, before the tree is rendered — never a marker rewritten in
the SQL text, which also rewrote an identifier that happened to look like a marker.

| style    | placeholder                                   | params |
|----------|-----------------------------------------------|--------|
| qmark    | `?`                                           | list   |
| numeric  | `$1`, `$2` … (`:1` Snowflake)                 | list   |
| named    | `:p1` (`@p1` BigQuery/T-SQL, `$p1` DuckDB, `{p1:Type}` ClickHouse) | dict |
| pyformat | `%(p1)s`; every other `%` is written `%%`     | dict   |

The node is sqlglot's own (`exp.Placeholder`, `exp.Parameter`) where sqlglot renders that token for the
dialect, else an `exp.Var` holding the token. ClickHouse has no positional parameters (qmark/numeric are
E0501); numeric is E0501 where the dialect has no numbered placeholder (`$1` is a MONEY constant in T-SQL). SQLite's driver cannot bind `Decimal`: numbers are passed as floats there.
"""
from __future__ import annotations

import functools
from decimal import Decimal

from sqlglot import exp

from segql.errors import SegqlError, UnsupportedError
from segql.lower.dialects import PARAM_META, VALUE_META, get_ops

STYLES = ("qmark", "numeric", "named", "pyformat")
# how each dialect's driver spells a named parameter (`:p1` elsewhere): DuckDB reads `:p1` as a syntax error
_NAMED_PREFIX = {"bigquery": "@", "tsql": "@", "duckdb": "$"}
# dialects without a numbered placeholder: `$1` is a MONEY constant in T-SQL, an identifier in MySQL, a
# syntax error elsewhere; their drivers bind `?` (BigQuery, Spark, Databricks, Trino, MySQL, T-SQL's ODBC)
_NO_NUMERIC = {"bigquery": "qmark or named (@p1)", "spark": "qmark or named (:p1)", "databricks": "qmark or named (:p1)",
               "trino": "qmark", "mysql": "qmark or pyformat", "tsql": "qmark, named (@p1) or pyformat"}
_NUMERIC_PREFIX = {"snowflake": ":"}  # Snowflake's numeric binds are `:1`; its `$1` is a positional column
_CLICKHOUSE_TYPES = {"string": "String", "integer": "Int64", "number": "Float64"}


def parameterize(tree: exp.Expression, dialect: str, style: str, *, pretty: bool = True):
    """(SQL, params) with a placeholder for every marked value, in order of appearance."""
    if style not in STYLES:
        raise SegqlError("E0004", f"--params must be one of {', '.join(STYLES)}, not {style!r}")
    dialect = get_ops(dialect).name
    if dialect == "clickhouse" and style in ("qmark", "numeric"):
        raise UnsupportedError(f"--params {style} (positional parameters)", dialect,
                               "ClickHouse binds only named, typed parameters: use --params named ({p1:Type})")
    if style == "numeric" and dialect in _NO_NUMERIC:
        raise UnsupportedError("--params numeric (numbered placeholders $1)", dialect,
                               f"{dialect} has no numbered placeholder: use --params {_NO_NUMERIC[dialect]}")
    values = []

    def swap(node):
        sign = 1
        if isinstance(node, exp.Neg) and PARAM_META in node.this.meta:  # `-5`: one value, -5
            node, sign = node.this, -1
        if PARAM_META not in node.meta:
            return node
        kind = node.meta[PARAM_META]
        text = node.meta.get(VALUE_META, node.this)  # a literal, or one Ops.finish respelled
        value = text if kind == "string" else sign * (int(text) if kind == "integer" else Decimal(text))
        value, kind = _bindable(value, kind, dialect)
        values.append(value)
        return _placeholder(style, dialect, len(values), _clickhouse_type(value, kind) if dialect == "clickhouse" else kind)

    tree = tree.transform(swap, copy=True)
    if style == "pyformat":  # psycopg / pymysql read `%` as a placeholder: a literal one is written `%%`
        tree = tree.transform(lambda node: _double_percent(node, dialect), copy=False)
    sql = tree.sql(dialect=dialect, pretty=pretty, copy=False)
    if style in ("named", "pyformat"):
        return sql, {f"p{i}": v for i, v in enumerate(values, 1)}
    return sql, values


# the integers each driver binds as an integer the engine compares exactly (DuckDB: HUGEINT; SQLite and
# ClickHouse's Int64: BIGINT); an integer beyond them binds as the engine reads such a literal itself
_INTEGER_RANGE = {"duckdb": 2 ** 127, "sqlite": 2 ** 63}
_CLICKHOUSE_INTEGERS = ((2 ** 63, "Int64"), (2 ** 127, "Int128"), (2 ** 255, "Int256"))


def _bindable(value, kind: str, dialect: str):
    """(value, kind) as `dialect`'s driver binds it with the literal's meaning: SQLite's driver cannot bind
    `Decimal` (SQLite numbers are REAL anyway) nor an integer beyond BIGINT (SQLite reads such a literal
    as REAL); DuckDB's none beyond HUGEINT (read as DOUBLE)."""
    if kind == "integer" and dialect in _INTEGER_RANGE and not -_INTEGER_RANGE[dialect] <= value < _INTEGER_RANGE[dialect]:
        return float(value), kind
    if dialect == "sqlite" and isinstance(value, Decimal):
        return float(value), kind
    return value, kind


def _clickhouse_type(value, kind: str) -> str:
    """ClickHouse's type for a parameter: Int64, else the narrowest wider integer that holds the value (a
    {p:Int64} wraps 2**63 to -2**63 silently), else Float64, as ClickHouse reads a wider literal."""
    if kind == "integer":
        return next((t for bound, t in _CLICKHOUSE_INTEGERS if -bound <= value < bound), "Float64")
    return _CLICKHOUSE_TYPES[kind]


def _placeholder(style: str, dialect: str, n: int, kind: str) -> exp.Expression:
    """`kind`: ClickHouse's type of the parameter there, the value's kind elsewhere (unused)."""
    if style == "named" and dialect == "clickhouse":
        return exp.Placeholder(this=exp.var(f"p{n}"), kind=exp.DataType.build(kind, dialect="clickhouse"))
    return _node(style, dialect, n).copy()


@functools.lru_cache(maxsize=None)
def _node(style: str, dialect: str, n: int) -> exp.Expression:
    """sqlglot's placeholder node when it renders this style's token in this dialect, else a Var of it."""
    name = f"p{n}"
    if style == "qmark":
        token, candidates = "?", [exp.Placeholder(), exp.Placeholder(jdbc=True)]
    elif style == "numeric":
        token = f"{_NUMERIC_PREFIX.get(dialect, '$')}{n}"
        candidates = [exp.Parameter(this=exp.Literal.number(n)), exp.Placeholder(this=exp.Literal.number(n))]
    elif style == "named":
        prefix = _NAMED_PREFIX.get(dialect, ":")
        token = f"{prefix}{name}"
        candidates = [exp.Parameter(this=exp.var(name))] if prefix == "@" else [exp.Placeholder(this=exp.var(name))]
    else:
        token, candidates = f"%({name})s", [exp.Placeholder(this=exp.var(name))]
    for node in candidates:
        if node.sql(dialect=dialect) == token:
            return node
    return exp.Var(this=token)


def _double_percent(node: exp.Expression, dialect: str) -> exp.Expression:
    """pyformat: every `%` that is not a placeholder is doubled — in string literals, quoted names and
    the modulo operator (written MOD(a, b); T-SQL has no MOD: a - b * (a / b) on its integers)."""
    if isinstance(node, exp.ByteString) or (isinstance(node, exp.Literal) and node.is_string):
        if "%" not in node.this:
            return node
        new = node.copy()
        new.set("this", node.this.replace("%", "%%"))
        return new
    if isinstance(node, exp.Identifier) and "%" in node.this:
        return exp.Identifier(this=node.this.replace("%", "%%"), quoted=node.args.get("quoted"))
    if isinstance(node, exp.Mod):
        # transform() does not descend into a replaced node: double the operands' `%` here
        a, b = (x.transform(lambda n: _double_percent(n, dialect), copy=True) for x in (node.this, node.expression))
        if dialect == "tsql":
            quotient = exp.Div(this=exp.Paren(this=a.copy()), expression=exp.Paren(this=b.copy()),
                               typed=True, safe=False)  # integer division, truncating like T-SQL's %
            return exp.Paren(this=exp.Sub(this=a, expression=exp.Mul(this=exp.Paren(this=b),
                                                                    expression=exp.Paren(this=quotient))))
        return exp.Anonymous(this="MOD", expressions=[a, b])
    return node
