"""Connections to the engines segql executes on.

`connect(url)` returns an `Engine` with one small interface over DB-API drivers, chDB and Spark:
`execute(sql, params) -> list[tuple]`, `columns`, `create_table(name, columns, rows)`, `close()`,
`dialect` (sqlglot's name) and `paramstyle`. Drivers are imported lazily (the CLI's start-up time matters)
and are optional extras; a missing one is E0601, a refused connection E0602, a query the database rejects
E0604 — never a traceback. File URLs follow SQLAlchemy: `sqlite:///relative.db`, `sqlite:////absolute.db`.

Engine-specific decisions (see docs/dialects.md):
- SQLite: every connection gets a `regexp(pattern, text)` function implementing segql's portable regex
  (for `x REGEXP p`) and a `lower(text)` that replaces the ASCII-only built-in with Unicode simple
  lowercase. Timestamps are stored as 'YYYY-MM-DD HH:MM:SS.SSS' text, dates as 'YYYY-MM-DD', booleans 0/1.
- MariaDB/MySQL: utf8mb4 connection; tables are utf8mb4 with the `utf8mb4_bin` collation (the primitives
  still compare `CAST(x AS BINARY)`, because `utf8mb4_bin` pads trailing spaces); timestamps DATETIME(6).
- ClickHouse (chDB): every column is Nullable; timestamps DateTime64(6, 'UTC'), dates Date32; rows are
  sent through ClickHouse's typed query parameters. Tables are `Memory` in a temporary session (`chdb://`)
  and `MergeTree` in a database on disk (`chdb:///path`), so they are still there for the next process.
- PostgreSQL: TIMESTAMP without time zone. Spark: one local session per process, TIMESTAMP_NTZ, rows
  via createDataFrame into a temporary view.
"""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
from urllib.parse import unquote, urlparse

from segql.errors import SegqlError

SEGQL_TYPES = ("string", "integer", "number", "boolean", "date", "timestamp")

_EXTRA = {"postgres": "postgres", "mysql": "mysql", "clickhouse": "clickhouse", "spark": "spark"}


def _missing(driver: str, extra: str):
    return SegqlError("E0601", f"the {driver} driver is not installed", hints=[f"pip install 'segql[{extra}]'"])


def _refused(what: str, exc: Exception):
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return SegqlError("E0602", f"cannot connect to {what}: {msg}")


