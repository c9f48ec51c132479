"""Amazon Redshift: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

import re

from sqlglot import exp

from segql.lower.dialects.base import PER_SECOND, respell_strings
from segql.lower.dialects.postgres import PostgresOps

_QUOTE_OR_BACKSLASH = re.compile(r"(['\\])")


def _chr_concat(value: str) -> exp.Expression:
    """`value` with every quote and backslash written as CHR(39) / CHR(92): a literal that holds neither
    reads the same whether or not the server treats backslashes as escapes."""
    parts = [exp.Anonymous(this="CHR", expressions=[exp.Literal.number(ord(p))]) if p in ("'", "\\")
             else exp.Literal.string(p) for p in _QUOTE_OR_BACKSLASH.split(value) if p]
    node = parts[0]
    for part in parts[1:]:
        node = exp.DPipe(this=node, expression=part, safe=True)
    return exp.Paren(this=node)


class RedshiftOps(PostgresOps):
    name = "redshift"
    order = 4  # position in DIALECTS

    def finish(self, tree):
        """sqlglot writes Redshift literals with backslash escapes (`'it\\'s'`), which are only right
        while the server reads backslashes as escapes, and Redshift has no documented E'…'. A string with
        a quote or a backslash is built from plain pieces and CHR() instead: exact under either reading."""
        return respell_strings(tree, lambda v: "'" in v or "\\" in v, _chr_concat)

    def now(self, tz):
        # GETDATE() is the session zone's wall clock; as TIMESTAMPTZ it is the instant again, and
        # TIMEZONE(zone, timestamptz) returns that instant's wall clock in `zone` (a TIMESTAMP).
        return self.tpl("TIMEZONE(__tz, CAST(GETDATE() AS TIMESTAMPTZ))", tz=tz)

    def _instant(self, col, kind, tz):
        # Redshift has no TO_TIMESTAMP(number): TIMESTAMP 'epoch' + n seconds is its documented idiom (a UTC
        # wall clock), CONVERT_TIMEZONE('UTC', zone, t) its wall clock in zone; a timestamptz goes through
        # AT TIME ZONE as on PostgreSQL
        if kind == "zoned":
            return super()._instant(col, kind, tz)
        secs = col if kind == "seconds" else self.tpl("__x / __d", x=col, d=exp.Literal.number(f"{PER_SECOND[kind]}.0"))
        utc = self.tpl("CAST('1970-01-01 00:00:00' AS TIMESTAMP) + __x * INTERVAL '1 SECOND'", x=secs)
        return utc if self.is_utc(tz) else self.tpl("CONVERT_TIMEZONE('UTC', __tz, __x)", x=utc, tz=tz)

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
        return exp.Paren(this=exp.or_(*[self.string_equals(a.copy(), v) for v in values])) if values else exp.false()

    def _extract(self, part, x):
        if part == "isodow":  # Redshift has no ISODOW date part; DOW is Sunday 0 .. Saturday 6
            return self.tpl("CAST((EXTRACT(DOW FROM __x) + 6) % 7 + 1 AS INTEGER)", x=x)
        return super()._extract(part, x)
