"""The store's connection: SQLite (`sqlite:///path`, the default) or PostgreSQL (`postgresql://…`).

One small interface over both drivers so the SDK writes each statement once: SQL is written with `?`
placeholders and every value is a bind parameter (psycopg gets `%s`); nothing is ever formatted into SQL.
Transactions are explicit (`with db.transaction():`) and nest (only the outermost one commits). A write
transaction takes the store's write lock at its start: `BEGIN IMMEDIATE` on SQLite (waits up to
`lock_timeout` seconds for another writer), and on PostgreSQL a row lock taken by `lock_segment`.
Driver errors become diagnostics: a lock not obtained in time is E0805, anything else E0809.
"""
from __future__ import annotations

import contextlib
import sqlite3
from urllib.parse import unquote, urlparse

from segql.errors import SegqlError


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def store_path(url: str) -> str:
    """`sqlite:///relative.db` (three slashes) or `sqlite:////absolute.db` (four), as SQLAlchemy has it."""
    parsed = urlparse(url)
    path = unquote(parsed.path)
    if parsed.netloc:
        return unquote(parsed.netloc) + path
    return (path.removeprefix("/")) or ":memory:"


def _lower(value):
    return value.lower() if isinstance(value, str) else value


class StoreDb:
    """A connection to the store; `kind` is "sqlite" or "postgres"."""

    def __init__(self, url: str, *, lock_timeout: float = 30.0):
        self.url = url
        self.lock_timeout = lock_timeout
        self._depth = 0
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "sqlite":
            self.kind = "sqlite"
            path = store_path(url)
            try:
                self.conn = sqlite3.connect(path, timeout=lock_timeout, isolation_level=None,
                                            check_same_thread=False)
                self.conn.execute("PRAGMA foreign_keys = ON")
                # SQLite's own LOWER folds ASCII only ("É" stays): search would ignore case on PostgreSQL
                # and not here. Python's, as PostgreSQL's, folds every letter.
                self.conn.create_function("LOWER", 1, _lower, deterministic=True)
            except sqlite3.Error as err:
                raise SegqlError("E0602", f"cannot open the store {path}: {_first_line(err)}") from None
        elif scheme in ("postgresql", "postgres"):
            self.kind = "postgres"
            try:
                import psycopg
            except ImportError:
                raise SegqlError("E0601", "the postgres driver is not installed",
                                 hints=["pip install 'segql[postgres]'"]) from None
            try:
                self.conn = psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True,
                                            connect_timeout=10)
            except Exception as err:  # noqa: BLE001 - the driver's many connection errors
                raise SegqlError("E0602", f"cannot connect to the store at {urlparse(url).hostname or 'localhost'}: "
                                 f"{_first_line(err)}") from None
        else:
            raise SegqlError("E0808", f"unsupported store URL {url!r}",
                             hints=["use sqlite:///segql.db (a file) or postgresql://host/db"])

    # ---- statements ------------------------------------------------------------------------------
    def execute(self, sql: str, params=()) -> list[tuple]:
        if self.kind == "postgres":
            sql = sql.replace("?", "%s")
        try:
            cur = self.conn.cursor()
            try:
                cur.execute(sql, tuple(params))
                return [tuple(r) for r in cur.fetchall()] if cur.description else []
            finally:
                cur.close()
        except SegqlError:
            raise
        except Exception as err:
            raise self._diagnostic(err) from err

    def executemany(self, sql: str, rows) -> None:
        rows = [tuple(r) for r in rows]
        if not rows:
            return
        if self.kind == "postgres":
            sql = sql.replace("?", "%s")
        try:
            cur = self.conn.cursor()
            try:
                cur.executemany(sql, rows)
            finally:
                cur.close()
        except Exception as err:
            raise self._diagnostic(err) from err

    def one(self, sql: str, params=()):
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def _diagnostic(self, err: Exception) -> SegqlError:
        msg = _first_line(err)
        name = type(err).__name__
        if "locked" in msg.lower() or name in ("LockNotAvailable", "QueryCanceled") or "lock timeout" in msg:
            return SegqlError("E0805", "another refresh or write holds the store's lock; gave up after "
                              f"{self.lock_timeout:g}s", hints=["try again when it has finished"])
        return SegqlError("E0809", f"store error ({self.kind}): {msg}")

    # ---- transactions ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self):
        """One transaction (nested calls join the outer one); rolled back on any exception."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self.execute("BEGIN IMMEDIATE" if self.kind == "sqlite" else "BEGIN")
        if self.kind == "postgres":
            self.execute("SELECT set_config('lock_timeout', ?, true)", (f"{int(self.lock_timeout * 1000)}ms",))
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self.rollback()
            raise
        self._depth = 0
        self.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(Exception):  # the connection may be gone; the database rolls back anyway
            self.execute("ROLLBACK")

    def lock_segment(self, segment_id: str) -> None:
        """Serialise refreshes of one segment: SQLite's BEGIN IMMEDIATE already holds the write lock; on
        PostgreSQL lock the segment's row (waits up to lock_timeout, then E0805)."""
        if self.kind == "postgres":
            self.execute("SELECT id FROM segql_segments WHERE id = ? FOR UPDATE", (segment_id,))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()
