"""An in-process evaluator of the IR: the meaning of a segment (SPEC §2) computed in Python.

It is written from SPEC §2 and `ir.py` alone, independently of the SQL lowering, so tests can use it as
an oracle (compiled SQL executed on a real engine must give the same members), and tools can "evaluate one
record in-process" without a database:

    members = evaluate_segment(segment_ir, schema, Dataset({"contacts": [...], "deals": [...]}), now)
    matches(segment_ir, schema, {"id": 1, "country": "US", "deals": [{"value": 5}]}, now)

Values are plain Python values: str, int, float (or Decimal) for numbers, bool, `datetime.date`,
naive `datetime.datetime` (wall-clock time in the schema's zone) and None for missing; an `instant`
property (SPEC §5.1) holds an aware datetime, ISO text or an epoch number, read as its wall-clock time in
the schema's zone (`wall_clock`) where the column is read, as the SQL does. Records are dicts keyed by
*property* names (not column names); a missing key is a missing value.

Semantics (SPEC §2): two-valued logic — every positive comparison with a missing operand is false and
`Not` is the complement; strings compare by code point; `contains`/`starts`/`ends` fold both sides with
Unicode simple lowercase and are literal; division is in double precision and division by zero is
missing; `round` rounds half away from zero; months, quarters and years are calendar units clamped to the
month's end; weeks start on Monday; count and sum of nothing are 0, avg/min/max of nothing are missing.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
import sys
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Iterable

from segql import ir
from segql.clock import parse_iso, pin_now
from segql.semantic.functions import CONSTANT_KINDS, FUNCTIONS
from segql.semantic.regex import python_search
from segql.text import simple_lower, simple_upper

__all__ = ["Dataset", "evaluate_segment", "matches", "simple_lower", "shift", "trunc"]


# ---- data ---------------------------------------------------------------------------------------
class Dataset:
    """In-memory records: `{entity_name: [ {property_name: value, ...}, ... ]}` and static lists
    `{list_slug: {member_key, ...}}`."""

    def __init__(self, records: dict[str, list[dict]] | None = None, lists: dict[str, Iterable] | None = None):
        self.records: dict[str, list[dict]] = {k: list(v) for k, v in (records or {}).items()}
        self.lists: dict[str, set] = {k: set(v) for k, v in (lists or {}).items()}
        self._index: dict[tuple[str, str], dict[Any, list[dict]]] = {}

    def rows(self, entity: str) -> list[dict]:
        return self.records.get(entity, [])

    def lookup(self, entity: str, prop: str, value) -> list[dict]:
        """The records of `entity` whose `prop` equals `value` (never any for a missing value)."""
        if value is None:
            return []
        key = (entity, prop)
        index = self._index.get(key)
        if index is None:
            index = {}
            for row in self.rows(entity):
                v = row.get(prop)
                if v is not None:
                    index.setdefault(_hashable(v), []).append(row)
            self._index[key] = index
        return index.get(_hashable(value), [])

    def in_list(self, slug: str, key) -> bool:
        if key is None:
            return False
        members = self.lists.get(slug, ())
        return key in members or (_hashable(key) in {_hashable(m) for m in members})


def _hashable(v):
    if isinstance(v, Decimal) and v == v.to_integral_value():
        return int(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


# ---- time helpers -------------------------------------------------------------------------------
def _naive_now(now, tz: str) -> dt.datetime:
    return pin_now(now, tz)


_PER_SECOND = {"seconds": 1, "milliseconds": 1_000, "microseconds": 1_000_000}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def wall_clock(value, kind: str, tz: str) -> dt.datetime:
    """An instant property's value (SPEC §5.1) as the naive wall-clock time it shows in zone `tz`: an
    aware datetime, ISO text with an offset, or an epoch number in `kind`'s unit ("zoned": not a number).
    A naive datetime or ISO text without an offset is read as UTC (how the engines hand back instants)."""
    from zoneinfo import ZoneInfo

    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        whole, rest = divmod(int(value), _PER_SECOND.get(kind, 1))
        value = _EPOCH + dt.timedelta(seconds=whole, microseconds=rest * 1_000_000 // _PER_SECOND.get(kind, 1))
    elif isinstance(value, str):
        value = parse_iso(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _add_months(value, months: int):
    y, m = divmod(value.month - 1 + months, 12)
    year, month = value.year + y, m + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def shift(value, amount: int, unit: str):
    """`value` moved by `amount` units: sub-day and day/week units as fixed lengths of wall-clock time,
    months/quarters/years as calendar units clamped to the month's end (Mar 31 − 1 month = Feb 28/29)."""
    if value is None:
        return None
    if unit in ("month", "quarter", "year"):
        return _add_months(value, amount * {"month": 1, "quarter": 3, "year": 12}[unit])
    if unit == "week":
        return value + dt.timedelta(days=7 * amount)
    if unit == "day":
        return value + dt.timedelta(days=amount)
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(seconds=amount * {"second": 1, "minute": 60, "hour": 3600}[unit])
    # a date shifted by a sub-day unit: the checker promotes it first, but be forgiving
    return _to_timestamp(value) + dt.timedelta(seconds=amount * {"second": 1, "minute": 60, "hour": 3600}[unit])


