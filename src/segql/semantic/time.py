"""Time: `now`/`today`, durations, ages (`x < 30 days ago`), rolling windows and calendar periods
(`in last 30 days`, `in this month`), `between N and M units ago`, anniversaries (SPEC §2.5)."""
from __future__ import annotations

import math

from segql import ir
from segql.errors import SegqlError
from segql.semantic.scope import SUB_DAY, TEMPORAL, Multi
from segql.semantic.scope import article as _a
from segql.semantic.scope import err as _err
from segql.syntax import ast
from segql.syntax.printer import format_condition
from segql.syntax.printer import unit as unit_text

_SECONDS = {"second": 1, "minute": 60, "hour": 3600}


def _days(amount: int, unit: str) -> int:
    """Whole days covering `amount` sub-day units (at least 1)."""
    return max(1, math.ceil(amount * _SECONDS[unit] / 86400))


def _text(node) -> str:
    try:
        return format_condition(node)
    except SegqlError:  # pragma: no cover - anything parsed can be printed
        return "x"


class TimeMixin:
    def _Keyword(self, node, scope):
        return ir.Now() if node.name == "now" else ir.Today()

    def _Duration(self, node, scope):
        hint = f"write `{node.amount} {node.unit}s ago`, or `today - {node.amount} {node.unit}s`"
        if node.ago:
            raise _err("E0306", f"`{node.amount} {node.unit}s ago` can only be compared with a date or timestamp",
                       node, ["e.g. `last_purchase < 30 days ago`"])
        raise _err("E0306", "a duration can only be added to or subtracted from a date or timestamp", node, [hint])

    def _shift(self, base, duration: ast.Duration, sign, node):
        if base.type not in TEMPORAL:
            raise _err("E0306", f"cannot add a duration to a {base.type} value", node,
                       ["durations apply to dates and timestamps, e.g. `today - 30 days`"])
        if base.type == "date" and duration.unit in SUB_DAY:
            base = ir.Func("to_timestamp", (base,), "timestamp")
        return ir.Shift(base, sign * duration.amount, duration.unit)

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

    def _refuse_sub_day_on_date(self, value, unit, node, day_form):
        """SPEC §2.5: a date has no time of day, so an age or window in hours, minutes or seconds on it
        would change its membership with the hour the query runs: a compile error whose hint counts days."""
        if value.type == "date" and unit in SUB_DAY:
            raise _err("E0306", f"an age or window in {unit}s on a date, which has no time of day", node,
                       [f"count whole days: `{day_form}`"])

    def _compare_age(self, op, left_node, ago: ast.Duration, scope, node):
        value = self._temporal_operand(left_node, scope, f"`{ago.amount} {ago.unit}s ago`")
        age_ops = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "before": "<", "after": ">"}

        def build(v):
            if ago.unit in SUB_DAY:
                self._refuse_sub_day_on_date(
                    v, ago.unit, node, f"{_text(left_node)} {op} {unit_text(_days(ago.amount, ago.unit), 'day')} ago")
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

    def _window(self, value: ir.Expr, period: ast.Period, node, operand: str = "x") -> ir.Cond:
        """`value in last N units` / `in this month` / `in last month` / `between N and M units ago`
        (`operand`: how the value was written, for hints)."""
        if period.unit in SUB_DAY:
            if period.kind == "rolling":
                form = f"{operand} in last {unit_text(_days(period.amount, period.unit), 'day')}"
            else:
                low, high = sorted((period.amount, period.amount2))
                low_days = low * _SECONDS[period.unit] // 86400  # the window's whole days: widened, not narrowed
                form = f"{operand} between {low_days} and {_days(high, period.unit)} days ago"
            self._refuse_sub_day_on_date(value, period.unit, node, form)
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
        text = _text(node.operand)
        cond = self._lift(value, lambda v: self._window(v, node.period, node, text), 0) \
            if isinstance(value, Multi) else self._window(value, node.period, node, text)
        return ir.Not(cond) if node.negated else cond

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
