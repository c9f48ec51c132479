"""An independent evaluator of segql segments over in-memory rows, written from SPEC §2 alone.

It shares no code with segql's lowering: a segment is a tree of the small node classes below, each of
which renders itself as segql text (`text()`, what segql compiles) and evaluates itself on a record
(`holds()` / `value()`, what the members should be). The differential test compares the two on every
verified engine. Where SPEC §2 leaves a choice open, the choice made here is written next to the code.

Values: None is a missing value; strings, ints, floats, bools, `datetime.date`, naive `datetime.datetime`
(a wall-clock time in the schema's zone, like a `timestamp` property). An `instant` property's rows hold
aware datetimes, an epoch instant's (type `instant:seconds`, `instant:milliseconds`) integers; every read
turns them into the naive wall-clock time they show in the schema's zone (SPEC §5.1, docs/language.md
"Instants"), after which they are ordinary timestamps — wall-clock arithmetic and comparison included,
which is the documented behaviour across DST changes (the repeated hour reads twice).
"""
from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from zoneinfo import ZoneInfo

# --------------------------------------------------------------------------------------------- the world


@dataclass
class Entity:
    name: str
    key: str
    props: dict[str, str]  # name -> segql type
    rows: list[dict] = field(default_factory=list)


@dataclass
class Rel:
    name: str
    kind: str  # "one" | "many"
    target: str
    local: str
    remote: str


@dataclass
class World:
    """The data and the clock one case is evaluated against."""

    entities: dict[str, Entity]
    rels: dict[tuple[str, str], Rel]  # (entity, relationship) -> Rel
    now: datetime  # naive, wall-clock in the schema's zone
    segments: dict[str, Segment] = field(default_factory=dict)
    event_rel: str = "events"
    event_name: str = "name"
    event_time: str = "at"
    tz: str = "UTC"  # the schema's zone: where instants are read

    def read(self, entity: str, name: str, v):
        """The value a segment sees: an instant as its wall-clock time in the schema's zone."""
        typ = self.entities[entity].props.get(name, "")
        return wall_clock(v, typ, self.tz) if typ.startswith("instant") else v

    @property
    def today(self) -> date:
        return self.now.date()

    def related(self, entity: str, rel: str, row: dict) -> list[dict]:
        r = self.rels[(entity, rel)]
        v = row.get(r.local)
        if v is None:
            return []
        return [x for x in self.entities[r.target].rows if x.get(r.remote) is not None and x[r.remote] == v]

    def one(self, entity: str, rel: str, row: dict) -> dict | None:
        found = self.related(entity, rel, row)
        return found[0] if found else None


@dataclass
class Ctx:
    world: World
    entity: str
    row: dict


# ------------------------------------------------------------------------------------------- time units

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_UNITS = {"seconds": 1_000_000, "milliseconds": 1_000, "microseconds": 1}


def wall_clock(v, typ: str, tz: str):
    """An instant (aware datetime, or epoch integer for `instant:<unit>`) as the naive wall-clock time it
    shows in `tz` (SPEC §5.1: calendar and relative time read that wall clock, docs/language.md)."""
    if v is None:
        return None
    if typ != "instant":
        v = EPOCH + timedelta(microseconds=v * EPOCH_UNITS[typ.split(":")[1]])
    return v.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def to_epoch(v: datetime, unit: str) -> int:
    """An aware datetime as an integer count of `unit` since 1970 UTC (floored, as an integer column keeps it)."""
    return (v - EPOCH) // timedelta(microseconds=EPOCH_UNITS[unit])


UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


def add_months(d, n: int):
    """Calendar months, clamped to the month's end (Mar 31 − 1 month = Feb 28/29)."""
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return d.replace(year=y, month=m, day=min(d.day, calendar.monthrange(y, m)[1]))


def shift(d, n: int, unit: str):
    """`d + n units` (n may be negative); `d` a date or a naive datetime."""
    if unit == "month":
        return add_months(d, n)
    if unit == "quarter":
        return add_months(d, 3 * n)
    if unit == "year":
        return add_months(d, 12 * n)
    if unit == "week":
        return d + timedelta(days=7 * n)
    if unit == "day":
        return d + timedelta(days=n)
    secs = {"second": 1, "minute": 60, "hour": 3600}[unit] * n
    if isinstance(d, datetime):
        return d + timedelta(seconds=secs)
    raise ValueError("sub-day unit on a date")


