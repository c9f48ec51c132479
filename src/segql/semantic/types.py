"""Types: literals, arithmetic, and the coercions comparisons need (numbers with numbers, a string
literal read as a date or timestamp, a date promoted to 00:00 next to a timestamp; SPEC §2.2, §2.5)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from segql import ir
from segql.clock import parse_iso
from segql.errors import SegqlError, collected
from segql.semantic.scope import NUMERIC, TEMPORAL, Multi, rate_hint
from segql.semantic.scope import err as _err
from segql.syntax import ast


class TypesMixin:
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

    def _Unary(self, node, scope):
        value = self.scalar(node.operand, scope)
        if value.type not in NUMERIC:
            raise _err("E0302", f"cannot negate a {value.type} value", node)
        if isinstance(value, ir.Literal):
            return ir.Literal(-value.value, value.type)
        return ir.Negate(value)

    def _Binary(self, node, scope):
        left_node, right_node = node.left, node.right
        if isinstance(right_node, ast.Duration) and not right_node.ago and node.op in "+-":
            base = self.scalar(left_node, scope)
            return self._shift(base, right_node, -1 if node.op == "-" else 1, node)
        if isinstance(left_node, ast.Duration) and not left_node.ago and node.op == "+":
            base = self.scalar(right_node, scope)
            return self._shift(base, left_node, 1, node)
        errors, left, right = [], None, None
        try:
            left = self.scalar(left_node, scope)
        except SegqlError as error:
            errors.append(error)
        try:
            right = self.scalar(right_node, scope)
        except SegqlError as error:
            rate_hint(error, node, scope, self.schema)
            errors.append(error)
        if errors:
            raise collected(errors)
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

    def _align_temporal(self, *values):
        if {v.type for v in values} == {"date", "timestamp"}:
            return tuple(self._promote(v, "timestamp") for v in values)
        return values

    def _promote(self, value, kind):
        if kind == "timestamp" and value.type == "date":
            return ir.Func("to_timestamp", (value,), "timestamp")
        return value
