"""The SDK's engine pool (ops/store/pool.py): engines are reused across calls for one (db, schema), never
across warehouses or schemas, closed after an unclean use and on shutdown; DuckDB and SQLite files are
not held open; pooled engines come back with the session settings they had."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from conftest import EXAMPLES

import segql
from segql import engines
from segql.errors import SegqlError
from segql.ops.store import workbench
from segql.ops.store.pool import EnginePool, pool_key

SCHEMA = str(EXAMPLES / "schema.yml")
TINY = "entities:\n  contacts:\n    table: contacts\n    source: contacts.csv\n    key: id\n    properties: {plan: string}\n"


@pytest.fixture
def opens(monkeypatch):
    """Every engine `engines.connect` opens, in order (the pool's only way to get one)."""
    made = []
    real = engines.connect

    def counting(url=None, **kw):
        engine = real(url, **kw)
        made.append(engine)
        return engine

    monkeypatch.setattr(engines, "connect", counting)
    return made


def _closed(engine) -> bool:
    if engine.dialect == "duckdb":
        try:
            engine.conn.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - duckdb: "Connection already closed"
            return True
        return False
    if engine.dialect == "postgres":
        return engine.conn.closed
    if engine.dialect == "sqlite":
        try:
            engine.conn.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - sqlite3.ProgrammingError: closed
            return True
        return False
    return not engine.conn.open


def test_the_embedded_engine_is_reused_across_sdk_calls(tmp_path, opens):
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA)
    usa = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    vip = segments.create(name="VIP", criteria="is_vip", object_type="contacts")
    first = [c["member_count"] for c in segments.counts([usa.id, vip.id])]
    page = segments.members(usa.id, limit=5, columns=["email"])
    segments.explain(vip.id)
    workbench.preview(segments, criteria="opens >= 5", object_type="contacts", limit=3)
    segments.refresh(vip.id)
    assert len(opens) == 1 and segments.engines.opened == 1  # one engine served all seven
    assert [c["member_count"] for c in segments.counts([usa.id, vip.id])] == first
    assert first[0] == usa.member_count == segments.get(usa.id).member_count and len(page["data"]) == 5
    assert all("email" in row for row in page["data"])
    assert len(opens) == 1
    segments.close()
    assert _closed(opens[0]) and segments.engines.idle() == 0
    segments.counts([usa.id])  # usable after close: opens again
    assert len(opens) == 2
    segments.close()


def test_different_schemas_and_warehouses_never_share(tmp_path, opens):
    """Same file name, different data: each SDK sees its own (SPEC §6: a key never reaches another
    organization's data); keys differ in db URL, schema path, schema text and source files."""
    for name, keep in (("a", 10), ("b", 3)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "contacts.csv").write_text("id,plan\n" + "".join(f"{i},pro\n" for i in range(keep)))
        (folder / "schema.yml").write_text(TINY)
    a = segql.open_store(f"sqlite:///{tmp_path / 'a.db'}", schema=str(tmp_path / "a" / "schema.yml"))
    b = segql.open_store(f"sqlite:///{tmp_path / 'b.db'}", schema=str(tmp_path / "b" / "schema.yml"))
    sa = a.create(name="All", criteria="id >= 0", object_type="contacts")
    sb = b.create(name="All", criteria="id >= 0", object_type="contacts")
    for _ in range(2):
        assert a.counts([sa.id])[0]["member_count"] == 10
        assert b.counts([sb.id])[0]["member_count"] == 3
    assert len(opens) == 2 and a.engines.opened == b.engines.opened == 1
    # one pool, two keys: never the same engine
    pool = EnginePool()
    with pool.engine(None, a.schema) as ea:
        pass
    with pool.engine(None, b.schema) as eb:
        assert eb is not ea
    with pool.engine(None, a.schema) as again:
        assert again is ea
    pool.close()
    schema = a.schema
    assert len({pool_key(None, schema), pool_key("postgresql://x/one", schema), pool_key("postgresql://x/two", schema),
                pool_key(None, b.schema)}) == 4
    (tmp_path / "a" / "schema.yml").write_text((tmp_path / "a" / "schema.yml").read_text() + "timezone: UTC\n")
    edited = segql.load_schema(str(tmp_path / "a" / "schema.yml"))
    assert pool_key(None, edited) != pool_key(None, schema)  # same path, other text
    assert pool_key(None, segql.load_schema(str(tmp_path / "b" / "schema.yml"))) == pool_key(None, b.schema)
    a.close()
    b.close()


