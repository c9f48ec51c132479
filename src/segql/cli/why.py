"""`segql why FILE --segment S --key K [--db URL] [--now ISO]`: one record's condition tree with the truth
of each node and the values that decided it (SPEC §8)."""
from __future__ import annotations

from segql.cli.common import add_common, add_engine, find_schema, query_timeout
from segql.cli.output import dump_json


def add(sub) -> None:
    p = sub.add_parser("why", help="why one record is (not) a member of a segment",
                       description="Show a segment's condition tree for one record: each node true or false, "
                       "with the values that decided it (properties compared, counts, ages, related records) — "
                       "read in one query.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--segment", help="which segment, when the file defines several")
    p.add_argument("--key", required=True, help="the record's key")
    add_engine(p)
    add_common(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.load import load_one  # lazy: start-up time
    from segql.ops.run import open_engine
    from segql.ops.why import render_text, why

    schema = find_schema(args.schema, [args.file])
    item = load_one(args.file, schema, args.segment)
    with open_engine(args.db, schema, timeout=query_timeout(args)) as engine:
        result = why(item.segment, item.definition, schema, engine, args.key, now=args.now)
    if args.format == "json":
        dump_json(result)
    else:
        print(render_text(result))
    return 0
