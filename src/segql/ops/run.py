"""Running a segment: open the engine for `--db` (or the embedded default), list members ordered by key.

Without `--db` the embedded DuckDB reads each entity's `source:` file (relative to the schema) through a
view named like the entity's table, so the compiled SQL is the same as on a real warehouse.
"""
from __future__ import annotations

from sqlglot import exp

from segql import engines
from segql.errors import SegqlError
from segql.lower.sql import quoted, table_expr
from segql.ops.compile import to_sql_tree
from segql.schema import did_you_mean


def open_engine(db: str | None, schema, *, timeout: float | None = None):
    """The engine for `--db` (an existing database: a typo must not create an empty one), or embedded
    DuckDB with views over the schema's source files; `timeout`: seconds any statement may then run."""
    engines.require_existing_file(db)
    engines.check_timeout(db, timeout)
    engine = engines.connect(db, schema=schema)
    try:
        if db is None:
            attach_sources(engine, schema)
        if timeout:
            engine.set_timeout(timeout)
    except BaseException:
        engine.close()
        raise
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
        name = table_expr(table)
        if name.args.get("db") is not None:  # a qualified table: its schema must exist in the embedded DuckDB
            engine.execute(exp.Create(kind="SCHEMA", this=exp.Table(this=name.args["db"].copy()),
                                      exists=True).sql(dialect="duckdb"))
        view = exp.Create(kind="VIEW", this=name, replace=True,
                          expression=exp.select("*").from_(exp.Anonymous(this=reader, expressions=[
                              exp.Literal.string(str(path))])))
        engine.execute(view.sql(dialect="duckdb"))


MAX_ROW_LIMIT = 2 ** 63 - 1  # every engine's LIMIT takes a 64-bit integer


def check_limit(limit) -> None:
    """`--limit` / `limit=`: a whole number from 0 to 2**63 - 1, checked before any engine sees it."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or not 0 <= limit <= MAX_ROW_LIMIT):
        raise SegqlError("E0004", f"the limit must be a whole number from 0 to {MAX_ROW_LIMIT:,}")


def member_query(segment, schema, dialect, *, now=None, columns=(), limit=None):
    """The compiled segment, ordered by key, with extra columns joined from the entity's table."""
    check_limit(limit)
    tree = to_sql_tree(segment, schema, dialect, now=now)
    entity = schema.entities[segment.entity]
    key = entity.key
    source = tree.args.get("from_") if isinstance(tree, exp.Select) else None
    if dialect == "mysql" and source is not None and isinstance(source.this, exp.Table) and source.this.alias \
            and not tree.args.get("distinct") and not tree.args.get("group") and not tree.args.get("joins") \
            and len(tree.selects) == 1:
        # MariaDB runs NOT EXISTS inside a derived table as a dependent subquery per row (quadratic:
        # 56 s at 8,000 rows) but as an anti-join at the top level: extend and order the statement itself
        alias = exp.Identifier(this=source.this.alias)
        for name in columns:
            tree.select(exp.column(quoted(entity.properties[name].column), table=alias.copy()).as_(quoted(name)),
                        copy=False)
        query = tree.order_by(exp.Ordered(this=tree.selects[0].unalias().copy()), copy=False)
        return (query.limit(limit) if limit is not None else query).sql(dialect=dialect)
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


def resolve_columns(entity, raw: str | None) -> list[str]:
    """`--columns a,b`: property names of the entity (case-insensitive), E0301 with a hint otherwise."""
    columns = []
    for part in (raw.split(",") if raw else []):
        name = entity.find(part.strip())
        if name is None or name not in entity.properties:
            raise SegqlError("E0301", f"{entity.name} has no property {part.strip()!r}",
                             hints=did_you_mean(part.strip(), entity.properties))
        columns.append(name)
    return columns


def count_members(segment, schema, engine, *, now=None) -> int:
    sql = to_sql_tree(segment, schema, engine.dialect, now=now, select="count").sql(
        dialect=engine.dialect, pretty=False, copy=False)
    return engine.execute(sql)[0][0]


def list_rows(segment, schema, engine, *, now=None, columns=(), limit=None) -> list[tuple]:
    return engine.execute(member_query(segment, schema, engine.dialect, now=now, columns=columns, limit=limit))
