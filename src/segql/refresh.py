"""`segql refresh` (membership with history) and `segql list` (static lists), on the target database.

State lives in three tables segql owns, created on first use (docs/operations.md):

    segql_membership        (segment, member_key, entered_at)        who is in each segment now
    segql_membership_events (segment, member_key, kind, changed_at)          kind: 'entered' | 'left'
    segql_refreshes         (segment, refreshed_at, members, entered, exited)

`member_key` is the entity key as text (`CAST(key AS TEXT)` in the database), so one table serves
entities with integer and string keys. Times are the refresh time as wall-clock time in the schema's
zone (`--now`, or the current time); relative times in the segments are evaluated at that same time, so
the recorded membership is what the segments meant at the recorded moment.

A refresh is ONE transaction for all segments: if it is killed at any point (or fails), the database
keeps the previous refresh's state. The tables are created before the transaction (MariaDB commits
implicitly on DDL); each segment's new members go to a temporary table first, then the differences are
written as events and applied. Atomic on DuckDB, PostgreSQL, SQLite and MySQL/MariaDB (InnoDB);
ClickHouse and Spark have no transactions and are refused (E0701). Segments are refreshed in dependency
order (a segment used with `in segment` first). Static lists are not refreshed (their members are managed
with `segql list`).

Test hook: with `SEGQL_TEST_SLEEP_IN_REFRESH=seconds` the refresh prints a line on stderr and sleeps
after writing each segment, inside the transaction (so a test can kill it mid-transaction).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from zoneinfo import ZoneInfo

from sqlglot import exp

from . import ir
from .errors import SegqlError

MEMBERSHIP = "segql_membership"
EVENTS = "segql_membership_events"
REFRESHES = "segql_refreshes"
STAGING = "segql_refresh_new"  # temporary, per connection

TRANSACTIONAL = ("duckdb", "postgres", "sqlite", "mysql")


# ---- the connection, with explicit transactions --------------------------------------------------
class _Db:
    """Statements on the engine's connection, outside the driver's own commit handling."""

    def __init__(self, engine, what: str):
        if engine.dialect not in TRANSACTIONAL:
            raise SegqlError("E0701", f"{what} needs transactions, which {engine.dialect} does not have",
                             hints=["use DuckDB, PostgreSQL, SQLite or MySQL/MariaDB for membership state"])
        self.engine = engine
        self.dialect = engine.dialect
        if self.dialect == "sqlite":
            engine.conn.isolation_level = None  # we say BEGIN and COMMIT ourselves

    def run(self, sql: str) -> list[tuple]:
        if self.dialect == "sqlite":  # the engine would commit after every statement
            cur = self.engine.conn.cursor()
            try:
                cur.execute(sql)
                return [tuple(r) for r in cur.fetchall()] if cur.description else []
            finally:
                cur.close()
        try:
            return self.engine.execute(sql)
        except SegqlError:
            raise
        except Exception as err:  # the driver's error, as a diagnostic
            msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise SegqlError("E0604", f"{self.dialect} error: {msg}") from err

    def scalar(self, sql: str):
        return self.run(sql)[0][0]

    def begin(self):
        self.run({"mysql": "START TRANSACTION", "sqlite": "BEGIN IMMEDIATE",
                  "duckdb": "BEGIN TRANSACTION"}.get(self.dialect, "BEGIN"))

    def commit(self):
        self.run("COMMIT")

    def rollback(self):
        try:
            self.run("ROLLBACK")
        except Exception:  # noqa: BLE001 - the connection may be gone; the database rolls back anyway
            pass

    # values, rendered by sqlglot for the dialect (never formatted into SQL by hand)
    def text(self, value: str) -> str:
        return exp.Literal.string(value).sql(dialect=self.dialect)

    def stamp(self, value: dt.datetime) -> str:
        from .lower.dialects import get_ops

        return get_ops(self.dialect).timestamp_literal(value).sql(dialect=self.dialect)

    def type(self, kind: str) -> str:
        if kind == "text":
            return "VARCHAR(255)" if self.dialect == "mysql" else "TEXT"
        if kind == "timestamp":
            return {"mysql": "DATETIME(6)", "sqlite": "TEXT"}.get(self.dialect, "TIMESTAMP")
        return "BIGINT"


def ensure_tables(db: _Db) -> None:
    """Create segql's state tables if they are missing (before any transaction: MariaDB commits on DDL)."""
    t, ts, n = db.type("text"), db.type("timestamp"), db.type("int")
    db.run(f"CREATE TABLE IF NOT EXISTS {MEMBERSHIP} (segment {t} NOT NULL, member_key {t} NOT NULL, "
           f"entered_at {ts} NOT NULL, PRIMARY KEY (segment, member_key))")
    db.run(f"CREATE TABLE IF NOT EXISTS {EVENTS} (segment {t} NOT NULL, member_key {t} NOT NULL, "
           f"kind {t} NOT NULL, changed_at {ts} NOT NULL)")
    db.run(f"CREATE TABLE IF NOT EXISTS {REFRESHES} (segment {t} NOT NULL, refreshed_at {ts} NOT NULL, "
           f"members {n} NOT NULL, entered {n} NOT NULL, exited {n} NOT NULL)")


