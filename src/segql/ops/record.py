"""One record, in process (seed 001: "when a record is created or updated, it is evaluated against the
segments for its type"): which segments a record belongs to, without a database."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

from segql.clock import parse_iso
from segql.errors import SegqlError
from segql.frontends import read_json
from segql.ops.load import Loaded, as_schema, load_segments
from segql.schema import did_you_mean
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
    entity = record_entity(loaded, schema, entity)
    if now is None:
        now = dt.datetime.now(dt.timezone.utc)
    if related is not None and not isinstance(related, evaluate.Dataset):
        related = evaluate.Dataset(related)
    return [i.slug for i in loaded if i.segment.entity == entity
            and evaluate.matches(i.segment, schema, record, now, related)]


def record_entity(loaded: list, schema, entity: str | None) -> str | None:
    """The entity a record is: `entity` (a name or alias), else the one the segments are on; E0004 when
    they are on several, E0301 for an unknown name."""
    if entity is not None:
        found = schema.entity(entity)
        if found is None:
            raise SegqlError("E0301", f"unknown entity {entity!r}", hints=[f"entities: {', '.join(schema.entities)}"])
        return found.name
    entities = sorted({i.segment.entity for i in loaded})
    if len(entities) > 1:
        raise SegqlError("E0004", f"the segments are on several entities ({', '.join(entities)})",
                         hints=["say which entity the record is (entity= in Python, --entity on the command line)"])
    return entities[0] if entities else None


def record_from_json(text: str, schema, entity: str, *, path: str | None = "--record") -> dict:
    """A record written as JSON (`segql match --record`) → the values `segments_for_record` takes, read by
    the schema's types: numbers as written (integers exact, decimals as Decimal), dates and timestamps
    from ISO text (a timestamp with an offset becomes wall-clock time in the schema's zone, as in a
    segment), an instant as given (ISO text or an epoch number), related records nested under
    relationship names (an object for a to-one, an array of objects for a to-many). Every key must be a
    property or relationship of its entity; every mistake is a diagnostic at its line and column."""
    schema = as_schema(schema)
    value, ctx = read_json(text, path=path)
    if not isinstance(value, dict):
        raise ctx.error("E0152", "a record is a JSON object: {\"id\": 7, \"country\": \"US\", …}", ())
    return _record(value, schema.entities[entity], schema, ctx, ())


def _record(obj: dict, entity, schema, ctx, tokens) -> dict:
    out = {}
    for key, v in obj.items():
        where = (*tokens, key)
        if key in entity.properties:
            out[key] = _typed(v, entity.properties[key], schema, ctx, where)
        elif key in entity.relationships:
            rel = entity.relationships[key]
            target = schema.entities[rel.target]
            if v is None:
                continue  # no related record
            if rel.kind == "one":
                if not isinstance(v, dict):
                    raise ctx.error("E0151", f"{key} is one {target.name} record: a JSON object", where)
                out[key] = _record(v, target, schema, ctx, where)
            else:
                if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
                    raise ctx.error("E0151", f"{key} are {target.name} records: an array of JSON objects", where)
                out[key] = [_record(x, target, schema, ctx, (*where, i)) for i, x in enumerate(v)]
        elif key in entity.calculated:
            raise ctx.error("E0301", f"{key} is a calculated field of {entity.name}: it is computed, not given",
                            where, ["leave it out; give the properties it is calculated from"], key=True)
        else:
            raise ctx.error("E0301", f"{entity.name} has no property or relationship {key!r}", where,
                            did_you_mean(key, [*entity.properties, *entity.relationships]), key=True)
    return out


def _typed(v, prop, schema, ctx, where):
    """One property's JSON value as the evaluator's value of the property's type (None: missing)."""
    if v is None:
        return None
    kind, declared = prop.type, prop.declared

    def wrong(what: str):
        return ctx.error("E0151", f"{prop.name} is {what}, so {_shown(v)} does not fit it", where)

    if declared == "instant":
        try:
            evaluate.wall_clock(v, prop.instant, schema.timezone)
        except (TypeError, ValueError, OverflowError, AttributeError):
            raise wrong("an instant (ISO time with an offset, or an epoch number)") from None
        return v
    if kind == "integer":
        if type(v) is not int:
            raise wrong("an integer")
        return v
    if kind == "number":
        if type(v) not in (int, Decimal):
            raise wrong("a number")
        return v
    if kind == "boolean":
        if type(v) is not bool:
            raise wrong("a boolean (true or false)")
        return v
    if kind == "string":
        if type(v) is not str:
            raise wrong("a string")
        return v
    if kind == "date":
        try:
            if type(v) is str and len(v) == 10:
                return dt.date.fromisoformat(v)
        except ValueError:
            pass
        raise wrong('a date ("YYYY-MM-DD")')
    try:  # timestamp
        moment = parse_iso(v) if type(v) is str else None
    except ValueError:
        moment = None
    if moment is None:
        raise wrong('a timestamp ("YYYY-MM-DDTHH:MM:SS", an offset optional)')
    if moment.tzinfo is not None:  # as a segment's timestamp literal with an offset: the schema's wall clock
        moment = moment.astimezone(ZoneInfo(schema.timezone)).replace(tzinfo=None)
    return moment


def _shown(v) -> str:
    text = json.dumps(v, default=str, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"