def test_a_changed_source_file_is_not_read_through_an_old_engine(tmp_path, opens):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "contacts.csv").write_text("id,plan\n1,pro\n2,free\n")
    (folder / "schema.yml").write_text(TINY)
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=str(folder / "schema.yml"))
    s = segments.create(name="Pro", criteria='plan = "pro"', object_type="contacts")
    assert segments.counts([s.id])[0]["member_count"] == 1
    # new columns too: a view created over the old file would fail to bind
    (folder / "contacts.csv").write_text("id,plan,extra\n1,pro,x\n2,pro,y\n3,pro,z\n")
    assert segments.counts([s.id])[0]["member_count"] == 3
    assert len(opens) == 2
    segments.close()


def test_an_engine_is_discarded_after_an_error(tmp_path, opens):
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA)
    with pytest.raises(SegqlError), segments.engine() as engine:
        engine.execute("SELECT * FROM no_such_table")
    assert _closed(opens[-1]) and segments.engines.idle() == 0
    with segments.engine() as engine:  # a failed statement the caller caught: not a clean use either
        try:
            engine.execute("SELECT * FROM no_such_table")
        except SegqlError:
            pass
    assert len(opens) == 2 and _closed(opens[-1]) and segments.engines.idle() == 0
    with pytest.raises(ZeroDivisionError), segments.engine():  # any exception in the body
        1 / 0  # noqa: B018
    assert len(opens) == 3 and _closed(opens[-1])
    with segments.engine() as engine:  # a transaction that did not end
        engine.execute("BEGIN TRANSACTION")
    assert len(opens) == 4 and _closed(opens[-1]) and segments.engines.idle() == 0
    with segments.engine() as engine:
        engine.execute("SELECT 1")
    with segments.engine() as again:
        assert again is engine
    assert len(opens) == 5
    segments.close()


def test_file_databases_are_not_held_open(tmp_path, opens):
    """A DuckDB file stays one engine per operation: another process can take its write lock between
    requests (`segql refresh --db duckdb:///x.db`); SQLite files likewise."""
    from test_operations import load_demo

    path = tmp_path / "w.duckdb"
    eng = engines.DuckDBEngine(__import__("duckdb").connect(str(path)))
    load_demo(eng)
    eng.close()
    for url in (f"duckdb:///{path}", f"sqlite:///{tmp_path / 'w.sqlite'}"):
        if url.startswith("sqlite"):
            eng = engines.connect(url)
            load_demo(eng)
            eng.close()
        before = len(opens)
        segments = segql.open_store(f"sqlite:///{tmp_path / 'store.db'}", schema=SCHEMA, db=url)
        s = workbench.create_counted(segments, name=f"USA {url[:6]}", criteria='country = "USA"', object_type="contacts")
        segments.counts([s.id])
        segments.counts([s.id])
        assert len(opens) - before == 3 and segments.engines.idle() == 0  # create's count, then two
        assert all(_closed(e) for e in opens[before:])
        segments.close()
    # another process writes the DuckDB file now
    code = f"import duckdb; duckdb.connect({str(path)!r}).execute('CREATE TABLE other (x INTEGER)')"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_threads_never_share_an_engine(tmp_path, opens, monkeypatch):
    """The service runs requests in a thread pool: a borrowed engine is used by one thread at a time."""
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA)
    s = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    want = s.member_count
    holders: dict[int, int] = {}
    overlap = []
    guard = threading.Lock()
    real = engines.DuckDBEngine.execute

    def execute(self, sql, params=None):
        with guard:
            if holders.get(id(self), threading.get_ident()) != threading.get_ident():
                overlap.append(id(self))
            holders[id(self)] = threading.get_ident()
        try:
            return real(self, sql, params)
        finally:
            with guard:
                holders.pop(id(self), None)

    monkeypatch.setattr(engines.DuckDBEngine, "execute", execute)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(segments.counts([s.id])[0]["member_count"])
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and overlap == [] and results == [want] * 40
    assert segments.engines.idle() <= segments.engines.size
    segments.close()


def test_the_service_closes_its_engines_on_shutdown(tmp_path, opens):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from segql.ops.service.app import create_app
    from segql.ops.store.keys import KeyStore

    store = f"sqlite:///{tmp_path / 's.db'}"
    segments = segql.open_store(store, schema=SCHEMA)
    raw, _ = KeyStore.open(store).create("org", ["read:segments", "write:segments"])
    headers = {"Authorization": f"Bearer {raw}"}
    with TestClient(create_app(segments, deliver_webhooks=False)) as client:
        made = client.post("/v1/segments", headers=headers,
                           json={"name": "USA", "criteria": 'country = "USA"', "object_type": "contacts"})
        assert made.status_code == 201, made.text
        for _ in range(3):
            r = client.post("/v1/segments/counts", headers=headers, json={"ids": ["usa"]})
            assert r.json()["data"][0]["member_count"] == made.json()["member_count"]
        assert client.get("/v1/segments/usa/members?columns=email", headers=headers).status_code == 200
        assert len(opens) == 1 and segments.engines.idle() == 1
    assert segments.engines.idle() == 0 and _closed(opens[0])


