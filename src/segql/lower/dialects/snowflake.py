"""Snowflake: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

import re

from sqlglot import exp

from segql.lower.dialects.base import NAME_META, Ops, param

# A name Snowflake reads unquoted (and so stores upper case): a letter or underscore, then letters, digits,
# underscores or dollar signs — written in lower case in the schema — and not a reserved word (such a
# name was quoted, so stored as spelled, when its table was made).
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_$]*")
_RESERVED_WORDS = """
account all alter and any as between by case cast check column connect connection constraint create cross
current current_date current_time current_timestamp current_user database delete distinct drop else exists
false following for from full grant group gscluster having ilike in increment inner insert intersect into is
issue join lateral left like localtime localtimestamp minus natural not null of on or order organization
qualify regexp revoke right rlike row rows sample schema select set some start table tablesample then to
trigger true try_cast union unique update using values view when whenever where window with"""
_RESERVED = frozenset(_RESERVED_WORDS.split())


class SnowflakeOps(Ops):
    """Snowflake (generated). Naive timestamps are TIMESTAMP_NTZ."""

    name = "snowflake"
    order = 3  # position in DIALECTS
    regex_flavor = "portable"
    double_type = "DOUBLE"

    def finish(self, tree):
        """Every schema name is quoted; Snowflake resolves an unquoted name as its upper case, so a
        lower-case plain name is written upper case inside the quotes (`"CONTACTS"`), and any other
        spelling (mixed case, spaces, a reserved word, already upper case) stays exactly as the schema has
        it (docs/dialects.md)."""
        for ident in tree.find_all(exp.Identifier):
            if ident.meta.get(NAME_META) and _PLAIN_NAME.fullmatch(ident.this) and ident.this not in _RESERVED:
                ident.set("this", ident.this.upper())
        return tree

    def now(self, tz):
        return self.tpl("CAST(CONVERT_TIMEZONE(__tz, CURRENT_TIMESTAMP()) AS TIMESTAMP_NTZ)", tz=tz)

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "TIMESTAMP_NTZ")

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATEADD({unit.upper()}, __n, __x)", x=ts, n=n)

    _add_date = _add_ts  # DATEADD on a DATE with day/month returns a DATE

    def _instant(self, col, kind, tz):
        # CONVERT_TIMEZONE(zone, TIMESTAMP_TZ/LTZ) then NTZ: the wall clock in zone. An epoch number is
        # added to the NTZ epoch (UTC wall clock; TO_TIMESTAMP's type would follow TIMESTAMP_TYPE_MAPPING)
        if kind == "zoned":
            return self.tpl("CAST(CONVERT_TIMEZONE(__tz, __x) AS TIMESTAMP_NTZ)", x=col, tz=tz)
        unit = {"seconds": "SECOND", "milliseconds": "MILLISECOND", "microseconds": "MICROSECOND"}[kind]
        utc = self.tpl(f"DATEADD({unit}, __x, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ))", x=col)
        return utc if self.is_utc(tz) else self.tpl("CONVERT_TIMEZONE('UTC', __tz, __x)", x=utc, tz=tz)

    def _trunc_date(self, d, unit):
        if unit == "week":  # DATE_TRUNC('week') depends on the WEEK_START parameter
            return self.tpl("DATEADD(DAY, 1 - DAYOFWEEKISO(__d), __d)", d=d)
        return self.tpl(f"DATE_TRUNC('{unit.upper()}', __d)", d=d)

    def to_timestamp(self, d):
        return self.cast(d, "TIMESTAMP_NTZ")

    def days_between(self, a, b):
        return self.tpl("DATEDIFF(DAY, __b, __a)", a=a, b=b)

    def _extract(self, part, x):
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAYOFMONTH(__x)",
                         "isodow": "DAYOFWEEKISO(__x)"}[part], x=x)

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_INSTR(__s, __p) > 0", s=s, p=param(pattern))  # REGEXP_LIKE is a full match
