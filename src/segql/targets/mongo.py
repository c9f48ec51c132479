"""Syntax tree → MongoDB-style document (`segql fmt --to mongo`), where the tree can be expressed.

    definition_to_mongo(definition, schema)
    → {"type": "contacts", "name": "...", "slug": "...", "filter": {"deals.value": {"$gte": 10000}}}

Reading the result back (`frontends.json_document`) gives an equal syntax tree for every tree the
MongoDB front end produces, and the same meaning (the same IR up to and/or flattening) for text-language
trees it can express. What it cannot express raises E0160 naming the construct: event counts
(`performed`), aggregates, functions, arithmetic, comparisons between two fields, segment and list
references, `let`, `between N and M days ago`, quantifiers over to-one relationships, and field names
containing "." or starting with "$".

Conditions MongoDB has no operator for are written with segql's documented extensions (docs/json.md):
`contains` / `starts with` / `ends with` as `$contains` / `$startsWith` / `$endsWith` (a `$regex` with
`"i"` would differ on non-ASCII text), relative times as `$within`, `$olderThan`, `$newerThan` and
`{"$date": "today - 30 days"}`.
"""
from __future__ import annotations

from decimal import Decimal

from segql.errors import SegqlError
from segql.frontends.mongo import SUB_DAY_UNITS, Ctx, is_everything
from segql.syntax import ast

_OPS = {"=": "$eq", "!=": "$ne", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte", "before": "$lt",
        "after": "$gt"}
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!=", "before": "after", "after": "before"}


def cannot(construct: str, node, hints=()) -> SegqlError:
    return SegqlError("E0160", f"{construct} cannot be expressed as a MongoDB filter", getattr(node, "span", None)
                      or ast.Span(), [*hints, "keep this segment in the text language (segql fmt --to text)"])


def definition_to_mongo(definition: ast.Definition, schema=None) -> dict:
    out: dict = {"type": definition.entity}
    if definition.title is not None:
        out["name"] = definition.title
    out["slug"] = definition.slug
    if definition.description is not None:
        out["description"] = definition.description
    if definition.kind == "list":
        out["isDynamic"] = False
        return out
    if definition.lets:
        raise cannot("`let` (a segment-local calculated field)", definition.lets[0],
                     ["define it under `calculated:` in the schema, then it is a field like any other"])
    renderer = _Renderer(schema)
    out["filter"] = renderer.filter(definition.condition, renderer.ctx.entity(definition.entity))
    return out


def condition_to_mongo(condition: ast.Node, entity: str, schema=None) -> dict:
    """Just the filter of a condition on `entity`."""
    renderer = _Renderer(schema)
    return renderer.filter(condition, renderer.ctx.entity(entity))


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


