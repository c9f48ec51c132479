"""Connections to the engines segql executes on.

`connect(url)` returns an `Engine` with one small interface over DB-API drivers, chDB and Spark:
`execute(sql, params) -> list[tuple]`, `columns`, `create_table(name, columns, rows)`, `close()`,
`dialect` (the segql/sqlglot dialect name) and `paramstyle`. Drivers are imported lazily (the CLI's
start-up time matters) and are optional extras; a missing one is E0601, a refused connection E0602, a
query the database rejects E0604 — never a traceback. File URLs follow SQLAlchemy: `sqlite:///relative.db`,
`sqlite:////absolute.db`.

One module per engine (duckdb, sqlite, postgres, mysql, clickhouse, spark; shared parts in base.py),
each declaring its URL schemes, its dialect, whether it has transactions and the types segql's state
tables need on it. Defining the class registers its schemes (`base.SCHEMES`): `connect` and
`dialect_for_url` read that one map. Engine-specific decisions: the modules' docstrings and
docs/dialects.md.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from segql.engines.base import SCHEMES, SEGQL_TYPES, Engine, _file_path
from segql.engines.clickhouse import ClickHouseEngine
from segql.engines.duckdb import DuckDBEngine
from segql.engines.mysql import MySQLEngine
from segql.engines.postgres import PostgresEngine
from segql.engines.spark import SparkEngine
from segql.engines.sqlite import SqliteEngine, register_sqlite_functions
from segql.errors import SegqlError

__all__ = ["check_timeout", "connect", "dialect_for_url", "engine_for_url", "Engine", "SCHEMES", "SEGQL_TYPES", "DuckDBEngine",
           "SqliteEngine", "PostgresEngine", "MySQLEngine", "ClickHouseEngine", "SparkEngine",
           "register_sqlite_functions"]

DEFAULT = DuckDBEngine  # no URL: in-memory DuckDB


def _scheme(url: str) -> str:
    return url.split(":", 1)[0].lower() if ":" in url else ""


def engine_for_url(url: str | None) -> type[Engine] | None:
    """The Engine class for a `--db` URL (None: the embedded default), or None for an unknown scheme."""
    if not url:
        return DEFAULT
    return SCHEMES.get(_scheme(url))


def check_timeout(url: str | None, seconds: float | None) -> None:
    """Refuse a query timeout the engine for `url` cannot keep (E0600) — before connecting: Spark would
    start its JVM first."""
    cls = engine_for_url(url)
    if seconds and cls is not None and cls.set_timeout is Engine.set_timeout:
        raise SegqlError("E0600", f"the warehouse {url} has no query timeout segql can set",
                         hints=["leave out the query timeout for this warehouse"])


def connect(url: str | None = None, *, schema=None) -> Engine:
    """Connect to `url` (None: in-memory DuckDB). `schema` is accepted for the caller's convenience."""
    examples = "duckdb:///path, postgresql://..., mysql://..., sqlite:///path, chdb://, spark://local"
    if url is not None and not url.strip():
        raise SegqlError("E0600", "the database URL is empty",
                         hints=["leave out --db for the embedded DuckDB over the schema's source files",
                                f"or give one: {examples}"])
    cls = engine_for_url(url)
    if cls is None:
        raise SegqlError("E0600", f"unsupported database URL {url!r}", hints=[f"use {examples}"])
    try:  # urlparse refuses `postgresql://[::1`; `.port` refuses `:99999` only when read
        parsed = urlparse(url or "duckdb://")
        parsed.port  # noqa: B018 - validates the port now, not inside a driver call
    except ValueError as err:
        raise SegqlError("E0600", f"malformed database URL {url!r}: {err}", hints=[
            "an IPv6 host is written in brackets: postgresql://[::1]:5432/db" if "IPv6" in str(err)
            else "a port is a number from 1 to 65535"]) from None
    return cls.open(url or "duckdb://", parsed)


def require_existing_file(url: str | None) -> None:
    """For a file database (DuckDB, SQLite), refuse a path where there is no file: opening it would create
    an empty database and every segment would fail on a missing table (or match nothing), far from the
    typo that caused it."""
    cls = engine_for_url(url)
    if not url or cls is None or not getattr(cls, "file_based", False):
        return
    path = _file_path(urlparse(url))
    if path and path != ":memory:" and not Path(path).exists():
        raise SegqlError("E0602", f"there is no {cls.label} database at {path}",
                         hints=[f"check the path ({Path(path).resolve()}); segql opens existing databases",
                                "three slashes for a relative path (duckdb:///data.duckdb), four for an absolute one"])


def dialect_for_url(url: str | None) -> str:
    """The SQL dialect a `--db` URL's engine speaks (the embedded default, and an unknown scheme that
    `connect` will refuse, are DuckDB)."""
    cls = engine_for_url(url)
    return (cls or DEFAULT).dialect
