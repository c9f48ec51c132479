"""Snowflake: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from segql.lower.dialects.base import Ops, param


class SnowflakeOps(Ops):
    """Snowflake (generated). Naive timestamps are TIMESTAMP_NTZ."""

    name = "snowflake"
    order = 3  # position in DIALECTS
    regex_flavor = "portable"
    double_type = "DOUBLE"

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
