"""`segql why`: one record's condition tree, each node's truth value and the values that decided it.

The tree is the one the user wrote (`ops.nodes.pair`, as in `explain`). Everything about the record is
read in ONE statement (`batch.record_query`): each leaf is a 0/1 flag lowered exactly as `compile` lowers
it, beside the values it compared (non-constant operands: properties, to-one paths, counts and other
aggregates, `now`/`today` when the leaf is relative to them) and, for a leaf about related records
(`any`/`all`/`no`, a to-many path, `performed …`), how many related records meet its inner condition
and the first few of their keys. The `and`/`or`/`not` above the leaves are combined here in Python, with
SPEC §2's two-valued logic (flags are never NULL), so the root is the record's membership.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import segql.ops.nodes as nodes
from segql import ir
from segql.errors import SegqlError
from segql.lower.batch import record_query
from segql.syntax import ast
from segql.syntax.printer import format_condition

SAMPLE = 3  # related keys shown per leaf


def record_key(entity, key):
    """`key` (a command-line string or a JSON value) as a value of the entity's key type (E0703)."""
    kind = entity.properties[entity.key].type
    if kind in ("integer", "number"):
        if isinstance(key, bool):
            key = str(key)
        if isinstance(key, (int, float)) and not (kind == "integer" and isinstance(key, float)):
            return key
        try:
            return int(str(key).strip()) if kind == "integer" else float(str(key).strip())
        except ValueError:
            raise SegqlError("E0703", f"key {key!r} is not {'an integer' if kind == 'integer' else 'a number'}; "
                             f"{entity.name} are keyed by {entity.key} ({kind})") from None
    return str(key)


def why(segment, definition, schema, engine, key, now=None) -> dict:
    """`{"segment", "entity", "key", "member", "kind", "tree"}`; tree nodes are `{"kind": and|or|not|
    condition, "condition": text, "value": bool, "line", "column", "children": [...]}` and a condition may
    have `"values": [{"name", "value", "type"}]`, `"now"`/`"today"`, `"age"`, `"missing": [names]`,
    `"note"` and `"related": {"relationship", "label", "count", "of", "keys"}`. One statement; E0710 when
    no record has `key`."""
    return why_records(segment, definition, schema, engine, [key], now=now)[0]


def why_records(segment, definition, schema, engine, keys, now=None) -> list[dict]:
    """`why` for several records in one statement (the same statement as for one, with `IN (...)`): what
    the tests use to compare every record's tree with the segment's members. In the order of `keys`."""
    entity = schema.entities[segment.entity]
    keys = [record_key(entity, k) for k in keys]
    if segment.condition is None or definition.condition is None:  # a static list: membership only
        root, leaves = None, []
        conditions = [segment]
    else:
        root = nodes.pair(definition.condition, segment.condition)
        leaves = [n for n in nodes.walk(root) if n.kind == "leaf"]
        conditions = [leaf.meaning for leaf in leaves]
    values: list = []  # IR values, deduplicated
    samples: list = []  # (relationship, condition)
    plans = [_plan(leaf, values, samples) for leaf in leaves]
    tree = record_query(schema, engine.dialect, entity.name, keys, conditions, values, samples, now,
                        sample_size=SAMPLE)
    names = [e.alias_or_name for e in tree.expressions]
    rows = {}
    for found in engine.execute(tree.sql(dialect=engine.dialect, copy=False)):
        row = dict(zip(names, found))
        rows[_plain(row["k"])] = row
    results = []
    for key in keys:
        row = rows.get(_plain(key))
        if row is None:
            raise SegqlError("E0710", f"no {entity.name} record has {entity.key} {key!r}",
                             hints=[f"keys are values of {entity.key}; `segql run` lists the keys of a "
                                    "segment's members"])
        out = {"segment": segment.slug, "entity": entity.name, "key": _plain(row["k"]),
               "kind": "list" if root is None else "segment"}
        if root is None:
            out["member"] = bool(int(row["f0"]))
            out["tree"] = None
        else:
            flags = {id(leaf): bool(int(row[f"f{i}"])) for i, leaf in enumerate(leaves)}
            by_leaf = {id(leaf): plan for leaf, plan in zip(leaves, plans)}
            tree = _fill(root, flags, by_leaf, row)
            out["member"] = tree["value"]  # the root, combined here from the leaves' flags
            out["tree"] = tree
        results.append(out)
    return results


