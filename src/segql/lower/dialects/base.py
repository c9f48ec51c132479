"""Per-dialect SQL primitives.

The main lowering builds every dialect-sensitive piece of SQL (time arithmetic, case folding, exact string
comparison, LIKE, regex, division, rounding …) through `get_ops(dialect)`, never through sqlglot's generic
nodes: sqlglot renders several of those silently wrong (`DateAdd(ts, -24, HOUR)` is 24 *days* on Spark,
`ILIKE` stays on T-SQL, Snowflake's `REGEXP_LIKE` is a full match, …; see shared/notes/engineering.md).

`Ops` holds the portable (PostgreSQL/ANSI-shaped) implementation; each dialect is a small subclass in its
own module (`postgres.py`, `mysql.py`, …) that overrides only what differs, and is registered by being
defined (`Ops.__init_subclass__` records its `name`, `aliases`, `verified`, `order`). This module never
imports the package or a dialect module; `segql.lower.dialects.get_ops` imports them by name. Most dialect SQL is written as a *template* in the dialect's own syntax
(`self.tpl("DATE_ADD(__x, INTERVAL __n HOUR)", x=..., n=...)`): the template is parsed once by sqlglot with
that dialect's reader and the `__name` placeholders are replaced by the argument trees, so the result is an
ordinary sqlglot tree that renders with `.sql(dialect=name)` and parses back. Values only ever enter the
tree as `exp.Literal`.

A primitive a dialect cannot express faithfully raises `UnsupportedError` when called — never silently
different SQL. `docs/dialects.md` is the table of what each dialect renders and what it cannot do.

Each primitive checks its fixed arguments (unit, part, kind) once, in its public method, and calls a
private hook (`_add_ts`, `_trunc_date`, `_extract`, `_like_ci`, …) that dialects override.

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

import sqlglot
from sqlglot import exp

from segql.errors import UnsupportedError
from segql.text import simple_lower

TS_UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")
DATE_UNITS = ("day", "week", "month", "quarter", "year")
TRUNC_UNITS = ("week", "month", "quarter", "year")
EXTRACT_PARTS = ("year", "month", "day", "isodow")
LIKE_KINDS = ("contains", "starts", "ends")
UTC_NAMES = ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "GMT", "Etc/GMT", "Z", "Zulu", "Universal", "+00:00")
LIKE_ESCAPE = "!"
INSTANT_KINDS = ("zoned", "seconds", "milliseconds", "microseconds")
PER_SECOND = {"seconds": 1, "milliseconds": 1_000, "microseconds": 1_000_000}


# --------------------------------------------------------------------------------------------- helpers

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


@functools.lru_cache(maxsize=None)
def _template_is_atomic(sql: str, dialect: str) -> bool:
    """Whether the template's SQL stays ONE operand wherever the lowering puts it (`WEEKDAY(x) + 1` does
    not: `WEEKDAY(x) + 1 * 2`). sqlglot renders a tree as it is, without precedence parentheses, so this
    is asked of the dialect's parser once per template: a value must parse back as an operand of `*` (the
    tightest binary operator the lowering builds), a condition as the operand of NOT and AND."""
    tree = _parse_template(sql, dialect)
    if isinstance(tree, (exp.Paren, exp.Column, exp.Literal)):
        return True
    t = tree.sql(dialect=dialect)
    if isinstance(tree, exp.Predicate):
        probes = ((f"NOT {t}", exp.Not, "this"), (f"__l AND {t}", exp.And, "expression"),
                  (f"{t} AND __r", exp.And, "this"))
    else:
        probes = ((f"__l * {t}", exp.Mul, "expression"), (f"{t} * __r", exp.Mul, "this"))
    for probe, kind, side in probes:
        try:
            back = sqlglot.parse_one(probe, read=dialect)
        except sqlglot.errors.ParseError:
            return False
        if not isinstance(back, kind) or back.args[side].sql(dialect=dialect) != t:
            return False
    return True


NAME_META = "segql_name"  # marks an identifier spelled as the schema names a table or column (`Ops.finish`)
PARAM_META = "segql_param"  # marks a literal holding a user's value: `--params` makes it a bind parameter
VALUE_META = "segql_value"  # the value of a PARAM_META node that `Ops.finish` respelled (no longer a Literal)


def param(value: str) -> exp.Expression:
    """A string literal that carries a user's value (a pattern, a search text)."""
    lit = exp.Literal.string(value)
    lit.meta[PARAM_META] = "string"
    return lit


