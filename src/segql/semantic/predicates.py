"""Predicates: comparisons, `in (…)`, `between`, `is null`, `is empty`, text matching — each lifted into
`Exists` when its operand crosses a to-many relationship (SPEC §2.4)."""
from __future__ import annotations

from segql import ir
from segql.errors import SegqlError, collected
from segql.semantic import regex
from segql.semantic.scope import TEMPORAL, Multi, bare_word_hint
from segql.semantic.scope import article as _a
from segql.semantic.scope import err as _err
from segql.syntax import ast


class PredicatesMixin:
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
        left, right = self._operands(left_node, right_node, scope)
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

    def _operands(self, left_node, right_node, scope):
        """Both sides checked, every error of both reported (`check` lists them all)."""
        errors, left, right = [], None, None
        try:
            left = self.expr(left_node, scope)
        except SegqlError as error:
            errors.append(error)
        try:
            right = self.expr(right_node, scope)
        except SegqlError as error:
            bare_word_hint(error, right_node, left)
            errors.append(error)
        if errors:
            raise collected(errors)
        return left, right

    def _InList(self, node, scope):
        if not node.items:
            cond = ir.Const(False)
            return ir.Not(cond) if node.negated else cond
        errors, operand = [], None
        try:
            operand = self.expr(node.operand, scope)
        except SegqlError as error:
            errors.append(error)
        has_null = any(isinstance(i, ast.Literal) and i.kind == "null" for i in node.items)
        items = [i for i in node.items if not (isinstance(i, ast.Literal) and i.kind == "null")]
        values = []
        for item in items:
            try:
                values.append(self.scalar(item, scope))
            except SegqlError as error:
                bare_word_hint(error, item, operand)
                errors.append(error)
        if errors:
            raise collected(errors)

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
            values = [ir.shift_scopes(v, len(operand.steps)) for v in values]  # evaluated on the related record
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

    def _IsNull(self, node, scope):
        cond = self._is_null(node.operand, scope)
        return ir.Not(cond) if node.negated else cond

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

    def _IsEmpty(self, node, scope):
        value = self.expr(node.operand, scope)
        inner = value.value if isinstance(value, Multi) else value
        if getattr(inner, "type", None) != "string":
            raise _err("E0302", "`is empty` tests strings", node, ["use `is null` for other values"])
        if isinstance(value, Multi):
            cond = ir.Or((ir.Not(self._exists_chain(value.steps, None)),
                          self._exists_chain(value.steps, ir.Or((ir.IsNull(value.value),
                                                                 ir.Compare("=", value.value, ir.Literal("", "string")))))))
        elif isinstance(value, ir.Literal):  # known now, as a literal `is null` (a bound `$1 IS NULL` has no type)
            cond = ir.Const(value.value in (None, ""))
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
