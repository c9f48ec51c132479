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
from segql.ops import refresh
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
    with pytest.raises(SegqlError), segments.engine(pooled=True) as engine:
        engine.execute("SELECT * FROM no_such_table")
    assert _closed(opens[-1]) and segments.engines.idle() == 0
    with segments.engine(pooled=True) as engine:  # a failed statement the caller caught: not a clean use either
        try:
            engine.execute("SELECT * FROM no_such_table")
        except SegqlError:
            pass
    assert len(opens) == 2 and _closed(opens[-1]) and segments.engines.idle() == 0
    with pytest.raises(ZeroDivisionError), segments.engine(pooled=True):  # any exception in the body
        1 / 0  # noqa: B018
    assert len(opens) == 3 and _closed(opens[-1])
    with segments.engine(pooled=True) as engine:  # a transaction that did not end
        engine.execute("BEGIN TRANSACTION")
    assert len(opens) == 4 and _closed(opens[-1]) and segments.engines.idle() == 0
    with segments.engine(pooled=True) as engine:
        engine.execute("SELECT 1")
    with segments.engine(pooled=True) as again:
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
    row = engine.execute(f"SELECT @@session.time_zone, COALESCE(IS_USED_LOCK({refresh.LOCK_KEY}) = CONNECTION_ID(), 0), "
                         "@@in_transaction")[0]
    return {"time_zone": row[0], "holds_lock": row[1], "in_transaction": row[2]}


def test_a_pooled_server_engine_is_reused_and_left_as_found(warehouse, tmp_path, opens):
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA, db=warehouse)
    with segments.engine(pooled=True) as engine:
        before = _session(engine)
    s = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    segments.refresh(s.id)  # a transaction; PostgreSQL raises work_mem inside it, MariaDB takes a named lock
    segments.counts([s.id])  # PostgreSQL: jit off for the statement, then back
    segments.members(s.id, columns=["email"])
    segments.explain(s.id)
    for _ in range(6):
        segments.counts([s.id])
    with segments.engine(pooled=True) as again:
        assert again is engine
        assert _session(again) == before
        if again.dialect == "mysql":
            again.execute("CREATE TEMPORARY TABLE segql_refresh_diff (x INTEGER)")  # dropped by refresh: absent
            again.execute("DROP TEMPORARY TABLE segql_refresh_diff")
    assert len(opens) == 1
    with segments.engine(pooled=True) as engine:  # a transaction left open: not kept
        engine.execute("BEGIN")
    assert segments.engines.idle() == 0 and _closed(engine)
    segments.close()


def test_a_dead_pooled_connection_is_replaced(warehouse, tmp_path, opens):
    """The server ended the connection while it sat in the pool: the next call pings it, opens a new
    one and answers (no error reaches the caller)."""
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA, db=warehouse)
    s = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    with segments.engine(pooled=True) as engine:
        pid = engine.execute("SELECT pg_backend_pid()" if engine.dialect == "postgres" else "SELECT CONNECTION_ID()")[0][0]
    admin = engines.connect(warehouse)
    admin.execute(f"SELECT pg_terminate_backend({int(pid)})" if admin.dialect == "postgres" else f"KILL {int(pid)}")
    admin.close()
    assert segments.counts([s.id])[0]["member_count"] == s.member_count
    assert segments.engines.opened == 2 and _closed(opens[0])
    segments.close()


# ---- adversarial review (poolreview): tenancy, state left by a borrower, faults, concurrency -------------
def _parquet_org(folder, rows: int):
    """A one-table warehouse of `rows` pro contacts in a Parquet file, and its schema."""
    import duckdb

    folder.mkdir(exist_ok=True)
    tmp = folder / "next.parquet"
    duckdb.connect().execute(f"COPY (SELECT range AS id, 'pro' AS plan FROM range({int(rows)})) "
                             f"TO '{tmp.as_posix()}' (FORMAT parquet)")
    os.replace(tmp, folder / "contacts.parquet")
    (folder / "schema.yml").write_text(TINY.replace("contacts.csv", "contacts.parquet"))
    return str(folder / "schema.yml")


