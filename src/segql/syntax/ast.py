"""The surface syntax tree: what the user wrote, with spans, before names or types are known.

Every front end (the text language, MongoDB-style JSON, rule lists, react-querybuilder) produces these
nodes, so checking, formatting and conversion work the same for all of them. Spans do not take part in
equality: two trees that say the same thing compare equal wherever they came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from segql import limits
from segql.errors import NO_SPAN, SegqlError, Span


def _span():
    return field(default=NO_SPAN, compare=False, repr=False)


def _check_amount(amount, unit: str, span: Span) -> None:
    """Every time amount, from any front end, within MAX_DURATION_YEARS: `99999999999999999999 days ago`
    would otherwise reach the engine as an overflow or a date out of range."""
    most = limits.max_time_amount(unit)
    if isinstance(amount, int) and most is not None and abs(amount) > most:
        raise SegqlError("E0115", f"{amount:,} {unit}s is over the limit of {most:,} "
                         f"({limits.MAX_DURATION_YEARS:,} years)", span,
                         ["compare with a date instead, e.g. `signup_date < 1900-01-01`"])


class Node:
    span: Span


# ---- values -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Path(Node):
    """A property, calculated field or relationship, possibly across relationships: `organization.industry`."""

    parts: tuple[str, ...]
    span: Span = _span()
    part_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Literal(Node):
    """kind: number | string | boolean | null | date | timestamp. `money` keeps `$` for printing."""

    kind: str
    value: Any
    money: bool = field(default=False, compare=False)
    span: Span = _span()


@dataclass(frozen=True)
class Keyword(Node):
    """`today` or `now`."""

    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Duration(Node):
    """`30 days` (in `today - 30 days`), or with ago=True `30 days ago` (an age)."""

    amount: int
    unit: str  # singular: second minute hour day week month quarter year
    ago: bool = False
    span: Span = _span()

    def __post_init__(self):
        _check_amount(self.amount, self.unit, self.span)


@dataclass(frozen=True)
class Unary(Node):
    """`-x`: a sign in front of a value."""

    op: str  # "-"
    operand: Node
    span: Span = _span()


@dataclass(frozen=True)
class Binary(Node):
    """`a + b`, `a * b`, …: arithmetic as written."""

    op: str  # + - * /
    left: Node
    right: Node
    span: Span = _span()


@dataclass(frozen=True)
class Call(Node):
    """`month(x)`, `count(deals where stage = "Won")`."""

    name: str
    args: tuple[Node, ...]
    where: Node | None = None
    span: Span = _span()
    name_span: Span = field(default=NO_SPAN, compare=False, repr=False)


# ---- conditions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Compare(Node):
    """`a = b`, `a < b`, `before`/`after`, …"""

    op: str  # = != < <= > >= before after
    left: Node
    right: Node
    span: Span = _span()


@dataclass(frozen=True)
class InList(Node):
    """`x in (a, b)` or `x not in (…)`."""

    operand: Node
    items: tuple[Node, ...]
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Between(Node):
    """`x between a and b` (inclusive), or `not between`."""

    operand: Node
    low: Node
    high: Node
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class IsNull(Node):
    """`x is null` or `x is not null`."""

    operand: Node
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class IsEmpty(Node):
    """`x is empty` or `x is not empty` (NULL or the empty string)."""

    operand: Node
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class TextMatch(Node):
    """op: contains | starts | ends | matches. ignore_case only for matches (contains & co. always are)."""

    op: str
    operand: Node
    pattern: Node
    negated: bool = False
    ignore_case: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Period(Node):
    """A time window. kind: rolling (`last 30 days`), this / last (calendar `this month`, `last month`),
    between (`between 30 and 60 days ago`, events only)."""

    kind: str
    unit: str
    amount: int = 0
    amount2: int = 0
    span: Span = _span()

    def __post_init__(self):
        _check_amount(self.amount, self.unit, self.span)
        _check_amount(self.amount2, self.unit, self.span)


@dataclass(frozen=True)
class InPeriod(Node):
    """`x in last 30 days`, `x in this month`, …"""

    operand: Node
    period: Period
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class InSegment(Node):
    """`in segment x`, `organization in segment x`, `in list x`. kind: segment | list."""

    kind: str
    slug: str
    subject: Path | None = None
    negated: bool = False
    span: Span = _span()
    slug_span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Quantified(Node):
    """`any deals (...)`, `all deals (...)`, `no deals (...)`; condition None means "has some"/"has none"."""

    quantifier: str  # any | all | no
    path: Path
    condition: Node | None = None
    span: Span = _span()


@dataclass(frozen=True)
class EventCount(Node):
    """How often: op in >= <= = > < with a count."""

    op: str
    count: int


@dataclass(frozen=True)
class Performed(Node):
    """`performed "purchase" [where c] [at least N times] [in last N units]`; negated: `did not perform`."""

    event: str
    where: Node | None = None
    count: EventCount | None = None
    window: Period | None = None
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Sequence(Node):
    """`performed "A" [where c1] then "B" [where c2] [within N units] [count] [window]` (SPEC §8): some
    event A followed, at the same time or later (within the span), by a different event B; negated: `did
    not perform … then …`. The count counts the A events that are followed so."""

    first: str
    then: str
    first_where: Node | None = None
    then_where: Node | None = None
    within: Duration | None = None
    count: EventCount | None = None
    window: Period | None = None
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class And(Node):
    """`a and b and …`."""

    items: tuple[Node, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Or(Node):
    """`a or b or …`."""

    items: tuple[Node, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Not(Node):
    """`not a`."""

    item: Node
    span: Span = _span()


@dataclass(frozen=True)
class Parens(Node):
    """Kept so spans and fmt can respect what the user grouped; meaning is the inner node."""

    item: Node
    span: Span = _span()


# ---- definitions --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Let(Node):
    """`let name = expr` in a definition."""

    name: str
    expr: Node
    span: Span = _span()


@dataclass(frozen=True)
class Definition(Node):
    """A segment (kind "segment", with a condition) or a static list (kind "list")."""

    kind: str
    slug: str
    entity: str
    condition: Node | None = None
    title: str | None = None
    description: str | None = None
    lets: tuple[Let, ...] = ()
    span: Span = _span()
    entity_span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Document(Node):
    """A parsed file: its definitions, where it came from and its text (for diagnostics)."""

    definitions: tuple[Definition, ...]
    path: str | None = field(default=None, compare=False)
    source: str | None = field(default=None, compare=False, repr=False)
    span: Span = _span()


def children(node: Node) -> list[Node]:
    """The direct sub-nodes, for walks that do not care about node kinds."""
    out: list[Node] = []
    for name in getattr(node, "__dataclass_fields__", {}):
        if name.endswith("span") or name == "part_spans":
            continue
        value = getattr(node, name)
        if isinstance(value, Node):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(v for v in value if isinstance(v, Node))
    return out


def to_dict(node):
    """A syntax tree as JSON-ready values, spans left out (`segql compile --emit ast`)."""
    import dataclasses

    if isinstance(node, Node) and dataclasses.is_dataclass(node):
        out = {"node": type(node).__name__}
        for f in dataclasses.fields(node):
            if f.name.endswith("span") or f.name.endswith("spans"):
                continue
            out[f.name] = to_dict(getattr(node, f.name))
        return out
    if isinstance(node, tuple):
        return [to_dict(v) for v in node]
    if hasattr(node, "isoformat"):
        return node.isoformat()
    return node
