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
implicitly on DDL); the difference of each segment's new members with the stored membership is computed
ONCE into a temporary table (one FULL JOIN with the segment's query, or two anti-joins with the members
staged in another), and the history rows and the membership changes are written from it set-based
(measured: benchmarks/README.md, refresh). Atomic on DuckDB, PostgreSQL, SQLite and MySQL/MariaDB (InnoDB);
ClickHouse and Spark have no transactions and are refused (E0701). Segments are refreshed in dependency
order (a segment used with `in segment` first). Static lists are not refreshed (their members are managed
with `segql list`).

Test hook: with `SEGQL_TEST_SLEEP_IN_REFRESH=seconds` the refresh prints a line on stderr and sleeps
after writing each segment, inside the transaction (so a test can kill it mid-transaction).
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import time

from sqlglot import exp

from segql import ir
from segql.clock import pin_now, wall_clock_now
from segql.errors import SegqlError
from segql.lower.dialects import get_ops
from segql.ops.compile import to_sql_tree

MEMBERSHIP = "segql_membership"
EVENTS = "segql_membership_events"
REFRESHES = "segql_refreshes"
STAGING = "segql_refresh_new"  # temporary, per connection: the segment's members now
DIFF = "segql_refresh_diff"  # temporary: who entered and who left, computed once per segment
WORK_MEM = "128MB"  # PostgreSQL, during a refresh (hashes get 2x: ~5M member keys, 46 MB a million)
SAMPLE = 10  # keys of who entered / left returned with each result


# ---- the connection, with explicit transactions --------------------------------------------------
class Db:
    """Statements on the engine's connection, outside the driver's own commit handling.

    What differs per engine (transactions or not, the BEGIN statement, the state tables' types) is
    declared by the engine class (segql/engines/<engine>.py)."""

    def __init__(self, engine, what: str):
        if not getattr(engine, "transactional", False):
            raise SegqlError("E0701", f"{what} needs transactions, which {engine.dialect} does not have",
                             hints=["use DuckDB, PostgreSQL, SQLite or MySQL/MariaDB for membership state"])
        self.engine = engine
        self.dialect = engine.dialect
        if self.dialect == "sqlite":
            engine.conn.isolation_level = None  # we say BEGIN and COMMIT ourselves

    def run(self, sql: str) -> list[tuple]:
        try:
            if self.dialect == "sqlite":  # the engine would commit after every statement
                return self.engine.execute_uncommitted(sql)
            return self.engine.execute(sql)
        except SegqlError as err:
            if _locked(err.message):
                raise _busy() from err
            raise
        except Exception as err:  # the driver's error, as a diagnostic
            msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            if _locked(msg):  # another refresh holds the database (SQLite's lock timed out)
                raise _busy() from err
            raise SegqlError("E0604", f"{self.dialect} error: {msg}") from err

    execute = run  # so helpers written for an engine (`list_members`) run inside this transaction

    def scalar(self, sql: str):
        return self.run(sql)[0][0]

    def begin(self):
        self.engine.in_transaction = True  # until it ends: an engine pool never keeps it meanwhile
        self.run(self.engine.begin_sql)

    def commit(self):
        self.run("COMMIT")
        self.engine.in_transaction = False

    def rollback(self):
        """ROLLBACK, with the query timeout off: on DuckDB and SQLite the timeout is a timer interrupting the
        connection, which also stopped the ROLLBACK of a refresh it had stopped, leaving the transaction
        open with the refresh's writes in it (servers apply their own timeouts; their ROLLBACK is quick)."""
        timeout, self.engine.timeout = self.engine.timeout, None
        try:
            self.run("ROLLBACK")
        except Exception:  # noqa: BLE001 - the connection may be gone; the database rolls back anyway
            return
        finally:
            self.engine.timeout = timeout
        self.engine.in_transaction = False

    @property
    def sample_order(self) -> str:
        """How the entered/left samples are ordered: by the keys' bytes, as DuckDB, SQLite and MariaDB's
        exact collation order them. PostgreSQL orders text by the database's collation (en_US: `a A b B`,
        bytes: `A B a b`), which would pick other keys as "the first ten" than every other engine."""
        return 'member_key COLLATE "C"' if self.dialect == "postgres" else "member_key"

    # values, rendered by sqlglot for the dialect (never formatted into SQL by hand)
    def text(self, value: str) -> str:
        return exp.Literal.string(value).sql(dialect=self.dialect)

    def stamp(self, value: dt.datetime) -> str:
        return get_ops(self.dialect).timestamp_literal(value).sql(dialect=self.dialect)

    def type(self, kind: str) -> str:
        """The DDL type of a state-table column: kind is text, timestamp or int."""
        return self.engine.state_types[kind]

    def key_text(self, key: exp.Expression, key_type: str = "integer") -> exp.Expression:
        """A member key as state-table text, compared exactly (engines whose default collation folds case,
        accents or trailing spaces name an exact one: `exact_collation`), one text per key value.

        SQLite's CAST(real AS TEXT) keeps 15 significant digits: 0.3 and 0.1 + 0.2, or 2^53 and 2^53 − 2,
        would be one member_key. A `number` key there is its CAST text when that reads back as the key (the
        text every earlier refresh stored), else printf's 17 digits, which always do; texts reading back
        as their keys are distinct for distinct keys."""
        text = exp.cast(key, "text")
        if key_type == "number" and self.dialect == "sqlite":
            exact = exp.Anonymous(this="printf", expressions=[exp.Literal.string("%!.17g"), key.copy()])
            reads_back = exp.EQ(this=exp.cast(text.copy(), "real"), expression=key.copy())
            text = exp.Case(ifs=[exp.If(this=reads_back, true=text)], default=exact)
        collation = getattr(self.engine, "exact_collation", None)
        return exp.Collate(this=text, expression=exp.Var(this=collation)) if collation else text


