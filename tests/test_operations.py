"""Operations on many segments (docs/operations.md): counts, explain, overlap, evaluating one record.

Each answer is checked against the plain one-segment-at-a-time answer (`segql run --count` semantics:
the compiled COUNT statement), on the demo data in embedded DuckDB and in PostgreSQL
(SEGQL_TEST_POSTGRES_URL; skipped with a reason when unset, a failure when SEGQL_REQUIRE_ENGINES=1).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from urllib.parse import quote

import budget
import pytest
from conftest import DEMO_NOW, EXAMPLES, ROOT

import segql
from segql import api, cli, ir
from segql.ops import nodes
from segql.lower.dialects import VERIFIED
from segql.ops.explain import explain
from segql.ops.run import member_query

SEGMENTS = sorted((EXAMPLES / "segments").glob("*.segql"))
SEED = EXAMPLES / "segments" / "seed002.segql"
CORPUS = ROOT / "tests" / "corpus" / "constructs.segql"
DEMO_TABLES = ("contacts", "deals", "events", "organizations", "list_members")
_TYPES = {"INTEGER": "integer", "BIGINT": "integer", "VARCHAR": "string", "DOUBLE": "number", "DATE": "date",
          "TIMESTAMP": "timestamp", "BOOLEAN": "boolean"}


# ---- demo data on real engines (shared with test_refresh) ----------------------------------------
def demo_rows(table):
    import duckdb

    con = duckdb.connect()
    path = (EXAMPLES / "data" / f"{table}.parquet").as_posix()
    columns = {r[0]: _TYPES[r[1]] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()}
    rows = con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
    con.close()
    return columns, rows


def load_demo(engine, extra_list_members=()):
    """The demo tables as real tables on `engine` (plus list members whose records do not exist)."""
    for table in DEMO_TABLES:
        if engine.dialect == "duckdb":  # straight from the files (executemany is slow on DuckDB)
            path = (EXAMPLES / "data" / f"{table}.parquet").as_posix()
            engine.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{path}')")
            for slug, key in extra_list_members if table == "list_members" else ():
                engine.execute(f"INSERT INTO list_members VALUES ('{slug}', {int(key)})")
            continue
        columns, rows = demo_rows(table)
        if table == "list_members":
            rows = rows + list(extra_list_members)
        engine.create_table(table, columns, rows)


def postgres_url_in_schema(name: str) -> str:
    """SEGQL_TEST_POSTGRES_URL with its own PostgreSQL schema (search_path), created empty."""
    from conftest_engines import engine_url

    from segql.engines import connect

    base = engine_url("postgres")
    admin = connect(base)
    admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    admin.execute(f'CREATE SCHEMA "{name}"')
    admin.close()
    return base + ("&" if "?" in base else "?") + "options=" + quote(f"-csearch_path={name}")


def drop_postgres_schema(name: str) -> None:
    from conftest_engines import engine_url

    from segql.engines import connect

    admin = connect(engine_url("postgres"))
    admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    admin.close()


class Counting:
    """An engine that counts the statements it runs."""

    def __init__(self, engine):
        self.engine, self.dialect, self.statements = engine, engine.dialect, []

    def execute(self, sql, params=None):
        if not sql.startswith(("SET ", "SELECT current_setting")):  # PostgreSQL's JIT switch (batch.py)
            self.statements.append(sql)
        return self.engine.execute(sql, params)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def engine(request, schema, demo_engine):
    if request.param == "duckdb":
        yield demo_engine
        return
    from conftest_engines import set_session_zone

    from segql.engines import connect

    name = f"segql_ops_{os.getpid()}"
    eng = connect(postgres_url_in_schema(name))
    set_session_zone(eng)
    load_demo(eng, extra_list_members=[("vip_customers", 99999)])
    yield eng
    eng.close()
    drop_postgres_schema(name)


@pytest.fixture(scope="module")
def loaded(schema):
    return api.load_segments([*SEGMENTS, CORPUS], schema)


def count_alone(segment, schema, engine, now=DEMO_NOW):
    """What `segql run --count` computes for one segment."""
    sql = api.render(api.to_sql_tree(segment, schema, engine.dialect, now=now, select="count"), engine.dialect,
                     pretty=False)
    return int(engine.execute(sql)[0][0])


def as_segment(cond, entity="contacts", slug="node"):
    return ir.Segment(slug, entity, "segment", cond)


# ---- counts -------------------------------------------------------------------------------------
def test_counts_equal_each_segment_counted_alone_in_one_statement(loaded, schema, engine):
    spy = Counting(engine)
    rows = api.counts(loaded, schema, spy, now=DEMO_NOW)
    assert len(spy.statements) == 1  # every segment here is on contacts: one statement for all of them
    assert len(rows) == len(loaded) > 60
    for row, item in zip(rows, loaded):
        assert row == {"segment": item.slug, "entity": "contacts",
                       "members": count_alone(item.segment, schema, engine)}, item.slug


def test_counts_one_statement_per_entity(schema, demo_engine):
    text = """
    segment big_orgs on organizations where employees > 100
    segment software on organizations where industry = "Software"
    segment us on contacts where country = "USA"
    segment big_org_contacts on contacts where organization in segment big_orgs and organization.industry = "Software"
    segment won on deals where stage = "Won"
    """
    items = api.load_segments([text], schema)
    spy = Counting(demo_engine)
    rows = api.counts(items, schema, spy, now=DEMO_NOW)
    assert len(spy.statements) == 3
    assert [r["entity"] for r in rows] == ["organizations", "organizations", "contacts", "contacts", "deals"]
    for row, item in zip(rows, items):
        assert row["members"] == count_alone(item.segment, schema, demo_engine)


def test_counts_share_to_one_joins_without_fanning_out(schema, demo_engine):
    items = api.load_segments(["""
    segment a on contacts where organization.industry = "Software"
    segment b on contacts where organization.employees > 100 or organization.industry is null
    segment c on contacts where opens > 3
    """], schema)
    sql = api.counts_sql(items, schema, "duckdb")["contacts"]
    assert sql.count("LEFT JOIN") == 1  # one join for both segments using `organization`
    rows = api.counts(items, schema, demo_engine, now=DEMO_NOW)
    assert [r["members"] for r in rows] == [count_alone(i.segment, schema, demo_engine) for i in items]


# ---- counts: to-many conditions pre-aggregated in one pass per relationship (batch.py) ---------------
PREAGG = """
segment won on contacts where any deals (stage = "Won")
segment never_won on contacts where no deals (stage = "Won")
segment not_won on contacts where not (any deals (stage = "Won"))
segment all_won on contacts where all deals (stage = "Won")
segment no_deals on contacts where count(deals) = 0
segment has_deals on contacts where any deals
segment two_deals on contacts where count(deals) >= 2
segment not_two_deals on contacts where not (count(deals) >= 2)
segment none_won on contacts where count(deals where stage = "Won") = 0
segment valued on contacts where count(deals.value) >= 1 and sum(deals.value) > 10000
segment lost_sum_zero on contacts where sum(deals.value where stage = "Lost") = 0
segment lost_sum_not_small on contacts where not (sum(deals.value where stage = "Lost") < 5000)
segment avg_of_nothing on contacts where avg(deals.value where stage = "Nonexistent") is null
segment avg_null on contacts where avg(deals.value) is null
segment avg_big on contacts where avg(deals.value) > 5000
segment avg_not_big on contacts where not (avg(deals.value) > 5000)
segment min_max on contacts where min(deals.value) < 1000 or max(deals.value where stage = "Won") >= 9000
segment coalesced on contacts where coalesce(avg(deals.value), 0) < 100
segment deals_vs_events on contacts where count(deals) > count(events where name = "purchase")
segment bought on contacts where performed "purchase" at least 2 times in last 90 days
segment not_bought on contacts where did not perform "purchase" in last 30 days
segment rarely on contacts where performed "page_view" fewer than 2 times
segment mixed on contacts where (any deals (stage = "Lost") or opens > 10) and not (count(events) between 5 and 15)
segment outer_ref on contacts where deals.value > lifetime_value
segment outer_and_shared on contacts where deals.value > lifetime_value and any deals (stage = "Won")
segment in_segment on contacts where in segment won and not in segment two_deals
"""


def _counts_vs_alone(items, schema, engine):
    spy = Counting(engine)
    rows = api.counts(items, schema, spy, now=DEMO_NOW)
    for row, item in zip(rows, items):
        assert row["members"] == count_alone(item.segment, schema, engine), item.slug
    return rows, spy.statements


def test_counts_preaggregate_to_many_conditions_in_one_pass(schema, engine):
    items = api.load_segments([PREAGG], schema)
    sql = api.counts_sql(items, schema, engine.dialect, now=DEMO_NOW)["contacts"]
    # one grouped pass over deals and one over events; only `deals.value > lifetime_value` (it refers to
    # the contact from inside) stays a correlated EXISTS of its own, in both segments using it
    assert sql.count('FROM "events"') == 1 and sql.count("GROUP BY") == 2
    assert sql.count('FROM "deals"') == 3 and sql.count("EXISTS") == 2
    rows, statements = _counts_vs_alone(items, schema, engine)
    assert len(statements) == 1
    sizes = {r["segment"]: r["members"] for r in rows}
    assert sizes["won"] + sizes["not_won"] == 200 == sizes["no_deals"] + sizes["has_deals"]
    assert sizes["two_deals"] + sizes["not_two_deals"] == 200 == sizes["avg_big"] + sizes["avg_not_big"]
    assert sizes["avg_of_nothing"] == 200 and 0 < sizes["no_deals"] <= sizes["avg_null"] < 200
    assert all(0 < sizes[s] < 200 for s in ("won", "two_deals", "bought", "not_bought", "mixed", "outer_ref"))


def test_counts_split_by_whether_records_have_related_rows(schema, engine):
    """A condition reading ONE pre-aggregated relationship is counted as [records meeting it with no related
    rows] - [records with related rows meeting that] + [records with related rows meeting it]: the grouped
    pass is INNER JOINed in a part of its own, not LEFT JOINed to every record. Typed values for 'no related
    rows' (avg/min/max of numbers, dates, strings), to-one joins and the record's own columns in a part, and
    a condition over two relationships (it keeps the LEFT JOINs) — all equal to each counted alone."""
    items = api.load_segments(["""
    segment mixed_own on contacts where did not perform "purchase" in last 30 days and opens > 5
    segment mixed_org on contacts where any deals (stage = "Won") or organization.industry = "Software"
    segment max_date on contacts where max(deals.closed_at) > "2026-01-01" or opens > 10
    segment min_text on contacts where not (min(deals.stage) = "Lost")
    segment avg_none on contacts where avg(deals.value) is null and clicks > 2
    segment both on contacts where count(deals) > count(events where name = "purchase")
    """], schema)
    sql = api.counts_sql(items[:-1], schema, engine.dialect, now=DEMO_NOW)["contacts"]
    assert sql.count("INNER JOIN") == 2 and sql.count("CROSS JOIN") == 2 and "LEFT JOIN (" not in sql
    assert sql.count('FROM "deals"') == 1 and sql.count('FROM "events"') == 1  # each table read once
    _counts_vs_alone(items[:-1], schema, engine)
    sql = api.counts_sql(items, schema, engine.dialect, now=DEMO_NOW)["contacts"]
    assert "INNER JOIN" not in sql and sql.count("LEFT JOIN (") == 2  # `both` reads both: LEFT JOINs for all
    _counts_vs_alone(items, schema, engine)


def test_counts_preaggregate_sql_is_deterministic(schema):
    items = api.load_segments([PREAGG], schema)
    sqls = {api.counts_sql(items, schema, "postgres", now=DEMO_NOW)["contacts"] for _ in range(3)}
    assert len(sqls) == 1


def test_counts_preaggregate_only_rows_some_condition_looks_at(schema, demo_engine):
    items = api.load_segments(["""
    segment a on contacts where performed "purchase" at least 2 times in last 30 days
    segment b on contacts where did not perform "page_view" in last 7 days
    segment c on contacts where avg(events.amount where name = "purchase") > 10
    """], schema)
    sql = api.counts_sql(items, schema, "duckdb", now=DEMO_NOW)["contacts"]
    grouped = sql[sql.index('FROM "events"'):]
    assert " OR " in grouped[:grouped.index("GROUP BY")]  # WHERE … AND (c1 OR c2 OR c3): no other rows
    _counts_vs_alone(items, schema, demo_engine)


def test_counts_preaggregate_nested_and_to_one_inside(tmp_path, engine):
    """Relationships beyond the example schema: a to-one path inside the related records' pass (kept as a
    join inside it) and a to-many condition nested inside a pre-aggregated one (a subquery in its CASE)."""
    import yaml

    doc = yaml.safe_load((EXAMPLES / "schema.yml").read_text("utf-8"))
    doc["entities"]["deals"]["relationships"] = {
        "contact": {"entity": "contacts", "type": "one", "local": "contact_id", "remote": "id"}}
    doc["entities"]["organizations"]["relationships"] = {
        "contacts": {"entity": "contacts", "type": "many", "local": "id", "remote": "organization_id"}}
    (tmp_path / "schema.yml").write_text(yaml.safe_dump(doc), "utf-8")
    schema = segql.load_schema(tmp_path / "schema.yml")
    items = api.load_segments(["""
    segment o1 on organizations where any contacts (any deals (stage = "Won"))
    segment o2 on organizations where count(contacts where count(deals) >= 2) >= 1
    segment o3 on organizations where no contacts (country = "USA") and any contacts
    segment o4 on organizations where avg(contacts.opens where organization.employees > 100) > 5
    segment o5 on organizations where sum(contacts.opens) > 30 or not (any contacts (opens > 20))
    segment c1 on contacts where any deals (contact.country = "USA" and stage = "Won")
    segment c2 on contacts where count(deals where contact.opens > 5) >= 1
    """], schema)
    sqls = api.counts_sql(items, schema, engine.dialect, now=DEMO_NOW)
    assert sqls["organizations"].count('FROM "contacts"') == 1
    assert sqls["organizations"].count('FROM "deals"') == 2  # nested: subqueries inside the one pass
    assert sqls["contacts"].count('FROM "deals"') == 1
    # a condition holding a subquery is not repeated in the pass's WHERE (it would run twice)
    nested = api.counts_sql(items[:2], schema, engine.dialect, now=DEMO_NOW)["organizations"]
    assert nested.count('FROM "deals"') == 2
    rows, statements = _counts_vs_alone(items, schema, engine)
    assert len(statements) == 2
    assert all(0 < r["members"] for r in rows)


def test_static_list_counts_only_members_that_exist(schema, engine):
    items = api.load_segments(["list vip_customers on contacts"], schema)
    listed = len([r for r in demo_rows("list_members")[1] if r[0] == "vip_customers"])
    rows = api.counts(items, schema, engine)
    assert rows == [{"segment": "vip_customers", "entity": "contacts", "members": listed}]
    # PostgreSQL holds one more vip_customers row, key 99999, which is no contact: not counted
    if engine.dialect == "postgres":
        assert engine.execute("SELECT COUNT(*) FROM list_members WHERE list_slug = 'vip_customers'")[0][0] == \
            listed + 1


def test_counts_cli_json_shape(capsys):
    code = cli.main(["counts", str(SEED), "--now", DEMO_NOW, "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert all(set(r) == {"segment", "entity", "members"} for r in out)
    assert {r["segment"] for r in out} >= {"geographic", "vip_customers", "engaged_vips"}
    code = cli.main(["counts", str(SEED), "--now", DEMO_NOW])
    text = capsys.readouterr().out
    assert code == 0 and text.splitlines()[0].split() == ["segment", "entity", "members"]


def test_counts_cli_memory_limit(capsys):
    counted = [cli.main(["counts", str(SEED), "--now", DEMO_NOW, "--format", "json", "--memory-limit", size])
               for size in ("none", "64MB")]
    first, second = (x for x in capsys.readouterr().out.splitlines() if x.startswith("["))
    assert counted == [0, 0] and first == second
    with pytest.raises(SystemExit) as bad:
        cli.main(["counts", str(SEED), "--memory-limit", "lots"])
    assert bad.value.code == 2 and "not a memory size" in capsys.readouterr().err
    for tiny in ("0", "0B", "0.0GB", "1000B"):  # 0 was accepted, then run uncapped
        with pytest.raises(SystemExit) as bad:
            cli.main(["counts", str(SEED), "--memory-limit", tiny])
        assert bad.value.code == 2 and "is below 1MB" in capsys.readouterr().err


def test_in_memory_duckdb_spills_to_its_own_folder_removed_on_close(tmp_path, monkeypatch):
    """DuckDB in memory spills to `.tmp` in the current directory and leaves it there, empty: segql's
    bounded statements spill to a folder of their own, gone when the engine closes."""
    from segql.engines import connect

    monkeypatch.chdir(tmp_path)
    eng = connect("duckdb://")
    eng.execute("SET threads = 1")
    eng.execute("CREATE TABLE t AS SELECT md5(CAST(range AS VARCHAR)) AS s FROM range(600000)")
    [(groups,)] = eng.execute_bounded("SELECT COUNT(*) FROM (SELECT s, COUNT(*) FROM t GROUP BY s)", "16MB")
    spill = eng.execute("SELECT current_setting('temp_directory')")[0][0]
    assert groups == 600000 and spill != ".tmp" and os.path.isdir(spill)
    assert os.listdir(spill), "the statement was meant to spill"
    eng.close()
    assert not os.path.exists(spill) and not os.path.exists(tmp_path / ".tmp")


def test_a_tiny_cap_never_leaves_the_session_capped(schema):
    """Under a 1000-byte cap DuckDB 2.0 failed, 2 runs in 3, even the RESET restoring the session's limit:
    the counts raised E0604 and the session stayed capped. Caps are raised to MIN_CAP."""
    from segql.engines.duckdb import MIN_CAP
    from segql.ops.run import open_engine

    items = api.load_segments([PREAGG], schema)
    for _ in range(8):  # fresh engines: passing all of them by chance was (1/3)**8 before
        eng = open_engine(None, schema)
        try:
            limit = eng.execute("SELECT current_setting('memory_limit')")[0][0]
            expected = api.counts(items, schema, eng, now=DEMO_NOW)
            assert api.counts(items, schema, eng, now=DEMO_NOW, memory_limit="1000B") == expected
            assert eng.execute("SELECT current_setting('memory_limit')")[0][0] == limit
        finally:
            eng.close()
    assert MIN_CAP == 10**6


@pytest.mark.parametrize("cap, session", [("auto", None), ("1000B", None), ("1GB", "64MB")])
def test_counts_on_duckdb_run_within_a_memory_limit_then_restore_it(cap, session, schema, demo_engine, monkeypatch):
    """DuckDB's memory_limit is lowered for the counts statement only (spilling beyond it; benchmarks/README.md
    §9), never raised, and a cap DuckDB cannot work under (1000 bytes: raised to MIN_CAP, for under it even
    the RESET that restores the limit failed, 2 runs in 3) leaves the session's own limit."""
    from segql.engines.duckdb import size_bytes

    items = api.load_segments([PREAGG], schema)
    expected = api.counts(items, schema, demo_engine, now=DEMO_NOW, memory_limit=None)
    if session:
        demo_engine.execute(f"SET memory_limit = '{session}'")
    limit = demo_engine.execute("SELECT current_setting('memory_limit')")[0][0]
    sets, execute = [], demo_engine.execute

    def spy(sql, params=None):
        if sql.startswith("SET memory_limit"):  # RESET restores the default
            sets.append(sql)
        return execute(sql, params)

    monkeypatch.setattr(demo_engine, "execute", spy)
    try:
        assert api.counts(items, schema, demo_engine, now=DEMO_NOW, memory_limit=cap) == expected
        assert execute("SELECT current_setting('memory_limit')")[0][0] == limit
    finally:
        execute("RESET memory_limit")
    threads = int(execute("SELECT current_setting('threads')")[0][0])
    if cap == "auto":  # 50 MB a thread, then the session's own
        assert sets == [f"SET memory_limit = '{50_000_000 * threads}B'"]
    elif session:  # a cap above the session's limit is no cap
        assert sets == []
    assert size_bytes("18.8 GiB") == int(18.8 * 2**30) and size_bytes("100MB") == 10**8
    with pytest.raises(ValueError):
        size_bytes("a lot")