def _run_threads(fn, n: int) -> list:
    errors = []

    def work(i):
        try:
            fn(i)
        except Exception as err:  # noqa: BLE001 - reported by the assertion
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "deadlock"
    return errors


def test_two_parquet_organizations_alternately_and_concurrently(tmp_path):
    """SPEC §6: two organizations (two SDKs, same file names, other folders) used from many threads at
    once, and one of them sharing an SDK's pool via `engine(None)`: every answer from its own files; then
    a Parquet file replaced between operations is what the next answer reads."""
    orgs = {}
    for name, rows in (("a", 7), ("b", 3)):
        sdk = segql.open_store(f"sqlite:///{tmp_path / (name + '.db')}", schema=_parquet_org(tmp_path / name, rows))
        orgs[name] = (sdk, sdk.create(name="All", criteria='plan = "pro"', object_type="contacts"), rows)
    seen = []

    def work(i):
        for j in range(6):
            sdk, seg, rows = orgs["ab"[(i + j) % 2]]
            got = sdk.counts([seg.id])[0]["member_count"]
            seen.append((got, rows))

    assert _run_threads(work, 6) == []
    assert len(seen) == 36 and all(got == want for got, want in seen)
    a, seg, _ = orgs["a"]
    _parquet_org(tmp_path / "a", 11)  # replaced (a new file renamed over it) between two operations
    assert a.counts([seg.id])[0]["member_count"] == 11
    assert a.refresh(seg.id).member_count == 11
    for sdk, _, _ in orgs.values():
        sdk.close()
        assert sdk.engines.idle() == 0


def test_server_tenants_never_share(tmp_path):
    """Two PostgreSQL warehouses (two schemas: search_path in the URL) used alternately and from threads;
    the same URL with other credentials or options never gets the other's engine."""
    from conftest_engines import engine_url
    from test_operations import drop_postgres_schema, postgres_url_in_schema

    urls = {}
    for name, rows in (("a", 5), ("b", 2)):
        url = urls[name] = postgres_url_in_schema(f"segql_pooltenant_{name}_{os.getpid()}")
        eng = engines.connect(url)
        eng.create_table("contacts", {"id": "integer", "plan": "string"}, [(i, "pro") for i in range(rows)])
        eng.close()
    try:
        schema = str(tmp_path / "schema.yml")
        (tmp_path / "schema.yml").write_text(TINY.replace("    source: contacts.csv\n", ""))
        orgs = {}
        for name, rows in (("a", 5), ("b", 2)):
            sdk = segql.open_store(f"sqlite:///{tmp_path / (name + '.db')}", schema=schema, db=urls[name])
            orgs[name] = (sdk, sdk.create(name="All", criteria='plan = "pro"', object_type="contacts"), rows)
        seen = []

        def work(i):
            for j in range(5):
                sdk, seg, rows = orgs["ab"[(i + j) % 2]]
                seen.append((sdk.counts([seg.id])[0]["member_count"], rows))

        assert _run_threads(work, 6) == [] and len(seen) == 30
        assert all(got == want for got, want in seen)
        # one pool, same server: other schema (options), other credentials -> other engines
        base = engine_url("postgres")
        other_user = base.replace("postgres@", "postgres:anything@", 1)  # trust: the password is ignored
        pool = EnginePool()
        sch = segql.load_schema(schema)
        got = {}
        for url in (urls["a"], urls["b"], base, other_user):
            with pool.engine(url, sch) as e:
                got[url] = e
                if url in urls.values():
                    assert e.execute("SELECT COUNT(*) FROM contacts")[0][0] == (5 if url == urls["a"] else 2)
        assert len({id(e) for e in got.values()}) == 4
        with pool.engine(urls["b"], sch) as e:
            assert e is got[urls["b"]] and e.execute("SELECT COUNT(*) FROM contacts")[0][0] == 2
        pool.close()
        assert all(e.conn.closed for e in got.values())
        for sdk, _, _ in orgs.values():
            sdk.close()
    finally:
        for name in urls:
            drop_postgres_schema(f"segql_pooltenant_{name}_{os.getpid()}")


