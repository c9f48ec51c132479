"""SQLite: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

from sqlglot import exp

from segql.lower.dialects.base import PER_SECOND, Ops, copy_tree, param

# meta of a DATE(x, 'start of …', …) call whose value is the first day of a month: SQLite's own month
# modifier is exact there (it overflows only from a day the target month lacks), and DATE(DATE(x, a), b) is
# DATE(x, a, b) once a 'start of' modifier has set the time of day to midnight
MONTH_START = "segql_sqlite_month_start"


def _month_start(tree: exp.Expression) -> exp.Expression:
    tree.meta[MONTH_START] = True
    return tree


class SqliteOps(Ops):
    """SQLite: no date types, no zones, no regex function, ASCII-only lower().

    - Timestamps are text 'YYYY-MM-DD HH:MM:SS.SSS' (what strftime('%Y-%m-%d %H:%M:%f') yields, so all
      arithmetic keeps one format and text order is time order); literals with sub-millisecond parts are
      unsupported. `timestamp_column` normalises user data written in other ISO forms.
    - Only UTC is available for now()/today().
    - Month arithmetic is emulated (SQLite's '+1 month' overflows: 03-31 - 1 month = 03-02).
    - `x REGEXP p` and `lower(x)` need the functions segql.engines registers on every sqlite3
      connection (a portable-regex `regexp` and a Unicode simple-lowercase `lower`). On a connection
      without them REGEXP fails loudly ("no such function"), but lower() silently stays ASCII-only.
    """

    name = "sqlite"
    order = 9  # position in DIALECTS
    verified = True
    regex_flavor = "portable"
    double_type = "REAL"
    _TS = "'%Y-%m-%d %H:%M:%f'"

    def now(self, tz):
        if not self.is_utc(tz):
            self.unsupported(f"the time zone {tz!r}", "SQLite has no time zones; use timezone: UTC")
        return self.tpl(f"STRFTIME({self._TS}, 'now')")

    def today(self, tz):
        if not self.is_utc(tz):
            self.unsupported(f"the time zone {tz!r}", "SQLite has no time zones; use timezone: UTC")
        return self.tpl("DATE('now')")

    def _instant(self, col, kind, tz):
        # ISO text with an offset (or Z): SQLite's date functions apply the offset, giving UTC; an epoch
        # number through 'unixepoch' (fractions of a second kept to the millisecond, SQLite's precision)
        if not self.is_utc(tz):
            self.unsupported(f"the time zone {tz!r}", "SQLite has no time zones; use timezone: UTC")
        if kind == "zoned":
            return self.timestamp_column(col)
        if kind != "seconds":
            col = exp.Div(this=col, expression=exp.Literal.number(f"{PER_SECOND[kind]}.0"), typed=False, safe=False)
        return self.tpl(f"STRFTIME({self._TS}, __x, 'unixepoch')", x=col)

    def timestamp_literal(self, v):
        if v.microsecond % 1000:
            self.unsupported("a timestamp with sub-millisecond precision",
                             "SQLite stores timestamps with millisecond precision")
        return exp.Literal.string(v.isoformat(sep=" ", timespec="milliseconds"))  # year 1: '0001', as STRFTIME

    def date_literal(self, v):
        return exp.Literal.string(v.isoformat())

    def _months(self, x, n):
        """DATE text of x + n months, clamped to the target month's end. The first day of a month (what
        `_trunc_date` gives for a month, quarter or year) needs no clamp: its DATE(…) takes one more
        modifier. Otherwise the clamp repeats x twice, and a calendar period's end (its start + 1 unit, the
        start itself shifted from a truncation) nested it 4 deep: SQLite's parser stack overflowed on a
        refresh's INSERT … SELECT around it (tests/test_adversarial.py REFRESH_REPROS)."""
        if x.meta.get(MONTH_START) and isinstance(x, exp.Anonymous):
            return _month_start(exp.Anonymous(this="DATE", expressions=[
                *(copy_tree(a) for a in x.expressions), exp.Literal.string(f"{n:+d} months")]))
        return self.tpl(
            "MIN(DATE(__x, 'start of month', __m, '+' || (CAST(STRFTIME('%d', __x) AS INTEGER) - 1) || ' days'),"
            " DATE(__x, 'start of month', __m1, '-1 day'))",
            x=x, m=f"{n:+d} months", m1=f"{n + 1:+d} months")

    def _add_ts(self, ts, n, unit):
        if unit == "month":
            return self.tpl("__d || STRFTIME(' %H:%M:%f', __x)", d=self._months(ts, n), x=ts)
        return self.tpl(f"STRFTIME({self._TS}, __x, __m)", x=ts, m=f"{n:+d} {unit}s")

    def _add_date(self, d, n, unit):
        if unit == "month":
            return self._months(d, n)
        return self.tpl("DATE(__x, __m)", x=d, m=f"{n:+d} days")

    def _trunc_date(self, d, unit):
        if unit == "week":
            return self.tpl("DATE(__d, '-' || ((CAST(STRFTIME('%w', __d) AS INTEGER) + 6) % 7) || ' days')", d=d)
        if unit == "month":
            return _month_start(self.tpl("DATE(__d, 'start of month')", d=d))
        if unit == "year":
            return _month_start(self.tpl("DATE(__d, 'start of year')", d=d))
        return _month_start(self.tpl("DATE(__d, 'start of month', '-' || ((CAST(STRFTIME('%m', __d) AS INTEGER) - 1)"
                                     " % 3) || ' months')", d=d))

    def date_of(self, ts):
        return self.tpl("DATE(__x)", x=ts)

    def to_timestamp(self, d):
        return self.tpl(f"STRFTIME({self._TS}, __x)", x=d)

    def days_between(self, a, b):
        return self.tpl("CAST(ROUND(JULIANDAY(__a) - JULIANDAY(__b)) AS INTEGER)", a=a, b=b)

    def _extract(self, part, x):
        if part == "isodow":
            return self.tpl("(CAST(STRFTIME('%w', __x) AS INTEGER) + 6) % 7 + 1", x=x)
        fmt = {"year": "%Y", "month": "%m", "day": "%d"}[part]
        return self.tpl(f"CAST(STRFTIME('{fmt}', __x) AS INTEGER)", x=x)

    def _regex(self, s, pattern):
        return self.tpl("__s REGEXP __p", s=s, p=param(pattern))

    def timestamp_column(self, col):
        return self.tpl(f"STRFTIME({self._TS}, __x)", x=col)

    def date_column(self, col):
        return self.tpl("DATE(__x)", x=col)
