"""SQLite (`sqlite://` in memory, `sqlite:///relative.db`, `sqlite:////abs.db`).

Every connection gets a `regexp(pattern, text)` function implementing segql's portable regex (for
`x REGEXP p`) and a `lower(text)` that replaces the ASCII-only built-in with Unicode simple lowercase.
Timestamps are stored as 'YYYY-MM-DD HH:MM:SS.SSS' text, dates as 'YYYY-MM-DD', booleans 0/1.
"""
from __future__ import annotations

import datetime as _dt

from segql.engines.base import _DBAPIEngine, _file_path, _refused
from segql.semantic.regex import search_portable
from segql.text import simple_lower, simple_upper


class SqliteEngine(_DBAPIEngine):
    schemes = ("sqlite",)
    label = "SQLite"
    dialect = "sqlite"
    paramstyle = "qmark"
    transactional = True
    begin_sql = "BEGIN IMMEDIATE"  # take the write lock now, not at the first write
    state_types = {"text": "TEXT", "timestamp": "TEXT", "int": "BIGINT"}
    TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT",
             "timestamp": "TEXT"}

    @classmethod
    def open(cls, url, parsed):
        import sqlite3

        path = _file_path(parsed) or ":memory:"
        try:
            return cls(sqlite3.connect(path))
        except Exception as e:
            raise _refused(f"SQLite database {path}", e) from None

    def __init__(self, conn):
        super().__init__(conn)
        register_sqlite_functions(conn)

    def _convert(self, t, v):
        if v is None:
            return None
        if t == "timestamp" and isinstance(v, _dt.datetime):
            return v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond // 1000:03d}"
        if t == "date" and isinstance(v, _dt.date):
            return v.isoformat()
        if t == "boolean":
            return int(bool(v))
        return v

    def _commit(self):
        self.conn.commit()


def register_sqlite_functions(conn) -> None:
    """Give a sqlite3 connection segql's `regexp` (portable regex) and Unicode simple-lowercase `lower`."""

    def regexp(pattern, text):
        if pattern is None or text is None:
            return None
        return 1 if search_portable(pattern, str(text)) else 0

    def lower(text):
        if text is None:
            return None
        if isinstance(text, bytes):
            return text.lower()
        if not isinstance(text, str):
            text = str(text)
        return simple_lower(text)

    def upper(text):
        if text is None or isinstance(text, bytes):
            return None if text is None else text.upper()
        return simple_upper(str(text))

    conn.create_function("regexp", 2, regexp, deterministic=True)
    conn.create_function("lower", 1, lower, deterministic=True)
    conn.create_function("upper", 1, upper, deterministic=True)
