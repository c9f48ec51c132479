"""`segql run`: compile for the target engine's dialect and list the members, ordered by key.

Without `--db` the embedded DuckDB reads each entity's `source:` file (relative to the schema) through a
view named like the entity's table, so the compiled SQL is the same as on a real warehouse.
"""
from __future__ import annotations

import csv
import json
import sys

from sqlglot import exp

from .errors import SegqlError
from .lower.sql import quoted, table_expr


def open_engine(db: str | None, schema):
    """The engine for `--db`, or embedded DuckDB with views over the schema's source files."""
    from . import engines

    engine = engines.connect(db, schema=schema)
    if db is None:
        attach_sources(engine, schema)
    return engine


def attach_sources(engine, schema) -> None:
    tables = [(e.table, e.source, e.name) for e in schema.entities.values()]
    if schema.lists is not None:
        tables.append((schema.lists.table, schema.lists.source, "lists"))
    for table, source, owner in tables:
        if not source:
            continue
        path = (schema.base_dir / source).resolve()
        if not path.exists():
            raise SegqlError("E0605", f"source file {path} of {owner} not found",
                             hints=["fix `source:` in the schema, or pass --db"], path=schema.path)
        reader = "read_parquet" if path.suffix.lower() in (".parquet", ".pq") else "read_csv_auto"
        view = exp.Create(kind="VIEW", this=table_expr(table, "x").this if "." not in table else exp.to_table(table),
                          expression=exp.select("*").from_(exp.Anonymous(this=reader, expressions=[
                              exp.Literal.string(str(path))])))
        engine.execute(view.sql(dialect="duckdb"))


def member_query(segment, schema, dialect, *, now=None, columns=(), limit=None):
    """The compiled segment, ordered by key, with extra columns joined from the entity's table."""
    from . import api

    tree = api.lower(segment, schema, dialect, now=now)
    entity = schema.entities[segment.entity]
    key = entity.key
    members = tree.subquery("m", copy=False)
    key_col = exp.column(quoted(key), table=exp.Identifier(this="m"))
    if columns:
        base = table_expr(entity.table, "e")
        projection = [exp.column(quoted(entity.properties[key].column), table=exp.Identifier(this="e")).as_(
            quoted(key))]
        for name in columns:
            projection.append(exp.column(quoted(entity.properties[name].column),
                                         table=exp.Identifier(this="e")).as_(quoted(name)))
        query = exp.select(*projection).from_(base).join(
            members, on=exp.EQ(this=exp.column(quoted(entity.properties[key].column), table=exp.Identifier(
                this="e")), expression=key_col), join_type="inner").order_by(
            exp.Ordered(this=exp.column(quoted(entity.properties[key].column), table=exp.Identifier(this="e"))))
    else:
        query = exp.select(key_col.as_(quoted(key))).from_(members).order_by(exp.Ordered(this=key_col.copy()))
    if limit is not None:
        query = query.limit(limit)
    return query.sql(dialect=dialect)


def run_command(args, find_schema, load_input) -> int:
    from . import api

    schema = find_schema(args.schema, [args.file] if args.file else [])
    doc = load_input(args, schema)
    segment = api.to_ir(doc, schema, segment=args.segment)
    entity = schema.entities[segment.entity]
    columns = []
    if args.columns:
        for raw in args.columns.split(","):
            name = entity.find(raw.strip())
            if name is None or name not in entity.properties:
                from .schema import did_you_mean

                raise SegqlError("E0301", f"{entity.name} has no property {raw.strip()!r}",
                                 hints=did_you_mean(raw.strip(), entity.properties))
            columns.append(name)
    if args.limit is not None and args.limit < 0:
        raise SegqlError("E0004", "--limit must be 0 or more")
    engine = open_engine(args.db, schema)
    try:
        if args.count:
            sql = api.render(api.lower(segment, schema, engine.dialect, now=args.now, select="count"),
                             engine.dialect, pretty=False)
            count = engine.execute(sql)[0][0]
            if args.format == "json":
                print(json.dumps({"segment": segment.slug, "entity": segment.entity, "members": count}))
            else:
                print(count)
            return 0
        sql = member_query(segment, schema, engine.dialect, now=args.now, columns=columns, limit=args.limit)
        rows = engine.execute(sql)
    finally:
        engine.close()
    header = [entity.key, *columns]
    write_rows(header, rows, args.format)
    return 0


def _plain(v):
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return v.decode("utf-8", "replace")
    from decimal import Decimal

    if isinstance(v, Decimal):
        return float(v)
    return v


def write_rows(header, rows, fmt, out=None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        out.write(json.dumps([dict(zip(header, map(_plain, r))) for r in rows], ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[("" if v is None else _plain(v)) for v in r] for r in rows])
        return
    cells = [[("" if v is None else str(_plain(v))) for v in r] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(header)]
    out.write("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for c in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip() + "\n")
    out.write(f"({len(rows)} member{'s' if len(rows) != 1 else ''})\n")
