"""Google BigQuery: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from segql.lower.dialects.base import Ops, param
from segql.text import simple_lower


class BigQueryOps(Ops):
    """BigQuery (generated). Naive timestamps are DATETIME."""

    name = "bigquery"
    order = 2  # position in DIALECTS
    regex_flavor = "re2"
    double_type = "FLOAT64"
    prefold_lower = True  # LOWER uses the full Unicode mapping: 'İ' -> 'i̇', a final 'Σ' -> 'ς'

    def decimal_literal(self, value, sql):
        """`9007199254740992.0` is a FLOAT64 literal in GoogleSQL, and INT64 = FLOAT64 compares in double
        precision (2**53 + 1 equals it): a BIGNUMERIC literal instead, which an INT64 coerces to exactly —
        when the value fits one (38 digits either side of the point), else as it was."""
        if not isinstance(value, Decimal):
            return sql
        sign, digits, exponent = value.as_tuple()
        if isinstance(exponent, int) and -exponent <= 38 and len(digits) + exponent <= 38:
            return self.cast(exp.Literal.string(str(value)), "BIGNUMERIC")
        return sql

    def now(self, tz):
        return self.tpl("CURRENT_DATETIME(__tz)", tz=tz)

    def today(self, tz):
        return self.tpl("CURRENT_DATE(__tz)", tz=tz)

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "DATETIME")

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATETIME_ADD(__x, INTERVAL __n {unit.upper()})", x=ts, n=n)

    def _add_date(self, d, n, unit):
        return self.tpl(f"DATE_ADD(__x, INTERVAL __n {unit.upper()})", x=d, n=n)

    def _instant(self, col, kind, tz):
        # DATETIME(timestamp, zone): the instant's civil time in zone
        if kind != "zoned":
            fn = {"seconds": "TIMESTAMP_SECONDS", "milliseconds": "TIMESTAMP_MILLIS", "microseconds": "TIMESTAMP_MICROS"}
            col = self.tpl(f"{fn[kind]}(__x)", x=col)
        return self.tpl("DATETIME(__x, __tz)", x=col, tz=tz)

    def _trunc_date(self, d, unit):
        return self.tpl(f"DATE_TRUNC(__d, {'ISOWEEK' if unit == 'week' else unit.upper()})", d=d)

    def to_timestamp(self, d):
        return self.cast(d, "DATETIME")

    def days_between(self, a, b):
        return self.tpl("DATE_DIFF(__a, __b, DAY)", a=a, b=b)

    def _extract(self, part, x):
        if part == "isodow":
            return self.tpl("MOD(EXTRACT(DAYOFWEEK FROM __x) + 5, 7) + 1", x=x)
        return self.tpl(f"EXTRACT({part.upper()} FROM __x)", x=x)

    def _like_ci(self, s, literal, kind):
        # BigQuery's LIKE has no ESCAPE clause.
        t = {"contains": "STRPOS(__s, __v) > 0", "starts": "STARTS_WITH(__s, __v)",
             "ends": "ENDS_WITH(__s, __v)"}[kind]
        return self.tpl(t, s=self.lower(s), v=param(simple_lower(literal)))

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_CONTAINS(__s, __p)", s=s, p=param(pattern))
