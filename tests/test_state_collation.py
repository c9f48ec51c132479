"""Issue "Fidelity", item 11: segql's own state tables on MariaDB/MySQL compare keys and slugs exactly —
keys that differ only by case, accents or trailing spaces stay distinct members (the server's default
collation would fold them together)."""
from __future__ import annotations

from conftest_engines import engine_url

from segql.engines import connect
from segql.ops import refresh
from segql.semantic.schemas import parse_schema

SCHEMA = parse_schema("""
entities:
  people:
    table: segql_t_people
    key: code
    properties: {code: string, n: integer}
""")


def test_keys_differing_by_case_accent_or_trailing_space_stay_distinct():
    url = engine_url("mysql")
    eng = connect(url)
    try:
        for t in ("segql_membership", "segql_membership_events", "segql_refreshes", "segql_refresh_lock"):
            eng.execute(f"DROP TABLE IF EXISTS {t}")
        eng.execute("DROP TABLE IF EXISTS segql_t_people")
        # the data table in the server's default collation: its keys are whatever the warehouse holds
        eng.execute("CREATE TABLE segql_t_people (code VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, n INT)")
        keys = ["a", "A", "á", "a ", "b"]
        for i, k in enumerate(keys):
            eng.execute("INSERT INTO segql_t_people VALUES (%s, %s)", [k, i])
        from segql.api import load_segments

        [every] = load_segments([{"type": "people", "slug": "every", "filter": {"n": {"$gte": 0}}}], SCHEMA)
        [Every] = load_segments([{"type": "people", "slug": "Every", "filter": {"n": {"$gte": 1}}}], SCHEMA)
        [result] = refresh.refresh([every.segment], SCHEMA, eng, "2026-01-01T00:00:00Z")
        assert result["members"] == result["entered"] == 5
        [again] = refresh.refresh([Every.segment], SCHEMA, eng, "2026-01-01T00:00:01Z")
        assert again["members"] == again["entered"] == 4  # another slug, differing only by case
        rows = eng.execute("SELECT segment, member_key FROM segql_membership ORDER BY segment, member_key")
        assert sorted(k for s, k in rows if s == "every") == sorted(keys)
        assert len([1 for s, _ in rows if s == "Every"]) == 4
    finally:
        eng.close()
