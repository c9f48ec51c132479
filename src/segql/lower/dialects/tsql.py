"""SQL Server (T-SQL): what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from sqlglot import exp

from segql.lower.dialects.base import PER_SECOND, Ops, respell_strings


class TSQLOps(Ops):
    """SQL Server / T-SQL (generated). No regex; IANA zones unsupported; collations handled explicitly."""
    narrow_integer_literals = True  # INT literals: constant arithmetic in BIGINT (`integer_constant`)

    name = "tsql"
    order = 11  # position in DIALECTS
    double_type = "FLOAT"
    like_specials = "%_["  # '[' starts a character class in T-SQL LIKE
    _BIN = "Latin1_General_100_BIN2"

    def finish(self, tree):
        """A plain '…' literal is VARCHAR in the database's code page: text outside it (日本, Ω) is lost.
        Every string literal is written N'…' (NVARCHAR)."""
        return respell_strings(tree, lambda v: True, lambda v: exp.National(this=v))

    def now(self, tz):
        if not self.is_utc(tz):
            self.unsupported(f"the time zone {tz!r}", "T-SQL's AT TIME ZONE takes Windows zone names")
        return self.tpl("SYSUTCDATETIME()")

    def _instant(self, col, kind, tz):
        # AT TIME ZONE takes Windows zone names: only UTC is certain. DATEADD takes an INT, so an epoch
        # number is split into days, seconds of the day and the sub-second rest.
        if not self.is_utc(tz):
            self.unsupported(f"an instant read in the time zone {tz!r}", "T-SQL's AT TIME ZONE takes Windows zone "
                             "names; use timezone: UTC")
        if kind == "zoned":
            return self.tpl("CAST(__x AT TIME ZONE 'UTC' AS DATETIME2(6))", x=col)
        p = PER_SECOND[kind]
        out = self.tpl("DATEADD(DAY, __x / __d, CAST('1970-01-01' AS DATETIME2(6)))", x=col, d=86400 * p)
        out = self.tpl("DATEADD(SECOND, (__x / __p) % 86400, __t)", x=col, p=p, t=out) if p > 1 else \
            self.tpl("DATEADD(SECOND, __x % 86400, __t)", x=col, t=out)
        if p > 1:
            unit = "MILLISECOND" if kind == "milliseconds" else "MICROSECOND"
            out = self.tpl(f"DATEADD({unit}, __x % __p, __t)", x=col, p=p, t=out)
        return out

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "DATETIME2(6)")

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATEADD({unit.upper()}, __n, __x)", x=ts, n=n)

    _add_date = _add_ts

    def _trunc_date(self, d, unit):
        return self.tpl({
            "week": "DATEADD(DAY, -(DATEDIFF(DAY, '19000101', __d) % 7), __d)",  # 1900-01-01 was a Monday
            "month": "DATEFROMPARTS(YEAR(__d), MONTH(__d), 1)",
            "quarter": "DATEFROMPARTS(YEAR(__d), (DATEPART(QUARTER, __d) - 1) * 3 + 1, 1)",
            "year": "DATEFROMPARTS(YEAR(__d), 1, 1)",
        }[unit], d=d)

    def to_timestamp(self, d):
        return self.cast(d, "DATETIME2(6)")

    def days_between(self, a, b):
        return self.tpl("DATEDIFF(DAY, __b, __a)", a=a, b=b)

    def _extract(self, part, x):
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAY(__x)",
                         "isodow": "DATEDIFF(DAY, '19000101', __x) % 7 + 1"}[part], x=x)

    def length(self, s):
        return self.tpl("LEN(__s + N'|') - 1", s=s)  # LEN ignores trailing blanks

    def string_equals(self, a, b):
        return self.tpl(f"__a + N'|' = __b + N'|' COLLATE {self._BIN}", a=a, b=b)

    def string_in(self, a, values):
        return exp.Paren(this=exp.or_(*[self.string_equals(a.copy(), v) for v in values])) if values else exp.false()

    def _like_subject(self, lowered):
        return self.tpl(f"__s COLLATE {self._BIN}", s=lowered)

    def regex_search(self, s, pattern):
        self.unsupported("regular expression matching (matches)", "T-SQL has no regex predicate")

    def boolean(self, v):
        return exp.Literal.number(1 if v else 0)  # BIT columns
