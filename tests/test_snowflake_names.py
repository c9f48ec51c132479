"""Snowflake resolves an unquoted name as its upper case (`contacts` is the table CONTACTS), and a quoted
name exactly: segql quotes every name, so a schema's lower-case simple name must be spelled upper case
inside the quotes, while a name that needed quoting when its table was made (mixed case, a space, a
reserved word) keeps the schema's spelling. Every name the SQL reads from the schema is checked here."""
from __future__ import annotations

import sqlglot
from sqlglot import exp

from segql import api

SCHEMA = api.parse_schema("""
timezone: UTC
entities:
  contacts:
    table: crm.contacts
    key: id
    properties:
      email: string
      Plan: {type: string, column: "Plan Name"}
      order: {type: integer, column: order}
      region: {type: string, column: REGION}
      score: {type: number, column: score$}
    relationships:
      deals: {entity: deals, type: many, local: id, remote: contact_id}
  deals:
    table: Sales.Deals
    key: id
    properties: {contact_id: integer, value: number}
lists: {table: segment_lists, list: list_slug, member: member_key}
""")


def _identifiers(text: str, on: str = "contacts") -> set[str]:
    sql = api.compile(text, SCHEMA, "snowflake", on=on)
    tree = sqlglot.parse_one(sql, read="snowflake")
    return {i.this for i in tree.find_all(exp.Identifier) if i.quoted}


def test_lower_case_simple_names_are_upper_case_in_quotes():
    names = _identifiers('email contains "a" and region = "x" and score > 1 and count(deals where value > 1) > 0'
                         ' and in list vip')
    assert {"CRM", "CONTACTS", "EMAIL", "REGION", "SCORE$", "CONTACT_ID", "VALUE", "ID", "SEGMENT_LISTS",
            "LIST_SLUG", "MEMBER_KEY"} <= names, names
    assert not {"crm", "contacts", "email", "contact_id", "value", "segment_lists"} & names, names


def test_names_that_needed_quotes_keep_their_spelling():
    names = _identifiers('Plan = "pro" and order > 3 and deals.value > 1')
    assert {"Plan Name", "order", "Sales", "Deals"} <= names, names
    assert not {"PLAN NAME", "ORDER", "SALES", "DEALS"} & names, names


def test_other_dialects_keep_the_schema_spelling():
    sql = api.compile('email contains "a"', SCHEMA, "postgres", on="contacts")
    assert '"crm"."contacts"' in sql and '"email"' in sql, sql
