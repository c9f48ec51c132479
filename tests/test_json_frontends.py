"""JSON front ends (SPEC §1.3): MongoDB-style documents, seed 002's rule lists, react-querybuilder, and the
MongoDB renderer (`frontends.to_mongo`)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segql
from segql import ir
from segql.errors import SegqlError
from segql.frontends import json_document, json_document_from_text
from segql.targets.mongo import definition_to_mongo
from segql.semantic.schemas import parse_schema
from segql.semantic.checker import Checker
from segql.syntax import ast
from segql.frontends.source import parse_source

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = segql.load_schema(ROOT / "examples" / "schema.yml")


def compile_pg(source, schema=SCHEMA, **kw):
    return segql.compile(source, schema=schema, dialect="postgres", **kw)


def error_of(source, schema=SCHEMA, **kw) -> SegqlError:
    with pytest.raises(SegqlError) as info:
        compile_pg(source, schema, **kw)
    return info.value


def norm(c):
    """IR up to and/or flattening and double negation (how a condition is grouped, not what it means)."""
    if isinstance(c, (ir.And, ir.Or)):
        items = []
        for i in map(norm, c.items):
            items.extend(i.items if type(i) is type(c) else (i,))
        return dataclasses.replace(c, items=tuple(items))
    if isinstance(c, ir.Not):
        inner = norm(c.item)
        return inner.item if isinstance(inner, ir.Not) else dataclasses.replace(c, item=inner)
    if isinstance(c, ir.Exists) and c.condition is not None:
        return dataclasses.replace(c, condition=norm(c.condition))
    return c


def ir_of(source, on="contacts", schema=SCHEMA):
    doc = parse_source(source, on=on, schema=schema)
    return norm(Checker(schema).check_definition(doc.definitions[0]).condition)


# ---- seeds --------------------------------------------------------------------------------------
SEED000_SCHEMA = parse_schema("""
entities:
  contacts:
    aliases: [Contact]
    properties: {plan: string, status: string, organization_id: integer}
    relationships:
      deals: {entity: deals, type: many, local: id, remote: contact_id}
  deals:
    properties: {contact_id: integer, value: number, stage: string}
  segments:
    aliases: [Segment]
    key: {name: id, type: string}
    properties: {name: string, isDynamic: boolean, memberCount: integer}