def _leave_state(engine) -> None:
    """What a borrower of `segments.engine(pooled=True)` may leave on a connection: a temporary table that shadows
    a warehouse table, and session settings."""
    if engine.dialect == "postgres":
        engine.execute("CREATE TEMPORARY TABLE contacts AS SELECT * FROM contacts LIMIT 1")
        engine.execute("SET TIME ZONE 'Pacific/Kiritimati'")
        engine.execute("SET search_path = pg_catalog")
    elif engine.dialect == "mysql":
        engine.execute("CREATE TEMPORARY TABLE contacts AS SELECT * FROM contacts LIMIT 1")
        engine.execute("SET time_zone = '+13:00'")
        engine.execute(f"SELECT GET_LOCK({refresh.LOCK_KEY}, 0)")
    else:
        engine.execute("CREATE TEMPORARY TABLE contacts AS SELECT * FROM contacts LIMIT 1")
        engine.execute("SET TimeZone = 'Pacific/Kiritimati'")


def test_state_a_borrower_leaves_does_not_reach_the_next(warehouse, tmp_path):
    """A connection goes back to the pool as a new one would be: a temp table shadowing `contacts`, a
    search_path, a time zone or a named lock left by one borrower never changes the next operation."""
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA, db=warehouse)
    s = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    with segments.engine(pooled=True) as engine:
        before = _session(engine)
    with segments.engine() as mine:  # the SDK's public borrow: whatever it leaves stays with it
        _leave_state(mine)
    assert _closed(mine) and segments.engines.idle() == 1
    assert segments.counts([s.id])[0]["member_count"] == s.member_count > 1
    assert segments.refresh(s.id).member_count == s.member_count  # MariaDB: the named lock was free again
    with segments.engine(pooled=True) as again:
        assert _session(again) == before
    segments.close()


def test_state_a_borrower_leaves_on_the_embedded_engine(tmp_path):
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA)
    s = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    with segments.engine() as mine:
        _leave_state(mine)
    assert _closed(mine)
    assert segments.counts([s.id])[0]["member_count"] == s.member_count > 1
    segments.close()


@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_a_warehouse_that_goes_away_answers_e0602_then_recovers(dialect, tmp_path):
    """The pooled connection's database disappears (its connections ended, the database dropped): the
    next call is E0602 (503), not a reused dead connection; once it is back, calls succeed again."""
    from conftest_engines import engine_url

    base = engine_url(dialect)
    name = f"h3_pooldown_{os.getpid()}"
    url = base.rsplit("/", 1)[0] + "/" + name

    def create():
        admin = engines.connect(base)
        admin.execute(f'CREATE DATABASE "{name}"' if dialect == "postgres" else f"CREATE DATABASE `{name}`")
        admin.close()
        eng = engines.connect(url)
        eng.create_table("contacts", {"id": "integer", "plan": "string"}, [(1, "pro"), (2, "pro")])
        eng.close()

    def drop():
        admin = engines.connect(base)
        if dialect == "postgres":
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # terminates its backends
        else:
            for (pid,) in admin.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s", [name]):
                admin.execute(f"KILL {int(pid)}")
            admin.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()

    drop()
    create()
    try:
        (tmp_path / "schema.yml").write_text(TINY.replace("    source: contacts.csv\n", ""))
        segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=str(tmp_path / "schema.yml"), db=url)
        s = segments.create(name="Pro", criteria='plan = "pro"', object_type="contacts")
        assert segments.counts([s.id])[0]["member_count"] == 2 and segments.engines.idle() == 1
        drop()
        with pytest.raises(SegqlError) as err:
            segments.counts([s.id])
        assert err.value.code == "E0602" and segments.engines.idle() == 0
        create()
        assert segments.counts([s.id])[0]["member_count"] == 2
        segments.close()
    finally:
        drop()


