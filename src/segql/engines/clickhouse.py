"""ClickHouse through chDB (`chdb://` a temporary session, `chdb:///path` a database on disk).

Every column is Nullable; timestamps DateTime64(6, 'UTC'), dates Date32; rows are sent through
ClickHouse's typed query parameters. Tables are `Memory` in a temporary session and `MergeTree` in a
database on disk, so they are still there for the next process.
"""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import tempfile

from segql.engines.base import (
    Engine,
    _check_types,
    _file_path,
    _missing,
    _refused,
    _timed_out,
)
from segql.errors import SegqlError


class ClickHouseEngine(Engine):
    schemes = ("chdb", "clickhouse")
    dialect = "clickhouse"
    paramstyle = "named"  # ClickHouse typed parameters {name:Type}; execute() takes a dict
    transactional = False  # no multi-statement transactions: `refresh` / `list` are refused (E0701)
    TYPES = {"string": "String", "integer": "Int64", "number": "Float64", "boolean": "Bool", "date": "Date32",
             "timestamp": "DateTime64(6, 'UTC')", "instant": "DateTime64(6, 'UTC')"}

    @classmethod
    def open(cls, url, parsed):
        try:
            from chdb import session as chs
        except ImportError:
            raise _missing("clickhouse (chdb)", "clickhouse") from None
        path = _file_path(parsed)
        tmp = None
        if not path:
            tmp = path = tempfile.mkdtemp(prefix="segql-chdb-")
        try:
            return cls(chs.Session(path), tmpdir=tmp)
        except Exception as e:
            raise _refused(f"chDB at {path}", e) from None

    def __init__(self, session, tmpdir=None):
        super().__init__()
        self.session = session
        self._tmpdir = tmpdir

    def execute(self, sql, params=None):
        if params:  # query parameters are read in ClickHouse's escaped text format
            params = {k: _ch_escape(v) if isinstance(v, str) else v for k, v in params.items()}
        try:
            res = self.session.query(sql, "JSONCompactEachRowWithNamesAndTypes", params=params or None)
        except Exception as e:
            self.failures += 1
            if self.timeout and "TIMEOUT_EXCEEDED" in str(e):
                # chDB (4.x) prefixes the next query's output with the stopped one's header: drained here
                self.session.query("SELECT 1", "JSONCompactEachRowWithNamesAndTypes")
                raise _timed_out("ClickHouse", self.timeout) from e
            raise SegqlError("E0604", f"ClickHouse error: {str(e).strip().splitlines()[0]}") from e
        text = res.bytes().decode("utf-8") if hasattr(res, "bytes") else str(res)
        lines = [json.loads(x) for x in text.splitlines() if x.strip()]
        if not lines:
            self.columns = None
            return []
        self.columns, types = lines[0], lines[1]
        return [tuple(_ch_value(t, v) for t, v in zip(types, row)) for row in lines[2:]]

    def set_timeout(self, seconds):
        """The session's `max_execution_time` (seconds; 0 is none)."""
        from sqlglot import exp

        self.execute(f"SET max_execution_time = {exp.Literal.number(float(seconds or 0)).sql()}")
        self.timeout = seconds or None

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
                              if t not in ("timestamp", "instant") else
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
    if t == "instant" and isinstance(v, _dt.datetime) and v.tzinfo is not None:  # stored as UTC
        v = v.astimezone(_dt.UTC).replace(tzinfo=None)
    if t in ("timestamp", "instant") and isinstance(v, _dt.datetime):
        return v.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")  # a 4-digit year
    if isinstance(v, _dt.date):
        return v.isoformat()
    if t == "number":
        return repr(float(v))
    return str(v)


def _ch_escape(v: str) -> str:
    """A string in ClickHouse's escaped text format (how query parameter values are read)."""
    return v.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t") \
        .replace("\r", "\\r").replace("\0", "\\0")


def _ch_array(values) -> str:
    """A ClickHouse Array(Nullable(String)) parameter value (the query-parameter text format)."""
    return "[" + ",".join("NULL" if v is None else f"'{_ch_escape(v)}'" for v in values) + "]"


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
