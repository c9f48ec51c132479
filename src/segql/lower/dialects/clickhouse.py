"""ClickHouse: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from sqlglot import exp

from segql.lower.dialects.base import Ops, param
from segql.text import simple_lower


class ClickHouseOps(Ops):
    """ClickHouse (verified on chDB). Timestamps are DateTime64(6, 'UTC') holding the naive wall clock."""

    name = "clickhouse"
    order = 10  # position in DIALECTS
    verified = True
    empty_subquery_is_null = True  # `(SELECT count() … WHERE b.k = a.k)` is NULL when nothing matches
    regex_flavor = "re2"
    double_type = "Float64"
    lower_function = "lowerUTF8"
    upper_function = "upperUTF8"
    prefold_lower = True  # lowerUTF8 maps 'İ' -> 'i̇' and a final 'Σ' -> 'ς'

    def now(self, tz):
        return self.tpl("toDateTime64(toString(now64(6, __tz)), 6, 'UTC')", tz=tz)

    def today(self, tz):
        return self.tpl("toDate32(toString(now64(6, __tz)))", tz=tz)

    def timestamp_literal(self, v):
        return self.tpl("toDateTime64(__v, 6, 'UTC')", v=self._ts_text(v))

    def date_literal(self, v):
        return self.tpl("toDate32(__v)", v=v.isoformat())

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"add{unit.capitalize()}s(__x, __n)", x=ts, n=n)

    def _add_date(self, d, n, unit):
        return self.date_of(self._add_ts(d, n, unit))

    def _trunc_date(self, d, unit):
        fn = {"week": "toMonday", "month": "toStartOfMonth", "quarter": "toStartOfQuarter",
              "year": "toStartOfYear"}[unit]
        return self.date_of(self.tpl(f"{fn}(__d)", d=d))

    def date_of(self, ts):
        return self.tpl("toDate32(__x)", x=ts)

    def to_timestamp(self, d):
        return self.tpl("toDateTime64(__x, 6, 'UTC')", x=d)

    def days_between(self, a, b):
        return self.tpl("dateDiff('day', __b, __a)", a=a, b=b)

    def _extract(self, part, x):
        fn = {"year": "toYear", "month": "toMonth", "day": "toDayOfMonth", "isodow": "toDayOfWeek"}[part]
        return self.tpl(f"toInt32({fn}(__x))", x=x)

    def length(self, s):
        return self.tpl("lengthUTF8(__s)", s=s)

    def _like_ci(self, s, literal, kind):
        # ClickHouse LIKE has no ESCAPE clause; position/startsWith/endsWith need no escaping at all.
        lit = simple_lower(literal)
        t = {"contains": "positionUTF8(__s, __v) > 0", "starts": "startsWith(__s, __v)",
             "ends": "endsWith(__s, __v)"}[kind]
        return self.tpl(t, s=self.lower(s), v=param(lit))

    def _regex(self, s, pattern):
        return self.tpl("match(__s, __p)", s=s, p=param(pattern))

    @staticmethod
    def _plus0(x):
        """`x + 0`: -0.0 becomes 0.0, so hashing (IN sets, join keys) sees one zero (a literal is never -0.0)."""
        if isinstance(x, exp.Literal):
            return x
        return exp.Paren(this=exp.Add(this=x, expression=exp.Literal.number(0)))

    def number_equals(self, a, b):
        # a correlated `deals.amount = score` is decorrelated into a hash join on the two values
        return exp.EQ(this=self._plus0(a), expression=self._plus0(b))

    def number_in(self, a, values):
        # IN hashes a Float64's bits, so -0.0 IN (0) is false, and ClickHouse rewrites a chain of 3+ `=` on
        # constants into IN (optimize_min_equality_disjunction_chain_length): `+ 0` turns -0.0 into 0.0 on
        # both sides first (the chain of `=` also serves values that are not constants)
        if not values:
            return super().number_in(a, values)
        node = None
        for v in values:
            eq = self.number_equals(a.copy(), v)
            node = eq if node is None else exp.Or(this=node, expression=eq)
        return exp.Paren(this=node)

    def to_double(self, x):
        return self.tpl("toFloat64(__x)", x=x)

    cast_double = to_double

    def divide(self, a, b):
        return self.tpl("__a / nullIf(__b, 0)", a=self.to_double(a), b=self.to_double(b))
