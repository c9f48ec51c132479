"""MongoDB-style filters (SPEC §1.3, seeds 000, 001, 003) → syntax tree.

    {"type": "Contact", "name": "...", "filter": {"deals.value": {"$gte": 10000}, "deals.stage": "Won"}}

Also the pieces the other JSON front ends share: `Ctx` (the schema, the JSON text and the position of
every JSON location, so every node and every error carries `Span(line, col, ..., pointer="/filter/x")`),
property-type lookup along dotted paths, value typing, and relative-date values (`$date`, `$within`,
`$olderThan`, `$newerThan`). The meaning of to-many paths is the checker's (SPEC §2.4); this module only
builds the nodes that say what the document says.
"""
from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal

from segql import limits
from segql.clock import parse_iso
from segql.errors import SegqlError, Span
from segql.schema import did_you_mean
from segql.syntax import ast

UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")
CALENDAR = ("week", "month", "quarter", "year")
SUB_DAY_UNITS = ("second", "minute", "hour")

# ---- error codes of the JSON front ends ---------------------------------------------------------
# E0150 invalid JSON text            E0151 value does not fit the property's type
# E0152 malformed document/operator  E0153 unknown or unsupported operator
# E0154 a key given twice            E0155 nested too deeply / too large
# E0156 no entity for the segment    E0157 name / description length (seed 003)
# E0158 unknown document key         E0159 invalid relative date or duration
# (E0160: a syntax tree that cannot be rendered as a MongoDB filter — to_mongo.py)


# ---- JSON locations -----------------------------------------------------------------------------
def escape_token(token) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(tokens) -> str:
    return "".join("/" + escape_token(t) for t in tokens)