def test_counts_api_leaves_the_memory_limit_alone_by_default(schema, demo_engine, monkeypatch):
    """The setting is global to a DuckDB database that other threads (the service) may be using: only the
    CLI, or a caller asking, lowers it."""
    items = api.load_segments([PREAGG], schema)
    sets, execute = [], demo_engine.execute

    def spy(sql, params=None):
        if "memory_limit" in sql:
            sets.append(sql)
        return execute(sql, params)

    monkeypatch.setattr(demo_engine, "execute", spy)
    api.counts(items, schema, demo_engine, now=DEMO_NOW)
    assert sets == []


def test_duplicate_slug_across_files_is_an_error(tmp_path, schema, capsys):
    (tmp_path / "a.segql").write_text("segment s on contacts where opens > 1\n")
    (tmp_path / "b.segql").write_text("segment s on contacts where opens > 2\n")
    code = cli.main(["counts", str(tmp_path / "a.segql"), str(tmp_path / "b.segql"), "--schema",
                     str(EXAMPLES / "schema.yml")])
    assert code == 1 and "E0700" in capsys.readouterr().err


# ---- explain ------------------------------------------------------------------------------------
EXPLAINED = ["high_value_prospects", "nested_example", "complex_example", "c_nested", "c_let", "c_null",
             "calculated_fields", "at_risk", "c_to_many", "c_ago_date"]


