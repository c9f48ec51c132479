"""Per-dialect SQL primitives.

The main lowering builds every dialect-sensitive piece of SQL (time arithmetic, case folding, exact string
comparison, LIKE, regex, division, rounding …) through `get_ops(dialect)`, never through sqlglot's generic
nodes: sqlglot renders several of those silently wrong (`DateAdd(ts, -24, HOUR)` is 24 *days* on Spark,
`ILIKE` stays on T-SQL, Snowflake's `REGEXP_LIKE` is a full match, …; see shared/notes/engineering.md).

`Ops` holds the portable (PostgreSQL/ANSI-shaped) implementation; each dialect is a small subclass that
overrides only what differs. Most dialect SQL is written as a *template* in the dialect's own syntax
(`self.tpl("DATE_ADD(__x, INTERVAL __n HOUR)", x=..., n=...)`): the template is parsed once by sqlglot with
that dialect's reader and the `__name` placeholders are replaced by the argument trees, so the result is an
ordinary sqlglot tree that renders with `.sql(dialect=name)` and parses back. Values only ever enter the
tree as `exp.Literal`.

A primitive a dialect cannot express faithfully raises `UnsupportedError` when called — never silently
different SQL. `docs/dialects.md` is the table of what each dialect renders and what it cannot do.

Verified dialects (`VERIFIED`) are executed against a real engine in tests/test_dialect_primitives.py;
the others are generated and reviewed only.

Conventions every primitive relies on
- Timestamps are naive wall-clock values in the schema's zone. Engine representations:
  PostgreSQL/DuckDB/Redshift/Trino `TIMESTAMP`, MySQL `DATETIME(6)`, Spark/Databricks `TIMESTAMP_NTZ`,
  Snowflake `TIMESTAMP_NTZ`, BigQuery `DATETIME`, T-SQL `DATETIME2`, ClickHouse `DateTime64(6, 'UTC')`
  (the wall clock is stored as if it were UTC, so no server/session zone ever shifts it), SQLite text
  `'YYYY-MM-DD HH:MM:SS.SSS'` (SQLite's own millisecond format; see `SqliteOps`).
- Dates: `DATE` everywhere; ClickHouse `Date32`; SQLite text `'YYYY-MM-DD'`.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re as _re

import sqlglot
from sqlglot import exp

from segql.errors import SegqlError, UnsupportedError

DIALECTS = ("duckdb", "postgres", "bigquery", "snowflake", "redshift", "spark", "databricks", "trino",
            "mysql", "sqlite", "clickhouse", "tsql")
VERIFIED = ("duckdb", "sqlite", "postgres", "mysql", "clickhouse", "spark")

TS_UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")
DATE_UNITS = ("day", "week", "month", "quarter", "year")
TRUNC_UNITS = ("week", "month", "quarter", "year")
EXTRACT_PARTS = ("year", "month", "day", "isodow")
LIKE_KINDS = ("contains", "starts", "ends")
UTC_NAMES = ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "GMT", "Etc/GMT", "Z", "Zulu", "Universal", "+00:00")
LIKE_ESCAPE = "!"

_OFFSET_RE = _re.compile(r"^[+-](0\d|1[0-4]):[0-5]\d$")


# --------------------------------------------------------------------------------------------- helpers

def simple_lower(s: str) -> str:
    """Unicode *simple* lowercase (UnicodeData.txt field 13), code point by code point.

    Python's `str.lower` applies the full mapping (U+0130 'İ' -> 'i' + U+0307) and the context-dependent
    final sigma rule ('ΑΣ' -> 'ας'); per-character lowering avoids the context, and U+0130 is the only
    character whose full lowercase differs from its simple one.
    """
    out = []
    for c in s:
        if c == "\u0130":
            out.append("i")
        else:
            lc = c.lower()
            out.append(lc if len(lc) == 1 else c)
    return "".join(out)


# Characters whose lowercase some engines compute with the full / contextual mapping (ICU, Java):
# replacing them by their simple lowercase *before* LOWER makes every engine agree with `simple_lower`.
_PREFOLD = (("\u0130", "i"), ("\u03a3", "\u03c3"))


def like_escape(value: str, specials: str = "%_") -> str:
    """Escape LIKE wildcards (and the escape char itself) with LIKE_ESCAPE."""
    out = []
    for c in value:
        if c == LIKE_ESCAPE or c in specials:
            out.append(LIKE_ESCAPE)
        out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=None)
def _datatype(type_sql: str, dialect: str) -> exp.DataType:
    """Parsing a type name runs sqlglot's tokenizer and parser: once per (type, dialect) is enough."""
    return exp.DataType.build(type_sql, dialect=dialect)


