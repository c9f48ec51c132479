"""`segql run FILE [--segment S] [--db URL] [--count] [--limit N] [--columns a,b] [--now ISO]`."""
from __future__ import annotations

import json

from segql.cli.common import add_common, add_engine, add_input, input_schema, load_input, query_timeout
from segql.cli.output import write_rows


def add(sub) -> None:
    p = sub.add_parser("run", help="run a segment and list its members",
                       description="Run a segment on a database (default: embedded DuckDB over the schema's "
                       "source files) and list its members ordered by key.")
    add_input(p)
    add_engine(p)
    p.add_argument("--count", action="store_true", help="print only the number of members")
    p.add_argument("--limit", type=int, help="at most N members")
    p.add_argument("--columns", help="extra properties to show, comma-separated")
    add_common(p, formats=("text", "json", "csv"))
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.compile import to_ir  # lazy: start-up time (lark, sqlglot, drivers)
    from segql.ops.run import check_limit, count_members, list_rows, open_engine, resolve_columns

    schema = input_schema(args)
    check_limit(args.limit)
    segment = to_ir(load_input(args, schema), schema, segment=args.segment)
    entity = schema.entities[segment.entity]
    columns = resolve_columns(entity, args.columns)
    with open_engine(args.db, schema, timeout=query_timeout(args)) as engine:
        if args.count:
            count = count_members(segment, schema, engine, now=args.now)
            if args.format == "json":
                print(json.dumps({"segment": segment.slug, "entity": segment.entity, "members": count}))
            else:
                print(count)
            return 0
        rows = list_rows(segment, schema, engine, now=args.now, columns=columns, limit=args.limit)
    write_rows([entity.key, *columns], rows, args.format)
    return 0