def period(today: date, which: str, unit: str) -> tuple[date, date]:
    """[start, end) of this|last week|month|quarter|year (weeks start on Monday)."""
    if unit == "week":
        start = today - timedelta(days=today.weekday())
        length = lambda s, k: s + timedelta(days=7 * k)
    elif unit == "month":
        start = today.replace(day=1)
        length = lambda s, k: add_months(s, k)
    elif unit == "quarter":
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        length = lambda s, k: add_months(s, 3 * k)
    else:
        start = date(today.year, 1, 1)
        length = lambda s, k: add_months(s, 12 * k)
    if which == "last":
        start = length(start, -1)
    return start, length(start, 1)


def as_dt(v):
    """A date compared with a timestamp is 00:00 of that day."""
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    return v


def simple_lower(s: str) -> str:
    """Unicode *simple* lowercase, one code point to one (Python's str.lower is the full mapping:
    'İ' → 'i̇', and it applies Final_Sigma in context)."""
    out = []
    for c in s:
        low = c.lower()
        out.append(low if len(low) == 1 else {"\u0130": "i"}.get(c, c))
    return "".join(out)


def compare(op: str, a, b) -> bool:
    """A positive comparison: false when either side is missing."""
    if a is None or b is None:
        return False
    if isinstance(a, date) != isinstance(b, date) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        raise TypeError(f"cannot compare {a!r} with {b!r}")
    if isinstance(a, date) and isinstance(b, date) and (type(a) is datetime) != (type(b) is datetime):
        if op == "=":  # SPEC: `=` between a date and a timestamp compares calendar days
            return (a.date() if isinstance(a, datetime) else a) == (b.date() if isinstance(b, datetime) else b)
        a, b = as_dt(a), as_dt(b)
    return {"=": a == b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


# ------------------------------------------------------------------------------------------ expressions


def lit_text(v, typ: str | None = None) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v)}.0"
        return repr(v)
    if isinstance(v, datetime):
        return f'timestamp "{v.isoformat()}"'
    if isinstance(v, date):
        return f'date "{v.isoformat()}"'
    if isinstance(v, str):
        return quote(v)
    raise TypeError(v)


def quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


class Expr:
    typ = "number"

    def text(self) -> str:
        raise NotImplementedError

    def value(self, c: Ctx):
        raise NotImplementedError


@dataclass
class Lit(Expr):
    v: object
    typ: str = "number"
    raw: str | None = None  # a spelling other than the default (a timestamp with an offset, money …)

    def text(self):
        if self.raw is not None:
            return self.raw
        if isinstance(self.v, (int, float)) and not isinstance(self.v, bool) and math.copysign(1, self.v) < 0:
            return f"(-{lit_text(-self.v)})"
        return lit_text(self.v)

    def value(self, c):
        return self.v


@dataclass
class Prop(Expr):
    name: str
    typ: str
    spelled: str | None = None  # another case of the name (names resolve case-insensitively, SPEC §2.9)

    def text(self):
        return self.spelled or self.name

    def value(self, c):
        return c.world.read(c.entity, self.name, c.row.get(self.name))


@dataclass
class ToOne(Expr):
    rel: str
    name: str
    typ: str
    spelled: str | None = None

    def text(self):
        return self.spelled or f"{self.rel}.{self.name}"

    def value(self, c):
        other = c.world.one(c.entity, self.rel, c.row)
        target = c.world.rels[(c.entity, self.rel)].target
        return None if other is None else c.world.read(target, self.name, other.get(self.name))


@dataclass
class ToMany:
    """`deals.amount` as the direct operand of a leaf condition: MongoDB semantics (SPEC §2.4)."""

    rel: str
    name: str
    typ: str
    spelled: str | None = None

    def text(self):
        return self.spelled or f"{self.rel}.{self.name}"


@dataclass
class Arith(Expr):
    op: str
    a: Expr
    b: Expr
    typ: str = "number"

    def text(self):
        return f"({self.a.text()} {self.op} {self.b.text()})"

    def value(self, c):
        a, b = self.a.value(c), self.b.value(c)
        if a is None or b is None:
            return None
        if isinstance(a, date) or isinstance(b, date):  # date − date: whole days
            return (a - b).days
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op in ("*", "×"):
            return a * b
        if b == 0:  # division by zero is missing, never an error
            return None
        return float(a) / float(b)  # double precision, never integer division


