"""Values of the OUTER record inside a to-many comparison (SPEC §2.3, §2.4), performed's window after a
parenthesised where (§2.6) and sub-day ages on dates (§2.5), each with members derived by hand below —
independently of the SQL and of the evaluator — and checked on BOTH the evaluator and DuckDB.

`deals.value > avg(deals.value)` compares each deal with the average of the CONTACT's deals; the aggregate
once ran on the deal (correlated with the deal's key), and `organization.employees` once joined
organizations on the deal's own `organization_id` column (this schema gives deals one on purpose) or failed
with an internal KeyError when the deal had none.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_differential import DuckDB  # noqa: E402

from segql import api  # noqa: E402
from segql.errors import SegqlError  # noqa: E402
from segql.targets.evaluate import Dataset, evaluate_segment  # noqa: E402

SCHEMA = api.parse_schema("""
timezone: UTC
entities:
  contacts:
    table: o_contacts
    key: id
    properties: {organization_id: integer, signup_date: date, score: number}
    relationships:
      organization: {entity: organizations, type: one, local: organization_id, remote: id}
      deals: {entity: deals, type: many, local: id, remote: contact_id}
      events: {entity: events, type: many, local: id, remote: contact_id}
  organizations:
    table: o_organizations
    key: id
    properties: {employees: integer}
    relationships:
      members: {entity: contacts, type: many, local: id, remote: organization_id}
  deals:
    table: o_deals
    key: id
    properties: {contact_id: integer, value: number, organization_id: integer}
  events:
    table: o_events
    key: id
    event: {name: name, time: occurred_at}
    properties: {contact_id: integer, name: string, occurred_at: timestamp, amount: number}