def _walk(result_node, pair_node):
    yield result_node, pair_node
    for rc, pc in zip(result_node.get("children", []), pair_node.children):
        yield from _walk(rc, pc)


@pytest.mark.parametrize("slug", EXPLAINED)
def test_explain_counts_equal_each_node_run_alone(slug, loaded, schema, engine):
    item = next(i for i in loaded if i.slug == slug)
    spy = Counting(engine)
    result = explain(item.segment, item.definition, schema, spy, now=DEMO_NOW)
    assert len(spy.statements) == 1
    assert result["members"] == count_alone(item.segment, schema, engine)
    assert result["records"] == 200
    root = nodes.pair(item.definition.condition, item.segment.condition)
    checked = 0
    for res, node in _walk(result["tree"], root):
        assert res["records"] == count_alone(as_segment(node.meaning), schema, engine), res["condition"]
        checked += 1
        if node.kind == "and":
            for k, step in enumerate(res["funnel"], start=1):
                prefix = ir.And(tuple(c.meaning for c in node.children[:k]))
                assert step["records"] == count_alone(as_segment(prefix), schema, engine)
            assert res["funnel"][-1]["records"] == res["records"]
    assert checked >= 2 or slug == "c_to_many"


def test_explain_cli_text_and_json(capsys):
    code = cli.main(["explain", str(EXAMPLES / "segments" / "high_value_prospects.segql"), "--segment",
                     "high_value_prospects", "--now", DEMO_NOW])
    text = capsys.readouterr().out
    assert code == 0
    assert text.startswith("high_value_prospects on contacts: ")
    assert 'organization.industry in ("Software", "Fintech")' in text and "→" in text
    code = cli.main(["explain", str(EXAMPLES / "segments" / "high_value_prospects.segql"), "--segment",
                     "high_value_prospects", "--now", DEMO_NOW, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    tree = data["tree"]
    assert tree["kind"] == "and" and len(tree["children"]) == 4 == len(tree["funnel"])
    assert tree["children"][0]["condition"].startswith("any deals (")
    assert tree["children"][1]["line"] == 8  # spans point into the file
    funnel = [f["records"] for f in tree["funnel"]]
    assert funnel == sorted(funnel, reverse=True) and funnel[-1] == data["members"]


def test_explain_needs_segment_when_several(capsys):
    assert cli.main(["explain", str(SEED)]) == 2
    assert "E0003" in capsys.readouterr().err


def test_explain_static_list(schema, demo_engine):
    items = api.load_segments(["list vip_customers on contacts"], schema)
    result = explain(items[0].segment, items[0].definition, schema, demo_engine)
    assert result["tree"] is None and result["members"] == count_alone(items[0].segment, schema, demo_engine)


# ---- overlap ------------------------------------------------------------------------------------
def _membership(item):
    if item.segment.condition is None:
        return ir.InList(item.slug)
    return ir.SegmentRef(item.slug, item.segment.condition)


def test_overlap_equals_pairwise_and_segments(loaded, schema, engine):
    chosen = ["churned", "vip_customers", "company_employees", "rolling_window", "top_tier",
              "active_last_30_days", "purchased_this_week", "non_purchasers", "c_to_many"]
    items = [next(i for i in loaded if i.slug == s) for s in chosen]
    spy = Counting(engine)
    [block] = api.overlap(items, schema, spy, now=DEMO_NOW)
    assert len(spy.statements) == 1
    assert block["segments"] == chosen and block["records"] == 200
    for a, x in enumerate(items):
        for b, y in enumerate(items):
            want = count_alone(as_segment(ir.And((_membership(x), _membership(y)))), schema, engine)
            assert block["matrix"][a][b] == want, (x.slug, y.slug)
    assert block["sizes"]["churned"] == count_alone(items[0].segment, schema, engine)


def test_overlap_cli(capsys):
    code = cli.main(["overlap", str(EXAMPLES / "segments" / "high_value_prospects.segql"), "--now", DEMO_NOW,
                     "--format", "json"])
    [block] = json.loads(capsys.readouterr().out)
    assert code == 0 and block["entity"] == "contacts"
    m = block["matrix"]
    assert all(m[i][j] == m[j][i] <= min(m[i][i], m[j][j]) for i in range(len(m)) for j in range(len(m)))


# ---- one record, in process ---------------------------------------------------------------------
def test_segments_for_record_matches_sql_on_demo_data(schema, demo_engine):
    from segql.targets.evaluate import Dataset

    items = api.load_segments([SEED], schema)
    rel = schema.entities["contacts"].relationships

    def table(name):
        rows = demo_engine.execute(f'SELECT * FROM "{name}"')
        cols = demo_engine.columns
        return [dict(zip(cols, r)) for r in rows]

    contacts, deals, events, orgs = table("contacts"), table("deals"), table("events"), table("organizations")
    org_by_id = {o["id"]: o for o in orgs}
    lists: dict = {}
    for r in table("list_members"):
        lists.setdefault(r["list_slug"], set()).add(r["member_key"])
    related = Dataset(lists=lists)
    assert rel["deals"].remote == "contact_id" and rel["events"].remote == "contact_id"
    expected = {}
    for item in items:
        sql = member_query(item.segment, schema, "duckdb", now=DEMO_NOW)
        expected[item.slug] = {r[0] for r in demo_engine.execute(sql)}
    got = {item.slug: set() for item in items}
    for c in contacts:
        record = dict(c, deals=[d for d in deals if d["contact_id"] == c["id"]],
                      events=[e for e in events if e["contact_id"] == c["id"]],
                      organization=org_by_id.get(c["organization_id"]))
        for slug in api.segments_for_record(record, items, schema, now=DEMO_NOW, related=related):
            got[slug].add(c["id"])
    for item in items:
        assert got[item.slug] == expected[item.slug], item.slug
    assert sum(map(len, expected.values())) > 500  # the segments do select people


def test_segments_for_record_from_files_and_now_default(schema):
    record = {"id": 1, "email": "ann@company.com", "country": "USA", "state": "CA", "timezone": "PST",
              "opens": 0, "subscribed_at": dt.datetime(2020, 1, 1)}
    slugs = api.segments_for_record(record, [str(SEED)], schema)
    assert {"company_employees", "geographic", "never_engaged"} <= set(slugs)
    assert "vip_customers" not in slugs  # no list data given: not a member


def test_segments_for_record_needs_entity_when_several(schema):
    with pytest.raises(segql.SegqlError) as err:
        api.segments_for_record({"id": 1}, ["segment a on contacts where opens > 1\n"
                                                   "segment b on deals where value > 1"], schema)
    assert err.value.code == "E0004"
    assert api.segments_for_record({"id": 1, "value": 5}, ["segment a on contacts where opens > 1\n"
                                                                  "segment b on deals where value > 1"],
                                          schema, entity="deals") == ["b"]


def test_help_on_operation_commands(capsys):
    for command in ("counts", "explain", "overlap", "refresh", "list"):
        with pytest.raises(SystemExit) as exit_:
            cli.main([command, "--help"])
        out = capsys.readouterr().out
        assert exit_.value.code == 0 and "--schema" in out and "--format" in out and "--db" in out


# ---- counts on every verified engine (the conformance data and corpus) -----------------------------
def _conformance():
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "conformance"))
    import data as conformance_data

    conf = ROOT / "tests" / "conformance"
    schema = segql.load_schema(conf / "schema.yml")
    files = [CORPUS, *SEGMENTS, conf / "hard_cases.segql"]
    segments = {}
    for path in files:
        doc = segql.parse(path.read_text("utf-8"), path=str(path))
        for d in doc.definitions:
            segments[f"{path.stem}/{d.slug}"] = api.to_ir(doc, schema, segment=d.slug)
    doc = segql.parse(PREAGG)
    for d in doc.definitions:
        segments[f"preagg/{d.slug}"] = api.to_ir(doc, schema, segment=d.slug)
    return conformance_data, schema, segments


