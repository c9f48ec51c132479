"""Operations on many segments (docs/operations.md): counts, explain, overlap, evaluating one record.

Each answer is checked against the plain one-segment-at-a-time answer (`segql run --count` semantics:
the compiled COUNT statement), on the demo data in embedded DuckDB and in PostgreSQL
(SEGQL_TEST_POSTGRES_URL; skipped with a reason when unset, a failure when SEGQL_REQUIRE_ENGINES=1).
"""
from __future__ import annotations

import datetime as dt
import json
import os
from urllib.parse import quote

import pytest
from conftest import DEMO_NOW, EXAMPLES, ROOT

import segql
from segql import api, cli, ir, nodes, operations
from segql.explain import explain
from segql.run import member_query

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
    return operations.load_segments([*SEGMENTS, CORPUS], schema)


def count_alone(segment, schema, engine, now=DEMO_NOW):
    """What `segql run --count` computes for one segment."""
    sql = api.render(api.lower(segment, schema, engine.dialect, now=now, select="count"), engine.dialect,
                     pretty=False)
    return int(engine.execute(sql)[0][0])


def as_segment(cond, entity="contacts", slug="node"):
    return ir.Segment(slug, entity, "segment", cond)


# ---- counts -------------------------------------------------------------------------------------
def test_counts_equal_each_segment_counted_alone_in_one_statement(loaded, schema, engine):
    spy = Counting(engine)
    rows = operations.counts(loaded, schema, spy, now=DEMO_NOW)
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
    items = operations.load_segments([text], schema)
    spy = Counting(demo_engine)
    rows = operations.counts(items, schema, spy, now=DEMO_NOW)
    assert len(spy.statements) == 3
    assert [r["entity"] for r in rows] == ["organizations", "organizations", "contacts", "contacts", "deals"]
    for row, item in zip(rows, items):
        assert row["members"] == count_alone(item.segment, schema, demo_engine)


def test_counts_share_to_one_joins_without_fanning_out(schema, demo_engine):
    items = operations.load_segments(["""
    segment a on contacts where organization.industry = "Software"
    segment b on contacts where organization.employees > 100 or organization.industry is null
    segment c on contacts where opens > 3
    """], schema)
    sql = operations.counts_sql(items, schema, "duckdb")["contacts"]
    assert sql.count("LEFT JOIN") == 1  # one join for both segments using `organization`
    rows = operations.counts(items, schema, demo_engine, now=DEMO_NOW)
    assert [r["members"] for r in rows] == [count_alone(i.segment, schema, demo_engine) for i in items]


def test_static_list_counts_only_members_that_exist(schema, engine):
    items = operations.load_segments(["list vip_customers on contacts"], schema)
    listed = len([r for r in demo_rows("list_members")[1] if r[0] == "vip_customers"])
    rows = operations.counts(items, schema, engine)
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
    items = operations.load_segments(["list vip_customers on contacts"], schema)
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
    [block] = operations.overlap(items, schema, spy, now=DEMO_NOW)
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
    from segql.evaluate import Dataset

    items = operations.load_segments([SEED], schema)
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
        for slug in operations.segments_for_record(record, items, schema, now=DEMO_NOW, related=related):
            got[slug].add(c["id"])
    for item in items:
        assert got[item.slug] == expected[item.slug], item.slug
    assert sum(map(len, expected.values())) > 500  # the segments do select people


def test_segments_for_record_from_files_and_now_default(schema):
    record = {"id": 1, "email": "ann@company.com", "country": "USA", "state": "CA", "timezone": "PST",
              "opens": 0, "subscribed_at": dt.datetime(2020, 1, 1)}
    slugs = operations.segments_for_record(record, [str(SEED)], schema)
    assert {"company_employees", "geographic", "never_engaged"} <= set(slugs)
    assert "vip_customers" not in slugs  # no list data given: not a member


def test_segments_for_record_needs_entity_when_several(schema):
    with pytest.raises(segql.SegqlError) as err:
        operations.segments_for_record({"id": 1}, ["segment a on contacts where opens > 1\n"
                                                   "segment b on deals where value > 1"], schema)
    assert err.value.code == "E0004"
    assert operations.segments_for_record({"id": 1, "value": 5}, ["segment a on contacts where opens > 1\n"
                                                                  "segment b on deals where value > 1"],
                                          schema, entity="deals") == ["b"]


def test_help_on_operation_commands(capsys):
    for command in ("counts", "explain", "overlap", "refresh", "list"):
        with pytest.raises(SystemExit) as exit_:
            cli.main([command, "--help"])
        out = capsys.readouterr().out
        assert exit_.value.code == 0 and "--schema" in out and "--format" in out and "--db" in out
