"""Names and paths: properties, calculated fields and relationships resolved case-insensitively with
"did you mean" hints; to-one paths become `ToOne`, paths across a to-many relationship stay `Multi` until
one comparison lifts them into `Exists` (SPEC §2.3, §2.4); quantifiers `any`/`all`/`no`."""
from __future__ import annotations

from segql import ir, limits
from segql.errors import NO_SPAN, SegqlError
from segql.ir.visit import expanded_size
from segql.schema import Entity, did_you_mean
from segql.semantic.scope import Multi, Scope
from segql.semantic.scope import err as _err
from segql.syntax import ast
from segql.syntax.parser import parse_condition


class PathsMixin:
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
                formula = scope.lets[part]
                memo_key = ("let", scope.entity.name, part, id(formula))  # the definition keeps `formula` alive
                return steps, self._checked_once(memo_key, lambda: self._calculated(
                    part, formula, scope, scope.let_spans.get(part, spans[i])))
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
            memo_key = ("calculated", entity.name, name)
            return steps, self._checked_once(memo_key, lambda: self._calculated(
                name, _parse_formula(entity, name), Scope(entity), entity.calculated_spans.get(name)))
        return steps, None

    def _checked_once(self, memo_key, check):
        """A let's or calculated field's value, or its error, checked once: `c2 = c1 + c1` uses c1 twice,
        so a refused field checked again at each use took 2^n checks for n doublings after it. A cycle's
        error (E0309) names the chain it was reached by, so it is not kept."""
        if memo_key in self._values:
            found = self._values[memo_key]
            if isinstance(found, SegqlError):
                raise found
            return found
        try:
            value = check()
        except SegqlError as error:
            if not any(e.code == "E0309" for e in getattr(error, "errors", [error])):
                self._values[memo_key] = error
            raise
        self._values[memo_key] = value
        return value

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
        # each use of a field is written out in SQL: `c2 = c1 + c1`, `c3 = c2 + c2`, … doubles per field
        size = expanded_size(value, limits.MAX_FORMULA_NODES)
        if size > limits.MAX_FORMULA_NODES:
            raise _err("E0116", f"{name!r} expands to more than {limits.MAX_FORMULA_NODES:,} terms once the fields "
                       "it uses are written out", span or NO_SPAN,
                       ["use each field fewer times, e.g. `2 * c1` instead of `c1 + c1`"])
        return value

    def _path_names(self, node):
        return node.parts if isinstance(node, ast.Path) else ["relationship"]

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


def _parse_formula(entity: Entity, name: str):
    return parse_condition(entity.calculated[name])
