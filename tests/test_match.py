"""`segql match FILE... --record JSON`: one record, written as JSON, against segments, in process. The
record's JSON is read by the schema's types (`ops.record.record_from_json`); the oracle is the compiled
SQL on DuckDB over the demo data, each contact's row, deals, events and organization written out as JSON
(dates and timestamps as ISO text, as a tool sends them)."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from conftest import DEMO_NOW, EXAMPLES

from segql import api, cli, ir
from segql.errors import SegqlError
from segql.ops.record import record_from_json, segments_for_record
from segql.ops.run import member_query

SEED = EXAMPLES / "segments" / "seed002.segql"


def _json(value) -> str:
    def plain(v):
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        if isinstance(v, Decimal):
            return float(v)
        raise TypeError(type(v))
    return json.dumps(value, default=plain)


def _uses_lists(node) -> bool:
    return isinstance(node, ir.InList) or any(_uses_lists(c) for c in ir.children(node))


def test_json_records_match_the_sql_on_demo_data(schema, demo_engine):
    items = [i for i in api.load_segments([SEED], schema)
             if i.segment.condition is not None and not _uses_lists(i.segment.condition)]  # no list data here

    def table(name):
        rows = demo_engine.execute(f'SELECT * FROM "{name}"')
        return [dict(zip(demo_engine.columns, r)) for r in rows]

    contacts, deals, events, orgs = table("contacts"), table("deals"), table("events"), table("organizations")
    org_by_id = {o["id"]: o for o in orgs}
    expected = {i.slug: {r[0] for r in demo_engine.execute(member_query(i.segment, schema, "duckdb", now=DEMO_NOW))}
                for i in items}
    got = {i.slug: set() for i in items}
    for c in contacts:
        text = _json(dict(c, deals=[d for d in deals if d["contact_id"] == c["id"]],
                          events=[e for e in events if e["contact_id"] == c["id"]],
                          organization=org_by_id.get(c["organization_id"])))
        record = record_from_json(text, schema, "contacts")
        for slug in segments_for_record(record, items, schema, now=DEMO_NOW):
            got[slug].add(c["id"])
    assert got == expected
    assert len(items) > 20 and sum(map(len, expected.values())) > 500  # the segments do select people


def test_match_command_text_and_json(capsys):
    record = '{"id": 7, "country": "USA", "opens": 0, "subscribed_at": "2026-01-05T10:00:00+02:00", ' \
             '"deals": [{"value": 12000, "stage": "Negotiation"}], "organization": {"industry": "Software"}}'
    assert cli.main(["match", str(SEED), "--record", record, "--now", DEMO_NOW, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["entity"] == "contacts" and out["key"] == 7 and set(out["segments"]) <= set(out["checked"])
    assert "never_engaged" in out["segments"] and "vip_customers" not in out["segments"]  # no list data
    assert cli.main(["match", str(SEED), "--record", record, "--now", DEMO_NOW]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"contacts 7 is in {len(out['segments'])} of {len(out['checked'])} segments")
    assert all(f"  {slug}\n" in text for slug in out["segments"])


@pytest.mark.parametrize("record, code, words, line_col", [
    ('{"id": 7, "opnes": 1}', "E0301", 'did you mean "opens"?', "1:11"),
    ('{"id": 7,\n "country": 5}', "E0151", "country is a string, so 5 does not fit it", "2:13"),
    ('{"id": "7"}', "E0151", "id is an integer", "1:8"),
    ('{"signup_date": "2026-13-01"}', "E0151", "a date", "1:17"),
    ('{"subscribed_at": "yesterday"}', "E0151", "a timestamp", "1:19"),
    ('{"deals": {"value": 1}}', "E0151", "an array of JSON objects", "1:11"),
    ('{"organization": [1]}', "E0151", "a JSON object", "1:18"),
    ('{"deals": [{"valeu": 1}]}', "E0301", "deals has no property", "1:13"),
    ('[1, 2]', "E0152", "a record is a JSON object", None),
    ('{"id": 7,', "E0150", "invalid JSON", None),
    ('{"opens": NaN}', "E0150", "not a JSON number", None),
])
def test_bad_records_are_diagnostics_at_their_place(schema, capsys, record, code, words, line_col):
    with pytest.raises(SegqlError) as err:
        record_from_json(record, schema, "contacts")
    assert err.value.code == code and words in (err.value.message + " ".join(err.value.hints)), err.value.message
    assert cli.main(["match", str(SEED), "--record", record]) == 1
    shown = capsys.readouterr().err
    assert f"error[{code}]" in shown and "Traceback" not in shown
    if line_col:
        assert f"--record:{line_col}:" in shown, shown


def test_match_reads_a_file_and_needs_the_entity_when_several(tmp_path, capsys):
    both = tmp_path / "both.segql"
    both.write_text("segment a on contacts where opens > 1\nsegment b on deals where value > 1\n")
    rec = tmp_path / "deal.json"
    rec.write_text('{"id": 3, "value": 5}')
    schema = str(EXAMPLES / "schema.yml")
    assert cli.main(["match", str(both), "--record", f"@{rec}", "--schema", schema]) == 2  # which entity?
    assert "--entity" in capsys.readouterr().err
    assert cli.main(["match", str(both), "--record", f"@{rec}", "--schema", schema, "--entity", "deals",
                     "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["segments"] == ["b"]
