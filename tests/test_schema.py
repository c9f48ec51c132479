"""Schema loading: what a user writes wrong is reported at the YAML line, with a hint."""
from __future__ import annotations

import pytest

from segql.errors import SegqlError
from segql.semantic.schemas import parse_schema

BASE = """
entities:
  contacts:
    key: id
    properties: {email: string, organization_id: integer, total: number, orders: integer}
    relationships:
      organization: {entity: organizations, type: one, local: organization_id, remote: id}
  organizations:
    properties: {name: string}
"""


def load_error(text):
    with pytest.raises(SegqlError) as info:
        parse_schema(text, "schema.yml")
    return info.value


def test_valid_schema_loads():
    schema = parse_schema(BASE)
    contacts = schema.entity("Contacts")
    assert contacts.key == "id" and contacts.properties["id"].type == "integer"
    assert contacts.relationships["organization"].kind == "one"


def test_column_mapping_and_aliases():
    schema = parse_schema("""
entities:
  contacts:
    table: crm.contacts
    aliases: [Contact]
    properties: {email: {type: string, column: EmailAddress}}
""")
    assert schema.entity("Contact").properties["email"].column == "EmailAddress"
    assert schema.entity("contact").table == "crm.contacts"


@pytest.mark.parametrize("text, code, fragment, line", [
    (BASE.replace("entity: organizations", "entity: organisations"), "E0206", "unknown entity 'organisations'", 7),
    (BASE.replace("total: number", "total: money"), "E0205", "unknown type 'money'", 5),
    (BASE.replace("type: one", "type: several"), "E0206", "`one` or `many`", 7),
    (BASE.replace("remote: id}", "remote: org_id}"), "E0206", "'org_id' is not a property of organizations", 7),
    (BASE.replace("    key: id\n", "    key: id\n    kee: 1\n"), "E0202", "unknown key 'kee'", 5),
    (BASE + "timezone: Mars/Olympus\n", "E0204", "unknown time zone", 10),
    (BASE.replace("{email: string,", "{email: string, email: string,"), "E0203", "defined twice", 5),
    (BASE.replace("  organizations:\n", "    calculated: {aov: total / nothing}\n  organizations:\n"),
     "E0301", "calculated field contacts.aov", 8),
    (BASE.replace("  organizations:\n", "    calculated: {a: b + 1, b: a + 1}\n  organizations:\n"),
     "E0309", "circular", 8),
    (BASE.replace("  organizations:\n", "    calculated: {bad: email + 1}\n  organizations:\n"),
     "E0302", "calculated field contacts.bad", 8),
    ("entities: [1, 2]", "E0202", "at least one entity", 1),
    ("entities:\n  a: {properties: {x: string}\n", "E0201", "not valid YAML", 3),
    (BASE + "limits: {max_conditions: -1}\n", "E0202", "positive whole number", 10),
    (BASE.replace("total: number", "total: {type: instant, unit: hours}"), "E0208", "unit 'hours'", 5),
    (BASE.replace("total: number", "total: {type: integer, unit: seconds}"), "E0208", "belongs to an `instant`", 5),
    (BASE.replace("    key: id\n", "    key: {name: id, type: instant}\n"), "E0205", "unknown key type", 4),
])
def test_schema_errors(text, code, fragment, line):
    err = load_error(text)
    assert err.code == code, err.message
    assert fragment in err.message
    assert err.span.line == line
    assert err.path == "schema.yml"


def test_instants_are_timestamps_read_from_a_zoned_or_epoch_column():
    """SPEC §5.1: segments see an instant as a timestamp; the property remembers how it is stored."""
    schema = parse_schema(BASE.replace("total: number", "seen: instant, at: timestamptz, "
                                       "ts: {type: instant, unit: milliseconds, column: event_timestamp}"))
    props = schema.entity("contacts").properties
    assert [(props[n].type, props[n].instant, props[n].declared) for n in ("seen", "at", "ts", "email")] == [
        ("timestamp", "zoned", "instant"), ("timestamp", "zoned", "instant"),
        ("timestamp", "milliseconds", "instant"), ("string", None, "string")]
    assert props["ts"].column == "event_timestamp"
    assert load_error(BASE.replace("total: number", "total: {type: instant, unit: milisecond}")).hints == [
        'did you mean "milliseconds"?']


def test_unknown_key_has_hint():
    err = load_error(BASE.replace("    key: id\n", "    key: id\n    propertie: {}\n"))
    assert err.hints == ['did you mean "properties"?']


def test_missing_schema_file_is_an_error(tmp_path):
    from segql.semantic.schemas import load_schema

    with pytest.raises(SegqlError) as info:
        load_schema(tmp_path / "nope.yml")
    assert info.value.code == "E0200"
