"""What tools ask of the store besides SPEC §6.3's lifecycle — the calls behind the service's stateless
endpoints and the playground: check, compile, preview and explain a segment that is not saved; the
overlap of saved ones; one page of a listing (keyset cursor); the schema as completion needs it; health;
which segments a scheduler should refresh. Each takes the `Segments` object and an organization."""
from __future__ import annotations

import base64
import datetime as dt
import json

from segql.errors import SegqlError
from segql.lower.dialects import DIALECTS, get_ops
from segql.ops.compile import render, to_sql_tree
from segql.ops.counts import overlap as batch_overlap
from segql.ops.explain import explain as explain_segment
from segql.ops.load import Loaded, check_documents
from segql.ops.run import count_members, list_rows, resolve_columns
from segql.ops.store.sdk import SELECT, SORTABLE, Segment, _sort_items, criteria_text, utc_stamp
from segql.ops.why import why as why_record
from segql.syntax import ast


def _draft(segments, criteria, conditions, object_type, name, description, organization, *, lint=False):
    """(Loaded or None, errors, warnings) for an unsaved segment."""
    fields = {"name": name or "unsaved segment", "criteria": criteria, "conditions": conditions,
              "object_type": object_type, "description": description, "slug": "unsaved", "is_dynamic": True}
    definition, _conditions, errors = segments.draft(fields, collect=True)
    if definition is None:
        return None, errors, []
    doc = ast.Document((definition,), path="<criteria>", source=criteria if isinstance(criteria, str) else None)
    result = check_documents([doc], segments.schema, lint=lint, library=segments.library(organization, [definition]))
    errors = [e for err in errors + result.errors for e in getattr(err, "errors", [err])]
    return (result.loaded[0] if result.loaded and not errors else None), errors, result.warnings


def _checked(segments, criteria, conditions, object_type, name, description, organization) -> Loaded:
    item, errors, _ = _draft(segments, criteria, conditions, object_type, name, description, organization)
    if errors:
        from segql.ops.store.seeds import raise_all

        raise_all(errors)
    return item


def create_counted(segments, *, organization: str = "default", **fields) -> Segment:
    """Create, then refresh a dynamic segment once, so it starts with its member count (seed 003: 201
    with the initial member count)."""
    seg = segments.create(**fields, organization=organization)
    if seg.is_dynamic:
        segments.refresh(seg.id, organization=organization)
    return segments.get(seg.id, organization=organization)


def import_counted(segments, items, *, organization: str = "default") -> list[Segment]:
    """Import seed 001's array (all-or-nothing), then refresh each dynamic segment once so it arrives
    with its member count."""
    created = segments.import_(items, organization=organization)
    for seg in created:
        if seg.is_dynamic:
            segments.refresh(seg.id, organization=organization)
    return [segments.get(seg.id, organization=organization) for seg in created]


def refresh_result(segments, id: str, *, now=None, organization: str = "default") -> dict:
    """A refresh as the service reports it: the segment, count, entered/left (with key samples)."""
    seg = segments.get(id, organization=organization)
    change = segments.refresh(seg.id, now=now, organization=organization)
    return {"id": seg.id, "slug": seg.slug, "member_count": change.member_count, "entered": change.entered,
            "left": change.left, "entered_keys": change.entered_keys, "left_keys": change.left_keys,
            "refreshed_at": change.refreshed_at, "skipped": change.noop}


def validate(segments, *, criteria=None, conditions=None, object_type=None, name=None, description=None,
             organization: str = "default") -> dict:
    """Every error and lint warning of a segment, never stored: `{"valid", "object_type", "criteria",
    "errors": [SegqlError], "warnings": [SegqlError]}`."""
    item, errors, warnings = _draft(segments, criteria, conditions, object_type, name, description, organization,
                                    lint=True)
    return {"valid": not errors, "object_type": item.segment.entity if item else None,
            "criteria": criteria_text(item.definition) if item else None, "errors": errors, "warnings": warnings}