class _Renderer:
    def __init__(self, schema):
        self.ctx = Ctx(schema)

    # -- filters --
    def filter(self, node, entity) -> dict:
        while isinstance(node, ast.Parens):
            node = node.item
        if is_everything(node) and isinstance(node.operand, ast.Path) and \
                node.operand.parts == ((entity.key if entity is not None else "id"),):
            return {}  # what the MongoDB front end reads `{}` as
        if isinstance(node, ast.And):
            return self.conjunction(node, entity)
        if isinstance(node, ast.Or):
            return {"$or": [self.filter(i, entity) for i in node.items]}
        item = self.field_item(node, entity)
        if item is not None:
            key, ops = item
            return {key: self._compact(ops)}
        if isinstance(node, ast.Not):
            inner = node.item
            while isinstance(inner, ast.Parens):
                inner = inner.item
            if isinstance(inner, ast.Or):
                return {"$nor": [self.filter(i, entity) for i in inner.items]}
            return {"$nor": [self.filter(inner, entity)]}
        raise self._unsupported(node)

    @staticmethod
    def _compact(ops):
        if len(ops) == 1 and "$eq" in ops and not isinstance(ops["$eq"], (dict, list)):
            return ops["$eq"]
        if len(ops) == 1 and "$eq" in ops and isinstance(ops["$eq"], dict) and set(ops["$eq"]) == {"$date"}:
            return ops["$eq"]
        return ops

    def _flatten(self, node):
        while isinstance(node, ast.Parens):
            node = node.item
        if isinstance(node, ast.And):
            out = []
            for i in node.items:
                out.extend(self._flatten(i))
            return out
        return [node]

    def conjunction(self, node, entity) -> dict:
        groups: list[dict] = []
        cur: dict = {}
        last = None
        for item in self._flatten(node):
            fi = self.field_item(item, entity)
            if fi is not None:
                key, ops = fi
                if key in cur:
                    if key == last and not (set(ops) & set(cur[key])):
                        cur[key] = {**cur[key], **ops}
                        continue
                    groups.append(cur)
                    cur = {}
                cur[key] = dict(ops)
                last = key
                continue
            d = self.filter(item, entity)
            if set(d) & set(cur):
                groups.append(cur)
                cur = {}
            cur.update(d)
            last = next(reversed(d)) if d else last
        groups.append(cur)
        groups = [{k: self._compact(v) if not k.startswith("$") else v for k, v in g.items()} for g in groups]
        groups = [g for g in groups if g] or [{}]
        return groups[0] if len(groups) == 1 else {"$and": groups}

    # -- one field --
    def path(self, node: ast.Path) -> str:
        for part in node.parts:
            if "." in part or part.startswith("$") or not part:
                raise cannot(f"the field name {part!r}", node, ["MongoDB field names cannot contain \".\" or "
                                                                "start with \"$\""])
        return ".".join(node.parts)

    def field_item(self, node, entity):
        """(dotted path, operators) when the condition is about one field, else None."""
        while isinstance(node, ast.Parens):
            node = node.item
        if isinstance(node, ast.Compare):
            return self.compare(node, entity)
        if isinstance(node, ast.Path):  # a bare boolean property means `= true` (SPEC §2.1)
            info = self.ctx.resolve(entity, node.parts)
            if info.kind == "relationship":
                raise cannot("a relationship used as a condition", node, ['write {"deals": {"$exists": true}}'])
            return self.path(node), {"$eq": True}
        if isinstance(node, ast.InList):
            path = self._path_operand(node.operand, node)
            ptype = self.ctx.resolve(entity, path.parts).type
            return self.path(path), {"$nin" if node.negated else "$in": [self.value(i, ptype) for i in node.items]}
        if isinstance(node, ast.IsNull):
            path = self._path_operand(node.operand, node)
            info = self.ctx.resolve(entity, path.parts)
            if info.kind == "relationship":
                raise cannot("`is null` on a relationship", node, ["write `no deals` / `any deals`"])
            if info.many_at:  # MongoDB's {"deals.stage": null}: SPEC §2.4
                return self.path(path), {"$ne" if node.negated else "$eq": None}
            return self.path(path), {"$exists": node.negated}
        if isinstance(node, ast.IsEmpty):
            path = self._path_operand(node.operand, node)
            return self.path(path), {"$nin" if node.negated else "$in": [None, ""]}
        if isinstance(node, ast.TextMatch):
            path = self._path_operand(node.operand, node)
            if not (isinstance(node.pattern, ast.Literal) and node.pattern.kind == "string"):
                raise cannot(f"`{node.op}` with a computed pattern", node.pattern)
            if node.op == "matches":
                ops = {"$regex": node.pattern.value}
                if node.ignore_case:
                    ops["$options"] = "i"
            else:
                ops = {{"contains": "$contains", "starts": "$startsWith", "ends": "$endsWith"}[node.op]:
                       node.pattern.value}
            return self.path(path), ({"$not": ops} if node.negated else ops)
        if isinstance(node, ast.InPeriod):
            path = self._path_operand(node.operand, node)
            p = node.period
            if p.kind == "rolling":
                ops = {"$within": _plural(p.amount, p.unit)}
            elif p.kind in ("this", "last"):
                ops = {"$within": f"{p.kind} {p.unit}"}
            else:
                raise cannot("`between N and M units ago`", node,
                             ['write {"$gte": {"$date": "now - 60 days"}, "$lte": {"$date": "now - 30 days"}}'])
            return self.path(path), ({"$not": ops} if node.negated else ops)
        if isinstance(node, ast.Between):
            return self.between(node, entity)
        if isinstance(node, ast.Quantified):
            return self.quantified(node, entity)
        if isinstance(node, ast.Not):
            inner = self.field_item(node.item, entity)
            if inner is not None and "$not" not in inner[1]:
                return inner[0], {"$not": inner[1]}
            return None
        if isinstance(node, ast.And):
            items = [self.field_item(i, entity) for i in self._flatten(node)]
            if not items or any(i is None for i in items) or len({i[0] for i in items}) != 1:
                return None
            merged: dict = {}
            for _key, ops in items:
                if set(ops) & set(merged):
                    return None
                merged.update(ops)
            return items[0][0], merged
        return None

    def _path_operand(self, operand, node) -> ast.Path:
        while isinstance(operand, ast.Parens):
            operand = operand.item
        if not isinstance(operand, ast.Path):
            raise self._unsupported(operand)
        return operand

    def compare(self, node: ast.Compare, entity):
        left, right, op = node.left, node.right, node.op
        while isinstance(left, ast.Parens):
            left = left.item
        while isinstance(right, ast.Parens):
            right = right.item
        if not isinstance(left, ast.Path):
            if isinstance(right, ast.Path):
                left, right, op = right, left, _FLIP[op]
            else:
                raise self._unsupported(left)
        if isinstance(right, ast.Path):
            raise cannot("comparing two fields", node, ["MongoDB compares a field with a value"])
        info = self.ctx.resolve(entity, left.parts)
        key = self.path(left)
        if info.kind == "relationship":
            raise cannot("comparing a relationship", node)
        if isinstance(right, ast.Duration) and right.ago:
            age = _plural(right.amount, right.unit)
            if op == "<":
                return key, {"$newerThan": age}
            if op == ">":
                return key, {"$olderThan": age}
            base = "today" if op in ("=", "!=") or (info.type == "date" and right.unit not in SUB_DAY_UNITS) \
                else "now"
            point = {"$date": f"{base} - {age}"}
            mongo = {"<=": "$gte", ">=": "$lte", "=": "$eq", "!=": "$ne", "before": "$lt", "after": "$gt"}[op]
            return key, {mongo: point}
        return key, {_OPS[op]: self.value(right, info.type)}

    def between(self, node: ast.Between, entity):
        path = self._path_operand(node.operand, node)
        if isinstance(node.high, ast.Duration) or isinstance(node.low, ast.Duration):
            raise cannot("`between N and M units ago`", node,
                         ['write {"$gte": {"$date": "now - 60 days"}, "$lte": {"$date": "now - 30 days"}}'])
        info = self.ctx.resolve(entity, path.parts)
        ops = {"$gte": self.value(node.low, info.type), "$lte": self.value(node.high, info.type)}
        if info.many_at:  # one related record meets both ends (SPEC §2.4): $elemMatch
            prefix, rest = path.parts[:info.many_at], path.parts[info.many_at:]
            key = self.path(ast.Path(prefix, span=path.span))
            inner = {self.path(ast.Path(rest, span=path.span)): ops}
            match = {"$elemMatch": inner}
            return key, ({"$not": match} if node.negated else match)
        return self.path(path), ({"$not": ops} if node.negated else ops)

    def quantified(self, node: ast.Quantified, entity):
        info = self.ctx.resolve(entity, node.path.parts)
        key = self.path(node.path)
        if info.kind == "relationship" and info.rel.kind != "many" or info.kind == "property":
            raise cannot(f"`{node.quantifier}` over a to-one relationship", node,
                         [f'name its fields with dotted paths: "{key}.<field>"'])
        if node.condition is None:
            if node.quantifier == "all":
                raise cannot("`all` without a condition", node)
            return key, {"$exists": node.quantifier == "any"}
        cond = node.condition
        if node.quantifier in ("any", "no") and isinstance(cond, ast.IsNull) and cond.negated and \
                isinstance(cond.operand, ast.Path):
            sub = self.ctx.resolve(info.target, cond.operand.parts)
            if sub.kind == "property" and not sub.many_at:
                # some / no related record has the field: MongoDB's {"deals.stage": {"$exists": ...}}
                return self.path(ast.Path(node.path.parts + cond.operand.parts)), {"$exists": node.quantifier == "any"}
        inner = self.filter(cond, info.target)
        if node.quantifier == "any":
            return key, {"$elemMatch": inner}
        if node.quantifier == "no":
            return key, {"$not": {"$elemMatch": inner}}
        return key, {"$not": {"$elemMatch": {"$nor": [inner]}}}  # all: none fails

    # -- values --
    def value(self, node, ptype=None):
        while isinstance(node, ast.Parens):
            node = node.item
        if isinstance(node, ast.Literal):
            if node.kind in ("date", "timestamp"):
                return {"$date": node.value.isoformat()}
            if isinstance(node.value, Decimal):
                return float(node.value)
            return node.value
        if isinstance(node, ast.Keyword):
            return {"$date": node.name}
        if isinstance(node, ast.Binary) and node.op in "+-" and isinstance(node.left, ast.Keyword) and \
                isinstance(node.right, ast.Duration) and not node.right.ago:
            return {"$date": f"{node.left.name} {node.op} {_plural(node.right.amount, node.right.unit)}"}
        if isinstance(node, ast.Unary) and isinstance(node.operand, ast.Literal) and node.operand.kind == "number":
            return -self.value(node.operand)
        raise self._unsupported(node)

    def _unsupported(self, node):
        if isinstance(node, ast.Performed):
            return cannot("an event condition (`performed`)", node, ["event counts need the text language"])
        if isinstance(node, ast.Sequence):
            return cannot("a sequence (`performed … then …`)", node,
                          ["MongoDB has no such filter; segql's JSON extension is {\"$sequence\": {...}} "
                           "(docs/json.md), or keep the text language"])
        if isinstance(node, ast.Call):
            if node.name in ("count", "sum", "avg", "min", "max"):
                return cannot(f"the aggregate {node.name}()", node)
            return cannot(f"the function {node.name}()", node)
        if isinstance(node, (ast.Binary, ast.Unary)):
            return cannot("arithmetic", node, ["define a calculated field in the schema and compare it"])
        if isinstance(node, ast.InSegment):
            return cannot(f"a {node.kind} reference (`in {node.kind} {node.slug}`)", node)
        if isinstance(node, ast.Duration):
            return cannot("a duration used as a value", node)
        if isinstance(node, ast.Path):
            return cannot("a bare field used as a condition", node, ['write {"is_vip": true}'])
        if isinstance(node, ast.Literal):
            return cannot("a constant condition", node)
        return cannot(type(node).__name__, node)