# ---- what each leaf shows -----------------------------------------------------------------------
def _plan(leaf: nodes.Node, values: list, samples: list) -> dict:
    """Which columns of the statement describe this leaf."""
    core, negated = leaf.meaning, False
    while isinstance(core, ir.Not):
        core, negated = core.item, not negated
    plan: dict = {"negated": negated, "values": [], "core": core}

    def value_index(v):
        if v not in values:
            values.append(v)
        return values.index(v)

    operands = _operands(core)
    names = _syntax_names(leaf.syntax, core, operands)
    for operand in operands:
        plan["values"].append((names.get(operand) or _name(operand), value_index(operand), operand))
    if isinstance(core, ir.Exists) and core.up == 0:
        syntax = leaf.syntax
        quantifier = syntax.quantifier if isinstance(syntax, ast.Quantified) else ("no" if negated else "any")
        cond = core.condition
        if isinstance(syntax, ast.Quantified) and quantifier == "all" and isinstance(cond, ir.Not):
            label = "not meeting the condition"
        elif cond is None:
            label = "related records"
        elif negated and not isinstance(syntax, ast.Quantified):  # `deals.stage != "Won"`: the positive test
            label = "meeting the condition without its negation"
        else:
            label = "meeting the condition"
        plan["related"] = (core.rel.name, label, len(samples))
        samples.append((core.rel, cond))
    if not isinstance(core, (ir.SegmentRef, ir.InList)):  # a window of `performed` counts too
        uses = {type(n) for n in ir.walk(core, into=lambda n: not isinstance(n, ir.SegmentRef))}
        if ir.Now in uses:
            plan["now"] = value_index(ir.Now())
        if ir.Today in uses:
            plan["today"] = value_index(ir.Today())
    return plan


_ELSEWHERE = (ir.Exists, ir.Aggregate, ir.SegmentRef, ir.InList)  # about other records or segments


def _operands(core) -> list:
    """The record-dependent operands of the tests in a leaf (a leaf may be several tests: `between`,
    `in last 30 days`, `is empty`), each once, in the order written."""
    found: list = []
    for n in ir.walk(core, into=lambda n: isinstance(n, (ir.And, ir.Or, ir.Not))):
        if isinstance(n, ir.Compare):
            candidates = [n.left, n.right]
        elif isinstance(n, (ir.InValues, ir.TextMatch, ir.Regex, ir.IsNull)):
            candidates = [n.operand]
        else:
            continue
        found += [c for c in candidates if _varies(c) and c not in found]
    return found


def _syntax_names(syntax, core, operands) -> dict:
    """Name operands as the user wrote them where the written shape says which is which (a calculated
    field by its name, not its formula)."""
    if isinstance(syntax, ast.Compare) and isinstance(core, ir.Compare):
        return {ir_side: format_condition(written) for ir_side, written in
                ((core.left, syntax.left), (core.right, syntax.right)) if ir_side in operands}
    if isinstance(syntax, ast.Performed):
        which = " as counted here" if syntax.where is not None or syntax.window is not None else ""
        return {o: f'times performed "{syntax.event}"{which}' for o in operands if isinstance(o, ir.Aggregate)}
    written = syntax if isinstance(syntax, (ast.Path, ast.Call)) else getattr(syntax, "operand", None)
    if written is not None and len(operands) == 1:
        return {operands[0]: format_condition(written)}
    return {}


def _varies(node) -> bool:
    """Whether a value depends on the record (a property, path or aggregate), so it is worth showing."""
    return any(isinstance(n, (ir.Column, ir.ToOne, ir.Aggregate)) for n in ir.walk(node))


def _name(node) -> str:
    """A short readable name for an IR value (the value shown beside it is what matters)."""
    if isinstance(node, ir.Column):
        return node.prop.name
    if isinstance(node, ir.ToOne):
        return f"{node.rel.name}.{_name(node.inner)}"
    if isinstance(node, ir.Aggregate):
        inside = node.rel.name + (f".{_name(node.value)}" if node.value is not None else "")
        return f"{node.func}({inside}{' where …' if node.where is not None else ''})"
    if isinstance(node, ir.Func):
        return f"{node.name}({', '.join(_name(a) for a in node.args if not isinstance(a, ir.Literal))})"
    if isinstance(node, ir.Arith):
        return f"{_name(node.left)} {node.op} {_name(node.right)}"
    if isinstance(node, ir.Negate):
        return f"-{_name(node.operand)}"
    if isinstance(node, ir.Shift):
        return f"{_name(node.base)} {'+' if node.amount >= 0 else '-'} {abs(node.amount)} {node.unit}s"
    if isinstance(node, ir.Now):
        return "now"
    if isinstance(node, ir.Today):
        return "today"
    if isinstance(node, ir.Literal):
        return repr(node.value)
    return type(node).__name__.lower()


def _fill(n: nodes.Node, flags: dict, plans: dict, row: dict) -> dict:
    span = n.span
    out: dict = {"kind": "condition" if n.kind == "leaf" else n.kind, "condition": format_condition(n.syntax)}
    if n.kind == "leaf":
        out["value"] = flags[id(n)]
    else:
        out["children"] = [_fill(c, flags, plans, row) for c in n.children]
        truths = [c["value"] for c in out["children"]]
        out["value"] = all(truths) if n.kind == "and" else any(truths) if n.kind == "or" else not truths[0]
    out["line"] = (span.line or None) if span is not None else None
    out["column"] = (span.col or None) if span is not None else None
    if span is not None and span.pointer:
        out["pointer"] = span.pointer
    if n.kind == "leaf":
        _describe(out, plans[id(n)], row)
    if n.kind != "leaf":  # children after the node's own fields, for readable JSON
        out["children"] = out.pop("children")
    return out