@functools.lru_cache(maxsize=None)
def _parse_template(sql: str, dialect: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read=dialect)


PARAM_META = "segql_param"  # marks a literal holding a user's value: `--params` makes it a bind parameter


def param(value: str) -> exp.Expression:
    """A string literal that carries a user's value (a pattern, a search text)."""
    lit = exp.Literal.string(value)
    lit.meta[PARAM_META] = "string"
    return lit


def _lit(v) -> exp.Expression:
    if isinstance(v, exp.Expression):
        return v
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)):
        return exp.Literal.number(v)
    return exp.Literal.string(v)


def _check(value, allowed, what):
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")


# ------------------------------------------------------------------------------------------- base class

class Ops:
    """Portable implementation (PostgreSQL/ANSI shaped); subclasses override only what differs."""

    name = "postgres"
    # lowering shape flags (see segql.lower.sql's docstring)
    empty_subquery_is_null = False  # a correlated scalar subquery over no rows yields NULL, not COUNT's 0
    # regex flavour handed to segql.regex.to_flavor: how `$` must be written so it matches only at the end
    regex_flavor = "portable"

    # -- building blocks ---------------------------------------------------------------------------
    def tpl(self, sql: str, **args) -> exp.Expression:
        """A tree from SQL written in this dialect; `__name` columns are replaced by `args[name]`.

        Arguments may be sqlglot expressions or plain Python ints/strs (turned into literals).
        """
        tree = _parse_template(sql, self.name).copy()
        subs = {k: _lit(v) for k, v in args.items()}

        def sub(node):
            if isinstance(node, exp.Column) and not node.table and node.name.startswith("__"):
                return subs[node.name[2:]].copy()
            return node

        return tree.transform(sub, copy=False)

    def unsupported(self, construct: str, hint: str | None = None):
        raise UnsupportedError(construct, self.name, hint)

    def cast(self, x, type_sql: str) -> exp.Expression:
        return exp.Cast(this=_lit(x), to=_datatype(type_sql, self.name).copy())

    @staticmethod
    def is_utc(tz: str) -> bool:
        return tz in UTC_NAMES

    # -- time: now / today / literals --------------------------------------------------------------
    def now(self, tz: str) -> exp.Expression:
        """Current instant as naive wall-clock time in `tz`, independent of the session zone."""
        return self.tpl("CURRENT_TIMESTAMP AT TIME ZONE __tz", tz=tz)

    def today(self, tz: str) -> exp.Expression:
        return self.date_of(self.now(tz))

    def timestamp_literal(self, v: _dt.datetime) -> exp.Expression:
        return self.cast(self._ts_text(v), "TIMESTAMP")

    def date_literal(self, v: _dt.date) -> exp.Expression:
        return self.cast(v.isoformat(), "DATE")

    @staticmethod
    def _ts_text(v: _dt.datetime) -> str:
        if v.tzinfo is not None:
            raise ValueError("timestamp_literal takes a naive datetime (convert to the schema zone first)")
        return v.strftime("%Y-%m-%d %H:%M:%S") + (f".{v.microsecond:06d}" if v.microsecond else "")

    # -- time: arithmetic ----------------------------------------------------------------------------
    @staticmethod
    def _normalize_unit(n: int, unit: str) -> tuple[int, str]:
        """week -> 7 days, quarter -> 3 months, year -> 12 months: one clamping rule everywhere."""
        if unit == "week":
            return n * 7, "day"
        if unit == "quarter":
            return n * 3, "month"
        if unit == "year":
            return n * 12, "month"
        return n, unit

    def add_to_timestamp(self, ts, n: int, unit: str) -> exp.Expression:
        """ts + n units; month/quarter/year are calendar units clamped to the month's end."""
        _check(unit, TS_UNITS, "unit")
        n, unit = self._normalize_unit(int(n), unit)
        return self._add_ts(ts, n, unit)

    def add_to_date(self, d, n: int, unit: str) -> exp.Expression:
        """d + n units as a DATE (calendar units clamp to the month's end)."""
        _check(unit, DATE_UNITS, "unit")
        n, unit = self._normalize_unit(int(n), unit)
        return self._add_date(d, n, unit)

    def _interval(self, n: int, unit: str) -> exp.Expression:
        return exp.Interval(this=exp.Literal.string(str(n)), unit=exp.var(unit.upper()))

    def _add_ts(self, ts, n: int, unit: str) -> exp.Expression:
        return exp.Add(this=ts, expression=self._interval(n, unit))

    def _add_date(self, d, n: int, unit: str) -> exp.Expression:
        # via a naive TIMESTAMP: DuckDB (ICU) turns DATE + INTERVAL into a TIMESTAMPTZ in the session zone
        return self.date_of(self._add_ts(self.to_timestamp(d), n, unit))

    def trunc_date(self, d, unit: str) -> exp.Expression:
        """Start of the week (Monday) / month / quarter / year containing DATE d, as a DATE."""
        _check(unit, TRUNC_UNITS, "unit")
        return self.tpl(f"CAST(DATE_TRUNC('{unit}', __d) AS DATE)", d=d)

    def date_of(self, ts) -> exp.Expression:
        return self.cast(ts, "DATE")

    def to_timestamp(self, d) -> exp.Expression:
        return self.cast(d, "TIMESTAMP")

    def days_between(self, a, b) -> exp.Expression:
        """Whole days a - b (both DATE), an integer."""
        return self.tpl("__a - __b", a=a, b=b)

    def extract(self, part: str, x) -> exp.Expression:
        """year | month | day | isodow (Monday 1 .. Sunday 7) of a DATE or TIMESTAMP, an integer."""
        _check(part, EXTRACT_PARTS, "part")
        return self.tpl(f"CAST(EXTRACT({part.upper()} FROM __x) AS INTEGER)", x=x)

    # -- strings -----------------------------------------------------------------------------------------
    lower_function = "LOWER"
    prefold_lower = False  # engine lowers with the full/contextual mapping: pre-replace İ and Σ

    def lower(self, s) -> exp.Expression:
        """Unicode simple lowercase."""
        if self.prefold_lower:
            for src, dst in _PREFOLD:
                s = exp.Anonymous(this="REPLACE", expressions=[s, exp.Literal.string(src),
                                                               exp.Literal.string(dst)])
        return self.tpl(f"{self.lower_function}(__s)", s=s)

    upper_function = "UPPER"

    def upper(self, s) -> exp.Expression:
        """Unicode simple uppercase (characters whose uppercase is longer, like ß, are documented to
        differ between engines; see docs/dialects.md)."""
        return self.tpl(f"{self.upper_function}(__s)", s=s)

    def length(self, s) -> exp.Expression:
        """Number of code points."""
        return self.tpl("LENGTH(__s)", s=s)

    def string_equals(self, a, b) -> exp.Expression:
        """Exact comparison: code points, case and trailing spaces matter."""
        return exp.EQ(this=a, expression=b)

    def string_in(self, a, values: list) -> exp.Expression:
        return exp.In(this=a, expressions=list(values))

    like_specials = "%_"

    def like_ci(self, s, literal: str, kind: str) -> exp.Expression:
        """Case-insensitive literal contains / starts with / ends with (LIKE with an escape char)."""
        _check(kind, LIKE_KINDS, "kind")
        pat = like_escape(simple_lower(literal), self.like_specials)
        pat = {"contains": f"%{pat}%", "starts": f"{pat}%", "ends": f"%{pat}"}[kind]
        return exp.Escape(this=exp.Like(this=self._like_subject(self.lower(s)), expression=param(pat)),
                          expression=exp.Literal.string(LIKE_ESCAPE))

    def _like_subject(self, lowered):
        return lowered

    def regex_search(self, s, pattern: str) -> exp.Expression:
        """Unanchored search; `pattern` is the output of segql.regex.portable(...)."""
        return self._regex(s, self._flavored(pattern))

    def _flavored(self, pattern: str) -> str:
        import segql.semantic.regex as regex
        return regex.to_flavor(pattern, self.regex_flavor)

    def _regex(self, s, pattern: str) -> exp.Expression:
        return self.tpl("__s ~ __p", s=s, p=param(pattern))

    # -- numbers -----------------------------------------------------------------------------------------
    double_type = "DOUBLE PRECISION"

    def to_double(self, x) -> exp.Expression:
        return self.cast(x, self.double_type)

    cast_double = to_double

    def divide(self, a, b) -> exp.Expression:
        """Double division; NULL when b = 0 (never an error or inf) or when either side is NULL."""
        return exp.Div(this=self.to_double(a),
                       expression=exp.Nullif(this=self.to_double(b), expression=exp.Literal.number(0)),
                       typed=False, safe=False)

    def round_half_away(self, x, digits: int = 0) -> exp.Expression:
        """Round half away from zero, computed the same way on every engine (IEEE doubles).

        Native ROUND differs: half-even on PostgreSQL/MySQL doubles and ClickHouse floats. Here
        r = floor(a) + (a - floor(a) >= 0.5) with a = |x|·10^d (the fraction is exact), sign restored.
        """
        digits = int(digits)
        v = self.to_double(x)
        scale = exp.Literal.number(f"1e{digits}") if digits else None
        a = exp.Abs(this=exp.Mul(this=v, expression=scale) if scale else v)
        fl = exp.Floor(this=a.copy())
        frac_ge = exp.GTE(this=exp.Sub(this=a.copy(), expression=fl.copy()), expression=exp.Literal.number(0.5))
        r = exp.Add(this=fl, expression=exp.Case(ifs=[exp.If(this=frac_ge, true=exp.Literal.number(1))],
                                                  default=exp.Literal.number(0)))
        if scale:
            r = exp.Div(this=exp.Paren(this=r), expression=scale.copy(), typed=False, safe=False)
        r = self.to_double(r)
        neg = exp.LT(this=v.copy(), expression=exp.Literal.number(0))
        return exp.Case(ifs=[exp.If(this=neg, true=exp.Neg(this=exp.Paren(this=r.copy())))], default=r)

    def boolean(self, v: bool) -> exp.Expression:
        return exp.Boolean(this=bool(v))

    # -- column normalisers (identity except where the engine stores these types as text) ---------------
    def timestamp_column(self, col) -> exp.Expression:
        """Wrap a timestamp *column* read from user data so it compares with the primitives' values."""
        return col

    def date_column(self, col) -> exp.Expression:
        return col


