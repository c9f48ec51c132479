"""What every engine shares: the `Engine` interface, the DB-API adapter, the registry of URL schemes,
and the diagnostics for missing drivers (E0601), refused connections (E0602), bad column types (E0603),
rejected queries (E0604) and statements stopped by the query timeout (E0606).

An engine module (duckdb.py, postgres.py, …) defines one `Engine` subclass that declares its URL `schemes`,
its `dialect`, whether it has transactions and what segql's state tables need on it; defining it registers
it (`SCHEMES`). Drivers are imported lazily in `open` (the CLI's start-up time matters).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from segql.errors import SegqlError

SCHEMES: dict[str, type] = {}  # URL scheme -> Engine subclass, filled by Engine.__init_subclass__
SEGQL_TYPES = ("string", "integer", "number", "boolean", "date", "timestamp", "instant")  # instant: a zoned type;
# its values are aware datetimes

def _missing(driver: str, extra: str):
    return SegqlError("E0601", f"the {driver} driver is not installed", hints=[f"pip install 'segql[{extra}]'"])


def _refused(what: str, exc: Exception):
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return SegqlError("E0602", f"cannot connect to {what}: {msg}")


def _query_error(label: str, exc: Exception):
    """A query the database rejected (a missing table, a type error …): E0604, never a traceback."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return SegqlError("E0604", f"{label} error: {msg}")


def _timed_out(label: str, seconds: float):
    return SegqlError("E0606", f"{label} stopped the statement after the query timeout of {seconds:g} s",
                      hints=["narrow the segment or refresh it outside the request (segql refresh)",
                             "or raise the timeout (--query-timeout, open_store(query_timeout=…))"])


class _Interrupter:
    """A query timeout for an in-process engine without one of its own (DuckDB, SQLite): a timer calls the
    driver's thread-safe `interrupt()` when a statement outlives `seconds`; `fired` tells the statement's
    error apart from any other."""

    def __init__(self, conn, seconds: float | None):
        self.conn, self.seconds, self.fired, self._timer = conn, seconds, False, None

    def __enter__(self):
        if self.seconds:
            import threading

            self.fired = False
            self._timer = threading.Timer(self.seconds, self._interrupt)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _interrupt(self):
        self.fired = True
        self.conn.interrupt()

    def __exit__(self, *exc):
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join()
            self._timer = None


def _check_types(columns: dict):
    for name, t in columns.items():
        if t not in SEGQL_TYPES:
            raise SegqlError("E0603", f"column {name!r} has unknown type {t!r}; expected one of {SEGQL_TYPES}")



@dataclass(frozen=True)
class Column:
    """A column as the catalogue describes it: `type` is the engine's own spelling (`timestamp with time
    zone`, `tinyint(1)`, `VARCHAR[]`), classified into segql's types by ops/introspect.py."""

    name: str
    type: str


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str  # the referenced table; qualified (`other.t`) when it lives in another schema
    remote: tuple[str, ...]  # the referenced columns, in the order of `columns`


@dataclass
class Table:
    """One table or view of the catalogue: what `segql schema init` and `check --db` read."""

    name: str
    columns: list[Column] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[ForeignKey] = field(default_factory=list)


def group_tables(column_rows, key_rows) -> list[Table]:
    """Tables from catalogue rows: `(table, column, type)` in column order, and `(table, kind, columns,
    referenced table, referenced columns)` with kind "p" (primary key) or "f" (foreign key); sorted by name."""
    tables: dict[str, Table] = {}
    for table, column, ctype in column_rows:
        tables.setdefault(table, Table(table)).columns.append(Column(column, str(ctype)))
    for table, kind, columns, ref_table, ref_columns in key_rows:
        if table not in tables:
            continue
        if kind == "p":
            tables[table].primary_key = tuple(columns)
        elif kind == "f":
            tables[table].foreign_keys.append(ForeignKey(tuple(columns), ref_table, tuple(ref_columns or ())))
    return [tables[n] for n in sorted(tables)]


