"""Sequences (SPEC §8): `performed "A" then "B" within N units` — members derived by hand on a small event
stream (the span exactly, one second over, ties, B before A, the same row as A and B, a clamped month, the
window on both events, counts), checked on the evaluator AND on DuckDB; the text form round-trips through
fmt; the JSON forms read to the same tree; mistakes are diagnostics.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_differential import SCHEMA, DuckDB  # noqa: E402

from segql import api, ir  # noqa: E402
from segql.errors import SegqlError  # noqa: E402
from segql.frontends import json_document_from_text  # noqa: E402
from segql.syntax import ast  # noqa: E402
from segql.syntax.parser import parse_condition  # noqa: E402
from segql.syntax.printer import format_condition, strip_parens  # noqa: E402
from segql.targets.evaluate import Dataset, evaluate_segment  # noqa: E402

NOW = "2024-03-31T16:00:00Z"  # 12:00 in New York; now − 90 days = 2024-01-01 12:00 local
T = dt.datetime
A0 = T(2024, 3, 10, 10, 0)

# (contact, name, time, amount); event ids in order
STREAM = [
    (1, "A", A0, 10), (1, "B", A0 + dt.timedelta(days=14), None),                            # exactly 14 days
    (2, "A", A0, None), (2, "B", A0 + dt.timedelta(days=14, seconds=1), None),              # one second over
    (3, "B", T(2024, 3, 5, 9), None), (3, "A", T(2024, 3, 6, 9), None),                     # B before A
    (4, "A", T(2024, 3, 20, 9), None), (4, "B", T(2024, 3, 20, 9), None),                   # a tie
    (5, "A", T(2024, 3, 1, 9), None),                                                       # one A: not A then A
    (6, "A", T(2024, 3, 2, 9), None), (6, "A", T(2024, 3, 2, 9), None),                     # two A's at once
    # 7: no events
    (8, "A", T(2023, 11, 1, 9), None), (8, "B", T(2023, 11, 5, 9), None),                   # before the window
    (9, "A", T(2024, 3, 1, 9), None), (9, "A", T(2024, 3, 2, 9), None),                     # two A's followed,
    (9, "B", T(2024, 3, 10, 9), None), (9, "A", T(2024, 3, 11, 9), None),                   # one A not
    (10, "A", T(2024, 1, 31, 9), None), (10, "B", T(2024, 2, 29, 9), None),                 # Jan 31 + 1 month
    (11, "A", None, None), (11, "B", T(2024, 3, 1, 9), None),                               # no time
    (None, "A", T(2024, 3, 1, 9), None), (12, "B", T(2024, 3, 1, 10), None),                # A of nobody
]
CONTACTS = [{"id": i} for i in range(1, 13)]
EVENTS = [{"id": i, "contact_id": c, "name": n, "occurred_at": t, "amount": a}
          for i, (c, n, t, a) in enumerate(STREAM, 1)]
DATA = Dataset({"contacts": CONTACTS, "organizations": [], "deals": [], "events": EVENTS}, {})
EVERYONE = set(range(1, 13))

CASES = [
    ('performed "A" then "B" within 14 days', {1, 4, 8, 9}),
    ('performed "A" then "B"', {1, 2, 4, 8, 9, 10}),
    ('did not perform "A" then "B" within 14 days', EVERYONE - {1, 4, 8, 9}),
    ('performed "A" then "A"', {6, 9}),
    ('performed "A" then "B" within 14 days in last 90 days', {1, 4, 9}),
    ('did not perform "A" then "B" within 14 days in last 90 days', EVERYONE - {1, 4, 9}),
    ('performed "A" then "B" within 14 days at least 2 times', {9}),
    ('performed "A" then "B" within 14 days exactly 1 time', {1, 4, 8}),
    ('performed "A" then "B" within 14 days more than 1 time', {9}),
    ('performed "A" then "B" within 14 days fewer than 2 times', EVERYONE - {9}),
    ('performed "A" then "B" within 14 days at most 0 times', EVERYONE - {1, 4, 8, 9}),
    ('performed "A" then "B" within 14 days exactly 0 times', EVERYONE - {1, 4, 8, 9}),
    ('performed "A" then "B" within 0 days', {4}),
    ('performed "B" then "A" within 14 days', {3, 4, 9}),
    ('performed "A" where amount > 5 then "B" within 14 days', {1}),
    ('performed "A" then "B" where amount > 5', set()),
    # the where is about the event only: the contact's own fields are not in scope (as for `performed`)
    ('performed "A" then "B" within 1 month', {1, 2, 4, 8, 9, 10}),
    ('performed "A" then "B" within 28 days', {1, 2, 4, 8, 9}),
    ('performed "A" then "B" within 2 weeks', {1, 4, 8, 9}),
    ('performed "A" then "B" within 1 hour', {4}),
    ('not performed "A" then "B" or performed "A" then "A"', EVERYONE - {1, 2, 4, 8, 10}),
]


@pytest.fixture(scope="module")
def db():
    database = DuckDB(SCHEMA)
    database.load(DATA)
    yield database
    database.con.close()


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0] for c in CASES])
def test_members_by_hand(db, text, expected):
    seg = api.to_ir(text, SCHEMA, on="contacts")
    assert evaluate_segment(seg, SCHEMA, DATA, NOW) == expected
    got, sql = db.members(seg, NOW)
    assert got == expected, sql


@pytest.mark.parametrize("text", [c[0] for c in CASES])
def test_fmt_round_trips(text):
    tree = parse_condition(text)
    printed = format_condition(tree)
    assert format_condition(parse_condition(printed)) == printed
    assert strip_parens(parse_condition(printed)) == strip_parens(tree)


def test_text_form_and_ir():
    tree = parse_condition('PERFORMED "a" where amount > 1 THEN "b" WITHIN 2 hours at least 3 times in last 7 days')
    assert tree == ast.Sequence("a", "b", ast.Compare(">", ast.Path(("amount",)), ast.Literal("number", 1)), None,
                                ast.Duration(2, "hour"), ast.EventCount(">=", 3), ast.Period("rolling", "day", 7))
    seg = api.to_ir('did not perform "a" then "b" within 3 days', SCHEMA, on="contacts")
    assert isinstance(seg.condition, ir.Not) and isinstance(seg.condition.item, ir.Sequence)
    node = seg.condition.item
    assert (node.within, node.unit, node.op, node.count) == (3, "day", ">=", 1)
    with pytest.raises(ValueError):
        ir.Sequence(node.rel, node.first, node.then, node.time, node.key, -1)


def test_where_then_window_and_a_name_called_then():
    # the parenthesised where of B ends before the window, as for `performed`
    tree = parse_condition('performed "a" then "b" where (amount > 1) in last 30 days')
    assert tree.window == ast.Period("rolling", "day", 30)
    # `within last` stays the window; `within 14 days` is the span
    assert parse_condition('performed "a" then "b" within last 3 days').window == ast.Period("rolling", "day", 3)
    assert format_condition(parse_condition("`then` > 1")) == "`then` > 1"


JSON_RULES = {"name": "conv", "on": "contacts", "logic": "AND", "conditions": [
    {"field": "events", "operator": "sequence",
     "value": {"first": "A", "then": "B", "within_days": 14, "window": "90 days"}}]}
JSON_MONGO = {"name": "conv", "on": "contacts", "filter": {
    "$sequence": {"first": "A", "then": "B", "within": "14 days", "window": "last 90 days"}}}


@pytest.mark.parametrize("doc", [JSON_RULES, JSON_MONGO], ids=["rules", "mongo"])
def test_json_forms(db, doc):
    definition = json_document_from_text(json.dumps(doc), schema=SCHEMA).definitions[0]
    assert strip_parens(definition.condition) == parse_condition(
        'performed "A" then "B" within 14 days in last 90 days')
    seg = api.to_ir(format_condition(definition.condition), SCHEMA, on="contacts")
    assert db.members(seg, NOW)[0] == {1, 4, 9}


def test_json_negated_and_counted():
    rules = {"name": "n", "on": "contacts", "conditions": [
        {"field": "events", "operator": "not_sequence", "value": {"first": "A", "then": "B"}},
        {"field": "events", "operator": "sequence", "value": {"first": "A", "then": "B", "at_least": 2}}]}
    cond = json_document_from_text(json.dumps(rules), schema=SCHEMA).definitions[0].condition
    assert format_condition(cond) == ('did not perform "A" then "B" and performed "A" then "B" at least 2 times')
    mongo = {"name": "n", "on": "contacts", "filter": {"$not": {"$sequence": {"first": "A", "then": "B"}}}}
    cond = json_document_from_text(json.dumps(mongo), schema=SCHEMA).definitions[0].condition
    assert format_condition(cond) == 'not performed "A" then "B"'


@pytest.mark.parametrize("value,code", [
    ({"then": "B"}, "E0152"),
    ({"first": "A", "then": "B", "within_days": -1}, "E0151"),
    ({"first": "A", "then": "B", "within": "soon"}, "E0159"),
    ({"first": "A", "then": "B", "at_least": 1, "exactly": 2}, "E0152"),
    ({"first": "A", "then": "B", "after": 3}, "E0158"),
    ("A then B", "E0152"),
])
def test_json_mistakes_are_diagnostics(value, code):
    doc = {"name": "bad", "on": "contacts", "conditions": [{"field": "events", "operator": "sequence", "value": value}]}
    with pytest.raises(SegqlError) as err:
        json_document_from_text(json.dumps(doc), schema=SCHEMA)
    assert err.value.code == code


def test_sequence_on_a_property_is_a_diagnostic():
    doc = {"name": "bad", "on": "contacts", "conditions": [
        {"field": "age", "operator": "sequence", "value": {"first": "A", "then": "B"}}]}
    with pytest.raises(SegqlError) as err:
        json_document_from_text(json.dumps(doc), schema=SCHEMA)
    assert err.value.code == "E0152" and "event stream" in err.value.message


@pytest.mark.parametrize("text,code", [
    ('performed "A" then', "E0102"),
    ('performed "A" then "B" within days', "E0102"),
    ('did not perform "A" then "B" at least 2 times', "E0102"),
    ('any deals (performed "A" then "B")', "E0312"),
    ('performed "A" where age > 3 then "B"', "E0301"),
])
def test_text_mistakes_are_diagnostics(text, code):
    with pytest.raises(SegqlError) as err:
        api.to_ir(text, SCHEMA, on="contacts")
    assert err.value.code == code


def test_sub_day_span_on_date_events_is_e0306(tmp_path):
    schema_text = (Path(__file__).parent / "fixtures" / "diff_schema.yml").read_text("utf-8")
    schema_text = schema_text.replace("      occurred_at: timestamp\n", "      occurred_at: date\n")
    path = tmp_path / "schema.yml"
    path.write_text(schema_text, "utf-8")
    import segql
    schema = segql.load_schema(path)
    with pytest.raises(SegqlError) as err:
        api.to_ir('performed "A" then "B" within 3 hours', schema, on="contacts")
    assert err.value.code == "E0306"
    api.to_ir('performed "A" then "B" within 3 days', schema, on="contacts")  # whole days are fine


def test_fmt_to_mongo_refuses_with_e0160(tmp_path):
    from conftest import run_cli
    path = tmp_path / "seg.json"
    path.write_text(json.dumps(JSON_MONGO), "utf-8")
    schema = Path(__file__).parent / "fixtures" / "diff_schema.yml"
    code, out, err = run_cli("fmt", "--to", "mongo", str(path), "--schema", str(schema))
    assert code == 1 and "E0160" in err and "Traceback" not in err
    code, out, err = run_cli("fmt", "--to", "text", str(path), "--schema", str(schema))
    assert code == 0 and 'performed "A" then "B" within 14 days in last 90 days' in out


def test_lint_does_not_crash_and_sees_repeats():
    from segql.ops.lint import lint_segment
    text = 'segment s on contacts where performed "A" then "B" within 1 day and performed "A" then "B" within 1 day'
    import segql
    doc = segql.parse(text)
    seg = api.to_ir(doc, SCHEMA, segment="s")
    codes = [w.code for w in lint_segment(doc.definitions[0], seg, SCHEMA)]
    assert codes == ["W0004"]
