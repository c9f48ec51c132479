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