def _instantiate(template: exp.Expression, subs: dict | None) -> exp.Expression:
    """A copy of `template` in which each `__name` column is `subs[name]`: what `.copy()` and then
    `.transform(...)` did, in one pass (sqlglot's own deep copy, mirrored, with the substitution inside),
    a quarter of the lowering time. A fresh argument tree goes in as it is, once; a second use, or a
    tree already placed elsewhere, is copied. A plain call's argument list and CAST(… AS t) delimit an
    argument: there it loses the parentheses that only made it atomic. `subs` None: a plain copy
    (`copy_tree`). Children are attached as `Expression.set`/`append` attach them on a fresh node (parent,
    arg_key, index; a cached hash dropped), without their calls."""
    placed = set()
    column, expr = exp.Column, exp.Expression

    def arg_for(node, parent):
        name = node.name[2:]
        arg = subs[name]
        if name in placed or arg.parent is not None:
            arg = copy_tree(arg)
        else:
            placed.add(name)
        return _unparen(arg) if isinstance(parent, (exp.Anonymous, exp.Cast)) else arg

    def placeholder(node):
        return subs is not None and type(node) is column and node.name.startswith("__") \
            and not node.args.get("table")

    if placeholder(template):
        return arg_for(template, None)
    root = template.__class__()
    stack = [(template, root)]
    pop, push = stack.pop, stack.append
    while stack:
        node, copy = pop()
        if node.comments is not None:
            copy.comments = list(node.comments)
        if node._type is not None:
            copy._type = copy_tree(node._type)
        if node._meta is not None:
            copy._meta = _copy_meta(node._meta)
        keep_hash = True
        args = copy.args
        for k, vs in node.args.items():
            if isinstance(vs, expr):
                keep_hash = False
                if placeholder(vs):
                    child = arg_for(vs, copy)
                else:
                    child = vs.__class__()
                    push((vs, child))
                args[k] = child
                child.parent, child.arg_key, child.index = copy, k, None
            elif type(vs) is list:
                keep_hash = False
                items = args[k] = []
                for v in vs:
                    if isinstance(v, expr):
                        if placeholder(v):
                            child = arg_for(v, copy)
                        else:
                            child = v.__class__()
                            push((v, child))
                        child.parent, child.arg_key, child.index = copy, k, len(items)
                        items.append(child)
                    else:
                        copy.append(k, v)
            else:
                args[k] = vs
        if keep_hash and node._hash is not None:
            copy._hash = node._hash
    return root


def copy_tree(tree: exp.Expression) -> exp.Expression:
    """`tree.copy()` (sqlglot's deep copy), the same tree, in fewer calls."""
    return _instantiate(tree, None)


_ATOMS = (str, int, float, bool, type(None))


def _copy_meta(meta: dict) -> dict:
    if all(type(v) in _ATOMS for v in meta.values()):
        return dict(meta)  # what deepcopy gives for atomic values (keys are strings)
    import copy as _copy

    return _copy.deepcopy(meta)


def number(value) -> exp.Expression:
    """`exp.Literal.number(value)`: without its `to_py` round trip when the text is plainly a number that
    is not negative (the same Literal then)."""
    text = str(value)
    if text[:1].isdigit():
        return exp.Literal(this=text, is_string=False)
    return exp.Literal.number(value)


def _unparen(e: exp.Expression) -> exp.Expression:
    """`e` without the parentheses that only make it atomic (sqlglot's `unnest` would also strip a
    subquery's own: `CAST(SELECT …)`)."""
    while type(e) is exp.Paren and not isinstance(e.this, exp.Query):
        e = e.this
    return e


def _lit(v) -> exp.Expression:
    if isinstance(v, exp.Expression):
        return v
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)):
        return number(v)
    return exp.Literal.string(v)