def compile_source(segments, *, criteria=None, conditions=None, object_type=None, name=None, description=None,
                   dialect: str = "duckdb", params: str | None = None, select: str = "keys", now=None,
                   organization: str = "default") -> dict:
    """SQL of an unsaved segment for `dialect` (with bind parameters in style `params`)."""
    get_ops(dialect)
    item = _checked(segments, criteria, conditions, object_type, name, description, organization)
    result = render(to_sql_tree(item.segment, segments.schema, dialect, now=now, select=select), dialect,
                    params=params)
    if isinstance(result, str):
        return {"dialect": dialect, "sql": result, "params": None}
    # a decimal stays a Decimal: the service writes it with all its digits (segql.jsontext)
    return {"dialect": dialect, "sql": result.sql, "params": result.params}


def preview(segments, *, criteria=None, conditions=None, object_type=None, name=None, description=None,
            columns=(), limit: int = 100, explain: bool = False, now=None, organization: str = "default") -> dict:
    """Run an unsaved segment on the warehouse: its count, the first `limit` members (with `columns`),
    and with `explain` the funnel."""
    item = _checked(segments, criteria, conditions, object_type, name, description, organization)
    entity = segments.schema.entities[item.segment.entity]
    cols = resolve_columns(entity, ",".join(columns) if columns else None)
    with segments.engine(pooled=True) as engine:
        count = count_members(item.segment, segments.schema, engine, now=now)
        rows = list_rows(item.segment, segments.schema, engine, now=now, columns=cols, limit=limit)
        funnel = explain_segment(item.segment, item.definition, segments.schema, engine, now=now) if explain else None
    header = [entity.key, *cols]
    data = [{h: (v.isoformat() if hasattr(v, "isoformat") else v) for h, v in zip(header, r)} for r in rows]
    return {"object_type": entity.name, "member_count": int(count), "columns": header, "data": data,
            "explain": funnel}


def why(segments, key, *, criteria=None, conditions=None, object_type=None, name=None, description=None, now=None,
        organization: str = "default") -> dict:
    """One record's condition tree for an unsaved segment (the playground's "Why?"): `segql why`'s answer."""
    item = _checked(segments, criteria, conditions, object_type, name, description, organization)
    with segments.engine(pooled=True) as engine:
        return why_record(item.segment, item.definition, segments.schema, engine, key, now=now)


def overlap(segments, ids, *, now=None, organization: str = "default") -> list[dict]:
    """Sizes and pairwise overlaps of saved dynamic segments, computed now, one statement per entity."""
    segs = [segments.get(i, organization=organization) for i in ids]
    static = [s.slug for s in segs if not s.is_dynamic]
    if static:
        raise SegqlError("E0807", f"overlap compares dynamic segments; {', '.join(static)} "
                         f"{'is' if len(static) == 1 else 'are'} static")
    loaded = [segments.loaded(s) for s in dict((s.id, s) for s in segs).values()]
    with segments.engine(pooled=True) as engine:
        blocks = batch_overlap(loaded, segments.schema, engine, now=now)
    return [{"object_type": b["entity"], "records": int(b["records"]), "segments": b["segments"],
             "matrix": [[int(v) for v in row] for row in b["matrix"]]} for b in blocks]


def find_page(segments, *, is_dynamic=None, object_type=None, q=None, sort="-updated_at", limit: int = 50,
              cursor: str | None = None, organization: str = "default") -> tuple[list[Segment], str | None]:
    """One page of `find` and the cursor of the next (keyset on the sort value, then created_at and id,
    so a page never repeats or skips a segment while others are added)."""
    order = _sort_items(sort) or [("updated_at", "desc")]
    field, direction = order[0]
    everything = segments.find(is_dynamic=is_dynamic, object_type=object_type, q=q, sort=[f"{'-' if direction == 'desc' else ''}{field}"],
                               organization=organization)
    key = (lambda s: _sort_value(s, field))
    # the cursor compares values in Python, so the order must be Python's too: the store's collation may
    # order text otherwise (PostgreSQL in a locale: a < B < c), and a page would skip or repeat segments
    everything = sorted(sorted(everything, key=lambda s: (s.created_at, s.id)), key=key, reverse=direction == "desc")
    if cursor is not None:
        after = _decode(cursor, field)
        everything = [s for s in everything if _after(key(s), s.created_at, s.id, after, direction)]
    page = everything[:limit]
    more = len(everything) > limit
    return page, (_encode([key(page[-1]), page[-1].created_at, page[-1].id, field]) if more and page else None)