# ------------------------------------------------------------------------------------------ dialects

class PostgresOps(Ops):
    name = "postgres"
    prefold_lower = True  # LOWER follows the database's libc/ICU locale; 'C' would be ASCII-only

    def extract(self, part, x):
        _check(part, EXTRACT_PARTS, "part")
        return self.tpl(f"CAST(EXTRACT({part.upper()} FROM __x) AS INTEGER)", x=x)

    def regex_search(self, s, pattern):
        import segql.semantic.regex as regex
        if regex.max_bound(pattern) > 255:
            self.unsupported("a regex repetition bound above 255", "PostgreSQL limits {m,n} to 255")
        return super().regex_search(s, pattern)


class RedshiftOps(PostgresOps):
    name = "redshift"

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


class DuckDBOps(Ops):
    name = "duckdb"
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

    def days_between(self, a, b):
        return self.tpl("DATE_DIFF('day', __b, __a)", a=a, b=b)

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_MATCHES(__s, __p)", s=s, p=param(pattern))


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

    def timestamp_literal(self, v):
        if v.microsecond % 1000:
            self.unsupported("a timestamp with sub-millisecond precision",
                             "SQLite stores timestamps with millisecond precision")
        return exp.Literal.string(v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond // 1000:03d}")

    def date_literal(self, v):
        return exp.Literal.string(v.isoformat())

    def _months(self, x, n):
        """DATE text of x + n months, clamped to the target month's end."""
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

    def trunc_date(self, d, unit):
        _check(unit, TRUNC_UNITS, "unit")
        if unit == "week":
            return self.tpl("DATE(__d, '-' || ((CAST(STRFTIME('%w', __d) AS INTEGER) + 6) % 7) || ' days')", d=d)
        if unit == "month":
            return self.tpl("DATE(__d, 'start of month')", d=d)
        if unit == "year":
            return self.tpl("DATE(__d, 'start of year')", d=d)
        return self.tpl("DATE(__d, 'start of month', '-' || ((CAST(STRFTIME('%m', __d) AS INTEGER) - 1) % 3)"
                        " || ' months')", d=d)

    def date_of(self, ts):
        return self.tpl("DATE(__x)", x=ts)

    def to_timestamp(self, d):
        return self.tpl(f"STRFTIME({self._TS}, __x)", x=d)

    def days_between(self, a, b):
        return self.tpl("CAST(ROUND(JULIANDAY(__a) - JULIANDAY(__b)) AS INTEGER)", a=a, b=b)

    def extract(self, part, x):
        _check(part, EXTRACT_PARTS, "part")
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


class MySQLOps(Ops):
    """MySQL 8 / MariaDB (verified on MariaDB 10.11).

    Default collations ignore case, accents and (utf8mb4_bin too) trailing spaces, so exact comparisons
    and LIKE compare `CAST(x AS BINARY)`; REGEXP follows the collation's case rule, so patterns start with
    `(?-i)`. Named zones need the server's time zone tables (CONVERT_TZ returns NULL without them).
    """

    name = "mysql"
    regex_flavor = "pcre"
    double_type = "DOUBLE"

    def now(self, tz):
        if self.is_utc(tz):
            return self.tpl("UTC_TIMESTAMP(6)")
        if not _OFFSET_RE.match(tz):
            # CONVERT_TZ with a zone name is NULL unless the server's zone tables are loaded: every
            # relative-time condition would then silently match nothing. Refuse instead.
            self.unsupported(f"relative time evaluated when the SQL runs in time zone {tz}",
                             "MySQL/MariaDB convert named zones only with their time zone tables loaded; "
                             "pin the time with --now, or use timezone: UTC")
        return self.tpl("CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', __tz)", tz=tz)

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "DATETIME(6)")

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATE_ADD(__x, INTERVAL __n {unit.upper()})", x=ts, n=n)

    def _add_date(self, d, n, unit):
        return self._add_ts(d, n, unit)  # DATE_ADD on a DATE with DAY/MONTH stays a DATE

    def trunc_date(self, d, unit):
        _check(unit, TRUNC_UNITS, "unit")
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

    def extract(self, part, x):
        _check(part, EXTRACT_PARTS, "part")
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAYOFMONTH(__x)",
                         "isodow": "WEEKDAY(__x) + 1"}[part], x=x)

    def length(self, s):
        return self.tpl("CHAR_LENGTH(__s)", s=s)

    def _binary(self, x):
        return self.tpl("CAST(__x AS BINARY)", x=x)

    def string_equals(self, a, b):
        return exp.EQ(this=self._binary(a), expression=self._binary(b))

    def string_in(self, a, values):
        return exp.In(this=self._binary(a), expressions=[self._binary(v) for v in values])

    def like_ci(self, s, literal, kind):
        e = super().like_ci(s, literal, kind)
        like = e.this
        like.set("expression", self._binary(like.expression))
        return e

    def _like_subject(self, lowered):
        return self._binary(lowered)

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_INSTR(__s, __p) > 0", s=s, p=param("(?-i)" + pattern))


