"""`segql refresh FILE... --db URL [--now ISO]`: recompute membership and record who entered and left."""
from __future__ import annotations

from segql.cli.common import add_common, add_query_timeout, find_schema, paths, query_timeout
from segql.cli.output import dump_json, plural, table
from segql.errors import SegqlError


def add(sub) -> None:
    p = sub.add_parser("refresh", help="recompute membership and record who entered and left",
                       description="Recompute the membership of the dynamic segments in FILE(s) into tables "
                       "segql owns in the database (segql_membership, segql_membership_events, "
                       "segql_refreshes), in one transaction, in dependency order. See docs/operations.md.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--db", help="the database holding the data and the membership tables (duckdb:///path, "
                   "postgresql://…, mysql://…, sqlite:///…)")
    p.add_argument("--now", help="the refresh time (ISO; default: the current time); relative times in the "
                   "segments are evaluated at it")
    add_query_timeout(p)
    add_common(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.load import load_segments  # lazy: start-up time
    from segql.ops.refresh import refresh, refresh_time
    from segql.ops.run import open_engine

    schema = find_schema(args.schema, args.files)
    loaded = load_segments(paths(args.files), schema)
    if args.db is None:
        raise SegqlError("E0702", "refresh writes membership tables, so it needs a database: pass --db",
                         hints=["e.g. --db duckdb:///segments.duckdb or --db postgresql://host/db"])
    with open_engine(args.db, schema, timeout=query_timeout(args)) as engine:
        results = refresh([i.segment for i in loaded], schema, engine, args.now)
    lists = [i.slug for i in loaded if i.segment.kind == "list"]
    if args.format == "json":
        dump_json(results)
        return 0
    at = results[0]["refreshed_at"] if results else refresh_time(args.now, schema.timezone).isoformat()
    print(f"refreshed {plural(len(results), 'segment')} at {at} ({schema.timezone})")
    if results:
        table(["segment", "entity", "members", "entered", "left"],
              [[r["segment"], r["entity"], r["members"], r["entered"], r["left"]] for r in results],
              right={2, 3, 4})
    if lists:
        print(f"static lists (not refreshed; see `segql list`): {', '.join(lists)}")
    return 0
