"""`segql match FILE... --record JSON [--entity E] [--now ISO]`: which of the segments one record belongs to,
evaluated in process — no database (seed 001: "when a record is created or updated, it's evaluated
against the segments for its type"; `operations.segments_for_record` from the command line)."""
from __future__ import annotations

import sys

from segql.cli.common import UsageError, add_common, find_schema, paths
from segql.cli.output import dump_json


def add(sub) -> None:
    p = sub.add_parser("match", help="which segments one record (JSON) belongs to, without a database",
                       description="Evaluate one record, written as JSON keyed by property names with related "
                       "records nested under relationship names, against the segments in FILE(s), in process "
                       "(no database). Static lists and `in list` see no members. See docs/operations.md.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--record", required=True, metavar="JSON",
                   help='the record: JSON text (\'{"id": 7, "country": "US", "deals": [{"value": 500}]}\'), '
                        "@FILE to read it from a file, or - for stdin")
    p.add_argument("--entity", help="which entity the record is (needed when the segments are on several)")
    p.add_argument("--now", help="evaluate relative times at this ISO time (default: now)")
    add_common(p)
    p.set_defaults(handler=run)


def _record_text(arg: str) -> tuple[str, str]:
    """(the JSON text, what diagnostics call it)."""
    if arg == "-":
        return sys.stdin.read(), "<stdin>"
    if arg.startswith("@"):
        from segql.frontends.source import read_text  # lazy: start-up time

        return read_text(arg[1:]), arg[1:]
    return arg, "--record"


def run(args) -> int:
    import datetime as dt

    from segql.clock import pin_now
    from segql.ops.load import load_segments  # lazy: start-up time
    from segql.ops.record import record_entity, record_from_json, segments_for_record

    schema = find_schema(args.schema, args.files)
    loaded = load_segments(paths(args.files), schema)
    entity = record_entity(loaded, schema, args.entity)
    if entity is None:
        raise UsageError("the files define no segment to match the record against")
    text, where = _record_text(args.record)
    record = record_from_json(text, schema, entity, path=where)
    now = pin_now(args.now or dt.datetime.now(dt.timezone.utc), schema.timezone)
    on_entity = [i for i in loaded if i.segment.entity == entity]
    members = segments_for_record(record, on_entity, schema, now, entity=entity)
    key = record.get(schema.entities[entity].key)
    if args.format == "json":
        dump_json({"entity": entity, "key": key, "now": now.isoformat(), "segments": members,
                   "checked": [i.slug for i in on_entity]})
        return 0
    shown = f"{entity} {key}" if key is not None else f"the {entity} record"
    print(f"{shown} is in {len(members)} of {len(on_entity)} segments (at {now.isoformat()}, {schema.timezone})")
    for slug in members:
        print(f"  {slug}")
    return 0