def _describe(out: dict, plan: dict, row: dict) -> None:
    core = plan["core"]
    shown = [{"name": name, "value": _plain(row[f"v{i}"]), "type": operand.type}
             for name, i, operand in plan["values"]]
    if shown:
        out["values"] = shown
    for clock in ("now", "today"):
        if clock in plan:
            out[clock] = _plain(row[f"v{plan[clock]}"])
    missing = [name for name, i, _ in plan["values"] if row[f"v{i}"] is None]
    if missing and not any(isinstance(n, ir.IsNull) for n in ir.walk(core)):
        out["missing"] = missing
        what = ", ".join(missing)
        if plan["negated"]:
            out["note"] = f"{what} {'is' if len(missing) == 1 else 'are'} missing: the positive test is false, " \
                          "so its negation holds"
        else:
            out["note"] = f"{what} {'is' if len(missing) == 1 else 'are'} missing, which makes this test false"
    age = _age(plan, row)
    if age is not None:
        out["age"] = age
    if "related" in plan:
        rel, label, i = plan["related"]
        keys = [_plain(row[f"s{i}_{j}"]) for j in range(SAMPLE) if row[f"s{i}_{j}"] is not None]
        out["related"] = {"relationship": rel, "label": label, "count": int(row[f"c{i}"] or 0),
                          "of": int(row[f"r{i}"] or 0), "keys": keys}
    if isinstance(core, ir.SegmentRef):
        out["note"] = f"{'a member' if out['value'] != plan['negated'] else 'not a member'} of segment {core.slug}"


def _age(plan: dict, row: dict) -> str | None:
    """How long ago a compared date/time value was, when the leaf is relative to now or today."""
    ref_index = plan.get("now", plan.get("today"))
    if ref_index is None:
        return None
    ref = row[f"v{ref_index}"]
    for _, i, operand in plan["values"]:
        v = row[f"v{i}"]
        if isinstance(v, dt.datetime) and isinstance(ref, dt.datetime):
            return _duration(ref.replace(tzinfo=None) - v.replace(tzinfo=None))
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime) and isinstance(ref, dt.date):
            days = ((ref.date() if isinstance(ref, dt.datetime) else ref) - v).days
            return f"{days} day{'s' if abs(days) != 1 else ''}"
    return None


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours or (days and minutes):
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and (minutes or not hours):
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return sign + " ".join(parts)


def _plain(v):
    """A database value as JSON holds it."""
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and abs(v) < 2**53 else float(v)
    if isinstance(v, (bytes, bytearray)):
        return v.decode("utf-8", "replace")
    if hasattr(v, "item") and not isinstance(v, (str, int, float, bool)):  # numpy scalars
        return v.item()
    return v


def render_text(result: dict) -> str:
    """The tree, one node a line, ✓/✗ before each; a leaf's deciding values on indented lines below it."""
    verdict = "a member ✓" if result["member"] else "not a member ✗"
    head = f"{result['segment']} on {result['entity']}, key {_show(result['key'])}: {verdict}"
    if result["tree"] is None:
        return head + " (a static list)"
    lines = [head, ""]

    def visit(node, depth):
        pad = "  " * depth
        label = node["condition"] if node["kind"] == "condition" else node["kind"]
        lines.append(f"{pad}{'✓' if node['value'] else '✗'} {label}")
        for detail in details(node):
            lines.append(f"{pad}    {detail}")
        for child in node.get("children", []):
            visit(child, depth + 1)

    visit(result["tree"], 0)
    return "\n".join(lines)


def details(node: dict) -> list[str]:
    """The deciding values of a leaf as short lines (shared by the CLI and the service's text)."""
    out = []
    values = [f"{v['name']} = {_show(v['value'], v.get('type'))}" for v in node.get("values", [])]
    for clock in ("now", "today"):
        if clock in node:
            values.append(f"{clock} = {node[clock]}")
    if "age" in node:
        values.append(f"age {node['age']}")
    if values:
        out.append(", ".join(values))
    rel = node.get("related")
    if rel is not None:
        keys = ", ".join(str(k) for k in rel["keys"])
        more = "" if rel["count"] <= len(rel["keys"]) else ", …"
        line = f"{rel['relationship']}: {rel['count']} of {rel['of']} {rel['label']}"
        out.append(line + (f" (keys {keys}{more})" if keys else ""))
    if "note" in node:
        out.append(f"note: {node['note']}")
    return out


def _show(v, kind: str | None = "string") -> str:
    if v is None:
        return "missing"
    if isinstance(v, str) and kind == "string":
        return '"' + v.replace('"', '\\"') + '"'
    return str(v)
