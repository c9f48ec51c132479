"""The randomized differential for `segql refresh` (tests/adversarial/refresh.py): several refreshes of a
random subset of random segments over data that changes between them (rows deleted, values moved,
newcomers, keys coming back, duplicate keys, NULL keys, the clock moved, nothing changed), with keys of odd
kinds (integers near and beyond 2^53, strings with spaces, quotes and look-alikes, doubles), some refreshes
failing on purpose (a statement raising, a segment on a missing table, a query timeout) — on every engine
refresh supports, checked after each refresh against the oracle. CI runs one short run per key kind and
engine; a long run on demand:

    SEGQL_ADVERSARIAL_CASES=100 SEGQL_ADVERSARIAL_SEED=1000 pytest tests/test_refresh_random.py

A failure names the seed, key kind, engine, step and what was done to the data; `check_refresh_run(engine,
seed)` replays it.
"""
from __future__ import annotations

import os
from dataclasses import fields

import pytest
from adversarial import oracle as o
from adversarial.generate import Case, case_from
from adversarial.refresh import STATE, KeyedCase, check_refresh_run, load
from adversarial.run import far_session
from conftest_engines import engine_url

import segql
from segql.engines import connect
from segql.errors import SegqlError
from segql.ops import refresh

DIALECTS = ("duckdb", "sqlite", "postgres", "mysql")  # the engines with transactions (refresh's)
CASES = int(os.environ.get("SEGQL_ADVERSARIAL_CASES", "1"))
# CI's seed per engine: string keys on DuckDB and MariaDB (general_ci), number keys on SQLite (15-digit
# CAST), big integers without --now on PostgreSQL
CI_SEEDS = {"duckdb": 1, "sqlite": 2, "postgres": 3, "mysql": 4}
FIRST = int(os.environ.get("SEGQL_ADVERSARIAL_SEED", "0"))


@pytest.fixture(scope="module", params=DIALECTS)
def refresh_engine(request):
    eng = connect(engine_url(request.param))
    far_session(eng)
    yield eng
    eng.close()


def test_refresh_runs_agree_with_the_oracle(refresh_engine):
    """CI: one short run (6 segments, 4 refreshes) per engine, the engines' seeds chosen so that every key
    kind and a run without --now are among them; long runs: SEGQL_ADVERSARIAL_CASES runs of 12 segments
    and 5 refreshes per engine. A seed decides the key kind (KINDS[seed % 3]) and whether --now is left
    out (seed % 4 == 3); MariaDB's tables are in utf8mb4_general_ci for even seeds."""
    short = CASES == 1
    seeds = [FIRST + CI_SEEDS[refresh_engine.dialect]] if short else range(FIRST, FIRST + CASES)
    found = []
    for seed in seeds:
        found += check_refresh_run(refresh_engine, seed, steps=4 if short else 5, n_segments=6 if short else 12,
                                   mysql_collation="utf8mb4_general_ci" if seed % 2 == 0 else None)
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found[:20])


def _keyed(segments, kind="string", **rows) -> KeyedCase:
    case = case_from(segments, **rows)
    out = KeyedCase(**{f.name: getattr(case, f.name) for f in fields(Case)}, kind=kind)
    out.used, out.tagged = set(), False
    return out


def _fresh_state(eng):
    for t in STATE:
        eng.execute(f"DROP TABLE IF EXISTS {t}")