def test_many_threads_counts_members_refresh_then_close(warehouse, tmp_path, opens):
    """counts, members and refresh from 8 threads on one SDK over a server warehouse: no errors, no
    deadlock, never more idle engines than the pool's size, and every engine closed after close()."""
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA, db=warehouse, pool_size=2)
    s = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    want = s.member_count
    segments.refresh(s.id)
    bad = []

    def work(i):
        for j in range(4):
            if (i + j) % 3 == 0:
                got = segments.refresh(s.id).member_count
            elif (i + j) % 3 == 1:
                got = segments.counts([s.id])[0]["member_count"]
            else:
                got = len(segments.members(s.id, limit=1000)["data"])
            if got != want:
                bad.append((i, j, got))

    assert _run_threads(work, 8) == [] and bad == []
    assert segments.engines.idle() <= 2
    held = threading.Event()
    release = threading.Event()

    def borrower(_):
        with segments.engine(pooled=True) as engine:
            held.set()
            release.wait(10)
            engine.execute("SELECT 1")

    t = threading.Thread(target=borrower, args=(0,))
    t.start()
    held.wait(10)
    segments.close()  # one engine is borrowed now: closed when it comes back
    release.set()
    t.join(10)
    assert segments.engines.idle() == 0 and all(_closed(e) for e in opens)


class _Freezer:
    """A TCP forwarder whose existing connections can be frozen — bytes taken and never forwarded, no
    reset, as when a NAT or load balancer silently forgets an idle connection — while new ones work."""

    def __init__(self, host: str, port: int):
        import socket

        self.target, self.epoch = (host, port), 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b, self.epoch), daemon=True).start()

    def _pipe(self, a, b, epoch):
        try:
            while data := a.recv(65536):
                if epoch == self.epoch:
                    b.sendall(data)
        except OSError:
            pass

    def freeze(self):
        self.epoch += 1

    def close(self):
        self.server.close()
        for s in self.socks:
            s.close()


def test_a_silently_dropped_pooled_connection_is_replaced_in_bounded_time(warehouse, tmp_path, monkeypatch):
    """An idle pooled connection whose packets now go nowhere (no reset): the ping before lending it must
    give up within the pool's ping timeout and a new connection answer, not wait for TCP's retries
    (~15 minutes); before the pool, a new connection per call never met such a connection."""
    from urllib.parse import urlparse, urlunparse

    parsed = urlparse(warehouse)
    proxy = _Freezer(parsed.hostname, parsed.port or (5432 if parsed.scheme.startswith("postgres") else 3306))
    netloc = parsed.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{proxy.port}"
    via = urlunparse(parsed._replace(netloc=netloc))
    segments = segql.open_store(f"sqlite:///{tmp_path / 's.db'}", schema=SCHEMA, db=via)
    segments.engines.ping_timeout = 0.5
    s = workbench.create_counted(segments, name="USA", criteria='country = "USA"', object_type="contacts")
    assert segments.engines.idle() == 1
    proxy.freeze()
    got = []
    t = threading.Thread(target=lambda: got.append(segments.counts([s.id])[0]["member_count"]), daemon=True)
    t.start()
    t.join(5)
    try:
        assert got == [s.member_count], "the call waited on a dead pooled connection"
        assert segments.engines.opened == 2
    finally:
        proxy.close()  # also ends a ping still waiting
        t.join(5)
        segments.close()


@pytest.mark.parametrize("size", [None, "0", "7"])
def test_segql_serve_passes_the_pool_size_to_every_worker(tmp_path, monkeypatch, size):
    """`segql serve --pool-size N` travels to each worker like the other settings (the environment):
    the app's SDK keeps at most N idle engines per key (0: one engine per request; unset: the default)."""
    from segql.ops.service import asgi
    from segql.ops.store.pool import DEFAULT_SIZE

    env = asgi.settings_to_env(schema=SCHEMA, store=f"sqlite:///{tmp_path / 's.db'}", pool_size=size)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    if size is None:
        monkeypatch.delenv(asgi.ENV["pool_size"], raising=False)
    app = asgi.create()
    try:
        assert app.state.segments.engines.size == (DEFAULT_SIZE if size is None else int(size))
    finally:
        app.state.segments.close()


def test_segql_serve_refuses_a_negative_pool_size(capsys):
    from segql import cli

    assert cli.main(["serve", "--schema", SCHEMA, "--pool-size", "-1"]) != 0
    err = capsys.readouterr().err
    assert "--pool-size must be 0 or more" in err and "Traceback" not in err