LOCK_WAIT = 60  # seconds a refresh waits for another one before E0805
LOCK_NAME = "segql_refresh"
# MariaDB's named locks are server-wide: the name carries the database (hashed: names stop at 64
# characters), so refreshes of two databases on one server do not wait for each other
LOCK_KEY = f"CONCAT('{LOCK_NAME}:', MD5(COALESCE(DATABASE(), '')))"
ADVISORY_LOCK = 7_411_2027  # PostgreSQL: creating the state tables, one session at a time


def _locked(message: str) -> bool:
    text = message.lower()
    return "database is locked" in text or "lock timeout" in text or "lock wait timeout" in text


def _busy() -> SegqlError:
    return SegqlError("E0805", "another refresh is writing membership; gave up waiting for it",
                      hints=["try again when it has finished"])


def ensure_tables(db: Db) -> None:
    """Create segql's state tables if they are missing (before the refresh's transaction: MariaDB commits
    on DDL). On PostgreSQL two first refreshes at once would race on CREATE TABLE IF NOT EXISTS (a
    unique violation in the catalogue), so the creation runs in a transaction under an advisory lock."""
    if db.dialect == "postgres":
        db.begin()
        try:
            db.run(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK})")
            _create_tables(db)
            db.commit()
        except BaseException:
            db.rollback()
            raise
        return
    _create_tables(db)


def _create_tables(db: Db) -> None:
    t, ts, n = db.type("text"), db.type("timestamp"), db.type("int")
    key = ", PRIMARY KEY (segment, member_key)" if getattr(db.engine, "state_primary_key", True) else ""
    db.run(f"CREATE TABLE IF NOT EXISTS {MEMBERSHIP} (segment {t} NOT NULL, member_key {t} NOT NULL, "
           f"entered_at {ts} NOT NULL{key})")
    db.run(f"CREATE TABLE IF NOT EXISTS {EVENTS} (segment {t} NOT NULL, member_key {t} NOT NULL, "
           f"kind {t} NOT NULL, changed_at {ts} NOT NULL)")
    db.run(f"CREATE TABLE IF NOT EXISTS {REFRESHES} (segment {t} NOT NULL, refreshed_at {ts} NOT NULL, "
           f"members {n} NOT NULL, entered {n} NOT NULL, exited {n} NOT NULL)")


# ---- order --------------------------------------------------------------------------------------
def references(cond) -> set[str]:
    """Slugs of the segments a condition uses with `in segment` (directly or through them)."""
    return {node.slug for node in ir.walk(cond) if isinstance(node, ir.SegmentRef)}


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
    return pin_now(now, tz) if now is not None else wall_clock_now(tz)


