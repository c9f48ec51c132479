"""The adversarial differential's segments in other spellings: `segql fmt`'s canonical text and the MongoDB
JSON of `fmt --to mongo`, read back by segql's MongoDB frontend, must have the oracle's members (SPEC §2.2:
formatting never changes meaning, `not (x > 5)` is never `x <= 5`; §1.3: every input form lowers to the
same meaning). DuckDB only: each spelling's SQL is the same IR's, which tests/test_adversarial.py runs on
every engine. A segment the MongoDB form cannot express (E0160: `let`, `performed`, `in segment` …) is
left out of that half.

    SEGQL_ADVERSARIAL_CASES=50 SEGQL_ADVERSARIAL_SEED=3000 pytest tests/test_adversarial_forms.py
"""
from __future__ import annotations

import copy
import json
import os

import pytest
from adversarial import oracle as o
from adversarial.generate import make_case
from adversarial.run import check_case, far_session, load

import segql
from segql.engines import connect
from segql.errors import SegqlError
from segql.syntax.format import format_text
from segql.targets.mongo import definition_to_mongo

CASES = int(os.environ.get("SEGQL_ADVERSARIAL_CASES", "1"))
FIRST = int(os.environ.get("SEGQL_ADVERSARIAL_SEED", "0"))


@pytest.fixture(scope="module")
def duck():
    eng = connect("duckdb://")
    far_session(eng)
    yield eng
    eng.close()


def test_fmt_keeps_the_members(duck):
    """`fmt` of every generated file (and `fmt` of that: a fixed point) has the oracle's members."""
    found = []
    for seed in range(FIRST + 20_000, FIRST + 20_000 + CASES):
        case = make_case(seed)
        text = format_text(case.source())
        assert format_text(text) == text, f"[seed {seed}] fmt is not a fixed point"
        formatted = copy.copy(case)
        formatted.source = lambda text=text: text  # the instance's source() is the formatted file
        found += check_case(duck, formatted)
    assert not found, f"{len(found)} disagreement(s) after fmt:\n" + "\n".join(map(str, found[:20]))


def test_mongo_form_keeps_the_members(duck):
    """`fmt --to mongo` of each generated segment (shallow ones, so most convert), compiled from that JSON,
    has the oracle's members."""
    found, converted = [], 0
    for seed in range(FIRST + 30_000, FIRST + 30_000 + 2 * CASES):
        case = make_case(seed, n_segments=30, max_depth=1)
        schema = segql.parse_schema(case.schema_yaml)
        load(duck, case)
        for d in segql.parse(case.source(), schema=schema).definitions:
            if d.slug not in case.segments:
                continue
            seg = case.world.segments[d.slug]
            try:
                doc = definition_to_mongo(d, schema)
            except SegqlError as e:
                assert e.code == "E0160", f"[seed {seed}] {d.slug}: {e}"
                continue
            converted += 1
            where = f"[seed {seed}] {d.slug}: {seg.text()}\n  as {json.dumps(doc, ensure_ascii=False)}"
            try:
                [ir_seg] = segql.check(doc, schema)
                sql = segql.render(segql.to_sql_tree(ir_seg, schema, "duckdb", now=case.now_arg), "duckdb")
                got = {row[0] for row in duck.execute(sql)}
            except SegqlError as e:
                found.append(f"{where}\n  refused: {e}")
                continue
            want = o.members(case.world, seg)
            if got != want:
                found.append(f"{where}\n  missing {sorted(want - got)} extra {sorted(got - want)}")
    assert converted, "no generated segment converted to the MongoDB form"
    print(f"{converted} segments in the MongoDB form")
    assert not found, f"{len(found)} disagreement(s) in the MongoDB form:\n" + "\n".join(found[:20])
