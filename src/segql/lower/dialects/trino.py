"""Trino: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from segql.lower.dialects.base import PER_SECOND, Ops, param


class TrinoOps(Ops):
    """Trino (generated)."""
    narrow_integer_literals = True  # INT literals: constant arithmetic in BIGINT (`integer_constant`)

    name = "trino"
    order = 7  # position in DIALECTS
    regex_flavor = "java"
    double_type = "DOUBLE"

    def now(self, tz):
        return self.tpl("CAST(CURRENT_TIMESTAMP AT TIME ZONE __tz AS TIMESTAMP(6))", tz=tz)

    def _instant(self, col, kind, tz):
        # timestamp with time zone AT TIME ZONE zone, cast to timestamp: the wall clock in zone
        if kind != "zoned":
            col = self.tpl("FROM_UNIXTIME_NANOS(__x * __n)", x=col, n=1_000_000_000 // PER_SECOND[kind])
        return self.tpl("CAST(__x AT TIME ZONE __tz AS TIMESTAMP(6))", x=col, tz=tz)

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "TIMESTAMP(6)")

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATE_ADD('{unit}', __n, __x)", x=ts, n=n)

    _add_date = _add_ts

    def _trunc_date(self, d, unit):
        return self.tpl(f"DATE_TRUNC('{unit}', __d)", d=d)

    def to_timestamp(self, d):
        return self.cast(d, "TIMESTAMP(6)")

    def days_between(self, a, b):
        return self.tpl("DATE_DIFF('day', __b, __a)", a=a, b=b)

    def _extract(self, part, x):
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAY(__x)",
                         "isodow": "DAY_OF_WEEK(__x)"}[part], x=x)

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_LIKE(__s, __p)", s=s, p=param(pattern))  # a search in Trino