# ---- order --------------------------------------------------------------------------------------
def references(cond) -> set[str]:
    """Slugs of the segments a condition uses with `in segment` (directly or through them)."""
    found: set[str] = set()

    def visit(node):
        if isinstance(node, ir.SegmentRef):
            found.add(node.slug)
        if isinstance(node, ir.Expr) or isinstance(node, ir.Segment):
            import dataclasses

            for f in dataclasses.fields(node):
                value = getattr(node, f.name)
                for v in (value if isinstance(value, tuple) else (value,)):
                    if isinstance(v, ir.Expr):
                        visit(v)

    if cond is not None:
        visit(cond)
    return found


def dependency_order(segments: list) -> list:
    """Segments used by others (`in segment x`) before the segments using them; otherwise input order."""
    by_slug = {s.slug: s for s in segments}
    done: set[str] = set()
    out = []

    def place(s):
        if s.slug in done:
            return
        done.add(s.slug)
        for dep in sorted(references(s.condition)):
            if dep in by_slug:
                place(by_slug[dep])
        out.append(s)

    for s in segments:
        place(s)
    return out


# ---- refresh ------------------------------------------------------------------------------------
def refresh_time(now, tz: str) -> dt.datetime:
    """`--now` pinned in the schema's zone, or the current wall-clock time there (to the millisecond)."""
    from .api import _check_now
    from .lower.sql import pin_now

    if now is not None:
        return pin_now(_check_now(now), tz)
    current = dt.datetime.now(ZoneInfo(tz)).replace(tzinfo=None)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, stream=None):
        self.stream = stream or sys.stderr
        self.total = total
        self.on = total > 1 and hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int, label: str):
        if not self.on:
            return
        width = 30
        filled = int(width * done / self.total)
        self.stream.write(f"\rrefreshing [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
                          f"{label[:40]:<40}")
        self.stream.flush()

    def close(self):
        if self.on:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


def refresh(segments: list, schema, engine, now=None, *, progress=None) -> list[dict]:
    """Recompute the membership of the dynamic segments (ir.Segment) in ONE transaction; returns, in
    refresh order, `{"segment", "entity", "refreshed_at", "members", "entered", "left"}` per segment."""
    from .api import lower

    db = _Db(engine, "refresh")
    at = refresh_time(now, schema.timezone)
    dynamic = dependency_order([s for s in segments if s.kind == "segment"])
    statements = []
    for seg in dynamic:
        entity = schema.entities[seg.entity]
        tree = lower(seg, schema, db.dialect, now=at, select="keys")
        key = exp.column(exp.to_identifier(entity.key, quoted=True), table=exp.Identifier(this="m"))
        select = exp.select(exp.cast(key, "text")).distinct().from_(
            tree.subquery("m", copy=False)).where(exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null())))
        statements.append((seg, select.sql(dialect=db.dialect, copy=False)))
    sleep = float(os.environ.get("SEGQL_TEST_SLEEP_IN_REFRESH") or 0)
    ensure_tables(db)
    bar = progress if progress is not None else _Progress(len(statements))
    results = []
    db.begin()
    try:
        if db.dialect == "postgres":  # one refresh at a time; readers are not blocked
            db.run(f"LOCK TABLE {MEMBERSHIP}, {EVENTS}, {REFRESHES} IN EXCLUSIVE MODE")
        db.run(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} (member_key {db.type('text')} NOT NULL)")
        stamp = db.stamp(at)
        for done, (seg, select_sql) in enumerate(statements):
            bar.update(done, seg.slug)
            results.append(_refresh_one(db, seg, select_sql, stamp, at))
            if sleep:
                print(f"segql: test hook: {seg.slug} written, sleeping {sleep}s inside the transaction",
                      file=sys.stderr, flush=True)
                time.sleep(sleep)
        db.run(f"DROP TABLE {STAGING}")
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        bar.close()
    return results


