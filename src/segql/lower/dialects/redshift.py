"""Amazon Redshift: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from sqlglot import exp

from segql.lower.dialects.postgres import PostgresOps


class RedshiftOps(PostgresOps):
    name = "redshift"
    order = 4  # position in DIALECTS

    def now(self, tz):
        # GETDATE() is the session zone's wall clock; as TIMESTAMPTZ it is the instant again, and
        # TIMEZONE(zone, timestamptz) returns that instant's wall clock in `zone` (a TIMESTAMP).
        return self.tpl("TIMEZONE(__tz, CAST(GETDATE() AS TIMESTAMPTZ))", tz=tz)

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATEADD({unit.upper()}, __n, __x)", n=n, x=ts)

    def _add_date(self, d, n, unit):
        return self.date_of(self._add_ts(d, n, unit))

    def days_between(self, a, b):
        return self.tpl("DATEDIFF(DAY, __b, __a)", a=a, b=b)

    def string_equals(self, a, b):
        # VARCHAR comparison ignores trailing blanks: compare with a sentinel appended.
        return self.tpl("__a || '|' = __b || '|'", a=a, b=b)

    def string_in(self, a, values):
        return exp.or_(*[self.string_equals(a.copy(), v) for v in values]) if values else exp.false()

    def length(self, s):
        return self.tpl("LENGTH(__s || '|') - 1", s=s)  # LENGTH ignores trailing blanks