def _query_error(label: str, exc: Exception):
    """A query the database rejected (a missing table, a type error …): E0604, never a traceback."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return SegqlError("E0604", f"{label} error: {msg}")


def _check_types(columns: dict):
    for name, t in columns.items():
        if t not in SEGQL_TYPES:
            raise SegqlError("E0603", f"column {name!r} has unknown type {t!r}; expected one of {SEGQL_TYPES}")


class Engine:
    """A connection; subclasses adapt one driver."""

    dialect = ""
    paramstyle = "qmark"

    def __init__(self):
        self.columns: list[str] | None = None

    def execute(self, sql: str, params=None) -> list[tuple]:
        raise NotImplementedError

    def create_table(self, name: str, columns: dict, rows: list) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # helpers for DB-API drivers
    def _quote(self, name: str) -> str:
        import sqlglot.expressions as exp
        return exp.to_identifier(name, quoted=True).sql(dialect=self.dialect)


class _DBAPIEngine(Engine):
    label = "database"  # names the engine in E0604
    TYPES: dict = {}
    placeholder = "?"

    def __init__(self, conn):
        super().__init__()
        self.conn = conn

    def execute(self, sql, params=None):
        cur = self.conn.cursor()
        try:
            if params is None:
                cur.execute(sql)
            else:
                cur.execute(sql, params)
            self.columns = [d[0] for d in cur.description] if cur.description else None
            rows = [tuple(r) for r in cur.fetchall()] if cur.description else []
        except Exception as e:
            raise _query_error(self.label, e) from e
        finally:
            cur.close()
        self._commit()
        return rows

    def _commit(self):
        pass

    def _ddl(self, name, columns):
        cols = ", ".join(f"{self._quote(c)} {self.TYPES[t]}" for c, t in columns.items())
        return f"CREATE TABLE {self._quote(name)} ({cols})"

    def _convert(self, t, v):
        return v

    def create_table(self, name, columns, rows):
        _check_types(columns)
        cur = self.conn.cursor()
        try:
            cur.execute(f"DROP TABLE IF EXISTS {self._quote(name)}")
            cur.execute(self._ddl(name, columns))
            if rows:
                types = list(columns.values())
                ph = ", ".join([self.placeholder] * len(types))
                cur.executemany(f"INSERT INTO {self._quote(name)} VALUES ({ph})",
                                [tuple(self._convert(t, v) for t, v in zip(types, r)) for r in rows])
        finally:
            cur.close()
        self._commit()

    def close(self):
        try:
            self.conn.close()
        except Exception:  # pragma: no cover - closing twice
            pass


class DuckDBEngine(_DBAPIEngine):
    dialect = "duckdb"
    label = "DuckDB"
    paramstyle = "qmark"
    TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
             "timestamp": "TIMESTAMP"}

    def execute(self, sql, params=None):
        try:
            res = self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)
        except Exception as e:
            raise _query_error(self.label, e) from e
        self.columns = [d[0] for d in res.description] if res.description else None
        return res.fetchall() if res.description else []


class SqliteEngine(_DBAPIEngine):
    label = "SQLite"
    dialect = "sqlite"
    paramstyle = "qmark"
    TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT",
             "timestamp": "TEXT"}

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
    from segql.lower.dialects import simple_lower
    from segql.semantic.regex import search_portable

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
        return "".join(c.upper() if len(c.upper()) == 1 else c for c in str(text))

    conn.create_function("regexp", 2, regexp, deterministic=True)
    conn.create_function("lower", 1, lower, deterministic=True)
    conn.create_function("upper", 1, upper, deterministic=True)


class PostgresEngine(_DBAPIEngine):
    label = "PostgreSQL"
    dialect = "postgres"
    paramstyle = "pyformat"  # psycopg 3: %s and %(name)s
    placeholder = "%s"
    TYPES = {"string": "TEXT", "integer": "BIGINT", "number": "DOUBLE PRECISION", "boolean": "BOOLEAN",
             "date": "DATE", "timestamp": "TIMESTAMP WITHOUT TIME ZONE"}


class MySQLEngine(_DBAPIEngine):
    label = "MySQL/MariaDB"
    dialect = "mysql"
    paramstyle = "pyformat"  # pymysql: %s and %(name)s
    placeholder = "%s"
    TYPES = {"string": "LONGTEXT", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
             "timestamp": "DATETIME(6)"}

    def _ddl(self, name, columns):
        return super()._ddl(name, columns) + " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"


class ClickHouseEngine(Engine):
    dialect = "clickhouse"
    paramstyle = "named"  # ClickHouse typed parameters {name:Type}; execute() takes a dict
    TYPES = {"string": "String", "integer": "Int64", "number": "Float64", "boolean": "Bool", "date": "Date32",
             "timestamp": "DateTime64(6, 'UTC')"}

    def __init__(self, session, tmpdir=None):
        super().__init__()
        self.session = session
        self._tmpdir = tmpdir

    def execute(self, sql, params=None):
        import json
        try:
            res = self.session.query(sql, "JSONCompactEachRowWithNamesAndTypes", params=params or None)
        except Exception as e:
            raise SegqlError("E0604", f"ClickHouse error: {str(e).strip().splitlines()[0]}") from e
        text = res.bytes().decode("utf-8") if hasattr(res, "bytes") else str(res)
        lines = [json.loads(x) for x in text.splitlines() if x.strip()]
        if not lines:
            self.columns = None
            return []
        self.columns, types = lines[0], lines[1]
        return [tuple(_ch_value(t, v) for t, v in zip(types, row)) for row in lines[2:]]

    def create_table(self, name, columns, rows):
        _check_types(columns)
        q = self._quote(name)
        self.session.query(f"DROP TABLE IF EXISTS {q}")
        cols = ", ".join(f"{self._quote(c)} Nullable({self.TYPES[t]})" for c, t in columns.items())
        # a database on disk (chdb:///path) keeps its tables: Memory tables would come back empty
        table_engine = "Memory" if self._tmpdir else "MergeTree ORDER BY tuple()"
        self.session.query(f"CREATE TABLE {q} ({cols}) ENGINE = {table_engine}")
        types = list(columns.values())
        # one parameterised INSERT ... SELECT per row batch: arrays of typed parameters, one per column
        if rows:
            params, exprs = {}, []
            for i, (c, t) in enumerate(columns.items()):
                params[f"c{i}"] = _ch_array([_ch_param(t, r[i]) for r in rows])
                exprs.append(f"{{c{i}:Array(Nullable(String))}}")
            casts = ", ".join(f"CAST(arrayElement({e}, n) AS Nullable({self.TYPES[t]}))"
                              if t != "timestamp" else
                              f"toDateTime64OrNull(arrayElement({e}, n), 6, 'UTC')"
                              for e, t in zip(exprs, types))
            self.session.query(f"INSERT INTO {q} SELECT {casts} FROM "
                               f"(SELECT arrayJoin(range(1, {len(rows)} + 1)) AS n) ORDER BY n", params=params)

    def close(self):
        try:
            self.session.close()
        except Exception:  # pragma: no cover
            pass
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)


def _ch_param(t, v):
    if v is None:
        return None
    if t == "boolean":
        return "true" if v else "false"
    if t == "timestamp" and isinstance(v, _dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if t == "number":
        return repr(float(v))
    return str(v)


def _ch_array(values) -> str:
    """A ClickHouse Array(Nullable(String)) parameter value (the query-parameter text format)."""
    out = []
    for v in values:
        if v is None:
            out.append("NULL")
        else:
            esc = v.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t") \
                .replace("\r", "\\r").replace("\0", "\\0")
            out.append(f"'{esc}'")
    return "[" + ",".join(out) + "]"


def _ch_value(t: str, v):
    if v is None:
        return None
    base = t
    if base.startswith("Nullable("):
        base = base[9:-1]
    if base.startswith(("Int", "UInt")) and isinstance(v, str):
        return int(v)
    if base.startswith("Date32") or base == "Date":
        return _dt.date.fromisoformat(v)
    if base.startswith("DateTime"):
        return _dt.datetime.fromisoformat(v)
    if base.startswith("Float"):
        return float(v)  # inf / nan come quoted; whole numbers come as JSON ints
    return v


class SparkEngine(Engine):
    dialect = "spark"
    paramstyle = "qmark"  # spark.sql(sql, args=[...]) with ? markers (Spark 3.5+); a dict uses :name

    def __init__(self, spark):
        super().__init__()
        self.spark = spark

    def execute(self, sql, params=None):
        try:
            df = self.spark.sql(sql, args=params) if params is not None else self.spark.sql(sql)
            rows = df.collect()
        except Exception as e:
            raise SegqlError("E0604", f"Spark error: {str(e).strip().splitlines()[0]}") from e
        self.columns = list(df.columns)
        return [tuple(r) for r in rows]

    def create_table(self, name, columns, rows):
        _check_types(columns)
        from pyspark.sql import types as T
        st = {"string": T.StringType(), "integer": T.LongType(), "number": T.DoubleType(),
              "boolean": T.BooleanType(), "date": T.DateType(), "timestamp": T.TimestampNTZType()}
        schema = T.StructType([T.StructField(c, st[t], True) for c, t in columns.items()])
        conv = [(lambda v: None if v is None else float(v)) if t == "number" else (lambda v: v)
                for t in columns.values()]
        data = [tuple(f(v) for f, v in zip(conv, r)) for r in rows]
        self.spark.createDataFrame(data, schema).createOrReplaceTempView(name)

    def close(self):
        pass  # the session is shared by the process (see _spark_session)


_SPARK = None


def _spark_session():
    """One local Spark session per process (start-up costs ~10 s)."""
    global _SPARK
    if _SPARK is None:
        from pyspark.sql import SparkSession
        _SPARK = (SparkSession.builder.master("local[2]").appName("segql")
                  .config("spark.sql.shuffle.partitions", "1")
                  .config("spark.ui.enabled", "false")
                  .config("spark.ui.showConsoleProgress", "false")
                  .config("spark.sql.ansi.enabled", "true")
                  .getOrCreate())
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


def _file_path(parsed) -> str | None:
    """SQLAlchemy's convention: `sqlite:///relative.db` (three slashes) is relative to the current directory,
    `sqlite:////abs/path.db` (four) is absolute; the same for duckdb:// and chdb://."""
    path = unquote(parsed.path)
    if parsed.netloc:
        return unquote(parsed.netloc) + path
    if path.startswith("/"):
        path = path[1:]
    return path or None