def test_execute_bounded_leaves_a_pooled_duckdb_as_it_found_it():
    schema = segql.load_schema(SCHEMA)
    pool = EnginePool()
    with pool.engine(None, schema) as engine:
        limit = engine.execute("SELECT current_setting('memory_limit')")[0][0]
        assert engine.execute_bounded("SELECT COUNT(*) FROM contacts", "10MB")[0][0] > 0
    with pool.engine(None, schema) as again:
        assert again is engine
        assert again.execute("SELECT current_setting('memory_limit')")[0][0] == limit
    pool.close()
    assert _closed(engine)


# ---- server warehouses ------------------------------------------------------------------------------
@pytest.fixture(params=["postgres", "mysql"])
def warehouse(request, tmp_path):
    """A demo warehouse on PostgreSQL (its own schema) or MariaDB (the test database)."""
    from conftest_engines import engine_url
    from test_operations import drop_postgres_schema, load_demo, postgres_url_in_schema

    name = f"segql_pool_{os.getpid()}"
    url = postgres_url_in_schema(name) if request.param == "postgres" else engine_url("mysql")
    eng = engines.connect(url)
    for table in ("segql_membership", "segql_membership_events", "segql_refreshes", "contacts", "deals",
                  "organizations", "events", "list_members"):
        eng.execute(f"DROP TABLE IF EXISTS {table}")
    load_demo(eng)
    eng.close()
    yield url
    if request.param == "postgres":
        drop_postgres_schema(name)


def _session(engine) -> dict:
    if engine.dialect == "postgres":
        row = engine.execute("SELECT current_setting('jit'), current_setting('work_mem'), "
                             "(SELECT COUNT(*) FROM pg_tables WHERE schemaname LIKE 'pg_temp%' "
                             "AND tablename LIKE 'segql%')")[0]
        prepared = engine.execute("SELECT COUNT(*) FROM pg_prepared_statements")[0][0]  # this session's
        return {"jit": row[0], "work_mem": row[1], "temp_tables": row[2], "prepared": prepared}
    # the named lock is server-wide (other sessions may hold it): is it held by this one?
    row = engine.execute("SELECT @@session.time_zone, COALESCE(IS_USED_LOCK('segql_refresh') = CONNECTION_ID(), 0), "
                         "@@in_transaction")[0]
    return {"time_zone": row[0], "holds_lock": row[1], "in_transaction": row[2]}


def test_a_pooled_server_engine_is_reused_and_left_as_found(warehouse, tmp_path, opens):
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA, db=warehouse)
    with segments.engine() as engine:
        before = _session(engine)
    s = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    segments.refresh(s.id)  # a transaction; PostgreSQL raises work_mem inside it, MariaDB takes a named lock
    segments.counts([s.id])  # PostgreSQL: jit off for the statement, then back
    segments.members(s.id, columns=["email"])
    segments.explain(s.id)
    for _ in range(6):
        segments.counts([s.id])
    with segments.engine() as again:
        assert again is engine
        assert _session(again) == before
        if again.dialect == "mysql":
            again.execute("CREATE TEMPORARY TABLE segql_refresh_diff (x INTEGER)")  # dropped by refresh: absent
            again.execute("DROP TEMPORARY TABLE segql_refresh_diff")
    assert len(opens) == 1
    with segments.engine() as engine:  # a transaction left open: not kept
        engine.execute("BEGIN")
    assert segments.engines.idle() == 0 and _closed(engine)
    segments.close()


def test_a_dead_pooled_connection_is_replaced(warehouse, tmp_path, opens):
    """The server ended the connection while it sat in the pool: the next call pings it, opens a new
    one and answers (no error reaches the caller)."""
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA, db=warehouse)
    s = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    with segments.engine() as engine:
        pid = engine.execute("SELECT pg_backend_pid()" if engine.dialect == "postgres" else "SELECT CONNECTION_ID()")[0][0]
    admin = engines.connect(warehouse)
    admin.execute(f"SELECT pg_terminate_backend({int(pid)})" if admin.dialect == "postgres" else f"KILL {int(pid)}")
    admin.close()
    assert segments.counts([s.id])[0]["member_count"] == s.member_count
    assert segments.engines.opened == 2 and _closed(opens[0])
    segments.close()
