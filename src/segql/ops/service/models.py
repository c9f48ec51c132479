"""Request and response bodies (pydantic): what /openapi.json documents. Segment validation itself is the
SDK's (422 with diagnostics); these models only reject malformed requests (400)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Conditions = dict[str, Any] | list[Any]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SegmentIn(Strict):
    """Create a segment (seed 003's body; seed 000's `type` and `criteria`; seed 001's `title`/`query`)."""

    name: str | None = Field(None, description="1–100 characters (or `title`)")
    title: str | None = None
    slug: str | None = Field(None, description="unique per organization; default: from the name")
    description: str | None = Field(None, description="at most 500 characters")
    object_type: str | None = Field(None, description="the entity (name or alias); or `type`")
    type: str | None = None
    conditions: Conditions | None = Field(None, description="MongoDB-style filter, rule list or react-querybuilder")
    query: Conditions | None = None
    criteria: str | dict[str, Any] | None = Field(None, description="segql text, or JSON (text or object)")
    is_dynamic: bool = True


class SegmentPatch(Strict):
    name: str | None = None
    title: str | None = None
    slug: str | None = None
    description: str | None = None
    object_type: str | None = None
    type: str | None = None
    conditions: Conditions | None = None
    query: Conditions | None = None
    criteria: str | dict[str, Any] | None = None
    is_dynamic: bool | None = None


class Segment(BaseModel):
    object: Literal["segment"] = "segment"
    id: str
    name: str
    slug: str
    description: str | None = None
    object_type: str
    is_dynamic: bool
    conditions: Any = None
    criteria: str | None = None
    member_count: int | None = None
    member_count_at: str | None = None
    organization: str
    created_at: str
    updated_at: str
    version: int


class SegmentList(BaseModel):
    data: list[Segment]
    next_cursor: str | None = None


class CountsIn(Strict):
    ids: list[str] = Field(..., max_length=1000)


class Count(BaseModel):
    id: str
    slug: str
    object_type: str
    member_count: int


class CountsOut(BaseModel):
    data: list[Count]
    computed_at: str


class RefreshOut(BaseModel):
    id: str
    slug: str
    member_count: int
    entered: int
    left: int
    entered_keys: list[Any] = []
    left_keys: list[Any] = []
    refreshed_at: str | None
    skipped: bool = False


class KeysIn(Strict):
    keys: list[str | int] = Field(..., min_length=1, max_length=10000)


class MembersChanged(BaseModel):
    member_count: int


class Members(BaseModel):
    data: list[dict[str, Any]]
    next_cursor: str | None = None


class HistoryEntry(BaseModel):
    refreshed_at: str
    member_count: int
    entered: int
    left: int


class History(BaseModel):
    data: list[HistoryEntry]


class SourceIn(Strict):
    """A segment to compile or validate, never stored."""

    conditions: Conditions | None = None
    criteria: str | dict[str, Any] | None = None
    object_type: str | None = None
    type: str | None = None
    name: str | None = None
    description: str | None = None


class CompileIn(SourceIn):
    dialect: str = "duckdb"
    params: Literal["qmark", "numeric", "named", "pyformat"] | None = None
    select: Literal["keys", "count"] = "keys"
    now: str | None = None


class PreviewIn(SourceIn):
    columns: list[str] = Field(default_factory=list, max_length=50)
    limit: int = Field(100, ge=0, le=10000)
    explain: bool = False
    now: str | None = None


class PreviewOut(BaseModel):
    object_type: str
    member_count: int
    columns: list[str]
    data: list[dict[str, Any]]
    explain: dict[str, Any] | None = None


class OverlapBlock(BaseModel):
    object_type: str
    records: int
    segments: list[str]
    matrix: list[list[int]]


class OverlapOut(BaseModel):
    data: list[OverlapBlock]


class WhoAmI(BaseModel):
    organization: str
    scopes: list[str]


class CompileOut(BaseModel):
    dialect: str
    sql: str
    params: list[Any] | dict[str, Any] | None = None


class Diagnostic(BaseModel):
    code: str
    message: str
    pointer: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    hints: list[str] = []
    severity: Literal["error", "warning"] = "error"


class ValidateOut(BaseModel):
    valid: bool
    object_type: str | None = None
    criteria: str | None = None
    diagnostics: list[Diagnostic]


class ErrorDetail(BaseModel):
    code: str
    message: str
    diagnostics: list[Diagnostic]


class Error(BaseModel):
    error: ErrorDetail


class ImportOut(BaseModel):
    imported: int
    data: list[Segment]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    store: str
    warehouse: str
