"""BigQuery SQL executed on GoogleSQL's reference implementation, for tests (tests/test_bigquery.py).

PyPI `zetasql` ships Google's ZetaSQL analyzer and reference evaluator compiled to WebAssembly and runs it
with wasmtime. Two costs of the package as shipped are avoided here, by talking to the layer below its API
(the `ZetaSqlLocalService_*` exports, which take and return serialized protobufs):

- it compiles its 28 MB module in every process (60–100 s on 2 cores): the compiled module is serialized
  once into the user's cache folder (`$XDG_CACHE_HOME/segql`, else `~/.cache/segql`) and mapped back in
  milliseconds by later processes (`Module.deserialize_file`);
- its Python request conversion (dataclass → protobuf, and byte-by-byte copies into WebAssembly memory)
  dominated every query: tables are sent once (`RegisterCatalog` with their contents) and each query is one
  small `EvaluateQuery` request naming the registered catalog; memory is copied with `ctypes.memmove`.

`ZetaSQLEngine` quacks like a `segql.engines.Engine` (`dialect`, `create_table`, `execute`, `close`), so
the conformance suite's helpers run on it unchanged. The language is ZetaSQL with every released feature in
PRODUCT_EXTERNAL mode (BigQuery's type names), the default time zone UTC (the package's default is
America/Los_Angeles; `ZetaSQLEngine(timezone=…)` sets another, as a BigQuery session's zone would), segql's
`timestamp` columns are `DATETIME` (naive wall clock, as segql's BigQuery dialect reads them) and its
`instant` columns `TIMESTAMP` (values: aware datetimes).
"""
from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import hashlib
import importlib.metadata
import os
from pathlib import Path

from google.protobuf import empty_pb2, timestamp_pb2
from wasmtime import Config, Engine, Linker, Module, Store, WasiConfig
from zetasql.core.exceptions import ServerError
from zetasql.core.wasm_client import get_tzinfo_dir
from zetasql.wasi import get_wasm_path
from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls
from zetasql.wasi._pb2.zetasql.proto import options_pb2, simple_catalog_pb2
from zetasql.wasi._pb2.zetasql.public import options_pb2 as public_options_pb2
from zetasql.wasi._pb2.zetasql.public import simple_table_pb2, type_pb2, value_pb2

from segql.errors import SegqlError

_EPOCH = dt.date(1970, 1, 1)
_TYPES = {"string": type_pb2.TYPE_STRING, "integer": type_pb2.TYPE_INT64, "number": type_pb2.TYPE_DOUBLE,
          "boolean": type_pb2.TYPE_BOOL, "date": type_pb2.TYPE_DATE, "timestamp": type_pb2.TYPE_DATETIME,
          "instant": type_pb2.TYPE_TIMESTAMP}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "segql"


def _engine() -> Engine:
    config = Config()
    with contextlib.suppress(AttributeError):  # as the package does: its module uses shared memory
        config.shared_memory = True
    return Engine(config)


def compiled_module(engine: Engine) -> tuple[Module, bool]:
    """(the compiled zetasql module, whether it came from the cache). The cache file is keyed by the wasm
    file's digest and wasmtime's version (a serialized module only loads into the wasmtime that made it)."""
    wasm = Path(get_wasm_path())
    digest = hashlib.sha256(wasm.read_bytes()).hexdigest()[:16]
    path = cache_dir() / f"zetasql-{digest}-wasmtime{importlib.metadata.version('wasmtime')}.cwasm"
    if path.exists():
        with contextlib.suppress(Exception):  # a stale or truncated file: compile again below
            return Module.deserialize_file(engine, str(path)), True
    module = Module.from_file(engine, str(wasm))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(module.serialize())
    os.replace(tmp, path)  # atomic: a concurrent run reads a whole file or none
    return module, False


class _Wasm:
    """One instance of the zetasql module; `call(name, request, response_type)` is one local-service RPC."""

    def __init__(self):
        wasi = WasiConfig()
        wasi.inherit_stdout()
        wasi.inherit_stderr()
        tz = get_tzinfo_dir()
        if tz is None:  # pragma: no cover - tzdata is a dependency of zetasql
            raise RuntimeError("zetasql needs the tzdata package for time zones")
        wasi.preopen_dir(tz, "/usr/share/zoneinfo")
        engine = _engine()
        self.store = Store(engine)
        self.store.set_wasi(wasi)
        self.module, self.cached = compiled_module(engine)
        linker = Linker(engine)
        linker.define_wasi()
        instance = linker.instantiate(self.store, self.module)
        self.exports = instance.exports(self.store)
        with contextlib.suppress(KeyError):
            self.exports["_initialize"](self.store)
        self.memory = self.exports["memory"]

    def _base(self) -> int:
        return ctypes.addressof(self.memory.data_ptr().contents)

    def call(self, name: str, request, response_type):
        data = request.SerializeToString()
        malloc, free = self.exports["wasm_malloc"], self.exports["wasm_free"]
        req = malloc(self.store, max(len(data), 1))
        size_ptr = malloc(self.store, 4)
        try:
            ctypes.memmove(self._base() + req, data, len(data))
            resp = self.exports[f"ZetaSqlLocalService_{name}"](self.store, req, len(data), size_ptr)
            if resp == 0:
                n = self.exports["wasm_get_last_error_size"](self.store)
                err = self.exports["wasm_get_last_error"](self.store)
                raise ServerError.from_error_string(ctypes.string_at(self._base() + err, n).decode("utf-8"))
            size = int.from_bytes(ctypes.string_at(self._base() + size_ptr, 4), "little")
            out = ctypes.string_at(self._base() + resp, size)
            free(self.store, resp)
        finally:
            free(self.store, req)
            free(self.store, size_ptr)
        return response_type.FromString(out)