class _Progress:
    """A one-line progress bar on stderr with the member rows written so far and their rate, only when
    stderr is a terminal."""

    def __init__(self, total: int, stream=None):
        self.stream = stream or sys.stderr
        self.total = total
        self.on = total > 0 and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.rows = 0
        self.start = time.perf_counter()

    def rate(self) -> str:
        secs = max(time.perf_counter() - self.start, 1e-6)
        return f"{self.rows:,} rows, {self.rows / secs:,.0f} rows/s"

    def update(self, done: int, label: str, rows: int = 0):
        self.rows += rows
        if not self.on:
            return
        width = 30
        filled = int(width * done / self.total)
        self.stream.write(f"\rrefreshing [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
                          f"{label[:30]:<30} {self.rate()}")
        self.stream.flush()

    def close(self):
        if self.on:
            self.stream.write("\r" + " " * 110 + "\r")
            self.stream.flush()


def refresh(segments: list, schema, engine, now=None, *, progress=None) -> list[dict]:
    """Recompute the membership of the dynamic segments (ir.Segment) in ONE transaction; returns, in
    refresh order, `{"segment", "entity", "refreshed_at", "members", "entered", "left", "entered_keys",
    "left_keys"}` per segment (the key lists: up to 10 of them, as text).

    Two refreshes never interleave: PostgreSQL locks the state tables inside the transaction, MariaDB
    takes a named lock per database (`GET_LOCK`) around it, SQLite's `BEGIN IMMEDIATE` holds the write lock. Waiting
    ends after LOCK_WAIT seconds with E0805. The refresh time is taken AFTER the lock, so the refresh
    that waited records (and evaluates its segments at) a later time: history stays in time order."""
    db = Db(engine, "refresh")
    dynamic = dependency_order([s for s in segments if s.kind == "segment"])
    sleep = float(os.environ.get("SEGQL_TEST_SLEEP_IN_REFRESH") or 0)
    if db.dialect == "sqlite":
        db.run(f"PRAGMA busy_timeout = {int(LOCK_WAIT * 1000)}")
    ensure_tables(db)
    named_lock = db.dialect == "mysql"
    if named_lock:
        got = db.scalar(f"SELECT GET_LOCK({LOCK_KEY}, {LOCK_WAIT})")
        if got != 1:
            raise _busy()
    bar = progress if progress is not None else _Progress(len(dynamic))
    results = []
    try:
        db.begin()
        try:
            if db.dialect == "postgres":  # one refresh at a time; readers are not blocked
                db.run(f"LOCK TABLE {MEMBERSHIP}, {EVENTS}, {REFRESHES} IN EXCLUSIVE MODE")
                # the joins, DISTINCTs and key-order sorts of 1M members spill to disk at the default 4MB
                # (FULL JOIN 8.2 -> 5.6 s); raised, never lowered (a server tuned higher keeps its own), for
                # the transaction only (set_config's is_local: SET LOCAL), committed or not
                db.run(f"SELECT set_config('work_mem', GREATEST(pg_size_bytes(current_setting('work_mem')), "
                       f"pg_size_bytes({db.text(WORK_MEM)})) / 1024 || 'kB', true)")
            at = refresh_time(now, schema.timezone)  # after the lock
            statements = []
            for seg in dynamic:
                entity = schema.entities[seg.entity]
                tree = to_sql_tree(seg, schema, db.dialect, now=at, select="keys")
                key = exp.column(exp.to_identifier(entity.key, quoted=True), table=exp.Identifier(this="m"))
                key_type = entity.properties[entity.key].type
                select = exp.select(exp.alias_(db.key_text(key, key_type), "member_key")).from_(
                    tree.subquery("m", copy=False)).where(
                    exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null())))
                # the keys once each (DISTINCT), and as they come for the FULL JOIN, which removes the
                # duplicates among the few that changed instead of among all members
                statements.append((seg, select.copy().distinct().sql(dialect=db.dialect),
                                   select.sql(dialect=db.dialect, copy=False)))
            if db.dialect not in FULL_JOIN:  # the two anti-joins read the new members twice: staged once
                db.run(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} (member_key {db.type('text')} NOT NULL)")
            row_id = ROW_ID.get(db.dialect)
            db.run(f"CREATE TEMPORARY TABLE IF NOT EXISTS {DIFF} (member_key {db.type('text')} NOT NULL, "
                   f"kind {db.type('text')} NOT NULL{f', rid {row_id[1]}' if row_id else ''})")
            stamp = db.stamp(at)
            for done, (seg, select_sql, keys_sql) in enumerate(statements):
                bar.update(done, seg.slug)
                results.append(_refresh_one(db, seg, select_sql, keys_sql, stamp, at))
                bar.update(done + 1, seg.slug, results[-1]["members"])
                if sleep:
                    print(f"segql: test hook: {seg.slug} written, sleeping {sleep}s inside the transaction",
                          file=sys.stderr, flush=True)
                    time.sleep(sleep)
            # (MariaDB: DROP TEMPORARY TABLE; its plain DROP TABLE commits, which made the refresh final
            # before its COMMIT: a failure there left the new state)
            drop = db.engine.drop_temporary_sql
            if db.dialect not in FULL_JOIN:
                db.run(f"{drop} {STAGING}")
            db.run(f"{drop} {DIFF}")
            db.commit()
        except BaseException:
            db.rollback()
            raise
    finally:
        bar.close()
        if named_lock:
            try:
                db.run(f"SELECT RELEASE_LOCK({LOCK_KEY})")
            except SegqlError:  # the connection is gone: the server released it
                pass
    return results


