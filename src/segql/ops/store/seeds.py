"""Export and import of stored segments in seed 001's shape:

    [{"object_type": "segments", "data": {"title", "slug", "description", "object_type", "query",
                                          "is_dynamic", "criteria"}}]

`query` is the MongoDB filter when the segment can be written as one (`definition_to_mongo`), else
null; `criteria` is always the text language (null for a static segment), and import prefers it — it
is the exact meaning, while `query` is for tools that read MongoDB filters. Import is all-or-nothing:
every item is validated first (references resolve among the items and the stored segments), then all
are written in ONE transaction; an item whose slug is stored already updates that segment.
"""
from __future__ import annotations

from segql.errors import MultipleErrors, SegqlError, Span
from segql.targets.mongo import definition_to_mongo

DATA_KEYS = ("title", "name", "slug", "description", "object_type", "type", "query", "conditions", "filter",
             "is_dynamic", "isDynamic", "criteria")


def raise_all(errors: list[SegqlError]) -> None:
    flat = [e for err in errors for e in getattr(err, "errors", [err])]
    if flat:
        raise flat[0] if len(flat) == 1 else MultipleErrors(flat)


def export_items(segments, organization: str) -> list[dict]:
    out = []
    for seg in segments.find(organization=organization, sort={"slug": "asc"}):
        query = None
        if seg.is_dynamic:
            try:
                query = definition_to_mongo(segments.stored_definition(seg), segments.schema)["filter"]
            except SegqlError:
                query = None  # not expressible as a MongoDB filter: `criteria` carries it
        out.append({"object_type": "segments", "data": {
            "title": seg.name, "slug": seg.slug, "description": seg.description, "object_type": seg.object_type,
            "query": query, "is_dynamic": seg.is_dynamic, "criteria": seg.criteria}})
    return out


def _error(code, message, index, key=None, hints=()):
    pointer = f"/{index}/data" + (f"/{key}" if key else "")
    return SegqlError(code, message, Span(pointer=pointer), list(hints))


def item_fields(item, index: int) -> dict:
    """One export item → the fields of `Segments.create`."""
    if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
        raise _error("E0152", 'an item must be {"object_type": "segments", "data": {...}}', index)
    if item.get("object_type", "segments") != "segments":
        raise _error("E0152", f"cannot import {item.get('object_type')!r} items, only segments", index)
    data = item["data"]
    for key in data:
        if key not in DATA_KEYS and key not in ("id", "member_count", "created_at", "updated_at", "version"):
            raise _error("E0158", f"unknown key {key!r} in an export item", index, key)
    dynamic = data.get("is_dynamic", data.get("isDynamic", True))
    fields = {"name": data.get("title", data.get("name")), "slug": data.get("slug"),
              "description": data.get("description"), "object_type": data.get("object_type", data.get("type")),
              "is_dynamic": dynamic}
    if data.get("criteria") is not None:
        fields["criteria"] = data["criteria"]
    else:
        query = next((data[k] for k in ("query", "conditions", "filter") if data.get(k) is not None), None)
        if query is not None:
            fields["conditions"] = query
    return fields


def import_items(segments, items, organization: str) -> list:
    if not isinstance(items, list):
        raise SegqlError("E0152", "an import is a JSON array of segment items")
    fields, errors = [], []
    for i, item in enumerate(items):
        try:
            fields.append(item_fields(item, i))
        except SegqlError as err:
            errors.append(err)
    raise_all(errors)
    slugs = [f["slug"] for f in fields]
    dupes = sorted({s for s in slugs if s is not None and slugs.count(s) > 1})
    if dupes:
        raise SegqlError("E0152", f"two items have the slug {dupes[0]!r}")
    # every item parsed first, then each checked with all the others in the library, so `in segment`
    # may name an item anywhere in the list
    definitions = []
    for i, f in enumerate(fields):
        try:
            definitions.append(segments.draft(f)[0])
        except SegqlError as err:
            errors.extend(_located(err, i, f))
    raise_all(errors)
    drafts = []
    for i, f in enumerate(fields):
        try:
            drafts.append(segments.prepare(f, organization, first=definitions))
        except SegqlError as err:
            errors.extend(_located(err, i, f))
    raise_all(errors)
    written = []
    with segments.db.transaction():
        for prepared in drafts:
            slug = prepared.fields["slug"]
            row = segments.db.one("SELECT id FROM segql_segments WHERE organization = ? AND slug = ?",
                                  (organization, slug))
            if row is None:
                written.append(segments._insert(prepared, organization))
            else:
                current = segments.get(row[0], organization=organization)
                if bool(prepared.fields["is_dynamic"]) != current.is_dynamic:
                    raise SegqlError("E0813", f"{slug!r} is stored as a {'dynamic' if current.is_dynamic else 'static'}"
                                     " segment; an import cannot change that", hints=["give it another slug"])
                f = prepared.fields
                if current.is_dynamic and (f["criteria"], f["object_type"]) != (current.criteria,
                                                                                current.object_type):
                    segments._refuse_if_referrers_break(current, prepared, organization, skip=set(slugs))
                segments._write_update(current, prepared, organization)
                written.append(current.id)
    return [segments.get(i, organization=organization) for i in written]


def _located(err: SegqlError, index: int, fields: dict) -> list[SegqlError]:
    """The item's diagnostics, pointing into the import (`/3/data/criteria`) and naming the item."""
    out = []
    for e in getattr(err, "errors", [err]):
        if e.span.pointer is not None and e.span.line == 0:
            e.span = Span(pointer=f"/{index}/data{e.span.pointer}")
        e.message = f"item {index} ({fields.get('slug') or fields.get('name')}): {e.message}"
        out.append(e)
    return out