_SHARED: _Wasm | None = None


def shared_wasm() -> _Wasm:
    """This process's first instance of the module, for every test that needs one (test_bigquery.py, the
    differential suite's BigQuery runs: one xdist group, so one worker): instantiating costs ~0.3 s even
    from the cache, and each engine on it registers and unregisters a catalog of its own."""
    global _SHARED
    if _SHARED is None:
        _SHARED = _Wasm()
    return _SHARED


def _value(kind: str, v) -> value_pb2.ValueProto:
    if v is None:
        return value_pb2.ValueProto()  # an empty ValueProto is NULL of the column's type
    if kind == "string":
        return value_pb2.ValueProto(string_value=v)
    if kind == "integer":
        return value_pb2.ValueProto(int64_value=int(v))
    if kind == "number":
        return value_pb2.ValueProto(double_value=float(v))
    if kind == "boolean":
        return value_pb2.ValueProto(bool_value=bool(v))
    if kind == "date":
        return value_pb2.ValueProto(date_value=(v - _EPOCH).days)
    if kind == "timestamp":  # ZetaSQL's packed civil time: year|month|day|hour|minute|second, LSB last
        packed = (v.year << 26 | v.month << 22 | v.day << 17 | v.hour << 12 | v.minute << 6 | v.second)
        return value_pb2.ValueProto(datetime_value=value_pb2.ValueProto.Datetime(
            bit_field_datetime_seconds=packed, nanos=v.microsecond * 1000))
    if kind == "instant":
        micros = (v - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        return value_pb2.ValueProto(timestamp_value=timestamp_pb2.Timestamp(
            seconds=micros // 1_000_000, nanos=micros % 1_000_000 * 1000))
    raise ValueError(kind)


def _python(v: value_pb2.ValueProto):
    field = v.WhichOneof("value")
    if field is None:
        return None
    if field in ("int64_value", "string_value", "bool_value", "double_value", "int32_value"):
        return getattr(v, field)
    raise NotImplementedError(f"result values of kind {field}")


class ZetaSQLEngine:
    """Tables in memory, BigQuery-dialect SQL evaluated by ZetaSQL's reference implementation. Engines made
    with `ZetaSQLEngine(other.wasm)` share one WebAssembly instance (one catalog each)."""

    dialect = "bigquery"

    def __init__(self, wasm: _Wasm | None = None, timezone: str = "UTC"):
        self.wasm = wasm or _Wasm()
        self.timezone = timezone  # the default zone (a BigQuery session's @@time_zone)
        self.tables: dict[str, tuple[dict, list]] = {}
        self.catalog_id: int | None = None

    @property
    def language(self) -> options_pb2.LanguageOptionsProto:
        if not hasattr(self.wasm, "language"):
            lang = self.wasm.call("GetLanguageOptions", ls.LanguageOptionsRequest(maximum_features=True),
                                  options_pb2.LanguageOptionsProto)
            lang.product_mode = public_options_pb2.PRODUCT_EXTERNAL  # BigQuery's type names (FLOAT64 …)
            self.wasm.language = lang
        return self.wasm.language

    @property
    def options(self) -> options_pb2.AnalyzerOptionsProto:
        if not hasattr(self.wasm, "options"):
            self.wasm.options = {}
        if self.timezone not in self.wasm.options:  # the package's default zone is America/Los_Angeles
            self.wasm.options[self.timezone] = options_pb2.AnalyzerOptionsProto(
                language_options=self.language, default_timezone=self.timezone, prune_unused_columns=True)
        return self.wasm.options[self.timezone]

    def create_table(self, name: str, columns: dict, rows: list) -> None:
        self.tables[name] = (dict(columns), list(rows))
        self._unregister()

    def _unregister(self):
        if self.catalog_id is not None:
            self.wasm.call("UnregisterCatalog", ls.UnregisterRequest(registered_id=self.catalog_id),
                           empty_pb2.Empty)
            self.catalog_id = None

    def _register(self) -> int:
        catalog = simple_catalog_pb2.SimpleCatalogProto(name="segql")
        catalog.builtin_function_options.language_options.CopyFrom(self.language)
        content = {}
        for name, (columns, rows) in self.tables.items():
            catalog.table.append(simple_table_pb2.SimpleTableProto(name=name, column=[
                simple_table_pb2.SimpleColumnProto(name=c, type=type_pb2.TypeProto(type_kind=_TYPES[t]))
                for c, t in columns.items()]))
            kinds = list(columns.values())
            content[name] = ls.TableContent(table_data=ls.TableData(row=[
                ls.TableData.Row(cell=[_value(k, v) for k, v in zip(kinds, r)]) for r in rows]))
        resp = self.wasm.call("RegisterCatalog", ls.RegisterCatalogRequest(simple_catalog=catalog,
                                                                           table_content=content),
                              ls.RegisterResponse)
        return resp.registered_id

    def execute(self, sql: str, params=None) -> list[tuple]:
        if params is not None:
            raise NotImplementedError("bind parameters")
        if self.catalog_id is None:
            self.catalog_id = self._register()
        try:
            resp = self.wasm.call("EvaluateQuery", ls.EvaluateQueryRequest(
                sql=sql, options=self.options, registered_catalog_id=self.catalog_id), ls.EvaluateQueryResponse)
        except ServerError as e:  # as a segql engine reports a rejected query (E0604)
            raise SegqlError("E0604", f"zetasql error: {e}") from e
        return [tuple(_python(c) for c in row.cell) for row in resp.content.table_data.row]

    def close(self) -> None:
        self._unregister()