def _refresh_one(db: _Db, seg, select_sql: str, stamp: str, at: dt.datetime) -> dict:
    slug = db.text(seg.slug)
    new_not_in_old = (f"NOT EXISTS (SELECT 1 FROM {MEMBERSHIP} s WHERE s.segment = {slug} "
                      f"AND s.member_key = n.member_key)")
    old_not_in_new = (f"NOT EXISTS (SELECT 1 FROM {STAGING} n WHERE n.member_key = {MEMBERSHIP}.member_key)")
    db.run(f"DELETE FROM {STAGING}")
    db.run(f"INSERT INTO {STAGING} (member_key) {select_sql}")
    members = int(db.scalar(f"SELECT COUNT(*) FROM {STAGING}"))
    entered = int(db.scalar(f"SELECT COUNT(*) FROM {STAGING} n WHERE {new_not_in_old}"))
    left = int(db.scalar(f"SELECT COUNT(*) FROM {MEMBERSHIP} WHERE segment = {slug} AND {old_not_in_new}"))
    if left:
        db.run(f"INSERT INTO {EVENTS} (segment, member_key, kind, changed_at) SELECT segment, member_key, 'left', "
               f"{stamp} FROM {MEMBERSHIP} WHERE segment = {slug} AND {old_not_in_new}")
        db.run(f"DELETE FROM {MEMBERSHIP} WHERE segment = {slug} AND {old_not_in_new}")
    if entered:
        db.run(f"INSERT INTO {EVENTS} (segment, member_key, kind, changed_at) SELECT {slug}, n.member_key, 'entered', "
               f"{stamp} FROM {STAGING} n WHERE {new_not_in_old}")
        db.run(f"INSERT INTO {MEMBERSHIP} (segment, member_key, entered_at) SELECT {slug}, n.member_key, "
               f"{stamp} FROM {STAGING} n WHERE {new_not_in_old}")
    db.run(f"INSERT INTO {REFRESHES} (segment, refreshed_at, members, entered, exited) VALUES "
           f"({slug}, {stamp}, {members}, {entered}, {left})")
    return {"segment": seg.slug, "entity": seg.entity, "refreshed_at": at.isoformat(), "members": members,
            "entered": entered, "left": left}


def refresh_command(args, schema, loaded) -> int:
    from .operations import _table
    from .run import open_engine

    if args.db is None:
        raise SegqlError("E0702", "refresh writes membership tables, so it needs a database: pass --db",
                         hints=["e.g. --db duckdb:///segments.duckdb or --db postgresql://host/db"])
    engine = open_engine(args.db, schema)
    try:
        results = refresh([i.segment for i in loaded], schema, engine, args.now)
    finally:
        engine.close()
    lists = [i.slug for i in loaded if i.segment.kind == "list"]
    if args.format == "json":
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    at = results[0]["refreshed_at"] if results else refresh_time(args.now, schema.timezone).isoformat()
    print(f"refreshed {len(results)} segment{'s' if len(results) != 1 else ''} at {at} ({schema.timezone})")
    if results:
        _table(["segment", "entity", "members", "entered", "left"],
               [[r["segment"], r["entity"], r["members"], r["entered"], r["left"]] for r in results],
               right={2, 3, 4})
    if lists:
        print(f"static lists (not refreshed; see `segql list`): {', '.join(lists)}")
    return 0


# ---- static lists -------------------------------------------------------------------------------
def _key_type(schema, on: str | None) -> tuple[str, object]:
    if on is not None:
        entity = schema.entity(on)
        if entity is None:
            from .schema import did_you_mean

            raise SegqlError("E0301", f"unknown entity {on!r}", hints=did_you_mean(on, schema.entity_names()))
        return entity.properties[entity.key].type, entity
    types = {e.properties[e.key].type for e in schema.entities.values()}
    if len(types) == 1:
        return types.pop(), None
    raise SegqlError("E0004", "the entities' keys have different types; say which entity the list holds",
                     hints=["pass --on ENTITY"])


def _convert_keys(keys, kind: str) -> list:
    out = []
    for k in keys:
        if kind == "integer":
            try:
                out.append(int(k))
            except ValueError:
                raise SegqlError("E0703", f"list member {k!r} is not an integer key") from None
        elif kind == "number":
            try:
                out.append(float(k))
            except ValueError:
                raise SegqlError("E0703", f"list member {k!r} is not a number key") from None
        else:
            out.append(k)
    return out


