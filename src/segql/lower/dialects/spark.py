"""Apache Spark SQL: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from sqlglot import exp

from segql.lower.dialects.base import Ops, param


class SparkOps(Ops):
    """Spark 3.4+/4 (verified on pyspark 4 local mode, ANSI on and off). Timestamps are TIMESTAMP_NTZ."""
    narrow_integer_literals = True  # INT literals: constant arithmetic in BIGINT (`integer_constant`)

    name = "spark"
    order = 5  # position in DIALECTS
    verified = True
    regex_flavor = "java"
    double_type = "DOUBLE"
    prefold_lower = True  # Java's toLowerCase: 'İ' -> 'i̇', final 'Σ' -> 'ς'

    def now(self, tz):
        # the clock's instant through its epoch microseconds, as `_instant` reads a zoned column: casting
        # CURRENT_TIMESTAMP() to TIMESTAMP_NTZ read the session zone's wall clock, which shows the repeated
        # hour twice when clocks go back, and converting it back picked one of the two (an hour off)
        return self._instant(self.tpl("CURRENT_TIMESTAMP()"), "zoned", tz)

    def _instant(self, col, kind, tz):
        # A TIMESTAMP is an instant, but casting it to TIMESTAMP_NTZ uses the session zone: its epoch
        # microseconds added to the NTZ epoch give the UTC wall clock exactly, then CONVERT_TIMEZONE from
        # 'UTC' (given, not the session's) to the schema's zone
        unit = {"zoned": "MICROSECOND", "seconds": "SECOND", "milliseconds": "MILLISECOND",
                "microseconds": "MICROSECOND"}[kind]
        x = self.tpl("UNIX_MICROS(__x)", x=col) if kind == "zoned" else col
        utc = self.tpl(f"DATE_ADD({unit}, __x, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ))", x=x)
        return utc if self.is_utc(tz) else self.tpl("CONVERT_TIMEZONE('UTC', __tz, __x)", x=utc, tz=tz)

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "TIMESTAMP_NTZ")

    def floor_double(self, a):
        # Spark's FLOOR of a DOUBLE is a BIGINT: beyond ±9.2e18 (`round(score)` of 1e150) ANSI mode raises
        # ARITHMETIC_OVERFLOW. a − (a % 1) is floor(a) for a ≥ 0, exactly (the remainder is exact and the
        # difference representable), and stays a DOUBLE.
        return self.tpl("__a - __b % 1", a=a, b=a.copy())

    def _add_ts(self, ts, n, unit):
        if unit == "month":
            return self.tpl("__x + MAKE_YM_INTERVAL(0, __n)", x=ts, n=n)
        args = {"day": "__n, 0, 0, 0", "hour": "0, __n, 0, 0", "minute": "0, 0, __n, 0", "second": "0, 0, 0, __n"}
        return self.tpl(f"__x + MAKE_DT_INTERVAL({args[unit]})", x=ts, n=n)

    def _add_date(self, d, n, unit):
        if unit == "month":
            return self.tpl("ADD_MONTHS(__d, __n)", d=d, n=n)
        return self.tpl("DATE_ADD(__d, __n)", d=d, n=n)

    def _trunc_date(self, d, unit):
        return self.tpl(f"TRUNC(__d, '{unit.upper()}')", d=d)

    def to_timestamp(self, d):
        return self.cast(d, "TIMESTAMP_NTZ")

    def days_between(self, a, b):
        return self.tpl("DATEDIFF(__a, __b)", a=a, b=b)

    def _extract(self, part, x):
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAYOFMONTH(__x)",
                         "isodow": "(DAYOFWEEK(__x) + 5) % 7 + 1"}[part], x=x)

    def exact_integer(self, x):
        # Spark 3's default (spark.sql.ansi.enabled=false) wraps a BIGINT/INT overflow around silently
        # (ANSI mode raises), and YEAR, CHAR_LENGTH, DATEDIFF … are 32-bit INTs. DECIMAL(38,0) holds any
        # sum, difference or product of two 64-bit integers and the sum of up to 10^19 of them exactly,
        # in either mode (docs/dialects.md "Spark: ANSI mode"). One DECIMAL operand is enough: Spark
        # computes `DECIMAL(38,0) * BIGINT` as DECIMAL(38,0)
        return x if self.is_exact_integer(x) else self.cast(x, "DECIMAL(38, 0)")

    widens_integers = True

    def widened(self, x):
        return isinstance(x, exp.Cast) and x.to.this == exp.DataType.Type.DECIMAL

    def length(self, s):
        return self.tpl("CHAR_LENGTH(__s)", s=s)

    def _regex(self, s, pattern):
        return self.tpl("__s RLIKE __p", s=s, p=param(pattern))
