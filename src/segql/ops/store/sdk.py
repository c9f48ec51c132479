"""The segments SDK (SPEC §6.3): stored segments with a lifecycle — the ONE module the CLI, `plan`/`apply`
and the HTTP service call.

    segments = segql.open_store("sqlite:///segql.db", schema="schema.yml", db=None)
    s = segments.create(name="Trial Users", criteria={"plan": "trial"}, type="Contact")
    segments.refresh(s.id)

Every call takes `organization=` (default "default"): a tenant never sees, counts, refreshes or
references another's segments. Every write is validated with the same pipeline as `segql check` (any
input form → syntax tree → checker against the schema, `in segment` resolving among the organization's
stored segments); all diagnostics are raised together and nothing is stored on error.

Membership: without `db` the embedded DuckDB computes members over the schema's `source:` files and
membership, its events and the history row are written in ONE store transaction. With `db`, membership
lives in the warehouse (`segql.ops.refresh`, keyed by the segment's id), the store keeps the count and
the history. See docs/store.md.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import os
import re
import secrets
import string
import sys
import threading
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlglot import exp

from segql import engines
from segql.errors import SegqlError, Span
from segql.frontends.source import is_json_text, parse_source
from segql.ops.counts import counts as batch_counts
from segql.ops.explain import explain as explain_segment
from segql.ops.load import Loaded, as_schema, check_documents
from segql.ops.refresh import EVENTS, MEMBERSHIP, REFRESHES, refresh_time
from segql.ops.refresh import refresh as warehouse_refresh
from segql.ops.run import list_rows, resolve_columns
from segql.ops.store.db import StoreDb
from segql.ops.store.migrations import migrate
from segql.ops.store.pool import DEFAULT_SIZE, EnginePool
from segql.ops.store.seeds import export_items, import_items, raise_all
from segql.ops.store.webhooks import enqueue as enqueue_webhooks
from segql.ops.why import record_key
from segql.ops.why import why as why_record
from segql.schema import did_you_mean
from segql.semantic.library import Library
from segql.syntax import ast
from segql.syntax.printer import format_condition, format_definition

NAME_MAX, DESCRIPTION_MAX = 100, 500
SAMPLE = 10  # keys shown of who entered / left
COLUMNS = ("id", "organization", "name", "slug", "description", "object_type", "is_dynamic", "conditions",
           "criteria", "member_count", "member_count_at", "created_at", "updated_at", "version")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM segql_segments"
SORTABLE = {"member_count": "COALESCE(member_count, -1)", "name": "name", "slug": "slug",
            "created_at": "created_at", "updated_at": "updated_at", "membercount": "COALESCE(member_count, -1)"}
UPDATABLE = ("name", "description", "slug", "criteria", "conditions", "object_type", "type")
HOOKS = ("refreshing", "refreshed", "created", "updated", "deleted")
_BASE62 = string.digits + string.ascii_letters


@dataclasses.dataclass
class Segment:
    """The stored segment object of SPEC §6.1."""

    id: str
    organization: str
    name: str
    slug: str
    description: str | None
    object_type: str
    is_dynamic: bool
    conditions: object  # as given (decoded JSON), or None when given as criteria text
    criteria: str | None  # the segment in the text language; None for a static segment
    member_count: int | None
    member_count_at: str | None
    created_at: str
    updated_at: str
    version: int
    object: str = "segment"

    def to_dict(self) -> dict:
        out = {"object": "segment"}
        out.update({k: getattr(self, k) for k in COLUMNS})
        return out


@dataclasses.dataclass
class Change:
    """What a refresh did: the new count, how many entered and left, and samples of their keys."""

    member_count: int
    entered: int = 0
    left: int = 0
    entered_keys: list = dataclasses.field(default_factory=list)
    left_keys: list = dataclasses.field(default_factory=list)
    refreshed_at: str | None = None
    noop: bool = False  # a static segment: nothing was recomputed

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Prepared:
    """A validated write: the definition, its meaning and the row fields to store."""

    definition: ast.Definition
    loaded: Loaded
    fields: dict


def new_id() -> str:
    return "segment_" + "".join(secrets.choice(_BASE62) for _ in range(8))


def utc_stamp(moment: dt.datetime | None = None) -> str:
    """UTC ISO text with milliseconds; fixed width, so it sorts as time."""
    moment = (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def default_slug(name: str) -> str:
    """SPEC §6.1's example: "High-Value Prospects" → "high-value-prospects"."""
    return re.sub(r"[^0-9a-z]+", "-", name.lower()).strip("-") or "segment"


def _jsonable(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def criteria_text(d: ast.Definition) -> str | None:
    """The stored `criteria`: the condition in the text language, or the whole definition when it has
    `let`s (they are part of its meaning); None for a static segment."""
    if d.kind == "list" or d.condition is None:
        return None
    if d.lets:
        return format_definition(dataclasses.replace(d, title=None, description=None))
    return format_condition(d.condition)


def _pointer_error(code, message, field, hints=()) -> SegqlError:
    return SegqlError(code, message, Span(pointer=f"/{field}"), list(hints))


def references(d: ast.Definition) -> set[str]:
    """Slugs this definition uses with `in segment` (not `in list`)."""
    out: set[str] = set()
    stack = [d.condition, *(let.expr for let in d.lets)]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, ast.InSegment) and node.kind == "segment":
            out.add(node.slug)
        stack.extend(ast.children(node))
    return out


