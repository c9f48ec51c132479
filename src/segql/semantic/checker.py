"""Syntax tree + schema → typed IR (SPEC §2). Names resolve case-insensitively with "did you mean" hints;
every type error is found here, so lowering never sees an ill-typed node.

The MongoDB-style meaning of to-many paths is decided here, once, for every front end: a comparison on
`deals.value` becomes `Exists(deals, value …)`, its negation the complement, `is null` "no records or
some record missing it".

`Checker` dispatches each syntax node kind to one visit method (`_<Kind>`); the methods live with their
concern: `paths` (names, to-one and to-many paths, quantifiers), `types` (literals, arithmetic, coercion),
`time` (ages, windows, periods), `functions` (the function catalogue, calls, aggregates), `predicates`
(comparisons and the other tests), `events` (`performed`), `references` (`in segment`/`in list`);
`policy` holds the size limits.
"""
from __future__ import annotations

import functools

from segql import ir, limits
from segql.errors import SegqlError, collected
from segql.ir.visit import expanded_size
from segql.schema import Schema, did_you_mean
from segql.semantic.events import EventsMixin
from segql.semantic.functions import FunctionsMixin
from segql.semantic.library import Library
from segql.semantic.paths import PathsMixin
from segql.semantic.policy import check_policy, measure  # noqa: F401 - importable from here too
from segql.semantic.predicates import PredicatesMixin
from segql.semantic.references import ReferencesMixin
from segql.semantic.scope import Multi, Scope
from segql.semantic.scope import article as _a
from segql.semantic.scope import err as _err
from segql.semantic.time import TimeMixin
from segql.semantic.types import TypesMixin
from segql.syntax import ast

__all__ = ["Checker", "Multi", "Scope", "check_policy", "measure"]


class Checker(PathsMixin, TypesMixin, TimeMixin, FunctionsMixin, PredicatesMixin, EventsMixin, ReferencesMixin):
    @functools.cached_property
    def tz(self):
        """The schema's zone, for timestamp literals with an offset (zoneinfo is imported on that need)."""
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.schema.timezone)

    def __init__(self, schema: Schema, library: Library | None = None):
        self.schema = schema
        self.library = library or Library()
        self._resolving: list[str] = []  # calculated fields / segments being resolved (cycle detection)
        self._segment_cache: dict[str, ir.Segment] = {}
        # checked lets and calculated fields (or their error), each checked once
        self._values: dict[tuple, ir.Expr | SegqlError] = {}

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
            size = expanded_size(condition, limits.MAX_EXPANDED_NODES)
            if size > limits.MAX_EXPANDED_NODES:  # lets, calculated fields and segments it uses, written out
                raise _err("E0116", f"segment {d.slug!r} expands to more than {limits.MAX_EXPANDED_NODES:,} terms "
                           "once the lets, calculated fields and segments it uses are written out", d.span,
                           ["refer to each segment or field fewer times; split the segment"])
            seg = ir.Segment(d.slug, entity.name, "segment", condition, d.title, d.description)
        self._segment_cache[d.slug] = seg
        return seg

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
        return ir.And(self._each(node.items, scope))

    def _Or(self, node, scope):
        if not node.items:
            return ir.Const(False)
        return ir.Or(self._each(node.items, scope))

    def _each(self, items, scope) -> tuple:
        """Every part checked: the errors of all of them are reported together, in order."""
        out, errors = [], []
        for item in items:
            try:
                out.append(self.condition(item, scope))
            except SegqlError as error:
                errors.append(error)
        if errors:
            raise collected(errors)
        return tuple(out)

    def _Not(self, node, scope):
        return ir.Not(self.condition(node.item, scope))