def round_half_away(x: float, digits: int = 0) -> float:
    """Half away from zero on the double's exact value (a context wide enough for any double: 1e300 too)."""
    q = Decimal(1).scaleb(-digits)
    with localcontext() as ctx:
        ctx.prec = 1200
        return float(Decimal(x).quantize(q, rounding=ROUND_HALF_UP))


@dataclass
class Func(Expr):
    name: str
    args: list
    typ: str = "number"

    def text(self):
        return f"{self.name}({', '.join(a.text() for a in self.args)})"

    def value(self, c):
        vals = [a.value(c) for a in self.args]
        n = self.name
        if n == "coalesce":
            return next((v for v in vals if v is not None), None)
        if n == "current_month":
            return c.world.today.month
        if n == "current_year":
            return c.world.today.year
        if any(v is None for v in vals):
            return None
        x = vals[0]
        if n == "abs":
            return abs(x)
        if n == "round":
            return round_half_away(x, vals[1] if len(vals) > 1 else 0)
        if n == "length":
            return len(x)
        if n == "lower":  # Unicode simple lowercase, as `contains` folds (docs/dialects.md `lower(s)`)
            return simple_lower(x)
        if n == "year":
            return x.year
        if n == "month":
            return x.month
        if n == "day":
            return x.day
        if n == "day_of_week":
            return x.isoweekday()
        raise ValueError(n)


@dataclass
class Agg(Expr):
    kind: str  # count | sum | avg | min | max
    rel: str
    prop: str | None
    where: Cond | None
    typ: str = "number"

    def text(self):
        inner = self.rel if self.kind == "count" else f"{self.rel}.{self.prop}"
        if self.where is not None:
            inner += f" where {self.where.text()}"
        return f"{self.kind}({inner})"

    def value(self, c):
        target = c.world.rels[(c.entity, self.rel)].target
        rows = [r for r in c.world.related(c.entity, self.rel, c.row)
                if self.where is None or self.where.holds(Ctx(c.world, target, r))]
        if self.kind == "count":
            return len(rows)
        vals = [c.world.read(target, self.prop, r.get(self.prop)) for r in rows if r.get(self.prop) is not None]
        if self.kind == "sum":
            return sum(vals) if vals else 0
        if not vals:
            return None
        if self.kind == "avg":
            return math.fsum(float(v) for v in vals) / len(vals)
        return min(vals) if self.kind == "min" else max(vals)


@dataclass
class Clock(Expr):
    """`today`, `now`, `today - 3 days`, `now + 2 hours` — points in time."""

    base: str  # today | now
    n: int = 0
    unit: str = "day"

    @property
    def typ(self):
        return "date" if self.base == "today" else "timestamp"

    def text(self):
        if self.n == 0:
            return self.base
        sign = "-" if self.n < 0 else "+"
        return f"{self.base} {sign} {abs(self.n)} {self.unit}{'s' if abs(self.n) != 1 else ''}"

    def value(self, c):
        start = c.world.today if self.base == "today" else c.world.now
        return shift(start, self.n, self.unit) if self.n else start


# ------------------------------------------------------------------------------------------- conditions


class Cond:
    def text(self) -> str:
        raise NotImplementedError

    def holds(self, c: Ctx) -> bool:
        raise NotImplementedError


def _many_values(c: Ctx, p: ToMany) -> list:
    target = c.world.rels[(c.entity, p.rel)].target
    return [c.world.read(target, p.name, r.get(p.name)) for r in c.world.related(c.entity, p.rel, c.row)]


class Leaf(Cond):
    """A leaf with a positive form `pos(v)` on one value; `negated` is its complement. With a to-many
    operand the positive form holds when some related record's value satisfies it (SPEC §2.4)."""

    left: object
    negated: bool = False

    def pos(self, v, c: Ctx) -> bool:
        raise NotImplementedError

    def holds(self, c):
        if isinstance(self.left, ToMany):
            p = any(self.pos(v, c) for v in _many_values(c, self.left))
        else:
            p = self.pos(self.left.value(c), c)
        return p != self.negated


