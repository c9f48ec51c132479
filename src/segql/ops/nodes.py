"""The condition tree as the user wrote it, each node paired with its meaning (IR).

`explain` counts how many records pass each node and `lint` reasons about the nodes of one `and`/`or`;
both need, for every syntax node, the IR the checker built for it. The checker keeps the logical
structure one to one — an `and` of n items becomes `ir.And` of n items, `or` → `ir.Or`, `not` → `ir.Not`,
parentheses vanish — so the two trees are walked side by side instead of checking every node again
(which would also need the segment library for `in segment`). A predicate (a comparison, `in last 30
days`, `performed …`) is a leaf, whatever IR it became. Quantifiers (`any deals (...)`) are leaves too,
with the pair of their inner condition attached as `inner` (it is about the related records: `lint`
looks inside, `explain` does not count it). Where the shapes ever disagree the node is a leaf: nothing
is guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from segql import ir
from segql.syntax import ast


@dataclass
class Node:
    syntax: ast.Node  # parentheses stripped
    meaning: ir.Cond
    kind: str  # and | or | not | leaf
    children: list["Node"] = field(default_factory=list)
    inner: "Node | None" = None  # a quantifier's condition, on the related records
    span: object = None  # the span to point at (of the written node, parentheses included)


def _strip(node):
    while isinstance(node, ast.Parens):
        node = node.item
    return node


def pair(syntax: ast.Node, meaning: ir.Cond) -> Node:
    written_span = getattr(syntax, "span", None)
    node = _strip(syntax)
    span = node.span if getattr(node, "span", None) is not None and node.span.known else written_span
    if isinstance(node, ast.And) and isinstance(meaning, ir.And) and len(node.items) == len(meaning.items):
        return Node(node, meaning, "and", [pair(a, m) for a, m in zip(node.items, meaning.items)], span=span)
    if isinstance(node, ast.Or) and isinstance(meaning, ir.Or) and len(node.items) == len(meaning.items):
        return Node(node, meaning, "or", [pair(a, m) for a, m in zip(node.items, meaning.items)], span=span)
    if isinstance(node, ast.Not) and isinstance(meaning, ir.Not):
        return Node(node, meaning, "not", [pair(node.item, meaning.item)], span=span)
    leaf = Node(node, meaning, "leaf", span=span)
    if isinstance(node, ast.Quantified) and node.condition is not None:
        inner = _quantified_inner(node, meaning)
        if inner is not None:
            leaf.inner = pair(node.condition, inner)
    return leaf


def _quantified_inner(node: ast.Quantified, meaning: ir.Cond) -> ir.Cond | None:
    """any → Exists(c); no → Not(Exists(c)); all → Not(Exists(Not(c))), one Exists per path step."""
    cur = meaning
    if node.quantifier in ("no", "all"):
        if not isinstance(cur, ir.Not):
            return None
        cur = cur.item
    for _ in node.path.parts:
        if not isinstance(cur, ir.Exists):
            return None
        cur = cur.condition
    if node.quantifier == "all":
        if not isinstance(cur, ir.Not):
            return None
        cur = cur.item
    return cur


def walk(node: Node, *, into_quantifiers: bool = False):
    yield node
    for child in node.children:
        yield from walk(child, into_quantifiers=into_quantifiers)
    if into_quantifiers and node.inner is not None:
        yield from walk(node.inner, into_quantifiers=True)
