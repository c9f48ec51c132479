"""`segql overlap FILE... [--db URL] [--now ISO]`: sizes and the pairwise overlap matrix."""
from __future__ import annotations

from segql.cli.common import add_common, add_engine, find_schema, paths, query_timeout
from segql.cli.output import dump_json, plural, table


def add(sub) -> None:
    p = sub.add_parser("overlap", help="pairwise overlap of segments (|A ∩ B|)",
                       description="Sizes of the segments in FILE(s) and the number of records in each pair "
                       "of segments on the same entity, with one query per entity.")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_engine(p)
    add_common(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.counts import overlap  # lazy: start-up time
    from segql.ops.load import load_segments
    from segql.ops.run import open_engine

    schema = find_schema(args.schema, args.files)
    loaded = load_segments(paths(args.files), schema)
    with open_engine(args.db, schema, timeout=query_timeout(args)) as engine:
        result = overlap(loaded, schema, engine, args.now)
    if args.format == "json":
        dump_json(result)
        return 0
    for k, block in enumerate(result):
        if k:
            print()
        slugs = block["segments"]
        print(f"{block['entity']}: {block['records']} records, {plural(len(slugs), 'segment')}")
        header = ["", *[str(i + 1) for i in range(len(slugs))]]
        rows = [[f"{i + 1} {s}", *block["matrix"][i]] for i, s in enumerate(slugs)]
        table(header, rows, right=set(range(1, len(header))))
    return 0