class ClickHouseOps(Ops):
    """ClickHouse (verified on chDB). Timestamps are DateTime64(6, 'UTC') holding the naive wall clock."""

    name = "clickhouse"
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

    def trunc_date(self, d, unit):
        _check(unit, TRUNC_UNITS, "unit")
        fn = {"week": "toMonday", "month": "toStartOfMonth", "quarter": "toStartOfQuarter",
              "year": "toStartOfYear"}[unit]
        return self.date_of(self.tpl(f"{fn}(__d)", d=d))

    def date_of(self, ts):
        return self.tpl("toDate32(__x)", x=ts)

    def to_timestamp(self, d):
        return self.tpl("toDateTime64(__x, 6, 'UTC')", x=d)

    def days_between(self, a, b):
        return self.tpl("dateDiff('day', __b, __a)", a=a, b=b)

    def extract(self, part, x):
        _check(part, EXTRACT_PARTS, "part")
        fn = {"year": "toYear", "month": "toMonth", "day": "toDayOfMonth", "isodow": "toDayOfWeek"}[part]
        return self.tpl(f"toInt32({fn}(__x))", x=x)

    def length(self, s):
        return self.tpl("lengthUTF8(__s)", s=s)

    def like_ci(self, s, literal, kind):
        # ClickHouse LIKE has no ESCAPE clause; position/startsWith/endsWith need no escaping at all.
        _check(kind, LIKE_KINDS, "kind")
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


