"""DuckDB (the embedded default): `duckdb://` in memory, `duckdb:///relative.db`, `duckdb:////abs.db`."""
from __future__ import annotations

from segql.engines.base import (
    _DBAPIEngine,
    _file_path,
    _query_error,
    _refused,
    group_tables,
)


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

    def execute(self, sql, params=None):
        try:
            res = self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)
        except Exception as e:
            raise _query_error(self.label, e) from e
        self.columns = [d[0] for d in res.description] if res.description else None
        return res.fetchall() if res.description else []

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
