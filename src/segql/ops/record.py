"""One record, in process (seed 001: "when a record is created or updated, it is evaluated against the
segments for its type"): which segments a record belongs to, without a database."""
from __future__ import annotations

import datetime as dt

from segql.errors import SegqlError
from segql.ops.load import Loaded, as_schema, load_segments
from segql.targets import evaluate


def segments_for_record(record: dict, documents_or_files, schema, now=None, *, entity: str | None = None,
                        related=None) -> list[str]:
    """The slugs of the segments (in the given files or documents) that `record` belongs to, evaluated
    in Python by `segql.targets.evaluate`.

    `record` is a dict keyed by property names, with related records nested under relationship names
    (`{"id": 7, "country": "US", "deals": [{...}], "organization": {...}}`); `related` may supply the
    rest (an `evaluate.Dataset` or `{entity: [records]}`), and its `lists` answer `in list` and
    static lists. `entity` defaults to the one entity the segments are on. `now` (ISO text or datetime)
    pins relative times; default: the current time."""
    schema = as_schema(schema)
    loaded = documents_or_files if isinstance(documents_or_files, list) and documents_or_files and all(
        isinstance(x, Loaded) for x in documents_or_files) else load_segments(documents_or_files, schema)
    entities = sorted({i.segment.entity for i in loaded})
    if entity is None:
        if len(entities) > 1:
            raise SegqlError("E0004", f"the segments are on several entities ({', '.join(entities)})",
                             hints=["pass entity= to say which entity the record is"])
        entity = entities[0] if entities else None
    else:
        found = schema.entity(entity)
        if found is None:
            raise SegqlError("E0301", f"unknown entity {entity!r}")
        entity = found.name
    if now is None:
        now = dt.datetime.now(dt.timezone.utc)
    if related is not None and not isinstance(related, evaluate.Dataset):
        related = evaluate.Dataset(related)
    return [i.slug for i in loaded if i.segment.entity == entity
            and evaluate.matches(i.segment, schema, record, now, related)]
