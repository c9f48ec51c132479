"""`segql counts FILE... [--db URL] [--now ISO] [--show-sql] [--memory-limit SIZE]`: member counts, one
statement per entity."""
from __future__ import annotations

import argparse

from segql.cli.common import add_common, add_engine, find_schema, paths, query_timeout
from segql.cli.output import dump_json, table


def add(sub) -> None:
    p = sub.add_parser("counts", help="member counts of many segments at once (one query per entity)",
                       description="Count the members of every segment and static list in FILE(s), with one "
                       "statement per entity for all of its segments.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--show-sql", action="store_true", help="print the statements instead of running them")
    p.add_argument("--memory-limit", type=_memory, default="auto", metavar="SIZE",
                   help="DuckDB: the memory_limit each statement runs under, spilling to DuckDB's temp_directory "
                   "beyond it (default auto: 50MB per thread; none: the session's own)")
    add_engine(p)
    add_common(p)
    p.set_defaults(handler=run)


def _memory(text: str) -> str | None:
    """`auto`, `none` (None) or a DuckDB size such as `1GB`; anything else is a usage error (exit 2)."""
    if text in ("auto", "none"):
        return None if text == "none" else text
    from segql.engines.duckdb import MIN_CAP, size_bytes  # lazy: start-up time

    try:
        size = size_bytes(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if size < MIN_CAP:  # DuckDB cannot run a statement, nor restore its own limit, in less
        raise argparse.ArgumentTypeError(f"{text!r} is below 1MB, too little for DuckDB to run a statement in "
                                         "(write e.g. 100MB, or none for the session's own limit)")
    return text


def run(args) -> int:
    from segql.engines import dialect_for_url  # lazy: start-up time
    from segql.ops.counts import counts, counts_sql
    from segql.ops.load import load_segments
    from segql.ops.run import open_engine

    schema = find_schema(args.schema, args.files)
    loaded = load_segments(paths(args.files), schema)
    if args.show_sql:
        for entity, sql in counts_sql(loaded, schema, dialect_for_url(args.db), args.now).items():
            print(f"-- {entity}\n{sql};")
        return 0
    with open_engine(args.db, schema, timeout=query_timeout(args)) as engine:
        rows = counts(loaded, schema, engine, args.now, memory_limit=args.memory_limit)
    if args.format == "json":
        dump_json(rows, indent=None)
        return 0
    table(["segment", "entity", "members"], [[r["segment"], r["entity"], r["members"]] for r in rows], right={2})
    return 0