class Ctx:
    """What every JSON front end needs: the schema, and where each JSON location is in the text."""

    def __init__(self, schema=None, *, text: str | None = None, path: str | None = None):
        self.schema = schema
        self.text = text
        self.path = path
        self.values: dict[str, tuple[int, int]] = {}
        self.keys: dict[str, tuple[int, int]] = {}
        self._line_starts: list[int] = []
        if text is not None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
            _Scanner(text, self).run()

    # -- spans --
    def offset_pos(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def span(self, tokens, key: bool = False) -> Span:
        p = pointer(tokens)
        where = self.keys.get(p) if key else None
        where = where or self.values.get(p)
        if where is None:
            return Span(pointer=p)
        (l1, c1), (l2, c2) = self.offset_pos(where[0]), self.offset_pos(where[1])
        return Span(l1, c1, l2, c2, pointer=p)

    def error(self, code: str, message: str, tokens, hints=(), key: bool = False) -> SegqlError:
        return SegqlError(code, message, self.span(tokens, key), [h for h in hints if h], path=self.path,
                          source=self.text)

    # -- schema --
    def entity(self, name):
        if self.schema is None or not isinstance(name, str):
            return None
        return self.schema.entity(name)

    def resolve(self, entity, parts) -> "PathInfo":
        """Walk a dotted path through relationships: what is at its end, and where the last to-many
        relationship is. Unknown names are left to the checker (it has the did-you-mean hints)."""
        if entity is None:
            return PathInfo("unknown")
        schema, ent, many_at, rel = self.schema, entity, 0, None
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            name = ent.find(part)
            if name is None:
                return PathInfo("unknown")
            if name in ent.relationships:
                rel = ent.relationships[name]
                if rel.kind == "many":
                    many_at = i + 1
                ent = schema.entities[rel.target]
                if last:
                    return PathInfo("relationship", None, many_at, rel, ent)
                continue
            if not last:
                return PathInfo("unknown")
            if name in ent.properties:
                return PathInfo("property", ent.properties[name].type, many_at, None, ent)
            return PathInfo("property", self._calculated_type(ent, name), many_at, None, ent)
        return PathInfo("unknown")  # pragma: no cover - parts is never empty

    @staticmethod
    def _calculated_type(entity, name):
        return entity.calculated_types.get(name)  # recorded when the schema was checked

    # -- values --
    def literal(self, value, tokens, ptype, *, allow_null: bool, what: str = "value"):
        """A JSON scalar as a Literal, checked against the property's type (SPEC §1.3): a string is
        read only for a date/timestamp property (the checker parses it); any other mismatch is E0151."""
        span = self.span(tokens)
        if value is None:
            if not allow_null:
                raise self.error("E0151", f"null is not allowed as the {what} here", tokens,
                                 ["null works with $eq, $ne, $in and $nin (and `is_null` in rule lists)"])
            return ast.Literal("null", None, span=span)
        if isinstance(value, dict) and len(value) == 1 and "$date" in value:
            if ptype not in (None, "date", "timestamp"):
                raise self.error("E0151", f"a $date value cannot be compared with a {ptype} property", tokens)
            return date_value(self, value["$date"], tokens + ("$date",))
        if isinstance(value, bool):
            if ptype not in (None, "boolean"):
                raise self._mismatch(value, ptype, tokens)
            return ast.Literal("boolean", value, span=span)
        if isinstance(value, (int, float, Decimal)):
            if ptype not in (None, "integer", "number"):
                raise self._mismatch(value, ptype, tokens)
            return ast.Literal("number", number(self, value, tokens), span=span)
        if isinstance(value, str):
            if ptype not in (None, "string", "date", "timestamp"):
                raise self._mismatch(value, ptype, tokens)
            return ast.Literal("string", value, span=span)
        kind = "an object" if isinstance(value, dict) else "an array" if isinstance(value, list) else \
            type(value).__name__
        raise self.error("E0151", f"the {what} must be a string, number, boolean or null, not {kind}", tokens,
                         ['a date can also be {"$date": "2024-01-01"} or {"$date": "today - 30 days"}'])

    def _mismatch(self, value, ptype, tokens):
        shown = json.dumps(value, default=str, ensure_ascii=False)
        kind = "boolean" if isinstance(value, bool) else "string" if isinstance(value, str) else "number"
        hints = []
        if kind == "string" and ptype in ("integer", "number"):
            hints.append(f"write the number without quotes: {value.strip()}")
        elif kind == "string" and ptype == "boolean":
            hints.append("write true or false without quotes")
        elif ptype in ("date", "timestamp"):
            hints.append('write a date as "2024-01-01" or {"$date": "today - 30 days"}')
        article = "an" if ptype[0] in "aeiou" else "a"
        return self.error("E0151", f"{shown} is a {kind}, but the property is {article} {ptype}", tokens, hints)


@dataclass
class PathInfo:
    kind: str  # property | relationship | unknown
    type: str | None = None  # the property's type (None: relationship, or not known)
    many_at: int = 0  # how many leading parts reach the last to-many relationship (0: none)
    rel: object = None  # the relationship at the end (kind == relationship)
    target: object = None  # the entity the last part belongs to (or the related entity)


def number(ctx, value, tokens):
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ctx.error("E0151", "NaN and infinities are not numbers segql can compare", tokens)
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ctx.error("E0151", "NaN and infinities are not numbers segql can compare", tokens)
    return value


# ---- relative dates -----------------------------------------------------------------------------
_DURATION = re.compile(r"^\s*(\d{1,9})\s*([a-zA-Z]+)\s*$")
_POINT = re.compile(r"^\s*(today|now)\s*(?:([+-])\s*(\d{1,9})\s*([a-zA-Z]+))?\s*$", re.I)


def unit(ctx, word: str, tokens) -> str:
    w = word.lower()
    if w.endswith("s") and w[:-1] in UNITS:
        w = w[:-1]
    if w not in UNITS:
        raise ctx.error("E0159", f"unknown time unit {word!r}", tokens,
                        did_you_mean(w, UNITS) or [f"units: {', '.join(UNITS)}"])
    return w


def duration(ctx, value, tokens) -> tuple[int, str]:
    """"30 days" → (30, "day")."""
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m:
        raise ctx.error("E0159", f"{json.dumps(value, default=str)} is not a duration", tokens,
                        ['write a duration as "30 days", "12 hours", "1 year"'])
    return int(m.group(1)), unit(ctx, m.group(2), tokens)


def date_value(ctx, value, tokens):
    """`{"$date": ...}`: "2024-01-01" (a date), "2024-01-01T10:00:00Z" (a timestamp), "today", "now",
    "today - 30 days", "now + 2 hours" (points in time, evaluated when the SQL runs)."""
    span = ctx.span(tokens)
    if not isinstance(value, str):
        raise ctx.error("E0159", "$date takes a string", tokens,
                        ['e.g. {"$date": "2024-01-01"} or {"$date": "today - 30 days"}'])
    m = _POINT.match(value)
    if m:
        base = ast.Keyword(m.group(1).lower(), span=span)
        if not m.group(2):
            return base
        amount, u = int(m.group(3)), unit(ctx, m.group(4), tokens)
        return ast.Binary(m.group(2), base, ast.Duration(amount, u, span=span), span=span)
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return ast.Literal("date", dt.date.fromisoformat(text), span=span)
        except ValueError:
            pass
    else:
        try:
            stamp = parse_iso(text)
            return ast.Literal("timestamp", stamp, span=span)
        except ValueError:
            pass
    raise ctx.error("E0159", f"{value!r} is not a date, a timestamp or a relative date", tokens,
                    ['write "2024-01-01", "2024-01-01T10:00:00Z", "today", "now", "today - 30 days"'])


def period(ctx, value, tokens) -> ast.Period:
    """`$within`: "30 days" / "last 30 days" (rolling: now − 30 days ≤ x ≤ now), "this month",
    "last month" (calendar periods)."""
    span = ctx.span(tokens)
    if isinstance(value, str):
        words = value.strip().lower().split()
        if len(words) == 2 and words[0] in ("this", "last") and not words[1].isdigit():
            u = unit(ctx, words[1], tokens)
            if u not in CALENDAR:
                raise ctx.error("E0159", f"calendar periods are weeks, months, quarters and years, not {u}s",
                                tokens, [f'for a rolling window write "1 {u}"'])
            return ast.Period(words[0], u, span=span)
        if words and words[0] == "last":
            value = " ".join(words[1:])
    amount, u = duration(ctx, value, tokens)
    if amount < 1:
        raise ctx.error("E0159", "a window needs at least 1 unit", tokens)
    return ast.Period("rolling", u, amount, span=span)


# ---- operators ----------------------------------------------------------------------------------
COMPARE = {"$eq": "=", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
TEXT_EXT = {"$contains": "contains", "$startsWith": "starts", "$endsWith": "ends"}
FIELD_OPS = (*COMPARE, "$in", "$nin", "$exists", "$regex", "$options", "$not", "$elemMatch", "$within",
             "$olderThan", "$newerThan", *TEXT_EXT)
LOGICAL_OPS = ("$and", "$or", "$nor", "$not", "$comment", "$sequence")
SEQUENCE_KEYS = ("first", "then", "first_where", "then_where", "within", "within_days", "window", "at_least",
                 "at_most", "exactly", "more_than", "fewer_than")
SEQUENCE_COUNTS = {"at_least": ">=", "at_most": "<=", "exactly": "=", "more_than": ">", "fewer_than": "<"}


def sequence(ctx, spec, tokens, entity, *, negated=False, span=None) -> ast.Sequence:
    """segql's JSON extension for SPEC §8 (docs/json.md), shared by `{"$sequence": {...}}` and the rule
    operator `sequence`: {"first": "trial_started", "then": "purchase", "within": "14 days" (or
    "within_days": 14), "first_where"/"then_where": filters on the event, "window": "90 days" | "this
    month", and at most one of at_least/at_most/exactly/more_than/fewer_than: N}."""
    if not isinstance(spec, dict):
        raise ctx.error("E0152", "a sequence takes an object", tokens,
                        ['e.g. {"first": "trial_started", "then": "purchase", "within_days": 14}'])
    for key in spec:
        if key not in SEQUENCE_KEYS:
            raise ctx.error("E0158", f"unknown key {key!r} in a sequence", tokens + (key,),
                            did_you_mean(str(key), SEQUENCE_KEYS) or [f"keys: {', '.join(SEQUENCE_KEYS)}"], key=True)
    names = {}
    for key in ("first", "then"):
        if not isinstance(spec.get(key), str):
            raise ctx.error("E0152", f"a sequence needs \"{key}\": an event name (a string)",
                            tokens + ((key,) if key in spec else ()))
        names[key] = spec[key]
    events = None
    if entity is not None and ctx.schema is not None:
        streams = [r for r in entity.relationships.values()
                   if r.kind == "many" and ctx.schema.entities[r.target].is_event_stream]
        events = ctx.schema.entities[streams[0].target] if len(streams) == 1 else None
    wheres = {}
    for key in ("first_where", "then_where"):
        wheres[key] = MongoReader(ctx).filter(spec[key], tokens + (key,), events) if key in spec else None
    within = None
    if "within" in spec and "within_days" in spec:
        raise ctx.error("E0152", "give either \"within\" or \"within_days\"", tokens + ("within_days",), key=True)
    if "within" in spec:
        amount, u = duration(ctx, spec["within"], tokens + ("within",))
        within = ast.Duration(amount, u, span=ctx.span(tokens + ("within",)))
    elif "within_days" in spec:
        days = spec["within_days"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ctx.error("E0151", "within_days takes a whole number of days", tokens + ("within_days",),
                            ['e.g. "within_days": 14'])
        within = ast.Duration(days, "day", span=ctx.span(tokens + ("within_days",)))
    counts = [k for k in SEQUENCE_COUNTS if k in spec]
    count = None
    if len(counts) > 1:
        raise ctx.error("E0152", f"give one count, not {' and '.join(counts)}", tokens + (counts[1],), key=True)
    if counts:
        if negated:
            raise ctx.error("E0152", "a negated sequence takes no count", tokens + (counts[0],), key=True,
                            hints=["negate a counted sequence with $not, or use fewer_than"])
        n = spec[counts[0]]
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ctx.error("E0151", f"{counts[0]} takes a whole number", tokens + (counts[0],), ['e.g. "at_least": 2'])
        count = ast.EventCount(SEQUENCE_COUNTS[counts[0]], n)
    window = period(ctx, spec["window"], tokens + ("window",)) if "window" in spec else None
    return ast.Sequence(names["first"], names["then"], wheres["first_where"], wheres["then_where"], within, count,
                        window, negated, span=span if span is not None else ctx.span(tokens))
UNSUPPORTED = {
    "$all": "test each value: {\"$and\": [{\"deals.stage\": \"A\"}, {\"deals.stage\": \"B\"}]}",
    "$size": "count the related records in the text language: count(deals) = 2",
    "$type": "properties have one type, fixed by the schema",
    "$mod": "use the text language: (x - 2 * round(x / 2 - 0.5)) = 0 is not needed; write a calculated field",
    "$expr": "compare fields in the text language: `lifetime_value > total_spent`",
    "$where": "JavaScript is not supported; use the text language",
    "$text": "use $regex, or `contains` in the text language",
    "$jsonSchema": "validate documents elsewhere; segments test values",
    "$geoWithin": "geospatial queries are not supported", "$near": "geospatial queries are not supported",
    "$bitsAllSet": "bit tests are not supported",
}


def _conj(items, span):
    flat = []
    for item in items:
        flat.extend(item.items if isinstance(item, ast.And) else (item,))
    if len(flat) == 1:
        return flat[0]
    return ast.And(tuple(flat), span=span)


def everything(entity_key: str = "id", span: Span | None = None) -> ast.Node:
    """An empty filter `{}`: every record. (`key not in ()` is always true: the checker makes it a
    constant without looking at the operand.)"""
    return ast.InList(ast.Path((entity_key,)), (), negated=True, span=span or Span())


def is_everything(node) -> bool:
    return isinstance(node, ast.InList) and node.negated and not node.items


class MongoReader:
    def __init__(self, ctx: Ctx):
        self.ctx = ctx

    def error(self, *args, **kwargs):
        return self.ctx.error(*args, **kwargs)

    # -- filter level --
    def filter(self, obj, tokens, entity) -> ast.Node:
        ctx = self.ctx
        if len(tokens) > limits.MAX_JSON_DEPTH:
            raise self.error("E0155", "the filter is nested too deeply", tokens)
        if not isinstance(obj, dict):
            raise self.error("E0152", "a filter must be a JSON object such as {\"country\": \"US\"}", tokens)
        span = ctx.span(tokens)
        if not obj:
            return everything(entity.key if entity is not None else "id", span)
        items = []
        for key, value in obj.items():
            t = tokens + (key,)
            if not isinstance(key, str) or not key:
                raise self.error("E0152", "a field name must be a non-empty string", t, key=True)
            if key.startswith("$"):
                node = self.logical(key, value, t, entity)
                if node is not None:
                    items.append(node)
            else:
                items.append(self.field(key, value, t, entity))
        if not items:
            return everything(entity.key if entity is not None else "id", span)
        return _conj(items, span)

    def logical(self, op, value, tokens, entity):
        ctx = self.ctx
        span = ctx.span(tokens, key=True)
        if op in ("$and", "$or", "$nor"):
            if not isinstance(value, list) or not value:
                raise self.error("E0152", f"{op} takes a non-empty array of filters", tokens,
                                 [f'e.g. {{"{op}": [{{"country": "US"}}, {{"country": "CA"}}]}}'])
            parts = [self.filter(v, tokens + (i,), entity) for i, v in enumerate(value)]
            if op == "$and":
                return _conj(parts, span)
            either = parts[0] if len(parts) == 1 else ast.Or(tuple(parts), span=span)
            return either if op == "$or" else ast.Not(either, span=span)
        if op == "$not":  # seed 003's logical $not: the complement of a whole filter
            if not isinstance(value, dict):
                raise self.error("E0152", "$not takes a filter object", tokens,
                                 ['e.g. {"$not": {"country": "US"}}'])
            return ast.Not(self.filter(value, tokens, entity), span=span)
        if op == "$comment":
            return None
        if op == "$sequence":
            return sequence(ctx, value, tokens, entity, span=span)
        if op in FIELD_OPS:
            raise self.error("E0152", f"{op} applies to a field, not to a whole filter", tokens,
                             [f'e.g. {{"age": {{"{op}": ...}}}}'], key=True)
        raise self._unknown(op, tokens, LOGICAL_OPS)

    def _unknown(self, op, tokens, candidates):
        if op in UNSUPPORTED:
            return self.error("E0153", f"{op} is not supported", tokens, [UNSUPPORTED[op]], key=True)
        return self.error("E0153", f"unknown operator {op}", tokens,
                          did_you_mean(op, candidates) or [f"operators: {', '.join(candidates)}"], key=True)

    # -- field level --
    def path(self, name, tokens):
        parts = tuple(name.split("."))
        if any(not p for p in parts):
            raise self.error("E0152", f"{name!r} is not a field path", tokens,
                             ['write dotted paths as "organization.industry"'], key=True)
        return ast.Path(parts, span=self.ctx.span(tokens, key=True))

    def field(self, name, spec, tokens, entity) -> ast.Node:
        path = self.path(name, tokens)
        info = self.ctx.resolve(entity, path.parts)
        if isinstance(spec, dict) and spec and not (len(spec) == 1 and "$date" in spec):
            dollar = [k for k in spec if isinstance(k, str) and k.startswith("$")]
            if not dollar:
                raise self.error("E0152", f"{name}: matching a whole embedded document is not supported", tokens,
                                 [f'name the fields with dotted paths ("{name}.field": ...), or use '
                                  f'{{"{name}": {{"$elemMatch": {{...}}}}}} for one related record'])
            if len(dollar) != len(spec):
                other = next(k for k in spec if k not in dollar)
                raise self.error("E0152", f"{name}: operators and field names cannot be mixed", tokens + (other,),
                                 ["use dotted paths for fields of related records"], key=True)
            return self.operators(path, spec, tokens, info, entity)
        if isinstance(spec, dict) and not spec:
            raise self.error("E0152", f"{name}: an empty object is not a value", tokens,
                             ["give an operator such as {\"$exists\": true}"])
        if isinstance(spec, list):
            raise self.error("E0152", f"{name}: matching a whole array is not supported", tokens,
                             [f'to match any of several values write {{"{name}": {{"$in": [...]}}}}'])
        return self.one(path, "$eq", spec, tokens, info, entity, key_tokens=tokens, implicit=True)

    def operators(self, path, spec, tokens, info, entity) -> ast.Node:
        items = []
        if "$options" in spec and "$regex" not in spec:
            raise self.error("E0152", "$options needs $regex beside it", tokens + ("$options",), key=True)
        for op, value in spec.items():
            if op == "$options":
                continue
            items.append(self.one(path, op, value, tokens + (op,), info, entity, options=spec.get("$options"),
                                  options_tokens=tokens + ("$options",)))
        return _conj(items, self.ctx.span(tokens, key=True))

    def one(self, path, op, value, tokens, info, entity, *, key_tokens=None, implicit=False, options=None,
            options_tokens=None) -> ast.Node:
        ctx = self.ctx
        span = ctx.span(key_tokens or tokens, key=True)
        name = ".".join(path.parts)
        if info.kind == "relationship":
            return self.relationship_op(path, op, value, tokens, info, entity, span, implicit)
        ptype = info.type
        if op in COMPARE:
            if isinstance(value, dict) and not (len(value) == 1 and "$date" in value):
                raise self.error("E0152", f"{op} takes a value, not an object", tokens,
                                 ['a date can be written {"$date": "2024-01-01"}'])
            if isinstance(value, list):
                raise self.error("E0152", f"{op} takes one value, not an array", tokens,
                                 ['to match any of several values use {"$in": [...]}'])
            lit = ctx.literal(value, tokens, ptype, allow_null=op in ("$eq", "$ne"))
            return ast.Compare(COMPARE[op], path, lit, span=span)
        if op in ("$in", "$nin"):
            if not isinstance(value, list):
                raise self.error("E0152", f"{op} takes an array of values", tokens, [f'e.g. {{"{op}": ["US", "CA"]}}'])
            items = tuple(ctx.literal(v, tokens + (i,), ptype, allow_null=True) for i, v in enumerate(value))
            return ast.InList(path, items, negated=op == "$nin", span=span)
        if op == "$exists":
            if not isinstance(value, bool):
                raise self.error("E0152", "$exists takes true or false", tokens)
            if info.many_at:
                # MongoDB: some element has the field (a NULL value is an absent field, SPEC §2.4)
                prefix, rest = path.parts[:info.many_at], path.parts[info.many_at:]
                inner = ast.IsNull(ast.Path(rest, span=path.span), negated=True, span=span)
                return ast.Quantified("any" if value else "no", ast.Path(prefix, span=path.span), inner, span=span)
            return ast.IsNull(path, negated=value, span=span)
        if op == "$regex":
            if ptype not in (None, "string"):
                raise self.error("E0151", f"$regex matches strings, but {name} is a {ptype}", tokens)
            if not isinstance(value, str):
                raise self.error("E0152", "$regex takes a pattern string", tokens,
                                 ['e.g. {"$regex": "^acme", "$options": "i"}'])
            ignore_case = False
            if options is not None:
                if not isinstance(options, str) or set(options) - {"i"}:
                    raise self.error("E0152", f"unsupported $options {options!r}: only \"i\" is supported",
                                     options_tokens, ["segql's patterns are portable across databases; "
                                                      "m, s, x and u have no portable meaning"])
                ignore_case = "i" in options
            pattern = ast.Literal("string", value, span=ctx.span(tokens))
            return ast.TextMatch("matches", path, pattern, ignore_case=ignore_case, span=span)
        if op in TEXT_EXT:
            if ptype not in (None, "string"):
                raise self.error("E0151", f"{op} matches strings, but {name} is a {ptype}", tokens)
            if not isinstance(value, str):
                raise self.error("E0152", f"{op} takes a string", tokens)
            return ast.TextMatch(TEXT_EXT[op], path, ast.Literal("string", value, span=ctx.span(tokens)), span=span)
        if op == "$not":
            if isinstance(value, dict) and value and all(isinstance(k, str) and k.startswith("$") for k in value) \
                    and not (len(value) == 1 and "$date" in value):
                return ast.Not(self.operators(path, value, tokens, info, entity), span=span)
            raise self.error("E0152", "$not on a field takes operators, e.g. {\"$not\": {\"$gt\": 5}}", tokens,
                             ['to negate a whole filter write {"$not": {...}} or {"$nor": [{...}]}'])
        if op == "$elemMatch":
            kind = "property" if info.kind == "property" else "field"
            raise self.error("E0152", f"$elemMatch needs a to-many relationship, but {name} is a {kind}", tokens,
                             ["use $elemMatch on a relationship such as deals: "
                              '{"deals": {"$elemMatch": {"value": {"$gt": 5}, "stage": "Won"}}}'], key=True)
        if op in ("$within", "$olderThan", "$newerThan"):
            if ptype not in (None, "date", "timestamp"):
                raise self.error("E0151", f"{op} needs a date or timestamp, but {name} is a {ptype}", tokens)
            if op == "$within":
                return ast.InPeriod(path, period(ctx, value, tokens), span=span)
            amount, u = duration(ctx, value, tokens)
            age = ast.Duration(amount, u, ago=True, span=ctx.span(tokens))
            return ast.Compare(">" if op == "$olderThan" else "<", path, age, span=span)
        raise self._unknown(op, tokens, FIELD_OPS)

    def relationship_op(self, path, op, value, tokens, info, entity, span, implicit):
        name = ".".join(path.parts)
        many = info.rel.kind == "many"
        if op == "$elemMatch":
            if not many:
                raise self.error("E0152", f"$elemMatch needs a to-many relationship; {name} is to-one", tokens,
                                 [f'name its fields with dotted paths: "{name}.<field>"'], key=True)
            if not isinstance(value, dict):
                raise self.error("E0152", "$elemMatch takes a filter on the related records", tokens)
            if value and all(isinstance(k, str) and k.startswith("$") and k not in LOGICAL_OPS for k in value):
                raise self.error("E0152", f"the elements of {name} are records, not values: $elemMatch must name "
                                 "their fields", tokens,
                                 [f'e.g. {{"{name}": {{"$elemMatch": {{"value": {{"$gt": 5}}}}}}}}'])
            if not value:
                return ast.Quantified("any", path, None, span=span)
            inner = self.filter(value, tokens, info.target)
            return ast.Quantified("any", path, inner, span=span)
        if op == "$exists" and isinstance(value, bool):
            return ast.Quantified("any" if value else "no", path, None, span=span)
        if op in ("$eq", "$ne") and value is None:
            return ast.Quantified("no" if op == "$eq" else "any", path, None, span=span)
        if op == "$not" and isinstance(value, dict) and value:
            return ast.Not(self.operators(path, value, tokens, info, entity), span=span)
        if op.startswith("$") and op not in FIELD_OPS:
            raise self._unknown(op, tokens, FIELD_OPS)
        shown = "a value" if implicit else op
        raise self.error("E0152", f"{name} is a relationship; {shown} cannot be applied to it", tokens,
                         [f'compare one of its fields ("{name}.<field>")'
                          + (', or use {"$elemMatch": {...}} for one related record' if many else "")
                          + ', or test {"$exists": true}'], key=not implicit)


# ---- position tracking --------------------------------------------------------------------------
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(r"true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity")
_WS = re.compile(r"[ \t\r\n]*")


class _Scanner:
    """Where each JSON value and object key is in the text (the `json` module does not say), as
    pointer → (start offset, end offset). Also refuses duplicate keys and excessive nesting. The text
    has already been parsed by `json.loads`, so it is valid JSON."""

    def __init__(self, text: str, ctx: Ctx):
        self.text, self.ctx = text, ctx

    def run(self):
        self.value(self.skip(0), (), 0)

    def skip(self, i):
        return _WS.match(self.text, i).end()

    def value(self, i, tokens, depth):
        text, ctx = self.text, self.ctx
        if depth > limits.MAX_JSON_DEPTH:
            raise ctx.error("E0155", f"the JSON is nested more than {limits.MAX_JSON_DEPTH} levels deep", tokens)
        start = i
        c = text[i]
        if c == "{":
            i = self.skip(i + 1)
            seen = set()
            if text[i] == "}":
                i += 1
            else:
                while True:
                    m = _STRING.match(text, i)
                    key = json.loads(m.group())
                    child = tokens + (key,)
                    p = pointer(child)
                    ctx.keys[p] = (m.start(), m.end())
                    if key in seen:
                        ctx.values.pop(p, None)
                        raise ctx.error("E0154", f"key {key!r} is given twice in one object", child,
                                        ["JSON objects keep only one of them; combine the conditions with $and"],
                                        key=True)
                    seen.add(key)
                    i = self.skip(m.end())
                    i = self.skip(i + 1)  # ':'
                    i = self.skip(self.value(i, child, depth + 1))
                    if text[i] == ",":
                        i = self.skip(i + 1)
                        continue
                    i += 1  # '}'
                    break
        elif c == "[":
            i = self.skip(i + 1)
            n = 0
            if text[i] == "]":
                i += 1
            else:
                while True:
                    i = self.skip(self.value(i, tokens + (n,), depth + 1))
                    n += 1
                    if text[i] == ",":
                        i = self.skip(i + 1)
                        continue
                    i += 1
                    break
        elif c == '"':
            i = _STRING.match(text, i).end()
        else:
            i = _SCALAR.match(text, i).end()
        ctx.values[pointer(tokens)] = (start, i)
        return i
