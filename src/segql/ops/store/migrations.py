"""The store's tables, as versioned migrations applied in order, each inside one transaction.

`segql_meta` holds `schema_version`; opening a store applies every step above it. A store made by an
older segql opens in this one (its rows stay, the new tables appear); a store made by a newer segql is
refused (E0808) rather than misread. To change the tables, APPEND a step — never edit a shipped one.
Types are the portable subset (TEXT, BIGINT) so one statement serves SQLite and PostgreSQL; times are
UTC ISO text with milliseconds (`2026-11-15T12:00:00.000Z`), which sorts as time.
"""
from __future__ import annotations

from segql.errors import SegqlError
from segql.ops.store.db import StoreDb

MIGRATIONS: list[tuple[int, str, tuple[str, ...]]] = [
    (1, "segments", (
        ("CREATE TABLE IF NOT EXISTS segql_segments ("
        " id TEXT PRIMARY KEY, organization TEXT NOT NULL, name TEXT NOT NULL, slug TEXT NOT NULL,"
        " description TEXT, object_type TEXT NOT NULL, is_dynamic BIGINT NOT NULL, conditions TEXT,"
        " criteria TEXT, member_count BIGINT, member_count_at TEXT, created_at TEXT NOT NULL,"
        " updated_at TEXT NOT NULL, version BIGINT NOT NULL, UNIQUE (organization, slug))"),
    )),
    (2, "static members, refresh history, membership and its events, API keys", (
        ("CREATE TABLE IF NOT EXISTS segql_static_members ("
        " segment_id TEXT NOT NULL, member_key TEXT NOT NULL, added_at TEXT NOT NULL,"
        " PRIMARY KEY (segment_id, member_key))"),
        ("CREATE TABLE IF NOT EXISTS segql_refresh_history ("
        " segment_id TEXT NOT NULL, refreshed_at TEXT NOT NULL, member_count BIGINT NOT NULL,"
        " entered BIGINT NOT NULL, exited BIGINT NOT NULL)"),
        "CREATE INDEX IF NOT EXISTS segql_refresh_history_segment ON segql_refresh_history (segment_id, refreshed_at)",
        ("CREATE TABLE IF NOT EXISTS segql_store_membership ("
        " segment_id TEXT NOT NULL, member_key TEXT NOT NULL, entered_at TEXT NOT NULL,"
        " PRIMARY KEY (segment_id, member_key))"),
        ("CREATE TABLE IF NOT EXISTS segql_store_membership_events ("
        " segment_id TEXT NOT NULL, member_key TEXT NOT NULL, kind TEXT NOT NULL, changed_at TEXT NOT NULL)"),
        ("CREATE INDEX IF NOT EXISTS segql_store_membership_events_segment"
        " ON segql_store_membership_events (segment_id, changed_at)"),
        ("CREATE TABLE IF NOT EXISTS segql_api_keys ("
        " id TEXT PRIMARY KEY, organization TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,"
        " created_at TEXT NOT NULL, revoked_at TEXT)"),
    )),
    (3, "webhooks and their outbox (docs/webhooks.md)", (
        ("CREATE TABLE IF NOT EXISTS segql_webhooks ("
        " id TEXT PRIMARY KEY, organization TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL,"
        " segments TEXT, secret TEXT NOT NULL, created_at TEXT NOT NULL)"),
        "CREATE INDEX IF NOT EXISTS segql_webhooks_organization ON segql_webhooks (organization, created_at)",
        ("CREATE TABLE IF NOT EXISTS segql_webhook_outbox ("
        " id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, organization TEXT NOT NULL, segment_id TEXT NOT NULL,"
        " event TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL,"
        " created_at TEXT NOT NULL, next_attempt_at TEXT NOT NULL, seq BIGINT NOT NULL, claimed_until TEXT,"
        " claimed_by TEXT, delivered_at TEXT, last_status BIGINT, last_error TEXT)"),
        ("CREATE INDEX IF NOT EXISTS segql_webhook_outbox_due"
        " ON segql_webhook_outbox (status, next_attempt_at)"),
        ("CREATE INDEX IF NOT EXISTS segql_webhook_outbox_webhook"
        " ON segql_webhook_outbox (webhook_id, created_at)"),
    )),
]
LATEST = MIGRATIONS[-1][0]
META = ("CREATE TABLE IF NOT EXISTS segql_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
MIGRATION_LOCK = 7_411_2026  # the advisory lock id under which PostgreSQL stores migrate


def current_version(db) -> int:
    row = db.one("SELECT value FROM segql_meta WHERE key = ?", ("schema_version",))
    return int(row[0]) if row else 0


def migrate(db) -> int:
    """Bring the store to LATEST in one transaction (two processes opening a new store at once take
    turns: an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite). Returns the version."""
    with db.transaction():
        if db.kind == "postgres":
            db.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        db.execute(META)
        version = current_version(db)
        if version > LATEST:
            raise SegqlError("E0808", f"the store has schema version {version}, newer than this segql "
                             f"understands ({LATEST})", hints=["upgrade segql to open this store"])
        for number, _what, statements in MIGRATIONS:
            if number <= version:
                continue
            for sql in statements:
                db.execute(sql)
            version = number
        if db.one("SELECT value FROM segql_meta WHERE key = ?", ("schema_version",)):
            db.execute("UPDATE segql_meta SET value = ? WHERE key = ?", (str(version), "schema_version"))
        else:
            db.execute("INSERT INTO segql_meta (key, value) VALUES (?, ?)", ("schema_version", str(version)))
    return version


class OnStore:
    """A part of the store (keys, webhooks) used either on its own connection (`open(url)`, migrated) or
    through the SDK's per-thread connection (`Part(segments)`)."""

    def __init__(self, source):
        """`source`: a StoreDb, or anything with a `.db` StoreDb (the SDK's per-thread connection)."""
        self._source = source

    @property
    def db(self):
        return self._source.db if hasattr(self._source, "db") else self._source

    @classmethod
    def open(cls, url: str):
        db = StoreDb(url)
        migrate(db)
        return cls(db)

    def close(self) -> None:
        self.db.close()