def trunc(value, unit: str):
    """The start of the week (Monday) / month / quarter / year containing `value`."""
    if value is None:
        return None
    is_ts = isinstance(value, dt.datetime)
    d = value.date() if is_ts else value
    if unit == "day":
        out = d
    elif unit == "week":
        out = d - dt.timedelta(days=d.weekday())
    elif unit == "month":
        out = d.replace(day=1)
    elif unit == "quarter":
        out = dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    elif unit == "year":
        out = dt.date(d.year, 1, 1)
    else:
        raise ValueError(f"cannot truncate to {unit!r}")
    return _to_timestamp(out) if is_ts else out


def _to_timestamp(d):
    if d is None or isinstance(d, dt.datetime):
        return d
    return dt.datetime(d.year, d.month, d.day)


def _date_of(ts):
    if ts is None:
        return None
    return ts.date() if isinstance(ts, dt.datetime) else ts


# ---- numbers ------------------------------------------------------------------------------------
def _num_pair(a, b):
    """Make two numbers combinable: a float on either side makes both floats (double precision)."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a), float(b)
    return a, b


def _arith(op: str, a, b):
    if a is None or b is None:
        return None
    if op == "/":
        a, b = float(a), float(b)
        if b == 0:
            return None
        return a / b
    a, b = _num_pair(a, b)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    raise ValueError(f"unknown operator {op!r}")


def _round_half_away(x, digits: int):
    """Half away from zero on the double |x|·10^d, exactly as the SQL computes it on every engine
    (lower/dialects/base.py `round_half_away`): round(-7.35, 1) is -7.4, as a person expects."""
    if x is None:
        return None
    v = float(x)
    if not math.isfinite(v):
        return v
    scale = float(f"1e{digits}") if digits else None
    a = abs(v * scale) if scale else abs(v)
    r = math.floor(a) + (1 if a - math.floor(a) >= 0.5 else 0)
    r = float(r) / scale if scale else float(r)
    return -r if v < 0 else r


def _comparable(a, b):
    """Bring two present values onto one scale for comparison (numbers by value; a date compared with a
    timestamp is promoted to 00:00 of its day, SPEC §2.5)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a, b
    if isinstance(a, (int, float, Decimal)) and isinstance(b, (int, float, Decimal)):
        if isinstance(a, Decimal) and isinstance(b, float):
            return float(a), b
        if isinstance(b, Decimal) and isinstance(a, float):
            return a, float(b)
        return a, b
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        if isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
            return _to_timestamp(a), _to_timestamp(b)
    return a, b


