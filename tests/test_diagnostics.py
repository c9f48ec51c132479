"""Golden diagnostics: each bad input in tests/golden/diagnostics/ gives exactly the reviewed message.

Regenerate after an intended change with SEGQL_UPDATE_GOLDEN=1 and review the diff.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, run_cli

GOLDEN = Path(__file__).parent / "golden" / "diagnostics"
CASES = sorted(GOLDEN.glob("*.segql"))
SCHEMA = EXAMPLES / "schema.yml"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_diagnostic(case):
    code, out, err = run_cli("check", case.relative_to(ROOT), "--schema", SCHEMA.relative_to(ROOT))
    assert code == 1, (out, err)
    assert "Traceback" not in err
    expected = case.with_suffix(".txt")
    if os.environ.get("SEGQL_UPDATE_GOLDEN") or (not expected.exists() and not os.environ.get("CI")):
        expected.write_text(err, "utf-8")
    assert expected.exists(), f"{expected} is missing: run with SEGQL_UPDATE_GOLDEN=1, review it and commit it"
    assert err == expected.read_text("utf-8")


def test_json_diagnostics_are_machine_readable():
    case = GOLDEN / "unknown_property.segql"
    code, out, err = run_cli("check", case, "--schema", SCHEMA, "--format", "json")
    assert code == 1
    [item] = json.loads(out)
    assert item["code"] == "E0301"
    assert (item["line"], item["column"]) == (3, 7)
    assert item["hints"] == ['did you mean "last_purchase"?']


def test_every_code_is_documented():
    import re

    documented = set(re.findall(r"^## (E\d{4})", (ROOT / "docs" / "errors.md").read_text("utf-8"), re.M))
    used = set()
    for path in (ROOT / "src" / "segql").rglob("*.py"):
        used |= set(re.findall(r'"(E\d{4})"', path.read_text("utf-8")))
    assert used - documented == set(), "document these codes in docs/errors.md"


def test_seed_wording_hints_suggest_segments_that_check():
    """The segql form each hint for seed 002's wording suggests is itself a valid segment."""
    import re

    import segql
    from segql.errors import SegqlError

    schema = segql.load_schema(SCHEMA)
    wording = {"state = CA": 'state = "CA"', 'state in ["CA", "NY"]': None,
               "lifetime_value > 5/year": None, "Opened >= 5 emails in last 30 days": None,
               "Clicked > 2 links in the last 30 days": None}
    for text, fixed in wording.items():
        try:
            segql.check(f"segment s on contacts where {text}", schema)
        except SegqlError as err:
            hint = err.hints[0]
        else:
            raise AssertionError(f"{text!r} checked")
        quoted_forms = re.findall(r"`([^`]+)`", hint)
        form = fixed or (quoted_forms[-1] if quoted_forms else re.split(r"write: |parentheses: ", hint)[-1])
        if form.startswith("in ("):
            form = f"state {form}"
        segql.check(f"segment s on contacts where {form}", schema)  # raises if the hint is wrong


def test_event_hint_only_with_an_event_stream():
    import segql
    from segql.errors import SegqlError

    schema = segql.parse_schema("entities:\n  contacts: {table: c, key: id, properties: {opens: integer}}\n")
    try:
        segql.parse("segment s on contacts where Opened >= 5 emails in last 30 days")
    except SegqlError as err:
        assert any("performed" in h for h in err.hints)  # the parser alone does not know the schema
    from segql.frontends.source import parse_source
    try:
        parse_source("segment s on contacts where Opened >= 5 emails in last 30 days", schema=schema)
    except SegqlError as err:
        assert not any("performed" in h for h in err.hints), err.hints
    else:
        raise AssertionError("parsed")