class SparkOps(Ops):
    """Spark 3.4+/4 (verified on pyspark 4 local mode, ANSI on). Timestamps are TIMESTAMP_NTZ."""

    name = "spark"
    regex_flavor = "java"
    double_type = "DOUBLE"
    prefold_lower = True  # Java's toLowerCase: 'İ' -> 'i̇', final 'Σ' -> 'ς'

    def now(self, tz):
        # CAST(... AS TIMESTAMP_NTZ) and CONVERT_TIMEZONE's default source both use the session zone,
        # so the result does not depend on it.
        return self.tpl("CONVERT_TIMEZONE(__tz, CAST(CURRENT_TIMESTAMP() AS TIMESTAMP_NTZ))", tz=tz)

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "TIMESTAMP_NTZ")

    def _add_ts(self, ts, n, unit):
        if unit == "month":
            return self.tpl("__x + MAKE_YM_INTERVAL(0, __n)", x=ts, n=n)
        args = {"day": "__n, 0, 0, 0", "hour": "0, __n, 0, 0", "minute": "0, 0, __n, 0", "second": "0, 0, 0, __n"}
        return self.tpl(f"__x + MAKE_DT_INTERVAL({args[unit]})", x=ts, n=n)

    def _add_date(self, d, n, unit):
        if unit == "month":
            return self.tpl("ADD_MONTHS(__d, __n)", d=d, n=n)
        return self.tpl("DATE_ADD(__d, __n)", d=d, n=n)

    def trunc_date(self, d, unit):
        _check(unit, TRUNC_UNITS, "unit")
        return self.tpl(f"TRUNC(__d, '{unit.upper()}')", d=d)

    def to_timestamp(self, d):
        return self.cast(d, "TIMESTAMP_NTZ")

    def days_between(self, a, b):
        return self.tpl("DATEDIFF(__a, __b)", a=a, b=b)

    def extract(self, part, x):
        _check(part, EXTRACT_PARTS, "part")
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAYOFMONTH(__x)",
                         "isodow": "(DAYOFWEEK(__x) + 5) % 7 + 1"}[part], x=x)

    def length(self, s):
        return self.tpl("CHAR_LENGTH(__s)", s=s)

    def _regex(self, s, pattern):
        return self.tpl("__s RLIKE __p", s=s, p=param(pattern))