@dataclass
class Cmp(Leaf):
    left: object
    op: str  # = != < <= > >=
    right: Expr

    @property
    def negated(self):
        return self.op == "!="

    def text(self):
        return f"{self.left.text()} {self.op} {self.right.text()}"

    def pos(self, v, c):
        return compare("=" if self.op == "!=" else self.op, v, self.right.value(c))


@dataclass
class In(Leaf):
    left: object
    values: list
    negated: bool = False

    def text(self):
        return f"{self.left.text()} {'not in' if self.negated else 'in'} ({', '.join(v.text() for v in self.values)})"

    def pos(self, v, c):
        return any(compare("=", v, x.value(c)) for x in self.values)

    def holds(self, c):
        """A `null` in the list also matches a missing value, as MongoDB's `{$in: [null]}` (and `is null`,
        to-many paths included: no related records, or one without the value)."""
        p = Leaf.holds(self, c) != self.negated  # the positive form
        if any(isinstance(x, Lit) and x.v is None for x in self.values):  # the literal, not a missing value
            p = p or IsNull(self.left).holds(c)
        return p != self.negated


@dataclass
class Between(Leaf):
    left: object
    lo: Expr
    hi: Expr
    negated: bool = False

    def text(self):
        return f"{self.left.text()} {'not between' if self.negated else 'between'} {self.lo.text()} and {self.hi.text()}"

    def pos(self, v, c):
        return compare(">=", v, self.lo.value(c)) and compare("<=", v, self.hi.value(c))


@dataclass
class IsNull(Cond):
    left: object
    negated: bool = False
    spelling: str = "is"  # "is" (is null / is not null) or "=" (= null / != null)

    def text(self):
        if self.spelling == "=":
            return f"{self.left.text()} {'!=' if self.negated else '='} null"
        return f"{self.left.text()} is {'not ' if self.negated else ''}null"

    def holds(self, c):
        if isinstance(self.left, ToMany):  # MongoDB {"deals.stage": null}: no deals, or one without a stage
            vals = _many_values(c, self.left)
            p = not vals or any(v is None for v in vals)
        else:
            p = self.left.value(c) is None
        return p != self.negated


@dataclass
class IsEmpty(Cond):
    left: Expr
    negated: bool = False

    def text(self):
        return f"{self.left.text()} is {'not ' if self.negated else ''}empty"

    def holds(self, c):
        v = self.left.value(c)
        return (v is None or v == "") != self.negated


@dataclass
class StrOp(Leaf):
    left: object
    op: str  # contains | starts with | ends with
    needle: str
    negated: bool = False

    def text(self):
        return f"{self.left.text()} {'not ' if self.negated else ''}{self.op} {quote(self.needle)}"

    def pos(self, v, c):
        if v is None:
            return False
        h, n = simple_lower(v), simple_lower(self.needle)
        return {"contains": n in h, "starts with": h.startswith(n), "ends with": h.endswith(n)}[self.op]


def regex_to_python(pattern: str) -> str:
    """The portable subset as Python: `.` never matches a newline (Python's default), `$` only at the end
    of the string (Python's `$` also matches before a final newline)."""
    out, i, in_set = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_set:
            in_set = ch != "]" or out[-1] in ("[", "[^")
            out.append(ch)
        elif ch == "[":
            in_set = True
            out.append("[^" if pattern[i + 1:i + 2] == "^" else "[")
            i += 1 if pattern[i + 1:i + 2] == "^" else 0
        elif ch == "$":
            out.append(r"\Z")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@dataclass
class Matches(Leaf):
    left: object
    pattern: str
    icase: bool = False
    negated: bool = False

    def text(self):
        # the pattern is written with only `"` escaped: other backslashes are kept (docs/language.md)
        lit = '"' + self.pattern.replace('"', '\\"') + '"'
        return f"{self.left.text()} {'not ' if self.negated else ''}matches {lit}{' ignoring case' if self.icase else ''}"

    def pos(self, v, c):
        if v is None:
            return False
        flags = (re.IGNORECASE | re.ASCII) if self.icase else 0
        return re.search(regex_to_python(self.pattern), v, flags) is not None