@pytest.fixture(scope="module")
def conformance_reference():
    """The conformance schema and corpus, and each segment's count run alone on DuckDB."""
    from conftest_engines import open_engine

    data, schema, segments = _conformance()
    eng = open_engine("duckdb")
    for table, cols, rows in data.tables(schema, data.build()):
        eng.create_table(table, cols, rows)
    counts = {name: count_alone(seg, schema, eng, now=data.NOW_ISO) for name, seg in segments.items()}
    eng.close()
    return data, schema, segments, counts


def _to_many_insides(cond):
    """The conditions and values evaluated on related records, anywhere in `cond`."""
    import dataclasses

    out, stack = [], [cond]
    while stack:
        node = stack.pop()
        if isinstance(node, ir.Exists):
            out.append(node.condition)
        elif isinstance(node, ir.Aggregate):
            out.extend((node.value, node.where))
        if dataclasses.is_dataclass(node) and isinstance(node, ir.Expr):
            for f in dataclasses.fields(node):
                value = getattr(node, f.name)
                stack.extend(v for v in (value if isinstance(value, tuple) else (value,)) if isinstance(v, ir.Expr))
    return out


@pytest.mark.parametrize("dialect", VERIFIED)
def test_counts_on_every_engine_equal_duckdb_counted_alone(dialect, conformance_reference):
    """`counts` (one statement per entity, pre-aggregated) on each verified engine equals each segment's
    count run alone on DuckDB (test_conformance checks the engines' members agree segment by segment)."""
    from conftest_engines import open_engine

    from segql.lower.batch import count_query, run_one_row
    from segql.errors import UnsupportedError

    data, schema, segments, expected = conformance_reference
    supported, correlated = {}, 0
    for name, seg in segments.items():
        try:
            api.to_sql_tree(seg, schema, dialect, now=data.NOW_ISO, select="count")
        except UnsupportedError:
            continue
        if dialect == "clickhouse" and any(ir.refers_outside(n) for n in _to_many_insides(seg.condition)):
            correlated += 1
            continue  # documented: ClickHouse cannot run a correlated subquery inside COUNT(CASE …)
        supported[name] = seg
    assert len(supported) >= len(segments) - 2 - correlated
    if dialect == "spark":  # ~1 s of analysis per segment: a fixed half in CI, all with SEGQL_TEST_FULL=1
        supported = {n: supported[n] for n in budget.sample(supported)}
    eng = open_engine(dialect)
    try:
        for table, cols, rows in data.tables(schema, data.build()):
            eng.create_table(table, cols, rows)
        by_entity: dict = {}
        for name, seg in supported.items():
            by_entity.setdefault(seg.entity, []).append(name)
        got = {}
        for entity, names in by_entity.items():
            row = run_one_row(eng, count_query(schema, dialect, entity, [supported[n] for n in names], data.NOW_ISO))
            got.update({n: row[f"c{i}"] for i, n in enumerate(names)})
    finally:
        eng.close()
    assert {n: got[n] for n in supported} == {n: expected[n] for n in supported}