def test_string_keys_are_stored_exactly(refresh_engine):
    """Keys that differ by case, trailing or leading spaces, accents (composed or not) or quotes are distinct
    members, stored as written; a refresh after one of them changed records exactly that one."""
    keys = ["", " ", "a", "a ", "A", " a", "é", "e\u0301", "O'Brien", 'say "hi"', "back\\slash", "😀", "ß", "SS",
            "line\nbreak", "%", "_"]
    case = _keyed({"s": o.Cmp(o.Prop("visits", "integer"), ">", o.Lit(0))},
                  contacts=[{"id": k, "visits": 1} for k in keys] + [{"id": None, "visits": 1}, {"id": "a", "visits": 1}])
    schema = segql.parse_schema(case.schema_yaml)
    [seg] = [s for s in segql.check(case.source(), schema) if s.slug == "s"]
    eng = refresh_engine
    _fresh_state(eng)
    load(eng, case)
    [first] = refresh.refresh([seg], schema, eng, case.now_arg)
    stored = sorted(r[0] for r in eng.execute("SELECT member_key FROM segql_membership WHERE segment = 's'"))
    assert stored == sorted(keys) and first["members"] == len(keys)
    case.world.entities["contacts"].rows[3]["visits"] = 0  # "a " leaves; "a" (twice) stays
    load(eng, case, only=("contacts",))
    [second] = refresh.refresh([seg], schema, eng, "2026-04-01T00:00:00")
    events = eng.execute("SELECT member_key, kind FROM segql_membership_events WHERE changed_at > "
                         "(SELECT MIN(changed_at) FROM segql_membership_events)")
    assert (second["members"], second["entered"], second["left"], second["left_keys"]) == (len(keys) - 1, 0, 1, ["a "])
    assert [tuple(r) for r in events] == [("a ", "left")]


# MariaDB joins a relationship on string keys with the tables' collation: utf8mb4_bin pads trailing spaces
# (contact "" has contact " "'s events), utf8mb4_general_ci also folds case ("a" has "A"'s deals). The member
# query (and so refresh, counts …) differs from the oracle there; the random runs tag MariaDB's string keys
# with a number of their own to keep to what refresh itself does. Not fixed: every join, IN-subquery and
# GROUP BY on a key in lower/sql.py and lower/batch.py would need the exact comparison.
KNOWN_MYSQL_STRING_KEYS = "MariaDB compares string keys in relationships with the tables' collation (pads, folds)"


def test_relationships_on_string_keys_compare_exactly(refresh_engine, request):
    """Related records found by string keys that differ only by trailing spaces or case: each record has
    its own (MariaDB: its tables in segql's utf8mb4_bin and in utf8mb4_general_ci)."""
    if refresh_engine.dialect == "mysql":
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_MYSQL_STRING_KEYS))
    case = _keyed({"s": o.Performed("open", None, None, None), "d": o.Quant("any", "deals", None),
                   "o": o.Cmp(o.ToOne("org", "size", "integer"), ">", o.Lit(1))},
                  contacts=[{"id": "", "org_id": "x"}, {"id": " ", "org_id": "x "}, {"id": "A"}, {"id": "a"}],
                  orgs=[{"id": "x ", "size": 5}],
                  events=[{"id": 1, "contact_id": " ", "name": "open"}, {"id": 2, "contact_id": "A", "name": "open"}],
                  deals=[{"id": 1, "contact_id": "a"}])
    schema = segql.parse_schema(case.schema_yaml)
    segs = [s for s in segql.check(case.source(), schema) if s.slug in ("s", "d", "o")]
    want = {s.slug: o.members(case.world, case.world.segments[s.slug]) for s in segs}
    wrong = {}
    for collation in (None, "utf8mb4_general_ci") if refresh_engine.dialect == "mysql" else (None,):
        _fresh_state(refresh_engine)
        load(refresh_engine, case, collation)
        refresh.refresh(segs, schema, refresh_engine, case.now_arg)
        got = {}
        for slug, key in refresh_engine.execute("SELECT segment, member_key FROM segql_membership"):
            got.setdefault(slug, set()).add(key)
        if got != want:
            wrong[collation] = got
    assert not wrong, f"expected {want}, got {wrong}"


def test_clickhouse_refuses_refresh():
    """chDB has no transactions: refresh is refused before anything is written (E0701)."""
    eng = connect(engine_url("clickhouse"))
    try:
        case = _keyed({"s": o.Cmp(o.Prop("visits", "integer"), ">", o.Lit(0))}, kind="bigint",
                      contacts=[{"id": 1, "visits": 1}])
        schema = segql.parse_schema(case.schema_yaml)
        [seg] = [s for s in segql.check(case.source(), schema) if s.slug == "s"]
        with pytest.raises(SegqlError) as err:
            refresh.refresh([seg], schema, eng, case.now_arg)
        assert err.value.code == "E0701"
        assert not eng.execute("SELECT name FROM system.tables WHERE name LIKE 'segql_%'")
    finally:
        eng.close()
