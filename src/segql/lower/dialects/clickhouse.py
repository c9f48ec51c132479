"""ClickHouse: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from sqlglot import exp

from segql.lower.dialects.base import PER_SECOND, Ops, _unparen, param
from segql.text import simple_lower

_EXACT_META = "segql_exact_integer"  # marks an integer `exact_integer` put in Decimal(38, 0)


class ClickHouseOps(Ops):
    """ClickHouse (verified on chDB). Timestamps are DateTime64(6, 'UTC') holding the naive wall clock."""

    name = "clickhouse"
    order = 10  # position in DIALECTS
    verified = True
    empty_subquery_is_null = True  # `(SELECT count() … WHERE b.k = a.k)` is NULL when nothing matches
    correlated_in_aggregates = False  # "correlated subqueries … not supported" inside COUNT(CASE …)
    # with a WHERE beside it, a correlated subquery in the SELECT list loses the columns it reads
    # ("can't find correlated column 't1.org_id' in current header", ClickHouse 26.9)
    correlated_beside_where = False
    regex_flavor = "re2"
    double_type = "Float64"
    lower_function = "lowerUTF8"
    upper_function = "upperUTF8"
    prefold_lower = True  # lowerUTF8 maps 'İ' -> 'i̇' and a final 'Σ' -> 'ς'

    # Int64 + - * and sum wrap around silently on ClickHouse (`n * n > 0` lost 2^32; DuckDB, PostgreSQL and
    # MariaDB raise): computed in Decimal(38, 0), which holds any sum, difference or product of two 64-bit
    # integers exactly and raises past 38 digits. toDecimal128 keeps a NULL (CAST to a non-Nullable type
    # would refuse it); `/` reads it through toFloat64 like any number.
    widens_integers = True

    def exact_integer(self, x):
        if self.is_exact_integer(x):
            return x
        node = self.tpl("toDecimal128(__x, 0)", x=x)
        node.meta[_EXACT_META] = True
        return node

    def widened(self, x):
        return bool(x.meta.get(_EXACT_META))

    def nth_related_key(self, key, offset):
        # a correlated LIMIT cannot be decorrelated ("'Limit' step is not supported"); an aggregate can.
        # groupArray skips NULL keys, as the count does; past the last key: NULL, not the type's default
        return self.tpl("if(count(__k) > __n, arrayElement(arraySort(groupArray(__k)), __i), NULL)",
                        k=key, n=offset, i=offset + 1)

    def now(self, tz):
        return self.tpl("toDateTime64(toString(now64(6, __tz)), 6, 'UTC')", tz=tz)

    def today(self, tz):
        return self.tpl("toDate32(toString(now64(6, __tz)))", tz=tz)

    def _instant(self, col, kind, tz):
        # a DateTime64 is an instant whatever zone it displays in: its text in `tz`, read back as UTC, is
        # the wall clock stored as the primitives keep timestamps (DateTime64(6, 'UTC'))
        if kind != "zoned":
            col = self.tpl("fromUnixTimestamp64Micro(toInt64(__x) * __n, 'UTC')", x=col,
                           n=1_000_000 // PER_SECOND[kind]) if kind != "microseconds" else \
                self.tpl("fromUnixTimestamp64Micro(toInt64(__x), 'UTC')", x=col)
            if self.is_utc(tz):
                return col
        return self.tpl("toDateTime64(toString(toTimeZone(__x, __tz)), 6, 'UTC')", x=col, tz=tz)

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

    def to_double(self, x):
        return self.tpl("toFloat64(__x)", x=x)

    cast_double = to_double

    def divide(self, a, b):
        return self.tpl("__a / nullIf(__b, 0)", a=self.to_double(a), b=self.to_double(b))

    def exact_number(self, x):
        # `IN` is a hash set and a correlated `=` becomes a hash join: both tell -0.0 from 0 by its bits.
        # Adding +0.0 turns -0.0 into 0 (IEEE) and leaves every other value as it is; a literal other
        # than zero needs nothing.
        bare = _unparen(x)
        if isinstance(bare, exp.Neg):
            bare = _unparen(bare.this)
        if isinstance(bare, exp.Literal) and bare.is_number and float(bare.this) != 0:
            return x
        return self.tpl("__x + 0.0", x=x)

    def common_number(self, x):
        # with `use_variant_as_common_type` (chDB's default) coalesce(Int64, Float64) is a Variant, and
        # `Variant IN (…)` compares one of its branches only
        return self.to_double(x)
