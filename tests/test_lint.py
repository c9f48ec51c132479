"""Lint warnings of `segql check` (W0001–W0007, docs/errors.md): concrete inputs with the codes they must
raise, and no warning on ordinary segments."""
from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES, ROOT

from segql import api, cli
from segql.ops.lint import lint_segment

CASES = [
    ("opens > 5 and opens < 3", ["W0001"]),
    ("opens = 1 and opens = 2", ["W0001"]),
    ('country = "US" and country != "US"', ["W0001"]),
    ('country in ("US", "CA") and country = "MX"', ["W0001"]),
    ("is_vip and not is_vip", ["W0001"]),
    ("last_activity in last 30 days and last_activity > 60 days ago", ["W0001"]),
    ("signup_date in this week and signup_date in last week", ["W0001"]),
    ("any deals (value > 5 and value < 3)", ["W0001"]),
    ("state in () and country = \"US\"", ["W0002"]),
    ("opens between 10 and 1", ["W0002"]),
    ("count(deals) < 0", ["W0002"]),
    ("state not in ()", ["W0003"]),
    ("opens not between 10 and 1", ["W0003"]),
    ('performed "purchase" at least 0 times', ["W0003"]),
    ("is_vip or not is_vip", ["W0003"]),
    ('deals.value > 800 and deals.stage = "refunded"', ["W0007"]),
    ("deals.value > 5 and deals.value < 3", ["W0007"]),  # not W0001: different deals may meet each
    ("opens > 5 and opens > 3", ["W0004"]),
    ("opens > 5 or opens > 3", ["W0004"]),
    ("opens > 5 and opens != 3", ["W0004"]),
    ('country = "US" and country = "US"', ["W0004"]),
    ("last_activity < 7 days ago and last_activity < 30 days ago", ["W0004"]),
    ('deals.stage != "Won"', ["W0005"]),
    ("deals.value not between 1 and 5", ["W0005"]),
    ('deals.stage not in ("Won", "Lost")', ["W0005"]),
    ("last_activity < 0 days ago", ["W0006"]),
    ("last_activity between 0 and 0 hours ago", ["W0006"]),
]

CLEAN = [
    "opens != 3 and opens > 1",  # != holds on a missing value: not implied by > 1
    "opens >= 5 and opens <= 5",
    "opens > 5 or opens < 3",
    "opens > 5 or opens <= 5",  # not a tautology: a missing `opens` meets neither
    'country = "USA" or country = "Canada"',
    "last_activity in last 30 days and last_activity < 7 days ago",
    'no deals (stage = "Won")',
    'any deals (stage != "Won")',
    "signup_date > 30 days ago and signup_date < 400 days ago",
    "last_purchase > 1 month ago and last_purchase < 30 days ago",  # months and days: not ordered
    'performed "purchase" fewer than 2 times',
    "count(deals) >= 1",
    'opens > 1 and (deals.value > 5 or deals.stage = "Won")',  # an `or`: any deal meeting either
    'deals.value > 5 and organization.name = "x"',  # one to-many path only
]


def lint_text(schema, condition):
    [item] = api.load_segments([f"segment s on contacts where {condition}\n"], schema)
    return lint_segment(item.definition, item.segment, schema)


@pytest.mark.parametrize("condition,codes", CASES)
def test_warns(schema, condition, codes):
    assert [w.code for w in lint_text(schema, condition)] == codes


@pytest.mark.parametrize("condition", CLEAN)
def test_no_warning(schema, condition):
    assert lint_text(schema, condition) == []


def test_warning_points_at_the_condition_and_shows_the_explicit_form(schema):
    [w] = lint_text(schema, 'opens > 1 and deals.stage != "Won"')
    assert (w.span.line, w.span.col, w.span.end_col) == (1, 43, 63)
    assert 'no deals (stage = "Won")' in w.hints[0] and 'any deals (stage != "Won")' in w.hints[0]
    [w] = lint_text(schema, "opens > 5 and clicks = 1 and opens < 3")
    assert w.span.col == len("segment s on contacts where opens > 5 and clicks = 1 and ") + 1
    assert "opens > 5" in w.message


def test_json_documents_are_linted_at_their_pointer(schema):
    doc = {"type": "Contact", "filter": {"$and": [{"opens": {"$gt": 5}}, {"opens": {"$lt": 3}}]}}
    [item] = api.load_segments([doc], schema)
    [w] = lint_segment(item.definition, item.segment, schema)
    assert w.code == "W0001" and w.span.pointer


def test_examples_and_corpus_have_only_justified_warnings(schema):
    files = [*sorted((EXAMPLES / "segments").glob("*.segql")), ROOT / "tests" / "corpus" / "constructs.segql"]
    found = []
    for item in api.load_segments(files, schema):
        found += [(item.slug, w.code) for w in lint_segment(item.definition, item.segment, schema)]
    # both are in the corpus on purpose, and both warnings are right:
    # - c_string_eq: `country = "USA" or country != "usa"` — "USA" != "usa", so the first is redundant;
    # - c_to_many_negated exercises exactly the construct W0005 explains;
    # - c_to_many is the separate-deals form beside c_any's one-deal form, the pair W0007 explains.
    assert sorted(found) == [("c_string_eq", "W0004"), ("c_to_many", "W0007"), ("c_to_many_negated", "W0005")]


def test_check_prints_warnings_and_keeps_exit_code_unless_strict(tmp_path, capsys):
    f = tmp_path / "s.segql"
    f.write_text("segment s on contacts\nwhere\n  opens > 5\n  and opens < 3\n")
    schema = str(EXAMPLES / "schema.yml")
    assert cli.main(["check", str(f), "--schema", schema]) == 0
    captured = capsys.readouterr()
    assert "ok: 1 definition in 1 file, 1 warning(s)" in captured.out
    assert f"{f}:4:7: warning[W0001]" in captured.err
    assert "4 |   and opens < 3" in captured.err and "  |       ^^^^^^^^^" in captured.err
    assert cli.main(["check", str(f), "--schema", schema, "--strict"]) == 1
    capsys.readouterr()
    assert cli.main(["check", str(f), "--schema", schema, "--format", "json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert item["severity"] == "warning" and item["code"] == "W0001" and item["line"] == 4


def test_every_warning_code_is_documented():
    text = (ROOT / "docs" / "errors.md").read_text()
    for code in ("W0001", "W0002", "W0003", "W0004", "W0005", "W0006"):
        assert f"## {code}" in text


def test_separate_to_many_conditions_hint_checks_as_one_record(schema):
    [w] = lint_text(schema, 'opens > 1 and deals.value > 800 and deals.stage = "refunded"')
    assert w.code == "W0007" and "`deals.value > 800` and `deals.stage = \"refunded\"`" in w.message, w.message
    form = w.hints[0].split("`")[1]
    assert form == 'any deals (value > 800 and stage = "refunded")', form
    api.to_ir(form, schema, on="contacts")  # the suggested form is a valid condition
