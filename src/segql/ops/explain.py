"""`segql explain`: how many records pass each node of a segment's condition, in ONE query.

The tree is the one the user wrote (printed with `format_condition`); its predicates (leaves) are
lowered once each, as 0/1 flags of a derived table (`batch.flag_query`), and every node — leaf, `and`,
`or`, `not` — and every prefix of every `and` (the funnel: item 1, item 1 ∧ item 2, …) is one
`COUNT(CASE WHEN <combination of flags> THEN 1 END)` in the outer query. Flags are never NULL, so the
combinations are SPEC §2's two-valued logic exactly: a node's count equals running that node as its own
segment. Quantifiers (`any deals (...)`) and `in segment` references are leaves: their insides are about
other records (or another segment, which you can explain on its own).
"""
from __future__ import annotations

import segql.ops.nodes as nodes
from segql.lower.batch import flag_query, run_one_row
from segql.syntax.printer import format_condition


def explain(segment, definition, schema, engine, now=None) -> dict:
    """`{"segment", "entity", "records", "members", "tree"}`; tree nodes are
    `{"kind": and|or|not|condition, "condition": text, "records": n, "line", "column", "children": [...]}`
    and an `and` also has `"funnel": [{"condition": item text, "records": n}, ...]` (records passing all
    items up to and including that one)."""
    entity = segment.entity
    if segment.condition is None or definition.condition is None:  # a static list: its size only
        row = run_one_row(engine, flag_query(schema, engine.dialect, entity, [segment], [("flag", 0)], now))
        return {"segment": segment.slug, "entity": entity, "kind": "list", "records": row["total"],
                "members": row["n0"], "tree": None}
    root = nodes.pair(definition.condition, segment.condition)
    leaves: list[nodes.Node] = []
    combos: list = []
    plan = _plan(root, leaves, combos)
    row = run_one_row(engine, flag_query(schema, engine.dialect, entity, [leaf.meaning for leaf in leaves],
                                         combos, now))
    tree = _fill(plan, row)
    return {"segment": segment.slug, "entity": entity, "kind": "segment", "records": row["total"],
            "members": tree["records"], "tree": tree}


def _plan(node: nodes.Node, leaves: list, combos: list) -> dict:
    """Give every node (and `and` prefix) a combination of leaf flags; returns the plan of the tree."""

    def combo_of(n):
        if n.kind == "leaf":
            leaves.append(n)
            return ("flag", len(leaves) - 1)
        if n.kind == "not":
            return ("not", combo_of(n.children[0]))
        return (n.kind, [combo_of(c) for c in n.children])

    def build(n, combo):
        entry = {"node": n, "count": len(combos)}
        combos.append(combo)
        if n.kind in ("and", "or", "not"):
            child_combos = combo[1] if n.kind != "not" else [combo[1]]
            entry["children"] = [build(c, cc) for c, cc in zip(n.children, child_combos)]
            if n.kind == "and":
                entry["funnel"] = []
                for k in range(1, len(child_combos) + 1):
                    entry["funnel"].append(len(combos))
                    combos.append(("and", child_combos[:k]) if k > 1 else child_combos[0])
        return entry

    return build(node, combo_of(node))


def _fill(entry, row) -> dict:
    n: nodes.Node = entry["node"]
    kind = "condition" if n.kind == "leaf" else n.kind
    span = n.span
    out = {"kind": kind, "condition": format_condition(n.syntax), "records": row[f"n{entry['count']}"],
           "line": span.line or None if span is not None else None,
           "column": span.col or None if span is not None else None}
    if span is not None and span.pointer:
        out["pointer"] = span.pointer
    if "children" in entry:
        out["children"] = [_fill(c, row) for c in entry["children"]]
    if "funnel" in entry:
        out["funnel"] = [{"condition": child["condition"], "records": row[f"n{i}"]}
                         for child, i in zip(out["children"], entry["funnel"])]
    return out