""")
NOW = "2024-03-31T12:00:00"
T = dt.datetime
DATA = Dataset({
    "contacts": [{"id": 1, "organization_id": 1, "score": 20.0}, {"id": 2, "organization_id": 2, "score": 1.0},
                 {"id": 3, "organization_id": None, "score": None}, {"id": 4, "organization_id": 1}],
    "organizations": [{"id": 1, "employees": 25}, {"id": 2, "employees": 100}],
    # each deal's own organization_id points at the OTHER organization than its contact's
    "deals": [{"id": 1, "contact_id": 1, "value": 10.0, "organization_id": 2},
              {"id": 2, "contact_id": 1, "value": 30.0, "organization_id": 2},
              {"id": 3, "contact_id": 2, "value": 50.0, "organization_id": 1},
              {"id": 4, "contact_id": 3, "value": 7.0, "organization_id": 1}],
    "events": [{"id": 1, "contact_id": 2, "name": "x", "occurred_at": T(2024, 3, 30, 10), "amount": 200.0},
               {"id": 2, "contact_id": 2, "name": "x", "occurred_at": T(2024, 1, 1), "amount": 500.0},
               {"id": 3, "contact_id": 3, "name": "x", "occurred_at": T(2024, 3, 20), "amount": 50.0},
               {"id": 4, "contact_id": 3, "name": "y", "occurred_at": T(2024, 3, 25), "amount": 500.0}],
})
# contact 1: org 25 employees, deals 10 and 30 (avg 20, max 30), no events
# contact 2: org 100 employees, deal 50 (avg 50), events x 200 (1 day ago) and x 500 (January)
# contact 3: no organization, deal 7, events x 50 (11 days ago) and y 500
# contact 4: org 25 employees, no deals, no events
CASES = [
    ("deals.value > avg(deals.value)", {1}),                 # 30 > 20; 50 = 50 and 7 = 7 are not greater
    ("deals.value >= avg(deals.value)", {1, 2, 3}),
    ("not (deals.value > avg(deals.value))", {2, 3, 4}),     # the complement
    ("avg(deals.value) < deals.value", {1}),                 # the aggregate on the left
    ("deals.value > count(events)", {1, 2, 3}),              # 10 > 0, 50 > 2, 7 > 2
    ("deals.value < count(events) * 10", {3}),               # 7 < 20; 50 < 20 no; 10 and 30 < 0 no
    ("deals.value > organization.employees", {1}),           # 30 > 25; 50 < 100; contact 3 has none
    ("organization.employees < deals.value", {1}),
    ("deals.value between organization.employees and 40", {1}),   # 30 in [25, 40]
    ("deals.value in (max(deals.value), 0)", {1, 2, 3}),     # every contact's largest deal is one of its deals
    ("deals.value in (organization.employees, 7)", {3}),      # only 7 = 7
    ("deals.value > avg(deals.value) - score", {1, 2}),      # 10 > 20 - 20; 50 > 50 - 1; contact 3: no score
    ("deals.value > sum(events.amount) / 10", {1}),          # 10 > 0; 50 > 70 no; 7 > 55 no
    ("deals.value > count(organization.members)", {1, 2}),   # org 1 has contacts 1 and 4: 10 > 2; 50 > 1
]


@pytest.fixture(scope="module")
def db():
    database = DuckDB(SCHEMA)
    database.load(DATA)
    return database


def _check(text, expected, db):
    seg = api.to_ir(text, SCHEMA, on="contacts")
    got = evaluate_segment(seg, SCHEMA, DATA, NOW)
    assert got == expected, f"evaluator: {text!r} gave {sorted(got)}, by hand {sorted(expected)}"
    got, sql = db.members(seg, NOW)
    assert got == expected, f"DuckDB: {text!r} gave {sorted(got)}, by hand {sorted(expected)}\n{sql}"


@pytest.mark.parametrize("text, expected", CASES, ids=[c[0] for c in CASES])
def test_outer_value_inside_to_many_comparison(text, expected, db):
    _check(text, expected, db)


def test_outer_calculated_field(db):
    seg = api.to_ir("segment s on contacts\n  let mean = avg(deals.value)\n  where deals.value > mean", SCHEMA)
    assert evaluate_segment(seg, SCHEMA, DATA, NOW) == {1}
    assert db.members(seg, NOW)[0] == {1}


@pytest.mark.parametrize("text, expected", [
    ('performed "x" where (amount > 100) in last 30 days', {2}),         # event 1; event 2 is too old
    ('did not perform "x" where (amount > 100) in last 30 days', {1, 3, 4}),
    ('performed "x" where (amount > 10) within last 30 days', {2, 3}),
    ('performed "x" where (amount > 10) between 1 and 20 days ago', {2, 3}),  # Mar 30 10:00, Mar 20
    ('performed "x" where not (amount > 100) in last 30 days', {3}),   # event 3 (50)
    ('performed "x" where (amount > 100) at least 1 times in last 30 days', {2}),
])
def test_performed_window_after_parenthesised_where(text, expected, db):
    _check(text, expected, db)


@pytest.mark.parametrize("text, hint", [
    ("signup_date < 12 hours ago", "signup_date < 1 day ago"),
    ("signup_date > 36 hours ago", "signup_date > 2 days ago"),
    ("signup_date in last 6 hours", "signup_date in last 1 day"),
    ("signup_date within last 90 minutes", "signup_date in last 1 day"),
    ("signup_date between 2 and 30 hours ago", "signup_date between 0 and 2 days ago"),
    ("not (signup_date <= 5 seconds ago)", "signup_date <= 1 day ago"),
])
def test_sub_day_age_on_a_date_is_an_error_with_the_day_form(text, hint):
    with pytest.raises(SegqlError) as info:
        api.to_ir(text, SCHEMA, on="contacts")
    assert info.value.code == "E0306"
    assert any(hint in h for h in info.value.hints), info.value.hints
    assert info.value.span.line == 1 and info.value.span.col >= 1


def test_two_to_many_operands_are_still_refused():
    with pytest.raises(SegqlError) as info:
        api.to_ir("deals.value > organization.members.score", SCHEMA, on="contacts")
    assert info.value.code == "E0305"
