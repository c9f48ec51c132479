"""The documented Python API (README "Python API", SPEC §4): every name `segql` exports works as
documented, and each stage's output feeds the next."""
from __future__ import annotations

import re

import pytest
from sqlglot import exp

import segql
from segql import api
from conftest import DEMO_NOW, EXAMPLES, ROOT

HVP = EXAMPLES / "segments" / "high_value_prospects.segql"


def test_exported_names_are_the_api():
    assert set(segql._API) == set(api.__all__)
    for name in api.__all__:
        assert callable(getattr(segql, name)), name
    with pytest.raises(AttributeError):
        segql.no_such_function  # noqa: B018


def test_readme_documents_only_names_that_exist():
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    used = set(re.findall(r"segql\.([a-z_]+)\(", section)) | set(re.findall(r"`segql\.([a-z_]+)`", section))
    assert used, "the README's Python API section names no function"
    for name in used:
        assert name in api.__all__, f"README documents segql.{name}, which segql does not export"


def test_each_stage_feeds_the_next(schema):
    doc = segql.parse('country = "USA" and opens >= 5', schema=schema, on="contacts")
    [seg] = segql.check(doc, schema)
    assert seg.entity == "contacts"
    same = segql.to_ir(doc, schema)
    assert same == seg
    tree = segql.to_sql_tree(seg, schema, "postgres", now=DEMO_NOW)
    assert isinstance(tree, exp.Select)
    sql = segql.render(tree, "postgres")
    assert sql == segql.compile('country = "USA" and opens >= 5', schema=schema, dialect="postgres",
                                on="contacts", now=DEMO_NOW)
    q = segql.compile('country = "USA"', schema=schema, dialect="postgres", on="contacts", params="pyformat")
    assert isinstance(q, segql.Compiled) and q.params == {"p1": "USA"} and "%(p1)s" in q.sql


def test_compile_takes_a_path_to_a_schema_and_json(schema):
    by_path = segql.compile({"type": "Contact", "filter": {"country": "USA"}}, schema=str(EXAMPLES / "schema.yml"),
                            dialect="bigquery")
    assert by_path == segql.compile('country = "USA"', schema=schema, dialect="bigquery", on="contacts")


def test_operations_as_functions(schema):
    loaded = segql.load_segments([HVP], schema)
    [item] = [i for i in loaded if i.slug == "high_value_prospects"]
    engine = segql.connect(None, schema=schema)
    try:
        from segql.ops.run import attach_sources

        attach_sources(engine, schema)
        [row] = [r for r in segql.counts(loaded, schema, engine, now=DEMO_NOW) if r["segment"] == item.slug]
        alone = engine.execute(segql.render(segql.to_sql_tree(item.segment, schema, "duckdb", now=DEMO_NOW,
                                                               select="count"), "duckdb"))[0][0]
        assert row["members"] == alone
        assert "contacts" in segql.counts_sql(loaded, schema, "duckdb", DEMO_NOW)
        [block] = segql.overlap([item], schema, engine, now=DEMO_NOW)
        assert block["matrix"] == [[alone]]
        funnel = segql.explain(item.segment, item.definition, schema, engine, now=DEMO_NOW)
        assert funnel["members"] == alone
    finally:
        engine.close()
    assert segql.find_schema(None, [str(HVP)]).path.endswith("schema.yml")
    assert isinstance(segql.parse_schema((EXAMPLES / "schema.yml").read_text(), None), type(schema))
    assert segql.select_definition(item.document, "high_value_prospects") is item.definition
    record = {"id": 1, "country": "USA", "opens": 9}
    assert segql.segments_for_record(record, [segql.parse('country = "USA"', schema=schema, on="contacts")],
                                     schema, now=DEMO_NOW) == ["segment"]


def test_errors_carry_code_message_span_and_hints(schema):
    with pytest.raises(segql.SegqlError) as info:
        segql.compile("last_purchse < 30 days ago", schema=schema, on="contacts")
    err = info.value
    assert err.code == "E0301" and "last_purchse" in err.message
    assert (err.span.line, err.span.col) == (1, 1)
    assert any("last_purchase" in h for h in err.hints)
