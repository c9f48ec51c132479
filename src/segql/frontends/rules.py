"""Seed 002's rule-list API → syntax tree.

    {"name": "High Value Active", "logic": "AND",
     "conditions": [{"field": "lifetime_value", "operator": "greater_than", "value": 500},
                    {"field": "last_activity", "operator": "within_days", "value": 30},
                    {"logic": "OR", "conditions": [...]}]}

Values are typed like MongoDB-style ones: a string is read only for a date/timestamp property.
"""
from __future__ import annotations

from segql.frontends.mongo import Ctx, MongoReader, _conj, sequence
from segql.schema import did_you_mean
from segql.syntax import ast

COMPARE = {
    "equals": "=", "not_equals": "!=", "greater_than": ">", "greater_than_or_equal": ">=",
    "greater_than_or_equals": ">=", "less_than": "<", "less_than_or_equal": "<=", "less_than_or_equals": "<=",
}
TEXT = {"contains": ("contains", False), "not_contains": ("contains", True), "starts_with": ("starts", False),
        "not_starts_with": ("starts", True), "ends_with": ("ends", False), "not_ends_with": ("ends", True),
        "matches": ("matches", False), "not_matches": ("matches", True)}
UNARY = {"is_null": (ast.IsNull, False), "is_not_null": (ast.IsNull, True), "is_empty": (ast.IsEmpty, False),
         "is_not_empty": (ast.IsEmpty, True)}
DAYS = ("within_days", "more_than_days_ago", "less_than_days_ago")
OPERATORS = (*COMPARE, *TEXT, *UNARY, "in", "not_in", "between", "not_between", *DAYS, "sequence", "not_sequence")
RULE_KEYS = ("field", "operator", "value", "id")
GROUP_KEYS = ("conditions", "logic", "id")