class DatabricksOps(SparkOps):
    name = "databricks"


class BigQueryOps(Ops):
    """BigQuery (generated). Naive timestamps are DATETIME."""

    name = "bigquery"
    regex_flavor = "re2"
    double_type = "FLOAT64"

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

    def trunc_date(self, d, unit):
        _check(unit, TRUNC_UNITS, "unit")
        return self.tpl(f"DATE_TRUNC(__d, {'ISOWEEK' if unit == 'week' else unit.upper()})", d=d)

    def to_timestamp(self, d):
        return self.cast(d, "DATETIME")

    def days_between(self, a, b):
        return self.tpl("DATE_DIFF(__a, __b, DAY)", a=a, b=b)

    def extract(self, part, x):
        _check(part, EXTRACT_PARTS, "part")
        if part == "isodow":
            return self.tpl("MOD(EXTRACT(DAYOFWEEK FROM __x) + 5, 7) + 1", x=x)
        return self.tpl(f"EXTRACT({part.upper()} FROM __x)", x=x)

    def like_ci(self, s, literal, kind):
        # BigQuery's LIKE has no ESCAPE clause.
        _check(kind, LIKE_KINDS, "kind")
        t = {"contains": "STRPOS(__s, __v) > 0", "starts": "STARTS_WITH(__s, __v)",
             "ends": "ENDS_WITH(__s, __v)"}[kind]
        return self.tpl(t, s=self.lower(s), v=param(simple_lower(literal)))

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_CONTAINS(__s, __p)", s=s, p=param(pattern))


