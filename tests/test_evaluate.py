"""Hand-written cases for the tricky parts of SPEC §2, each with a member set derived by hand from the SPEC,
checked on BOTH the Python evaluator (`segql.evaluate`) and the compiled SQL executed on DuckDB.

The data (tests/fixtures/diff_schema.yml, zone America/New_York) is pinned at NOW = 2024-03-31 12:00 local
(16:00Z), a Sunday, the last day of March in a leap year:
- now − 30 days = 2024-03-01 12:00:00; today − 1 month = 2024-02-29; this week = Mon 2024-03-25 … Sun 03-31.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_differential import SCHEMA, DuckDB  # noqa: E402

from segql import api, ir  # noqa: E402
from segql.targets.evaluate import Dataset, evaluate_segment, matches, shift, simple_lower, trunc  # noqa: E402

NOW = "2024-03-31T16:00:00Z"  # 12:00 in New York (EDT)
T = dt.datetime
D = dt.date

CONTACTS = [
    # 1: last seen exactly now − 30 days; signed up Feb 29 (a Thursday)
    {"id": 1, "name": "Ann", "country": "US", "email": "ann@example.com", "age": 30, "score": 10.0, "is_vip": True,
     "signup_date": D(2024, 2, 29), "last_seen": T(2024, 3, 1, 12, 0, 0), "organization_id": 1},
    # 2: no country; age 0 (division by zero); last seen 1 s before the 30-day edge; signed up Monday of this week
    {"id": 2, "name": "Bob", "country": None, "email": "BOB@EXAMPLE.COM", "age": 0, "score": 5.0, "is_vip": False,
     "signup_date": D(2024, 3, 25), "last_seen": T(2024, 3, 1, 11, 59, 59), "organization_id": 2},
    # 3: mostly missing; lower-case country; no organization; signed up exactly a year ago
    {"id": 3, "name": "Çé", "country": "us", "email": None, "age": None, "score": None, "is_vip": None,
     "signup_date": D(2023, 3, 31), "last_seen": T(2024, 3, 31, 12, 0, 0), "organization_id": None},
    # 4: trailing space; LIKE wildcards and a backslash; a dangling organization id
    {"id": 4, "name": "straße", "country": "US ", "email": "x%y_z\\w", "age": 18, "score": -2.5, "is_vip": True,
     "signup_date": None, "last_seen": None, "organization_id": 3},
]
ORGS = [
    {"id": 1, "name": "Acme", "industry": "Software", "employees": 50, "founded": D(2020, 1, 1)},
    {"id": 2, "name": "Nil", "industry": None, "employees": None, "founded": None},
]
DEALS = [
    {"id": 1, "contact_id": 1, "value": 10.0, "stage": "Won", "quantity": 1, "closed_at": T(2024, 3, 30, 9, 0)},
    {"id": 2, "contact_id": 1, "value": 3.0, "stage": None, "quantity": None, "closed_at": None},
    {"id": 3, "contact_id": 2, "value": 7.0, "stage": "Lost", "quantity": 2, "closed_at": T(2024, 2, 29, 12, 0)},
]
EVENTS = [
    {"id": 1, "contact_id": 1, "name": "purchase", "occurred_at": T(2024, 3, 30, 10, 0), "amount": 20.0},
    {"id": 2, "contact_id": 1, "name": "purchase", "occurred_at": T(2024, 3, 1, 12, 0), "amount": 5.0},
    {"id": 3, "contact_id": 2, "name": "purchase", "occurred_at": T(2024, 1, 1, 8, 0), "amount": None},
    {"id": 4, "contact_id": 1, "name": "email_opened", "occurred_at": T(2024, 3, 31, 11, 0), "amount": None},
]
DATA = Dataset({"contacts": CONTACTS, "organizations": ORGS, "deals": DEALS, "events": EVENTS},
               {"vip": {1, 3}, "beta": set()})
EVERYONE = {1, 2, 3, 4}

CASES = [
    # ---- §2.1/2.2 two-valued logic, complements, exact string equality
    ('country = "US"', {1}),                                 # not "us", not "US " (trailing space)
    ('country != "US"', {2, 3, 4}),                          # includes the contact with no country
    ('not (country = "US")', {2, 3, 4}),
    ('country in ("US", "us")', {1, 3}),
    ('country not in ("US")', {2, 3, 4}),
    ('country in ("US", null)', {1, 2}),
    ('country = null', {2}),
    ('country is not null', {1, 3, 4}),
    ('age > 10', {1, 4}),
    ('not (age > 10)', {2, 3}),                              # never rewritten to age <= 10
    ('age <= 10', {2}),
    ('age not between 10 and 20', {1, 2, 3}),
    ('is_vip', {1, 4}),
    ('is_vip != true', {2, 3}),
    ('is_vip = false', {2}),
    # ---- §2.3 to-one paths
    ('organization.industry = "Software"', {1}),
    ('organization.industry != "Software"', {2, 3, 4}),
    ('organization.industry is null', {2, 3, 4}),          # null industry, no organization, dangling id
    ('organization.employees > 10', {1}),
    # ---- §2.4 to-many paths and aggregates
    ('deals.stage = "Won"', {1}),
    ('deals.stage != "Won"', {2, 3, 4}),                     # no deal is Won (true without deals)
    ('deals.stage is null', {1, 3, 4}),                      # no deals, or some deal without a stage
    ('deals.stage is not null', {2}),
    ('deals.value > 5 and deals.value < 5', {1}),            # different deals may satisfy each
    ('any deals (value > 5 and value < 5)', set()),          # one deal must satisfy both
    ('deals.value between 6 and 8', {2}),                    # between is one predicate, met by one deal
    ('all deals (value > 5)', {2, 3, 4}),                    # true with no deals
    ('no deals (stage = "Won")', {2, 3, 4}),
    ('any deals', {1, 2}),
    ('no deals', {3, 4}),
    ('count(deals) = 0', {3, 4}),
    ('count(deals.stage) = 1', {1, 2}),                      # counts present values only
    ('sum(deals.value) = 0', {3, 4}),                        # sum of nothing is 0
    ('sum(deals.quantity where stage = "Won") = 1', {1}),
    ('avg(deals.value) = 6.5', {1}),
    ('avg(deals.value) is null', {3, 4}),                    # avg of nothing is missing
    ('max(deals.value) > 5', {1, 2}),
    ('min(deals.value) < 5', {1}),
    ('not (min(deals.value) < 5)', {2, 3, 4}),
    ('deal_total > 8', {1}),                                 # calculated field with an aggregate
    # ---- §2.5 relative time (now = Sun 2024-03-31 12:00 local)
    ('last_seen in last 30 days', {1, 3}),                   # now − 30 days ≤ x ≤ now, both ends included
    ('last_seen < 30 days ago', {3}),                        # less than 30 days ago: x > now − 30 days
    ('last_seen > 30 days ago', {2}),                        # more than 30 days ago
    ('last_seen >= 30 days ago', {1, 2}),
    ('last_seen > today - 30 days', {1, 2, 3}),              # a point in time: 2024-03-01 00:00
    ('last_seen in this month', {1, 2, 3}),
    ('last_seen = today', {3}),                              # calendar day
    ('last_seen not in last 30 days', {2, 4}),
    ('signup_date = today - 1 month', {1}),                  # Mar 31 − 1 month = Feb 29 (clamped)
    ('signup_date >= today - 1 year', {1, 2, 3}),            # 2023-03-31
    ('signup_date in this week', {2}),                       # weeks start Monday 2024-03-25
    ('signup_date in last week', set()),
    ('signup_date in this year', {1, 2}),
    ('signup_date in last year', {3}),
    ('signup_date > 30 days ago', {1, 3}),                   # age in whole days: signup_date < today − 30
    ('signup_date in last 7 days', {2}),                     # the 7 days ending today
    ('signup_date between 30 and 400 days ago', {1, 3}),
    ('day_of_week(signup_date) = 4', {1}),                   # Feb 29 2024 is a Thursday (ISO 4)
    ('day_of_week(signup_date) = 1', {2}),                   # Monday is 1
    ('today - signup_date > 30', {1, 3}),                    # date − date in days: 31, 6, 366
    ('anniversary(signup_date)', {3}),
    ('month(signup_date) = current_month()', {2, 3}),
    ('signup_date < last_seen', {1, 3}),                     # the date promoted to 00:00
    ('signup_date = last_seen', set()),                      # `=` with a date compares calendar days
    # ---- §2.6 events
    ('performed "purchase"', {1, 2}),
    ('performed "purchase" at least 2 times in last 30 days', {1}),  # the event exactly 30 days ago counts
    ('performed "purchase" fewer than 2 times', {2, 3, 4}),  # contacts with no events count 0
    ('performed "purchase" exactly 0 times', {3, 4}),
    ('performed "purchase" where amount > 10', {1}),
    ('did not perform "purchase" in last 30 days', {2, 3, 4}),
    ('performed "Purchase"', set()),                          # event names are exact
    ('count(events where name = "purchase") = 0', {3, 4}),
    # ---- §2.7 strings
    ('email contains "EXAMPLE"', {1, 2}),                    # case-insensitive
    ('email not contains "example"', {3, 4}),                # the complement includes a missing email
    ('email contains "%"', {4}),                             # literal: % _ \ match themselves
    ('email contains "_"', {4}),
    ('email contains "\\\\"', {4}),
    ('email contains "y_z"', {4}),
    ('email starts with "x%"', {4}),
    ('email ends with "COM"', {1, 2}),
    ('name contains "ss"', set()),                           # ß is not folded to ss (simple lowercase)
    ('name contains "SS"', set()),
    ('name contains "ß"', {4}),
    ('name starts with "çÉ"', {3}),
    ('email matches "^[a-z]+@"', {1}),
    ('email matches "^[a-z]+@" ignoring case', {1, 2}),
    ('email not matches "example"', {2, 3, 4}),
    ('name is empty', set()),
    ('email is empty', {3}),
    ('length(name) = 2', {3}),                               # code points
    ('lower(email) = "bob@example.com"', {2}),
    # ---- §2.8 numbers
    ('score / age > 0', {1}),                                # 5 / 0 is missing, not an error
    ('not (score / age > 0)', {2, 3, 4}),
    ('score / age is null', {2, 3}),
    ('score_per_age > 0.3', {1}),                            # 10 / 30 in double precision
    ('age / 4 = 4.5', {4}),                                  # never integer division
    ('round(score / 4) = 3', {1}),                           # 2.5 rounds away from zero
    ('round(score) = -3', {4}),                              # -2.5 rounds away from zero
    ('age = 30.0', {1}),                                     # integer and number compare by value
    ('score > age', {2}),                                   # 5 > 0
    ('score * 2 >= age', {2}),
    ('abs(score) = 2.5', {4}),
    ('coalesce(age, 99) = 99', {3}),
    ('-score < 0', {1, 2}),
    # ---- §2.10 lists and segments
    ('in list vip', {1, 3}),
    ('not in list vip', {2, 4}),
    ('in list beta', set()),
]


@pytest.fixture(scope="module")
def db():
    database = DuckDB(SCHEMA)
    database.load(DATA)
    return database


def _check(text, expected, db, now=NOW, data=DATA):
    seg = api.to_ir(text, SCHEMA, on="contacts")
    got_eval = evaluate_segment(seg, SCHEMA, data, now)
    assert got_eval == expected, f"evaluator: {text!r} gave {sorted(got_eval)}, SPEC says {sorted(expected)}"
    got_sql, sql = db.members(seg, now)
    assert got_sql == expected, f"DuckDB: {text!r} gave {sorted(got_sql)}, SPEC says {sorted(expected)}\n{sql}"


@pytest.mark.parametrize("text, expected", CASES, ids=[c[0] for c in CASES])
def test_case(text, expected, db):
    _check(text, expected, db)


def test_let_calculated_field(db):
    seg = api.to_ir("segment s on contacts\n  let ratio = score / age\nwhere ratio > 0.3", SCHEMA)
    assert evaluate_segment(seg, SCHEMA, DATA, NOW) == {1}
    assert db.members(seg, NOW)[0] == {1}


def test_segment_reference(db):
    text = ('segment adults on contacts where age >= 18\n'
            'segment adult_non_vips on contacts where in segment adults and not is_vip\n'
            'segment others on contacts where not in segment adults\n'
            'segment big on organizations where employees > 10\n'
            'segment at_big on contacts where organization in segment big\n')
    for slug, expected in (("adult_non_vips", set()), ("others", {2, 3}), ("at_big", {1})):
        seg = api.to_ir(text, SCHEMA, segment=slug)
        assert evaluate_segment(seg, SCHEMA, DATA, NOW) == expected, slug
        assert db.members(seg, NOW)[0] == expected, slug


def test_today_is_the_schema_zone(db):
    # 2024-04-01T02:00Z is still Sunday Mar 31 (22:00) in New York: this week is Mar 25-31, not from Apr 1
    _check("signup_date in this week", {2}, db, now="2024-04-01T02:00:00Z")
    _check("last_seen = today", {3}, db, now="2024-04-01T02:00:00Z")
    # a naive now is read in the schema's zone
    _check("last_seen in last 30 days", {1, 3}, db, now="2024-03-31T12:00:00")


def test_leap_day_anniversary(db):
    # a Feb 29 anniversary falls on Feb 28 in other years (SPEC §2.5)
    _check("anniversary(signup_date)", {1}, db, now="2025-02-28T17:00:00Z")
    _check("anniversary(signup_date)", set(), db, now="2025-03-01T17:00:00Z")


def test_month_arithmetic_clamps(db):
    # today = 2025-03-31: − 1 month = Feb 28 2025; the contact who signed up 2024-02-29 is 13 months back
    _check("signup_date >= today - 13 months", {1, 2}, db, now="2025-03-31T16:00:00Z")
    _check("signup_date > today - 13 months", {2}, db, now="2025-03-31T16:00:00Z")  # 2024-02-29 exactly
    _check("signup_date <= today - 1 quarter", {1, 3}, db, now="2024-05-31T16:00:00Z")  # 2024-02-29
    _check("signup_date < today - 1 quarter", {3}, db, now="2024-05-31T16:00:00Z")


# ---- matches(): one record in-process, related records nested ------------------------------------
def _ir(text):
    return api.to_ir(text, SCHEMA, on="contacts")


BARE = {"id": 9, "country": None, "deals": [], "organization": None, "events": []}
RICH = {"id": 7, "country": "US", "age": 40, "score": 2.0, "signup_date": D(2024, 2, 29),
        "organization": {"id": 5, "industry": "Software", "employees": 3},
        "deals": [{"id": 1, "value": 10.0, "stage": "Won"}, {"id": 2, "value": 1.0, "stage": None}],
        "events": [{"name": "purchase", "occurred_at": T(2024, 3, 31, 11, 0), "amount": 3.0}]}


@pytest.mark.parametrize("text, bare, rich", [
    ('country != "US"', True, False),
    ('country = "US"', False, True),
    ('deals.stage is null', True, True),
    ('all deals (value > 5)', True, False),
    ('any deals (value > 5 and stage = "Won")', False, True),
    ('organization.industry is null', True, False),
    ('organization.industry = "Software"', False, True),
    ('count(deals) = 2', False, True),
    ('sum(deals.value) = 0', True, False),
    ('avg(deals.value) = 5.5', False, True),
    ('performed "purchase" in last 1 day', False, True),
    ('performed "purchase" fewer than 1 times', True, False),
    ('score / age > 0', False, True),
    ('signup_date = today - 1 month', False, True),
])
def test_matches_nested_record(text, bare, rich):
    seg = _ir(text)
    assert matches(seg, SCHEMA, BARE, NOW) is bare
    assert matches(seg, SCHEMA, RICH, NOW) is rich


def test_matches_looks_up_what_is_not_nested():
    seg = _ir('deals.stage = "Won" and in list vip')
    record = {"id": 1, "country": "US"}  # deals come from the dataset by key
    assert matches(seg, SCHEMA, record, NOW, related=DATA) is True
    assert matches(seg, SCHEMA, {"id": 2}, NOW, related=DATA) is False
    assert matches(_ir("deals.value > 5"), SCHEMA, {"id": 2}, NOW, related={"deals": DEALS}) is True


def test_evaluator_is_bounded_on_deep_trees():
    # IR nesting far beyond the default recursion limit's comfortable range
    cond: ir.Cond = api.to_ir("age > 10", SCHEMA, on="contacts").condition
    for _ in range(400):
        cond = ir.Not(cond)
    seg = ir.Segment("deep", "contacts", "segment", cond)
    assert evaluate_segment(seg, SCHEMA, DATA, NOW) == {1, 4}


def test_static_list_segment():
    seg = ir.Segment("vip", "contacts", "list", None)
    assert evaluate_segment(seg, SCHEMA, DATA, NOW) == {1, 3}


# ---- helpers --------------------------------------------------------------------------------------
def test_calendar_helpers():
    assert shift(D(2024, 3, 31), -1, "month") == D(2024, 2, 29)
    assert shift(D(2025, 3, 31), -1, "month") == D(2025, 2, 28)
    assert shift(D(2024, 2, 29), 1, "year") == D(2025, 2, 28)
    assert shift(D(2024, 5, 31), -1, "quarter") == D(2024, 2, 29)
    assert shift(T(2024, 3, 31, 23, 30), 1, "hour") == T(2024, 4, 1, 0, 30)
    assert shift(D(2024, 3, 31), -2, "week") == D(2024, 3, 17)
    assert trunc(D(2024, 3, 31), "week") == D(2024, 3, 25)  # Sunday → Monday before
    assert trunc(D(2024, 3, 25), "week") == D(2024, 3, 25)
    assert trunc(D(2024, 8, 15), "quarter") == D(2024, 7, 1)
    assert trunc(T(2024, 8, 15, 10, 0), "year") == T(2024, 1, 1)


def test_simple_lower():
    assert simple_lower("İSTANBUL") == "istanbul"      # U+0130 → i, not i + U+0307
    assert simple_lower("STRAẞE") == "straße"
    assert simple_lower("ΟΔΟΣ") == "οδοσ"              # no final-sigma context rule
    assert simple_lower("\u212a") == "k"               # KELVIN SIGN
    assert simple_lower("ǅ") == "ǆ"


def test_upper(db):
    _check('upper(name) = "ANN"', {1}, db)
    _check('upper(email) = "BOB@EXAMPLE.COM"', {2}, db)


# ---- regressions: a to-one value is missing when there is no related record (SPEC §2.3), even when ----
# ---- its expression is not NULL on NULL input (coalesce, count, sum); the SQL once computed it on the ----
# ---- LEFT JOIN's all-NULL row ---------------------------------------------------------------------------
def test_to_one_calculated_coalesce_is_missing_without_organization(db):
    # employees_or_zero = coalesce(employees, 0) on organizations. Contact 2's organization has no
    # employees (→ 0); contacts 3 (no organization) and 4 (dangling id) have no organization: missing.
    _check("organization.employees_or_zero = 0", {2}, db)


def test_to_one_calculated_count_is_missing_without_organization(db):
    # member_count = count(members) on organizations: 1 for both organizations, missing for contacts 3, 4
    _check("organization.member_count is null", {3, 4}, db)


def test_to_one_count_through_missing_organization(db):
    _check("count(organization.members) = 0", set(), db)  # no organization: the count is missing


def test_to_one_strict_values_agree(db):
    # expressions that are missing on missing input already agree
    _check("coalesce(organization.employees, 0) = 0", {2, 3, 4}, db)
    _check("organization.employees is null", {2, 3, 4}, db)
    _check("count(organization.members) = 1", {1, 2}, db)


@pytest.mark.parametrize("value, kind, zone, wall", [
    (T(2024, 3, 31, 16, 0, tzinfo=dt.UTC), "zoned", "America/New_York", T(2024, 3, 31, 12, 0)),
    ("2024-03-31T18:00:00+02:00", "zoned", "UTC", T(2024, 3, 31, 16, 0)),
    (T(2024, 3, 31, 16, 0), "zoned", "Asia/Tokyo", T(2024, 4, 1, 1, 0)),        # naive: read as UTC
    (1711900800, "seconds", "UTC", T(2024, 3, 31, 16, 0)),
    (1711900800123, "milliseconds", "UTC", T(2024, 3, 31, 16, 0, 0, 123000)),
    (1711900800123456, "microseconds", "UTC", T(2024, 3, 31, 16, 0, 0, 123456)),
    (-1, "milliseconds", "UTC", T(1969, 12, 31, 23, 59, 59, 999000)),
    (T(2023, 11, 5, 6, 30, tzinfo=dt.UTC), "zoned", "America/New_York", T(2023, 11, 5, 1, 30)),  # EST 01:30
    (T(2023, 11, 5, 5, 30, tzinfo=dt.UTC), "zoned", "America/New_York", T(2023, 11, 5, 1, 30)),  # EDT 01:30
])
def test_instant_values_read_as_wall_clock(value, kind, zone, wall):
    """SPEC §5.1: an instant is its wall-clock reading in the schema's zone (the repeated hour reads twice)."""
    from segql.targets.evaluate import wall_clock

    assert wall_clock(value, kind, zone) == wall