def _sort_value(seg: Segment, field: str):
    value = getattr(seg, "member_count" if field == "membercount" else field)
    return -1 if value is None and field in ("member_count", "membercount") else value


def _after(value, created_at, seg_id, cursor, direction) -> bool:
    v, c, i = cursor
    if value != v:
        return value < v if direction == "desc" else value > v
    return (created_at, seg_id) > (c, i)


def _encode(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str, field: str):
    """[value, created_at, id] of the last segment of the previous page, given for a sort by `field` (the
    cursor names it): a cursor of another sort, or forged, would compare text with numbers."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        values = None
    numeric = field in ("member_count", "membercount")
    if (isinstance(values, list) and len(values) == 4 and values[3] == field
            and (type(values[0]) is int if numeric else isinstance(values[0], str))
            and all(isinstance(v, str) for v in values[1:3])):
        return values[:3]
    raise SegqlError("E0906", f"the cursor is not one this service gave out for sort={field}",
                     hints=["start again without cursor= (a cursor pages the sort it was given for)"])


def schema_summary(segments) -> dict:
    """Entities with their properties, relationships (→ target entity), calculated fields and, for event
    streams, the event names seen in the warehouse (at most 200, best effort); the dialects."""
    schema = segments.schema
    entities = {}
    for e in schema.entities.values():
        entities[e.name] = {"key": e.key, "aliases": list(e.aliases), "properties": list(e.properties),
                            "relationships": {r.name: r.target for r in e.relationships.values()},
                            "calculated": list(e.calculated), "events": []}
    streams = [e for e in schema.entities.values() if e.is_event_stream]
    if streams:
        try:
            with segments.engine(pooled=True) as engine:
                for e in streams:
                    entities[e.name]["events"] = _event_names(engine, e)  # best effort: [] on a query error
        except SegqlError:  # the warehouse is away: no event names
            pass
    return {"entities": entities, "dialects": list(DIALECTS), "timezone": schema.timezone}


def _event_names(engine, entity) -> list[str]:
    from sqlglot import exp

    from segql.lower.sql import quoted, table_expr

    col = exp.column(quoted(entity.properties[entity.event_name].column))
    q = exp.select(col).distinct().from_(table_expr(entity.table)).where(exp.Not(this=exp.Is(
        this=col.copy(), expression=exp.Null()))).order_by(col.copy()).limit(200)
    try:
        return [str(r[0]) for r in engine.execute(q.sql(dialect=engine.dialect))]
    except SegqlError:
        return []


def health(segments) -> dict:
    """`{"status": ok|degraded, "store": ok|message, "warehouse": ok|message}`."""
    out = {"status": "ok", "store": "ok", "warehouse": "ok"}
    try:
        segments.db.one("SELECT 1")
    except SegqlError as err:
        out["store"], out["status"] = err.message, "degraded"
    try:
        with segments.engine(pooled=True) as engine:
            engine.execute("SELECT 1")
    except SegqlError as err:
        out["warehouse"], out["status"] = err.message, "degraded"
    return out


def due_for_refresh(segments, every: float) -> list[Segment]:
    """Dynamic segments of every organization not refreshed in the last `every` seconds, oldest first."""
    cutoff = utc_stamp(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=every))
    rows = segments.db.execute(f"{SELECT} WHERE is_dynamic = 1 AND (member_count_at IS NULL OR member_count_at < ?) "
                               "ORDER BY COALESCE(member_count_at, ''), id", (cutoff,))
    return [segments._segment(r) for r in rows]


__all__ = ["validate", "compile_source", "preview", "why", "overlap", "find_page", "schema_summary", "health",
           "due_for_refresh", "SORTABLE"]
