"""Segment operations beyond compile/run (SPEC §3): member counts for many segments at once, explain,
overlap, refresh with membership history, static lists, and evaluating one record in-process.

Each is a Python function first and a subcommand second:

    from segql import operations
    segs = operations.load_segments(["segments/a.segql"], schema)
    operations.counts(segs, schema, engine, now=None)     # [{"segment", "entity", "members"}]
    operations.overlap(segs, schema, engine)              # per entity: sizes and |A ∩ B|
    explain.explain(seg, definition, schema, engine)      # see segql.explain
    refresh.refresh(segs, schema, engine)                 # see segql.refresh
    operations.segments_for_record(record, ["a.segql"], schema, now=...)   # -> [slug, ...]

`counts` and `overlap` run ONE statement per entity however many segments there are (see
`segql.batch`). See docs/operations.md.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from . import ir
from .errors import MultipleErrors, SegqlError
from .syntax import ast


@dataclass
class Loaded:
    """One checked definition: what the user wrote, where, and what it means."""

    definition: ast.Definition
    document: ast.Document
    segment: ir.Segment

    @property
    def slug(self) -> str:
        return self.segment.slug


# ---- loading ------------------------------------------------------------------------------------
def _documents(sources, schema) -> list[ast.Document]:
    from .workspace import load_file, parse_source

    if isinstance(sources, (str, Path, ast.Document, dict)):
        sources = [sources]
    docs = []
    for src in sources:
        if isinstance(src, ast.Document):
            docs.append(src)
        elif isinstance(src, Path) or (isinstance(src, str) and "\n" not in src and src.endswith(
                (".segql", ".json"))):
            docs.append(load_file(str(src), schema=schema))
        else:
            docs.append(parse_source(src, schema=schema))
    return docs


def load_segments(sources, schema) -> list[Loaded]:
    """Parse and check every definition in `sources` (file paths, `ast.Document`s, segql text or JSON
    dicts). All errors are raised together (`MultipleErrors`); a slug defined twice is E0700."""
    from .semantic.checker import Checker, check_policy
    from .workspace import library_for

    errors: list[SegqlError] = []
    docs = []
    for src in ([sources] if isinstance(sources, (str, Path, ast.Document, dict)) else sources):
        try:
            docs.extend(_documents([src], schema))
        except SegqlError as err:
            errors.append(err)
    library = library_for(docs, schema)
    checker = Checker(schema, library)
    out: list[Loaded] = []
    seen: dict[str, ast.Document] = {}
    for doc in docs:
        for d in doc.definitions:
            if d.slug in seen:
                first = next(i.definition for i in out if i.slug == d.slug) if any(
                    i.slug == d.slug for i in out) else None
                if first is not None and first.kind == d.kind == "list" and first.entity == d.entity:
                    continue  # the same static list declared in two files: one list table slug
                errors.append(SegqlError("E0700", f"segment {d.slug!r} is defined twice (also in "
                                         f"{seen[d.slug].path or 'an earlier input'})", d.span,
                                         ["give each segment its own slug"], path=doc.path, source=doc.source))
                continue
            seen[d.slug] = doc
            try:
                check_policy(d, schema, library)
                out.append(Loaded(d, doc, checker.check_definition(d)))
            except SegqlError as err:
                if err.path is None:
                    err.path, err.source = doc.path, doc.source
                errors.append(err)
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return out


def _by_entity(loaded: list[Loaded]) -> dict[str, list[Loaded]]:
    groups: dict[str, list[Loaded]] = {}
    for item in loaded:
        groups.setdefault(item.segment.entity, []).append(item)
    return groups


# ---- counts -------------------------------------------------------------------------------------
def counts_sql(loaded: list[Loaded], schema, dialect: str, now=None) -> dict[str, str]:
    """The statements `counts` runs: one per entity, counting all of its segments."""
    from .batch import count_query

    return {entity: count_query(schema, dialect, entity, [i.segment for i in items], now).sql(
        dialect=dialect, pretty=True, copy=False) for entity, items in _by_entity(loaded).items()}


def counts(loaded: list[Loaded], schema, engine, now=None) -> list[dict]:
    """Member counts of every segment (and static list: its members that exist as records), in input
    order: `[{"segment": slug, "entity": name, "members": n}]`. One statement per entity."""
    from .batch import count_query, run_one_row

    result: dict[str, int] = {}
    for entity, items in _by_entity(loaded).items():
        row = run_one_row(engine, count_query(schema, engine.dialect, entity, [i.segment for i in items], now))
        for i, item in enumerate(items):
            result[item.slug] = row[f"c{i}"]
    return [{"segment": i.slug, "entity": i.segment.entity, "members": result[i.slug]} for i in loaded]


# ---- overlap ------------------------------------------------------------------------------------
def overlap(loaded: list[Loaded], schema, engine, now=None) -> list[dict]:
    """Per entity: its record count, each segment's size and |A ∩ B| for every pair, from one statement
    per entity. `[{"entity", "records", "segments": [slug…], "sizes": {slug: n},
    "matrix": [[|A∩B|…]…]}]` (the diagonal holds the sizes)."""
    from .batch import flag_query, run_one_row

    out = []
    for entity, items in _by_entity(loaded).items():
        n = len(items)
        combos, where = [], {}
        for a in range(n):
            for b in range(a, n):
                where[(a, b)] = len(combos)
                combos.append(("flag", a) if a == b else ("and", [("flag", a), ("flag", b)]))
        row = run_one_row(engine, flag_query(schema, engine.dialect, entity, [i.segment for i in items], combos,
                                             now))
        matrix = [[row[f"n{where[(min(a, b), max(a, b))]}"] for b in range(n)] for a in range(n)]
        out.append({"entity": entity, "records": row["total"], "segments": [i.slug for i in items],
                    "sizes": {i.slug: matrix[k][k] for k, i in enumerate(items)}, "matrix": matrix})
    return out


# ---- one record, in process (seed 001: "when a record is created or updated") --------------------
def segments_for_record(record: dict, documents_or_files, schema, now=None, *, entity: str | None = None,
                        related=None) -> list[str]:
    """The slugs of the segments (in the given files or documents) that `record` belongs to, evaluated
    in Python without a database (`segql.evaluate`).

    `record` is a dict keyed by property names, with related records nested under relationship names
    (`{"id": 7, "country": "US", "deals": [{...}], "organization": {...}}`); `related` may supply the
    rest (a `segql.evaluate.Dataset` or `{entity: [records]}`), and its `lists` answer `in list` and
    static lists. `entity` defaults to the one entity the segments are on. `now` (ISO text or datetime)
    pins relative times; default: the current time."""
    import datetime as dt

    from . import evaluate
    from .api import _schema

    schema = _schema(schema)
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


# ---- command line -------------------------------------------------------------------------------
def _engine_args(p, *, now=True):
    p.add_argument("--db", help="duckdb:///path, postgresql://…, mysql://…, sqlite:///…, chdb://… "
                   "(default: embedded DuckDB over the schema's source files)")
    if now:
        p.add_argument("--now", help="pin relative times to this ISO time (default: when the SQL runs)")


def add_commands(sub, common) -> None:
    """Register the operation subcommands on the CLI's subparser set."""
    p = sub.add_parser("counts", help="member counts of many segments at once (one query per entity)",
                       description="Count the members of every segment and static list in FILE(s), with one "
                       "statement per entity for all of its segments.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--show-sql", action="store_true", help="print the statements instead of running them")
    _engine_args(p)
    common(p)
    p.set_defaults(handler=cmd_counts)

    p = sub.add_parser("explain", help="how many records pass each condition of a segment",
                       description="Show a segment's condition tree with, for each node, how many records "
                       "pass it, and for each `and` the funnel of its prefixes — computed in one query.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--segment", help="which segment, when the file defines several")
    _engine_args(p)
    common(p)
    p.set_defaults(handler=cmd_explain)

    p = sub.add_parser("overlap", help="pairwise overlap of segments (|A ∩ B|)",
                       description="Sizes of the segments in FILE(s) and the number of records in each pair "
                       "of segments on the same entity, with one query per entity.")
    p.add_argument("files", nargs="+", metavar="FILE")
    _engine_args(p)
    common(p)
    p.set_defaults(handler=cmd_overlap)

    p = sub.add_parser("refresh", help="recompute membership and record who entered and left",
                       description="Recompute the membership of the dynamic segments in FILE(s) into tables "
                       "segql owns in the database (segql_membership, segql_membership_events, "
                       "segql_refreshes), in one transaction, in dependency order. See docs/operations.md.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--db", help="the database holding the data and the membership tables (duckdb:///path, "
                   "postgresql://…, mysql://…, sqlite:///…)")
    p.add_argument("--now", help="the refresh time (ISO; default: the current time); relative times in the "
                   "segments are evaluated at it")
    common(p)
    p.set_defaults(handler=cmd_refresh)

    p = sub.add_parser("list", help="manage static lists: add, remove, show members",
                       description="Add keys to, remove keys from, or show the members of a static list in the "
                       "schema's `lists:` table.")
    p.add_argument("action", choices=("add", "remove", "show"))
    p.add_argument("list", metavar="LIST", help="the list's slug")
    p.add_argument("keys", nargs="*", metavar="KEY", help="member keys (add, remove)")
    p.add_argument("--on", help="entity of the members (default: the one entity, or the common key type)")
    p.add_argument("--db", help="the database holding the lists table (required for add and remove)")
    common(p)
    p.set_defaults(handler=cmd_list)


