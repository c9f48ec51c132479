"""MySQL / MariaDB through pymysql (`mysql://user:pw@host:port/db`, also `mariadb://`).

utf8mb4 connection; tables are utf8mb4 with the `utf8mb4_bin` collation (the primitives still compare
`CAST(x AS BINARY)`, because `utf8mb4_bin` pads trailing spaces); timestamps DATETIME(6).
"""
from __future__ import annotations

from urllib.parse import unquote

from segql.engines.base import _DBAPIEngine, _missing, _refused, group_tables


class MySQLEngine(_DBAPIEngine):
    schemes = ("mysql", "mariadb", "mysql+pymysql")
    label = "MySQL/MariaDB"
    dialect = "mysql"
    paramstyle = "pyformat"  # pymysql: %s and %(name)s
    placeholder = "%s"
    transactional = True  # InnoDB; DDL commits implicitly, so state tables are created before BEGIN
    begin_sql = "START TRANSACTION"
    drop_temporary_sql = "DROP TEMPORARY TABLE"  # a plain DROP TABLE, even of a temporary table, commits
    poolable = True  # a server: a connection held between operations sees what a new one would
    state_types = {"text": "VARCHAR(255)", "timestamp": "DATETIME(6)", "int": "BIGINT"}  # keys: no TEXT
    fold_columns = True  # column names never depend on case; table names do (on Linux)
    mariadb = True  # read from VERSION() at connect
    TYPES = {"string": "LONGTEXT", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
             "timestamp": "DATETIME(6)", "instant": "TIMESTAMP(6) NULL"}

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
        engine = cls(conn)
        # segql's state tables compare keys and slugs exactly: binary and NO PAD, so case, accents and
        # trailing spaces never fold two keys into one (MariaDB's nopad_bin; MySQL 8's 0900_bin)
        version = engine.execute("SELECT VERSION()")[0][0]
        engine.mariadb = "mariadb" in str(version).lower()
        exact = "utf8mb4_nopad_bin" if engine.mariadb else "utf8mb4_0900_bin"
        engine.exact_collation = exact
        engine.state_types = {**cls.state_types, "text": f"VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {exact}"}
        return engine

    def ping(self, timeout=None):
        """COM_PING, waiting at most `timeout` seconds (pymysql reads with the socket's timeout, which it
        sets only from `read_timeout` at connect: lowered for the ping alone)."""
        sock = getattr(self.conn, "_sock", None)
        if timeout is None or sock is None:
            self.conn.ping(reconnect=False)
            return
        previous = sock.gettimeout()
        sock.settimeout(timeout)
        try:
            self.conn.ping(reconnect=False)
        finally:
            if self.conn._sock is sock:  # pymysql drops the socket after a timeout
                sock.settimeout(previous)

    def set_timeout(self, seconds):
        """MariaDB's `max_statement_time` (seconds, any statement); MySQL's `max_execution_time` (whole
        milliseconds, read-only SELECTs only: its writes run unbounded)."""
        from sqlglot import exp

        if self.mariadb:
            self.execute(f"SET SESSION max_statement_time = {exp.Literal.number(float(seconds or 0)).sql()}")
        else:
            ms = max(1, round(seconds * 1000)) if seconds else 0
            self.execute(f"SET SESSION max_execution_time = {exp.Literal.number(ms).sql()}")
        self.timeout = seconds or None

    def _is_timeout(self, exc):
        # MariaDB 1969 ER_STATEMENT_TIMEOUT; MySQL 3024 ER_QUERY_TIMEOUT
        return bool(getattr(exc, "args", None)) and exc.args[0] in (1969, 3024)

    def reusable(self):
        from pymysql.constants.SERVER_STATUS import SERVER_STATUS_IN_TRANS

        return not self.in_transaction and self.conn.open and not self.conn.server_status & SERVER_STATUS_IN_TRANS

    def create_table(self, name, columns, rows):
        """A TIMESTAMP takes the text it is given in the session's zone: instants are written as UTC text
        with the session in UTC for the insert (and its zone restored after)."""
        if "instant" not in columns.values():
            return super().create_table(name, columns, rows)
        import datetime as _dt
        utc = _dt.UTC
        types = list(columns.values())
        rows = [tuple(v.astimezone(utc).replace(tzinfo=None) if t == "instant" and isinstance(v, _dt.datetime)
                      and v.tzinfo is not None else v for t, v in zip(types, r)) for r in rows]
        zone = self.execute("SELECT @@session.time_zone")[0][0]
        self.execute("SET time_zone = '+00:00'")
        try:
            super().create_table(name, columns, rows)
        finally:
            self.execute("SET time_zone = %s", [zone])

    def _ddl(self, name, columns):
        return super()._ddl(name, columns) + " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

    def tables(self, schema=None):
        """information_schema: COLUMN_TYPE keeps `tinyint(1)` (a boolean); MariaDB's JSON is LONGTEXT with
        a `json_valid` check, reported here as `json`."""
        db = "coalesce(%s, database())"
        json_cols = {(t, c) for t, c in self.execute(
            f"SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.CHECK_CONSTRAINTS "
            f"WHERE CONSTRAINT_SCHEMA = {db} AND CHECK_CLAUSE LIKE %s", [schema, "json_valid(%"])} \
            if self._has_check_constraints() else set()
        columns = [(t, c, "json" if (t, c) in json_cols and dt == "longtext" else ct) for t, c, dt, ct in self.execute(
            f"SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS "
            f"WHERE TABLE_SCHEMA = {db} ORDER BY TABLE_NAME, ORDINAL_POSITION", [schema])]
        rows = self.execute(
            f"SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, t.CONSTRAINT_TYPE, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, "
            f"k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, k.TABLE_SCHEMA "
            f"FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.TABLE_CONSTRAINTS t "
            f"ON t.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND t.TABLE_NAME = k.TABLE_NAME "
            f"AND t.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
            f"WHERE k.TABLE_SCHEMA = {db} AND t.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'FOREIGN KEY') "
            f"ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION", [schema])
        grouped: dict = {}
        for table, name, kind, column, ref_db, ref_table, ref_column, own_db in rows:
            entry = grouped.setdefault((table, name), [table, "p" if kind == "PRIMARY KEY" else "f", [], None, []])
            entry[2].append(column)
            if ref_table is not None:
                entry[3] = ref_table if ref_db == own_db else f"{ref_db}.{ref_table}"
                entry[4].append(ref_column)
        return group_tables(columns, [tuple(v) for _, v in sorted(grouped.items())])

    def _has_check_constraints(self) -> bool:
        """MariaDB 10.2+ and MySQL 8.0.16+ have information_schema.CHECK_CONSTRAINTS."""
        return bool(self.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                                 "'information_schema' AND TABLE_NAME = 'CHECK_CONSTRAINTS'")[0][0])
