"""IR → sqlglot tree for one dialect (SPEC §2 semantics, exactly).

Two-valued logic: negation is pushed down to the leaves (`not (a and b)` → `not a or not b`), and a
negated leaf becomes `NOT p OR x IS NULL …` for each operand that may be missing, so `not P` selects
exactly the records `P` does not, NULLs included. AND/OR over leaves that may be NULL need no care:
NULL behaves as false in WHERE and both connectives are monotone.

To-many conditions are semi-joins (`key IN (SELECT fk … WHERE fk IS NOT NULL AND …)`) and their negations
anti-joins (`NOT EXISTS`), never `NOT IN` over a nullable column. To-one paths are LEFT JOINs, added once
per path to the query they are used in. Aggregates are correlated scalar subqueries whose empty result is
0 (count, sum) or missing (avg, min, max).

Engine-specific shapes (flags on the dialect's `Ops`, so other dialects' SQL is unchanged):
- `empty_subquery_is_null` (ClickHouse): a correlated scalar subquery over no rows yields NULL there
  (ClickHouse decorrelates it into a LEFT JOIN on an aggregate), so count/sum subqueries are wrapped in
  `COALESCE(…, 0)`.

Every dialect-sensitive piece goes through `dialects.get_ops(dialect)`; every identifier comes from the
schema and is quoted; every value is a sqlglot literal (marked, so `--params` can turn it into a bind
parameter).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import operator
from dataclasses import dataclass, field

from sqlglot import exp

from segql import ir
from segql.clock import pin_now  # noqa: F401 - part of lowering's interface
from segql.lower.dialects import NAME_META, PARAM_META, get_ops
from segql.lower.dialects.base import copy_tree, number
from segql.schema import Entity, Schema
from segql.semantic import regex
from segql.semantic.functions import CONSTANT_KINDS, FUNCTIONS


def quoted(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=True)


def schema_name(name: str) -> exp.Identifier:
    """A table or column name as the schema spells it, quoted and marked: the dialect's `finish` may
    respell it as its engine resolves that name (Snowflake: `contacts` is the table CONTACTS)."""
    ident = quoted(name)
    ident.meta[NAME_META] = True
    return ident


def table_expr(table: str, alias: str | None = None) -> exp.Table:
    """`crm.contacts` → "crm"."contacts" [AS alias]: each part quoted with its catalogue case, never
    parsed as SQL (a schema's table name is an identifier, not an expression)."""
    parts = table.split(".")
    kwargs = {"this": schema_name(parts[-1])}
    if len(parts) >= 2:
        kwargs["db"] = schema_name(parts[-2])
    if len(parts) >= 3:
        kwargs["catalog"] = schema_name(parts[-3])
    if alias is not None:
        kwargs["alias"] = exp.TableAlias(this=exp.Identifier(this=alias, quoted=False))
    return exp.Table(**kwargs)


@dataclass
class _Query:
    """One SELECT being built: its LEFT JOINs for to-one paths, reused per (alias, relationship)."""

    joins: list = field(default_factory=list)
    join_alias: dict = field(default_factory=dict)


@dataclass
class _Frame:
    """One table alias the lowering is inside of."""

    alias: str
    entity: Entity
    query: _Query


MERGE_EQUALITIES = 16  # or-ed `x = literal` on one x, from this many on, become one `x IN (...)`


def merge_equalities(items: tuple) -> tuple:
    """`x = 1 or x = 2 or …` as `x IN (1, 2, …)` — the same under three-valued logic, and linear where
    engines' optimizers are quadratic in the number of or-ed terms (DuckDB: 45,000 terms took a minute).
    Short lists stay as written, so ordinary SQL reads as the segment does."""
    groups: dict = {}
    for item in items:
        if isinstance(item, ir.Compare) and item.op == "=" and isinstance(item.right, ir.Literal):
            groups.setdefault(item.left, []).append(item)
    merged = {left: eqs for left, eqs in groups.items() if len(eqs) >= MERGE_EQUALITIES}
    if not merged:
        return items
    out, emitted = [], set()
    for item in items:
        left = item.left if isinstance(item, ir.Compare) else None
        if left in merged and item.op == "=" and isinstance(item.right, ir.Literal):
            if left not in emitted:  # the first of the group stands for all of it
                emitted.add(left)
                out.append(ir.InValues(left, tuple(e.right for e in merged[left])))
            continue
        out.append(item)
    return tuple(out)


class Lowerer:
    def __init__(self, schema: Schema, dialect: str, now: dt.datetime | None = None):
        self.schema = schema
        self.ops = get_ops(dialect)
        self.dialect = self.ops.name  # an alias (`postgresql`) renders as its dialect
        self.tz = schema.timezone
        self.now = now  # naive wall-clock time in the schema's zone, or None (evaluated when the SQL runs)
        self._aliases = 0
        self.frames: list[_Frame] = []
        # IR node -> SQL computed elsewhere for the root record (one pre-aggregation shared by many
        # segments in batch.py); a substituted condition must be two-valued
        self.substitutions: dict = {}
        self.sequence_form = "join"  # or "window": the form benchmarks/bench_sequence.py measures

    # ---- entry point ------------------------------------------------------------------------------
    def select(self, segment: ir.Segment, select: str = "keys") -> exp.Select:
        entity = self.schema.entities[segment.entity]
        with self.scope(entity) as frame:
            cond = self.condition(segment.condition, True) if segment.condition is not None else self.in_list(
                segment.slug, True)
            key = self.column(frame, entity.key)
        # both projections are fresh trees: no copy (alias_ copies by default)
        if select == "count":
            projection = exp.alias_(exp.Count(this=exp.Star()), "member_count", quoted=True, copy=False)
        else:
            projection = exp.alias_(key, entity.key, quoted=True, copy=False)
        return self.ops.finish(self.from_(exp.Select(expressions=[projection]), frame).where(cond, copy=False))

    @contextlib.contextmanager
    def scope(self, entity: Entity):
        """A new SELECT over `entity`: what is lowered inside refers to its records (`Column(up=0)`) and
        may add to-one joins to it; `from_` then gives the SELECT its FROM and those joins."""
        frame = _Frame(self._alias(), entity, _Query())
        self.frames.append(frame)
        try:
            yield frame
        finally:
            self.frames.pop()

    @staticmethod
    def from_(select: exp.Select, frame: _Frame) -> exp.Select:
        select = select.from_(table_expr(frame.entity.table, frame.alias), copy=False)
        for join in frame.query.joins:
            select = select.join(join, copy=False)
        return select

    def _alias(self) -> str:
        self._aliases += 1
        return f"t{self._aliases}"

    # ---- conditions (negation pushed to the leaves) -----------------------------------------------
    def condition(self, cond: ir.Cond, positive: bool) -> exp.Expression:
        done = self._substitute(cond)
        if done is not None:
            return done if positive else exp.Not(this=exp.Paren(this=done))
        if isinstance(cond, ir.Not):
            return self.condition(cond.item, not positive)
        if isinstance(cond, (ir.And, ir.Or)):
            conjunction = isinstance(cond, ir.And) == positive
            items = merge_equalities(cond.items) if isinstance(cond, ir.Or) else cond.items
            kind = exp.And if conjunction else exp.Or
            return self._connect(self._conjunction(items, positive, kind), kind)
        if isinstance(cond, ir.Const):
            holds = cond.value == positive
            return exp.EQ(this=number(1), expression=number(1 if holds else 0))
        if isinstance(cond, ir.SegmentRef):
            return exp.Paren(this=self.condition(cond.condition, positive))
        if isinstance(cond, ir.Exists):
            return self.exists(cond, positive)
        if isinstance(cond, ir.Sequence):
            if self.sequence_form == "window":
                return self.sequence_by_window(cond, positive)
            return self.sequence(cond, positive)
        if isinstance(cond, ir.InList):
            return self.in_list(cond.slug, positive, cond.up)
        if isinstance(cond, ir.IsNull):
            value = self.value(cond.operand)
            test = exp.Is(this=value, expression=exp.Null())
            return test if positive else exp.Not(this=test)
        test = self._count_tests(cond, positive)
        if test is not None:
            return self.counted([test])
        pred, operands = self.leaf(cond)
        if positive:
            return pred
        guards = [exp.Is(this=self.value(o), expression=exp.Null()) for o in operands if nullable(o)]
        negated = exp.Not(this=exp.Paren(this=pred))
        return exp.Paren(this=self._connect([negated, *guards], exp.Or)) if guards else negated

    def _substitute(self, node):
        """Precomputed SQL for an IR node on the root record (an equal node inside a quantifier, an
        aggregate or a to-one path is about other records)."""
        if self.substitutions and len(self.frames) == 1:
            done = self.substitutions.get(node)
            return None if done is None else copy_tree(done)
        return None

    @staticmethod
    def _connect(parts, kind):
        if len(parts) == 1:
            return parts[0]
        wrapped = [exp.Paren(this=p) if isinstance(p, (exp.And, exp.Or)) else p for p in parts]
        node = wrapped[0]
        for part in wrapped[1:]:
            node = kind(this=node, expression=part)
        return node

    def leaf(self, cond) -> tuple[exp.Expression, list[ir.Expr]]:
        """The positive predicate and the operands whose absence makes it unknown."""
        ops = self.ops
        if isinstance(cond, ir.Compare):
            exact = self._beyond_double(cond)
            if exact is not None:
                return exact, [cond.left, cond.right]
            left = self._against_integer(cond.left, self.value(cond.left), cond.right)
            right = self._against_integer(cond.right, self.value(cond.right), cond.left)
            if cond.op == "=" and not (_nonzero(cond.left) or _nonzero(cond.right)):
                left, right = self._exact(cond.left, left), self._exact(cond.right, right)
            if cond.op == "=" and cond.left.type == "string":
                pred = ops.string_equals(left, right)
            else:
                kind = {"=": exp.EQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[cond.op]
                pred = kind(this=left, expression=right)
            return pred, [cond.left, cond.right]
        if isinstance(cond, ir.InValues):
            far = [v for v in cond.values if _read_as_double(cond.operand, v)]
            if far:  # `x in (…, L)` with L beyond a double's precision: `x in (…) or x = L`, exactly
                near = tuple(v for v in cond.values if v not in far)
                parts = [self.leaf(ir.InValues(cond.operand, near))[0]] if near else []
                parts += [self._beyond_double(ir.Compare("=", cond.operand, v)) for v in far]
                return self._connect(parts, exp.Or), [cond.operand]
            maybe = [v for v in cond.values if nullable(v)]
            if maybe:
                # `x IN (city, '%')` is NULL, not false, when city is missing and x is not '%', and the
                # negation's guard only covers a missing x: each value that may be missing is compared
                # apart, `(x = v AND v IS NOT NULL)`, which is false there
                sure = tuple(v for v in cond.values if v not in maybe)
                parts = [self.leaf(ir.InValues(cond.operand, sure))[0]] if sure else []
                for v in maybe:
                    eq = self.leaf(ir.Compare("=", cond.operand, v))[0]
                    present = exp.Not(this=exp.Is(this=self.value(v), expression=exp.Null()))
                    parts.append(exp.Paren(this=exp.And(this=eq, expression=present)))
                return self._connect(parts, exp.Or), [cond.operand]
            subject = self.value(cond.operand)
            values = [self._against_integer(v, self.value(v), cond.operand) for v in cond.values]
            if not all(_nonzero(v) for v in cond.values):
                subject = self._exact(cond.operand, subject)
                values = [self._exact(v, sql) for v, sql in zip(cond.values, values)]
            if cond.operand.type == "string":
                pred = ops.string_in(subject, values)
            else:
                pred = exp.In(this=subject, expressions=values)
            return pred, [cond.operand]
        if isinstance(cond, ir.TextMatch):
            return ops.like_ci(self.value(cond.operand), cond.text, cond.kind), [cond.operand]
        if isinstance(cond, ir.Regex):
            return ops.regex_search(self.value(cond.operand), regex.portable(cond.pattern, cond.ignore_case)), [
                cond.operand]
        raise TypeError(f"cannot lower {type(cond).__name__}")  # pragma: no cover

    def _beyond_double(self, cond: ir.Compare) -> exp.Expression | None:
        """`x op L` for a `number` x (or an integer x and an L beyond BIGINT, `_read_as_double`) and an
        integer literal L that no double equals (|L| > 2**53), by
        value (SPEC §2.8: `integer` and `number` compare by value). Engines compare a double with a
        bigint in double precision, which rounds L to a neighbour (`2.0**53 < 2**53 + 1` is false on
        DuckDB, PostgreSQL, MariaDB). With lo < L < hi the doubles either side of L, a double x is never
        L and `x < L` is `x <= lo`; a decimal x (a warehouse's NUMERIC column) can lie between lo and hi,
        where the engine compares it exactly: `x <= lo OR (x > lo AND x < hi AND x < L)`. None when the
        comparison is not of that shape."""
        left, op, lit = cond.left, cond.op, cond.right
        if _double_neighbours(left) is not None:
            left, lit, op = lit, left, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        bounds = _double_neighbours(lit) if _read_as_double(left, lit) else None
        if bounds is None:
            return None
        lo, hi = (number(b) for b in bounds)
        x = self.value(left)
        kind = {"=": exp.EQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
        between = self._connect([exp.GT(this=x, expression=lo), exp.LT(this=x.copy(), expression=hi),
                                 kind(this=x.copy(), expression=self.value(lit))], exp.And)
        if op == "=":
            return between
        beyond = exp.LTE(this=x.copy(), expression=lo.copy()) if op in ("<", "<=") else \
            exp.GTE(this=x.copy(), expression=hi.copy())
        return self._connect([beyond, between], exp.Or)

    def _against_integer(self, node: ir.Expr, sql: exp.Expression, other: ir.Expr) -> exp.Expression:
        """A decimal literal compared with an integer, in the type the engine compares an integer with
        exactly (`Ops.decimal_literal`: BigQuery reads `9007199254740992.0` as FLOAT64, and the integer
        2**53 + 1 then equals it)."""
        if other.type == "integer" and isinstance(node, ir.Literal) and node.type == "number" \
                and node.value is not None:
            return self.ops.decimal_literal(node.value, sql)
        return sql

    def _exact(self, node: ir.Expr, sql: exp.Expression) -> exp.Expression:
        """A `number` operand of `=` / `in`, as the dialect must compare it for value equality."""
        return self.ops.exact_number(sql) if node.type == "number" else sql

    def exists(self, cond: ir.Exists, positive: bool) -> exp.Expression:
        """Positive: a semi-join on the relationship keys. Negative: NOT EXISTS (never `NOT IN` over a
        nullable column: a NULL key would empty it)."""
        outer = self.frames[-1 - cond.up]
        rel = cond.rel
        if self._mirrors_owner(cond):
            return self._exists_with_owner(cond, outer, positive)
        # a condition that refers to the outer record (`deals.value > lifetime_value`) is correlated:
        # EXISTS, not `IN (correlated subquery)`, which ClickHouse cannot run. Where an engine cannot run a
        # correlated subquery inside an aggregate (ClickHouse: `segql counts` puts each segment in
        # COUNT(CASE WHEN …)), the complement of an uncorrelated one is `local IS NULL OR NOT local IN (…)`
        # — exact, the subquery selects no NULL key — rather than a correlated NOT EXISTS
        uncorrelated = not ir.refers_outside(cond.condition)
        if not positive and uncorrelated and not self.ops.correlated_in_aggregates:
            absent = exp.Not(this=self.exists(cond, True))
            if nullable_key(outer.entity, rel.local):
                absent = exp.Paren(this=exp.Or(this=exp.Is(this=self.column(outer, rel.local), expression=exp.Null()),
                                               expression=absent))
            return absent
        with self.scope(self.schema.entities[rel.target]) as frame:
            inner = self.condition(cond.condition, True) if cond.condition is not None else None
            remote = self.column(frame, rel.remote)
        local = self.column(outer, rel.local)
        semi_join = positive and uncorrelated
        if semi_join:
            filters = [exp.Not(this=exp.Is(this=remote.copy(), expression=exp.Null()))]
            sub = exp.Select(expressions=[remote])
        else:
            filters = [exp.EQ(this=remote, expression=local.copy())]
            sub = exp.Select(expressions=[number(1)])
        sub = self.from_(sub, frame)
        if inner is not None:
            filters.append(inner)
        sub = sub.where(self._connect(filters, exp.And), copy=False)
        if semi_join:
            return exp.In(this=local, query=exp.Subquery(this=sub))
        found = exp.Exists(this=sub)
        return found if positive else exp.Not(this=found)

    def sequence(self, cond: ir.Sequence, positive: bool) -> exp.Expression:
        """SPEC §8, a self-join of the event stream on the record key: pairs (a, b) of different events
        with a.time <= b.time <= a.time + span, a meeting `first` and b meeting `then`. The records with
        such a pair are `local IN (SELECT a.fk …)`; a count counts the distinct a's per record (`GROUP BY
        … HAVING COUNT(DISTINCT a.key) op N`, and NOT IN the failing groups when 0 satisfies the test,
        as `counted` does). Only the equality is in the join's ON (engines differ on inequalities
        there); the rest is in WHERE. The events' conditions never refer to the record (the checker gives
        a sequence's `where` the event's scope only), so the subquery is never correlated."""
        outer = self.frames[-1 - cond.up]
        rel = cond.rel
        events = self.schema.entities[rel.target]
        depth = len(self.frames)
        with self.scope(events) as first:
            first_sql = self.condition(cond.first, True)
        # the second event is its own scope (a `where` on it sees the record, not the first event, one
        # scope out) but its to-one joins go into the same SELECT
        second = _Frame(self._alias(), events, first.query)
        self.frames.append(second)
        try:
            then_sql = self.condition(cond.then, True)
        finally:
            self.frames.pop()
        self.frames.extend([first, second])
        try:  # the link: b's time against a's (up=1 in b's scope)
            a_time, b_time = self.value(dataclasses.replace(cond.time, up=1)), self.value(cond.time)
            a_key, b_key = self.value(dataclasses.replace(cond.key, up=1)), self.value(cond.key)
            link = [exp.Not(this=exp.EQ(this=b_key, expression=a_key)),
                    exp.GTE(this=b_time, expression=a_time)]
            if cond.within is not None:
                latest = self.value(ir.Shift(dataclasses.replace(cond.time, up=1), cond.within, cond.unit))
                link.append(exp.LTE(this=b_time.copy(), expression=latest))
            a_fk, b_fk = self.column(first, rel.remote), self.column(second, rel.remote)
        finally:
            del self.frames[depth:]
        local = self.column(outer, rel.local)
        sub = exp.Select(expressions=[a_fk.copy()])
        sub = sub.from_(table_expr(events.table, first.alias), copy=False)
        sub = sub.join(exp.Join(this=table_expr(events.table, second.alias), kind="INNER",
                                on=exp.EQ(this=b_fk, expression=a_fk.copy())), copy=False)
        for join in first.query.joins:
            sub = sub.join(join, copy=False)
        filters = [exp.Not(this=exp.Is(this=a_fk.copy(), expression=exp.Null())), first_sql, then_sql, *link]
        sub = sub.where(self._connect(filters, exp.And), copy=False)
        if (cond.op, cond.count) in ((">=", 1), (">", 0)):
            holds_on_empty, having = False, None
        else:
            holds_on_empty = _OPS[cond.op](0, cond.count)
            distinct = exp.Count(this=exp.Distinct(expressions=[a_key.copy()]))
            having = _COMPARE[cond.op](this=distinct, expression=self.literal(cond.count, "integer"))
            if holds_on_empty:  # the groups failing the test
                having = exp.Not(this=exp.Paren(this=having))
            sub = sub.group_by(a_fk.copy(), copy=False).having(having, copy=False)
        found = exp.In(this=local, query=exp.Subquery(this=sub))

        def absent(found):  # NOT found, and a record without a relationship key is never found
            if rel.local == outer.entity.key:
                return exp.Not(this=found)
            return exp.Paren(this=exp.Or(this=exp.Is(this=local.copy(), expression=exp.Null()),
                                         expression=exp.Not(this=found)))
        if holds_on_empty:
            return absent(found) if positive else found
        return found if positive else absent(found)

    def sequence_by_window(self, cond: ir.Sequence, positive: bool) -> exp.Expression:
        """The window-function form of `sequence` (measured against it on DuckDB, benchmarks/README.md):
        one pass over the events meeting `first` or `then`, each with the earliest `then` time at or after
        its own among the other rows (`MIN(…) OVER (PARTITION BY fk ORDER BY time RANGE BETWEEN CURRENT ROW
        AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW)`); the record has the sequence when a `first` row's
        earliest following `then` is within the span. Not used by any dialect: see the README's figure."""
        outer = self.frames[-1 - cond.up]
        rel = cond.rel
        events = self.schema.entities[rel.target]
        time_prop = cond.time.prop
        with self.scope(events) as frame:
            first_sql = self.condition(cond.first, True)
            then_sql = self.condition(cond.then, True)
            fk, time = self.column(frame, rel.remote), self.column(frame, time_prop.name)
        following = exp.Window(
            this=exp.Min(this=exp.Case(ifs=[exp.If(this=then_sql.copy(), true=time.copy())])),
            partition_by=[fk.copy()], order=exp.Order(expressions=[exp.Ordered(this=time.copy())]),
            spec=exp.WindowSpec(kind="RANGE", start="CURRENT ROW", start_side=None, end="UNBOUNDED",
                                end_side="FOLLOWING", exclude="CURRENT ROW"))
        inner = exp.Select(expressions=[
            exp.alias_(fk.copy(), "k", quoted=True), exp.alias_(time.copy(), "t", quoted=True),
            exp.alias_(exp.Case(ifs=[exp.If(this=first_sql.copy(), true=number(1))],
                                default=number(0)), "f", quoted=True),
            exp.alias_(following, "n", quoted=True)])
        inner = self.from_(inner, frame).where(self._connect(
            [exp.Not(this=exp.Is(this=fk.copy(), expression=exp.Null())),
             exp.Paren(this=exp.Or(this=exp.Paren(this=first_sql), expression=exp.Paren(this=then_sql)))], exp.And),
            copy=False)
        alias = self._alias()
        ref = lambda name: exp.column(quoted(name), table=exp.Identifier(this=alias))  # noqa: E731
        checks = [exp.EQ(this=ref("f"), expression=number(1)),
                  exp.Not(this=exp.Is(this=ref("n"), expression=exp.Null()))]
        if cond.within is not None:
            shift = self.ops.add_to_date if time_prop.type == "date" else self.ops.add_to_timestamp
            checks.append(exp.LTE(this=ref("n"), expression=shift(ref("t"), cond.within, cond.unit)))
        sub = exp.Select(expressions=[ref("k")]).from_(
            exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.Identifier(this=alias))), copy=False)
        sub = sub.where(self._connect(checks, exp.And), copy=False)
        holds_on_empty = False
        if (cond.op, cond.count) not in ((">=", 1), (">", 0)):
            holds_on_empty = _OPS[cond.op](0, cond.count)
            having = _COMPARE[cond.op](this=exp.Count(this=exp.Star()), expression=self.literal(cond.count, "integer"))
            if holds_on_empty:
                having = exp.Not(this=exp.Paren(this=having))
            sub = sub.group_by(ref("k"), copy=False).having(having, copy=False)
        local = self.column(outer, rel.local)
        found = exp.In(this=local, query=exp.Subquery(this=sub))
        absent = exp.Not(this=found) if rel.local == outer.entity.key else exp.Paren(this=exp.Or(
            this=exp.Is(this=local.copy(), expression=exp.Null()), expression=exp.Not(this=found.copy())))
        if holds_on_empty:
            return absent if positive else found
        return found if positive else absent

    @staticmethod
    def _mirrors_owner(cond: ir.Exists) -> bool:
        """Whether the related records' condition uses a to-one path, aggregate, quantifier or list test
        of the record they belong to (`deals.value > organization.employees`) or one of its values in an
        `in (…)` list, and nothing further out — so the record can be joined back inside."""
        return (cond.up == 0 and cond.condition is not None
                and _starts_from_owner(cond.condition) and not ir.refers_outside(cond.condition, 1))

    def _exists_with_owner(self, cond: ir.Exists, outer: _Frame, positive: bool) -> exp.Expression:
        """`key IN (SELECT fk FROM related JOIN owner AS o ON o.key = fk … WHERE …)` (a relationship from
        another column: `key IN (SELECT o.key FROM related JOIN owner AS o ON o.local = fk …)`): the owner's values
        are read from its row joined back inside (through its own LEFT JOINs), so the subquery is not
        correlated — engines that decorrelate (ClickHouse) mishandle an expression over a NULL column of an
        outer LEFT JOIN read from inside a correlated subquery. The key is never missing: NOT IN is exact."""
        rel = cond.rel
        by_key = rel.local == outer.entity.key  # else the owner's own key is what the subquery selects
        with self.scope(self.schema.entities[rel.target]) as frame:
            owner = _Frame(self._alias(), outer.entity, frame.query)
            remote = self.column(frame, rel.remote)
            picked = remote if by_key else self.column(owner, outer.entity.key)
            on = exp.EQ(this=self.column(owner, rel.local), expression=remote.copy())
            frame.query.joins.append(exp.Join(this=table_expr(outer.entity.table, owner.alias), on=on))
            self.frames.insert(len(self.frames) - 1, owner)  # `up=1` inside is the owner's row
            try:
                inner = self.condition(cond.condition, True)
            finally:
                self.frames.remove(owner)
        filters = [exp.Not(this=exp.Is(this=remote.copy(), expression=exp.Null())), inner]
        sub = self.from_(exp.Select(expressions=[picked]), frame)
        sub = sub.where(self._connect(filters, exp.And), copy=False)
        test = exp.In(this=self.column(outer, rel.local if by_key else outer.entity.key),
                      query=exp.Subquery(this=sub))
        return test if positive else exp.Not(this=test)

    def in_list(self, slug: str, positive: bool, up: int = 0) -> exp.Expression:
        lists = self.schema.lists
        frame = self.frames[-1 - up]
        alias = self._alias()
        member = exp.column(schema_name(lists.member_column), table=exp.Identifier(this=alias))
        list_col = exp.column(schema_name(lists.list_column), table=exp.Identifier(this=alias))
        key = self.column(frame, frame.entity.key)
        sub = exp.Select(expressions=[member]).from_(table_expr(lists.table, alias), copy=False).where(
            exp.and_(self.ops.string_equals(list_col, self.literal(slug, "string")),
                     exp.Not(this=exp.Is(this=member.copy(), expression=exp.Null())), copy=False), copy=False)
        test = exp.In(this=key, query=exp.Subquery(this=sub))
        return test if positive else exp.Not(this=test)

    # ---- values -----------------------------------------------------------------------------------
    def column(self, frame: _Frame, prop_name: str) -> exp.Expression:
        prop = frame.entity.properties[prop_name]
        col = exp.Column(this=schema_name(prop.column), table=exp.Identifier(this=frame.alias), db=None, catalog=None)
        if prop.instant:  # the one place an instant becomes wall-clock time in the schema's zone
            return self.ops.instant_column(col, prop.instant, self.tz)
        if prop.type == "timestamp":
            return self.ops.timestamp_column(col)
        if prop.type == "date":
            return self.ops.date_column(col)
        return col

    def value(self, node: ir.Expr) -> exp.Expression:
        ops = self.ops
        done = self._substitute(node)
        if done is not None:
            return done
        if isinstance(node, ir.Column):
            return self.column(self.frames[-1 - node.up], node.prop.name)
        if isinstance(node, ir.Literal):
            return self.literal(node.value, node.type)
        if isinstance(node, ir.Now):
            return ops.timestamp_literal(self.now) if self.now is not None else ops.now(self.tz)
        if isinstance(node, ir.Today):
            return ops.date_literal(self.now.date()) if self.now is not None else ops.today(self.tz)
        if isinstance(node, ir.Shift):
            base = self.value(node.base)
            if node.base.type == "date":
                return ops.add_to_date(base, node.amount, node.unit)
            return ops.add_to_timestamp(base, node.amount, node.unit)
        if isinstance(node, ir.Arith):
            left, right = self.value(node.left), self.value(node.right)
            if node.op == "/":
                return ops.divide(left, right)
            kind = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[node.op]
            if node.type == "integer":
                if isinstance(node.left, ir.Literal) and isinstance(node.right, ir.Literal):
                    left = ops.integer_constant(left)
                return ops.integer_arith(kind, left, right)
            return exp.Paren(this=kind(this=left, expression=right))
        if isinstance(node, ir.Negate):
            operand = self.value(node.operand)
            if node.type == "integer":
                operand = ops.exact_integer(operand)
            return exp.Neg(this=exp.Paren(this=operand))
        if isinstance(node, ir.Func):
            return self.function(node)
        if isinstance(node, ir.ToOne):
            return self.to_one(node)
        if isinstance(node, ir.Aggregate):
            return self.aggregate(node)
        raise TypeError(f"cannot lower value {type(node).__name__}")  # pragma: no cover

    def literal(self, value, kind: str) -> exp.Expression:
        ops = self.ops
        if kind == "date":
            return ops.date_literal(value)
        if kind == "timestamp":
            return ops.timestamp_literal(value)
        if kind == "boolean":
            return ops.boolean(bool(value))
        if kind == "string":
            lit = exp.Literal.string(value)
        else:
            text = str(value)
            if text.startswith("-"):
                lit = exp.Neg(this=number(text[1:]))
                lit.this.meta[PARAM_META] = kind
                return exp.Paren(this=lit)
            lit = number(text)
        lit.meta[PARAM_META] = kind
        return lit

    def function(self, node: ir.Func) -> exp.Expression:
        """The dialect operation the function catalogue names for it; constant arguments (a unit, a number
        of digits) are passed as Python values."""
        spec = FUNCTIONS[node.name]
        args = [a.value if kind in CONSTANT_KINDS else self.value(a)
                for kind, a in zip(spec.kinds(len(node.args)), node.args)]
        if spec.result == "common" and node.type == "number":  # coalesce(integer, number): one type
            args = [self.ops.common_number(v) if a.type == "integer" else v for a, v in zip(node.args, args)]
        if node.name == "abs" and node.type == "integer":
            constant = isinstance(node.args[0], ir.Literal)
            args = [self.ops.exact_integer(self.ops.integer_constant(args[0]) if constant else args[0])]
        if spec.sql.startswith("exp."):
            first, *rest = args
            node_class = getattr(exp, spec.sql[4:])
            return node_class(this=first, expressions=rest) if rest else node_class(this=first)
        return getattr(self.ops, spec.sql)(*spec.sql_args, *args)

    def to_one(self, node: ir.ToOne) -> exp.Expression:
        """A LEFT JOIN in the query of the record it starts from, once per (record, relationship); a path of
        an outer record (`up` > 0) is joined there and read from inside as a correlated column."""
        outer = self.frames[-1 - node.up]
        rel = node.rel
        key = (outer.alias, rel.name)
        query = outer.query
        target = self.schema.entities[rel.target]
        if key not in query.join_alias:
            alias = self._alias()
            query.join_alias[key] = alias
            frame = _Frame(alias, target, query)
            on = exp.EQ(this=self.column(frame, rel.remote), expression=self.column(outer, rel.local))
            query.joins.append(exp.Join(this=table_expr(target.table, alias), side="LEFT", on=on))
        frame = _Frame(query.join_alias[key], target, query)
        self.frames.append(frame)
        try:
            value = self.value(node.inner)
            if not _null_without_row(node.inner):
                # `coalesce(x, 0)`, `count(rel)` … are not NULL on the LEFT JOIN's empty row; the value of
                # a to-one path is missing when there is no related record (SPEC §2.3)
                found = exp.Not(this=exp.Is(this=self.column(frame, rel.remote), expression=exp.Null()))
                value = exp.Case(ifs=[exp.If(this=found, true=value)])
            return value
        finally:
            self.frames.pop()

    def counted(self, tests: list, kind=exp.And) -> exp.Expression:
        """Count/sum tests `(aggregate, op, N, positive)` over ONE relationship, all required (`kind` And)
        or any one (Or), as one grouped semi-join instead of a correlated subquery per record and test:
        `local IN (SELECT fk … GROUP BY fk HAVING t1 AND t2 …)`. Records without related rows have counts
        and sums 0; when the tests (together) hold for 0, members are those NOT among the groups failing
        them."""
        held = [_OPS[op](0, limit.value) == positive for _, op, limit, positive in tests]
        holds_on_empty = all(held) if kind is exp.And else any(held)
        outer = self.frames[-1]
        rel = tests[0][0].rel
        wheres = {agg.where for agg, *_ in tests}
        shared_where = wheres.pop() if len(wheres) == 1 else None  # one filter for all: in WHERE
        with self.scope(self.schema.entities[rel.target]) as frame:
            checks, filters = [], []
            for agg, op, limit, positive in tests:
                value = self.value(agg.value) if agg.value is not None else None
                only = None if agg.where is None or shared_where is not None else self.condition(agg.where, True)
                if only is not None:
                    filters.append(only)
                    value = exp.Case(ifs=[exp.If(this=only.copy(), true=value or number(1))])
                if agg.func == "count":
                    total = exp.Count(this=value if value is not None else exp.Star())
                else:
                    total = exp.Coalesce(this=exp.Sum(this=self.summand(agg, value)), expressions=[number(0)])
                check = _COMPARE[op](this=total, expression=self._against_integer(limit, self.value(limit), agg))
                checks.append(check if positive else exp.Not(this=exp.Paren(this=check)))
            where = self.condition(shared_where, True) if shared_where is not None else None
            remote = self.column(frame, rel.remote)
        both = self._connect(checks, kind)
        # the groups to keep (tests hold) or to exclude (some test fails)
        having = exp.Not(this=exp.Paren(this=both)) if holds_on_empty else both
        conditions = [exp.Not(this=exp.Is(this=remote.copy(), expression=exp.Null()))]
        if where is not None:
            conditions.append(where)
        elif len(filters) == len(tests) and not any(f.find(exp.Select) for f in filters):
            # rows no test looks at cannot change any result: skip them (a group left without rows has
            # all counts 0, exactly as a record without related rows)
            conditions.append(exp.Paren(this=self._connect([f.copy() for f in filters], exp.Or)))
        sub = self.from_(exp.Select(expressions=[remote]), frame)
        sub = sub.where(self._connect(conditions, exp.And), copy=False).group_by(remote.copy(), copy=False)
        sub = sub.having(having, copy=False)
        local = self.column(outer, rel.local)
        member_of = exp.In(this=local, query=exp.Subquery(this=sub))
        if not holds_on_empty:
            return member_of
        if rel.local == outer.entity.key:  # a key is never missing
            return exp.Not(this=member_of)
        return exp.Paren(this=exp.Or(this=exp.Is(this=local.copy(), expression=exp.Null()),
                                     expression=exp.Not(this=member_of)))

    def _count_tests(self, cond, positive):
        """`(aggregate, op, N, positive)` when `cond` (under any number of NOTs) is a count/sum test this
        lowerer turns into a grouped semi-join, else None."""
        while isinstance(cond, ir.Not):
            cond, positive = cond.item, not positive
        found = _count_test(cond)
        if found is None or found[0].up or self._substitute(found[0]) is not None \
                or any(ir.refers_outside(x) for x in (found[0].value, found[0].where)):
            return None
        return (*found, positive)

    def _conjunction(self, items, positive, kind=exp.And) -> list:
        """The parts of an AND or an OR (`kind`, after negation): count/sum tests over one relationship
        merge into one grouped semi-join, in the place of the first of them."""
        tests = [self._count_tests(c, positive) for c in items]
        groups: dict = {}
        for test in tests:
            if test is not None:
                groups.setdefault(test[0].rel, []).append(test)
        parts, done = [], set()
        for item, test in zip(items, tests):
            if test is None:
                parts.append(self.condition(item, positive))
            elif test[0].rel not in done:
                done.add(test[0].rel)
                parts.append(self.counted(groups[test[0].rel], kind))
        return parts

    def aggregate(self, node: ir.Aggregate) -> exp.Expression:
        if node.up and not any(ir.refers_outside(x) for x in (node.value, node.where)):
            return self.outer_aggregate(node)
        outer = self.frames[-1 - node.up]  # the record whose related rows it aggregates
        rel = node.rel
        with self.scope(self.schema.entities[rel.target]) as frame:
            value = self.value(node.value) if node.value is not None else None
            where = self.condition(node.where, True) if node.where is not None else None
            remote = self.column(frame, rel.remote)
        func = node.func
        if func == "count":
            agg = exp.Count(this=value if value is not None else exp.Star())
        elif func == "sum":
            agg = exp.Coalesce(this=exp.Sum(this=self.summand(node, value)), expressions=[number(0)])
        elif func == "avg":
            agg = exp.Avg(this=self.ops.to_double(value))
        else:
            agg = (exp.Min if func == "min" else exp.Max)(this=value)
        filters = [exp.EQ(this=remote, expression=self.column(outer, rel.local))]
        if where is not None:
            filters.append(where)
        sub = self.from_(exp.Select(expressions=[agg]), frame)
        sub = sub.where(self._connect(filters, exp.And), copy=False)
        if func in ("count", "sum") and self.ops.empty_subquery_is_null:
            # the engine evaluates a correlated scalar subquery over no rows as NULL (ClickHouse turns it
            # into a LEFT JOIN on an aggregate): count and sum of nothing must still be 0
            return exp.Coalesce(this=exp.Subquery(this=sub), expressions=[number(0)])
        return exp.Subquery(this=sub)


    def summand(self, node: ir.Aggregate, value: exp.Expression) -> exp.Expression:
        """What `sum` adds up: an integer in the type the engine sums it exactly in (`Ops.exact_integer`)."""
        return self.ops.exact_integer(value) if node.value.type == "integer" else value

    def outer_aggregate(self, node: ir.Aggregate) -> exp.Expression:
        """An aggregate of an outer record used inside a to-many comparison (`deals.value >
        avg(deals.value)`): one grouped pass over the relationship LEFT JOINed to that record's query (once
        per record and aggregate), read from inside as a correlated column — not a scalar subquery nested
        in the related record's subquery, which ClickHouse cannot run. A record without related rows has no
        group: count and sum read 0; avg/min/max are guarded by the number of values they saw (ClickHouse's
        LEFT JOIN fills a miss with 0, not NULL)."""
        owner = self.frames[-1 - node.up]
        query = owner.query
        key = (owner.alias, dataclasses.replace(node, up=0))
        alias = query.join_alias.get(key)
        if alias is None:
            alias = query.join_alias[key] = self._alias()
            rel = node.rel
            target = self.schema.entities[rel.target]
            with self.scope(target) as frame:
                value = self.value(node.value) if node.value is not None else None
                where = self.condition(node.where, True) if node.where is not None else None
                remote = self.column(frame, rel.remote)
            if node.func == "count":
                agg = exp.Count(this=value if value is not None else exp.Star())
            elif node.func == "sum":
                agg = exp.Sum(this=self.summand(node, value))
            elif node.func == "avg":
                agg = exp.Avg(this=self.ops.to_double(value))
            else:
                agg = (exp.Min if node.func == "min" else exp.Max)(this=value.copy())
            columns = [exp.alias_(remote, "k", quoted=True), exp.alias_(agg, "v", quoted=True)]
            if node.func in ("avg", "min", "max"):
                columns.append(exp.alias_(exp.Count(this=value.copy()), "n", quoted=True))
            rows = [exp.Not(this=exp.Is(this=remote.copy(), expression=exp.Null()))]
            if where is not None:
                rows.append(where)
            sub = self.from_(exp.Select(expressions=columns), frame)
            sub = sub.where(self._connect(rows, exp.And), copy=False).group_by(remote.copy(), copy=False)
            ref = lambda name: exp.column(quoted(name), table=exp.Identifier(this=alias))  # noqa: E731
            on = exp.EQ(this=ref("k"), expression=self.column(owner, rel.local))
            query.joins.append(exp.Join(this=exp.Subquery(this=sub, alias=exp.TableAlias(
                this=exp.Identifier(this=alias))), side="LEFT", on=on))
        ref = lambda name: exp.column(quoted(name), table=exp.Identifier(this=alias))  # noqa: E731
        if node.func in ("count", "sum"):
            return exp.Coalesce(this=ref("v"), expressions=[number(0)])
        seen = exp.GT(this=exp.Coalesce(this=ref("n"), expressions=[number(0)]),
                      expression=number(0))
        return exp.Case(ifs=[exp.If(this=seen, true=ref("v"))])


_COMPARE = {"=": exp.EQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
_OPS = {"=": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_MIRROR = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _count_test(cond):
    """(aggregate, op, literal) when `cond` compares a count or sum with a constant number."""
    if not isinstance(cond, ir.Compare):
        return None
    for agg, lit, op in ((cond.left, cond.right, cond.op), (cond.right, cond.left, _MIRROR[cond.op])):
        if isinstance(agg, ir.Aggregate) and agg.func in ("count", "sum") and isinstance(lit, ir.Literal) \
                and lit.type in ("integer", "number") and lit.value is not None:
            return agg, op, lit
    return None


def _starts_from_owner(node, depth: int = 0) -> bool:
    """Whether `node` (a condition on related records) holds a to-one path, aggregate, quantifier or list
    test that starts from the record those related records belong to (`up` one beyond its scopes), an
    `in (…)` list with a value of that record or a `coalesce` of its values (ClickHouse loses a NULL one
    read from a correlated scope)."""
    if isinstance(node, ir.OUTER_NODES) and node.up == depth + 1:
        return True
    if isinstance(node, ir.InValues) and any(ir.refers_outside(v, depth) for v in node.values):
        return True
    if isinstance(node, ir.Func) and not FUNCTIONS[node.name].strict and ir.refers_outside(node, depth):
        return True  # coalesce of the record's values: ClickHouse reads a missing one as present there
    inner = depth + 1 if isinstance(node, ir.SCOPE_NODES) else depth
    return any(_starts_from_owner(child, inner) for child in ir.children(node))


def _read_as_double(operand: ir.Expr, lit: ir.Expr) -> bool:
    """Whether `operand op lit` is compared in double precision somewhere: a `number` operand, or an
    integer one and an integer literal beyond BIGINT, which SQLite and ClickHouse read as a double
    (`n > -9223372036854775809` missed n = -2**63 there). With the doubles either side of the literal
    (`_beyond_double`) the comparison is exact on every engine: a BIGINT rounded to a double still lies
    between -2**63 and 2**63, on the same side of both."""
    if _double_neighbours(lit) is None:
        return False
    return operand.type == "number" or (operand.type == "integer" and not -(2 ** 63) <= lit.value < 2 ** 63)


def _double_neighbours(node: ir.Expr) -> tuple[int, int] | None:
    """For an integer literal that no double equals: the doubles just below and above it (as integers,
    each exact in a double); None otherwise (and for one beyond the doubles' range)."""
    v = node.value if isinstance(node, ir.Literal) and node.type == "integer" else None
    if not isinstance(v, int) or isinstance(v, bool) or abs(v) <= 2 ** 53:
        return None
    try:
        f = float(v)
    except OverflowError:
        return None
    if f == v:
        return None
    near = math.nextafter(f, math.inf if f < v else -math.inf)
    if math.isinf(near):
        return None
    return (int(f), int(near)) if f < v else (int(near), int(f))


def nullable_key(entity: Entity, prop: str) -> bool:
    """Whether a relationship's local column may be NULL (every column but the entity's key)."""
    return prop != entity.key


def _nonzero(node: ir.Expr) -> bool:
    """A literal number other than zero: equal to it is equal by any engine's comparison (only a zero
    has two spellings, 0 and -0.0)."""
    return isinstance(node, ir.Literal) and node.type in ("integer", "number") and node.value is not None \
        and node.value != 0


def _null_without_row(node: ir.Expr) -> bool:
    """Whether a value computed on a LEFT JOIN's all-NULL row is NULL by itself (a column, or a to-one
    path of columns), so no guard is needed."""
    while isinstance(node, ir.ToOne):
        node = node.inner
    return isinstance(node, ir.Column)


def nullable(node: ir.Expr) -> bool:
    """Whether a value may be missing (decides where a negated leaf needs `OR x IS NULL`)."""
    if isinstance(node, (ir.Literal, ir.Now, ir.Today)):
        return node.value is None if isinstance(node, ir.Literal) else False
    if isinstance(node, ir.Column):
        return not node.is_key
    if isinstance(node, ir.Shift):
        return nullable(node.base)
    if isinstance(node, ir.Arith):
        return node.op == "/" or nullable(node.left) or nullable(node.right)
    if isinstance(node, ir.Negate):
        return nullable(node.operand)
    if isinstance(node, ir.Func):
        if not FUNCTIONS[node.name].strict:
            return all(nullable(a) for a in node.args)
        return any(nullable(a) for a in node.args)
    if isinstance(node, ir.Aggregate):
        return node.func not in ("count", "sum")
    return True


