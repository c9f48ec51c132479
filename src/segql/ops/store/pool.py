"""Warehouse engines kept open between the SDK's operations (and so between the service's requests).

Opening the embedded DuckDB (an in-memory database with a view per source file) costs ~16 ms, more than
the small query it then runs (~4 ms); a PostgreSQL or MySQL connection costs a TCP and authentication
round trip. The SDK borrows an engine here for one operation instead:

    with pool.engine(db_url, schema) as engine:
        engine.execute(...)

- Pooled only where a long-lived connection changes nothing a user sees: the embedded DuckDB (`db` None:
  views over the schema's files, read at query time) and server databases (PostgreSQL, MySQL/MariaDB:
  `Engine.poolable`). A DuckDB or SQLite *file*, an explicit `duckdb://` in memory, chDB and Spark stay
  one engine per operation (a held DuckDB file lock would block `segql refresh` from another process).
- Keyed by what decides the data an engine sees: the db URL (None: embedded), the schema's path and
  text (or identity) and the views' tables and files. Two SDKs over different warehouses or schemas
  never share an engine; an embedded engine whose source files changed on disk (size, mtime, inode) is
  not reused.
- A borrowed engine belongs to one thread until the `with` ends. It goes back to the pool only after a
  clean use: no exception, no failed statement (even one the caller caught), no open transaction, the
  connection open (`Engine.reusable`); otherwise it is closed. A server engine taken from the pool is
  pinged first, with an answer due within `ping_timeout` seconds (a connection a NAT forgot silently
  would otherwise hang for TCP's ~15 minutes of retries); a dead one is closed and a new connection
  opened, so a warehouse that went away answers E0602 (503) as before, and a new connection is made
  when it is back.
- Lent only to segql's own operations, which leave a session as they found it (tests/test_engine_pool.py
  checks settings, temp tables, locks). Code handed an engine through `Segments.engine()` may SET a
  search_path or time zone, or create a temp table that shadows a warehouse table, none of which a
  later borrower could see or undo: it gets a new engine, closed afterwards (`keep=False`).
- At most `size` idle engines per key; more are closed on return. `close()` closes the idle ones, and
  those in use when they come back.
"""
from __future__ import annotations

import hashlib
import os
import threading
from contextlib import contextmanager

from segql import engines
from segql.errors import SegqlError
from segql.ops.run import open_engine

DEFAULT_SIZE = 4  # idle engines kept per key
PING_TIMEOUT = 5.0  # seconds a server engine taken from the pool may take to answer its ping


def poolable(db: str | None) -> bool:
    """Whether engines for `db` may outlive an operation (see the module's docstring)."""
    if db is None:
        return True
    cls = engines.engine_for_url(db)
    return cls is not None and getattr(cls, "poolable", False)


def _sources(schema) -> tuple:
    tables = [(e.table, e.source) for e in schema.entities.values()]
    if schema.lists is not None:
        tables.append((schema.lists.table, schema.lists.source))
    return tuple((table, str((schema.base_dir / source).resolve())) for table, source in tables if source)


def pool_key(db: str | None, schema) -> tuple:
    """What decides the data an engine for (`db`, `schema`) sees."""
    text = getattr(schema, "source", None)
    identity = hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else id(schema)
    return (db, str(schema.path) if schema.path else None, identity, _sources(schema) if db is None else ())


def _files(key: tuple):
    """The embedded engine's source files as they are now (None when one is missing: open afresh, which
    says which); server engines: ()."""
    out = []
    for _table, path in key[3]:
        try:
            st = os.stat(path)
        except OSError:
            return None
        out.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


class EnginePool:
    def __init__(self, size: int = DEFAULT_SIZE, *, timeout: float | None = None):
        self.size = size
        self.timeout = timeout  # the query timeout every engine opened here gets (`Engine.set_timeout`)
        self._idle: dict[tuple, list] = {}  # key -> [(engine, files)], most recently returned last
        self._lock = threading.Lock()
        self._generation = 0  # bumped by close(): engines borrowed before it are closed when they return
        self.opened = 0  # engines opened for pooled keys (tests and benchmarks read it)
        self.ping_timeout = PING_TIMEOUT

    @contextmanager
    def engine(self, db: str | None, schema, *, keep: bool = True):
        """An engine for (`db`, `schema`) for the body of the `with`: from the pool when one is idle and
        sound, else newly opened; kept or closed afterwards as the module's docstring says. `keep=False`:
        a new engine, closed afterwards (for code that may change the session: SET, temp tables …)."""
        if not keep or not poolable(db):
            engine = open_engine(db, schema, timeout=self.timeout)
            try:
                yield engine
            finally:
                engine.close()
            return
        key = pool_key(db, schema)
        files = _files(key)
        generation = self._generation
        engine = self._take(key, files)
        if engine is None:
            engine = open_engine(db, schema, timeout=self.timeout)
            engine.pooled()
            with self._lock:
                self.opened += 1
        failures = engine.failures
        try:
            yield engine
        except BaseException:
            engine.close()
            raise
        if engine.failures != failures or files is None or not engine.reusable():
            engine.close()
            return
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if generation == self._generation and len(idle) < self.size:
                idle.append((engine, files))
                return
        engine.close()

    def _take(self, key: tuple, files):
        """An idle engine for `key` that still sees the same files and (a server) answers; None if none."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                if not idle:
                    return None
                engine, seen = idle.pop()
            if seen != files or files is None:
                engine.close()
                continue
            try:
                engine.ping(self.ping_timeout)
            except Exception:  # noqa: BLE001 - the connection is gone (the server restarted, a proxy cut it)
                engine.close()
                continue
            return engine

    def idle(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._idle.values())

    def close(self) -> None:
        """Close every idle engine; engines borrowed now are closed when they come back. The pool stays
        usable (an SDK reopens what it needs, as its store connections do)."""
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, {}
        for engine, _files in (pair for pairs in idle.values() for pair in pairs):
            try:
                engine.close()
            except SegqlError:  # pragma: no cover - closing never raises today
                pass
