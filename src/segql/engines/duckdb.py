"""DuckDB (the embedded default): `duckdb://` in memory, `duckdb:///relative.db`, `duckdb:////abs.db`."""
from __future__ import annotations

from segql.engines.base import _DBAPIEngine, _file_path, _query_error, _refused


class DuckDBEngine(_DBAPIEngine):
    schemes = ("duckdb",)
    dialect = "duckdb"
    label = "DuckDB"
    paramstyle = "qmark"
    transactional = True
    begin_sql = "BEGIN TRANSACTION"
    TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
             "timestamp": "TIMESTAMP"}

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
