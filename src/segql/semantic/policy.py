"""Policy limits (SPEC §3): the size and nesting of a condition, counted through quantifiers and referenced
segments, against the safety limit and the schema's own limits."""
from __future__ import annotations

from segql import limits
from segql.schema import Schema
from segql.semantic.library import Library
from segql.semantic.scope import err as _err
from segql.syntax import ast


def measure(node: ast.Node, library: Library | None = None, _seen=None) -> tuple[int, int]:
    """(leaf conditions, nesting of and/or/not/quantifiers) of a condition, counting inside quantifiers
    and referenced segments (SPEC §3 limits) — a segment referenced twice counts twice, as the SQL
    writes it out twice; each one is measured once (memoised), so this stays linear."""
    _seen = {"memo": {}, "open": set()} if _seen is None else _seen
    if isinstance(node, ast.Parens):
        return measure(node.item, library, _seen)
    if isinstance(node, (ast.And, ast.Or)):
        parts = [measure(i, library, _seen) for i in node.items]
        return sum(p[0] for p in parts), 1 + max((p[1] for p in parts), default=0)
    if isinstance(node, ast.Not):
        leaves, depth = measure(node.item, library, _seen)
        return leaves, depth + 1
    if isinstance(node, ast.Quantified):
        if node.condition is None:
            return 1, 1
        leaves, depth = measure(node.condition, library, _seen)
        return leaves, depth + 1
    if isinstance(node, ast.InSegment) and node.kind == "segment" and library is not None:
        memo, open_ = _seen["memo"], _seen["open"]
        if node.slug in memo:
            return memo[node.slug]
        found = library.find(node.slug)
        if found and found[0].condition is not None and node.slug not in open_:  # a cycle is the checker's E0309
            open_.add(node.slug)
            try:
                memo[node.slug] = measure(found[0].condition, library, _seen)
            finally:
                open_.discard(node.slug)
            return memo[node.slug]
    return 1, 0


def check_policy(d: ast.Definition, schema: Schema, library: Library | None) -> None:
    if d.condition is None:
        return
    leaves, depth = measure(d.condition, library)
    if leaves > limits.MAX_LEAF_CONDITIONS:
        raise _err("E0112", f"{leaves:,} conditions is over the safety limit of {limits.MAX_LEAF_CONDITIONS:,}",
                   d.span)
    if schema.max_conditions is not None and leaves > schema.max_conditions:
        raise _err("E0401", f"segment {d.slug!r} has {leaves} conditions; the schema allows {schema.max_conditions}",
                   d.span, ["split it into segments, or raise limits.max_conditions in the schema"])
    if schema.max_depth is not None and depth > schema.max_depth:
        raise _err("E0402", f"segment {d.slug!r} nests {depth} levels deep; the schema allows {schema.max_depth}",
                   d.span, ["flatten the conditions, or raise limits.max_depth in the schema"])
