"""Lint warnings for `segql check` (codes W0001–W0007, docs/errors.md).

Seed 002's troubleshooting list — "no conflicting conditions", "unexpected members? look for NULL values",
"segment too small?" — as checks on a checked segment. Every warning points at the condition the user
wrote (its span) and is reasoned on the IR, under SPEC §2's two-valued logic:

- W0001 contradiction: conditions of one `and` that can never hold together (`x > 5 and x < 3`,
  `a = 1 and a = 2`, `P and not P`, `in this week and in last week`);
- W0002 never true: one condition no record can meet (`in ()`, `between 10 and 1`, `count(deals) < 0`);
- W0003 always true: `not in ()`, `not between 10 and 1`, `at least 0 times`, `P or not P`;
- W0004 redundant: implied by another item of the same `and` (`x > 5 and x > 3`), or implying another of
  the same `or` (`x > 5 or x > 3`), or written twice;
- W0005 a negated to-many path (`deals.stage != "Won"`): it means "no deal has stage Won" (contacts
  without deals included); the warning shows the explicit `no deals (stage = "Won")` form;
- W0006 a relative-time window that can only match the future (`x < 0 days ago`) or a single instant
  (`x between 0 and 0 hours ago`);
- W0007 separate dotted conditions on one to-many relationship in one `and` (`orders.amount > 800 and
  orders.status = "refunded"`): different orders may meet each; the hint shows `any orders (…)`.

The value reasoning is deliberately conservative: it compares only conditions on the *same* operand
with constant bounds (literals, or `now`/`today`/calendar starts shifted by amounts it can order); when it
cannot decide, it says nothing. NULLs are respected: a positive comparison implies a value is present,
`!=` holds on a missing one, so `x != 3` never implies `x > 1`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import segql.ops.nodes as nodes
from segql import ir
from segql.errors import SegqlError
from segql.syntax import ast
from segql.syntax.printer import format_condition


def lint_segment(definition, segment, schema) -> list:
    """Warnings (SegqlError objects used as diagnostics) for one checked segment."""
    if segment is None or segment.condition is None or definition.condition is None:
        return []
    root = nodes.pair(definition.condition, segment.condition)
    linter = _Linter(schema)
    linter.visit(root)
    seen, out = set(), []
    for w in linter.warnings:
        key = (w.code, w.span, w.message)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return sorted(out, key=lambda w: (w.span.line, w.span.col, w.span.pointer or "", w.code))


# ---- values: constants the reasoning can order ---------------------------------------------------
SECOND, MONTH = "second", "month"
_UNITS = {"second": (SECOND, 1), "minute": (SECOND, 60), "hour": (SECOND, 3600), "day": (SECOND, 86400),
          "week": (SECOND, 7 * 86400), "month": (MONTH, 1), "quarter": (MONTH, 3), "year": (MONTH, 12)}


@dataclass(frozen=True)
class Point:
    """A constant: a literal (domain num|string|boolean|date|timestamp, unit None), or a moving point
    `base + offset` (domain ("at", base IR node), offset in `unit`: seconds or months)."""

    domain: object
    value: object
    unit: str | None = None


def point(e) -> Point | None:
    if isinstance(e, ir.Literal):
        if e.value is None:
            return None
        return Point({"integer": "num", "number": "num"}.get(e.type, e.type), e.value)
    if isinstance(e, (ir.Now, ir.Today)):
        return Point(("at", e), 0)
    if isinstance(e, ir.Func) and e.name == "trunc" and isinstance(e.args[0], ir.Today):
        return Point(("at", e), 0)
    if isinstance(e, ir.Shift):
        base = point(e.base)
        if base is None or not isinstance(base.domain, tuple):
            return None
        unit, factor = _UNITS[e.unit]
        if base.value != 0 and base.unit != unit:
            return None
        return Point(base.domain, base.value + e.amount * factor, unit)
    if isinstance(e, ir.Func) and e.name == "to_timestamp":
        inner = point(e.args[0])
        if inner is None:
            return None
        if isinstance(inner.domain, tuple):
            return Point(("at", ("to_timestamp", inner.domain[1])), inner.value, inner.unit)
        if inner.domain == "date":
            return Point("timestamp", dt.datetime.combine(inner.value, dt.time()))
    return None


def compare(a: Point, b: Point) -> int | None:
    """-1, 0, 1, or None when the two cannot be ordered."""
    if a.domain != b.domain:
        return None
    if isinstance(a.domain, tuple):
        if not (a.unit == b.unit or a.value == 0 or b.value == 0):
            return None
        x, y = a.value, b.value
    else:
        x, y = a.value, b.value
    try:
        return (x > y) - (x < y)
    except TypeError:
        return None


# ---- the set of values a conjunction of comparisons allows ---------------------------------------
@dataclass
class ValueSet:
    """Values of one operand allowed by comparisons with constants: bounds, an `=`/`in` set, `!=`
    exclusions. `present`: some positive comparison requires a value (NULL excluded)."""

    lo: tuple | None = None  # (Point, inclusive)
    hi: tuple | None = None
    eq: list | None = None  # allowed points, or None for "any"
    ne: list = field(default_factory=list)
    present: bool = False
    unknown: bool = False  # something could not be ordered: decide nothing

    def add(self, op: str, value) -> None:
        if op == "!=":
            self.ne.append(value)
            return
        self.present = True
        if op == "in":
            self._restrict(list(value))
        elif op == "=":
            self._restrict([value])
        elif op in (">", ">="):
            self.lo = self._tighter(self.lo, (value, op == ">="), 1)
        elif op in ("<", "<="):
            self.hi = self._tighter(self.hi, (value, op == "<="), -1)

    def _restrict(self, values):
        if self.eq is None:
            self.eq = values
            return
        kept = []
        for v in self.eq:
            matches = [compare(v, w) for w in values]
            if None in matches:
                self.unknown = True
                kept.append(v)
            elif 0 in matches:
                kept.append(v)
        self.eq = kept

    def _tighter(self, old, new, direction):
        if old is None:
            return new
        c = compare(new[0], old[0])
        if c is None:
            self.unknown = True
            return old
        if c == 0:
            return (old[0], old[1] and new[1])
        return new if c == direction else old

    def admits(self, v: Point) -> bool | None:
        for bound, sign in ((self.lo, 1), (self.hi, -1)):
            if bound is None:
                continue
            c = compare(v, bound[0])
            if c is None:
                return None
            if c == -sign or (c == 0 and not bound[1]):
                return False
        for n in self.ne:
            c = compare(v, n)
            if c is None:
                return None
            if c == 0:
                return False
        return True

    def empty(self) -> bool:
        """Certainly no value (and no NULL) is allowed."""
        if self.unknown or not self.present:
            return False
        if self.eq is not None:
            return all(self.admits(v) is False for v in self.eq)
        if self.lo is not None and self.hi is not None:
            c = compare(self.lo[0], self.hi[0])
            if c is None:
                return False
            if c > 0:
                return True
            if c == 0:
                return not (self.lo[1] and self.hi[1]) or self.admits(self.lo[0]) is False
        return False

    def implies(self, other: "ValueSet") -> bool:
        """Every record this set allows, `other` allows too (NULLs included)."""
        if self.unknown or other.unknown:
            return False
        if other.present and not self.present:
            return False
        if other.eq is not None:
            if self.eq is None:
                return False
            return all(any(compare(v, w) == 0 for w in other.eq) for v in self.eq)
        for name, sign in (("lo", 1), ("hi", -1)):
            bound = getattr(other, name)
            if bound is None:
                continue
            if self.eq is not None:
                if not all(other.admits_bound(v, bound, sign) for v in self.eq):
                    return False
                continue
            mine = getattr(self, name)
            if mine is None:
                return False
            c = compare(mine[0], bound[0])
            if c is None:
                return False
            if not (c == sign or (c == 0 and (bound[1] or not mine[1]))):
                return False
        for n in other.ne:
            if any(compare(n, m) == 0 for m in self.ne):
                continue
            if not self.present:
                return False
            if self.eq is not None:
                if any(compare(v, n) in (0, None) for v in self.eq):
                    return False
                continue
            if self.admits(n) is not False:
                return False
        return True

    @staticmethod
    def admits_bound(v, bound, sign) -> bool:
        c = compare(v, bound[0])
        return c is not None and (c == sign or (c == 0 and bound[1]))


def constraints(cond) -> list | None:
    """A condition that is a conjunction of comparisons of operands with constants, as
    [(operand, op, Point | [Point])]; None otherwise."""
    if isinstance(cond, ir.Compare):
        right, left = point(cond.right), point(cond.left)
        if right is not None and left is None:
            return [(cond.left, cond.op, right)]
        if left is not None and right is None:
            flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "="}[cond.op]
            return [(cond.right, flipped, left)]
        return None
    if isinstance(cond, ir.InValues):
        values = [point(v) for v in cond.values]
        if None in values or point(cond.operand) is not None:
            return None
        return [(cond.operand, "in", values)]
    if isinstance(cond, ir.Not) and isinstance(cond.item, ir.Compare) and cond.item.op == "=":
        inner = constraints(cond.item)
        return [(inner[0][0], "!=", inner[0][2])] if inner else None
    if isinstance(cond, ir.And):
        out = []
        for item in cond.items:
            part = constraints(item)
            if part is None:
                return None
            out.extend(part)
        return out
    return None


def value_set(cons) -> tuple[object, ValueSet] | None:
    """The one operand a list of constraints is about, and the values it allows (None: several)."""
    operands = {c[0] for c in cons}
    if len(operands) != 1:
        return None
    vs = ValueSet()
    for _, op, v in cons:
        vs.add(op, v)
    return operands.pop(), vs


# ---- the linter ---------------------------------------------------------------------------------
def _text(node: nodes.Node) -> str:
    try:
        return format_condition(node.syntax)
    except SegqlError:  # pragma: no cover - anything parsed can be printed
        return "this condition"


class _Linter:
    def __init__(self, schema):
        self.schema = schema
        self.warnings: list[SegqlError] = []

    def warn(self, code, message, node: nodes.Node, hints=()):
        span = node.span if node.span is not None else getattr(node.syntax, "span", None)
        self.warnings.append(SegqlError(code, message, span, list(hints)))

    def visit(self, node: nodes.Node):
        if node.kind == "leaf":
            self.leaf(node)
            if node.inner is not None:
                self.visit(node.inner)
            return
        if node.kind == "not":
            child = node.children[0]
            if child.kind == "leaf" and self._never(child.meaning):
                self.warn("W0003", f"`{_text(node)}` is always true: `{_text(child)}` never holds", node,
                          ["drop the condition"])
        if node.kind == "and":
            self.conjunction(node)
        elif node.kind == "or":
            self.disjunction(node)
        for child in node.children:
            self.visit(child)

    # -- single conditions
    def _never(self, meaning) -> bool:
        if isinstance(meaning, ir.Const):
            return not meaning.value
        cons = constraints(meaning)
        if cons is not None:
            vs = value_set(cons)
            if vs is not None and (vs[1].empty() or _count_never(vs)):
                return True
        return False

    def _always(self, meaning) -> bool:
        if isinstance(meaning, ir.Const):
            return meaning.value
        if isinstance(meaning, ir.Not):
            return self._never(meaning.item)
        cons = constraints(meaning)
        if cons is not None:
            vs = value_set(cons)
            return vs is not None and _count_always(vs)
        return False

    def leaf(self, node: nodes.Node):
        meaning, syntax = node.meaning, node.syntax
        if self._never(meaning):
            why = "an empty list matches nothing" if isinstance(syntax, ast.InList) and not syntax.items else (
                "its bounds are reversed" if isinstance(syntax, ast.Between) else "no value can meet it")
            hints = ["write the smaller bound first: `between 1 and 10`"] if isinstance(syntax, ast.Between) \
                else []
            self.warn("W0002", f"`{_text(node)}` is never true: {why}", node, hints)
        elif self._always(meaning):
            self.warn("W0003", f"`{_text(node)}` is always true", node, ["drop the condition"])
        self.negated_to_many(node)
        self.window(node)

    def negated_to_many(self, node: nodes.Node):
        syntax, meaning = node.syntax, node.meaning
        negated = (isinstance(syntax, ast.Compare) and syntax.op == "!=") or (
            isinstance(syntax, (ast.InList, ast.Between, ast.TextMatch, ast.InPeriod)) and syntax.negated)
        if not negated or not isinstance(meaning, ir.Not):
            return
        rels, cur = [], meaning.item
        while isinstance(cur, ir.Exists):
            rels.append(cur.rel)
            cur = cur.condition
        if not rels or not any(r.kind == "many" for r in rels):
            return
        path = _operand_path(syntax)
        if path is None or len(path.parts) <= len(rels):
            return
        prefix = ".".join(path.parts[:len(rels)])
        positive = _positive(syntax, path, ast.Path(path.parts[len(rels):]))
        if positive is None:
            return
        inner = format_condition(positive)
        negated_inner = format_condition(_relative(syntax, path, ast.Path(path.parts[len(rels):])))
        many = next(r for r in rels if r.kind == "many")
        self.warn("W0005", f"`{_text(node)}` holds when no {prefix} record has `{inner}` (records without "
                  f"{many.name} included), not when some {prefix} record has `{negated_inner}`", node,
                  [f"write `no {prefix} ({inner})` to say so, or `any {prefix} ({negated_inner})` if you meant "
                   f"the other"])

    def window(self, node: nodes.Node):
        syntax = node.syntax
        if isinstance(syntax, ast.Compare):
            for side, other, ops in ((syntax.right, syntax.left, ("<", "<=", "after")),
                                     (syntax.left, syntax.right, (">", ">=", "before"))):
                if isinstance(side, ast.Duration) and side.ago and side.amount == 0 and syntax.op in ops:
                    self.warn("W0006", f"`{_text(node)}` only matches times in the future (an age below 0)",
                              node, ["did you mean a positive amount, e.g. `< 7 days ago`?"])
                    return
        period = syntax.period if isinstance(syntax, ast.InPeriod) else None
        if isinstance(syntax, ast.Between) and isinstance(syntax.high, ast.Duration) and syntax.high.ago:
            low = syntax.low.amount if isinstance(syntax.low, ast.Duration) else getattr(syntax.low, "value", None)
            period = ast.Period("between", syntax.high.unit, low, syntax.high.amount)
        if period is not None and period.kind == "between" and period.amount == period.amount2:
            cons = constraints(node.meaning.item if isinstance(node.meaning, ir.Not) else node.meaning)
            vs = value_set(cons) if cons else None
            if vs is not None and vs[1].lo is not None and _moves_with_now(vs[1].lo[0]):
                self.warn("W0006", f"`{_text(node)}` is a window of one instant: it almost never matches",
                          node, [f"widen it, e.g. `between {period.amount} and {period.amount + 1} "
                                 f"{period.unit}s ago`"])

    # -- and / or
    def _sets(self, node: nodes.Node):
        out = []
        for child in node.children:
            cons = constraints(child.meaning) if child.kind == "leaf" else None
            vs = value_set(cons) if cons else None
            out.append(vs)
        return out

    def conjunction(self, node: nodes.Node):
        items = node.children
        for j, b in enumerate(items):
            for a in items[:j]:
                if _negation_of(a.meaning, b.meaning):
                    self.warn("W0001", f"`{_text(b)}` contradicts `{_text(a)}`: together they never hold", b,
                              ["this `and` matches no record; check the conditions"])
                elif a.meaning == b.meaning:
                    self.warn("W0004", f"`{_text(b)}` repeats `{_text(a)}`", b, ["drop one of them"])
        self.separate_related(items)
        sets = self._sets(node)
        groups: dict = {}
        for i, vs in enumerate(sets):
            if vs is not None:
                groups.setdefault(vs[0], []).append(i)
        for members in groups.values():
            if len(members) < 2:
                continue
            running = ValueSet()
            contradiction = False
            for k, i in enumerate(members):
                cons = constraints(items[i].meaning)
                for _, op, v in cons:
                    running.add(op, v)
                if running.empty() and not sets[i][1].empty():
                    partners = [items[m] for m in members[:k] if _pair_empty(sets[m][1], sets[i][1])] or \
                        [items[m] for m in members[:k]]
                    self.warn("W0001", f"`{_text(items[i])}` contradicts "
                              f"{' and '.join(f'`{_text(p)}`' for p in partners)}: together they never hold",
                              items[i], ["this `and` matches no record; check the conditions"])
                    contradiction = True
                    break
            if contradiction:
                continue
            reported = set()
            for i in members:
                for j in members:
                    if i == j or j in reported or items[i].meaning == items[j].meaning:
                        continue
                    if sets[i][1].implies(sets[j][1]):
                        if sets[j][1].implies(sets[i][1]) and j < i:
                            continue  # the same values twice: report the later one
                        self.warn("W0004", f"`{_text(items[j])}` is redundant: `{_text(items[i])}` already "
                                  "implies it", items[j], ["drop it, or check that the bounds are the ones "
                                                           "you meant"])
                        reported.add(j)

    def separate_related(self, items):
        """W0007: two dotted conditions of one `and` through the same to-many relationship
        (`orders.amount > 800 and orders.status = "refunded"`) may be met by different related records."""
        groups: dict = {}
        for item in items:
            found = _dotted_to_many(item)
            if found is not None:
                groups.setdefault(found[0], []).append((item, found))
        for members in groups.values():
            if len(members) < 2:
                continue
            prefix = members[0][1][1]
            inner = " and ".join(f[2] for _, f in members)
            written = " and ".join(f"`{_text(m)}`" for m, _ in members)
            self.warn("W0007", f"{written} may each be met by a different {prefix} record", members[1][0],
                      [f"write `any {prefix} ({inner})` if one {prefix} record must meet all of them"])

    def disjunction(self, node: nodes.Node):
        items = node.children
        for j, b in enumerate(items):
            for a in items[:j]:
                if _negation_of(a.meaning, b.meaning):
                    self.warn("W0003", f"`{_text(a)} or {_text(b)}` is always true", b,
                              ["drop the `or`: every record meets one of them"])
                elif a.meaning == b.meaning:
                    self.warn("W0004", f"`{_text(b)}` repeats `{_text(a)}`", b, ["drop one of them"])
        sets = self._sets(node)
        reported = set()
        for i, si in enumerate(sets):
            for j, sj in enumerate(sets):
                if i == j or si is None or sj is None or si[0] != sj[0] or i in reported:
                    continue
                if items[i].meaning == items[j].meaning:
                    continue
                if si[1].implies(sj[1]):
                    if sj[1].implies(si[1]) and i < j:
                        continue
                    self.warn("W0004", f"`{_text(items[i])}` is redundant: `{_text(items[j])}` already "
                              "includes every record it matches", items[i], ["drop it"])
                    reported.add(i)


# ---- helpers ------------------------------------------------------------------------------------
def _pair_empty(a: ValueSet, b: ValueSet) -> bool:
    merged = ValueSet()
    for vs in (a, b):
        merged.ne.extend(vs.ne)
        merged.present |= vs.present
        merged.unknown |= vs.unknown
        if vs.eq is not None:
            merged._restrict(list(vs.eq))
        if vs.lo is not None:
            merged.lo = merged._tighter(merged.lo, vs.lo, 1)
        if vs.hi is not None:
            merged.hi = merged._tighter(merged.hi, vs.hi, -1)
    return merged.empty()


def _is_count(operand) -> bool:
    return isinstance(operand, ir.Aggregate) and operand.func == "count"


def _count_never(vs) -> bool:
    """A count is never below 0."""
    operand, s = vs
    if not _is_count(operand):
        return False
    zero = Point("num", 0)
    if s.hi is not None:
        c = compare(s.hi[0], zero)
        if c is not None and (c < 0 or (c == 0 and not s.hi[1])):
            return True
    return s.eq is not None and all(compare(v, zero) == -1 for v in s.eq)


def _count_always(vs) -> bool:
    operand, s = vs
    if not _is_count(operand) or s.eq is not None or s.hi is not None or s.ne or s.lo is None:
        return False
    c = compare(s.lo[0], Point("num", 0))
    return c is not None and (c < 0 or (c == 0 and s.lo[1]))


def _negation_of(a, b) -> bool:
    return (isinstance(a, ir.Not) and a.item == b) or (isinstance(b, ir.Not) and b.item == a)


def _moves_with_now(p: Point) -> bool:
    if not isinstance(p.domain, tuple):
        return False
    base = p.domain[1]
    return isinstance(base, ir.Now)


def _operand_path(syntax) -> ast.Path | None:
    if isinstance(syntax, ast.Compare):
        for side in (syntax.left, syntax.right):
            if isinstance(side, ast.Path):
                return side
        return None
    operand = getattr(syntax, "operand", None)
    return operand if isinstance(operand, ast.Path) else None


def _dotted_to_many(node: nodes.Node):
    """(relationships, written prefix, the condition inside) for a positive leaf written through a
    to-many path (`orders.amount > 800`), else None."""
    if node.kind != "leaf" or not isinstance(node.meaning, ir.Exists) or node.meaning.up:
        return None
    syntax = node.syntax
    if isinstance(syntax, ast.Compare) and syntax.op == "!=" or getattr(syntax, "negated", False):
        return None
    rels, cur = [], node.meaning
    while isinstance(cur, ir.Exists):
        rels.append(cur.rel)
        cur = cur.condition
    path = _operand_path(syntax)
    if not any(r.kind == "many" for r in rels) or path is None or len(path.parts) <= len(rels):
        return None
    try:
        inner = format_condition(_relative(syntax, path, ast.Path(path.parts[len(rels):])))
    except SegqlError:  # pragma: no cover - anything parsed can be printed
        return None
    return tuple(r.name for r in rels), ".".join(path.parts[:len(rels)]), inner


def _relative(syntax, path: ast.Path, rest: ast.Path):
    """The same condition with the path replaced by its part inside the quantifier."""
    if isinstance(syntax, ast.Compare):
        if syntax.left is path:
            return dataclasses.replace(syntax, left=rest)
        return dataclasses.replace(syntax, right=rest)
    return dataclasses.replace(syntax, operand=rest)


def _positive(syntax, path: ast.Path, rest: ast.Path):
    rel = _relative(syntax, path, rest)
    if isinstance(rel, ast.Compare):
        return dataclasses.replace(rel, op="=")
    return dataclasses.replace(rel, negated=False)
