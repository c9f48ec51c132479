"""SQLite (`sqlite://` in memory, `sqlite:///relative.db`, `sqlite:////abs.db`).

Every connection gets a `regexp(pattern, text)` function implementing segql's portable regex (for
`x REGEXP p`) and a `lower(text)` that replaces the ASCII-only built-in with Unicode simple lowercase.
Timestamps are stored as 'YYYY-MM-DD HH:MM:SS.SSS' text, dates as 'YYYY-MM-DD', booleans 0/1.
"""
from __future__ import annotations

import datetime as _dt

from segql.engines.base import _DBAPIEngine, _file_path, _refused, group_tables
from segql.semantic.regex import search_portable
from segql.text import simple_lower, simple_upper


class SqliteEngine(_DBAPIEngine):
    schemes = ("sqlite",)
    file_based = True  # a path that does not exist is refused by ops.run.open_engine
    label = "SQLite"
    dialect = "sqlite"
    paramstyle = "qmark"
    transactional = True
    begin_sql = "BEGIN IMMEDIATE"  # take the write lock now, not at the first write
    state_types = {"text": "TEXT", "timestamp": "TEXT", "int": "BIGINT"}
    fold_tables = fold_columns = True  # SQLite matches identifiers case-insensitively, quoted or not
    TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT",
             "timestamp": "TEXT", "instant": "TEXT"}

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

    interrupts = True  # SQLite has no statement timeout: a timer calls `interrupt()` (base._Interrupter)

    def set_timeout(self, seconds):
        self.timeout = seconds or None

    def _convert(self, t, v):
        if v is None:
            return None
        if t == "timestamp" and isinstance(v, _dt.datetime):
            return v.replace(tzinfo=None).isoformat(sep=" ", timespec="milliseconds")  # 4-digit year, as STRFTIME
        if t == "instant" and isinstance(v, _dt.datetime):  # ISO text with its offset (SQLite applies it)
            return v.isoformat(timespec="milliseconds")
        if t == "date" and isinstance(v, _dt.date):
            return v.isoformat()
        if t == "boolean":
            return int(bool(v))
        return v

    def _commit(self):
        self.conn.commit()

    def tables(self, schema=None):
        """sqlite_schema plus the table_info / foreign_key_list pragmas (as table-valued functions, so
        names are bound, never spliced). A foreign key without columns names the referenced primary key."""
        db = schema or "main"
        names = [r[0] for r in self.execute(
            "SELECT name FROM pragma_table_list WHERE schema = ? AND type IN ('table', 'view') "
            "AND name NOT GLOB 'sqlite_*' ORDER BY name", [db])]
        columns, keys, fks = [], [], []
        for name in names:
            info = self.execute("SELECT name, type, pk FROM pragma_table_info(?, ?) ORDER BY cid", [name, db])
            columns.extend((name, c, t or "") for c, t, _ in info)
            pk = [c for c, _, n in sorted(info, key=lambda r: r[2]) if n]
            if pk:
                keys.append((name, "p", pk, None, None))
            by_id: dict = {}
            for fid, _seq, ref, col, to in self.execute(
                    'SELECT id, seq, "table", "from", "to" FROM pragma_foreign_key_list(?, ?) ORDER BY id, seq',
                    [name, db]):
                by_id.setdefault(fid, (ref, []))[1].append((col, to))
            fks.extend((name, ref, pairs) for _, (ref, pairs) in sorted(by_id.items()))
        tables = group_tables(columns, keys)
        primary = {t.name: t.primary_key for t in tables}
        for name, ref, pairs in fks:
            remote = [to for _, to in pairs]
            if any(to is None for to in remote):  # REFERENCES t without columns: t's primary key
                remote = list(primary.get(ref, ()))
            keys.append((name, "f", [c for c, _ in pairs], ref, remote))
        return group_tables(columns, keys)


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
