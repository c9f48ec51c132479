"""The function catalogue, as data, and the checking of calls and aggregates.

`FUNCTIONS` are the scalar functions of the IR (`ir.Func.name`): their argument kinds, result type, the
dialect operation that lowers them (lower/sql.py) and whether a missing argument makes them missing (the
evaluator, and lowering's NULL guards). `CALLS` are the functions a segment can call: arity, argument
kinds, the hint shown on misuse, and what each becomes. The checker, lowering and the evaluator all read
these tables, so a function is added in one place.
"""
from __future__ import annotations

from dataclasses import dataclass

from segql import ir
from segql.schema import did_you_mean
from segql.semantic.scope import NUMERIC, TEMPORAL, Scope
from segql.semantic.scope import err as _err
from segql.syntax import ast

CONSTANT_KINDS = ("unit", "digits")  # arguments that are literals fixed at compile time, not values


@dataclass(frozen=True)
class Function:
    """A scalar function of the IR."""

    name: str
    params: tuple[str, ...]  # kinds: temporal | string | numeric | any | unit (a Literal) | digits (a Literal)
    result: str  # a type; "arg": the first argument's type; "common": the arguments' common type
    sql: str  # the dialect `Ops` method that lowers it, or "exp.<Node>" for a plain sqlglot node
    sql_args: tuple = ()  # constant leading arguments of that method (extract's field name)
    strict: bool = True  # missing when any argument is missing (coalesce is not)
    variadic: bool = False  # the last parameter repeats

    def kinds(self, n: int) -> tuple[str, ...]:
        """The kinds of `n` arguments."""
        if self.variadic and n > len(self.params):
            return self.params + (self.params[-1],) * (n - len(self.params))
        return self.params[:n]


FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("year", ("temporal",), "integer", "extract", ("year",)),
    Function("month", ("temporal",), "integer", "extract", ("month",)),
    Function("day", ("temporal",), "integer", "extract", ("day",)),
    Function("isodow", ("temporal",), "integer", "extract", ("isodow",)),
    Function("trunc", ("temporal", "unit"), "arg", "trunc_date"),
    Function("date_of", ("temporal",), "date", "date_of"),
    Function("to_timestamp", ("temporal",), "timestamp", "to_timestamp"),
    Function("days_between", ("temporal", "temporal"), "integer", "days_between"),
    Function("lower", ("string",), "string", "lower"),
    Function("upper", ("string",), "string", "upper"),
    Function("length", ("string",), "integer", "length"),
    Function("abs", ("numeric",), "arg", "exp.Abs"),
    Function("round", ("numeric", "digits"), "number", "round_half_away"),
    Function("coalesce", ("any",), "common", "exp.Coalesce", strict=False, variadic=True),
)}


@dataclass(frozen=True)
class Call:
    """A function a segment can call."""

    name: str
    form: str  # func: `func` of the arguments | current: `func` of today | anniversary | aggregate
    signature: str  # shown in hints
    params: tuple[str, ...] = ()
    func: str | None = None
    optional: int = 0  # trailing parameters that may be left out
    at_least: int | None = None  # variadic: the fewest arguments


_DATE_PART = "(date or timestamp)"
CALLS: dict[str, Call] = {c.name: c for c in (
    Call("year", "func", f"year{_DATE_PART} → integer", ("temporal",), "year"),
    Call("month", "func", f"month{_DATE_PART} → 1..12", ("temporal",), "month"),
    Call("day", "func", f"day{_DATE_PART} → 1..31", ("temporal",), "day"),
    Call("day_of_week", "func", f"day_of_week{_DATE_PART} → 1 (Monday)..7", ("temporal",), "isodow"),
    Call("dayofweek", "func", f"dayofweek{_DATE_PART} → 1 (Monday)..7", ("temporal",), "isodow"),
    Call("weekday", "func", f"weekday{_DATE_PART} → 1 (Monday)..7", ("temporal",), "isodow"),
    Call("current_month", "current", "current_month() → 1..12", func="month"),
    Call("current_year", "current", "current_year() → integer", func="year"),
    Call("current_day", "current", "current_day() → 1..31", func="day"),
    Call("lower", "func", "lower(string) → string", ("string",), "lower"),
    Call("upper", "func", "upper(string) → string", ("string",), "upper"),
    Call("length", "func", "length(string) → integer", ("string",), "length"),
    Call("abs", "func", "abs(number) → number", ("numeric",), "abs"),
    Call("round", "func", "round(number[, digits]) → number", ("numeric", "digits"), "round", optional=1),
    Call("coalesce", "func", "coalesce(a, b, ...) → the first present value", ("any",), "coalesce", at_least=2),
    Call("anniversary", "anniversary", f"anniversary{_DATE_PART} → true on its month and day", ("temporal",)),
    Call("count", "aggregate", "count(relationship [where ...])"),
    Call("sum", "aggregate", "sum(relationship.property [where ...])"),
    Call("avg", "aggregate", "avg(relationship.property [where ...])"),
    Call("min", "aggregate", "min(relationship.property [where ...])"),
    Call("max", "aggregate", "max(relationship.property [where ...])"),
)}

