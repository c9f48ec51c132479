"""`segql refresh` (membership with history, one transaction) and `segql list` (static lists), on a
DuckDB file and on PostgreSQL (SEGQL_TEST_POSTGRES_URL; skipped with a reason when unset, a failure when
SEGQL_REQUIRE_ENGINES=1)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from conftest import EXAMPLES, ROOT
from test_operations import drop_postgres_schema, load_demo, postgres_url_in_schema

from segql import api, cli
from segql.ops import refresh
from segql.engines import connect
from segql.errors import SegqlError
from segql.ops.run import member_query

HVP = EXAMPLES / "segments" / "high_value_prospects.segql"
SEED = EXAMPLES / "segments" / "seed002.segql"
SCHEMA = EXAMPLES / "schema.yml"
NOW1, NOW2 = "2026-11-15T12:00:00Z", "2026-12-20T09:30:00Z"
TABLES = ("segql_membership", "segql_membership_events", "segql_refreshes")


@pytest.fixture(params=["duckdb", "postgres"])
def db_url(request, tmp_path):
    """A database holding the demo data: a DuckDB file, or a fresh PostgreSQL schema."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'segments.duckdb'}"
        eng = connect(url)
        load_demo(eng)
        eng.close()
        yield url
        return
    name = f"segql_refresh_{os.getpid()}"
    url = postgres_url_in_schema(name)
    eng = connect(url)
    load_demo(eng)
    eng.close()
    yield url
    drop_postgres_schema(name)


def state(url):
    """Every row of segql's tables, sorted (timestamps as text)."""
    eng = connect(url)
    try:
        out = {}
        for table in TABLES:
            try:
                rows = eng.execute(f"SELECT * FROM {table}")
            except Exception:  # noqa: BLE001 - not created yet
                rows = None
            out[table] = None if rows is None else sorted(tuple(str(v) for v in r) for r in rows)
        return out
    finally:
        eng.close()


def members(url, schema, loaded, slug, now):
    item = next(i for i in loaded if i.slug == slug)
    eng = connect(url)
    try:
        return {str(r[0]) for r in eng.execute(member_query(item.segment, schema, eng.dialect, now=now))}
    finally:
        eng.close()


def test_refresh_records_who_entered_and_left(db_url, schema):
    loaded = api.load_segments([SEED, HVP], schema)
    eng = connect(db_url)
    try:
        first = refresh.refresh([i.segment for i in loaded], schema, eng, NOW1)
        second = refresh.refresh([i.segment for i in loaded], schema, eng, NOW2)
        third = refresh.refresh([i.segment for i in loaded], schema, eng, NOW2)
    finally:
        eng.close()
    slugs = [r["segment"] for r in first]
    # dependency order: a segment used with `in segment` comes first; static lists are not refreshed
    assert slugs.index("active_last_30_days") < slugs.index("engaged_vips")
    assert slugs.index("purchased_this_week") < slugs.index("non_purchasers")
    assert slugs.index("churned") < slugs.index("high_value_prospects")
    assert "vip_customers" not in slugs and len(slugs) == len({i.slug for i in loaded if i.segment.kind == "segment"})
    assert all(r["entered"] == r["members"] and r["left"] == 0 for r in first)
    assert all(r["entered"] == r["left"] == 0 for r in third)
    assert any(r["entered"] for r in second) and any(r["left"] for r in second)
    now = state(db_url)
    by_slug = {}
    for seg, key, entered_at in now["segql_membership"]:
        by_slug.setdefault(seg, set()).add(key)
    for r1, r2 in zip(first, second):
        slug = r2["segment"]
        old, new = members(db_url, schema, loaded, slug, NOW1), members(db_url, schema, loaded, slug, NOW2)
        assert by_slug.get(slug, set()) == new, slug
        assert (r1["members"], r2["members"], r2["entered"], r2["left"]) == (
            len(old), len(new), len(new - old), len(old - new)), slug
        events = {(k, kind, at[:10]) for s, k, kind, at in now["segql_membership_events"] if s == slug}
        assert {k for k, kind, at in events if kind == "left"} == old - new
        assert {k for k, kind, at in events if kind == "entered" and at.startswith("2026-12")} == new - old
    # member counts over time: one row per segment per refresh
    assert len(now["segql_refreshes"]) == 3 * len(slugs)
    # who stayed keeps the time they entered
    stayed = next(r["segment"] for r in second if r["members"] > r["entered"])
    times = {at for s, k, at in now["segql_membership"] if s == stayed}
    assert any(t.startswith("2026-11-15 12:00:00") for t in times)


