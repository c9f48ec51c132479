"""One traversal of the IR that every walker uses: the child expressions of a node, a pre-order walk,
and a rebuild that maps children (nodes are frozen dataclasses, so a change makes new nodes)."""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator

from segql.ir.nodes import OUTER_NODES, SCOPE_NODES, Column, Expr


@functools.cache
def _expr_fields(cls) -> tuple[str, ...]:
    """The fields of a node class that may hold expressions (values are checked with isinstance)."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.init and f.type not in ("str", "int", "bool"))


def children(node) -> tuple[Expr, ...]:
    """The expressions directly inside `node`, in field order (tuples flattened)."""
    out = []
    for name in _expr_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, Expr):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(v for v in value if isinstance(v, Expr))
    return tuple(out)


def walk(node, *, into: Callable[[Expr], bool] | None = None) -> Iterator[Expr]:
    """Every expression in `node` (itself first), pre-order, without recursion; `into(n)` False stops
    the walk from entering `n`'s children."""
    if node is None:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if into is None or into(current):
            stack.extend(reversed(children(current)))


def rebuild(node, fn: Callable[[Expr], Expr]):
    """`node` with each child expression replaced by `fn(child)` (the same object when nothing changed)."""
    changes = {}
    for name in _expr_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, Expr):
            new = fn(value)
        elif isinstance(value, tuple) and any(isinstance(v, Expr) for v in value):
            new = tuple(fn(v) if isinstance(v, Expr) else v for v in value)
            if all(a is b for a, b in zip(new, value)):
                continue
        else:
            continue
        if new is not value:
            changes[name] = new
    return dataclasses.replace(node, **changes) if changes else node


def shift_scopes(node, by: int, depth: int = 0):
    """Make an expression written for one scope usable `by` scopes further in (its columns, and the
    to-one paths, aggregates, quantifiers and list tests that start from scopes at or outside `depth`,
    point `by` levels further out)."""
    if isinstance(node, Column):
        return dataclasses.replace(node, up=node.up + by) if node.up >= depth else node
    if not isinstance(node, Expr):
        return node
    if isinstance(node, OUTER_NODES) and node.up >= depth:
        node = dataclasses.replace(node, up=node.up + by)
    inner = depth + 1 if isinstance(node, SCOPE_NODES) else depth
    return rebuild(node, lambda child: shift_scopes(child, by, inner))


def refers_outside(node, depth: int = 0) -> bool:
    """Whether `node`, evaluated on a related record, uses a record further out (an `ir.Column`, or a to-one
    path, aggregate, quantifier or list test starting from it, whose `up` reaches beyond the scopes opened
    inside `node`): such a condition is correlated."""
    if isinstance(node, Column):
        return node.up > depth
    if not isinstance(node, Expr):
        return False
    if isinstance(node, OUTER_NODES) and node.up > depth:
        return True
    inner = depth + 1 if isinstance(node, SCOPE_NODES) else depth
    return any(refers_outside(child, inner) for child in children(node))


def expanded_size(node, limit: int) -> int:
    """How many nodes `node` has written out as a tree — a subtree shared N times counts N times, as
    lowering and every printer will expand it — computed once per distinct node (so in time linear in
    the shared graph, not in its expansion), stopping at `limit + 1`. One `children` call per distinct
    node: a node's children are kept with it until they are sized."""
    cap = limit + 1
    one = 1 if cap > 1 else cap
    sizes: dict[int, int] = {}
    keep = []  # ids are only unique while the nodes live
    stack: list = [node]
    while stack:
        item = stack.pop()
        if type(item) is list:  # [node, its children]: all sized now
            current, kids = item
            total = 1
            for k in kids:
                total += sizes[id(k)]
            sizes[id(current)] = total if total < cap else cap
            keep.append(current)
            continue
        if id(item) in sizes:
            continue
        kids = children(item)
        if not kids:
            sizes[id(item)] = one
            keep.append(item)
            continue
        stack.append([item, kids])
        stack.extend(k for k in kids if id(k) not in sizes)
    return sizes[id(node)]