@dataclass
class Ago(Cond):
    """`x < 7 days ago` (age less than 7 days), `x >= 2 months ago` … and `x = 3 days ago` (dates)."""

    left: Expr
    op: str
    n: int
    unit: str

    def text(self):
        return f"{self.left.text()} {self.op} {self.n} {self.unit}s ago"

    def holds(self, c):
        if isinstance(self.left, ToMany):  # some related record (SPEC §2.4)
            return any(self._one(v, c) for v in _many_values(c, self.left))
        return self._one(self.left.value(c), c)

    def _one(self, v, c):
        if v is None:
            return self.op == "!="
        if self.left.typ == "date":
            point = shift(c.world.today, -self.n, self.unit)
        else:
            point = shift(c.world.now, -self.n, self.unit)
            v = as_dt(v)
        # the age comparison reverses the point comparison: age < N ⇔ x > now − N
        flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}[self.op]
        if flip == "!=":
            return not compare("=", v, point)
        return compare(flip, v, point)


@dataclass
class AgoBetween(Cond):
    left: Expr
    a: int
    b: int
    unit: str
    negated: bool = False

    def text(self):
        return f"{self.left.text()} {'not ' if self.negated else ''}between {self.a} and {self.b} {self.unit}s ago"

    def holds(self, c):
        w = ("between", self.a, self.b, self.unit)
        if isinstance(self.left, ToMany):  # some related record; negated: none (SPEC §2.4)
            return any(_window(v, self.left.typ, w, c.world) for v in _many_values(c, self.left)) != self.negated
        return _window(self.left.value(c), self.left.typ, w, c.world) != self.negated


def _window(v, typ: str, w, world: World) -> bool:
    """Whether value `v` of type `typ` falls in window `w` (evaluated with the world's now)."""
    if v is None:
        return False
    kind = w[0]
    if kind == "last":  # now − N ≤ x ≤ now; a date: the N days (units) ending today
        n, unit = w[1], w[2]
        if typ == "date":
            return shift(world.today, -n, unit) < v <= world.today
        v = as_dt(v)
        return shift(world.now, -n, unit) <= v <= world.now
    if kind == "between":  # both ends included, bounds in either order
        lo, hi, unit = min(w[1], w[2]), max(w[1], w[2]), w[3]
        if typ == "date":
            return shift(world.today, -hi, unit) <= v <= shift(world.today, -lo, unit)
        v = as_dt(v)
        return shift(world.now, -hi, unit) <= v <= shift(world.now, -lo, unit)
    if kind == "period":  # this|last week|month|quarter|year: the whole calendar period
        start, end = period(world.today, w[1], w[2])
        if typ == "date":
            return start <= v < end
        return as_dt(start) <= as_dt(v) < as_dt(end)
    raise ValueError(w)


def count_window_text(count: tuple | None, window: tuple | None) -> str:
    """` at least 2 times in last 30 days`: what follows an event test (`performed`, a sequence)."""
    s = f" {count[0]} {count[1]} time{'s' if count[1] != 1 else ''}" if count is not None else ""
    return s + (" " + window_text(window) if window is not None else "")


def window_text(w) -> str:
    if w[0] == "last":
        return f"in last {w[1]} {w[2]}{'s' if w[1] != 1 else ''}"
    if w[0] == "between":
        return f"between {w[1]} and {w[2]} {w[3]}s ago"
    return f"in {w[1]} {w[2]}"


@dataclass
class InWindow(Cond):
    left: Expr
    w: tuple
    spelling: str = "in"  # "in" | "within" | "past" (`in past 3 days`)
    negated: bool = False  # `not in last 3 days`: the complement (true on a missing value)

    def text(self):
        t = window_text(self.w)
        if self.spelling == "within" and self.w[0] == "last":
            t = "within" + t[2:]
        if self.spelling == "past" and self.w[0] == "last":
            t = "in past" + t[7:]
        if self.negated:
            t = "not " + t
        return f"{self.left.text()} {t}"

    def holds(self, c):
        if isinstance(self.left, ToMany):  # some related record; negated: none (SPEC §2.4)
            p = any(_window(v, self.left.typ, self.w, c.world) for v in _many_values(c, self.left))
        else:
            p = _window(self.left.value(c), self.left.typ, self.w, c.world)
        return p != self.negated


@dataclass
class BoolProp(Cond):
    prop: Prop

    def text(self):
        return self.prop.text()

    def holds(self, c):
        return self.prop.value(c) is True