lists: {table: list_members, list: list_slug, member: member_key}
""")

SEED000_CRITERIA = {"type": "Contact", "filter": {"deals.value": {"$gte": 10000}, "deals.stage": "Negotiation"}}


def test_seed000_criteria():
    sql = compile_pg(SEED000_CRITERIA)
    assert '"value" >= 10000' in sql and "'Negotiation'" in sql


def test_seed000_segment_create_with_criteria_as_json_text():
    doc = {"name": "High-Value Prospects", "description": "Contacts with deals over $10K in Negotiation stage",
           "criteria": json.dumps(SEED000_CRITERIA), "isDynamic": True}
    d = json_document(doc, schema=SCHEMA).definitions[0]
    assert (d.entity, d.title, d.slug) == ("Contact", "High-Value Prospects", "high_value_prospects")
    assert compile_pg(doc) == compile_pg(SEED000_CRITERIA)


def test_seed000_static_segment_is_a_list():
    doc = {"name": "Beta Testers", "description": "Hand-picked users for early feature access", "isDynamic": False}
    d = json_document(doc, on="contacts", schema=SCHEMA).definitions[0]
    assert d.kind == "list" and d.slug == "beta_testers"
    assert "list_members" in compile_pg(doc, on="contacts")


def test_seed000_bare_criteria_and_mcp_filter():
    trial = {"name": "Trial Users", "description": "Users currently on a trial plan",
             "criteria": json.dumps({"plan": "trial", "status": "Active"}), "isDynamic": True}
    assert "'trial'" in compile_pg(trial, SEED000_SCHEMA, on="contacts")
    assert '"isDynamic" = TRUE' in compile_pg({"type": "Segment", "filter": {"isDynamic": True}}, SEED000_SCHEMA)
    # the MCP *search* request is not a segment: sort/limit are refused, not silently dropped
    err = error_of({"type": "Segment", "filter": {"isDynamic": True}, "sort": {"memberCount": "desc"}, "limit": 20},
                   SEED000_SCHEMA)
    assert err.code == "E0158" and err.span.pointer == "/sort"


def test_seed001_export_items():
    export = [{"object_type": "segments", "data": {
        "title": "Active Customers", "slug": "active-customers", "description": "Contacts with recent activity",
        "object_type": "contacts", "query": {"last_activity": {"$within": "30 days"}}}},
        {"object_type": "segments", "data": {
            "title": "Software Contacts", "slug": "software", "object_type": "contacts",
            "query": {"organization.industry": "Software"}}}]
    doc = json_document(export, schema=SCHEMA)
    assert [d.slug for d in doc.definitions] == ["active-customers", "software"]
    assert doc.definitions[0].title == "Active Customers"
    assert "INTERVAL" in compile_pg(export, segment="active-customers")
    assert '"industry" = ' in compile_pg(export, segment="software")
    # the seed's placeholder query names no real field: the error points into the export item
    placeholder = [{"object_type": "segments", "data": {"title": "Active Customers", "slug": "active-customers",
                                                        "object_type": "contacts",
                                                        "query": {"...": "the saved filter"}}}]
    err = error_of(placeholder)
    assert err.code == "E0152" and err.span.pointer == "/0/data/query/..."


SEED003_CONDITIONS = {"$and": [{"country": {"$eq": "US"}}, {"lifetime_value": {"$gte": 100}},
                               {"last_purchase_date": {"$gte": "2024-01-01"}}]}


def test_seed003_example_conditions():
    sql = compile_pg({"name": "US customers", "description": "x", "conditions": SEED003_CONDITIONS, "type": "contacts"})
    assert "CAST('2024-01-01' AS DATE)" in sql
    assert compile_pg(SEED003_CONDITIONS, on="contacts") == sql
    assert ir_of({"type": "contacts", "conditions": SEED003_CONDITIONS}) == ir_of(
        'country = "US" and lifetime_value >= 100 and last_purchase_date >= "2024-01-01"')


@pytest.mark.parametrize("doc, pointer", [
    ({"name": "", "type": "contacts", "conditions": {"country": "US"}}, "/name"),
    ({"name": "x" * 101, "type": "contacts", "conditions": {"country": "US"}}, "/name"),
    ({"name": "ok", "description": "d" * 501, "type": "contacts", "conditions": {"country": "US"}}, "/description"),
])
def test_seed003_name_and_description_limits(doc, pointer):
    err = error_of(doc)
    assert (err.code, err.span.pointer) == ("E0157", pointer)


def test_seed003_limits_at_the_edges_are_fine():
    compile_pg({"name": "x" * 100, "description": "d" * 500, "type": "contacts", "conditions": {"country": "US"}})


def test_seed003_logical_not():
    assert ir_of({"type": "contacts", "filter": {"$not": {"country": "US", "opens": {"$gt": 5}}}}) == ir_of(
        'not (country = "US" and opens > 5)')


SEED002_API = {"name": "High Value Active",
               "conditions": [{"field": "lifetime_value", "operator": "greater_than", "value": 500},
                              {"field": "last_activity", "operator": "within_days", "value": 30}],
               "logic": "AND"}


def test_seed002_api_example():
    d = json_document(SEED002_API, on="contacts", schema=SCHEMA).definitions[0]
    assert d.title == "High Value Active" and d.slug == "high_value_active"
    assert ir_of({**SEED002_API, "type": "contacts"}) == ir_of("lifetime_value > 500 and last_activity in last 30 days")
    compile_pg(SEED002_API, on="contacts")


def test_text_and_dict_give_the_same_sql():
    text = json.dumps({"type": "contacts", "filter": SEED003_CONDITIONS}, indent=2)
    assert compile_pg(text) == compile_pg(json.loads(text))


def test_slug_defaults_to_file_stem():
    doc = json_document_from_text('{"type": "contacts", "name": "US", "filter": {"country": "US"}}',
                                  path="/tmp/us_contacts.json", schema=SCHEMA)
    assert doc.definitions[0].slug == "us_contacts"


def test_array_of_documents():
    doc = json_document([{"type": "contacts", "name": "A", "filter": {"country": "US"}},
                         {"type": "contacts", "name": "B", "conditions": [
                             {"field": "opens", "operator": "equals", "value": 0}]}], schema=SCHEMA)
    assert [d.slug for d in doc.definitions] == ["a", "b"]


# ---- every MongoDB operator, against the text language --------------------------------------------
MONGO_CASES = [
    ({"country": "US"}, 'country = "US"'),
    ({"country": {"$eq": "US"}}, 'country = "US"'),
    ({"country": {"$ne": "US"}}, 'country != "US"'),
    ({"opens": {"$gt": 5}}, "opens > 5"),
    ({"opens": {"$gte": 5}}, "opens >= 5"),
    ({"opens": {"$lt": 5}}, "opens < 5"),
    ({"opens": {"$lte": 5}}, "opens <= 5"),
    ({"lifetime_value": {"$gt": 99.5}}, "lifetime_value > 99.5"),
    ({"state": {"$in": ["CA", "NY"]}}, 'state in ("CA", "NY")'),
    ({"state": {"$nin": ["CA", "NY"]}}, 'state not in ("CA", "NY")'),
    ({"state": {"$in": ["CA", None]}}, 'state in ("CA", null)'),
    ({"state": {"$exists": True}}, "state is not null"),
    ({"state": {"$exists": False}}, "state is null"),
    ({"state": None}, "state is null"),
    ({"state": {"$ne": None}}, "state is not null"),
    ({"email": {"$regex": "^a.c"}}, 'email matches "^a.c"'),
    ({"email": {"$regex": "acme", "$options": "i"}}, 'email matches "acme" ignoring case'),
    ({"email": {"$not": {"$regex": "acme"}}}, 'not email matches "acme"'),
    ({"opens": {"$not": {"$gt": 5}}}, "not (opens > 5)"),
    ({"opens": {"$gt": 1, "$lt": 5}}, "opens > 1 and opens < 5"),
    ({"is_vip": True}, "is_vip = true"),
    ({"$or": [{"country": "US"}, {"country": "CA"}]}, 'country = "US" or country = "CA"'),
    ({"$and": [{"country": "US"}, {"opens": 0}]}, 'country = "US" and opens = 0'),
    ({"$nor": [{"country": "US"}, {"opens": 0}]}, 'not (country = "US" or opens = 0)'),
    ({"$not": {"country": "US"}}, 'not (country = "US")'),
    ({"deals.value": {"$gte": 10000}}, "deals.value >= 10000"),
    ({"deals.value": {"$gt": 1, "$lt": 5}}, "deals.value > 1 and deals.value < 5"),
    ({"deals": {"$elemMatch": {"value": {"$gt": 1, "$lt": 5}, "stage": "Won"}}},
     'any deals (value > 1 and value < 5 and stage = "Won")'),
    ({"deals": {"$not": {"$elemMatch": {"stage": "Won"}}}}, 'no deals (stage = "Won")'),
    ({"deals": {"$exists": True}}, "any deals"),
    ({"deals": {"$exists": False}}, "no deals"),
    ({"deals.stage": {"$exists": True}}, "any deals (stage is not null)"),
    ({"deals.stage": None}, "deals.stage is null"),
    ({"deals.stage": {"$ne": "Won"}}, 'deals.stage != "Won"'),
    ({"organization.industry": {"$in": ["Software", "Fintech"]}}, 'organization.industry in ("Software", "Fintech")'),
    ({"organization": {"$exists": False}}, "no organization"),
    ({"signup_date": {"$gte": "2024-01-01"}}, 'signup_date >= "2024-01-01"'),
    ({"signup_date": {"$gte": {"$date": "2024-01-01"}}}, 'signup_date >= date "2024-01-01"'),
    ({"last_purchase": {"$lt": {"$date": "2024-01-01T10:00:00Z"}}}, 'last_purchase < timestamp "2024-01-01T10:00:00Z"'),
    ({"last_activity": {"$gt": {"$date": "today - 30 days"}}}, "last_activity > today - 30 days"),
    ({"last_activity": {"$lt": {"$date": "now"}}}, "last_activity < now"),
    ({"signup_date": {"$date": "today"}}, "signup_date = today"),
    ({"last_activity": {"$within": "30 days"}}, "last_activity in last 30 days"),
    ({"last_activity": {"$within": "last 2 weeks"}}, "last_activity in last 2 weeks"),
    ({"signup_date": {"$within": "this month"}}, "signup_date in this month"),
    ({"signup_date": {"$within": "last quarter"}}, "signup_date in last quarter"),
    ({"last_purchase": {"$olderThan": "90 days"}}, "last_purchase > 90 days ago"),
    ({"last_purchase": {"$newerThan": "7 days"}}, "last_purchase < 7 days ago"),
    ({"last_activity": {"$newerThan": "24 hours"}}, "last_activity < 24 hours ago"),
    ({"email": {"$contains": "@company.com"}}, 'email contains "@company.com"'),
    ({"email": {"$startsWith": "a"}}, 'email starts with "a"'),
    ({"email": {"$endsWith": ".org"}}, 'email ends with ".org"'),
    ({}, "id not in ()"),
]


@pytest.mark.parametrize("filt, text", MONGO_CASES, ids=[c[1] for c in MONGO_CASES])
def test_mongo_operator_means_the_text(filt, text):
    assert ir_of({"type": "contacts", "filter": filt}) == ir_of(text)
    compile_pg({"type": "contacts", "filter": filt})


RULE_CASES = [
    ("equals", "US", 'country = "US"', "country"),
    ("not_equals", "US", 'country != "US"', "country"),
    ("equals", None, "country is null", "country"),
    ("greater_than", 5, "opens > 5", "opens"),
    ("greater_than_or_equal", 5, "opens >= 5", "opens"),
    ("greater_than_or_equals", 5, "opens >= 5", "opens"),
    ("less_than", 5, "opens < 5", "opens"),
    ("less_than_or_equal", 5, "opens <= 5", "opens"),
    ("less_than_or_equals", 5, "opens <= 5", "opens"),
    ("contains", "@co", 'email contains "@co"', "email"),
    ("not_contains", "@co", 'email not contains "@co"', "email"),
    ("starts_with", "a", 'email starts with "a"', "email"),
    ("ends_with", ".org", 'email ends with ".org"', "email"),
    ("in", ["CA", "NY"], 'state in ("CA", "NY")', "state"),
    ("not_in", ["CA", "NY"], 'state not in ("CA", "NY")', "state"),
    ("is_null", None, "state is null", "state"),
    ("is_not_null", None, "state is not null", "state"),
    ("is_empty", None, "state is empty", "state"),
    ("is_not_empty", None, "state is not empty", "state"),
    ("between", [10, 20], "opens between 10 and 20", "opens"),
    ("within_days", 30, "last_activity in last 30 days", "last_activity"),
    ("more_than_days_ago", 90, "subscribed_at > 90 days ago", "subscribed_at"),
    ("less_than_days_ago", 7, "subscribed_at < 7 days ago", "subscribed_at"),
    ("matches", "^a+$", 'email matches "^a+$"', "email"),
    ("greater_than", "2024-01-01", 'signup_date > "2024-01-01"', "signup_date"),
]


@pytest.mark.parametrize("op, value, text, field", RULE_CASES, ids=[c[2] for c in RULE_CASES])
def test_rule_operator_means_the_text(op, value, text, field):
    rule = {"field": field, "operator": op}
    if value is not None or op == "equals":
        rule["value"] = value
    assert ir_of({"type": "contacts", "conditions": [rule]}) == ir_of(text)


def test_rule_groups_nest():
    doc = {"type": "contacts", "logic": "AND", "conditions": [
        {"logic": "OR", "conditions": [
            {"logic": "AND", "conditions": [
                {"field": "product_interest", "operator": "equals", "value": "Software"},
                {"field": "job_title", "operator": "contains", "value": "Developer"}]},
            {"logic": "AND", "conditions": [
                {"field": "product_interest", "operator": "equals", "value": "Marketing"},
                {"field": "job_title", "operator": "contains", "value": "Marketing"}]}]},
        {"logic": "OR", "conditions": [{"field": "company_size", "operator": "greater_than", "value": 100},
                                       {"field": "budget", "operator": "greater_than", "value": 10000}]}]}
    assert ir_of(doc) == ir_of('((product_interest = "Software" and job_title contains "Developer") or '
                               '(product_interest = "Marketing" and job_title contains "Marketing")) and '
                               '(company_size > 100 or budget > $10000)')


def test_rule_unknown_operator_suggests():
    err = error_of({"type": "contacts", "conditions": [{"field": "opens", "operator": "greater_then", "value": 1}]})
    assert err.code == "E0153" and err.span.pointer == "/conditions/0/operator"
    assert err.hints == ['did you mean "greater_than"?']


def test_rule_value_types_are_checked():
    err = error_of({"type": "contacts", "conditions": [{"field": "opens", "operator": "equals", "value": "5"}]})
    assert err.code == "E0151" and err.span.pointer == "/conditions/0/value"


# ---- react-querybuilder -------------------------------------------------------------------------
def qb(rules, combinator="and", **kw):
    return {"type": "contacts", "combinator": combinator, "rules": rules, **kw}


@pytest.mark.parametrize("rule, text", [
    ({"field": "opens", "operator": ">", "value": "5"}, "opens > 5"),
    ({"field": "lifetime_value", "operator": "<=", "value": " 99.50 "}, "lifetime_value <= 99.50"),
    ({"field": "is_vip", "operator": "=", "value": "true"}, "is_vip = true"),
    ({"field": "is_vip", "operator": "!=", "value": "False"}, "is_vip != false"),
    ({"field": "signup_date", "operator": ">=", "value": "2024-01-01"}, 'signup_date >= "2024-01-01"'),
    ({"field": "country", "operator": "=", "value": "5"}, 'country = "5"'),
    ({"field": "state", "operator": "in", "value": "CA, NY,TX"}, 'state in ("CA", "NY", "TX")'),
    ({"field": "opens", "operator": "notIn", "value": "1,2"}, "opens not in (1, 2)"),
    ({"field": "opens", "operator": "in", "value": ["1", 2]}, "opens in (1, 2)"),
    ({"field": "opens", "operator": "between", "value": "1,5"}, "opens between 1 and 5"),
    ({"field": "opens", "operator": "notBetween", "value": ["1", "5"]}, "opens not between 1 and 5"),
    ({"field": "email", "operator": "contains", "value": "@x"}, 'email contains "@x"'),
    ({"field": "email", "operator": "beginsWith", "value": "a"}, 'email starts with "a"'),
    ({"field": "email", "operator": "endsWith", "value": "z"}, 'email ends with "z"'),
    ({"field": "email", "operator": "doesNotContain", "value": "@x"}, 'email not contains "@x"'),
    ({"field": "email", "operator": "doesNotBeginWith", "value": "a"}, 'email not starts with "a"'),
    ({"field": "email", "operator": "doesNotEndWith", "value": "z"}, 'email not ends with "z"'),
    ({"field": "email", "operator": "null", "value": ""}, "email is null"),
    ({"field": "email", "operator": "notNull", "value": None}, "email is not null"),
    ({"field": "total_spent", "operator": ">", "value": "lifetime_value", "valueSource": "field"},
     "total_spent > lifetime_value"),
    ({"field": "deals.value", "operator": ">", "value": "100"}, "deals.value > 100"),
])
def test_querybuilder_rules(rule, text):
    assert ir_of(qb([rule])) == ir_of(text)


def test_querybuilder_groups_not_disabled_and_ids():
    q = qb([{"id": "r1", "field": "country", "operator": "=", "value": "US"},
            {"id": "g1", "combinator": "or", "not": True, "rules": [
                {"field": "opens", "operator": ">", "value": "5"},
                {"field": "clicks", "operator": ">", "value": "2"}]},
            {"field": "opens", "operator": "=", "value": "1", "disabled": True}], id="root")
    assert ir_of(q) == ir_of('country = "US" and not (opens > 5 or clicks > 2)')


def test_querybuilder_independent_combinators():
    q = {"type": "contacts", "rules": [{"field": "opens", "operator": "=", "value": "1"}, "or",
                                       {"field": "opens", "operator": "=", "value": "2"}, "and",
                                       {"field": "clicks", "operator": "=", "value": "3"}]}
    assert ir_of(q) == ir_of("opens = 1 or (opens = 2 and clicks = 3)")


def test_querybuilder_under_query_key():
    doc = {"type": "contacts", "query": {"combinator": "or", "rules": [
        {"field": "country", "operator": "=", "value": "US"}, {"field": "country", "operator": "=", "value": "CA"}]}}
    assert ir_of(doc) == ir_of('country = "US" or country = "CA"')


@pytest.mark.parametrize("rule, pointer", [
    ({"field": "opens", "operator": ">", "value": "five"}, "/rules/0/value"),
    ({"field": "is_vip", "operator": "=", "value": "yes"}, "/rules/0/value"),
    ({"field": "opens", "operator": "between", "value": "1"}, "/rules/0/value"),
    ({"field": "opens", "operator": "between", "value": "1,x"}, "/rules/0/value"),
    ({"field": "opens", "operator": "~", "value": "1"}, "/rules/0/operator"),
])
def test_querybuilder_errors(rule, pointer):
    err = error_of(qb([rule]))
    assert err.span.pointer == pointer and err.code.startswith("E015")


@pytest.mark.parametrize("value", ["1_000", "\uff15", "\u0661\u0662", "0x10", "1 000", "1,5", "e3", "+-1", "--1"])
def test_querybuilder_numbers_are_ascii_decimal_notation(value):
    """A form's number string is decimal notation in ASCII digits, as a number input sends it; Python's
    int()/Decimal() also read `1_000`, full-width and Arabic-Indic digits, which no form means as a number."""
    err = error_of(qb([{"field": "opens", "operator": ">", "value": value}]))
    assert err.code == "E0151" and err.span.pointer == "/rules/0/value"


@pytest.mark.parametrize("value, text", [("1e3", "opens > 1000.0"), ("2.5E-1", "opens > 0.25"), ("-5", "opens > -5"), ("+5", "opens > 5"),
                                         (".5", "opens > 0.5"), ("5.", "opens > 5.0"), ("007", "opens > 7")])
def test_querybuilder_number_notation(value, text):
    assert ir_of(qb([{"field": "opens", "operator": ">", "value": value}])) == ir_of(text)


# ---- error locations ----------------------------------------------------------------------------
LOCATED = """{
  "type": "contacts",
  "filter": {
    "$and": [
      {"country": "US"},
      {"countri": "US"}
    ]
  }
}"""


def test_checker_errors_point_at_json_line_and_pointer():
    err = error_of(LOCATED)
    assert err.code == "E0301" and err.hints == ['did you mean "country"?']
    assert (err.span.line, err.span.col, err.span.end_col) == (6, 8, 17)
    assert err.span.pointer == "/filter/$and/1/countri"
    assert err.source == LOCATED


@pytest.mark.parametrize("text, code, pointer, line, col", [
    ('{"type": "contacts", "filter": {"opens": "5"}}', "E0151", "/filter/opens", 1, 42),
    ('{"type": "contacts",\n "filter": {"opens": {"$gtt": 5}}}', "E0153", "/filter/opens/$gtt", 2, 23),
    ('{"type": "contacts", "filter": {"opens": 5, "opens": 6}}', "E0154", "/filter/opens", 1, 45),
    ('{"type": "contacts", "filter": {"opens": 5,}}', "E0150", None, 1, 44),
    ('{"type": "contacts", "filter": {"email": {"$regex": "a", "$options": "m"}}}', "E0152",
     "/filter/email/$options", 1, 70),
    ('{"type": "contacts", "filter": {"deals": {"$elemMatch": {"$gt": 5}}}}', "E0152",
     "/filter/deals/$elemMatch", 1, 57),
    ('{"type": "contacts", "filter": {"country": {"$elemMatch": {"a": 1}}}}', "E0152",
     "/filter/country/$elemMatch", 1, 45),
    ('{"type": "Contaact", "filter": {}}', "E0301", "/type", 1, 10),
    ('{"filter": {"opens": 1}}', "E0156", "", 1, 1),
    ('{"type": "contacts", "filter": {"last_purchase": {"$gt": "yesterday"}}}', "E0105",
     "/filter/last_purchase/$gt", 1, 58),
    ('{"type": "contacts", "filter": {"last_purchase": {"$within": "30 dayz"}}}', "E0159",
     "/filter/last_purchase/$within", 1, 62),
    ('{"type": "contacts", "filter": {"opens": {"$gt": null}}}', "E0151", "/filter/opens/$gt", 1, 50),
    ('{"type": "contacts", "filter": {"opens": {"$in": 5}}}', "E0152", "/filter/opens/$in", 1, 50),
    ('{"type": "contacts", "filter": {"organization": {"industry": "x"}}}', "E0152", "/filter/organization", 1, 49),
    ('{"type": "contacts", "filter": {"opens": {"$size": 2}}}', "E0153", "/filter/opens/$size", 1, 43),
    ('{"type": "contacts", "filter": {"opens": NaN}}', "E0150", None, 1, 42),
    ('{"type": "contacts", "filter": {"$or": []}}', "E0152", "/filter/$or", 1, 40),
    ('{"type": "contacts", "filter": {"deals": 5}}', "E0152", "/filter/deals", 1, 42),
])
def test_error_locations(text, code, pointer, line, col):
    err = error_of(text)
    assert (err.code, err.span.pointer, err.span.line, err.span.col) == (code, pointer, line, col), err.message


def test_dict_errors_carry_pointers_only():
    err = error_of({"type": "contacts", "filter": {"$or": [{"opens": 1}, {"opens": "x"}]}})
    assert err.code == "E0151" and err.span.pointer == "/filter/$or/1/opens" and err.span.line == 0


def test_pointer_escaping():
    err = error_of({"type": "contacts", "filter": {"a/b~c": 1}})
    assert err.span.pointer == "/filter/a~1b~0c"


def test_deep_nesting_is_refused_not_crashing():
    deep = {"opens": 1}
    for _ in range(300):
        deep = {"$and": [deep]}
    err = error_of({"type": "contacts", "filter": deep})
    assert err.code == "E0155"
    err = error_of(json.dumps({"type": "contacts", "filter": deep}))
    assert err.code == "E0155"


# ---- to_mongo -----------------------------------------------------------------------------------
TEXT_CORPUS = [
    'any deals (value >= $10,000 and stage = "Negotiation") and organization.industry in ("Software", "Fintech")',
    "last_purchase < 30 days ago and last_purchase >= 7 days ago",
    'not (country = "US" or country = "CA")',
    "signup_date in last month and last_activity in last 30 days",
    "deals.value between 1 and 5 and opens between 2 and 3",
    "opens not between 1 and 2 and deals.value not between 1 and 2",
    'email contains "a%" and email starts with "_" and email ends with "\\\\"',
    "is_vip and not is_vip",
    "last_activity > today - 30 days and signup_date = today",
    'no deals (stage = "Won") and all deals (value > 3)',
    "organization.industry is null and deals.stage is not null",
    "signup_date <= 3 days ago and last_purchase = 3 days ago and signup_date != 2 days ago",
    'email matches "^a.c$" ignoring case and not email matches "x"',
    'country != "US" and state not in ("CA", null) and opens = 0',
    'signup_date >= date "2024-01-01" and last_purchase < timestamp "2024-01-01T10:00:00Z"',
    'signup_date >= "2024-01-01"',
    "any deals and no deals",
    '(country = "US" and opens > 1) or (country = "CA" and (opens < 1 or clicks > 2))',
]


@pytest.mark.parametrize("text", TEXT_CORPUS)
def test_text_to_mongo_to_text_keeps_the_meaning(text):
    from segql.syntax.printer import format_definition

    d = parse_source(f"segment t on contacts where {text}", schema=SCHEMA).definitions[0]
    mongo = definition_to_mongo(d, SCHEMA)
    json.dumps(mongo)  # plain JSON
    back = json_document(mongo, schema=SCHEMA).definitions[0]
    assert ir_of(format_definition(back), on=None) == ir_of(text)


@pytest.mark.parametrize("text, construct", [
    ('performed "purchase" at least 2 times', "performed"),
    ("count(deals) > 2", "aggregate count()"),
    ("month(birthday) = current_month()", "function month()"),
    ("opens * 2 > clicks", "arithmetic"),
    ("total_spent > lifetime_value", "comparing two fields"),
    ("in segment other", "segment reference"),
    ("in list vips", "list reference"),
    ("subscribed_at between 30 and 60 days ago", "between N and M units ago"),
    ("any organization (industry = \"x\")", "to-one relationship"),
])
def test_to_mongo_refuses_what_it_cannot_express(text, construct):
    d = parse_source(text, on="contacts", schema=SCHEMA).definitions[0]
    with pytest.raises(SegqlError) as info:
        definition_to_mongo(d, SCHEMA)
    assert info.value.code == "E0160" and construct in info.value.message and "MongoDB" in info.value.message


def test_to_mongo_document_shape():
    d = parse_source('segment vip on contacts title "VIPs" description "d" where is_vip', schema=SCHEMA).definitions[0]
    assert definition_to_mongo(d, SCHEMA) == {"type": "contacts", "name": "VIPs", "slug": "vip", "description": "d",
                                              "filter": {"is_vip": True}}
    lst = parse_source('list beta on contacts title "Beta"', schema=SCHEMA).definitions[0]
    assert definition_to_mongo(lst, SCHEMA) == {"type": "contacts", "name": "Beta", "slug": "beta", "isDynamic": False}
    assert json_document(definition_to_mongo(lst, SCHEMA), schema=SCHEMA).definitions[0] == lst


# hypothesis: json → ast → mongo → ast is the identity (ignoring spans)
FIELDS = {"country": "string", "email": "string", "opens": "integer", "lifetime_value": "number",
          "is_vip": "boolean", "signup_date": "date", "last_purchase": "timestamp",
          "organization.industry": "string", "organization.employees": "integer",
          "deals.value": "number", "deals.stage": "string", "deals.closed_at": "timestamp"}
DEAL = {"value": "number", "stage": "string", "closed_at": "timestamp"}
VALUES = {
    "string": st.sampled_from(["", "US", "it's", 'a "b"', "100%", "é"]),
    "integer": st.integers(-3, 3), "number": st.sampled_from([0, 1.5, -2.25, 10000]),
    "boolean": st.booleans(),
    "date": st.sampled_from(["2024-01-01", {"$date": "2024-02-29"}, {"$date": "today"},
                             {"$date": "today - 30 days"}, {"$date": "today + 1 week"}]),
    "timestamp": st.sampled_from(["2024-01-01T10:00:00Z", {"$date": "2024-01-01T10:00:00"},
                                  {"$date": "now - 2 hours"}, {"$date": "today - 1 day"}]),
}


@st.composite
def op_clause(draw, kind, allow_not=True):
    ops = ["$eq", "$ne", "$in", "$nin", "$exists"] + (["$gt", "$gte", "$lt", "$lte"] if kind != "boolean" else [])
    ops += {"string": ["$regex", "$contains", "$startsWith", "$endsWith"],
            "date": ["$within", "$olderThan", "$newerThan"], "timestamp": ["$within", "$olderThan", "$newerThan"]
            }.get(kind, [])
    if allow_not:
        ops.append("$not")
    op = draw(st.sampled_from(ops))
    if op in ("$eq", "$ne"):
        return {op: draw(st.one_of(st.none(), VALUES[kind]))}
    if op in ("$in", "$nin"):
        return {op: draw(st.lists(st.one_of(st.none(), VALUES[kind]), max_size=3))}
    if op == "$exists":
        return {op: draw(st.booleans())}
    if op == "$regex":
        return {op: draw(st.sampled_from(["^a", "b|c", "x+"])), **draw(st.sampled_from([{}, {"$options": "i"}]))}
    if op in ("$contains", "$startsWith", "$endsWith"):
        return {op: draw(VALUES["string"])}
    if op == "$within":
        return {op: draw(st.sampled_from(["30 days", "1 week", "this month", "last quarter", "2 hours"]))}
    if op in ("$olderThan", "$newerThan"):
        return {op: draw(st.sampled_from(["30 days", "1 year", "12 hours"]))}
    if op == "$not":
        return {op: draw(op_dict(kind, False))}
    return {op: draw(VALUES[kind])}


@st.composite
def op_dict(draw, kind, allow_not=True):
    out = {}
    for _ in range(draw(st.integers(1, 3))):
        clause = draw(op_clause(kind, allow_not))
        if not set(clause) & set(out) and not ("$options" in clause and "$regex" in out):
            out.update(clause)
    return out


@st.composite
def mongo_filter(draw, depth=2, fields=None):
    fields = FIELDS if fields is None else fields
    out = {}
    for _ in range(draw(st.integers(1, 3))):
        choice = draw(st.sampled_from(["field"] * 4 + (["$and", "$or", "$nor", "$not", "elem"] if depth else [])))
        if choice == "field":
            key = draw(st.sampled_from(sorted(fields)))
            kind = fields[key]
            value = draw(st.one_of(VALUES[kind], st.none(), op_dict(kind)))
        elif choice in ("$and", "$or", "$nor"):
            key, value = choice, draw(st.lists(mongo_filter(depth - 1, fields), min_size=1, max_size=3))
        elif choice == "$not":
            key, value = "$not", draw(mongo_filter(depth - 1, fields))
        elif fields is FIELDS:
            key = "deals"
            value = draw(st.sampled_from([
                {"$exists": True}, {"$exists": False}]) | mongo_filter(depth - 1, DEAL).map(lambda f: {"$elemMatch": f})
                | mongo_filter(depth - 1, DEAL).map(lambda f: {"$not": {"$elemMatch": f}}))
        else:
            continue
        if key not in out:
            out[key] = value
    return out


@settings(deadline=None, derandomize=True, max_examples=200)
@given(f=mongo_filter())
def test_json_to_mongo_round_trip(f):
    doc = {"type": "contacts", "name": "Generated", "slug": "generated", "filter": f}
    first = json_document(doc, schema=SCHEMA).definitions[0]
    rendered = definition_to_mongo(first, SCHEMA)
    json.dumps(rendered)
    again = json_document(rendered, schema=SCHEMA).definitions[0]
    assert again == first, rendered
    try:
        Checker(SCHEMA).check_definition(first)
    except SegqlError as err:  # e.g. `$gt` on a boolean: the checker's error points into the JSON
        assert err.span.pointer is not None and err.span.pointer.startswith("/filter"), err


# ---- regressions: bugs these tests found outside the JSON front ends -----------------------------
def test_empty_and_means_true():
    doc = ast.Document((ast.Definition("segment", "everyone", "contacts", ast.And(())),))
    assert "1 = 1" in segql.compile(doc, schema=SCHEMA, dialect="duckdb")


def test_quoted_slug_definition_parses():
    from segql.syntax.printer import format_definition

    d = json_document({"type": "contacts", "slug": "active-customers", "filter": {"opens": 1}},
                      schema=SCHEMA).definitions[0]
    assert parse_source(format_definition(d), schema=SCHEMA).definitions[0].slug == "active-customers"


# ---- instants (SPEC §5.1): the JSON front ends and the MongoDB target read them as timestamps -----------
INSTANT_SCHEMA = parse_schema("""
timezone: Europe/Paris
entities:
  users:
    properties:
      seen: instant
      event_timestamp: {type: instant, unit: microseconds}
