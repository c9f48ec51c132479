"""DuckDB: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from segql.lower.dialects.base import PER_SECOND, Ops, param


class DuckDBOps(Ops):
    name = "duckdb"
    order = 0  # position in DIALECTS
    verified = True
    regex_flavor = "re2"
    double_type = "DOUBLE"

    # DuckDB 2.0 deduplicates INTERVAL constants that compare equal after normalisation, and it equates
    # 1 month with 30 days: `x + INTERVAL 1 MONTH` and `x + INTERVAL 30 DAY` in one query both yield the
    # first one's value (measured). So only month arithmetic uses an INTERVAL; fixed-length units are
    # computed on epoch microseconds, and dates add whole days as integers (DATE + INTEGER is a DATE).
    _US = {"second": 1_000_000, "minute": 60_000_000, "hour": 3_600_000_000, "day": 86_400_000_000}

    def _add_ts(self, ts, n, unit):
        if unit == "month":
            return super()._add_ts(ts, n, unit)
        return self.tpl("MAKE_TIMESTAMP(EPOCH_US(__x) + __n)", x=ts, n=n * self._US[unit])

    def _add_date(self, d, n, unit):
        if unit == "day":
            return self.tpl("__d + __n", d=d, n=n)
        return super()._add_date(d, n, unit)

    def _instant(self, col, kind, tz):
        # TIMEZONE(zone, timestamptz) is its wall clock in zone; an epoch number is made exact in integer
        # microseconds (UTC wall clock) and only converted when the zone is not UTC
        if kind == "zoned":
            return self.tpl("TIMEZONE(__tz, __x)", x=col, tz=tz)
        utc = self.tpl("MAKE_TIMESTAMP(__x * __n)", x=col, n=1_000_000 // PER_SECOND[kind]) \
            if kind != "microseconds" else self.tpl("MAKE_TIMESTAMP(__x)", x=col)
        return utc if self.is_utc(tz) else self.tpl("TIMEZONE(__tz, TIMEZONE('UTC', __x))", x=utc, tz=tz)

    def days_between(self, a, b):
        return self.tpl("DATE_DIFF('day', __b, __a)", a=a, b=b)

    # `integer` is 64-bit (SPEC §2.8): a literal that fits is an INTEGER and EXTRACT cast to INTEGER is
    # 32-bit, so `40000 * 40000 * 40000` and `year(d) * 10000000` raised "Overflow in multiplication of INT32"
    narrow_integer_literals = True

    def _extract(self, part, x):
        return self.tpl(f"CAST(EXTRACT({part.upper()} FROM __x) AS BIGINT)", x=x)

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_MATCHES(__s, __p)", s=s, p=param(pattern))