def _schema_for(args, files):
    from .cli import find_schema

    return find_schema(args.schema, files)


def cmd_counts(args) -> int:
    from .run import open_engine

    schema = _schema_for(args, args.files)
    loaded = load_segments(args.files, schema)
    if args.show_sql:
        dialect = "duckdb" if not args.db else _dialect_of(args.db)
        for entity, sql in counts_sql(loaded, schema, dialect, args.now).items():
            print(f"-- {entity}\n{sql};")
        return 0
    engine = open_engine(args.db, schema)
    try:
        rows = counts(loaded, schema, engine, args.now)
    finally:
        engine.close()
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    _table(["segment", "entity", "members"], [[r["segment"], r["entity"], r["members"]] for r in rows],
           right={2})
    return 0


def _dialect_of(url: str) -> str:
    scheme = url.split(":", 1)[0].lower()
    return {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mariadb": "mysql",
            "mysql+pymysql": "mysql", "sqlite": "sqlite", "chdb": "clickhouse", "clickhouse": "clickhouse",
            "spark": "spark"}.get(scheme, "duckdb")


def _table(header, rows, right=(), out=None) -> None:
    out = out or sys.stdout
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]

    def line(values):
        return "  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))

    out.write(line(header).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for c in cells:
        out.write(line(c).rstrip() + "\n")


def cmd_overlap(args) -> int:
    from .run import open_engine

    schema = _schema_for(args, args.files)
    loaded = load_segments(args.files, schema)
    engine = open_engine(args.db, schema)
    try:
        result = overlap(loaded, schema, engine, args.now)
    finally:
        engine.close()
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    for k, block in enumerate(result):
        if k:
            print()
        slugs = block["segments"]
        print(f"{block['entity']}: {block['records']} records, {len(slugs)} segment{'s' if len(slugs) != 1 else ''}")
        header = ["", *[str(i + 1) for i in range(len(slugs))]]
        rows = [[f"{i + 1} {s}", *block["matrix"][i]] for i, s in enumerate(slugs)]
        _table(header, rows, right=set(range(1, len(header))))
    return 0


def cmd_explain(args) -> int:
    from .api import select_definition
    from .explain import explain, render_text
    from .run import open_engine

    schema = _schema_for(args, [args.file])
    loaded = load_segments([args.file], schema)
    definition = select_definition(loaded[0].document, args.segment)
    item = next(i for i in loaded if i.definition is definition)
    engine = open_engine(args.db, schema)
    try:
        result = explain(item.segment, definition, schema, engine, now=args.now)
    finally:
        engine.close()
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(render_text(result))
    return 0


def cmd_refresh(args) -> int:
    from .refresh import refresh_command

    schema = _schema_for(args, args.files)
    return refresh_command(args, schema, load_segments(args.files, schema))


def cmd_list(args) -> int:
    from .refresh import list_command

    schema = _schema_for(args, [])
    return list_command(args, schema)
