"""MySQL / MariaDB: what differs from the portable `Ops` (see base.py and docs/dialects.md)."""
from __future__ import annotations

import re

from sqlglot import exp

from segql.lower.dialects.base import Ops, param

_OFFSET_RE = re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")  # a fixed offset CONVERT_TZ takes without zone tables
_ETC_RE = re.compile(r"^Etc/GMT([+-])(\d|1[0-2])$")  # IANA's fixed zones; Etc/GMT+5 is UTC-05:00


class MySQLOps(Ops):
    """MariaDB 10.10+ (verified on MariaDB 10.11); MySQL 8 as far as it has the same functions.

    Default collations ignore case, accents and (utf8mb4_bin too) trailing spaces, so exact comparisons
    and LIKE compare `CAST(x AS BINARY)`; REGEXP follows the collation's case rule, so patterns start with
    `(?-i)`. Named zones need the server's time zone tables (CONVERT_TZ returns NULL without them).
    """

    name = "mysql"
    order = 8  # position in DIALECTS
    verified = True
    regex_flavor = "pcre"
    double_type = "DOUBLE"

    def now(self, tz):
        if self.is_utc(tz):
            return self.tpl("UTC_TIMESTAMP(6)")
        offset = self._offset(tz, f"relative time evaluated when the SQL runs in time zone {tz}",
                              "pin the time with --now, or use timezone: UTC")
        return self.tpl("CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', __tz)", tz=offset)

    def _offset(self, tz, construct, fix):
        """A zone CONVERT_TZ converts to without the server's time zone tables: a fixed offset (IANA's
        Etc/GMT±N, whose sign is inverted: Etc/GMT+5 is -05:00). With a zone name CONVERT_TZ is NULL unless
        those tables are loaded, so every condition on time would silently match nothing: refuse."""
        m = _ETC_RE.match(tz)
        if m:
            return f"{'-' if m[1] == '+' else '+'}{int(m[2]):02d}:00"
        if not _OFFSET_RE.match(tz):
            self.unsupported(construct, "MySQL/MariaDB convert named zones only with their time zone tables "
                             f"loaded; {fix}, or use a fixed zone (Etc/GMT+5)")
        return tz

    def _instant(self, col, kind, tz):
        # A TIMESTAMP reads in the session's zone, but UNIX_TIMESTAMP(col) does not: epoch seconds (with the
        # column's fraction) added as whole microseconds to the epoch give the UTC wall clock, then
        # CONVERT_TZ to a fixed offset when the schema's zone is not UTC.
        if kind == "zoned":
            micros = self.tpl("CAST(UNIX_TIMESTAMP(__x) * 1000000 AS SIGNED)", x=col)
        elif kind == "seconds":
            micros = None
        else:
            micros = col if kind == "microseconds" else self.tpl("__x * 1000", x=col)
        utc = self.tpl("TIMESTAMPADD(SECOND, __x, CAST('1970-01-01 00:00:00' AS DATETIME(6)))", x=col) \
            if micros is None else \
            self.tpl("TIMESTAMPADD(MICROSECOND, __x, CAST('1970-01-01 00:00:00' AS DATETIME(6)))", x=micros)
        if self.is_utc(tz):
            return utc
        offset = self._offset(tz, f"an instant read in the time zone {tz}", "use timezone: UTC")
        return self.tpl("CONVERT_TZ(__x, '+00:00', __tz)", x=utc, tz=offset)

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "DATETIME(6)")

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATE_ADD(__x, INTERVAL __n {unit.upper()})", x=ts, n=n)

    def _add_date(self, d, n, unit):
        return self._add_ts(d, n, unit)  # DATE_ADD on a DATE with DAY/MONTH stays a DATE

    def _trunc_date(self, d, unit):
        return self.tpl({
            "week": "DATE_SUB(__d, INTERVAL WEEKDAY(__d) DAY)",
            "month": "DATE_SUB(__d, INTERVAL DAYOFMONTH(__d) - 1 DAY)",
            "quarter": "DATE_ADD(MAKEDATE(YEAR(__d), 1), INTERVAL (QUARTER(__d) - 1) * 3 MONTH)",
            "year": "MAKEDATE(YEAR(__d), 1)",
        }[unit], d=d)

    def to_timestamp(self, d):
        return self.cast(d, "DATETIME(6)")

    def days_between(self, a, b):
        return self.tpl("DATEDIFF(__a, __b)", a=a, b=b)

    def _extract(self, part, x):
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAYOFMONTH(__x)",
                         "isodow": "WEEKDAY(__x) + 1"}[part], x=x)

    # A column's own collation decides LOWER/UPPER: MariaDB's utf8mb4_general_ci, unicode_ci and _bin
    # leave 737 capitals as they are (ẞ, Cherokee, Georgian Mtavruli, Deseret, ϴ …; measured on 10.11).
    # The Unicode 14 collation lowercases every code point as Unicode simple lowercase does (measured:
    # all 2,927 cased characters), whatever the column's character set or collation.
    _CASE_COLLATION = "utf8mb4_uca1400_ai_ci"

    def lower(self, s):
        return self.tpl(f"LOWER(CONVERT(__s USING utf8mb4) COLLATE {self._CASE_COLLATION})", s=s)

    def upper(self, s):
        return self.tpl(f"UPPER(CONVERT(__s USING utf8mb4) COLLATE {self._CASE_COLLATION})", s=s)

    def length(self, s):
        return self.tpl("CHAR_LENGTH(__s)", s=s)

    def _binary(self, x):
        return self.tpl("CAST(__x AS BINARY)", x=x)

    def _binary_operand(self, x):
        """The other side of a comparison whose subject is `CAST(… AS BINARY)`: a string literal (or bind
        parameter) stays as it is — beside a binary string it is compared byte for byte all the same — for
        MariaDB 10.11 warns 1292 "Truncated incorrect DOUBLE value" on `CAST('…' AS BINARY)` in an OR, IN
        or LIKE next to a materialized semi-join, and strict mode turns that warning into an error in the
        refresh's INSERT … SELECT (tests/test_refresh.py)."""
        return x if isinstance(x, exp.Literal) and x.is_string else self._binary(x)

    def string_equals(self, a, b):
        return exp.EQ(this=self._binary(a), expression=self._binary_operand(b))

    def string_in(self, a, values):
        return exp.In(this=self._binary(a), expressions=[self._binary_operand(v) for v in values])

    def _like_ci(self, s, literal, kind):
        e = super()._like_ci(s, literal, kind)
        like = e.this
        like.set("expression", self._binary_operand(like.expression))
        return e

    def _like_subject(self, lowered):
        return self._binary(lowered)

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_INSTR(__s, __p) > 0", s=s, p=param("(?-i)" + pattern))