FULL_JOIN = ("duckdb", "postgres")  # engines computing the difference in one FULL JOIN (MySQL has none)
# the row's address, carried in DIFF for who left: the DELETE fetches those rows by address instead of
# joining the segment's membership on its text keys (PostgreSQL, 500k leave: 4.6 -> 1.9 s). Stable for the
# transaction: its EXCLUSIVE lock keeps every other writer and VACUUM off segql_membership, and nothing
# updates membership rows before the DELETE. (DuckDB's rowid has no such lock: a checkpoint may move rows.)
ROW_ID = {"postgres": ("ctid", "TID")}


def _refresh_one(db: Db, seg, select_sql: str, keys_sql: str, stamp: str, at: dt.datetime) -> dict:
    """A segment's first refresh (no stored members) writes its members straight into the membership and
    the history from them. Otherwise the difference with the stored ones goes into DIFF once (one FULL JOIN
    with the segment's query; or two anti-joins with the members staged in STAGING), and history and
    membership are written from it in one statement each. Membership rows go in key order: the PRIMARY
    KEY's b-tree then grows at its right edge (PostgreSQL, 1M members: 9.3 s unordered)."""
    slug = db.text(seg.slug)
    row_id = ROW_ID.get(db.dialect)
    order = " ORDER BY member_key" if getattr(db.engine, "state_primary_key", True) else ""
    if not db.run(f"SELECT 1 FROM {MEMBERSHIP} WHERE segment = {slug} LIMIT 1"):
        # first refresh: everyone enters — members written straight from the segment's query, history
        # from them (two writes of the members, as few as membership plus history can take)
        insert = (f"INSERT INTO {MEMBERSHIP} (segment, member_key, entered_at) SELECT {slug}, n.member_key, "
                  f"{stamp} FROM ({select_sql}) n{order.replace('member_key', 'n.member_key')}")
        source = f"(SELECT member_key, 'entered' AS kind FROM {MEMBERSHIP} WHERE segment = {slug})"
        if db.dialect == "postgres":  # history from the rows inserted, counted, in the same statement
            members = entered = int(db.scalar(
                f"WITH n AS ({insert} RETURNING member_key), h AS (INSERT INTO {EVENTS} (segment, member_key, "
                f"kind, changed_at) SELECT {slug}, member_key, 'entered', {stamp} FROM n RETURNING 1) "
                f"SELECT COUNT(*) FROM h"))
        else:
            db.run(insert)
            members = entered = int(db.scalar(f"SELECT COUNT(*) FROM {MEMBERSHIP} WHERE segment = {slug}"))
            if entered:
                _history(db, slug, source, stamp)
        entered_keys = [r[0] for r in db.run(f"SELECT member_key FROM {source} d ORDER BY {db.sample_order} "
                                             f"LIMIT {SAMPLE}")] if entered else []
        return _recorded(db, seg, slug, stamp, at, members, entered, 0, entered_keys, [])
    source = DIFF
    db.run(f"DELETE FROM {DIFF}")
    if db.dialect in FULL_JOIN:  # the difference straight from the segment's query: no staging copy
        members = int(db.scalar(f"SELECT COUNT(*) FROM {MEMBERSHIP} WHERE segment = {slug}"))  # stored, for now
        rid, s_rid, rid_of = (", rid", ", s.rid", f", {row_id[0]} AS rid") if row_id else ("", "", "")
        db.run(f"INSERT INTO {DIFF} (member_key, kind{rid}) SELECT DISTINCT COALESCE(n.member_key, s.member_key), "
               f"CASE WHEN n.member_key IS NULL THEN 'left' ELSE 'entered' END{s_rid} FROM "
               f"({keys_sql}) n FULL JOIN (SELECT member_key{rid_of} FROM {MEMBERSHIP} WHERE segment = {slug}) s "
               f"ON s.member_key = n.member_key WHERE n.member_key IS NULL OR s.member_key IS NULL")
    else:
        db.run(f"DELETE FROM {STAGING}")
        db.run(f"INSERT INTO {STAGING} (member_key) {select_sql}")
        members = int(db.scalar(f"SELECT COUNT(*) FROM {STAGING}"))
        db.run(f"INSERT INTO {DIFF} (member_key, kind) SELECT n.member_key, 'entered' FROM {STAGING} n WHERE "
               f"NOT EXISTS (SELECT 1 FROM {MEMBERSHIP} s WHERE s.segment = {slug} AND s.member_key = "
               f"n.member_key)")
        db.run(f"INSERT INTO {DIFF} (member_key, kind) SELECT s.member_key, 'left' FROM {MEMBERSHIP} s WHERE "
               f"s.segment = {slug} AND NOT EXISTS (SELECT 1 FROM {STAGING} n WHERE n.member_key = "
               f"s.member_key)")
    entered, left = (int(v or 0) for v in db.run(
        f"SELECT COUNT(CASE WHEN kind = 'entered' THEN 1 END), COUNT(CASE WHEN kind = 'left' THEN 1 END) "
        f"FROM {DIFF}")[0])
    if db.dialect in FULL_JOIN:
        members += entered - left

    def sample(kind: str) -> list:
        return [r[0] for r in db.run(f"SELECT member_key FROM {source} d WHERE kind = {db.text(kind)} "
                                     f"ORDER BY {db.sample_order} LIMIT {SAMPLE}")]

    entered_keys = sample("entered") if entered else []
    left_keys = sample("left") if left else []
    if entered or left:
        _history(db, slug, source, stamp)
    if left and row_id:
        db.run(f"DELETE FROM {MEMBERSHIP} WHERE {row_id[0]} = ANY(ARRAY(SELECT rid FROM {DIFF} WHERE kind = 'left'))")
    elif left:
        db.run(f"DELETE FROM {MEMBERSHIP} WHERE segment = {slug} AND member_key IN (SELECT member_key FROM "
               f"{DIFF} WHERE kind = 'left')")
    if entered:
        db.run(f"INSERT INTO {MEMBERSHIP} (segment, member_key, entered_at) SELECT {slug}, member_key, {stamp} "
               f"FROM {source} d WHERE kind = 'entered'{order}")
    return _recorded(db, seg, slug, stamp, at, members, entered, left, entered_keys, left_keys)


def _history(db: Db, slug: str, source: str, stamp: str) -> None:
    """One history row per member that entered or left, in one statement from `source` (key, kind)."""
    db.run(f"INSERT INTO {EVENTS} (segment, member_key, kind, changed_at) SELECT {slug}, member_key, kind, "
           f"{stamp} FROM {source} d")


def _recorded(db: Db, seg, slug, stamp, at, members, entered, left, entered_keys, left_keys) -> dict:
    """The refresh's own row, and what `refresh` reports of it."""
    db.run(f"INSERT INTO {REFRESHES} (segment, refreshed_at, members, entered, exited) VALUES "
           f"({slug}, {stamp}, {members}, {entered}, {left})")
    return {"segment": seg.slug, "entity": seg.entity, "refreshed_at": at.isoformat(), "members": members,
            "entered": entered, "left": left, "entered_keys": entered_keys, "left_keys": left_keys}
