"""Bind parameters (`--params`): every value literal the lowering marked becomes a placeholder in the
style the driver expects. sqlglot's own placeholder rendering differs per dialect, so segql renders a
unique marker per value and rewrites the markers in order of appearance."""
from __future__ import annotations

import re
from decimal import Decimal

from sqlglot import exp

from segql.errors import SegqlError
from segql.lower.dialects import PARAM_META, VALUE_META

STYLES = ("qmark", "numeric", "named", "pyformat")
_MARK = "segqlparam"
_MARK_RE = re.compile(_MARK + r"(\d+)")


def parameterize(tree: exp.Expression, dialect: str, style: str, *, pretty: bool = True):
    if style not in STYLES:
        raise SegqlError("E0004", f"--params must be one of {', '.join(STYLES)}, not {style!r}")
    values = []

    def swap(node):
        if PARAM_META in node.meta:
            kind = node.meta[PARAM_META]
            text = node.meta.get(VALUE_META, node.this)  # a literal, or one Ops.finish respelled
            value = text if kind == "string" else (int(text) if kind == "integer" else Decimal(text))
            values.append(value)
            return exp.Var(this=f"{_MARK}{len(values) - 1}")
        return node

    tree = tree.transform(swap, copy=True)
    sql = tree.sql(dialect=dialect, pretty=pretty)
    if style == "pyformat":  # psycopg / pymysql read `%` as a placeholder: a literal one is doubled
        sql = sql.replace("%", "%%")
    ordered = []
    named = {}

    def replace(match):
        index = int(match.group(1))
        value = values[index]
        if style in ("named", "pyformat"):
            name = f"p{index + 1}"
            named[name] = value
            if style == "pyformat":
                return f"%({name})s"
            return f"@{name}" if dialect in ("bigquery", "tsql") else f":{name}"
        ordered.append(value)
        return "?" if style == "qmark" else f"${len(ordered)}"

    sql = _MARK_RE.sub(replace, sql)
    return sql, (named if style in ("named", "pyformat") else ordered)