def _compare(op: str, a, b) -> bool:
    if a is None or b is None:
        return False
    a, b = _comparable(a, b)
    if op == "=":
        return a == b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    raise ValueError(f"unknown comparison {op!r}")


def _literal(node: ir.Literal):
    v = node.value
    if v is None:
        return None
    if node.type == "timestamp" and isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v  # the checker always makes these naive; left as is
    return v


# ---- the evaluator ------------------------------------------------------------------------------
class _Evaluator:
    def __init__(self, schema, data: Dataset | None, now: dt.datetime):
        self.schema = schema
        self.data = data or Dataset()
        self.now = now
        self.today = now.date()
        self._regex_cache: dict = {}
        self._value_h = {
            ir.Column: self._column, ir.ToOne: self._to_one, ir.Literal: self._literal_value,
            ir.Now: lambda n, s: self.now, ir.Today: lambda n, s: self.today, ir.Shift: self._shift,
            ir.Arith: self._arith, ir.Negate: self._negate, ir.Func: self._func, ir.Aggregate: self._aggregate,
        }
        self._cond_h = {
            ir.Compare: self._compare, ir.InValues: self._in_values, ir.IsNull: self._is_null,
            ir.TextMatch: self._text_match, ir.Regex: self._regex, ir.And: self._and, ir.Or: self._or,
            ir.Not: self._not, ir.Const: lambda n, s: bool(n.value), ir.Exists: self._exists,
            ir.InList: self._in_list, ir.Sequence: self._sequence,
            ir.SegmentRef: lambda n, s: self.truth(n.condition, s),
        }

    # `scopes` is a tuple of (entity_name, record): the innermost record last.
    def truth(self, node: ir.Cond, scopes) -> bool:
        handler = self._cond_h.get(type(node))
        if handler is None:
            value = self.value(node, scopes)  # a boolean-valued expression used as a condition
            return value is True
        return handler(node, scopes)

    def value(self, node: ir.Expr, scopes):
        handler = self._value_h.get(type(node))
        if handler is None:
            if isinstance(node, ir.Cond):
                return self.truth(node, scopes)
            raise TypeError(f"cannot evaluate {type(node).__name__}")
        return handler(node, scopes)

    # ---- values
    def _column(self, node: ir.Column, scopes):
        if node.up >= len(scopes):
            raise ValueError(f"column {node.prop.name} refers {node.up} scopes out, but only {len(scopes)} exist")
        _entity, record = scopes[-1 - node.up]
        value = record.get(node.prop.name)
        if node.prop.instant and value is not None:
            return wall_clock(value, node.prop.instant, self.schema.timezone)
        return value

    def _literal_value(self, node, scopes):
        return _literal(node)

    def related(self, record: dict, rel) -> list[dict]:
        """The records reached from `record` through `rel`: nested under the relationship's name when the
        record carries them (`matches`), otherwise looked up in the dataset by local/remote keys."""
        if rel.name in record:
            nested = record[rel.name]
            if nested is None:
                return []
            if isinstance(nested, dict):
                return [nested]
            return list(nested)
        return self.data.lookup(rel.target, rel.remote, record.get(rel.local))

    def _to_one(self, node: ir.ToOne, scopes):
        rows = self.related(scopes[-1 - node.up][1], node.rel)
        if not rows:
            return None
        return self.value(node.inner, scopes + ((node.rel.target, rows[0]),))

    def _shift(self, node: ir.Shift, scopes):
        return shift(self.value(node.base, scopes), node.amount, node.unit)

    def _arith(self, node: ir.Arith, scopes):
        return _arith(node.op, self.value(node.left, scopes), self.value(node.right, scopes))

    def _negate(self, node: ir.Negate, scopes):
        v = self.value(node.operand, scopes)
        return None if v is None else -v

    def _func(self, node: ir.Func, scopes):
        """The implementation the function catalogue's name selects; a strict function of a missing
        argument is missing."""
        spec = FUNCTIONS[node.name]
        args = [a.value if kind in CONSTANT_KINDS and isinstance(a, ir.Literal) else self.value(a, scopes)
                for kind, a in zip(spec.kinds(len(node.args)), node.args)]
        if spec.strict and any(a is None for a in args):
            return None
        return _FUNCTIONS[node.name](*args)

    def _aggregate(self, node: ir.Aggregate, scopes):
        rows = self.related(scopes[-1 - node.up][1], node.rel)
        target = node.rel.target
        values = []
        count = 0
        for row in rows:
            inner = scopes + ((target, row),)
            if node.where is not None and not self.truth(node.where, inner):
                continue
            count += 1
            if node.value is not None:
                v = self.value(node.value, inner)
                if v is not None:
                    values.append(v)
        func = node.func
        if func == "count":
            return count if node.value is None else len(values)
        if func == "sum":
            if not values:
                return 0.0 if node.type == "number" else 0
            if any(isinstance(v, float) for v in values):
                return math.fsum(float(v) for v in values)
            return sum(values)
        if not values:
            return None
        if func == "avg":
            return math.fsum(float(v) for v in values) / len(values)
        if func == "min":
            return min(values)
        if func == "max":
            return max(values)
        raise ValueError(f"unknown aggregate {func!r}")

    # ---- conditions
    def _compare(self, node: ir.Compare, scopes):
        return _compare(node.op, self.value(node.left, scopes), self.value(node.right, scopes))

    def _in_values(self, node: ir.InValues, scopes):
        v = self.value(node.operand, scopes)
        if v is None:
            return False
        return any(_compare("=", v, self.value(item, scopes)) for item in node.values)

    def _is_null(self, node: ir.IsNull, scopes):
        return self.value(node.operand, scopes) is None

    def _text_match(self, node: ir.TextMatch, scopes):
        v = self.value(node.operand, scopes)
        if v is None:
            return False
        s, t = simple_lower(v), simple_lower(node.text)
        if node.kind == "contains":
            return t in s
        if node.kind == "starts":
            return s.startswith(t)
        if node.kind == "ends":
            return s.endswith(t)
        raise ValueError(f"unknown text match {node.kind!r}")

    def _regex(self, node: ir.Regex, scopes):
        v = self.value(node.operand, scopes)
        if v is None:
            return False
        key = (node.pattern, node.ignore_case)
        fn = self._regex_cache.get(key)
        if fn is None:
            fn = self._regex_cache[key] = python_search(node.pattern, node.ignore_case)
        return bool(fn(v))

    def _and(self, node: ir.And, scopes):
        for item in node.items:
            if not self.truth(item, scopes):
                return False
        return True

    def _or(self, node: ir.Or, scopes):
        for item in node.items:
            if self.truth(item, scopes):
                return True
        return False

    def _not(self, node: ir.Not, scopes):
        return not self.truth(node.item, scopes)

    def _exists(self, node: ir.Exists, scopes):
        rows = self.related(scopes[-1 - node.up][1], node.rel)
        if node.condition is None:
            return bool(rows)
        target = node.rel.target
        for row in rows:
            if self.truth(node.condition, scopes + ((target, row),)):
                return True
        return False

    def _sequence(self, node: ir.Sequence, scopes):
        """SPEC §8 by definition: the first events (meeting `first`) that some other event meeting `then`
        follows at the same time or later, within the span; their number compared with the count."""
        rows = self.related(scopes[-1 - node.up][1], node.rel)
        target = node.rel.target
        inner = [scopes + ((target, row),) for row in rows]
        firsts = [s for s in inner if self.truth(node.first, s)]
        thens = [s for s in inner if self.truth(node.then, s)] if firsts else []
        followed = 0
        for a in firsts:
            a_time, a_key = self.value(node.time, a), self.value(node.key, a)
            latest = shift(a_time, node.within, node.unit) if node.within is not None else None
            for b in thens:
                b_time = self.value(node.time, b)
                if _compare("=", self.value(node.key, b), a_key) or not _compare(">=", b_time, a_time):
                    continue
                if latest is None and node.within is not None:
                    continue
                if latest is not None and not _compare("<=", b_time, latest):
                    continue
                followed += 1
                break
        return _compare(node.op, followed, node.count)

    def _in_list(self, node: ir.InList, scopes):
        entity_name, record = scopes[-1 - node.up]
        entity = self.schema.entities[entity_name]
        return self.data.in_list(node.slug, record.get(entity.key))