def test_refresh_killed_mid_transaction_leaves_previous_state(db_url):
    """SIGKILL `segql refresh` at a random moment inside its transaction: the tables hold exactly the
    previous refresh's state, and a rerun completes."""
    base = [sys.executable, "-m", "segql", "refresh", str(SEED), str(HVP), "--schema", str(SCHEMA),
            "--db", db_url]
    done = subprocess.run([*base, "--now", NOW1], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before = state(db_url)
    assert before["segql_membership"]
    rng = random.Random(20261115 + len(db_url))
    env = dict(os.environ, SEGQL_TEST_SLEEP_IN_REFRESH="0.15")
    proc = subprocess.Popen([*base, "--now", NOW2], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env=env)
    try:
        target = rng.randint(1, 8)  # after the k-th segment's writes ...
        seen = 0
        while seen < target:
            line = proc.stderr.readline()
            assert line, "refresh ended before the kill"
            seen += "test hook" in line
        time.sleep(rng.uniform(0, 0.12))  # ... and somewhere within the next statements
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # pragma: no cover
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert state(db_url) == before
    again = subprocess.run([*base, "--now", NOW2, "--format", "json"], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    after = state(db_url)
    assert after != before
    assert len(after["segql_refreshes"]) == 2 * len(before["segql_refreshes"])


def test_failed_refresh_rolls_back(db_url, schema, monkeypatch):
    loaded = api.load_segments([SEED], schema)
    eng = connect(db_url)
    try:
        refresh.refresh([i.segment for i in loaded], schema, eng, NOW1)
        before = state(db_url) if not db_url.startswith("duckdb") else None
        real, calls = refresh._refresh_one, []

        def failing(*args):
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("boom")
            return real(*args)

        monkeypatch.setattr(refresh, "_refresh_one", failing)
        with pytest.raises(RuntimeError):
            refresh.refresh([i.segment for i in loaded], schema, eng, NOW2)
        rows = sorted(tuple(str(v) for v in r) for r in eng.execute("SELECT * FROM segql_refreshes"))
    finally:
        eng.close()
    assert all(r[1].startswith("2026-11-15") for r in rows)
    if before is not None:
        assert state(db_url) == before


def test_refresh_cli(db_url, capsys):
    code = cli.main(["refresh", str(HVP), "--schema", str(SCHEMA), "--db", db_url, "--now", NOW1])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0] == "refreshed 2 segments at 2026-11-15T12:00:00 (UTC)"
    assert "static lists (not refreshed" in out and "vip_customers" in out


def test_refresh_needs_a_database(capsys):
    assert cli.main(["refresh", str(HVP), "--schema", str(SCHEMA)]) == 1
    assert "E0702" in capsys.readouterr().err


def test_refresh_refuses_engines_without_transactions():
    class Fake:
        dialect = "clickhouse"

    with pytest.raises(SegqlError) as err:
        refresh.Db(Fake(), "refresh")
    assert err.value.code == "E0701"


def test_refresh_on_sqlite_is_transactional_too(tmp_path, schema):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    eng = connect(url)
    load_demo(eng)
    loaded = api.load_segments([HVP], schema)
    try:
        result = refresh.refresh([i.segment for i in loaded], schema, eng, NOW1)
        assert [r["segment"] for r in result] == ["churned", "high_value_prospects"]
        assert eng.conn.in_transaction is False
    finally:
        eng.close()
    assert len(state(url)["segql_membership"]) == sum(r["members"] for r in result)


def test_dependency_order():
    from segql import ir

    a = ir.Segment("a", "contacts", "segment", ir.SegmentRef("b", ir.SegmentRef("c", ir.Const(True))))
    b = ir.Segment("b", "contacts", "segment", ir.SegmentRef("c", ir.Const(True)))
    c = ir.Segment("c", "contacts", "segment", ir.Const(True))
    d = ir.Segment("d", "contacts", "segment", ir.Const(False))
    assert [s.slug for s in refresh.dependency_order([a, d, b, c])] == ["c", "b", "a", "d"]


def test_progress_bar_only_on_a_terminal():
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = refresh._Progress(3, stream)
        bar.update(1, "churned", 1500)
        bar.close()
    assert "refreshing [" in tty.getvalue() and "1/3 churned" in tty.getvalue()
    assert "1,500 rows, " in tty.getvalue() and " rows/s" in tty.getvalue()  # the rate of member rows written
    assert pipe.getvalue() == ""


# ---- static lists -------------------------------------------------------------------------------
def test_list_add_remove_show(db_url, capsys):
    common = ["--schema", str(SCHEMA), "--db", db_url]
    assert cli.main(["list", "show", "beta_testers", *common, "--format", "json"]) == 0
    import json

    before = json.loads(capsys.readouterr().out)["members"]
    assert len(before) == 12
    new1, new2 = [k for k in range(1, 200) if k not in before][:2]
    assert cli.main(["list", "add", "beta_testers", str(new1), str(new2), str(before[0]), *common, "--on",
                     "contacts"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("added 2 members") and "1 unchanged" in out and err == ""
    assert cli.main(["list", "add", "beta_testers", "99999", *common, "--on", "contacts"]) == 0
    assert "no contacts record has key 99999" in capsys.readouterr().err
    assert cli.main(["list", "show", "beta_testers", *common, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)["members"]
    assert sorted(shown) == sorted({*before, new1, new2, 99999})
    # the counts see the new members that exist (99999 is no contact)
    assert cli.main(["counts", str(SEED), *common, "--format", "json"]) == 0
    counted = {r["segment"]: r["members"] for r in json.loads(capsys.readouterr().out)}
    assert counted["beta_testers"] == len(before) + 2
    absent = next(k for k in range(1, 200) if k not in (*before, new1, new2))
    assert cli.main(["list", "remove", "beta_testers", str(new1), str(new2), "99999", str(absent), *common]) == 0
    assert capsys.readouterr().out.startswith("removed 3 members")
    assert cli.main(["list", "show", "beta_testers", *common, "--format", "json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["members"]) == sorted(before)


def test_list_changes_need_a_database(capsys):
    assert cli.main(["list", "add", "vip_customers", "1", "--schema", str(SCHEMA)]) == 1
    err = capsys.readouterr().err
    assert "E0702" in err and "--db" in err
    assert cli.main(["list", "show", "vip_customers", "--schema", str(SCHEMA)]) == 0  # reading works
    assert len(capsys.readouterr().out.split()) == 23


def test_list_keys_are_checked_against_the_key_type(tmp_path, capsys):
    assert cli.main(["list", "add", "vip_customers", "abc", "--schema", str(SCHEMA), "--db",
                     f"duckdb:///{tmp_path / 'x.duckdb'}"]) == 1
    assert "E0703" in capsys.readouterr().err


def test_refresh_subprocess_has_no_traceback_on_bad_db(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "segql", "refresh", str(HVP), "--schema", str(SCHEMA), "--db",
                           "postgresql://nobody@127.0.0.1:1/none"], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert proc.returncode == 1 and "E0602" in proc.stderr and "Traceback" not in proc.stderr


def test_duplicate_keys_in_the_data_are_one_member(db_url):
    """An entity table holding a key twice: one member, one history row per change, on every engine (the
    first refresh removes duplicates from all keys, later ones from the keys that changed)."""
    from segql.semantic.schemas import parse_schema

    dup = parse_schema("entities:\n  things:\n    table: segql_t_dup\n    key: id\n"
                       "    properties: {id: integer, n: integer}\n")
    eng = connect(db_url)
    try:
        eng.execute("CREATE TABLE segql_t_dup (id INTEGER, n INTEGER)")
        eng.execute("INSERT INTO segql_t_dup VALUES (1, 1), (1, 1), (2, 1), (3, 0), (3, 0), (4, 1)")
        [seg] = api.load_segments([{"type": "things", "slug": "dup", "filter": {"n": {"$gte": 1}}}], dup)
        [first] = refresh.refresh([seg.segment], dup, eng, NOW1)
        eng.execute("UPDATE segql_t_dup SET n = 1 - n WHERE id IN (2, 3)")
        [second] = refresh.refresh([seg.segment], dup, eng, NOW2)
        rows = sorted(tuple(str(v) for v in r) for r in eng.execute(
            "SELECT member_key, kind FROM segql_membership_events WHERE segment = 'dup'"))
        stored = sorted(str(r[0]) for r in eng.execute(
            "SELECT member_key FROM segql_membership WHERE segment = 'dup'"))
    finally:
        eng.close()
    assert (first["members"], first["entered"]) == (3, 3)
    assert (second["members"], second["entered"], second["left"]) == (3, 1, 1)
    assert (second["entered_keys"], second["left_keys"]) == (["3"], ["2"])
    assert stored == ["1", "3", "4"]
    assert rows == [("1", "entered"), ("2", "entered"), ("2", "left"), ("3", "entered"), ("4", "entered")]


@pytest.mark.parametrize("session", ["4MB", "1GB"])
def test_postgres_refresh_raises_work_mem_never_lowers_it(session, monkeypatch):
    """The refresh gives its joins and sorts 128MB of work_mem for its transaction; a server or session
    tuned higher keeps its own (SET LOCAL of a fixed 128MB lowered a 1GB one), and the session's comes
    back after."""
    from test_operations import postgres_url_in_schema

    from segql.semantic.schemas import parse_schema

    name = f"segql_refresh_wm_{os.getpid()}"
    url = postgres_url_in_schema(name)
    schema = parse_schema("entities:\n  things:\n    table: segql_t_wm\n    key: id\n    properties: {id: integer}\n")
    eng = connect(url)
    try:
        eng.execute("CREATE TABLE segql_t_wm (id INTEGER)")
        eng.execute("INSERT INTO segql_t_wm VALUES (1), (2)")
        eng.execute(f"SET work_mem = '{session}'")
        [seg] = api.load_segments([{"type": "things", "slug": "wm", "filter": {"id": {"$gte": 1}}}], schema)
        real, seen = refresh._refresh_one, []

        def spying(db, *args):
            seen.append(db.scalar("SELECT pg_size_bytes(current_setting('work_mem'))"))
            return real(db, *args)

        monkeypatch.setattr(refresh, "_refresh_one", spying)
        refresh.refresh([seg.segment], schema, eng, NOW1)
        after = eng.execute("SHOW work_mem")[0][0]
    finally:
        eng.close()
        drop_postgres_schema(name)
    assert seen == [max(128 * 2**20, {"4MB": 4 * 2**20, "1GB": 2**30}[session])]
    assert after == session


def test_mariadb_refresh_lock_is_per_database(monkeypatch):
    """MariaDB's named locks are server-wide: a refresh running in one database must not hold up one in
    another database of the same server (it waited LOCK_WAIT seconds, then E0805), while two in the same
    database still wait for each other."""
    from urllib.parse import urlsplit, urlunsplit

    from conftest_engines import engine_url

    from segql.semantic.schemas import parse_schema

    url = engine_url("mysql")
    other = f"segql_lock_{os.getpid()}"
    admin = connect(url)
    admin.execute(f"CREATE DATABASE IF NOT EXISTS {other}")
    parts = urlsplit(url)
    other_url = urlunsplit(parts._replace(path=f"/{other}"))
    schema = parse_schema("entities:\n  things:\n    table: segql_t_lock\n    key: id\n    properties: {id: integer}\n")
    [seg] = api.load_segments([{"type": "things", "slug": "lock", "filter": {"id": {"$gte": 1}}}], schema)
    monkeypatch.setattr(refresh, "LOCK_WAIT", 1)
    holder, eng = connect(url), connect(other_url)
    try:
        eng.execute("CREATE TABLE segql_t_lock (id INTEGER)")
        eng.execute("INSERT INTO segql_t_lock VALUES (1), (2)")
        assert holder.execute(f"SELECT GET_LOCK({refresh.LOCK_KEY}, 0)")[0][0] == 1  # a refresh of `url`'s database
        [done] = refresh.refresh([seg.segment], schema, eng, NOW1)
        assert done["members"] == 2
        holder.execute(f"SELECT RELEASE_LOCK({refresh.LOCK_KEY})")
        assert eng.execute(f"SELECT GET_LOCK({refresh.LOCK_KEY}, 0)")[0][0] == 1  # now one of `other`'s
        with connect(other_url) as same:
            with pytest.raises(SegqlError) as err:
                refresh.refresh([seg.segment], schema, same, NOW2)
        assert err.value.code == "E0805"
    finally:
        holder.close()
        eng.close()
        admin.execute(f"DROP DATABASE IF EXISTS {other}")
        admin.close()


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite", "postgres", "mysql"])
def test_number_keys_stay_distinct_as_text(dialect):
    """An entity keyed by a `number`: each key is stored as a text that reads back as that key, one member
    per key. SQLite's CAST(real AS TEXT) keeps 15 significant digits, so 0.3 and 0.1 + 0.2 (and 2^53 and
    2^53 − 2) were stored as one member_key: two records, one member, the count off by one (found by
    tests/test_refresh_random.py)."""
    from conftest_engines import engine_url

    from segql.semantic.schemas import parse_schema

    keys = [0.3, 0.1 + 0.2, 2.0 ** 53, 2.0 ** 53 - 2, 1 / 3, 1e15 + 0.25, 1.0, 1e20, -2.5]
    schema = parse_schema("entities:\n  things:\n    table: segql_t_numkey\n    key: {name: id, type: number}\n"
                          "    properties: {n: integer}\n")
    eng = connect(engine_url(dialect))
    try:
        for t in TABLES:
            eng.execute(f"DROP TABLE IF EXISTS {t}")
        eng.create_table("segql_t_numkey", {"id": "number", "n": "integer"}, [(k, 1) for k in keys])
        [seg] = api.load_segments([{"type": "things", "slug": "numkey", "filter": {"n": {"$gte": 1}}}], schema)
        [done] = refresh.refresh([seg.segment], schema, eng, NOW1)
        stored = [r[0] for r in eng.execute("SELECT member_key FROM segql_membership WHERE segment = 'numkey'")]
        [again] = refresh.refresh([seg.segment], schema, eng, NOW2)
    finally:
        eng.close()
    assert done["members"] == len(stored) == len(keys)
    assert sorted(float(t) for t in stored) == sorted(keys)
    assert (again["entered"], again["left"]) == (0, 0)


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite", "postgres", "mysql"])
@pytest.mark.parametrize("at", ["DROP", "COMMIT"])
def test_refresh_failing_at_its_end_leaves_the_previous_state(dialect, at, monkeypatch):
    """A refresh whose last statements fail (dropping its temporary tables, or the COMMIT itself) leaves
    the state tables as they were. On MariaDB `DROP TABLE` of a temporary table without the TEMPORARY
    keyword commits the transaction implicitly: the refresh was committed before its COMMIT, and a failure
    there left the new state behind (found by tests/test_refresh_random.py's failure injection)."""
    from conftest_engines import engine_url

    from segql.semantic.schemas import parse_schema

    schema = parse_schema("entities:\n  things:\n    table: segql_t_end\n    key: id\n    properties: {n: integer}\n")
    [seg] = api.load_segments([{"type": "things", "slug": "end", "filter": {"n": {"$gte": 1}}}], schema)
    eng = connect(engine_url(dialect))
    try:
        for t in TABLES:
            eng.execute(f"DROP TABLE IF EXISTS {t}")
        eng.create_table("segql_t_end", {"id": "integer", "n": "integer"}, [(1, 1), (2, 1), (3, 0)])
        refresh.refresh([seg.segment], schema, eng, NOW1)
        eng.create_table("segql_t_end", {"id": "integer", "n": "integer"}, [(1, 0), (2, 1), (3, 1)])

        def snapshot():
            return {t: sorted(tuple(str(v) for v in r) for r in eng.execute(f"SELECT * FROM {t}")) for t in TABLES}

        before = snapshot()
        real = refresh.Db.run

        def failing(self, sql):
            if sql.startswith(at) and (at == "COMMIT" or "segql_refresh" in sql):
                raise SegqlError("E0604", f"injected: {sql}")
            return real(self, sql)

        monkeypatch.setattr(refresh.Db, "run", failing)
        with pytest.raises(SegqlError, match="injected"):
            refresh.refresh([seg.segment], schema, eng, NOW2)
        monkeypatch.setattr(refresh.Db, "run", real)
        assert snapshot() == before
        [done] = refresh.refresh([seg.segment], schema, eng, NOW2)  # and the next one works
        assert (done["entered"], done["left"]) == (1, 1)
    finally:
        eng.close()


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])  # the timeout is the client's timer (servers: their own)
def test_a_failed_refresh_rolls_back_without_the_query_timeout(dialect, monkeypatch):
    """The ROLLBACK of a failed refresh runs with the query timeout off (and it is back after): on DuckDB
    and SQLite the timeout is a timer interrupting the connection, which also stopped the ROLLBACK itself
    (E0606 on it, swallowed) when the refresh had been stopped by that timeout — the refresh's transaction
    stayed open on the connection with its writes in it, and the next refresh failed to BEGIN (found by
    tests/test_refresh_random.py, DuckDB, 1 run in ~3 of seed 3075)."""
    from conftest_engines import engine_url

    from segql.semantic.schemas import parse_schema

    schema = parse_schema("entities:\n  things:\n    table: segql_t_rb\n    key: id\n    properties: {n: integer}\n")
    [seg] = api.load_segments([{"type": "things", "slug": "rb", "filter": {"n": {"$gte": 1}}}], schema)
    eng = connect(engine_url(dialect))
    try:
        for t in TABLES:
            eng.execute(f"DROP TABLE IF EXISTS {t}")
        eng.create_table("segql_t_rb", {"id": "integer", "n": "integer"}, [(1, 1), (2, 1)])
        refresh.refresh([seg.segment], schema, eng, NOW1)
        eng.create_table("segql_t_rb", {"id": "integer", "n": "integer"}, [(1, 0), (2, 1), (3, 1)])
        eng.set_timeout(30)
        real, seen = refresh.Db.run, []

        def run(self, sql):
            seen.append((sql.split()[0], self.engine.timeout))
            if sql.startswith("INSERT INTO segql_refreshes"):
                raise SegqlError("E0606", "stopped (a stand-in for the query timeout)")
            return real(self, sql)

        monkeypatch.setattr(refresh.Db, "run", run)
        with pytest.raises(SegqlError):
            refresh.refresh([seg.segment], schema, eng, NOW2)
        monkeypatch.setattr(refresh.Db, "run", real)
        assert ("ROLLBACK", None) in seen and ("ROLLBACK", 30) not in seen
        assert eng.timeout == 30 and not eng.in_transaction
        [done] = refresh.refresh([seg.segment], schema, eng, NOW2)
        assert (done["entered"], done["left"]) == (1, 1)
    finally:
        eng.set_timeout(None)
        eng.close()