""")


@pytest.mark.parametrize("source, text", [
    ({"filter": {"seen": {"$gte": "2024-03-31T00:00:00Z"}}, "on": "users"}, 'seen >= "2024-03-31T00:00:00Z"'),
    ({"filter": {"event_timestamp": {"$within": "7 days"}}, "on": "users"}, "event_timestamp in last 7 days"),
    ({"on": "users", "conditions": [{"field": "seen", "operator": "within_days", "value": 30}]},
     "seen in last 30 days"),
    ({"on": "users", "combinator": "and", "rules": [{"field": "seen", "operator": ">", "value": "2024-01-01"}]},
     'seen > "2024-01-01"'),
])
def test_json_front_ends_read_instants(source, text):
    doc = json_document(source, schema=INSTANT_SCHEMA)
    got = norm(Checker(INSTANT_SCHEMA).check_definition(doc.definitions[0]).condition)
    assert got == ir_of(text, on="users", schema=INSTANT_SCHEMA)


def test_instants_to_mongo_and_back_and_evaluated():
    """fmt --to mongo keeps an instant condition; the evaluator reads the instant in the schema's zone: 23:30Z
    on March 30 is already March 31 in Paris."""
    from segql.syntax.printer import format_definition
    from segql.targets.evaluate import matches

    text = "seen = today and event_timestamp in last 2 hours"
    d = parse_source(f"segment t on users where {text}", schema=INSTANT_SCHEMA).definitions[0]
    mongo = definition_to_mongo(d, INSTANT_SCHEMA)
    assert mongo["filter"] == {"seen": {"$date": "today"}, "event_timestamp": {"$within": "2 hours"}}
    back = json_document(mongo, schema=INSTANT_SCHEMA).definitions[0]
    assert ir_of(format_definition(back), on=None, schema=INSTANT_SCHEMA) == ir_of(text, on="users",
                                                                                  schema=INSTANT_SCHEMA)
    seg = segql.api.to_ir(f"segment t on users where {text}", INSTANT_SCHEMA)
    at = dt.datetime(2024, 3, 30, 23, 30, tzinfo=dt.UTC)
    micros = (at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    record = {"id": 1, "seen": at, "event_timestamp": micros}
    assert matches(seg, INSTANT_SCHEMA, record, "2024-03-31T00:45:00Z")       # 01:45 in Paris
    assert not matches(seg, INSTANT_SCHEMA, record, "2024-03-30T22:59:00Z")   # still March 30 there
    assert matches(seg, INSTANT_SCHEMA, {**record, "seen": "2024-03-31T00:30:00+01:00"}, "2024-03-31T00:45:00Z")
    # docs/language.md "Instants": windows are wall-clock arithmetic. At 01:00Z (03:00 CEST, clocks went
    # forward at 02:00) the event is 1.5 hours old but read 00:30 → 03:00 on the clock: not in the last 2 hours
    assert not matches(seg, INSTANT_SCHEMA, record, "2024-03-31T01:00:00Z")