class SnowflakeOps(Ops):
    """Snowflake (generated). Naive timestamps are TIMESTAMP_NTZ."""

    name = "snowflake"
    regex_flavor = "portable"
    double_type = "DOUBLE"

    def now(self, tz):
        return self.tpl("CAST(CONVERT_TIMEZONE(__tz, CURRENT_TIMESTAMP()) AS TIMESTAMP_NTZ)", tz=tz)

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "TIMESTAMP_NTZ")

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATEADD({unit.upper()}, __n, __x)", x=ts, n=n)

    _add_date = _add_ts  # DATEADD on a DATE with day/month returns a DATE

    def trunc_date(self, d, unit):
        _check(unit, TRUNC_UNITS, "unit")
        if unit == "week":  # DATE_TRUNC('week') depends on the WEEK_START parameter
            return self.tpl("DATEADD(DAY, 1 - DAYOFWEEKISO(__d), __d)", d=d)
        return self.tpl(f"DATE_TRUNC('{unit.upper()}', __d)", d=d)

    def to_timestamp(self, d):
        return self.cast(d, "TIMESTAMP_NTZ")

    def days_between(self, a, b):
        return self.tpl("DATEDIFF(DAY, __b, __a)", a=a, b=b)

    def extract(self, part, x):
        _check(part, EXTRACT_PARTS, "part")
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAYOFMONTH(__x)",
                         "isodow": "DAYOFWEEKISO(__x)"}[part], x=x)

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_INSTR(__s, __p) > 0", s=s, p=param(pattern))  # REGEXP_LIKE is a full match


