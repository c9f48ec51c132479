"""Syntax tree + schema → typed IR (SPEC §2). Names resolve case-insensitively with "did you mean" hints;
every type error is found here, so lowering never sees an ill-typed node.

The MongoDB-style meaning of to-many paths is decided here, once, for every front end: a comparison on
`deals.value` becomes `Exists(deals, value …)`, its negation the complement, `is null` "no records or
some record missing it".
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from segql import ir, limits
from segql.clock import parse_iso
from segql.errors import NO_SPAN, CheckError, SegqlError, Span
from segql.schema import Entity, Relationship, Schema, did_you_mean
from segql.semantic.library import Library
from segql.syntax import ast

NUMERIC = ("integer", "number")
TEMPORAL = ("date", "timestamp")
SUB_DAY = ("second", "minute", "hour")
CALENDAR_UNITS = ("week", "month", "quarter", "year")


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _err(code, message, node_or_span, hints=()):
    span = node_or_span if isinstance(node_or_span, Span) else getattr(node_or_span, "span", NO_SPAN)
    return CheckError(code, message, span, [h for h in hints if h])


@dataclass
class Multi:
    """A path that crosses a to-many relationship: only usable as the operand of one comparison."""

    steps: tuple[Relationship, ...]  # relationships up to and including the last to-many one
    value: ir.Expr | None  # evaluated on the last to-many record (may itself use to-one paths)
    node: ast.Node


@dataclass
class Scope:
    entity: Entity
    lets: dict = field(default_factory=dict)  # name -> ast expr (segment-local calculated fields)
    let_spans: dict = field(default_factory=dict)


class Checker:
    def __init__(self, schema: Schema, library: Library | None = None):
        self.schema = schema
        self.library = library or Library()
        self.tz = ZoneInfo(schema.timezone)
        self._resolving: list[str] = []  # calculated fields / segments being resolved (cycle detection)
        self._segment_cache: dict[str, ir.Segment] = {}

    # ---- definitions ------------------------------------------------------------------------------
    def check_definition(self, d: ast.Definition) -> ir.Segment:
        if d.slug in self._segment_cache:
            return self._segment_cache[d.slug]
        entity = self.schema.entity(d.entity)
        if entity is None:
            raise _err("E0301", f"unknown entity {d.entity!r}", d.entity_span or d.span,
                       did_you_mean(d.entity, self.schema.entity_names())
                       or [f"entities: {', '.join(self.schema.entity_names())}"])
        if d.kind == "list":
            seg = ir.Segment(d.slug, entity.name, "list", None, d.title, d.description)
        else:
            scope = Scope(entity)
            for let in d.lets:
                found = entity.find(let.name)
                if found or let.name in scope.lets:
                    raise _err("E0310", f"{let.name!r} is already defined on {entity.name}", let)
                scope.lets[let.name] = let.expr
                scope.let_spans[let.name] = let.span
            if d.slug in self._resolving:
                raise self._cycle_error(d.slug, d.span)
            self._resolving.append(d.slug)
            try:
                condition = self.condition(d.condition, scope)
            finally:
                self._resolving.pop()
            seg = ir.Segment(d.slug, entity.name, "segment", condition, d.title, d.description)
        self._segment_cache[d.slug] = seg
        return seg

    def _cycle_error(self, name, span):
        start = self._resolving.index(name)
        chain = " → ".join(self._resolving[start:] + [name])
        return _err("E0309", f"circular reference: {chain}", span, ["break the cycle"])

    # ---- conditions -------------------------------------------------------------------------------
    def condition(self, node: ast.Node, scope: Scope) -> ir.Cond:
        value = self.expr(node, scope)
        return self.as_condition(value, node)

    def as_condition(self, value, node) -> ir.Cond:
        if isinstance(value, ir.Cond):
            return value
        if isinstance(value, Multi):
            if value.value is not None and value.value.type == "boolean":
                return self._lift(value, lambda v: ir.Compare("=", v, ir.Literal(True, "boolean")), 0)
            raise _err("E0305", "a to-many path is not a condition by itself", node,
                       [f"write `any {'.'.join(self._path_names(node))} (...)` or compare it"])
        if getattr(value, "type", None) == "boolean":
            return ir.Compare("=", value, ir.Literal(True, "boolean"))
        kind = getattr(value, "type", "value")
        raise _err("E0302", f"expected a condition, found {_a(kind)} value", node,
                   ["compare it with something, e.g. `x > 5`"])

    def _path_names(self, node):
        return node.parts if isinstance(node, ast.Path) else ["relationship"]

    def expr(self, node: ast.Node, scope: Scope):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:  # pragma: no cover - every node kind has a method
            raise _err("E0399", f"unsupported construct {type(node).__name__}", node)
        return method(node, scope)

    def _Parens(self, node, scope):
        return self.expr(node.item, scope)

    def _And(self, node, scope):
        if not node.items:  # an empty filter ({} in JSON) holds for every record
            return ir.Const(True)
        return ir.And(tuple(self.condition(i, scope) for i in node.items))

    def _Or(self, node, scope):
        if not node.items:
            return ir.Const(False)
        return ir.Or(tuple(self.condition(i, scope) for i in node.items))

    def _Not(self, node, scope):
        return ir.Not(self.condition(node.item, scope))

    # ---- values -----------------------------------------------------------------------------------
    def _Literal(self, node, scope):
        if node.kind == "number":
            v = node.value
            if isinstance(v, Decimal):
                return ir.Literal(v, "number")
            return ir.Literal(v, "integer")
        if node.kind == "null":
            return ir.Literal(None, "null")
        if node.kind == "timestamp":
            return ir.Literal(self._naive(node.value), "timestamp")
        return ir.Literal(node.value, node.kind)

    def _naive(self, value: dt.datetime) -> dt.datetime:
        """Timestamps with an offset become wall-clock time in the schema's zone (SPEC §2.5)."""
        if value.tzinfo is not None:
            value = value.astimezone(self.tz).replace(tzinfo=None)
        return value

    def _Keyword(self, node, scope):
        return ir.Now() if node.name == "now" else ir.Today()

    def _Duration(self, node, scope):
        hint = f"write `{node.amount} {node.unit}s ago`, or `today - {node.amount} {node.unit}s`"
        if node.ago:
            raise _err("E0306", f"`{node.amount} {node.unit}s ago` can only be compared with a date or timestamp",
                       node, ["e.g. `last_purchase < 30 days ago`"])
        raise _err("E0306", "a duration can only be added to or subtracted from a date or timestamp", node, [hint])

    def _Path(self, node, scope):
        steps, terminal = self.resolve_path(node, scope)
        if terminal is None:
            rel = steps[-1]
            if rel.kind == "many":
                return Multi(tuple(steps), None, node)
            raise _err("E0305", f"{'.'.join(node.parts)} is a relationship, not a value", node,
                       [f"write `{'.'.join(node.parts)}.<property>`, or `any {'.'.join(node.parts)} (...)`"])
        if any(s.kind == "many" for s in steps):
            last_many = max(i for i, s in enumerate(steps) if s.kind == "many")
            value = self._wrap_to_one(steps[last_many + 1:], terminal)
            return Multi(tuple(steps[:last_many + 1]), value, node)
        return self._wrap_to_one(steps, terminal)

    @staticmethod
    def _wrap_to_one(steps, terminal):
        value = terminal
        for rel in reversed(steps):
            value = ir.ToOne(rel, value)
        return value

    def resolve_path(self, node: ast.Path, scope: Scope):
        """Walk `a.b.c`: relationships then (optionally) a property or calculated field at the end."""
        entity, steps = scope.entity, []
        spans = node.part_spans or (node.span,) * len(node.parts)
        for i, part in enumerate(node.parts):
            last = i == len(node.parts) - 1
            if i == 0 and part in scope.lets:
                if not last:
                    raise _err("E0303", f"{part!r} is a calculated field, not a relationship", spans[i])
                return steps, self._calculated(part, scope.lets[part], scope, scope.let_spans.get(part, spans[i]))
            name = entity.find(part)
            if name is None:
                candidates = entity.member_names() + (list(scope.lets) if i == 0 else [])
                hints = did_you_mean(part, candidates)
                if not hints:
                    hints = [f"{entity.name} has: {', '.join(sorted(candidates))}"]
                raise _err("E0301", f"{entity.name} has no property or relationship {part!r}", spans[i], hints)
            if name in entity.relationships:
                rel = entity.relationships[name]
                steps.append(rel)
                entity = self.schema.entities[rel.target]
                continue
            if not last:
                raise _err("E0303", f"{name!r} is a property of {entity.name}, not a relationship",
                           spans[i + 1], [f"{name} has no fields of its own"])
            if name in entity.properties:
                prop = entity.properties[name]
                return steps, ir.Column(entity.name, prop, 0, prop.name == entity.key)
            sub = Scope(entity)
            return steps, self._calculated(name, _parse_formula(entity, name), sub, entity.calculated_spans.get(name))
        return steps, None

    def _calculated(self, name, formula_ast, scope: Scope, span):
        key = f"{scope.entity.name}.{name}"
        if key in self._resolving:
            start = self._resolving.index(key)
            chain = " → ".join(self._resolving[start:] + [key])
            raise _err("E0309", f"circular calculated field: {chain}", span or NO_SPAN)
        self._resolving.append(key)
        try:
            value = self.expr(formula_ast, scope)
        finally:
            self._resolving.pop()
        if isinstance(value, Multi):
            raise _err("E0305", f"calculated field {name!r} uses a to-many path as a value", span or NO_SPAN,
                       ["use an aggregate such as count(...) or sum(...)"])
        return value

    def _Unary(self, node, scope):
        value = self.scalar(node.operand, scope)
        if value.type not in NUMERIC:
            raise _err("E0302", f"cannot negate a {value.type} value", node)
        if isinstance(value, ir.Literal):
            return ir.Literal(-value.value, value.type)
        return ir.Negate(value)

    def scalar(self, node, scope, what="a value"):
        value = self.expr(node, scope)
        if isinstance(value, Multi):
            path = ".".join(node.parts) if isinstance(node, ast.Path) else "this path"
            rel = ".".join(node.parts[:-1]) if isinstance(node, ast.Path) and len(node.parts) > 1 else "relationship"
            raise _err("E0305", f"{path} has many values (it crosses a to-many relationship) and cannot be used as {what} here",
                       node, [f"use `any {rel} (...)`, `all {rel} (...)`, `no {rel} (...)` or an aggregate such as "
                              f"`max({path})`"])
        if isinstance(value, ir.Literal) and value.type == "null":
            raise _err("E0302", "null can only be compared with `=`/`!=` or tested with `is null`", node)
        return value

    def _Binary(self, node, scope):
        left_node, right_node = node.left, node.right
        if isinstance(right_node, ast.Duration) and not right_node.ago and node.op in "+-":
            base = self.scalar(left_node, scope)
            return self._shift(base, right_node, -1 if node.op == "-" else 1, node)
        if isinstance(left_node, ast.Duration) and not left_node.ago and node.op == "+":
            base = self.scalar(right_node, scope)
            return self._shift(base, left_node, 1, node)
        left, right = self.scalar(left_node, scope), self.scalar(right_node, scope)
        if node.op == "-" and left.type in TEMPORAL and right.type in TEMPORAL:
            return ir.Func("days_between", (self._as_date(left), self._as_date(right)), "integer")
        for side, value in ((left_node, left), (right_node, right)):
            if value.type not in NUMERIC:
                raise _err("E0302", f"cannot use {node.op} on a {value.type} value", side,
                           ["arithmetic works on integer and number values"])
        if node.op == "/":
            return ir.Arith("/", left, right, "number")
        kind = "integer" if left.type == right.type == "integer" else "number"
        return ir.Arith(node.op, left, right, kind)

    def _as_date(self, value):
        return value if value.type == "date" else ir.Func("date_of", (value,), "date")

    def _shift(self, base, duration: ast.Duration, sign, node):
        if base.type not in TEMPORAL:
            raise _err("E0306", f"cannot add a duration to a {base.type} value", node,
                       ["durations apply to dates and timestamps, e.g. `today - 30 days`"])
        if base.type == "date" and duration.unit in SUB_DAY:
            base = ir.Func("to_timestamp", (base,), "timestamp")
        return ir.Shift(base, sign * duration.amount, duration.unit)

    # ---- functions and aggregates -----------------------------------------------------------------
    def _Call(self, node, scope):
        name = node.name
        if name in ("count", "sum", "avg", "min", "max"):
            return self._aggregate(node, scope)
        if node.where is not None:
            raise _err("E0304", f"`where` is only allowed in count/sum/avg/min/max, not in {name}()", node.where)
        args = node.args
        date_parts = {"year": "year", "month": "month", "day": "day", "day_of_week": "isodow",
                      "dayofweek": "isodow", "weekday": "isodow"}

        def arity(n, shown=None):
            if len(args) != n:
                raise _err("E0304", f"{name}() takes {shown or n} argument{'s' if n != 1 else ''}, "
                           f"got {len(args)}", node, [self._signature(name)])

        if name in date_parts:
            arity(1)
            value = self.scalar(args[0], scope, "an argument")
            if value.type not in TEMPORAL:
                raise _err("E0304", f"{name}() needs a date or timestamp, got {value.type}", args[0],
                           [self._signature(name)])
            return ir.Func(date_parts[name], (value,), "integer")
        if name in ("current_month", "current_year", "current_day"):
            arity(0)
            return ir.Func(name.split("_")[1], (ir.Today(),), "integer")
        if name in ("today", "now"):
            arity(0)
            return ir.Today() if name == "today" else ir.Now()
        if name in ("lower", "upper", "length"):
            arity(1)
            value = self.scalar(args[0], scope, "an argument")
            if value.type != "string":
                raise _err("E0304", f"{name}() needs a string, got {value.type}", args[0], [self._signature(name)])
            return ir.Func(name, (value,), "integer" if name == "length" else "string")
        if name == "abs":
            arity(1)
            value = self.scalar(args[0], scope, "an argument")
            if value.type not in NUMERIC:
                raise _err("E0304", f"abs() needs a number, got {value.type}", args[0], [self._signature(name)])
            return ir.Func("abs", (value,), value.type)
        if name == "round":
            if len(args) not in (1, 2):
                arity(1, "1 or 2")
            value = self.scalar(args[0], scope, "an argument")
            if value.type not in NUMERIC:
                raise _err("E0304", f"round() needs a number, got {value.type}", args[0], [self._signature(name)])
            digits = 0
            if len(args) == 2:
                d = args[1]
                if not (isinstance(d, ast.Literal) and d.kind == "number" and isinstance(d.value, int)):
                    raise _err("E0304", "round()'s second argument must be a whole number of digits", d)
                digits = d.value
                if digits > 15:
                    raise _err("E0304", "round() keeps at most 15 digits", d)
            return ir.Func("round", (value, ir.Literal(digits, "integer")), "number")
        if name == "coalesce":
            if len(args) < 2:
                raise _err("E0304", "coalesce() takes at least 2 arguments", node, [self._signature(name)])
            values = [self.scalar(a, scope, "an argument") for a in args]
            kind = self._common_type(values, args, "coalesce()")
            values = [self._coerce_to(v, kind) for v in values]
            return ir.Func("coalesce", tuple(values), kind)
        if name == "anniversary":
            arity(1)
            value = self.scalar(args[0], scope, "an argument")
            if value.type not in TEMPORAL:
                raise _err("E0304", f"anniversary() needs a date or timestamp, got {value.type}", args[0])
            return self._anniversary(value)
        known = ["year", "month", "day", "day_of_week", "current_month", "current_year", "lower", "upper",
                 "length", "abs", "round", "coalesce", "anniversary", "count", "sum", "avg", "min", "max"]
        raise _err("E0304", f"unknown function {name}()", node.name_span or node,
                   did_you_mean(name, known) or [f"functions: {', '.join(known)}"])

    @staticmethod
    def _signature(name):
        return {
            "year": "year(date or timestamp) → integer", "month": "month(date or timestamp) → 1..12",
            "day": "day(date or timestamp) → 1..31", "day_of_week": "day_of_week(date or timestamp) → 1 (Monday)..7",
            "lower": "lower(string) → string", "upper": "upper(string) → string", "length": "length(string) → integer",
            "abs": "abs(number) → number", "round": "round(number[, digits]) → number",
            "coalesce": "coalesce(a, b, ...) → the first present value", "count": "count(relationship [where ...])",
            "sum": "sum(relationship.property [where ...])", "current_month": "current_month() → 1..12",
        }.get(name, f"{name}(...)")

    def _anniversary(self, value):
        """True on x's month and day; a Feb 29 anniversary falls on Feb 28 in other years (SPEC §2.5)."""
        today = ir.Today()
        month = lambda e: ir.Func("month", (e,), "integer")  # noqa: E731
        day = lambda e: ir.Func("day", (e,), "integer")  # noqa: E731
        lit = lambda n: ir.Literal(n, "integer")  # noqa: E731
        same_month = ir.Compare("=", month(value), month(today))
        same_day = ir.Compare("=", day(value), day(today))
        leap_case = ir.And((
            ir.Compare("=", month(value), lit(2)), ir.Compare("=", day(value), lit(29)),
            ir.Compare("=", month(today), lit(2)), ir.Compare("=", day(today), lit(28)),
            ir.Compare("=", day(ir.Shift(today, 1, "day")), lit(1)),  # today is the last day of February
        ))
        return ir.Or((ir.And((same_month, same_day)), leap_case))

    def _aggregate(self, node, scope):
        name = node.name
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Path):
            raise _err("E0304", f"{name}() takes one relationship path", node, [self._signature(name)])
        path = node.args[0]
        steps, terminal = self.resolve_path(path, scope)
        many = [i for i, s in enumerate(steps) if s.kind == "many"]
        if not many:
            what = "to-one relationship" if steps else "property"
            raise _err("E0307", f"{name}() needs a to-many relationship, but {'.'.join(path.parts)} is a "
                       f"{what}", path, ["aggregates count or combine the records of a to-many relationship"])
        if len(many) > 1:
            raise _err("E0307", f"{name}() over more than one to-many relationship is not supported", path,
                       ["aggregate over one relationship, or define a calculated field on the related entity"])
        i = many[0]
        rel = steps[i]
        target = self.schema.entities[rel.target]
        inner_value = self._wrap_to_one(steps[i + 1:], terminal) if terminal is not None else None
        if name == "count":
            value = inner_value  # count(deals.stage) counts records where stage is present
            kind = "integer"
        else:
            if inner_value is None:
                raise _err("E0304", f"{name}() needs a property: {name}({'.'.join(path.parts)}.<property>)", path)
            if name in ("sum", "avg") and inner_value.type not in NUMERIC:
                raise _err("E0304", f"{name}() needs a number, got {inner_value.type}", path)
            value = inner_value
            kind = {"sum": inner_value.type, "avg": "number"}.get(name, inner_value.type)
        where = self.condition(node.where, Scope(target)) if node.where is not None else None
        agg = ir.Aggregate(name, rel, value, where, kind)
        return self._wrap_to_one(steps[:i], agg)

    # ---- comparisons ------------------------------------------------------------------------------
    def _Compare(self, node, scope):
        op = node.op
        left_node, right_node = node.left, node.right
        if isinstance(left_node, ast.Duration) and left_node.ago and not (
                isinstance(right_node, ast.Duration) and right_node.ago):
            flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "before": "after", "after": "before"}
            left_node, right_node, op = right_node, left_node, flipped.get(op, op)
        if isinstance(right_node, ast.Duration) and right_node.ago:
            return self._compare_age(op, left_node, right_node, scope, node)
        if isinstance(right_node, ast.Literal) and right_node.kind == "null" or (
                isinstance(left_node, ast.Literal) and left_node.kind == "null"):
            other = left_node if isinstance(right_node, ast.Literal) and right_node.kind == "null" else right_node
            if op not in ("=", "!="):
                raise _err("E0302", f"null cannot be compared with {op}", node,
                           ["write `x is null` or `x is not null`"])
            cond = self._is_null(other, scope)
            return cond if op == "=" else ir.Not(cond)
        left, right = self.expr(left_node, scope), self.expr(right_node, scope)
        sql_op = {"before": "<", "after": ">", "!=": "="}.get(op, op)

        def build(lv, rv):
            lv, rv = self._coerce_pair(lv, rv, left_node, right_node, node)
            if op in ("before", "after") and lv.type not in TEMPORAL:
                raise _err("E0302", f"`{op}` compares dates and timestamps, not {lv.type} values", node)
            if lv.type == "boolean" and sql_op not in ("=",):
                raise _err("E0302", "booleans can only be compared with = or !=", node)
            if {lv.type, rv.type} == {"date", "timestamp"}:
                # `=` compares calendar days; ordering promotes the date to 00:00 (SPEC §2.5)
                lv, rv = (self._as_date(lv), self._as_date(rv)) if sql_op == "=" else self._align_temporal(lv, rv)
            return ir.Compare(sql_op, lv, rv)

        cond = self._combine(left, right, build, node)
        return ir.Not(cond) if op == "!=" else cond

    def _combine(self, left, right, build, node):
        """Apply a comparison builder, lifting to-many operands into `Exists` (SPEC §2.4)."""
        if isinstance(left, Multi) and isinstance(right, Multi):
            raise _err("E0305", "both sides cross to-many relationships", node,
                       ["compare one of them with an aggregate, e.g. `max(deals.value) > min(payments.amount)`"])
        if isinstance(left, Multi):
            self._need_value(left, node)
            return self._lift(left, lambda v: build(v, ir.shift_scopes(right, len(left.steps))), 0)
        if isinstance(right, Multi):
            self._need_value(right, node)
            return self._lift(right, lambda v: build(ir.shift_scopes(left, len(right.steps)), v), 0)
        for value, side in ((left, node.left), (right, node.right)):
            if isinstance(value, ir.Literal) and value.type == "null":
                raise _err("E0302", "null can only be compared with = or !=", side)
        return build(left, right)

    def _need_value(self, multi, node):
        if multi.value is None:
            raise _err("E0305", "a to-many relationship cannot be compared as a value", multi.node,
                       ["compare one of its properties, or count it: `count(deals) > 2`"])

    def _lift(self, multi: Multi, inner_builder, _unused) -> ir.Cond:
        cond = inner_builder(multi.value)
        for rel in reversed(multi.steps):
            cond = ir.Exists(rel, cond)
        return cond

    def _exists_chain(self, steps, cond):
        for rel in reversed(steps):
            cond = ir.Exists(rel, cond)
        return cond

    def _is_null(self, node, scope) -> ir.Cond:
        value = self.expr(node, scope)
        if isinstance(value, Multi):
            if value.value is None:
                raise _err("E0305", "test a relationship's records with `no rel` / `any rel`", node)
            # MongoDB's {"deals.stage": null}: no related records, or some record missing the value
            return ir.Or((ir.Not(self._exists_chain(value.steps, None)),
                          self._exists_chain(value.steps, ir.IsNull(value.value))))
        if isinstance(value, ir.Cond):
            raise _err("E0302", "a condition is never null", node)
        if isinstance(value, ir.Literal):
            return ir.Const(value.value is None)
        return ir.IsNull(value)

    def _coerce_pair(self, lv, rv, lnode, rnode, node):
        lv = self._read_literal(lv, rv, lnode)
        rv = self._read_literal(rv, lv, rnode)
        lt, rt = lv.type, rv.type
        if lt == rt or (lt in NUMERIC and rt in NUMERIC):
            return lv, rv
        if {lt, rt} == {"date", "timestamp"}:
            return lv, rv  # promoted or compared as days by the caller
        raise _err("E0302", f"cannot compare {lt} with {rt}", node, self._compare_hint(lt, rt))

    @staticmethod
    def _compare_hint(lt, rt):
        if "string" in (lt, rt) and {lt, rt} & set(NUMERIC):
            return ["write numbers without quotes, or compare with a string property"]
        if {lt, rt} & set(TEMPORAL):
            return ['write a date as "YYYY-MM-DD", or a relative time such as `30 days ago`']
        return []

    def _read_literal(self, value, other, node):
        """A string literal compared with a date/timestamp operand is read as one (SPEC §2.5)."""
        if not (isinstance(value, ir.Literal) and value.type == "string"):
            return value
        other_type = getattr(other, "type", None) if not isinstance(other, Multi) else (
            other.value.type if other.value is not None else None)
        if other_type == "date":
            try:
                return ir.Literal(dt.date.fromisoformat(value.value), "date")
            except ValueError:
                try:
                    stamp = self._naive(parse_iso(value.value))
                    return ir.Literal(stamp, "timestamp")
                except ValueError:
                    raise _err("E0105", f"{value.value!r} is not a date", node,
                               ['write dates as "YYYY-MM-DD"']) from None
        if other_type == "timestamp":
            try:
                return ir.Literal(self._naive(parse_iso(value.value)), "timestamp")
            except ValueError:
                raise _err("E0105", f"{value.value!r} is not a timestamp", node,
                           ['write "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[+HH:MM|Z]"']) from None
        return value

    def _coerce_to(self, value, kind):
        if value.type == kind or (value.type in NUMERIC and kind in NUMERIC):
            return value
        if value.type == "date" and kind == "timestamp":
            return ir.Func("to_timestamp", (value,), "timestamp")
        if isinstance(value, ir.Literal) and value.type == "string" and kind in TEMPORAL:
            return self._read_literal(value, ir.Literal(None, kind), None)
        return value

    def _common_type(self, values, nodes, what):
        kinds = {v.type for v in values}
        if len(kinds) == 1:
            return kinds.pop()
        if kinds <= set(NUMERIC):
            return "number"
        if kinds <= set(TEMPORAL):
            return "timestamp"
        if kinds <= {"string", "date"} or kinds <= {"string", "timestamp"}:
            return (kinds - {"string"}).pop()
        raise _err("E0302", f"{what} mixes {' and '.join(sorted(kinds))} values", nodes[0])

    # ---- relative time ----------------------------------------------------------------------------
    def _temporal_operand(self, node, scope, what):
        value = self.expr(node, scope)
        inner = value.value if isinstance(value, Multi) else value
        if inner is None or getattr(inner, "type", None) not in TEMPORAL:
            kind = getattr(inner, "type", "relationship")
            raise _err("E0306", f"{what} needs a date or timestamp, but this is {_a(kind)} value", node,
                       ["relative times compare dates and timestamps"])
        return value

    def _point(self, value_type, amount, unit):
        """The point in time `amount units ago` on the scale of a date or timestamp operand."""
        if value_type == "date" and unit not in SUB_DAY:
            return ir.Shift(ir.Today(), -amount, unit), "date"
        return ir.Shift(ir.Now(), -amount, unit), "timestamp"

    def _promote(self, value, kind):
        if kind == "timestamp" and value.type == "date":
            return ir.Func("to_timestamp", (value,), "timestamp")
        return value

    def _compare_age(self, op, left_node, ago: ast.Duration, scope, node):
        value = self._temporal_operand(left_node, scope, f"`{ago.amount} {ago.unit}s ago`")
        age_ops = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "before": "<", "after": ">"}

        def build(v):
            point, kind = self._point(v.type, ago.amount, ago.unit)
            v = self._promote(v, kind)
            if op in ("=", "!="):
                if ago.unit in SUB_DAY:
                    raise _err("E0306", f"`= {ago.amount} {ago.unit}s ago` is a moving instant", node,
                               ["compare with < or >, or use days"])
                day = ir.Shift(ir.Today(), -ago.amount, ago.unit)
                return ir.Compare("=", self._as_date(v), day)
            return ir.Compare(age_ops[op], v, point)

        cond = self._lift(value, build, 0) if isinstance(value, Multi) else build(value)
        return ir.Not(cond) if op == "!=" else cond

    def _window(self, value: ir.Expr, period: ast.Period, node) -> ir.Cond:
        """`value in last N units` / `in this month` / `in last month` / `between N and M units ago`."""
        if period.kind == "rolling":
            if period.amount < 1:
                raise _err("E0306", "a window needs at least 1 unit", period)
            if value.type == "date" and period.unit not in SUB_DAY:
                # the N days (weeks, …) ending today: today - N < x <= today
                return ir.And((ir.Compare(">", value, ir.Shift(ir.Today(), -period.amount, period.unit)),
                               ir.Compare("<=", value, ir.Today())))
            value = self._promote(value, "timestamp")
            return ir.And((ir.Compare(">=", value, ir.Shift(ir.Now(), -period.amount, period.unit)),
                           ir.Compare("<=", value, ir.Now())))
        if period.kind == "between":
            low, high = sorted((period.amount, period.amount2))
            p_old, kind = self._point(value.type, high, period.unit)
            p_new, _ = self._point(value.type, low, period.unit)
            value = self._promote(value, kind)
            return ir.And((ir.Compare(">=", value, p_old), ir.Compare("<=", value, p_new)))
        unit = period.unit
        start = ir.Func("trunc", (ir.Today(), ir.Literal(unit, "string")), "date")
        if period.kind == "last":
            start = ir.Shift(start, -1, unit)
        end = ir.Shift(start, 1, unit)
        if value.type == "timestamp":
            start, end = (ir.Func("to_timestamp", (start,), "timestamp"), ir.Func("to_timestamp", (end,), "timestamp"))
        return ir.And((ir.Compare(">=", value, start), ir.Compare("<", value, end)))

    def _InPeriod(self, node, scope):
        value = self._temporal_operand(node.operand, scope, "`in last/this ...`")
        cond = self._lift(value, lambda v: self._window(v, node.period, node), 0) if isinstance(value, Multi) \
            else self._window(value, node.period, node)
        return ir.Not(cond) if node.negated else cond

    # ---- other predicates -------------------------------------------------------------------------
    def _InList(self, node, scope):
        if not node.items:
            cond = ir.Const(False)
            return ir.Not(cond) if node.negated else cond
        operand = self.expr(node.operand, scope)
        has_null = any(isinstance(i, ast.Literal) and i.kind == "null" for i in node.items)
        items = [i for i in node.items if not (isinstance(i, ast.Literal) and i.kind == "null")]
        values = [self.scalar(i, scope) for i in items]

        def build(v):
            vals = []
            for item_node, iv in zip(items, values):
                iv = self._read_literal(iv, v, item_node)
                a, b = self._coerce_pair(v, iv, node.operand, item_node, item_node)
                if {a.type, b.type} == {"date", "timestamp"}:
                    raise _err("E0302", f"cannot mix {a.type} and {b.type} in `in`", item_node)
                vals.append(b)
            return ir.InValues(v, tuple(vals)) if vals else ir.Const(False)

        if isinstance(operand, Multi):
            self._need_value(operand, node)
            # the items are read inside the related record's scope, as `_Between` does for its bounds
            values = [ir.shift_scopes(v, len(operand.steps)) for v in values]
            cond = self._lift(operand, build, 0)
        else:
            cond = build(operand)
        if has_null:
            cond = ir.Or((cond, self._is_null(node.operand, scope)))
        return ir.Not(cond) if node.negated else cond

    def _Between(self, node, scope):
        if isinstance(node.high, ast.Duration) and node.high.ago:
            low = node.low
            if isinstance(low, ast.Duration) and low.ago:
                amount = low.amount
                if low.unit != node.high.unit:
                    raise _err("E0306", "both ends of `between ... ago` need the same unit", node)
            elif isinstance(low, ast.Literal) and low.kind == "number" and isinstance(low.value, int):
                amount = low.value
            else:
                raise _err("E0306", "write `between 30 and 60 days ago`", node)
            period = ast.Period("between", node.high.unit, amount, node.high.amount, span=node.span)
            return self._InPeriod(ast.InPeriod(node.operand, period, node.negated, span=node.span), scope)
        operand = self.expr(node.operand, scope)
        low, high = self.scalar(node.low, scope), self.scalar(node.high, scope)

        def build(v):
            lo = self._read_literal(low, v, node.low)
            hi = self._read_literal(high, v, node.high)
            a, lo = self._coerce_pair(v, lo, node.operand, node.low, node)
            a, hi = self._coerce_pair(a, hi, node.operand, node.high, node)
            if a.type == "boolean":
                raise _err("E0302", "between needs numbers, strings, dates or timestamps", node)
            a, lo, hi = self._align_temporal(a, lo, hi)
            return ir.And((ir.Compare(">=", a, lo), ir.Compare("<=", a, hi)))

        if isinstance(operand, Multi):
            self._need_value(operand, node)
            n = len(operand.steps)
            low, high = ir.shift_scopes(low, n), ir.shift_scopes(high, n)
            cond = self._lift(operand, build, 0)
        else:
            cond = build(operand)
        return ir.Not(cond) if node.negated else cond

    def _align_temporal(self, *values):
        if {v.type for v in values} == {"date", "timestamp"}:
            return tuple(self._promote(v, "timestamp") for v in values)
        return values

    def _IsNull(self, node, scope):
        cond = self._is_null(node.operand, scope)
        return ir.Not(cond) if node.negated else cond

    def _IsEmpty(self, node, scope):
        value = self.expr(node.operand, scope)
        inner = value.value if isinstance(value, Multi) else value
        if getattr(inner, "type", None) != "string":
            raise _err("E0302", "`is empty` tests strings", node, ["use `is null` for other values"])
        if isinstance(value, Multi):
            cond = ir.Or((ir.Not(self._exists_chain(value.steps, None)),
                          self._exists_chain(value.steps, ir.Or((ir.IsNull(value.value),
                                                                 ir.Compare("=", value.value, ir.Literal("", "string")))))))
        else:
            cond = ir.Or((ir.IsNull(value), ir.Compare("=", value, ir.Literal("", "string"))))
        return ir.Not(cond) if node.negated else cond

    def _TextMatch(self, node, scope):
        operand = self.expr(node.operand, scope)
        pattern = node.pattern
        if not (isinstance(pattern, ast.Literal) and pattern.kind == "string"):
            raise _err("E0308", f"`{node.op}` needs a string literal on the right", pattern,
                       ['e.g. `email contains "@company.com"`'])
        text = pattern.value
        if node.op == "matches":
            import segql.semantic.regex as regex

            try:
                regex.validate(text)
            except SegqlError as err:
                raise _err(err.code, err.message, pattern, err.hints) from None

        def build(v):
            if v.type != "string":
                raise _err("E0302", f"`{node.op}` needs a string, got {_a(v.type)} value", node.operand,
                           ["compare numbers with = < >"])
            if node.op == "matches":
                return ir.Regex(v, text, node.ignore_case)
            return ir.TextMatch(node.op, v, text)

        if isinstance(operand, Multi):
            self._need_value(operand, node)
            cond = self._lift(operand, build, 0)
        else:
            if isinstance(operand, ir.Literal) and operand.type == "null":
                raise _err("E0302", "null cannot be matched", node.operand)
            cond = build(operand)
        return ir.Not(cond) if node.negated else cond

    # ---- quantifiers, events, references ----------------------------------------------------------
    def _Quantified(self, node, scope):
        steps, terminal = self.resolve_path(node.path, scope)
        if terminal is not None or not steps:
            raise _err("E0305", f"`{node.quantifier}` needs a relationship, but {'.'.join(node.path.parts)} "
                       "is not one", node.path, [f"e.g. `{node.quantifier} deals (value > 100)`"])
        target = self.schema.entities[steps[-1].target]
        inner = self.condition(node.condition, Scope(target)) if node.condition is not None else None
        if node.quantifier == "any":
            return self._exists_chain(steps, inner)
        if node.quantifier == "no":
            return ir.Not(self._exists_chain(steps, inner))
        return ir.Not(self._exists_chain(steps, ir.Not(inner)))  # all: none fails (true when there are none)

    def _Performed(self, node, scope):
        entity = scope.entity
        streams = [r for r in entity.relationships.values()
                   if r.kind == "many" and self.schema.entities[r.target].is_event_stream]
        if not streams:
            raise _err("E0312", f"{entity.name} has no event stream", node,
                       ["give a related entity `event: {name: <property>, time: <property>}` in the schema"])
        if len(streams) > 1:
            raise _err("E0312", f"{entity.name} has several event streams ({', '.join(r.name for r in streams)})",
                       node, [f"count one explicitly: count({streams[0].name} where name = \"...\") >= 1"])
        rel = streams[0]
        events = self.schema.entities[rel.target]
        inner_scope = Scope(events)
        name_col = ir.Column(events.name, events.properties[events.event_name])
        parts: list[ir.Cond] = [ir.Compare("=", name_col, ir.Literal(node.event, "string"))]
        if node.where is not None:
            parts.append(self.condition(node.where, inner_scope))
        if node.window is not None:
            time_col = ir.Column(events.name, events.properties[events.event_time])
            parts.append(self._window(time_col, node.window, node))
        where = parts[0] if len(parts) == 1 else ir.And(tuple(parts))
        op, n = (node.count.op, node.count.count) if node.count else (">=", 1)
        if node.negated:
            op, n = ">=", 1
        # counts that only ask "any?" or "none?" are semi-joins; others count
        if (op, n) in ((">=", 1), (">", 0)):
            cond = ir.Exists(rel, where)
        elif (op, n) in (("<", 1), ("<=", 0), ("=", 0)):
            cond = ir.Not(ir.Exists(rel, where))
        else:
            cond = ir.Compare(op, ir.Aggregate("count", rel, None, where, "integer"), ir.Literal(n, "integer"))
        return ir.Not(cond) if node.negated else cond

    def _InSegment(self, node, scope):
        entity = scope.entity
        steps = []
        if node.subject is not None:
            steps, terminal = self.resolve_path(node.subject, scope)
            if terminal is not None or not steps:
                raise _err("E0305", f"{'.'.join(node.subject.parts)} is not a relationship", node.subject,
                           [f"write `in {node.kind} {node.slug}` for this record"])
            entity = self.schema.entities[steps[-1].target]
        if node.kind == "list":
            if self.schema.lists is None:
                raise _err("E0313", "the schema has no `lists:` table for static lists", node,
                           ["add `lists: {table: list_members, list: list_slug, member: member_key}`"])
            cond: ir.Cond = ir.InList(node.slug)
        else:
            found = self.library.find(node.slug)
            if found is None:
                raise _err("E0314", f"unknown segment {node.slug!r}", node.slug_span or node,
                           did_you_mean(node.slug, list(self.library.definitions)) or
                           ["segments are looked up in the files given and the *.segql files beside them"])
            definition, _doc = found
            if definition.slug in self._resolving:
                raise self._cycle_error(definition.slug, node.span)
            target = self.check_definition(definition)
            if target.entity != entity.name:
                raise _err("E0315", f"segment {node.slug!r} is on {target.entity}, not {entity.name}", node,
                           [f"reach it through a relationship: `<relationship> in segment {node.slug}`"])
            if target.kind == "list":
                cond = ir.InList(node.slug)
            else:
                cond = ir.SegmentRef(node.slug, target.condition)
        cond = self._exists_chain(steps, cond)
        return ir.Not(cond) if node.negated else cond