class RulesReader:
    def __init__(self, ctx: Ctx):
        self.ctx = ctx

    def group(self, conditions, logic, tokens, logic_tokens, entity, depth=0) -> ast.Node:
        ctx = self.ctx
        if depth > 100:
            raise ctx.error("E0155", "the rule groups are nested too deeply", tokens)
        if not isinstance(conditions, list) or not conditions:
            raise ctx.error("E0152", "conditions must be a non-empty array of rules", tokens,
                            ['e.g. [{"field": "country", "operator": "equals", "value": "US"}]'])
        if logic is None:
            logic = "AND"
        if not isinstance(logic, str) or logic.upper() not in ("AND", "OR"):
            raise ctx.error("E0152", f"logic must be \"AND\" or \"OR\", not {logic!r}", logic_tokens)
        items = []
        for i, cond in enumerate(conditions):
            t = tokens + (i,)
            if not isinstance(cond, dict):
                raise ctx.error("E0152", "a condition must be an object", t)
            if "conditions" in cond:
                self._keys(cond, GROUP_KEYS, t)
                items.append(self.group(cond["conditions"], cond.get("logic"), t + ("conditions",),
                                        t + ("logic",), entity, depth + 1))
            else:
                self._keys(cond, RULE_KEYS, t)
                items.append(self.rule(cond, t, entity))
        span = ctx.span(tokens)
        if logic.upper() == "AND":
            return _conj(items, span)
        return items[0] if len(items) == 1 else ast.Or(tuple(items), span=span)

    def _keys(self, obj, allowed, tokens):
        for key in obj:
            if key not in allowed:
                raise self.ctx.error("E0158", f"unknown key {key!r} in a condition", tokens + (key,),
                                     did_you_mean(str(key), allowed) or [f"keys: {', '.join(allowed)}"], key=True)

    def rule(self, rule, tokens, entity) -> ast.Node:
        ctx = self.ctx
        for key in ("field", "operator"):
            if not isinstance(rule.get(key), str) or not rule[key]:
                raise ctx.error("E0152", f"a condition needs \"{key}\" (a string)", tokens + ((key,) if key in rule else ()))
        field, op = rule["field"], rule["operator"]
        ft, ot, vt = tokens + ("field",), tokens + ("operator",), tokens + ("value",)
        path = MongoReader(ctx).path(field, ft)
        path = ast.Path(path.parts, span=ctx.span(ft))
        info = ctx.resolve(entity, path.parts)
        ptype = info.type
        span = ctx.span(tokens)
        value = rule.get("value")
        if op in ("sequence", "not_sequence"):  # SPEC §8 on the event stream: {"field": "events", …}
            if info.kind != "unknown" and (info.kind != "relationship" or info.rel.kind != "many"
                                           or not info.target.is_event_stream):
                raise ctx.error("E0152", f"{op} applies to the event stream (a relationship such as \"events\"), "
                                f"not to {field}", ft)
            self._need(rule, vt, op)
            return sequence(ctx, value, vt, entity, negated=op == "not_sequence", span=span)
        if info.kind == "relationship":
            raise ctx.error("E0152", f"{field} is a relationship; compare one of its fields (\"{field}.<field>\")",
                            ft)
        if op in COMPARE:
            self._need(rule, vt, op)
            lit = ctx.literal(value, vt, ptype, allow_null=op in ("equals", "not_equals"))
            return ast.Compare(COMPARE[op], path, lit, span=span)
        if op in TEXT:
            kind, negated = TEXT[op]
            self._need(rule, vt, op)
            if ptype not in (None, "string"):
                raise ctx.error("E0151", f"{op} needs a string property, but {field} is a {ptype}", ft)
            if not isinstance(value, str):
                raise ctx.error("E0151", f"{op} takes a string", vt)
            return ast.TextMatch(kind, path, ast.Literal("string", value, span=ctx.span(vt)), negated=negated, span=span)
        if op in UNARY:
            if value is not None and value is not True:
                raise ctx.error("E0152", f"{op} takes no value", vt)
            node_type, negated = UNARY[op]
            return node_type(path, negated=negated, span=span)
        if op in ("in", "not_in"):
            self._need(rule, vt, op)
            if not isinstance(value, list):
                raise ctx.error("E0152", f"{op} takes an array of values", vt, ['e.g. "value": ["CA", "NY"]'])
            items = tuple(ctx.literal(v, vt + (i,), ptype, allow_null=True) for i, v in enumerate(value))
            return ast.InList(path, items, negated=op == "not_in", span=span)
        if op in ("between", "not_between"):
            self._need(rule, vt, op)
            if not isinstance(value, list) or len(value) != 2:
                raise ctx.error("E0152", f"{op} takes [low, high]", vt, ['e.g. "value": [10, 20]'])
            low = ctx.literal(value[0], vt + (0,), ptype, allow_null=False)
            high = ctx.literal(value[1], vt + (1,), ptype, allow_null=False)
            return ast.Between(path, low, high, negated=op == "not_between", span=span)
        if op in DAYS:
            self._need(rule, vt, op)
            if ptype not in (None, "date", "timestamp"):
                raise ctx.error("E0151", f"{op} needs a date or timestamp property, but {field} is a {ptype}", ft)
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if op == "within_days" else 0):
                raise ctx.error("E0151", f"{op} takes a whole number of days", vt, ['e.g. "value": 30'])
            if op == "within_days":
                return ast.InPeriod(path, ast.Period("rolling", "day", value, span=ctx.span(vt)), span=span)
            age = ast.Duration(value, "day", ago=True, span=ctx.span(vt))
            return ast.Compare(">" if op == "more_than_days_ago" else "<", path, age, span=span)
        raise ctx.error("E0153", f"unknown operator {op!r}", ot,
                        did_you_mean(op, OPERATORS) or [f"operators: {', '.join(OPERATORS)}"])

    def _need(self, rule, vt, op):
        if "value" not in rule:
            raise self.ctx.error("E0152", f"{op} needs a \"value\"", vt[:-1])
