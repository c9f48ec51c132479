"""The query timeout (`open_store(..., query_timeout=)`, `segql serve --query-timeout`): a warehouse
statement running longer is stopped by the engine — PostgreSQL's statement_timeout, MariaDB's
max_statement_time, ClickHouse's max_execution_time, a timer calling `interrupt()` on DuckDB and SQLite —
and reported as E0606 (HTTP 504), never as a hung request; the connection stays usable, a refresh it
stops rolls back, and any other failure is still E0604."""
from __future__ import annotations

import os

import pytest
from conftest import EXAMPLES
from conftest_engines import engine_url
from test_engine_pool import warehouse  # noqa: F401 - the fixture

import segql
from segql import api
from segql.engines import connect
from segql.errors import SegqlError
from segql.ops import refresh
from segql.semantic.schemas import parse_schema

# statements that run for minutes unless stopped
SLOW = {
    "duckdb": "SELECT SUM(HASH(i)) FROM range(100000000000) t(i)",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
              "SELECT MAX(x) FROM (SELECT x FROM c LIMIT 100000000000)",
    "postgres": "SELECT pg_sleep(30)",
    "mysql": "SELECT SLEEP(30)",
    "clickhouse": "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 1",
}
# a statement of about half a second, to show that removing the timeout removes the limit
HALF_SECOND = {"postgres": "SELECT pg_sleep(0.5)", "mysql": "SELECT SLEEP(0.5)"}


@pytest.mark.parametrize("dialect", SLOW)
def test_a_statement_past_the_timeout_is_stopped(dialect):
    eng = connect(engine_url(dialect))
    try:
        eng.set_timeout(0.2)
        with pytest.raises(SegqlError) as err:
            eng.execute(SLOW[dialect])
        assert err.value.code == "E0606" and "0.2 s" in err.value.message
        assert eng.execute("SELECT 1 AS one") == [(1,)]  # the connection still answers, with its own rows
        with pytest.raises(SegqlError) as other:  # any other failure stays what it was
            eng.execute("SELECT * FROM segql_no_such_table")
        assert other.value.code == "E0604"
        if dialect in HALF_SECOND:
            eng.set_timeout(None)
            eng.execute(HALF_SECOND[dialect])
    finally:
        eng.close()


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_a_refresh_stopped_by_the_timeout_changes_nothing(dialect, tmp_path):
    """SQLite's refresh runs its statements outside `Engine.execute` (it begins the transaction itself):
    the timer must cover them too, and the rollback leave the first refresh's state."""
    schema = parse_schema("entities:\n  things:\n    table: things\n    key: id\n    properties: {id: integer}\n")
    [seg] = api.load_segments([{"type": "things", "slug": "all", "filter": {"id": {"$gte": 1}}}], schema)
    eng = connect(f"{dialect}:///{tmp_path / 'w.db'}")
    try:
        eng.execute("CREATE TABLE things (id INTEGER)")
        eng.execute("INSERT INTO things VALUES (1), (2)")
        [first] = refresh.refresh([seg.segment], schema, eng, "2026-11-15T12:00:00Z")
        assert first["members"] == 2
        eng.execute("DROP TABLE things")
        eng.execute("CREATE VIEW things AS " + ("SELECT i AS id FROM range(1, 100000000000) t(i)" if dialect == "duckdb"
                    else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS id FROM c "
                         "LIMIT 100000000000"))
        eng.set_timeout(0.3)
        with pytest.raises(SegqlError) as err:
            refresh.refresh([seg.segment], schema, eng, "2026-11-16T12:00:00Z")
        assert err.value.code == "E0606"
        eng.set_timeout(None)
        assert sorted(eng.execute("SELECT member_key FROM segql_membership")) == [("1",), ("2",)]
        assert eng.execute("SELECT COUNT(*) FROM segql_refreshes") == [(1,)]
        assert eng.execute("SELECT COUNT(*) FROM segql_membership_events") == [(2,)]
    finally:
        eng.close()


def test_the_sdk_refuses_a_timeout_it_cannot_keep(tmp_path):
    store = f"sqlite:///{tmp_path / 's.db'}"
    with pytest.raises(SegqlError) as spark:  # said when the SDK opens, not at the first query
        segql.open_store(store, schema=str(EXAMPLES / "schema.yml"), db="spark://local", query_timeout=30)
    assert spark.value.code == "E0600" and "query timeout" in spark.value.message
    for bad in (0, -1):
        with pytest.raises(SegqlError) as err:
            segql.open_store(store, schema=str(EXAMPLES / "schema.yml"), query_timeout=bad)
        assert err.value.code == "E0004"