def respell_strings(tree: exp.Expression, needs, make) -> exp.Expression:
    """Replace every string literal whose value `needs(value)` by `make(value)`, keeping its PARAM_META
    (and its value, for `--params`)."""
    def swap(node):
        if isinstance(node, exp.Literal) and node.is_string and needs(node.this):
            new = make(node.this)
            if PARAM_META in node.meta:
                new.meta[PARAM_META] = node.meta[PARAM_META]
                new.meta[VALUE_META] = node.this
            return new
        return node

    for node in list(tree.find_all(exp.Literal)):  # leaves: replacing them in place is all transform did
        new = swap(node)
        if new is not node:
            if node is tree:
                return new
            node.replace(new)
    return tree


def _check(value, allowed, what):
    """A primitive's fixed argument (a unit, a part, a kind) comes from the lowering, never from a user:
    a wrong one is a programming error, checked once in the public method of each primitive."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")


# ------------------------------------------------------------------------------------------- registry
# Filled by `Ops.__init_subclass__`: a dialect is registered by being defined (one module per dialect,
# imported by `segql.lower.dialects.get_ops`). name -> class, alias -> name.
REGISTRY: dict[str, type] = {}
ALIASES: dict[str, str] = {}


# ------------------------------------------------------------------------------------------- base class

class Ops:
    """Portable implementation (PostgreSQL/ANSI shaped); subclasses override only what differs."""

    name = "postgres"
    # lowering shape flags (see segql.lower.sql's docstring)
    empty_subquery_is_null = False  # a correlated scalar subquery over no rows yields NULL, not COUNT's 0
    # a correlated subquery may stand inside COUNT(CASE …) (the counts batch); where not, `ops.counts`
    # counts such segments one statement each
    correlated_in_aggregates = True
    # a correlated subquery may stand in the SELECT list of a query with a WHERE (`segql why`); where not,
    # the rows are filtered in a derived table first
    correlated_beside_where = True
    # regex flavour handed to segql.regex.to_flavor: how `$` must be written so it matches only at the end
    regex_flavor = "portable"

    # registry facts, read from each class's own body (a subclass does not inherit them)
    order = 99  # position in DIALECTS (most used first)
    verified = False  # executed on a real engine in the tests (VERIFIED)
    aliases: tuple = ()  # other names `get_ops` accepts (`postgresql` for postgres)

    def __init_subclass__(cls, **kw):
        """Register a class that names a dialect (`name` in its own body)."""
        super().__init_subclass__(**kw)
        if "name" not in cls.__dict__:
            return
        if REGISTRY.get(cls.name, cls) is not cls:
            raise TypeError(f"dialect {cls.name!r} is defined twice ({REGISTRY[cls.name].__module__}, "
                            f"{cls.__module__})")
        REGISTRY[cls.name] = cls
        cls.verified = cls.__dict__.get("verified", False)
        cls.aliases = cls.__dict__.get("aliases", ())
        for alias in cls.aliases:
            ALIASES[alias] = cls.name

    # -- building blocks ---------------------------------------------------------------------------
    def tpl(self, sql: str, **args) -> exp.Expression:
        """A tree from SQL written in this dialect; `__name` columns are replaced by `args[name]`.

        Arguments may be sqlglot expressions or plain Python ints/strs (turned into literals). The result
        is atomic: a template that is not one operand by itself (`WEEKDAY(__x) + 1`, `__a - __b`) comes
        back in parentheses, so it keeps its meaning wherever the lowering puts it.
        """
        subs = {k: _lit(v) for k, v in args.items()}
        tree = _instantiate(_parse_template(sql, self.name), subs)
        if not _template_is_atomic(sql, self.name):
            tree = exp.Paren(this=tree)
        return tree

    def finish(self, tree: exp.Expression) -> exp.Expression:
        """The last pass over a whole statement (the lowering calls it): how this dialect must spell the
        string literals in it. sqlglot's own quoting is right here."""
        return tree

    def unsupported(self, construct: str, hint: str | None = None):
        raise UnsupportedError(construct, self.name, hint)

    def nth_related_key(self, key, offset: int) -> exp.Expression | None:
        """The `offset`-th smallest `key` (from 0) as an aggregate over a correlated subquery's rows, for
        an engine that cannot run a correlated `ORDER BY key LIMIT 1 OFFSET n` (`segql why`'s sample of
        related keys); None: that subquery runs as written."""
        return None

    def cast(self, x, type_sql: str) -> exp.Expression:
        # CAST(… AS t) delimits its operand: an atomic argument needs no parentheses of its own here
        return exp.Cast(this=_unparen(_lit(x)), to=copy_tree(_datatype(type_sql, self.name)))

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
        # isoformat, not strftime: strftime writes year 1 as '1' (PostgreSQL reads '1-01-01' as 2001)
        return v.isoformat(sep=" ", timespec="microseconds" if v.microsecond else "seconds")

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
        return exp.Paren(this=exp.Add(this=ts, expression=self._interval(n, unit)))

    def _add_date(self, d, n: int, unit: str) -> exp.Expression:
        # via a naive TIMESTAMP: DuckDB (ICU) turns DATE + INTERVAL into a TIMESTAMPTZ in the session zone
        return self.date_of(self._add_ts(self.to_timestamp(d), n, unit))

    def trunc_date(self, d, unit: str) -> exp.Expression:
        """Start of the week (Monday) / month / quarter / year containing DATE d, as a DATE."""
        _check(unit, TRUNC_UNITS, "unit")
        return self._trunc_date(d, unit)

    def _trunc_date(self, d, unit: str) -> exp.Expression:
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
        return self._extract(part, x)

    def _extract(self, part: str, x) -> exp.Expression:
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
        return self._like_ci(s, literal, kind)

    def _like_ci(self, s, literal: str, kind: str) -> exp.Expression:
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
        return exp.Paren(this=exp.Div(this=self.to_double(a),
                                      expression=exp.Nullif(this=self.to_double(b), expression=exp.Literal.number(0)),
                                      typed=False, safe=False))

    def round_half_away(self, x, digits: int = 0) -> exp.Expression:
        """Round half away from zero, computed the same way on every engine (IEEE doubles).

        Native ROUND differs: half-even on PostgreSQL/MySQL doubles and ClickHouse floats. Here
        r = floor(a) + (a - floor(a) >= 0.5) with a = |x|·10^d (the fraction is exact), sign restored.
        """
        digits = int(digits)
        v = self.to_double(x)
        scale = exp.Literal.number(f"1e{digits}") if digits else None
        a = exp.Abs(this=exp.Mul(this=v, expression=scale) if scale else v)
        fl = self.floor_double(a.copy())
        frac_ge = exp.GTE(this=exp.Sub(this=a.copy(), expression=fl.copy()), expression=exp.Literal.number(0.5))
        r = exp.Add(this=fl, expression=exp.Case(ifs=[exp.If(this=frac_ge, true=exp.Literal.number(1))],
                                                  default=exp.Literal.number(0)))
        if scale:
            r = exp.Div(this=exp.Paren(this=r), expression=scale.copy(), typed=False, safe=False)
        r = self.to_double(r)
        neg = exp.LT(this=v.copy(), expression=exp.Literal.number(0))
        return exp.Case(ifs=[exp.If(this=neg, true=exp.Neg(this=exp.Paren(this=r.copy())))], default=r)

    def floor_double(self, a) -> exp.Expression:
        """floor(a) of a double a ≥ 0, as a double for every a (1e150 too)."""
        return exp.Floor(this=a)

    def exact_number(self, x) -> exp.Expression:
        """A `number` operand of `=` or `in (…)`, so that equal values match however the engine compares
        (ClickHouse hashes -0.0 and 0 apart in `IN` and in a join); the engine's own comparison elsewhere."""
        return x

    def decimal_literal(self, value, sql: exp.Expression) -> exp.Expression:
        """A decimal literal (`value`, rendered `sql`) compared with an integer. Identity: these engines
        read `2.5` as an exact DECIMAL/NUMERIC (or compare an integer with a double exactly: SQLite,
        ClickHouse)."""
        return sql

    def exact_integer(self, x) -> exp.Expression:
        """An `integer` operand of `+ - *`, unary minus, `abs` or `sum`, in the type the engine computes
        it in. Identity: these engines either raise on a 64-bit overflow (DuckDB, PostgreSQL, MariaDB) or
        are documented not to (docs/dialects.md); none may wrap around silently where another raises."""
        return x

    widens_integers = False  # `exact_integer` computes in a wider type than the engine's 64-bit integers

    # a literal that fits is a 32-bit INTEGER (DuckDB, PostgreSQL, Spark — where non-ANSI arithmetic wraps
    # silently —, Trino, T-SQL): constant arithmetic is made 64-bit (`integer_constant`)
    narrow_integer_literals = False

    def integer_constant(self, x) -> exp.Expression:
        """An integer literal operand of `+ - *` beside another literal, or of `abs`: 64-bit (SPEC §2.8)
        where the engine types a literal narrower (`40000 * 40000 * 40000` would raise "integer out of
        range"; psycopg binds a small int as a 16-bit smallint). Identity where literals are 64-bit."""
        return self.cast(x, "BIGINT") if self.narrow_integer_literals else x

    def is_exact_integer(self, x) -> bool:
        """Whether `x` is already computed in `exact_integer`'s wider type (where `widens_integers`): made
        by it, or + - * with such an operand, or its negation or `abs`."""
        x = _unparen(x)
        if isinstance(x, (exp.Add, exp.Sub, exp.Mul)):
            return self.is_exact_integer(x.this) or self.is_exact_integer(x.expression)
        if isinstance(x, (exp.Neg, exp.Abs)):
            return self.is_exact_integer(x.this)
        return self.widens_integers and self.widened(x)

    def widened(self, x) -> bool:
        """Whether the operand `x` (no + - * around it) is in `exact_integer`'s wider type."""
        return False

    def integer_arith(self, kind, left, right) -> exp.Expression:
        """`left + - * right` (`kind` the sqlglot node) on two integers, computed so that an overflow is
        never silent (`exact_integer`): one operand in the wider type is enough, the other follows."""
        if self.widens_integers and not (self.is_exact_integer(left) or self.is_exact_integer(right)):
            if isinstance(_unparen(left), exp.Literal) and not isinstance(_unparen(right), exp.Literal):
                right = self.exact_integer(right)
            else:
                left = self.exact_integer(left)
        return exp.Paren(this=kind(this=left, expression=right))

    def common_number(self, x) -> exp.Expression:
        """An `integer` argument of a function whose result is a `number` (`coalesce(n, x)`), so the
        engine computes one numeric type (ClickHouse makes a Variant of Int64 and Float64 otherwise)."""
        return x

    def boolean(self, v: bool) -> exp.Expression:
        return exp.Boolean(this=bool(v))

    # -- column normalisers (identity except where the engine stores these types as text) ---------------
    def timestamp_column(self, col) -> exp.Expression:
        """Wrap a timestamp *column* read from user data so it compares with the primitives' values."""
        return col

    def date_column(self, col) -> exp.Expression:
        return col

    # -- instants (SPEC §5.1) ----------------------------------------------------------------------------
    def instant_column(self, col, kind: str, tz: str) -> exp.Expression:
        """An instant column as the naive wall-clock time it shows in `tz` (a timestamp, as the primitives
        take it), never depending on the session's zone. `kind` is "zoned" (the dialect's zoned type) or
        the unit of an epoch number. The lowering calls this for every read of an instant column."""
        _check(kind, INSTANT_KINDS, "kind")
        return self._instant(col, kind, tz)

    def _instant(self, col, kind, tz):
        # PostgreSQL: timestamptz AT TIME ZONE zone is that instant's wall clock in zone (a timestamp)
        if kind != "zoned":  # TO_TIMESTAMP(double precision) keeps microseconds
            col = self.tpl("TO_TIMESTAMP(__x)", x=col if kind == "seconds" else exp.Div(
                this=col, expression=exp.Literal.number(f"{PER_SECOND[kind]}.0"), typed=False, safe=False))
        return self.tpl("__x AT TIME ZONE __tz", x=col, tz=tz)