_NEEDS = {"temporal": ("a date or timestamp", TEMPORAL), "string": ("a string", ("string",)),
          "numeric": ("a number", NUMERIC)}


class FunctionsMixin:
    def _Call(self, node, scope):
        name = node.name
        call = CALLS.get(name)
        if call is None:
            known = list(CALLS)
            raise _err("E0304", f"unknown function {name}()", node.name_span or node,
                       did_you_mean(name, known) or [f"functions: {', '.join(known)}"])
        if call.form == "aggregate":
            return self._aggregate(node, scope)
        if node.where is not None:
            raise _err("E0304", f"`where` is only allowed in count/sum/avg/min/max, not in {name}()", node.where)
        args = node.args
        self._arity(call, node)
        if call.form == "current":
            return ir.Func(call.func, (ir.Today(),), FUNCTIONS[call.func].result)
        kinds = call.params + (call.params[-1],) * (len(args) - len(call.params))
        values = [self._argument(call, kind, arg, scope) for kind, arg in zip(kinds, args)]
        if call.form == "anniversary":
            return self._anniversary(values[0])
        func = FUNCTIONS[call.func]
        if "digits" in func.params and len(values) < len(func.params):
            values.append(ir.Literal(0, "integer"))  # round(x) keeps no digits
        if func.result == "arg":
            kind = values[0].type
        elif func.result == "common":
            kind = self._common_type(values, args, f"{name}()")
            values = [self._coerce_to(v, kind) for v in values]
        else:
            kind = func.result
        return ir.Func(func.name, tuple(values), kind)

    def _arity(self, call: Call, node):
        n, most = len(node.args), len(call.params)
        if call.at_least is not None:
            if n < call.at_least:
                raise _err("E0304", f"{call.name}() takes at least {call.at_least} arguments", node,
                           [call.signature])
            return
        least = most - call.optional
        if least <= n <= most:
            return
        shown = str(most) if least == most else f"{least} or {most}" if most == least + 1 else f"{least} to {most}"
        raise _err("E0304", f"{call.name}() takes {shown} argument{'s' if shown != '1' else ''}, got {n}", node,
                   [call.signature])

    def _argument(self, call: Call, kind: str, node, scope):
        """One argument of a call, checked against its kind."""
        if kind == "digits":
            while isinstance(node, ast.Parens):  # `round(x, (-1))` is `round(x, -1)`
                node = node.item
            if not (isinstance(node, ast.Literal) and node.kind == "number" and isinstance(node.value, int)):
                raise _err("E0304", f"{call.name}()'s second argument must be a whole number of digits", node)
            if abs(node.value) > 15:  # 10**-400 is no double: the SQL could not run alike everywhere
                raise _err("E0304", f"{call.name}() rounds to at most 15 digits either side of the point", node)
            return ir.Literal(node.value, "integer")
        value = self.scalar(node, scope, "an argument")
        if kind in _NEEDS:
            what, types = _NEEDS[kind]
            if value.type not in types:
                raise _err("E0304", f"{call.name}() needs {what}, got {value.type}", node, [call.signature])
        return value

    @staticmethod
    def _signature(name):
        call = CALLS.get(name)
        return call.signature if call is not None else f"{name}(...)"

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