def _slow_contacts(url: str, slow: bool) -> None:
    """Turn the warehouse's `contacts` into a view that sleeps (or back into the table)."""
    eng = connect(url)
    try:
        if slow:
            eng.execute("ALTER TABLE contacts RENAME TO contacts_real")
            if eng.dialect == "postgres":
                eng.execute("CREATE VIEW contacts AS SELECT c.* FROM contacts_real c, (SELECT pg_sleep(30)) s")
            else:
                eng.execute("CREATE VIEW contacts AS SELECT c.* FROM contacts_real c WHERE SLEEP(30) = 0")
        else:
            eng.execute("DROP VIEW contacts")
            eng.execute("ALTER TABLE contacts_real RENAME TO contacts")
    finally:
        eng.close()


def test_the_service_answers_504_and_recovers(warehouse, tmp_path):  # noqa: F811 - the fixture
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from segql.ops.service.app import create_app
    from segql.ops.store.keys import KeyStore

    store = f"sqlite:///{tmp_path / 's.db'}"
    segments = segql.open_store(store, schema=str(EXAMPLES / "schema.yml"), db=warehouse, query_timeout=0.5)
    raw, _ = KeyStore.open(store).create("org", ["read:segments", "write:segments"])
    headers = {"Authorization": f"Bearer {raw}"}
    with TestClient(create_app(segments, deliver_webhooks=False), raise_server_exceptions=False) as client:
        made = client.post("/v1/segments", headers=headers,
                           json={"name": "USA", "criteria": 'country = "USA"', "object_type": "contacts"})
        assert made.status_code == 201, made.text
        count = made.json()["member_count"]
        _slow_contacts(warehouse, True)
        try:
            r = client.post("/v1/segments/counts", headers=headers, json={"ids": ["usa"]})
            assert r.status_code == 504, r.text
            assert r.json()["error"]["code"] == "E0606"
        finally:
            _slow_contacts(warehouse, False)
        again = client.post("/v1/segments/counts", headers=headers, json={"ids": ["usa"]})
        assert again.status_code == 200 and again.json()["data"][0]["member_count"] == count > 0
    segments.close()


def test_serve_refuses_a_bad_query_timeout(tmp_path, capsys):
    from segql import cli

    code = cli.main(["serve", "--schema", str(EXAMPLES / "schema.yml"), "--store", f"sqlite:///{tmp_path / 's.db'}",
                     "--query-timeout", "soon"])
    assert code == 2 and "E0004" in capsys.readouterr().err  # a usage error
    code = cli.main(["serve", "--schema", str(EXAMPLES / "schema.yml"), "--store", f"sqlite:///{tmp_path / 's.db'}",
                     "--query-timeout", "0.5s"])
    assert code == 2 and "under one second" in capsys.readouterr().err
    assert os.environ.get("SEGQL_SERVE_QUERY_TIMEOUT") is None


def test_cli_commands_stop_at_the_query_timeout(tmp_path, capsys):
    """`--query-timeout` on the commands that read the warehouse (run, counts, refresh, …): E0606 and exit
    1, not a command that hangs for as long as the warehouse takes; a refresh it stops changes nothing."""
    from segql import cli

    schema = tmp_path / "schema.yml"
    schema.write_text("entities:\n  things:\n    table: things\n    key: id\n    properties: {id: integer}\n")
    seg = tmp_path / "all.segql"
    seg.write_text("segment all_things on things where id >= 1\n")
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    common = ["--db", url, "--schema", str(schema)]
    eng = connect(url)
    eng.execute("CREATE TABLE things (id INTEGER)")
    eng.execute("INSERT INTO things VALUES (1), (2)")
    eng.close()
    assert cli.main(["refresh", str(seg), *common, "--now", "2026-11-15T12:00:00Z", "--query-timeout", "1m"]) == 0
    eng = connect(url)
    eng.execute("DROP TABLE things")
    eng.execute("CREATE VIEW things AS SELECT i AS id FROM range(1, 100000000000) t(i)")
    eng.close()
    capsys.readouterr()
    for argv in (["run", str(seg)], ["counts", str(seg)], ["refresh", str(seg), "--now", "2026-11-16T12:00:00Z"]):
        code = cli.main([*argv, *common, "--query-timeout", "1s"])
        err = capsys.readouterr().err
        assert code == 1 and "E0606" in err and "after the query timeout of 1 s" in err, (argv, err)
        assert "Traceback" not in err
    eng = connect(url)
    try:
        assert sorted(eng.execute("SELECT member_key FROM segql_membership")) == [("1",), ("2",)]
        assert eng.execute("SELECT COUNT(*) FROM segql_refreshes") == [(1,)]
    finally:
        eng.close()
    assert cli.main(["run", str(seg), *common, "--query-timeout", "soon"]) == 2  # a usage error
    assert "E0004" in capsys.readouterr().err
    # refused before connecting (Spark would start a JVM first)
    assert cli.main(["run", str(seg), "--db", "spark://local", "--schema", str(schema), "--query-timeout", "5s"]) == 1
    assert "E0600" in capsys.readouterr().err