@dataclass
class Not(Cond):
    a: Cond

    def text(self):
        return f"not ({self.a.text()})"

    def holds(self, c):
        return not self.a.holds(c)


@dataclass
class And(Cond):
    parts: list

    def text(self):
        return "(" + " and ".join(p.text() for p in self.parts) + ")"

    def holds(self, c):
        return all(p.holds(c) for p in self.parts)


@dataclass
class Or(Cond):
    parts: list

    def text(self):
        return "(" + " or ".join(p.text() for p in self.parts) + ")"

    def holds(self, c):
        return any(p.holds(c) for p in self.parts)


@dataclass
class Quant(Cond):
    kind: str  # any | all | no
    rel: str
    cond: Cond | None

    def text(self):
        return f"{self.kind} {self.rel}" + (f" ({self.cond.text()})" if self.cond is not None else "")

    def holds(self, c):
        target = c.world.rels[(c.entity, self.rel)].target
        rows = c.world.related(c.entity, self.rel, c.row)
        sat = [self.cond is None or self.cond.holds(Ctx(c.world, target, r)) for r in rows]
        return {"any": any(sat), "all": all(sat), "no": not any(sat)}[self.kind]


COUNTS = {"at least": lambda n, k: n >= k, "at most": lambda n, k: n <= k, "exactly": lambda n, k: n == k,
          "more than": lambda n, k: n > k, "fewer than": lambda n, k: n < k, "less than": lambda n, k: n < k}


@dataclass
class Performed(Cond):
    name: str
    where: Cond | None = None
    count: tuple | None = None  # ("at least", 2)
    window: tuple | None = None
    did_not: bool = False

    def text(self):
        s = f"{'did not perform' if self.did_not else 'performed'} {quote(self.name)}"
        if self.where is not None:
            s += f" where ({self.where.text()})"
        return s + count_window_text(self.count, self.window)

    def holds(self, c):
        w = c.world
        target = w.rels[(c.entity, w.event_rel)].target
        n = 0
        for r in w.related(c.entity, w.event_rel, c.row):
            if r.get(w.event_name) != self.name:
                continue
            if self.where is not None and not self.where.holds(Ctx(w, target, r)):
                continue
            if self.window is not None and not _window(r.get(w.event_time), "timestamp", self.window, w):
                continue
            n += 1
        ok = COUNTS[self.count[0]](n, self.count[1]) if self.count else n >= 1
        return ok != self.did_not


@dataclass
class InSegment(Cond):
    slug: str
    negated: bool = False
    via: str | None = None  # a to-one relationship: `org in segment big_orgs`

    def text(self):
        return f"{self.via + ' ' if self.via else ''}{'not ' if self.negated else ''}in segment {self.slug}"

    def holds(self, c):
        seg = c.world.segments[self.slug]
        if self.via:
            other = c.world.one(c.entity, self.via, c.row)
            p = other is not None and seg.cond.holds(Ctx(c.world, seg.entity, other))
        else:
            p = seg.cond.holds(c)
        return p != self.negated


@dataclass
class LetRef(Expr):
    """A segment-local calculated field (`let name = expr`), used by name."""

    name: str
    expr: Expr
    typ: str = "number"

    def text(self):
        return self.name

    def value(self, c):
        return self.expr.value(c)


@dataclass
class Segment:
    slug: str
    entity: str
    cond: Cond
    lets: list = field(default_factory=list)  # LetRef, in order (a later one may use an earlier one)

    def text(self) -> str:
        lets = "".join(f"\n  let {x.name} = {x.expr.text()}" for x in self.lets)
        return f"segment {self.slug} on {self.entity}{lets}\nwhere {self.cond.text()}"


def members(world: World, seg: Segment) -> set:
    ent = world.entities[seg.entity]
    return {r[ent.key] for r in ent.rows if seg.cond.holds(Ctx(world, seg.entity, r))}


# ------------------------------------------------------------------ constructs beyond the first generator


@dataclass
class AgoPoint(Expr):
    """`3 days ago` as a point in time (`x before 3 days ago`, docs/language.md): now − N units; beside a
    `date` operand today − N units (a date counts whole days, SPEC §2.5: its membership must not change
    with the hour)."""

    n: int
    unit: str
    typ: str = "timestamp"  # the other operand's type: "date" gives today − N

    def text(self):
        return f"{self.n} {self.unit}{'s' if self.n != 1 else ''} ago"

    def value(self, c):
        return shift(c.world.today if self.typ == "date" else c.world.now, -self.n, self.unit)