class Engine:
    """A connection; subclasses adapt one driver, one module each, and declare the facts below."""

    schemes: tuple = ()  # URL schemes that connect here (`postgresql`, `postgres`); registers the class
    dialect = ""  # the registered segql dialect the engine speaks
    paramstyle = "qmark"
    transactional = False  # explicit transactions: `segql refresh` / `segql list` need them (else E0701)
    begin_sql = "BEGIN"  # the statement that starts a transaction
    drop_temporary_sql = "DROP TABLE"  # drops a temporary table inside a transaction without ending it
    # DDL types of segql's state tables (ops/refresh.py): text keys, timestamps, counts
    state_types = {"text": "TEXT", "timestamp": "TIMESTAMP", "int": "BIGINT"}
    # the membership table's PRIMARY KEY (segment, member_key): refresh keeps rows unique by itself (one
    # refresh at a time, each writing only keys not already there); the key serves member lookups
    state_primary_key = True
    # kept open between the SDK's operations (ops/store/pool.py): only where a long-lived connection changes
    # nothing a user sees (a server database; not a file another process may want to lock)
    poolable = False
    failures = 0  # statements that raised on this connection (a pool keeps only engines used cleanly)
    timeout: float | None = None  # seconds a statement may run (`set_timeout`); None: no limit
    in_transaction = False  # set by ops.refresh.Db between its BEGIN and COMMIT/ROLLBACK

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        for scheme in cls.__dict__.get("schemes", ()):
            if SCHEMES.get(scheme, cls) is not cls:
                raise TypeError(f"URL scheme {scheme!r} is claimed by {SCHEMES[scheme].__name__} and {cls.__name__}")
            SCHEMES[scheme] = cls

    @classmethod
    def open(cls, url: str, parsed) -> "Engine":
        """Connect to `url` (`parsed` is its urlparse result); drivers are imported here, lazily."""
        raise NotImplementedError

    def __init__(self):
        self.columns: list[str] | None = None

    def execute(self, sql: str, params=None) -> list[tuple]:
        raise NotImplementedError

    def create_table(self, name: str, columns: dict, rows: list) -> None:
        raise NotImplementedError

    def execute_bounded(self, sql: str, memory_limit: str | None) -> list[tuple]:
        """Run a wide batch statement (`segql counts`) within `memory_limit` of working memory where the
        engine can be told so in-process (DuckDB); a server manages its own memory."""
        return self.execute(sql)

    def close(self) -> None:
        pass

    def set_timeout(self, seconds: float | None) -> None:
        """Stop every later statement that runs longer than `seconds` (E0606): the service's bound on the
        warehouse work of one request. An engine that cannot stop a statement refuses (E0600)."""
        if seconds:
            raise SegqlError("E0600", f"{type(self).__name__.removesuffix('Engine')} has no query timeout "
                             "segql can set", hints=["leave out the query timeout for this warehouse"])

    def pooled(self) -> None:
        """Called once when a pool decides to keep this engine between operations."""

    def ping(self, timeout: float | None = None) -> None:
        """Raise if the connection is gone (a pool asks before lending an idle engine out again); a
        server engine also raises when no answer came within `timeout` seconds (a connection a NAT or
        load balancer forgot without a reset would otherwise wait for TCP's retries, ~15 minutes)."""

    def reusable(self) -> bool:
        """After a use: whether the connection is as a new one would be (open, no transaction)."""
        return not self.in_transaction

    # the catalogue (segql schema init, check --db): names fold to one case when quoted?
    fold_tables = False  # a quoted table name matches another case (DuckDB, SQLite)
    fold_columns = False  # a quoted column name matches another case (DuckDB, SQLite, MySQL)

    def tables(self, schema: str | None = None) -> list[Table]:
        """The tables and views of `schema` (None: the connection's current schema or database) with
        their columns, primary and foreign keys, sorted by name."""
        raise SegqlError("E0824", f"reading the catalogue of {type(self).__name__.removesuffix('Engine')} "
                         "is not supported yet", hints=["use DuckDB, PostgreSQL, SQLite or MySQL/MariaDB"])

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

    interrupts = False  # the query timeout is a timer calling the driver's `interrupt()` (in-process engines)

    def execute(self, sql, params=None):
        rows = self.execute_uncommitted(sql, params)
        self._commit()
        return rows

    def execute_uncommitted(self, sql, params=None):
        """`execute` without the commit a driver that opens transactions by itself needs (SQLite): for
        statements inside a transaction segql began (ops/refresh.py)."""
        cur = self.conn.cursor()
        with _Interrupter(self.conn, self.timeout if self.interrupts else None) as timer:
            try:
                if params is None:
                    cur.execute(sql)
                else:
                    cur.execute(sql, params)
                self.columns = [d[0] for d in cur.description] if cur.description else None
                rows = [tuple(r) for r in cur.fetchall()] if cur.description else []
            except Exception as e:
                self.failures += 1
                if self.timeout and (timer.fired or self._is_timeout(e)):
                    raise _timed_out(self.label, self.timeout) from e
                raise _query_error(self.label, e) from e
            finally:
                cur.close()
        return rows

    def _is_timeout(self, exc: Exception) -> bool:
        """Whether the driver's error is the server stopping the statement at its timeout."""
        return False

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



def _file_path(parsed) -> str | None:
    """SQLAlchemy's convention: `sqlite:///relative.db` (three slashes) is relative to the current directory,
    `sqlite:////abs/path.db` (four) is absolute; the same for duckdb:// and chdb://."""
    path = unquote(parsed.path)
    if parsed.netloc:
        return unquote(parsed.netloc) + path
    if path.startswith("/"):
        path = path[1:]
    return path or None
