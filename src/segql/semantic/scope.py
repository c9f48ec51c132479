"""What every part of the checker shares: the scope a condition is checked in, the pending to-many value
(`Multi`), the type groups, and how a check error is made."""
from __future__ import annotations

from dataclasses import dataclass, field

from segql import ir
from segql.errors import NO_SPAN, CheckError, Span
from segql.schema import Entity, Relationship
from segql.syntax import ast

NUMERIC = ("integer", "number")
TEMPORAL = ("date", "timestamp")
SUB_DAY = ("second", "minute", "hour")
CALENDAR_UNITS = ("week", "month", "quarter", "year")


def article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def err(code, message, node_or_span, hints=()):
    span = node_or_span if isinstance(node_or_span, Span) else getattr(node_or_span, "span", NO_SPAN)
    return CheckError(code, message, span, [h for h in hints if h])


@dataclass
class Multi:
    """A path that crosses a to-many relationship: only usable as the operand of one comparison."""

    steps: tuple[Relationship, ...]  # relationships up to and including the last to-many one
    value: ir.Expr | None  # evaluated on the last to-many record (may itself use to-one paths)
    node: ast.Node


@dataclass
class Scope:
    """The entities a condition sees, innermost last."""

    entity: Entity
    lets: dict = field(default_factory=dict)  # name -> ast expr (segment-local calculated fields)
    let_spans: dict = field(default_factory=dict)


UNIT_WORDS = {u + s for u in ("second", "minute", "hour", "day", "week", "month", "quarter", "year") for s in ("", "s")}


def bare_word_hint(error, node, other) -> None:
    """`state = CA`: a bare word that is not a property, compared with text, was meant as text."""
    kind = getattr(getattr(other, "value", other) if isinstance(other, Multi) else other, "type", None)
    if error.code == "E0301" and kind == "string" and isinstance(node, ast.Path) and len(node.parts) == 1:
        error.hints[:] = [f'did you mean "{node.parts[0]}"? text is written in double quotes',
                          *(h for h in error.hints if " has: " not in h)]  # not the list of every name


def rate_hint(error, node, scope, schema) -> None:
    """`Purchase_Frequency > 5/year`: a rate written as a value; segql counts in a window."""
    right = node.right
    if not (error.code == "E0301" and node.op == "/" and isinstance(right, ast.Path) and len(right.parts) == 1
            and right.parts[0].lower() in UNIT_WORDS):
        return
    unit = right.parts[0].lower().rstrip("s")
    n = node.left.value if isinstance(node.left, ast.Literal) else "N"
    many = [r for r in scope.entity.relationships.values() if r.kind == "many"]
    events = [r for r in many if schema.entities[r.target].is_event_stream]
    example = (f'performed "purchase" more than {n} times in last 1 {unit}' if events else
               f"count({many[0].name} where <time> in last 1 {unit}) > {n}" if many else "")
    error.hints[:] = [f"`{n}/{right.parts[0]}` is a rate: count what happened in a window instead"
                      + (f", e.g. `{example}`" if example else "")]  # not a near name: `years` is no typo