def _coalesce(*values):
    return next((v for v in values if v is not None), None)


# Python implementations of the catalogue's functions (semantic/functions.py), by name
_FUNCTIONS = {
    "year": lambda x: x.year, "month": lambda x: x.month, "day": lambda x: x.day,
    "isodow": lambda x: x.isoweekday(), "trunc": trunc, "date_of": _date_of, "to_timestamp": _to_timestamp,
    "days_between": lambda a, b: (_date_of(a) - _date_of(b)).days,
    "lower": lambda s: simple_lower(s), "upper": simple_upper, "length": len, "abs": abs,
    "round": lambda x, digits: _round_half_away(x, int(digits or 0)), "coalesce": _coalesce,
}


# ---- recursion bound ----------------------------------------------------------------------------
def _depth(node) -> int:
    """Nesting depth of an IR tree, computed without recursion."""
    best = 0
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        stack.extend((child, d + 1) for child in ir.children(n))
    return best


@contextmanager
def _room_for(node):
    """Evaluation recurses once or twice per IR level; make sure a deep (but bounded: the parser and
    checker limit nesting) tree fits in the interpreter's recursion limit."""
    needed = 3 * _depth(node) + 200
    frame, used = sys._getframe(), 0
    while frame is not None:
        used += 1
        frame = frame.f_back
    old = sys.getrecursionlimit()
    if used + needed > old:
        sys.setrecursionlimit(used + needed)
        try:
            yield
        finally:
            sys.setrecursionlimit(old)
    else:
        yield


