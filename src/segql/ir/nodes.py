"""The typed intermediate representation: what a segment means, independent of how it was written.

Every name is resolved against the schema and every node is well typed by construction (the checker
builds them); lowering to SQL, the Python evaluator and the mongo printer only read this.

Scopes: a condition is evaluated on "the current record". `ToOne`, `Exists` and `Aggregate` evaluate
their inner expressions on related records; a `Column` with `up=k` refers to the record k scopes out.
`ToOne`, `Exists`, `Aggregate` and `InList` also have `up`: the record they start from (0: the current
one). An outer record's aggregate or to-one path used inside a to-many comparison (`deals.value >
avg(deals.value)`) is evaluated on the deal's scope but starts from the contact: `up=1`. Inside them the
scopes nest as usual: an inner `Column(up=1)` is the record current where the node stands.
Only the positive comparison operators exist here; `!=`, `not in`, `not contains`… are `Not(...)`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from segql.schema import Property, Relationship


@dataclass(frozen=True)
class Expr:
    """A typed value or condition of the IR."""


# ---- values -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column(Expr):
    """A property of the record `up` frames out (0: the current one)."""

    entity: str
    prop: Property
    up: int = 0
    is_key: bool = False

    @property
    def type(self) -> str:
        return self.prop.type


@dataclass(frozen=True)
class ToOne(Expr):
    """The value of `inner` on the record reached through a to-one relationship; missing when none."""

    rel: Relationship
    inner: Expr
    up: int = 0

    @property
    def type(self) -> str:
        return self.inner.type


@dataclass(frozen=True)
class Literal(Expr):
    """A constant of a known type."""

    value: Any
    type: str  # string integer number boolean date timestamp


@dataclass(frozen=True)
class Now(Expr):
    """The current instant (pinned by `now=` or evaluated by the engine)."""

    type: str = "timestamp"


@dataclass(frozen=True)
class Today(Expr):
    """The current date in the schema's zone."""

    type: str = "date"


@dataclass(frozen=True)
class Shift(Expr):
    """`base` moved by `amount` calendar units (negative: into the past). Months clamp to month end."""

    base: Expr
    amount: int
    unit: str

    @property
    def type(self) -> str:
        return self.base.type


@dataclass(frozen=True)
class Arith(Expr):
    """Arithmetic on two values of one numeric type."""

    op: str  # + - * /
    left: Expr
    right: Expr
    type: str


@dataclass(frozen=True)
class Negate(Expr):
    """A value with its sign flipped."""

    operand: Expr

    @property
    def type(self) -> str:
        return self.operand.type


@dataclass(frozen=True)
class Func(Expr):
    """Scalar functions: year month day isodow lower upper length abs round coalesce days_between
    date_of to_timestamp trunc (args[1] is the unit as a Literal)."""

    name: str
    args: tuple[Expr, ...]
    type: str


@dataclass(frozen=True)
class Aggregate(Expr):
    """count / sum / avg / min / max over the records reached through one to-many relationship.
    count and sum of nothing are 0; avg, min, max of nothing are missing."""

    func: str
    rel: Relationship
    value: Expr | None  # evaluated on each related record
    where: "Cond | None"
    type: str
    up: int = 0


# ---- conditions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cond(Expr):
    """A condition (boolean, never NULL once lowered)."""

    type: str = dataclasses.field(default="boolean", init=False)


@dataclass(frozen=True)
class Compare(Cond):
    """Two values of one type compared; NULL on either side is false."""

    op: str  # = < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class InValues(Cond):
    """A value equal to one of several."""

    operand: Expr
    values: tuple[Expr, ...]


@dataclass(frozen=True)
class IsNull(Cond):
    """A value that is NULL."""

    operand: Expr


@dataclass(frozen=True)
class TextMatch(Cond):
    """Case-insensitive, literal: kind contains | starts | ends."""

    kind: str
    operand: Expr
    text: str


@dataclass(frozen=True)
class Regex(Cond):
    """A string matching a pattern (SPEC §2's regex subset)."""

    operand: Expr
    pattern: str
    ignore_case: bool = False


@dataclass(frozen=True)
class And(Cond):
    """All of several conditions."""

    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Or(Cond):
    """Any of several conditions."""

    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Not(Cond):
    """The complement of a condition (two-valued: NULLs were settled below)."""

    item: Cond


@dataclass(frozen=True)
class Const(Cond):
    """A condition known before the query runs."""

    value: bool


@dataclass(frozen=True)
class Exists(Cond):
    """Some record reached through `rel` satisfies `condition` (any record when None)."""

    rel: Relationship
    condition: Cond | None = None
    up: int = 0


_SEQUENCE_OPS = (">=", "<=", "=", ">", "<")


@dataclass(frozen=True)
class Sequence(Cond):
    """SPEC §8: the record (through the event stream `rel`) has an event meeting `first` and a different
    event meeting `then` whose `time` is at or after the first's and, with a span, at most `within` `unit`s
    after it (the first's time shifted, months clamping). With a count, the number of first events that
    are followed so is compared (`op` `count`); the default is "at least one". `first` and `then` are
    conditions on one event each (the name, its `where`, the window); `time` and `key` are the event's
    time and key columns, evaluated on an event."""

    rel: Relationship
    first: Cond
    then: Cond
    time: Column
    key: Column
    within: int | None = None
    unit: str = "day"
    op: str = ">="
    count: int = 1
    up: int = 0

    def __post_init__(self):
        # typed at construction: a malformed node is a bug in the checker, not a user error
        if self.op not in _SEQUENCE_OPS or self.count < 0 or (self.within is not None and self.within < 0):
            raise ValueError(f"malformed Sequence: {self.op} {self.count} within {self.within}")
        if self.time.type not in ("date", "timestamp") or not isinstance(self.first, Cond) \
                or not isinstance(self.then, Cond):
            raise ValueError("malformed Sequence: conditions and a temporal time column are required")


@dataclass(frozen=True)
class InList(Cond):
    """Membership of the current record in a static list."""

    slug: str
    up: int = 0


@dataclass(frozen=True)
class SegmentRef(Cond):
    """`in segment slug`: the referenced segment's condition, kept whole so tools can show it."""

    slug: str
    condition: Cond


@dataclass(frozen=True)
class Segment:
    """A checked definition: what lowering, formatting and evaluation take."""

    slug: str
    entity: str
    kind: str  # segment | list
    condition: Cond | None
    title: str | None = None
    description: str | None = None


# ---- helpers ------------------------------------------------------------------------------------
SCOPE_NODES = (ToOne, Exists, Aggregate, Sequence)  # their inner expressions are about related records
OUTER_NODES = (ToOne, Exists, Aggregate, InList, Sequence)  # start from the record `up` scopes out


def to_dict(node) -> Any:
    """A JSON-ready view of the IR (`segql compile --emit ir`)."""
    if isinstance(node, (Property,)):
        return node.name
    if isinstance(node, Relationship):
        return {"relationship": node.name, "entity": node.target, "kind": node.kind}
    if dataclasses.is_dataclass(node):
        out = {"node": type(node).__name__}
        for f in dataclasses.fields(node):
            if f.name == "type" and isinstance(node, Cond):
                continue
            if f.name == "up" and isinstance(node, OUTER_NODES) and not node.up:
                continue  # the usual case, left out so the IR of ordinary segments reads as before
            out[f.name] = to_dict(getattr(node, f.name))
        return out
    if isinstance(node, tuple):
        return [to_dict(v) for v in node]
    if hasattr(node, "isoformat"):
        return node.isoformat()
    if isinstance(node, (int, float, str, bool)) or node is None:
        return node
    return str(node)