def connect(url: str | None = None, *, schema=None) -> Engine:
    """Connect to `url` (None: in-memory DuckDB). `schema` is accepted for the caller's convenience."""
    if url is not None and not url.strip():
        raise SegqlError("E0600", "the database URL is empty",
                         hints=["leave out --db for the embedded DuckDB over the schema's source files",
                                "or give one: duckdb:///path, postgresql://..., mysql://..., sqlite:///path"])
    if not url or url in ("duckdb://", "duckdb:", "duckdb:///:memory:"):
        import duckdb
        return DuckDBEngine(duckdb.connect(":memory:"))
    try:  # urlparse refuses `postgresql://[::1`; `.port` refuses `:99999` only when read
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - validates the port now, not inside a driver call
    except ValueError as err:
        raise SegqlError("E0600", f"malformed database URL {url!r}: {err}", hints=[
            "an IPv6 host is written in brackets: postgresql://[::1]:5432/db" if "IPv6" in str(err)
            else "a port is a number from 1 to 65535"]) from None
    scheme = parsed.scheme.lower()
    if scheme == "duckdb":
        import duckdb
        path = _file_path(parsed)
        try:
            return DuckDBEngine(duckdb.connect(path or ":memory:"))
        except Exception as e:
            raise _refused(f"DuckDB database {path}", e) from None
    if scheme == "sqlite":
        import sqlite3
        path = _file_path(parsed) or ":memory:"
        try:
            return SqliteEngine(sqlite3.connect(path))
        except Exception as e:
            raise _refused(f"SQLite database {path}", e) from None
    if scheme in ("postgresql", "postgres"):
        try:
            import psycopg
        except ImportError:
            raise _missing("postgres", "postgres") from None
        try:
            conn = psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True,
                                   connect_timeout=10)
        except Exception as e:
            raise _refused(f"PostgreSQL at {parsed.hostname or 'localhost'}", e) from None
        return PostgresEngine(conn)
    if scheme in ("mysql", "mariadb", "mysql+pymysql"):
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
        return MySQLEngine(conn)
    if scheme in ("chdb", "clickhouse"):
        try:
            from chdb import session as chs
        except ImportError:
            raise _missing("clickhouse (chdb)", "clickhouse") from None
        path = _file_path(parsed)
        tmp = None
        if not path:
            tmp = path = tempfile.mkdtemp(prefix="segql-chdb-")
        try:
            return ClickHouseEngine(chs.Session(path), tmpdir=tmp)
        except Exception as e:
            raise _refused(f"chDB at {path}", e) from None
    if scheme == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError:
            raise _missing("spark", "spark") from None
        if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
            raise SegqlError("E0602", "cannot start Spark: no Java runtime found", hints=["install Java 17"])
        try:
            return SparkEngine(_spark_session())
        except Exception as e:
            raise _refused("a local Spark session", e) from None
    raise SegqlError("E0600", f"unsupported database URL {url!r}",
                     hints=["use duckdb:///path, postgresql://..., mysql://..., sqlite:///path, chdb://, spark://local"])


def dialect_for_url(url: str | None) -> str:
    """The SQL dialect a `--db` URL's engine speaks (the embedded default is DuckDB)."""
    if not url:
        return "duckdb"
    scheme = url.split(":", 1)[0].lower()
    return {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mariadb": "mysql",
            "mysql+pymysql": "mysql", "sqlite": "sqlite", "chdb": "clickhouse", "clickhouse": "clickhouse",
            "spark": "spark"}.get(scheme, "duckdb")