def test_clickhouse_counts_the_correlated_segments_one_statement_each(conformance_reference):
    """ClickHouse cannot run a correlated subquery inside COUNT(CASE …): `counts` counts the segments whose
    to-many condition refers to the outer record as `run --count` does (they were E0604), the rest in the
    batch, and every count equals DuckDB's."""
    from conftest_engines import open_engine

    from segql.errors import UnsupportedError
    from segql.lower.batch import correlated_in_aggregate, count_query
    from segql.ops.counts import counts, overlap
    from segql.ops.load import Loaded

    data, schema, segments, expected = conformance_reference
    chosen = {}
    for name, seg in segments.items():
        if seg.kind != "segment":  # a static list is counted by its slug, renamed below
            continue
        try:
            api.to_sql_tree(seg, schema, "clickhouse", now=data.NOW_ISO, select="count")
        except UnsupportedError:
            continue
        chosen[name] = seg
    # the segments `counts` runs alone on ClickHouse: a correlated subquery inside an aggregate of the batch
    correlated = [n for n, seg in chosen.items()
                  if correlated_in_aggregate(count_query(schema, "clickhouse", seg.entity, [seg], data.NOW_ISO))]
    assert len(correlated) >= 3
    eng = open_engine("clickhouse")
    try:
        for table, cols, rows in data.tables(schema, data.build()):
            eng.create_table(table, cols, rows)
        loaded = [Loaded(None, None, dataclasses.replace(seg, slug=name)) for name, seg in chosen.items()]
        got = {r["segment"]: r["members"] for r in counts(loaded, schema, eng, now=data.NOW_ISO)}
        # overlap's flags stand in a projection, not inside an aggregate: ClickHouse runs them as they are
        [block] = overlap([i for i in loaded if i.slug in correlated], schema, eng, now=data.NOW_ISO)
    finally:
        eng.close()
    assert got == {n: expected[n] for n in chosen}
    assert block["sizes"] == {n: expected[n] for n in correlated}


@pytest.mark.parametrize("session", ["1.5GB", "1000000001B", "-1"])
def test_counts_restore_a_session_limit_duckdb_shows_rounded(session, schema, demo_engine):
    """DuckDB shows a limit to one decimal of its unit, rounded down ('1.5GB' shows '1.3 GiB'): setting that
    text back lowered the session's limit by up to a tenth of a unit on every capped call (1.3, 1.2, 1.1,
    1.0 GiB), and an unlimited session ('-1' shows '16383.9 PiB') was refused with a ValueError."""
    items = api.load_segments([PREAGG], schema)
    expected = api.counts(items, schema, demo_engine, now=DEMO_NOW, memory_limit=None)
    demo_engine.execute(f"SET memory_limit = '{session}'")
    limit = demo_engine.execute("SELECT current_setting('memory_limit')")[0][0]
    try:
        for _ in range(3):
            assert api.counts(items, schema, demo_engine, now=DEMO_NOW, memory_limit="100MB") == expected
            assert demo_engine.execute("SELECT current_setting('memory_limit')")[0][0] == limit
    finally:
        demo_engine.execute("RESET memory_limit")
