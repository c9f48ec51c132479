"""react-querybuilder queries → syntax tree.

    {"combinator": "and", "not": false, "rules": [
        {"field": "age", "operator": ">", "value": "18"},
        {"combinator": "or", "rules": [...]}]}

As its UI produces them, values typed into inputs arrive as strings; they are read by the property's type
("5" for an integer property is 5, "true" for a boolean is true, a date stays a string the checker reads).
`in`/`notIn`/`between`/`notBetween` take an array or a comma-separated string. A rule with
`"valueSource": "field"` compares with another field. Rules and groups with `"disabled": true`, and
groups left without enabled rules, are dropped, as react-querybuilder's `formatQuery` does. The "independent combinators" form
(`"rules": [rule, "and", rule, "or", rule]`) is read with `and` binding tighter than `or`.
"""
from __future__ import annotations

import re
from decimal import Decimal

from segql import limits
from segql.frontends.mongo import Ctx, MongoReader, _conj
from segql.schema import did_you_mean
from segql.syntax import ast

COMPARE = {"=": "=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
TEXT = {"contains": ("contains", False), "beginsWith": ("starts", False), "endsWith": ("ends", False),
        "doesNotContain": ("contains", True), "doesNotBeginWith": ("starts", True),
        "doesNotEndWith": ("ends", True)}
OPERATORS = (*COMPARE, *TEXT, "null", "notNull", "in", "notIn", "between", "notBetween")
RULE_KEYS = ("field", "operator", "value", "valueSource", "id", "disabled", "path")
GROUP_KEYS = ("combinator", "not", "rules", "id", "disabled", "path")
_INT = re.compile(r"[+-]?[0-9]+")
# decimal notation in ASCII digits, as a number input sends it (Python's int()/Decimal() also take `1_000`,
# full-width and other scripts' digits)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class QueryBuilderReader:
    def __init__(self, ctx: Ctx):
        self.ctx = ctx

    def group(self, group, tokens, entity, *, extra_keys=(), depth=0) -> ast.Node | None:
        """The group's condition, or None when it has no enabled rules (then it constrains nothing)."""
        ctx = self.ctx
        if depth > 100:
            raise ctx.error("E0155", "the rule groups are nested too deeply", tokens)
        if not isinstance(group, dict):
            raise ctx.error("E0152", "a rule group must be an object", tokens)
        for key in group:
            if key not in GROUP_KEYS and key not in extra_keys:
                raise ctx.error("E0158", f"unknown key {key!r} in a rule group", tokens + (key,),
                                did_you_mean(str(key), GROUP_KEYS) or [f"keys: {', '.join(GROUP_KEYS)}"], key=True)
        rules = group.get("rules")
        if not isinstance(rules, list):
            raise ctx.error("E0152", "a rule group needs \"rules\": [...]", tokens + (("rules",) if "rules" in group else ()))
        span = ctx.span(tokens)
        ic = any(isinstance(r, str) for r in rules)
        if ic:
            node = self._independent(rules, tokens + ("rules",), entity, depth)
        else:
            combinator = group.get("combinator", "and")
            if not isinstance(combinator, str) or combinator.lower() not in ("and", "or"):
                raise ctx.error("E0152", f"combinator must be \"and\" or \"or\", not {combinator!r}",
                                tokens + ("combinator",))
            items = [n for i, r in enumerate(rules) if (n := self.item(r, tokens + ("rules", i), entity, depth)) is not None]
            if not items:
                node = None
            elif combinator.lower() == "and":
                node = _conj(items, span)
            else:
                node = items[0] if len(items) == 1 else ast.Or(tuple(items), span=span)
        negate = group.get("not", False)
        if not isinstance(negate, bool):
            raise ctx.error("E0152", "\"not\" must be true or false", tokens + ("not",))
        if negate and node is not None:  # a group without enabled rules is dropped, "not" or not (docs/json.md)
            node = ast.Not(node, span=span)
        return node

    def item(self, r, tokens, entity, depth):
        if not isinstance(r, dict):
            raise self.ctx.error("E0152", "a rule must be an object", tokens)
        if r.get("disabled") is True:
            return None
        if "rules" in r:
            return self.group(r, tokens, entity, depth=depth + 1)
        return self.rule(r, tokens, entity)

    def _independent(self, rules, tokens, entity, depth):
        ctx = self.ctx
        if len(rules) % 2 == 0:
            raise ctx.error("E0152", "independent combinators alternate rules and \"and\"/\"or\"", tokens)
        ors, current = [], []
        for i, r in enumerate(rules):
            if i % 2:
                if not isinstance(r, str) or r.lower() not in ("and", "or"):
                    raise ctx.error("E0152", f"expected \"and\" or \"or\", found {r!r}", tokens + (i,))
                if r.lower() == "or":
                    ors.append(current)
                    current = []
                continue
            node = self.item(r, tokens + (i,), entity, depth)
            if node is not None:
                current.append(node)
        ors.append(current)
        span = ctx.span(tokens)
        parts = [_conj(c, span) for c in ors if c]  # alternatives with no enabled rules are dropped
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else ast.Or(tuple(parts), span=span)

    # -- rules --
    def rule(self, r, tokens, entity) -> ast.Node:
        ctx = self.ctx
        for key in r:
            if key not in RULE_KEYS:
                raise ctx.error("E0158", f"unknown key {key!r} in a rule", tokens + (key,),
                                did_you_mean(str(key), RULE_KEYS) or [f"keys: {', '.join(RULE_KEYS)}"], key=True)
        for key in ("field", "operator"):
            if not isinstance(r.get(key), str) or not r[key]:
                raise ctx.error("E0152", f"a rule needs \"{key}\" (a string)", tokens)
        ft, ot, vt = tokens + ("field",), tokens + ("operator",), tokens + ("value",)
        path = self._path(r["field"], ft)
        info = ctx.resolve(entity, path.parts)
        if info.kind == "relationship":
            raise ctx.error("E0152", f"{r['field']} is a relationship; compare one of its fields", ft)
        ptype = info.type
        op = r["operator"]
        source = r.get("valueSource", "value")
        if source not in ("value", "field"):
            raise ctx.error("E0152", "valueSource must be \"value\" or \"field\"", tokens + ("valueSource",))
        value = r.get("value")
        span = ctx.span(tokens)

        def one(v, t):
            if source == "field":
                if not isinstance(v, str) or not v.strip():
                    raise ctx.error("E0152", "with valueSource \"field\" the value is a field name", t)
                return self._path(v.strip(), t)
            return self.typed(v, t, ptype)

        def several(v, t, n=None):
            if isinstance(v, str):
                parts = [p.strip() for p in v.split(",")] if v.strip() else []
                vals = [one(p, t) for p in parts]
            elif isinstance(v, list):
                vals = [one(p.strip() if isinstance(p, str) and ptype not in (None, "string") else p, t + (i,))
                        for i, p in enumerate(v)]
            else:
                raise ctx.error("E0152", f"{op} takes a list or a comma-separated string", t)
            if n is not None and len(vals) != n:
                raise ctx.error("E0152", f"{op} takes {n} values, got {len(vals)}", t, ['e.g. "value": "10,20"'])
            return vals

        if op in COMPARE:
            return ast.Compare(COMPARE[op], path, one(value, vt), span=span)
        if op in TEXT:
            kind, negated = TEXT[op]
            if ptype not in (None, "string"):
                raise ctx.error("E0151", f"{op} needs a string property, but {r['field']} is a {ptype}", ft)
            if source == "field":
                raise ctx.error("E0152", f"{op} compares with a literal text, not with another field", vt)
            if not isinstance(value, str):
                raise ctx.error("E0151", f"{op} takes a string", vt)
            return ast.TextMatch(kind, path, ast.Literal("string", value, span=ctx.span(vt)), negated=negated,
                                 span=span)
        if op in ("null", "notNull"):
            return ast.IsNull(path, negated=op == "notNull", span=span)
        if op in ("in", "notIn"):
            return ast.InList(path, tuple(several(value, vt)), negated=op == "notIn", span=span)
        if op in ("between", "notBetween"):
            low, high = several(value, vt, 2)
            return ast.Between(path, low, high, negated=op == "notBetween", span=span)
        raise ctx.error("E0153", f"unknown operator {op!r}", ot,
                        did_you_mean(op, OPERATORS) or [f"operators: {', '.join(OPERATORS)}"])

    def _path(self, name, tokens):
        path = MongoReader(self.ctx).path(name, tokens)
        return ast.Path(path.parts, span=self.ctx.span(tokens))

    def typed(self, v, tokens, ptype) -> ast.Literal:
        """A form value read by the property's type."""
        ctx = self.ctx
        span = ctx.span(tokens)
        if isinstance(v, str) and ptype in ("integer", "number"):
            text = v.strip()
            if len(text) > 2 * limits.MAX_NUMBER_DIGITS:  # int() of 5,000 digits is itself an error
                raise ctx.error("E0114", f"numbers may have at most {limits.MAX_NUMBER_DIGITS} digits", tokens)
            if not _NUMBER.fullmatch(text):
                raise ctx.error("E0151", f"{v!r} is not a number", tokens, ["the property is a " + ptype])
            value = int(text) if _INT.fullmatch(text) else Decimal(text)
            problem = limits.number_problem(value)  # "1e400": a number, but not one an engine holds
            if problem:
                raise ctx.error("E0114", problem, tokens, ["compare with a smaller number"])
            if isinstance(value, Decimal) and value.as_tuple().exponent > 0:
                value = Decimal(format(value, "f"))  # "1e3": 1000, not the literal 1E+3 (a double in SQL)
            return ast.Literal("number", value, span=span)
        if isinstance(v, str) and ptype == "boolean":
            text = v.strip().lower()
            if text not in ("true", "false"):
                raise ctx.error("E0151", f"{v!r} is not true or false", tokens, ["the property is a boolean"])
            return ast.Literal("boolean", text == "true", span=span)
        if isinstance(v, str) and ptype in ("date", "timestamp") and not v.strip():
            raise ctx.error("E0151", "an empty value is not a date", tokens)
        return ctx.literal(v, tokens, ptype, allow_null=False)