def _parse_formula(entity: Entity, name: str):
    from segql.syntax.parser import parse_condition

    return parse_condition(entity.calculated[name])


# ---- policy limits ------------------------------------------------------------------------------
def measure(node: ast.Node, library: Library | None = None, _seen=None) -> tuple[int, int]:
    """(leaf conditions, nesting of and/or/not/quantifiers) of a condition, counting inside quantifiers
    and referenced segments (SPEC §3 limits)."""
    _seen = set() if _seen is None else _seen
    if isinstance(node, ast.Parens):
        return measure(node.item, library, _seen)
    if isinstance(node, (ast.And, ast.Or)):
        parts = [measure(i, library, _seen) for i in node.items]
        return sum(p[0] for p in parts), 1 + max((p[1] for p in parts), default=0)
    if isinstance(node, ast.Not):
        leaves, depth = measure(node.item, library, _seen)
        return leaves, depth + 1
    if isinstance(node, ast.Quantified):
        if node.condition is None:
            return 1, 1
        leaves, depth = measure(node.condition, library, _seen)
        return leaves, depth + 1
    if isinstance(node, ast.InSegment) and node.kind == "segment" and library is not None:
        found = library.find(node.slug)
        if found and found[0].condition is not None and node.slug not in _seen:
            _seen.add(node.slug)
            return measure(found[0].condition, library, _seen)
    return 1, 0


def check_policy(d: ast.Definition, schema: Schema, library: Library | None) -> None:
    if d.condition is None:
        return
    leaves, depth = measure(d.condition, library)
    if leaves > limits.MAX_LEAF_CONDITIONS:
        raise _err("E0112", f"{leaves:,} conditions is over the safety limit of {limits.MAX_LEAF_CONDITIONS:,}",
                   d.span)
    if schema.max_conditions is not None and leaves > schema.max_conditions:
        raise _err("E0401", f"segment {d.slug!r} has {leaves} conditions; the schema allows {schema.max_conditions}",
                   d.span, ["split it into segments, or raise limits.max_conditions in the schema"])
    if schema.max_depth is not None and depth > schema.max_depth:
        raise _err("E0402", f"segment {d.slug!r} nests {depth} levels deep; the schema allows {schema.max_depth}",
                   d.span, ["flatten the conditions, or raise limits.max_depth in the schema"])