# ---- public functions ---------------------------------------------------------------------------
def evaluate_segment(segment: ir.Segment, schema, data: Dataset, now) -> set:
    """The keys of the records of `segment.entity` in `data` that are members of `segment`, with relative
    times evaluated at `now` (a datetime — naive means the schema's zone — or ISO text)."""
    entity = schema.entities[segment.entity]
    rows = data.rows(entity.name)
    if segment.kind == "list":
        return {r.get(entity.key) for r in rows if data.in_list(segment.slug, r.get(entity.key))}
    ev = _Evaluator(schema, data, _naive_now(now, schema.timezone))
    cond = segment.condition
    if cond is None:
        return {r.get(entity.key) for r in rows}
    out = set()
    with _room_for(cond):
        for r in rows:
            if ev.truth(cond, ((entity.name, r),)):
                out.add(r.get(entity.key))
    return out


def matches(segment: ir.Segment, schema, record: dict, now, related: Dataset | dict | None = None) -> bool:
    """Whether one record (a dict keyed by property names, with its related records nested under
    relationship names: `{"id": 1, "deals": [{...}], "organization": {...}}`) is a member of `segment`.

    `related` optionally supplies what is not nested: a `Dataset` (or `{entity: [records]}`) in which
    relationships absent from the record are looked up by key, and whose `lists` answer `in list`."""
    if related is None:
        data = Dataset()
    elif isinstance(related, Dataset):
        data = related
    else:
        data = Dataset(related)
    entity = schema.entities[segment.entity]
    if segment.kind == "list":
        return data.in_list(segment.slug, record.get(entity.key))
    if segment.condition is None:
        return True
    ev = _Evaluator(schema, data, _naive_now(now, schema.timezone))
    with _room_for(segment.condition):
        return ev.truth(segment.condition, ((entity.name, record),))
