"""Checking against the schema: policy limits, name resolution, references across files."""
from __future__ import annotations

import dataclasses

import pytest
from conftest import EXAMPLES

import segql
from segql import ir
from segql.errors import SegqlError


def check_one(text, schema, **kw):
    [segment] = segql.check(text, schema, on="contacts", **kw)
    return segment


def error(text, schema, **kw):
    with pytest.raises(SegqlError) as info:
        segql.check(text, schema, on="contacts", **kw)
    return info.value


def limited(schema, **limits):
    return dataclasses.replace(schema, **limits)


def test_policy_limits_count_leaves_inside_quantifiers(schema):
    small = limited(schema, max_conditions=3)
    check_one("opens > 1 and any deals (value > 5 and stage = \"Won\")", small)
    err = error("opens > 1 and any deals (value > 5 and stage = \"Won\" and value < 9)", small)
    assert err.code == "E0401" and "4 conditions" in err.message


def test_policy_limits_count_referenced_segments(schema, tmp_path):
    small = limited(schema, max_conditions=2)
    text = "segment a on contacts where opens > 1 and in segment b\nsegment b on contacts where clicks > 1 and purchases > 1\n"
    with pytest.raises(SegqlError) as info:
        segql.check(text, small)
    assert info.value.code == "E0401"


def test_policy_depth_ignores_parentheses(schema):
    deep = limited(schema, max_depth=2)
    check_one("((((opens > 1 and (clicks > 1 or purchases > 1)))))", deep)
    err = error("opens > 1 and (clicks > 1 or not (purchases > 1 and is_vip))", deep)
    assert err.code == "E0402"


def test_no_policy_limits_when_schema_sets_none(schema):
    check_one(" and ".join(f"opens != {i}" for i in range(100)), schema)


def test_names_resolve_case_insensitively(schema):
    assert check_one("LAST_PURCHASE < 3 days ago", schema) == check_one("last_purchase < 3 days ago", schema)
    assert check_one("Organization.Industry = \"x\"", schema) == check_one('organization.industry = "x"', schema)


def test_ambiguous_case_is_an_error():
    schema = segql.parse_schema("entities: {c: {properties: {Name: string, name: string}}}")
    with pytest.raises(SegqlError) as info:
        segql.check('NAME = "x"', schema, on="c")
    assert info.value.code == "E0301"


def test_references_resolve_from_sibling_files(schema, tmp_path):
    (tmp_path / "base.segql").write_text("segment engaged on contacts where opens > 10\n")
    main = tmp_path / "main.segql"
    main.write_text("segment top on contacts where in segment engaged and clicks > 1\n")
    [segment] = segql.check(main.read_text(), schema, path=str(main))
    ref = segment.condition.items[0]
    assert isinstance(ref, ir.SegmentRef) and ref.slug == "engaged"


def test_reference_through_relationship(schema):
    text = ("segment big_orgs on organizations where employees > 100\n"
            "segment at_big on contacts where organization in segment big_orgs\n")
    segments = segql.check(text, schema)
    cond = segments[1].condition
    assert isinstance(cond, ir.Exists) and cond.rel.name == "organization"


def test_to_many_semantics_in_ir(schema):
    ne = check_one('deals.stage != "Won"', schema).condition
    assert isinstance(ne, ir.Not) and isinstance(ne.item, ir.Exists)
    two = check_one('deals.value > 5 and deals.stage = "Won"', schema).condition
    assert all(isinstance(i, ir.Exists) for i in two.items), "separate conditions, separate records"
    one = check_one('any deals (value > 5 and stage = "Won")', schema).condition
    assert isinstance(one, ir.Exists) and isinstance(one.condition, ir.And)


def test_relative_time_reads_age(schema):
    cond = check_one("last_purchase < 7 days ago", schema).condition
    assert cond.op == ">" and cond.right == ir.Shift(ir.Now(), -7, "day")
    cond = check_one("signup_date > 30 days ago", schema).condition
    assert cond.op == "<" and cond.right == ir.Shift(ir.Today(), -30, "day")


def test_date_strings_and_bad_dates(schema):
    check_one('signup_date >= "2024-01-01" and last_purchase < "2024-01-01T10:00:00+02:00"', schema)
    assert error('signup_date >= "yesterday"', schema).code == "E0105"


def test_every_example_condition_from_spec_section_1_2(schema):
    path = EXAMPLES / "segments" / "spec_example.segql"
    segments = segql.check(path.read_text(), schema, path=str(path))
    assert [s.slug for s in segments] == ["spec_high_value_prospects", "beta_testers_spec"]
