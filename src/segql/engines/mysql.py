"""MySQL / MariaDB through pymysql (`mysql://user:pw@host:port/db`, also `mariadb://`).

utf8mb4 connection; tables are utf8mb4 with the `utf8mb4_bin` collation (the primitives still compare
`CAST(x AS BINARY)`, because `utf8mb4_bin` pads trailing spaces); timestamps DATETIME(6).
"""
from __future__ import annotations

from urllib.parse import unquote

from segql.engines.base import _DBAPIEngine, _missing, _refused


class MySQLEngine(_DBAPIEngine):
    schemes = ("mysql", "mariadb", "mysql+pymysql")
    label = "MySQL/MariaDB"
    dialect = "mysql"
    paramstyle = "pyformat"  # pymysql: %s and %(name)s
    placeholder = "%s"
    transactional = True  # InnoDB; DDL commits implicitly, so state tables are created before BEGIN
    begin_sql = "START TRANSACTION"
    state_types = {"text": "VARCHAR(255)", "timestamp": "DATETIME(6)", "int": "BIGINT"}  # keys: no TEXT
    TYPES = {"string": "LONGTEXT", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
             "timestamp": "DATETIME(6)"}

    @classmethod
    def open(cls, url, parsed):
        try:
            import pymysql
        except ImportError:
            raise _missing("mysql", "mysql") from None
        try:
            conn = pymysql.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 3306,
                                   user=unquote(parsed.username or "root"),
                                   password=unquote(parsed.password or ""),
                                   database=(parsed.path or "/").lstrip("/") or None,
                                   charset="utf8mb4", autocommit=True, connect_timeout=10)
        except Exception as e:
            raise _refused(f"MySQL/MariaDB at {parsed.hostname or 'localhost'}", e) from None
        return cls(conn)

    def _ddl(self, name, columns):
        return super()._ddl(name, columns) + " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