class Segments:
    """Stored segments of one store, validated against one schema, with membership on `db` (or in the
    store over the embedded DuckDB). Thread-safe: each thread gets its own store connection; warehouse
    engines are borrowed from a pool (`engine()`, ops/store/pool.py), at most `pool_size` idle per key;
    with `query_timeout`, every warehouse statement longer than that many seconds is stopped (E0606)."""

    def __init__(self, store: str, schema, db: str | None = None, *, lock_timeout: float = 30.0,
                 pool_size: int = DEFAULT_SIZE, query_timeout: float | None = None):
        if query_timeout is not None and not query_timeout > 0:
            raise SegqlError("E0004", f"query_timeout must be a number of seconds above 0, not {query_timeout!r}",
                             hints=["None: no timeout"])
        engines.check_timeout(db, query_timeout)  # said now, not at the first query
        self.url = store
        self.schema = as_schema(schema)
        self.db_url = db
        self.lock_timeout = lock_timeout
        self.engines = EnginePool(pool_size, timeout=query_timeout)
        self._local = threading.local()
        self._hooks: dict[str, list] = {name: [] for name in HOOKS}
        self.version = migrate(self.db)

    # ---- plumbing ---------------------------------------------------------------------------------
    @property
    def db(self) -> StoreDb:
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = self._local.db = StoreDb(self.url, lock_timeout=self.lock_timeout)
        return conn

    def close(self) -> None:
        """Close this thread's store connection and every pooled warehouse engine (the SDK reopens what it
        needs if used again)."""
        conn = getattr(self._local, "db", None)
        if conn is not None:
            conn.close()
            self._local.db = None
        self.engines.close()

    _WAREHOUSE = object()

    def engine(self, db=_WAREHOUSE, *, pooled: bool = False):
        """`with segments.engine() as engine:` the warehouse engine (`db`: another URL, None the embedded
        DuckDB) for the body of the `with`: a new one, closed afterwards, so that what the body leaves on
        the session (a SET, a temp table shadowing a warehouse table) reaches no other call. `pooled=True`:
        borrowed from the pool, for segql's own operations only, which leave the session as they found it."""
        return self.engines.engine(self.db_url if db is Segments._WAREHOUSE else db, self.schema, keep=pooled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fire(self, name: str, *args) -> None:
        for hook in self._hooks[name]:
            hook(*args)

    # hooks, as decorators: @segments.refreshing, @segments.refreshed, @segments.created …
    def refreshing(self, fn):
        """Before a refresh: called with the segment; raising cancels the refresh (nothing changes)."""
        self._hooks["refreshing"].append(fn)
        return fn

    def refreshed(self, fn):
        """After a refresh committed: called with the segment (new member_count) and a `Change`."""
        self._hooks["refreshed"].append(fn)
        return fn

    def created(self, fn):
        self._hooks["created"].append(fn)
        return fn

    def updated(self, fn):
        self._hooks["updated"].append(fn)
        return fn

    def deleted(self, fn):
        self._hooks["deleted"].append(fn)
        return fn

    # ---- rows -------------------------------------------------------------------------------------
    def _segment(self, row) -> Segment:
        values = dict(zip(COLUMNS, row))
        values["is_dynamic"] = bool(values["is_dynamic"])
        if values["conditions"] is not None:
            values["conditions"] = json.loads(values["conditions"])
        for k in ("member_count", "version"):
            if values[k] is not None:
                values[k] = int(values[k])
        return Segment(**values)

    def _row(self, id_or_slug: str, organization: str):
        if not isinstance(id_or_slug, str):
            raise SegqlError("E0801", f"a segment id or slug is text, not {type(id_or_slug).__name__}")
        row = self.db.one(f"{SELECT} WHERE organization = ? AND id = ?", (organization, id_or_slug))
        return row or self.db.one(f"{SELECT} WHERE organization = ? AND slug = ?", (organization, id_or_slug))

    def get(self, id_or_slug: str, *, organization: str = "default") -> Segment:
        """One segment, by id or slug (E0801 when the organization has none)."""
        row = self._row(id_or_slug, organization)
        if row is None:
            raise SegqlError("E0801", f"no segment {id_or_slug!r}",
                             hints=did_you_mean(str(id_or_slug), [r[0] for r in self.db.execute(
                                 "SELECT slug FROM segql_segments WHERE organization = ?", (organization,))]))
        return self._segment(row)

    def find(self, *, is_dynamic: bool | None = None, object_type: str | None = None, q: str | None = None,
             sort=None, limit: int | None = None, organization: str = "default") -> list[Segment]:
        """Seed 000's find: filter by kind, entity (name or alias) and text in name/slug/description;
        `sort={"member_count": "desc"}` (or "-member_count"); at most `limit`."""
        where, params = ["organization = ?"], [organization]
        if is_dynamic is not None:
            where.append("is_dynamic = ?")
            params.append(1 if is_dynamic else 0)
        if object_type is not None:
            where.append("object_type = ?")
            params.append(self._entity_name(object_type, "object_type"))
        if q:
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", q.lower()) + "%"
            where.append("(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(slug) LIKE ? ESCAPE '\\' "
                         "OR LOWER(COALESCE(description, '')) LIKE ? ESCAPE '\\')")
            params += [pattern] * 3
        order = []
        for field, direction in _sort_items(sort):
            order.append(f"{SORTABLE[field]} {'DESC' if direction == 'desc' else 'ASC'}")
        order.append("created_at ASC, id ASC")
        sql = f"{SELECT} WHERE {' AND '.join(where)} ORDER BY {', '.join(order)}"
        if limit is not None:
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
                raise SegqlError("E0004", "limit must be 0 or more")
            sql += " LIMIT ?"
            params.append(limit)
        return [self._segment(r) for r in self.db.execute(sql, params)]

    def _entity_name(self, name, field="object_type") -> str:
        entity = self.schema.entity(name) if isinstance(name, str) else None
        if entity is None:
            raise _pointer_error("E0301", f"unknown entity {name!r}", field,
                                 did_you_mean(str(name), self.schema.entity_names())
                                 or [f"entities: {', '.join(self.schema.entity_names())}"])
        return entity.name

    # ---- definitions ------------------------------------------------------------------------------
    def stored_definition(self, seg: Segment) -> ast.Definition:
        """The stored segment as a definition of the text language (re-read from `criteria`)."""
        if not seg.is_dynamic or seg.criteria is None:
            return ast.Definition("list", seg.slug, seg.object_type, None, seg.name, seg.description)
        doc = parse_source(seg.criteria, on=seg.object_type, path=f"<segment {seg.slug}>", schema=self.schema)
        return dataclasses.replace(doc.definitions[0], slug=seg.slug, title=seg.name, description=seg.description)

    def library(self, organization: str, first=(), hidden=()) -> Library:
        """Where `in segment x` finds x: `first` (definitions being written), then the organization's
        stored segments, by slug (none of `hidden`, e.g. ones being deleted)."""
        def loader(slug):
            if slug in hidden:
                return []
            row = self.db.one(f"{SELECT} WHERE organization = ? AND slug = ?", (organization, slug))
            return [(self.stored_definition(self._segment(row)), None)] if row else []
        return Library([(d, None) for d in first], loader)

    def loaded(self, seg: Segment) -> Loaded:
        """The stored segment, checked (its IR), as `segql.ops` functions take it."""
        d = self.stored_definition(seg)
        doc = ast.Document((d,), path=f"<segment {seg.slug}>", source=seg.criteria)
        result = check_documents([doc], self.schema, library=self.library(seg.organization, [d]))
        result.raise_errors()
        return result.loaded[0]

    def prepare(self, fields: dict, organization: str, *, current: Segment | None = None,
                first=(), hidden=()) -> Prepared:
        """Validate the fields of a create/update; every diagnostic is raised together. `first`: other
        definitions `in segment` may name (being written at the same time); `hidden`: slugs not to find."""
        definition, conditions, errors = self.draft(fields, current, collect=True)
        if definition is None:
            raise_all(errors)
        doc = ast.Document((definition,), path="<criteria>", source=fields.get("criteria")
                           if isinstance(fields.get("criteria"), str) else None)
        others = [d for d in first if d.slug != definition.slug]
        result = check_documents([doc], self.schema, library=self.library(organization, [definition, *others],
                                                                           hidden))
        for e in result.errors:
            if e.code == "E0314":  # unknown segment: say where the store looks, and what is close
                slug = e.message.split("'")[1] if "'" in e.message else ""
                stored = [r[0] for r in self.db.execute(
                    "SELECT slug FROM segql_segments WHERE organization = ?", (organization,))]
                e.hints = did_you_mean(slug, stored) or [
                    "`in segment` names another stored segment of the same organization, by slug"]
        if self.schema.lists is not None:  # else the checker said E0313 already
            errors += self._static_references(definition, organization, others)
        raise_all(errors + result.errors)
        item = result.loaded[0]
        return Prepared(definition, item, {
            "name": definition.title, "slug": definition.slug, "description": definition.description,
            "object_type": item.segment.entity, "is_dynamic": 1 if definition.kind == "segment" else 0,
            "conditions": None if conditions is None else json.dumps(conditions, default=_jsonable,
                                                                     ensure_ascii=False),
            "criteria": criteria_text(definition)})

    def _static_references(self, definition: ast.Definition, organization: str, others) -> list[SegqlError]:
        """`in segment x` naming a static STORED segment: its members are in the store, which no warehouse
        query reads (the schema's `lists:` table is another thing): refused, not read from the wrong table."""
        written = {d.slug for d in others}
        out = []
        for slug in sorted(references(definition) - written):
            row = self.db.one("SELECT is_dynamic FROM segql_segments WHERE organization = ? AND slug = ?",
                              (organization, slug))
            if row is not None and not row[0]:
                out.append(_pointer_error("E0313", f"segment {slug!r} is static: its members are kept in the store, "
                                          "which `in segment` cannot read yet", "criteria",
                                          ["copy its condition, or keep the list in the schema's `lists:` table"]))
        return out

    def draft(self, fields: dict, current: Segment | None = None, *, collect: bool = False):
        """The fields → (ast.Definition, conditions as given), before checking against the schema's names
        and types; every diagnostic of the fields themselves is raised together (with `collect`, returned
        as a third item instead, the definition None when it could not be read)."""
        errors: list[SegqlError] = []
        name = fields.get("name")
        if not isinstance(name, str):
            errors.append(_pointer_error("E0157", "a segment needs a name (1–100 characters)", "name"))
        elif not name.strip():
            errors.append(_pointer_error("E0157", "the name must not be empty", "name",
                                         [f"a name has 1 to {NAME_MAX} characters"]))
        elif len(name) > NAME_MAX:
            errors.append(_pointer_error("E0157", f"the name is {len(name)} characters long; at most {NAME_MAX} "
                                         "are allowed", "name"))
        description = fields.get("description")
        if description is not None and not isinstance(description, str):
            errors.append(_pointer_error("E0152", "description must be a string", "description"))
        elif description is not None and len(description) > DESCRIPTION_MAX:
            errors.append(_pointer_error("E0157", f"the description is {len(description)} characters long; at "
                                         f"most {DESCRIPTION_MAX} are allowed", "description"))
        slug = fields.get("slug")
        if slug is None and isinstance(name, str):
            slug = current.slug if current is not None else default_slug(name)
        if not isinstance(slug, str) or not slug.strip():
            errors.append(_pointer_error("E0152", "slug must be a non-empty string", "slug"))
            slug = "segment"
        dynamic = fields.get("is_dynamic", True)
        if not isinstance(dynamic, bool):
            errors.append(_pointer_error("E0152", "is_dynamic must be true or false", "is_dynamic"))
            dynamic = True
        entity = None
        if fields.get("type") is not None and fields.get("object_type") is not None and \
                fields["type"] != fields["object_type"]:
            errors.append(_pointer_error("E0152", "type and object_type name different entities", "type"))
        raw_entity = fields.get("object_type") or fields.get("type")
        if raw_entity is not None:
            try:
                entity = self._entity_name(raw_entity, "object_type" if fields.get("object_type") else "type")
            except SegqlError as err:
                errors.append(err)
        definition, conditions = None, None
        try:
            definition, conditions = self._definition(fields, entity, dynamic)
        except SegqlError as err:
            errors.append(err)
        if definition is not None:
            definition = dataclasses.replace(definition, slug=slug, title=name if isinstance(name, str) else None,
                                             description=description if isinstance(description, str) else None)
        if collect:
            return definition, conditions, errors
        raise_all(errors)
        return definition, conditions

    def _definition(self, fields: dict, entity: str | None, dynamic: bool):
        """Any input form → one ast.Definition, and the `conditions` to keep as given."""
        criteria, conditions = fields.get("criteria"), fields.get("conditions")
        if criteria is not None and conditions is not None:
            raise _pointer_error("E0152", "give criteria or conditions, not both", "conditions")
        given = criteria if criteria is not None else conditions
        if given is None:
            if dynamic:
                raise _pointer_error("E0152", "a dynamic segment needs criteria or conditions", "criteria",
                                     ["or is_dynamic=False for a static segment (members managed by hand)"])
            if entity is None:
                raise _pointer_error("E0156", "the segment does not say which entity it is about", "object_type",
                                     ['pass object_type="contacts" (or type="Contact")'])
            return ast.Definition("list", "segment", entity), None
        if not dynamic:
            raise _pointer_error("E0152", "a static segment (is_dynamic false) has no criteria", "is_dynamic",
                                 ["members of a static segment are managed by hand (add_members)"])
        if isinstance(given, str) and not is_json_text(given):  # the text language
            doc = parse_source(given, on=entity, path="<criteria>", schema=self.schema)
            if len(doc.definitions) != 1:
                raise _pointer_error("E0152", "criteria must hold one segment", "criteria")
            d = doc.definitions[0]
            if d.kind != "segment":
                raise _pointer_error("E0152", "criteria must be a condition, not a static list", "criteria")
            return d, None
        key = "criteria" if criteria is not None else "conditions"
        if not isinstance(given, (str, dict, list)):
            raise _pointer_error("E0152", f"{key} must be text or a JSON object", key)
        document = {key: given}
        if entity is not None:
            document["type"] = entity
        doc = parse_source(document, on=entity, schema=self.schema)
        d = doc.definitions[0]
        as_given = json.loads(given) if isinstance(given, str) else given
        return d, as_given

    # ---- writes -----------------------------------------------------------------------------------
    def create(self, *, name: str | None = None, criteria=None, conditions=None, type: str | None = None,
               object_type: str | None = None, description: str | None = None, slug: str | None = None,
               is_dynamic: bool | None = None, organization: str = "default") -> Segment:
        """A new segment (SPEC §6.1); E0802 when the organization already has its slug."""
        fields = {"name": name, "criteria": criteria, "conditions": conditions, "type": type,
                  "object_type": object_type, "description": description, "slug": slug,
                  "is_dynamic": True if is_dynamic is None else is_dynamic}
        prepared = self.prepare(fields, organization)
        with self.db.transaction():
            seg_id = self._insert(prepared, organization)
        seg = self.get(seg_id, organization=organization)
        self._fire("created", seg)
        return seg

    def _insert(self, prepared: Prepared, organization: str) -> str:
        f = prepared.fields
        if self.db.one("SELECT id FROM segql_segments WHERE organization = ? AND slug = ?",
                       (organization, f["slug"])):
            raise _pointer_error("E0802", f"the slug {f['slug']!r} is taken", "slug",
                                 ["pass another slug=, or update the existing segment"])
        seg_id, now = new_id(), utc_stamp()
        self.db.execute(
            "INSERT INTO segql_segments (id, organization, name, slug, description, object_type, is_dynamic, "
            "conditions, criteria, member_count, member_count_at, created_at, updated_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seg_id, organization, f["name"], f["slug"], f["description"], f["object_type"], f["is_dynamic"],
             f["conditions"], f["criteria"], 0 if not f["is_dynamic"] else None, None, now, now, 1))
        return seg_id

    def update(self, id: str, *, expected_version: int | None = None, organization: str = "default",
               **fields) -> Segment:
        """Change fields (name, description, slug, criteria|conditions, object_type); the conditions are
        re-validated. `version` increases; a stale `expected_version` is E0803."""
        for key in fields:
            if key not in UPDATABLE:
                hint = (["is_dynamic cannot change: create a new segment"] if key == "is_dynamic"
                        else did_you_mean(key, UPDATABLE) or [f"fields: {', '.join(UPDATABLE)}"])
                raise _pointer_error("E0813", f"cannot update {key!r}", key, hint)
        with self.db.transaction():
            current = self.get(id, organization=organization)
            self.db.lock_segment(current.id)
            if expected_version is not None and expected_version != current.version:
                raise SegqlError("E0803", f"segment {current.slug!r} is at version {current.version}, not "
                                 f"{expected_version}", hints=["get it again and reapply your change"])
            prepared = self._prepare_update(current, fields, organization)
            f = prepared.fields
            if current.is_dynamic and (f["criteria"], f["object_type"]) != (current.criteria, current.object_type):
                self._refuse_if_referrers_break(current, prepared, organization)  # (plan/apply: files check it)
            self._write_update(current, prepared, organization)
        seg = self.get(current.id, organization=organization)
        self._fire("updated", seg)
        return seg

    def _prepare_update(self, current: Segment, fields: dict, organization: str) -> Prepared:
        merged = {"name": current.name, "description": current.description, "slug": current.slug,
                  "object_type": current.object_type, "is_dynamic": current.is_dynamic}
        merged.update({k: v for k, v in fields.items() if k != "type"})
        if "type" in fields:
            merged["object_type"] = fields["type"]
        new_condition = "criteria" in fields or "conditions" in fields
        if not new_condition and current.is_dynamic:
            merged["criteria"] = current.criteria
        renamed = isinstance(merged.get("slug"), str) and merged["slug"] != current.slug
        # renamed, its old slug is gone after the write: `in segment <old slug>` must not find it
        prepared = self.prepare(merged, organization, current=current, hidden=(current.slug,) if renamed else ())
        if not new_condition:
            prepared.fields["conditions"] = None if current.conditions is None else json.dumps(
                current.conditions, ensure_ascii=False)
        return prepared

    def _write_update(self, current: Segment, prepared: Prepared, organization: str) -> None:
        f = prepared.fields
        if f["slug"] != current.slug:
            taken = self.db.one("SELECT id FROM segql_segments WHERE organization = ? AND slug = ? AND id <> ?",
                                (organization, f["slug"], current.id))
            if taken:
                raise _pointer_error("E0802", f"the slug {f['slug']!r} is taken", "slug")
            self._refuse_if_referenced(current, organization, "rename")
        self.db.execute(
            "UPDATE segql_segments SET name = ?, slug = ?, description = ?, object_type = ?, conditions = ?, "
            "criteria = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
            (f["name"], f["slug"], f["description"], f["object_type"], f["conditions"], f["criteria"],
             utc_stamp(), current.id, current.version))

    def referrers(self, seg: Segment, organization: str) -> list[str]:
        """Slugs of the organization's other segments that use `in segment <seg.slug>`."""
        out = []
        for row in self.db.execute(f"{SELECT} WHERE organization = ? AND id <> ? AND criteria IS NOT NULL",
                                   (organization, seg.id)):
            other = self._segment(row)
            if seg.slug in (other.criteria or "") and seg.slug in references(self.stored_definition(other)):
                out.append(other.slug)
        return sorted(out)

    def _refuse_if_referenced(self, seg: Segment, organization: str, what: str) -> None:
        users = self.referrers(seg, organization)
        if users:
            raise SegqlError("E0804", f"cannot {what} segment {seg.slug!r}: "
                             f"{', '.join(repr(u) for u in users)} use{'s' if len(users) == 1 else ''} it "
                             f"(in segment {seg.slug})", hints=["change or delete those segments first"])

    def _refuse_if_referrers_break(self, seg: Segment, prepared: Prepared, organization: str, skip=()) -> None:
        """The segments using `in segment <seg>` checked again against its new definition: a change that
        leaves one of them invalid (e.g. `seg` moved to another entity) is refused (E0804, naming them).
        `skip`: referrers being rewritten in the same write (an import), checked with their new text."""
        broken = []
        for slug in self.referrers(seg, organization):
            if slug in skip:
                continue
            other = self.get(slug, organization=organization)
            d = self.stored_definition(other)
            doc = ast.Document((d,), path=f"<segment {slug}>", source=other.criteria)
            result = check_documents([doc], self.schema, library=self.library(organization, [d, prepared.definition]))
            if result.errors:
                broken.append((slug, result.errors[0]))
        if broken:
            raise SegqlError("E0804", f"cannot change segment {seg.slug!r} so: "
                             + "; ".join(f"{slug!r} uses it and would be invalid ({e.message})" for slug, e in broken),
                             hints=["change or delete those segments first"])

    def delete(self, id: str, *, organization: str = "default") -> Segment:
        """Remove the segment, its membership, history and static members; E0804 while another
        segment of the organization references it."""
        with self.db.transaction():
            seg = self.get(id, organization=organization)
            self.db.lock_segment(seg.id)
            self._refuse_if_referenced(seg, organization, "delete")
            self._delete_rows(seg.id)
        self._forget_warehouse_membership(seg.id)
        self._fire("deleted", seg)
        return seg

    def _delete_rows(self, seg_id: str) -> None:
        for table in ("segql_static_members", "segql_refresh_history", "segql_store_membership",
                      "segql_store_membership_events", "segql_segments"):
            column = "id" if table == "segql_segments" else "segment_id"
            self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (seg_id,))

    def _forget_warehouse_membership(self, seg_id: str) -> None:
        """With `db`, membership lives in the warehouse, keyed by the segment's id: remove it there."""
        if self.db_url is None:
            return
        with self.engine(pooled=True) as engine:
            for table in (MEMBERSHIP, EVENTS, REFRESHES):
                sql = exp.delete(table, where=exp.column("segment").eq(exp.Literal.string(seg_id)))
                try:
                    engine.execute(sql.sql(dialect=engine.dialect))
                except SegqlError:
                    pass  # never refreshed: the table does not exist yet

    # ---- static members ---------------------------------------------------------------------------
    def _static(self, id: str, organization: str, what: str) -> Segment:
        seg = self.get(id, organization=organization)
        if seg.is_dynamic:
            raise SegqlError("E0807", f"{what} works on static segments only; {seg.slug!r} is dynamic",
                             hints=["its members follow its criteria; refresh it instead"])
        return seg

    def _keys(self, seg: Segment, keys) -> list[str]:
        entity = self.schema.entities[seg.object_type]
        kind = entity.properties[entity.key].type if entity.key in entity.properties else "string"
        out = []
        for k in ([keys] if isinstance(keys, (str, int)) else list(keys)):
            if kind == "integer":
                try:
                    if isinstance(k, bool) or (isinstance(k, float) and not k.is_integer()):
                        raise ValueError
                    k = int(k)
                except (TypeError, ValueError):
                    raise SegqlError("E0703", f"key {k!r} is not an integer, the type of {entity.name}.{entity.key}")
            out.append(str(k))
        return out

    def add_members(self, id: str, keys, *, organization: str = "default") -> int:
        """Add keys to a static segment (existing ones stay); returns its member count."""
        seg = self._static(id, organization, "add_members")
        with self.db.transaction():
            now = utc_stamp()
            self.db.executemany("INSERT INTO segql_static_members (segment_id, member_key, added_at) "
                                "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                [(seg.id, k, now) for k in dict.fromkeys(self._keys(seg, keys))])
            return self._recount_static(seg.id, now)

    def remove_members(self, id: str, keys, *, organization: str = "default") -> int:
        seg = self._static(id, organization, "remove_members")
        with self.db.transaction():
            self.db.executemany("DELETE FROM segql_static_members WHERE segment_id = ? AND member_key = ?",
                                [(seg.id, k) for k in self._keys(seg, keys)])
            return self._recount_static(seg.id, utc_stamp())

    def _recount_static(self, seg_id: str, now: str) -> int:
        n = int(self.db.one("SELECT COUNT(*) FROM segql_static_members WHERE segment_id = ?", (seg_id,))[0])
        self.db.execute("UPDATE segql_segments SET member_count = ?, member_count_at = ? WHERE id = ?",
                        (n, now, seg_id))
        return n

    # ---- refresh ----------------------------------------------------------------------------------
    def refresh(self, id: str, *, now=None, force: bool = False, organization: str = "default") -> Change:
        """Recompute membership (SPEC §6.2): before hooks (raising cancels), then under the segment's lock
        take the refresh time, compute members, write membership, events and history in one transaction;
        then after hooks. A static segment's refresh is a no-op. `now` before the last refresh is E0806
        unless `force`."""
        seg = self.get(id, organization=organization)
        if not seg.is_dynamic:
            return Change(seg.member_count or 0, noop=True)
        self._fire("refreshing", seg)
        item = self.loaded(seg)
        tz = self.schema.timezone
        sleep = float(os.environ.get("SEGQL_TEST_SLEEP_IN_REFRESH") or 0)
        with self.db.transaction():
            self.db.lock_segment(seg.id)
            if self.db.one("SELECT id FROM segql_segments WHERE id = ?", (seg.id,)) is None:
                raise SegqlError("E0801", f"segment {seg.slug!r} was deleted")
            at = refresh_time(now, tz)  # after the lock: a waiting refresh gets a later time
            stamp = utc_stamp(at.replace(tzinfo=ZoneInfo(tz)))
            last = self.db.one("SELECT MAX(refreshed_at) FROM segql_refresh_history WHERE segment_id = ?",
                               (seg.id,))[0]
            if last is not None and stamp < last and not force:
                raise SegqlError("E0806", f"now ({stamp}) is earlier than the last refresh of {seg.slug!r} "
                                 f"({last})", hints=["pass force=True (--force) to record it anyway"])
            if self.db_url is None:
                change, all_keys = self._refresh_in_store(seg, item, at, stamp)
            else:
                # a refresh at the same time as the last one: the warehouse's history tells its changes from
                # the last one's only by what was there before (both have changed_at = that time)
                before = self._warehouse_events(seg) if last == stamp else []
                change = self._refresh_in_warehouse(seg, item, at, stamp)
                all_keys = lambda: self._warehouse_changes(seg, before)  # noqa: E731 - read only when a webhook wants them
            if sleep:
                print(f"segql: test hook: {seg.slug} written, sleeping {sleep}s inside the transaction",
                      file=sys.stderr, flush=True)
                time.sleep(sleep)
            self.db.execute("INSERT INTO segql_refresh_history (segment_id, refreshed_at, member_count, entered, "
                            "exited) VALUES (?, ?, ?, ?, ?)",
                            (seg.id, stamp, change.member_count, change.entered, change.left))
            # the webhooks' outbox, in THIS transaction: events exist exactly when the change committed
            enqueue_webhooks(self.db, seg, change, all_keys)
            self.db.execute("UPDATE segql_segments SET member_count = ?, member_count_at = ? WHERE id = ?",
                            (change.member_count, stamp, seg.id))
        self._fire("refreshed", self.get(seg.id, organization=organization), change)
        return change

    def _refresh_in_store(self, seg: Segment, item: Loaded, at, stamp: str) -> Change:
        with self.engine(None, pooled=True) as engine:
            keys = [str(r[0]) for r in list_rows(item.segment, self.schema, engine, now=at) if r[0] is not None]
        keys = list(dict.fromkeys(keys))
        old = {r[0] for r in self.db.execute("SELECT member_key FROM segql_store_membership WHERE segment_id = ?",
                                             (seg.id,))}
        new = set(keys)
        entered = [k for k in keys if k not in old]
        left = sorted(old - new, key=self._sort_key(seg))
        self.db.executemany("DELETE FROM segql_store_membership WHERE segment_id = ? AND member_key = ?",
                            [(seg.id, k) for k in left])
        self.db.executemany("INSERT INTO segql_store_membership (segment_id, member_key, entered_at) "
                            "VALUES (?, ?, ?)", [(seg.id, k, stamp) for k in entered])
        self.db.executemany("INSERT INTO segql_store_membership_events (segment_id, member_key, kind, changed_at) "
                            "VALUES (?, ?, ?, ?)", [(seg.id, k, "left", stamp) for k in left]
                            + [(seg.id, k, "entered", stamp) for k in entered])
        change = Change(len(keys), len(entered), len(left), self._typed(seg, entered[:SAMPLE]),
                        self._typed(seg, left[:SAMPLE]), stamp)
        return change, lambda: (self._typed(seg, entered), self._typed(seg, left))

    def _refresh_in_warehouse(self, seg: Segment, item: Loaded, at, stamp: str) -> Change:
        with self.engine(pooled=True) as engine:
            keyed = dataclasses.replace(item.segment, slug=seg.id)  # membership keyed by id: renames are free
            result = warehouse_refresh([keyed], self.schema, engine, at)[0]
        return Change(result["members"], result["entered"], result["left"],
                      self._typed(seg, result.get("entered_keys", [])), self._typed(seg, result.get("left_keys", [])),
                      stamp)

    def _warehouse_changes(self, seg: Segment, before=()) -> tuple[list, list]:
        """Every key that entered and left at the segment's last warehouse refresh (for webhooks): the
        history at its time, less `before` (what an earlier refresh at that same time recorded)."""
        rows = collections.Counter(self._warehouse_events(seg))
        rows.subtract(collections.Counter(before))
        rows = [r for r, n in rows.items() for _ in range(n)]
        order = self._sort_key(seg)
        entered = sorted((str(r[0]) for r in rows if r[1] == "entered"), key=order)
        left = sorted((str(r[0]) for r in rows if r[1] == "left"), key=order)
        return self._typed(seg, entered), self._typed(seg, left)

    def _warehouse_events(self, seg: Segment) -> list[tuple]:
        """(key, kind) of the warehouse history at the segment's last refresh time."""
        segment = exp.column("segment").eq(exp.Literal.string(seg.id))
        last = exp.select(exp.Max(this=exp.column("refreshed_at"))).from_(REFRESHES).where(segment.copy())
        query = (exp.select("member_key", "kind").from_(EVENTS)
                 .where(segment.and_(exp.column("changed_at").eq(last.subquery())))
                 .order_by("member_key"))
        with self.engine(pooled=True) as engine:
            return [(str(r[0]), str(r[1])) for r in engine.execute(query.sql(dialect=engine.dialect))]

    def _sort_key(self, seg: Segment):
        entity = self.schema.entities[seg.object_type]
        if entity.key in entity.properties and entity.properties[entity.key].type == "integer":
            return lambda k: (len(k.lstrip("-")) * (-1 if k.startswith("-") else 1), k)
        return lambda k: k

    def _typed(self, seg: Segment, keys) -> list:
        """Member keys (text in membership tables) as the entity's key type."""
        entity = self.schema.entities[seg.object_type]
        if entity.key in entity.properties and entity.properties[entity.key].type == "integer":
            return [int(k) for k in keys]
        return list(keys)

    # ---- reads ------------------------------------------------------------------------------------
    def history(self, id: str, *, organization: str = "default") -> list[dict]:
        """Every refresh, oldest first: time, member_count, entered, left."""
        seg = self.get(id, organization=organization)
        rows = self.db.execute("SELECT refreshed_at, member_count, entered, exited FROM segql_refresh_history "
                               "WHERE segment_id = ? ORDER BY refreshed_at, member_count", (seg.id,))
        return [{"refreshed_at": r[0], "member_count": int(r[1]), "entered": int(r[2]), "left": int(r[3])}
                for r in rows]

    def members(self, id: str, *, limit: int = 100, cursor=None, columns=None,
                organization: str = "default") -> dict:
        """Current members (at the last refresh; a static segment's own), ordered by key, a page of
        `limit` after `cursor` (the last key of the previous page): `{"data": [...], "next_cursor"}`.
        `columns` adds properties read from the warehouse."""
        seg = self.get(id, organization=organization)
        if not isinstance(limit, int) or limit < 0:
            raise SegqlError("E0004", "limit must be 0 or more")
        entity = self.schema.entities[seg.object_type]
        cols = resolve_columns(entity, columns if isinstance(columns, str) or columns is None
                               else ",".join(columns))
        after = None if cursor is None else str(cursor)
        if not seg.is_dynamic:
            keys = self._page("segql_static_members", seg, after, limit)
        elif self.db_url is None:
            keys = self._page("segql_store_membership", seg, after, limit)
        else:
            keys = self._warehouse_page(seg, after, limit)
        typed = self._typed(seg, keys)
        rows = [{entity.key: k} for k in typed]
        if cols and rows:
            extra = self._columns(seg, typed, cols)
            for row in rows:
                row.update(extra.get(row[entity.key], {}))
        return {"data": rows, "next_cursor": keys[-1] if len(keys) == limit and keys else None}

    def _numeric(self, seg: Segment) -> bool:
        entity = self.schema.entities[seg.object_type]
        return entity.key in entity.properties and entity.properties[entity.key].type == "integer"

    def _page(self, table: str, seg: Segment, after, limit: int) -> list[str]:
        # integer keys are text here: order by (length, text) so that 9 comes before 10 (keys >= 0)
        order = "LENGTH(member_key), member_key" if self._numeric(seg) else "member_key"
        sql, params = f"SELECT member_key FROM {table} WHERE segment_id = ?", [seg.id]
        if after is not None:
            sql += (" AND (LENGTH(member_key) > ? OR (LENGTH(member_key) = ? AND member_key > ?))"
                    if self._numeric(seg) else " AND member_key > ?")
            params += [len(after), len(after), after] if self._numeric(seg) else [after]
        sql += f" ORDER BY {order} LIMIT ?"
        return [r[0] for r in self.db.execute(sql, [*params, limit])]

    def _warehouse_page(self, seg: Segment, after, limit: int) -> list[str]:
        key = exp.column("member_key")
        length = exp.Length(this=key.copy())
        cond = exp.column("segment").eq(exp.Literal.string(seg.id))
        if after is not None:
            if self._numeric(seg):
                n = exp.Literal.number(len(after))
                cond = cond.and_(exp.or_(length.copy() > n, exp.and_(length.copy().eq(n.copy()),
                                                                     key.copy() > exp.Literal.string(after))))
            else:
                cond = cond.and_(key.copy() > exp.Literal.string(after))
        order = [length.copy(), key.copy()] if self._numeric(seg) else [key.copy()]
        query = exp.select(key).from_(MEMBERSHIP).where(cond).order_by(*order).limit(limit)
        with self.engine(pooled=True) as engine:
            try:
                return [str(r[0]) for r in engine.execute(query.sql(dialect=engine.dialect))]
            except SegqlError:
                return []  # never refreshed: no membership table yet

    def _columns(self, seg: Segment, keys: list, cols: list[str]) -> dict:
        """Property values of these records, read from the warehouse (one statement)."""
        entity = self.schema.entities[seg.object_type]
        key_col = exp.column(exp.to_identifier(entity.properties[entity.key].column, quoted=True))
        literal = exp.Literal.number if self._numeric(seg) else exp.Literal.string
        query = exp.select(key_col, *[exp.column(exp.to_identifier(entity.properties[c].column, quoted=True))
                                      for c in cols]).from_(exp.to_table(entity.table)).where(
            exp.In(this=key_col.copy(), expressions=[literal(k) for k in keys]))
        with self.engine(pooled=True) as engine:
            rows = engine.execute(query.sql(dialect=engine.dialect))
        return {r[0]: dict(zip(cols, (v.isoformat() if hasattr(v, "isoformat") else v for v in r[1:])))
                for r in rows}

    def counts(self, ids, *, now=None, organization: str = "default") -> list[dict]:
        """Live member counts, computed now in one statement per entity (seed 001); a static segment
        counts its stored members. `[{"id", "slug", "object_type", "member_count"}]` in input order."""
        segs = [self.get(i, organization=organization) for i in ids]
        dynamic = [s for s in segs if s.is_dynamic]
        live: dict[str, int] = {}
        if dynamic:
            loaded = [self.loaded(s) for s in dynamic]  # keyed by id: slugs of referenced segments may repeat
            loaded = [Loaded(item.definition, item.document, dataclasses.replace(item.segment, slug=s.id))
                      for item, s in zip(loaded, dynamic)]
            with self.engine(pooled=True) as engine:
                for row in batch_counts(loaded, self.schema, engine, now=now):
                    live[row["segment"]] = int(row["members"])
        return [{"id": s.id, "slug": s.slug, "object_type": s.object_type,
                 "member_count": live[s.id] if s.is_dynamic else (s.member_count or 0)} for s in segs]

    def explain(self, id: str, *, now=None, organization: str = "default") -> dict:
        """How many records pass each condition of the segment (the funnel of `segql explain`)."""
        seg = self.get(id, organization=organization)
        if not seg.is_dynamic:
            return {"segment": seg.slug, "entity": seg.object_type, "kind": "list",
                    "members": seg.member_count or 0, "tree": None}
        item = self.loaded(seg)
        with self.engine(pooled=True) as engine:
            return explain_segment(item.segment, item.definition, self.schema, engine, now=now)

    def why(self, id: str, key, *, now=None, organization: str = "default") -> dict:
        """One record's condition tree with each node's truth and deciding values (`segql why`). A static
        segment has no conditions: whether the key is among its members."""
        seg = self.get(id, organization=organization)
        if not seg.is_dynamic:
            value = record_key(self.schema.entities[seg.object_type], key)
            found = self.db.one("SELECT 1 FROM segql_static_members WHERE segment_id = ? AND member_key = ?",
                                (seg.id, self._keys(seg, [value])[0]))
            return {"segment": seg.slug, "entity": seg.object_type, "key": value, "kind": "list",
                    "member": found is not None, "tree": None}
        item = self.loaded(seg)
        with self.engine(pooled=True) as engine:
            return why_record(item.segment, item.definition, self.schema, engine, key, now=now)

    # ---- export / import (seed 001) ---------------------------------------------------------------
    def export(self, *, organization: str = "default") -> list[dict]:
        return export_items(self, organization)

    def import_(self, items, *, organization: str = "default") -> list[Segment]:
        return import_items(self, items, organization)


def _sort_items(sort) -> list[tuple[str, str]]:
    """`{"member_count": "desc"}`, `"-member_count"`, `"member_count"` or a list of those."""
    if sort is None:
        return []
    if isinstance(sort, str):
        items = [(sort.lstrip("-+"), "desc" if sort.startswith("-") else "asc")]
    elif isinstance(sort, dict):
        items = [(k, str(v).lower()) for k, v in sort.items()]
    elif isinstance(sort, (list, tuple)):
        return [pair for s in sort for pair in _sort_items(s)]
    else:
        raise SegqlError("E0152", "sort must be like {\"member_count\": \"desc\"}")
    out = []
    for field, direction in items:
        key = field.lower().replace("_", "") if field.lower().replace("_", "") == "membercount" else field
        if key not in SORTABLE:
            names = ", ".join(k for k in SORTABLE if k != "membercount")
            raise SegqlError("E0152", f"cannot sort by {field!r}", hints=[f"sort by one of: {names}"])
        if direction in ("-1", "descending"):
            direction = "desc"
        if direction in ("1", "ascending"):
            direction = "asc"
        if direction not in ("asc", "desc"):
            raise SegqlError("E0152", f"sort direction must be asc or desc, not {direction!r}")
        out.append((key, direction))
    return out


def open_store(url: str = "sqlite:///segql.db", schema=None, db: str | None = None, *,
               lock_timeout: float = 30.0, pool_size: int = DEFAULT_SIZE,
               query_timeout: float | None = None) -> Segments:
    """The segments SDK over the store at `url` (created and migrated on first use); `pool_size`: idle
    warehouse engines kept per key between calls (0: one engine per operation)."""
    return Segments(url, schema, db, lock_timeout=lock_timeout, pool_size=pool_size, query_timeout=query_timeout)