@dataclass
class Before(Leaf):
    """`x before p` / `x after p`: `<` / `>` between points in time."""

    left: object
    after: bool
    right: Expr
    negated: bool = False

    def text(self):
        return f"{self.left.text()} {'after' if self.after else 'before'} {self.right.text()}"

    def pos(self, v, c):
        return compare(">" if self.after else "<", v, self.right.value(c))


@dataclass
class Anniversary(Cond):
    """`anniversary(x)`: x's month and day are today's; a Feb 29 falls on Feb 28 in other years (SPEC §2.5)."""

    left: Expr

    def text(self):
        return f"anniversary({self.left.text()})"

    def holds(self, c):
        v, t = self.left.value(c), c.world.today
        if v is None:
            return False
        if (v.month, v.day) == (t.month, t.day):
            return True
        return (v.month, v.day) == (2, 29) and (t.month, t.day) == (2, 28) and not calendar.isleap(t.year)


@dataclass
class InList(Cond):
    """`in list slug` / `not in list slug`: the record's key among the list's member keys (SPEC §2.10).
    The list table's slug is compared exactly (code points, as `=`); a NULL member is no member."""

    slug: str
    negated: bool = False
    via: str | None = None  # a to-one relationship: `org in list partners` (no org: not a member)

    def text(self):
        return f"{self.via + ' ' if self.via else ''}{'not ' if self.negated else ''}in list {self.slug}"

    def holds(self, c):
        entity, row = c.entity, c.row
        if self.via:
            entity, row = c.world.rels[(c.entity, self.via)].target, c.world.one(c.entity, self.via, c.row)
            if row is None:
                return self.negated
        key = row.get(c.world.entities[entity].key)
        rows = c.world.entities[LIST_ENTITY].rows
        p = any(r.get("list_slug") == self.slug and r.get("member_key") is not None and r["member_key"] == key
                for r in rows)
        return p != self.negated


LIST_ENTITY = "list_members"


@dataclass
class Sequence(Cond):
    """`performed "A" [where c1] then "B" [where c2] [within N units] [count] [window]` (SPEC §8,
    docs/language.md "Sequences"): events a ≠ b (by key) of the record, a named A meeting c1, b named B
    meeting c2, a.time ≤ b.time ≤ a.time + N units (calendar arithmetic), both in the window; an event
    without a time is never part of one. Counted: the distinct A events some B follows. `did not
    perform … then …` is the complement of at least once."""

    a: str
    a_where: Cond | None
    b: str
    b_where: Cond | None
    span: tuple | None = None  # (n, unit)
    count: tuple | None = None
    window: tuple | None = None
    did_not: bool = False

    def text(self):
        s = f"{'did not perform' if self.did_not else 'performed'} {quote(self.a)}"
        if self.a_where is not None:
            s += f" where ({self.a_where.text()})"
        s += f" then {quote(self.b)}"
        if self.b_where is not None:
            s += f" where ({self.b_where.text()})"
        if self.span is not None:
            s += f" within {self.span[0]} {self.span[1]}{'s' if self.span[0] != 1 else ''}"
        return s + count_window_text(self.count, self.window)

    def holds(self, c):
        w = c.world
        target = w.rels[(c.entity, w.event_rel)].target
        key = w.entities[target].key

        def ok(r, name, where):
            return (r.get(w.event_name) == name and r.get(w.event_time) is not None
                    and (where is None or where.holds(Ctx(w, target, r)))
                    and (self.window is None or _window(r[w.event_time], "timestamp", self.window, w)))

        evs = w.related(c.entity, w.event_rel, c.row)
        firsts = [r for r in evs if ok(r, self.a, self.a_where)]
        seconds = [r for r in evs if ok(r, self.b, self.b_where)]
        n = 0
        for a in firsts:
            t = a[w.event_time]
            end = None if self.span is None else shift(t, self.span[0], self.span[1])
            if any(b[key] != a[key] and t <= b[w.event_time] and (end is None or b[w.event_time] <= end)
                   for b in seconds):
                n += 1
        ok_ = COUNTS[self.count[0]](n, self.count[1]) if self.count else n >= 1
        return ok_ != self.did_not