def list_members(engine, schema, slug: str) -> list:
    lists = schema.lists
    q = exp.select(exp.column(exp.to_identifier(lists.member_column, quoted=True))).distinct().from_(
        exp.to_table(lists.table) if "." in lists.table else exp.Table(this=exp.to_identifier(
            lists.table, quoted=True))).where(
        exp.EQ(this=exp.column(exp.to_identifier(lists.list_column, quoted=True)),
               expression=exp.Literal.string(slug))).order_by(exp.column(exp.to_identifier(
                   lists.member_column, quoted=True)))
    return [r[0] for r in engine.execute(q.sql(dialect=engine.dialect))]


def list_command(args, schema) -> int:
    from .lower.sql import quoted
    from .run import open_engine

    lists = schema.lists
    if lists is None:
        raise SegqlError("E0313", "the schema has no `lists:` table for static lists",
                         hints=["add `lists: {table: list_members, list: list_slug, member: member_key}`"])
    if args.action == "show":
        if args.keys:
            raise SegqlError("E0004", "`segql list show LIST` takes no keys")
        engine = open_engine(args.db, schema)
        try:
            members = list_members(engine, schema, args.list)
        finally:
            engine.close()
        if args.format == "json":
            from .run import _plain

            print(json.dumps({"list": args.list, "members": [_plain(m) for m in members]}, ensure_ascii=False))
        else:
            for m in members:
                print(m)
            print(f"({len(members)} member{'s' if len(members) != 1 else ''})", file=sys.stderr)
        return 0
    if not args.keys:
        raise SegqlError("E0004", f"`segql list {args.action}` needs at least one KEY")
    if args.db is None:
        raise SegqlError("E0702", f"cannot {args.action} list members without --db: the embedded default reads "
                         f"the lists table from its source file ({lists.source or 'a file'}), read-only",
                         hints=["pass --db with the database that holds the lists table"])
    kind, entity = _key_type(schema, args.on)
    keys = list(dict.fromkeys(_convert_keys(args.keys, kind)))
    engine = open_engine(args.db, schema)
    try:
        db = _Db(engine, f"list {args.action}")
        table = exp.to_table(lists.table, dialect=db.dialect) if "." in lists.table else exp.Table(
            this=quoted(lists.table))
        tname = table.sql(dialect=db.dialect)
        lcol = quoted(lists.list_column).sql(dialect=db.dialect)
        mcol = quoted(lists.member_column).sql(dialect=db.dialect)

        def lit(v):
            return (exp.Literal.string(v) if isinstance(v, str) else exp.Literal.number(v)).sql(dialect=db.dialect)

        changed = 0
        db.begin()
        try:
            present = set(list_members(engine if db.dialect != "sqlite" else _SqliteShim(db), schema, args.list))
            for k in keys:
                if args.action == "add" and k not in present:
                    db.run(f"INSERT INTO {tname} ({lcol}, {mcol}) VALUES ({db.text(args.list)}, {lit(k)})")
                    changed += 1
                elif args.action == "remove" and k in present:
                    db.run(f"DELETE FROM {tname} WHERE {lcol} = {db.text(args.list)} AND {mcol} = {lit(k)}")
                    changed += 1
            db.commit()
        except BaseException:
            db.rollback()
            raise
        missing = []
        if entity is not None and args.action == "add":
            missing = _missing_records(db, entity, keys)
    finally:
        engine.close()
    verb = "added" if args.action == "add" else "removed"
    if args.format == "json":
        print(json.dumps({"list": args.list, verb: changed, "unchanged": len(keys) - changed,
                          "unknown_records": missing}))
    else:
        print(f"{verb} {changed} member{'s' if changed != 1 else ''} "
              f"({'to' if args.action == 'add' else 'from'} {args.list}); {len(keys) - changed} unchanged")
    for k in missing:
        print(f"segql: warning: no {entity.name} record has key {k!r} (kept in the list; it counts once the "
              "record exists)", file=sys.stderr)
    return 0


class _SqliteShim:
    """`list_members` through `_Db.run` (inside our explicit SQLite transaction)."""

    def __init__(self, db):
        self.db, self.dialect = db, db.dialect

    def execute(self, sql):
        return self.db.run(sql)


def _missing_records(db: _Db, entity, keys) -> list:
    from .lower.sql import quoted, table_expr

    col = exp.column(quoted(entity.properties[entity.key].column), table=exp.Identifier(this="e"))
    values = [exp.Literal.string(k) if isinstance(k, str) else exp.Literal.number(k) for k in keys]
    q = exp.select(col).from_(table_expr(entity.table, "e")).where(exp.In(this=col.copy(), expressions=values))
    try:
        found = {r[0] for r in db.run(q.sql(dialect=db.dialect))}
    except SegqlError:
        return []
    return [k for k in keys if k not in found]