class TrinoOps(Ops):
    """Trino (generated)."""

    name = "trino"
    regex_flavor = "java"
    double_type = "DOUBLE"

    def now(self, tz):
        return self.tpl("CAST(CURRENT_TIMESTAMP AT TIME ZONE __tz AS TIMESTAMP(6))", tz=tz)

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "TIMESTAMP(6)")

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATE_ADD('{unit}', __n, __x)", x=ts, n=n)

    _add_date = _add_ts

    def trunc_date(self, d, unit):
        _check(unit, TRUNC_UNITS, "unit")
        return self.tpl(f"DATE_TRUNC('{unit}', __d)", d=d)

    def to_timestamp(self, d):
        return self.cast(d, "TIMESTAMP(6)")

    def days_between(self, a, b):
        return self.tpl("DATE_DIFF('day', __b, __a)", a=a, b=b)

    def extract(self, part, x):
        _check(part, EXTRACT_PARTS, "part")
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAY(__x)",
                         "isodow": "DAY_OF_WEEK(__x)"}[part], x=x)

    def _regex(self, s, pattern):
        return self.tpl("REGEXP_LIKE(__s, __p)", s=s, p=param(pattern))  # a search in Trino


class TSQLOps(Ops):
    """SQL Server / T-SQL (generated). No regex; IANA zones unsupported; collations handled explicitly."""

    name = "tsql"
    double_type = "FLOAT"
    like_specials = "%_["  # '[' starts a character class in T-SQL LIKE
    _BIN = "Latin1_General_100_BIN2"

    def now(self, tz):
        if not self.is_utc(tz):
            self.unsupported(f"the time zone {tz!r}", "T-SQL's AT TIME ZONE takes Windows zone names")
        return self.tpl("SYSUTCDATETIME()")

    def timestamp_literal(self, v):
        return self.cast(self._ts_text(v), "DATETIME2(6)")

    def _add_ts(self, ts, n, unit):
        return self.tpl(f"DATEADD({unit.upper()}, __n, __x)", x=ts, n=n)

    _add_date = _add_ts

    def trunc_date(self, d, unit):
        _check(unit, TRUNC_UNITS, "unit")
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

    def extract(self, part, x):
        _check(part, EXTRACT_PARTS, "part")
        return self.tpl({"year": "YEAR(__x)", "month": "MONTH(__x)", "day": "DAY(__x)",
                         "isodow": "DATEDIFF(DAY, '19000101', __x) % 7 + 1"}[part], x=x)

    def length(self, s):
        return self.tpl("LEN(__s + N'|') - 1", s=s)  # LEN ignores trailing blanks

    def string_equals(self, a, b):
        return self.tpl(f"__a + N'|' = __b + N'|' COLLATE {self._BIN}", a=a, b=b)

    def string_in(self, a, values):
        return exp.or_(*[self.string_equals(a.copy(), v) for v in values]) if values else exp.false()

    def _like_subject(self, lowered):
        return self.tpl(f"__s COLLATE {self._BIN}", s=lowered)

    def regex_search(self, s, pattern):
        self.unsupported("regular expression matching (matches)", "T-SQL has no regex predicate")

    def boolean(self, v):
        return exp.Literal.number(1 if v else 0)  # BIT columns


_CLASSES = {c.name: c for c in (Ops, DuckDBOps, PostgresOps, BigQueryOps, SnowflakeOps, RedshiftOps, SparkOps,
                                DatabricksOps, TrinoOps, MySQLOps, SqliteOps, ClickHouseOps, TSQLOps)
            if c is not Ops}
_CLASSES["postgres"] = PostgresOps


@functools.lru_cache(maxsize=None)
def get_ops(dialect: str) -> Ops:
    """The (cached) primitives for a sqlglot dialect name."""
    cls = _CLASSES.get(dialect)
    if cls is None:
        raise SegqlError("E0500", f"unknown dialect {dialect!r}; expected one of: {', '.join(DIALECTS)}",
                         hints=[f"dialects: {', '.join(DIALECTS)}"])
    return cls()
