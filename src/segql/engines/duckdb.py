"""DuckDB (the embedded default): `duckdb://` in memory, `duckdb:///relative.db`, `duckdb:////abs.db`."""
from __future__ import annotations

import re

from segql.engines.base import (
    _DBAPIEngine,
    _file_path,
    _Interrupter,
    _query_error,
    _refused,
    _timed_out,
    group_tables,
)
from segql.errors import SegqlError

# the lowest cap a statement runs under: below it DuckDB may fail even the RESET that restores the session's
# limit (at 1000 B, 2 runs in 3 left the session capped; 100 KB never did in 20), so smaller caps are raised
MIN_CAP = 1000**2

_UNITS = {"": 1, "b": 1, "bytes": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4, "pb": 1000**5,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4, "pib": 1024**5}


def size_bytes(text: str) -> int:
    """Bytes of a DuckDB memory size (`100MB`, `18.8 GiB`, `134217728B`)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", str(text).lower())
    if m is None or m.group(2) not in _UNITS:
        raise ValueError(f"{text!r} is not a memory size (write e.g. 100MB, 1.5GB or 512MiB)")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def shown_bytes(text: str) -> int:
    """The fewest bytes DuckDB shows as `text`: it shows a limit as whole units and one decimal rounded
    down, the decimal from the next smaller unit's count (`1.5GB` shows `1.3 GiB`, which is 1 GiB and at
    least 308 MiB). Setting this back never raises the limit and shows the same text again, where setting
    the text itself lowered the limit a little on every round trip (1.3, 1.2, 1.1 GiB)."""
    m = re.fullmatch(r"\s*(\d+)(?:\.(\d))?\s*([a-z]*)\s*", str(text).lower())
    if m is None or m.group(3) not in _UNITS:
        return size_bytes(text)  # raises: not a size
    unit = _UNITS[m.group(3)]
    base = 1024 if m.group(3).endswith("ib") else 1000
    tenth = -(-int(m.group(2) or 0) * base // 10)  # of the next smaller unit, rounded up
    return int(m.group(1)) * unit + tenth * (unit // base if unit >= base else 0)


def _out_of_memory(err: SegqlError) -> bool:
    import duckdb

    return isinstance(err.__cause__, duckdb.OutOfMemoryException)


class DuckDBEngine(_DBAPIEngine):
    schemes = ("duckdb",)
    file_based = True  # a path that does not exist is refused by ops.run.open_engine
    dialect = "duckdb"
    label = "DuckDB"
    paramstyle = "qmark"
    transactional = True
    begin_sql = "BEGIN TRANSACTION"
    # no PRIMARY KEY on segql_membership: DuckDB's ART index made a refresh in which 483,578 members
    # leave take 26-32 s instead of 1.1 s (benchmarks/README.md, refresh); one writer per file anyway
    state_primary_key = False
    fold_tables = fold_columns = True  # DuckDB matches identifiers case-insensitively, quoted or not
    TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
             "timestamp": "TIMESTAMP", "instant": "TIMESTAMPTZ"}

    @classmethod
    def open(cls, url, parsed):
        import duckdb  # lazy: optional speed of start-up

        path = _file_path(parsed)
        try:
            return cls(duckdb.connect(path or ":memory:"))
        except Exception as e:
            raise _refused(f"DuckDB database {path}", e) from None

    def set_timeout(self, seconds):
        """DuckDB has no statement timeout: a timer interrupts the connection (`base._Interrupter`)."""
        self.timeout = seconds or None

    def execute(self, sql, params=None):
        with _Interrupter(self.conn, self.timeout) as timer:
            try:
                res = self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)
                self.columns = [d[0] for d in res.description] if res.description else None
                return res.fetchall() if res.description else []
            except Exception as e:
                self.failures += 1
                if timer.fired:
                    raise _timed_out(self.label, self.timeout) from e
                raise _query_error(self.label, e) from e

    def execute_bounded(self, sql, memory_limit):
        """Run `sql` with DuckDB's `memory_limit` lowered to `memory_limit` (a size, `auto`: 50 MB per thread,
        None: as is) for this statement only, so that a wide `counts` statement evicts cached columns and
        spills its hash tables to `temp_directory` instead of growing (500 segments at 1M contacts: 0.6 GB
        peak uncapped, 0.2 GB at 100 MB on 2 threads, 1.1-1.2x the time: benchmarks/README.md §9). Never raises the
        session's own limit; the setting is global to the database instance, and is restored afterwards.
        Where DuckDB cannot work under the cap (Out of Memory: in-memory tables bigger than it, too many
        threads), the statement runs under the session's own limit."""
        from sqlglot import exp

        if memory_limit is None:
            return self.execute(sql)
        previous, threads = self.execute("SELECT current_setting('memory_limit'), current_setting('threads')")[0]
        cap = max(50 * 1000**2 * int(threads) if memory_limit == "auto" else size_bytes(memory_limit), MIN_CAP)
        if cap >= shown_bytes(previous):
            return self.execute(sql)
        self._private_spill_directory()

        def set_limit(size: str | None):
            if size is None:
                self.execute("RESET memory_limit")
            else:
                self.execute(f"SET memory_limit = {exp.Literal.string(size).sql(dialect='duckdb')}")

        # restore exactly: DuckDB shows the limit rounded ('18.8 GiB'), so the default is RESET, and only a
        # limit the session set itself is set again, to the fewest bytes shown as its text (shown_bytes)
        set_limit(None)
        if self.execute("SELECT current_setting('memory_limit')")[0][0] == previous:
            previous = None
        else:
            previous = f"{shown_bytes(previous)}B"
        try:
            set_limit(f"{cap}B")
        except SegqlError as e:  # DuckDB could not free enough of what it holds
            set_limit(previous)
            if not _out_of_memory(e):
                raise
            return self.execute(sql)
        try:
            return self.execute(sql)
        except SegqlError as e:
            if not _out_of_memory(e):
                raise
        finally:
            set_limit(previous)
        return self.execute(sql)

    _spill_dir: str | None = None

    def _private_spill_directory(self) -> None:
        """An in-memory database spills to `.tmp` in the current directory, and DuckDB leaves that folder
        behind, empty, in the user's project: spill to a folder of our own instead, removed on close. A
        database file spills beside itself (`<file>.tmp`), and a `temp_directory` someone set is theirs."""
        import os
        import tempfile

        from sqlglot import exp

        if self._spill_dir is not None or os.path.exists(".tmp"):
            return
        if self.execute("SELECT current_setting('temp_directory')")[0][0] != ".tmp":
            return
        self._spill_dir = tempfile.mkdtemp(prefix="segql-duckdb-spill-")
        self.execute(f"SET temp_directory = {exp.Literal.string(self._spill_dir).sql(dialect='duckdb')}")

    def reusable(self):
        """No transaction open: DuckDB does not say so, but refuses a ROLLBACK without one (measured cheaper
        than a `SELECT 1`); an open one is rolled back, and the engine is not reused."""
        import duckdb

        if self.in_transaction:
            return False
        try:
            self.conn.execute("ROLLBACK")
        except duckdb.TransactionException:
            return True
        except Exception:  # noqa: BLE001 - closed, or invalidated by a fatal error
            return False
        return False

    def close(self):
        super().close()
        if self._spill_dir is not None:
            import shutil

            shutil.rmtree(self._spill_dir, ignore_errors=True)
            self._spill_dir = None

    def tables(self, schema=None):
        """information_schema for columns (views too), duckdb_constraints() for keys."""
        where = "table_catalog = current_database() AND table_schema = coalesce(?, current_schema())"
        columns = self.execute(f"SELECT table_name, column_name, data_type FROM information_schema.columns "
                               f"WHERE {where} ORDER BY table_name, ordinal_position", [schema])
        keys = self.execute(
            "SELECT table_name, CASE constraint_type WHEN 'PRIMARY KEY' THEN 'p' ELSE 'f' END, "
            "constraint_column_names, CASE WHEN constraint_type = 'FOREIGN KEY' THEN referenced_table END, "
            "referenced_column_names FROM duckdb_constraints() WHERE database_name = current_database() "
            "AND schema_name = coalesce(?, current_schema()) "
            "AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') ORDER BY table_name, constraint_index", [schema])
        return group_tables(columns, keys)
