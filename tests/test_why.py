"""`segql why` (SPEC §8, docs/operations.md "Why (not)"): one record's condition tree with each node's
truth and the values that decided it.

The root must be the record's membership: checked for every record of the demo data and every segment
of examples/segments/ and the construct corpus (DuckDB and PostgreSQL), and on generated data and
generated segments (tests/test_differential.py's strategies). Every node's truth is checked against
`explain` (the number of records for which a node is true is the number of records passing it), the
deciding values against the tables themselves, and one record is one statement.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import DEMO_NOW, EXAMPLES, run_cli
from hypothesis import given, note
from test_differential import SCHEMA as DIFF_SCHEMA
from test_differential import SETTINGS, STATS, DuckDB, _assert_share_accepted, cases, document, show
from test_differential import to_ir as diff_to_ir
from test_operations import Counting, engine, loaded  # noqa: F401 - fixtures

from segql import api
from segql.errors import SegqlError
from segql.ops.explain import explain
from segql.ops.run import list_rows
from segql.ops.why import render_text, why, why_records

HVP = EXAMPLES / "segments" / "high_value_prospects.segql"
SEED = EXAMPLES / "segments" / "seed002.segql"


def all_keys(eng):
    return [r[0] for r in eng.execute('SELECT "id" FROM "contacts" ORDER BY "id"')]


def nodes_of(tree):
    yield tree
    for child in tree.get("children", []):
        yield from nodes_of(child)


def check_combination(node):
    """Every inner node's value is its children's and/or/not (two-valued)."""
    kids = node.get("children")
    if not kids:
        return
    values = [c["value"] for c in kids]
    expected = {"and": all(values), "or": any(values), "not": not values[0]}[node["kind"]]
    assert node["value"] == expected, node["condition"]
    for c in kids:
        check_combination(c)


# ---- the root is membership, every node agrees with explain -----------------------------------------
def test_every_record_of_every_example_segment(loaded, schema, engine):  # noqa: F811
    keys = all_keys(engine)
    assert len(keys) == 200
    checked = 0
    for item in loaded:
        members = {r[0] for r in list_rows(item.segment, schema, engine, now=DEMO_NOW)}
        spy = Counting(engine)
        trees = why_records(item.segment, item.definition, schema, spy, keys, now=DEMO_NOW)
        assert len(spy.statements) == 1
        assert {t["key"] for t in trees if t["member"]} == members, item.slug
        assert [t["key"] for t in trees] == keys
        if item.segment.condition is None:
            continue
        funnel = explain(item.segment, item.definition, schema, engine, now=DEMO_NOW)
        walks = [list(nodes_of(t["tree"])) for t in trees]
        for i, counted in enumerate(nodes_of(funnel["tree"])):
            assert sum(w[i]["value"] for w in walks) == counted["records"], (item.slug, counted["condition"])
            assert walks[0][i]["condition"] == counted["condition"]
        for t in trees:
            check_combination(t["tree"])
        checked += 1
    assert checked > 60  # seed 002's segments, the other examples and the construct corpus


def test_one_record_is_one_statement(schema, engine):  # noqa: F811
    item = api.load_segments([HVP], schema)[0]
    spy = Counting(engine)
    result = why(item.segment, item.definition, schema, spy, 5, now=DEMO_NOW)
    assert len(spy.statements) == 1 and "WHERE" in spy.statements[0]
    assert result["key"] == 5 and result["segment"] == "high_value_prospects"


# ---- the deciding values --------------------------------------------------------------------------
def _row(eng, sql):
    return eng.execute(sql)[0]


def test_values_match_the_tables(schema, demo_engine):
    item = api.load_segments([HVP], schema)[0]
    deals_of = {}
    for contact, deal, value, stage in demo_engine.execute(
            'SELECT contact_id, id, value, stage FROM deals ORDER BY id'):
        deals_of.setdefault(contact, []).append((deal, value, stage))
    seen_related = seen_missing = 0
    for key in all_keys(demo_engine)[:60]:
        result = why(item.segment, item.definition, schema, demo_engine, key, now=DEMO_NOW)
        any_deals, industry, aov, not_churned = result["tree"]["children"]
        mine = deals_of.get(key, [])
        matching = [d for d, v, s in mine if v is not None and v >= 10000 and s == "Negotiation"]
        assert any_deals["related"] == {"relationship": "deals", "label": "meeting the condition",
                                        "count": len(matching), "of": len(mine), "keys": matching[:3]}
        assert any_deals["value"] == bool(matching)
        seen_related += bool(matching)
        org = demo_engine.execute(f"SELECT o.industry FROM contacts c LEFT JOIN organizations o "
                                  f"ON o.id = c.organization_id WHERE c.id = {int(key)}")[0][0]
        assert industry["values"] == [{"name": "organization.industry", "value": org, "type": "string"}]
        revenue, orders = _row(demo_engine, f"SELECT total_revenue, order_count FROM contacts WHERE id = {int(key)}")
        expected = None if revenue is None or not orders else revenue / orders
        got = aov["values"][0]["value"]
        assert aov["values"][0]["name"] == "aov"
        assert (got is None and expected is None) or abs(got - expected) < 1e-6
        if expected is None:
            seen_missing += 1
            assert aov["value"] is False and aov["missing"] == ["aov"] and "missing" in aov["note"]
        else:
            assert aov["value"] == (expected > 50) and "missing" not in aov
        assert not_churned["kind"] == "not"
        assert "segment churned" in not_churned["children"][0]["note"]
    assert seen_related and seen_missing  # the data exercises both


def test_counts_and_ages(schema, demo_engine):
    text = """
    segment s on contacts where
      performed "email_opened" more than 1 times
      and last_activity < 30 days ago
      and count(deals) >= 0
      and signup_date > 10 days ago
    """
    item = api.load_segments([text], schema)[0]
    now = dt.datetime(2026, 11, 15, 12)
    for key in all_keys(demo_engine)[:40]:
        result = why(item.segment, item.definition, schema, demo_engine, key, now=DEMO_NOW)
        performed, recent, deals, signup = result["tree"]["children"]
        opened = _row(demo_engine, f"SELECT count(*) FROM events WHERE contact_id = {int(key)} "
                                   "AND name = 'email_opened'")[0]
        assert performed["values"] == [{"name": 'times performed "email_opened"', "value": opened,
                                        "type": "integer"}]
        assert performed["value"] == (opened > 1)
        assert deals["values"][0]["value"] == _row(demo_engine, f"SELECT count(*) FROM deals WHERE contact_id = {int(key)}")[0]
        last, signed = _row(demo_engine, f"SELECT last_activity, signup_date FROM contacts WHERE id = {int(key)}")
        assert recent["now"] == now.isoformat()
        if last is None:
            assert recent["value"] is False and recent["missing"] == ["last_activity"]
        else:
            assert recent["values"][0]["value"] == last.isoformat()
            assert recent["value"] == (last > now - dt.timedelta(days=30))
            assert recent["age"].split()[0] == str((now - last).days) or (now - last).days == 0
        if signed is not None:
            assert signup["today"] == now.date().isoformat()
            assert signup["age"] == f"{(now.date() - signed).days} day" + ("" if (now.date() - signed).days == 1 else "s")


def test_all_and_no_show_the_records_that_decided(schema, demo_engine):
    item = api.load_segments(["""segment s on contacts where all deals (stage = "Won") or no deals (value > 1000)"""],
                             schema)[0]
    for key in all_keys(demo_engine)[:60]:
        all_won, no_big = why(item.segment, item.definition, schema, demo_engine, key, now=DEMO_NOW)["tree"]["children"]
        deals = demo_engine.execute(f"SELECT id, value, stage FROM deals WHERE contact_id = {int(key)} ORDER BY id")
        failing = [d for d, v, s in deals if s != "Won"]
        big = [d for d, v, s in deals if v is not None and v > 1000]
        assert all_won["related"]["keys"] == failing[:3] and all_won["related"]["count"] == len(failing)
        assert all_won["related"]["label"] == "not meeting the condition"
        assert all_won["value"] == (not failing)
        assert no_big["related"]["keys"] == big[:3] and no_big["value"] == (not big)


# ---- generated data and segments (tests/test_differential.py) ----------------------------------------
class _Engine:
    dialect = "duckdb"

    def __init__(self, con):
        self.con = con

    def execute(self, sql, params=None):
        return self.con.execute(sql).fetchall()


def test_generated_segments_root_is_membership():
    db = DuckDB(DIFF_SCHEMA)
    eng = _Engine(db.con)
    before = dict(STATS)

    @SETTINGS.__class__(SETTINGS, max_examples=40)
    @given(case=cases(n_segments=4))
    def check(case):
        now_iso, data, conds, helper = case
        db.load(data)
        keys = sorted(r["id"] for r in data.rows("contacts"))
        for cond in conds:
            doc = document(cond, helper)
            seg = diff_to_ir(doc)
            if seg is None or not keys:
                continue
            note(show(doc.definitions[0]))
            members, _ = db.members(seg, now_iso)
            trees = why_records(seg, doc.definitions[0], DIFF_SCHEMA, eng, keys, now=now_iso)
            assert {t["key"] for t in trees if t["member"]} == members
            for t in trees:
                check_combination(t["tree"])
            one = why(seg, doc.definitions[0], DIFF_SCHEMA, eng, keys[0], now=now_iso)
            assert one == trees[0]

    check()
    import collections

    _assert_share_accepted(collections.Counter(before))


# ---- the command ----------------------------------------------------------------------------------
def test_cli_text_and_json():
    code, out, err = run_cli("why", HVP, "--segment", "high_value_prospects", "--key", "5", "--now", DEMO_NOW)
    assert code == 0, err
    assert out.startswith("high_value_prospects on contacts, key 5: ")
    assert "any deals (value >= $10,000" in out and ("✓" in out and "✗" in out)
    code, out, err = run_cli("why", HVP, "--segment", "high_value_prospects", "--key", "5", "--now", DEMO_NOW,
                             "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["tree"]["kind"] == "and" and data["member"] == data["tree"]["value"]
    assert data["tree"]["children"][1]["line"] == 8  # spans point into the file
    assert render_text(data) + "\n" == run_cli("why", HVP, "--segment", "high_value_prospects", "--key", "5",
                                               "--now", DEMO_NOW)[1]


def test_cli_bad_keys_are_diagnostics():
    code, out, err = run_cli("why", HVP, "--segment", "churned", "--key", "987654")
    assert code == 1 and "error[E0710]" in err and "987654" in err and "Traceback" not in err
    code, out, err = run_cli("why", HVP, "--segment", "churned", "--key", "abc")
    assert code == 1 and "error[E0703]" in err and "integer" in err and "Traceback" not in err
    code, _, err = run_cli("why", HVP, "--key", "1")
    assert code == 2 and "E0003" in err
    code, _, err = run_cli("why", HVP, "--segment", "churned")
    assert code == 2 and "--key" in err


def test_static_list(schema, demo_engine):
    items = api.load_segments(["list vip_customers on contacts"], schema)
    members = {r[0] for r in list_rows(items[0].segment, schema, demo_engine)}
    for key in all_keys(demo_engine)[:50]:
        result = why(items[0].segment, items[0].definition, schema, demo_engine, key)
        assert result["tree"] is None and result["member"] == (key in members)


def test_key_types(schema, demo_engine):
    item = api.load_segments([HVP], schema)[1]
    assert why(item.segment, item.definition, schema, demo_engine, "7", now=DEMO_NOW)["key"] == 7
    with pytest.raises(SegqlError) as err:
        why(item.segment, item.definition, schema, demo_engine, "7.5", now=DEMO_NOW)
    assert err.value.code == "E0703"
    with pytest.raises(SegqlError) as err:
        why(item.segment, item.definition, schema, demo_engine, 0, now=DEMO_NOW)
    assert err.value.code == "E0710"


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb", "mysql", "postgres"])
def test_related_keys_skip_a_null_key(dialect):
    """A related record without a key is counted but never takes a place among the keys shown: MySQL and
    SQLite sort a NULL first, and the sample's `ORDER BY key` must keep it last there (sqlglot writes the
    NULL ordering out for them), as ClickHouse's `groupArray` skips it."""
    from segql.engines import connect
    from segql.semantic.schemas import parse_schema

    schema = parse_schema("entities:\n  people:\n    table: people\n    key: id\n    properties: {id: integer}\n"
                          "    relationships: {deals: {entity: deals, type: many, local: id, remote: person_id}}\n"
                          "  deals:\n    table: deals\n    key: id\n    properties: {id: integer, person_id: integer}\n")
    from conftest_engines import engine_url

    eng = connect(engine_url(dialect))
    try:
        for table in ("people", "deals"):
            eng.execute(f"DROP TABLE IF EXISTS {table}")
        eng.create_table("people", {"id": "integer"}, [(1,)])
        eng.create_table("deals", {"id": "integer", "person_id": "integer"}, [(None, 1), (9, 1), (5, 1), (7, 1)])
        [item] = api.load_segments(["segment s on people where any deals (person_id = 1)"], schema)
        result = why(item.segment, item.definition, schema, eng, 1)
    finally:
        for table in ("people", "deals"):
            eng.execute(f"DROP TABLE IF EXISTS {table}")
        eng.close()
    related = result["tree"]["related"]
    assert result["member"] and related["count"] == related["of"] == 4
    assert related["keys"] == [5, 7, 9]
