"""Issue "Fidelity", item 11: segql's own state tables compare keys and slugs exactly — keys that differ
only by case, accents or trailing spaces stay distinct members (MariaDB's default collation would fold them
together) — on MariaDB, and string keys with every such near twin on each engine with membership state."""
from __future__ import annotations

import os

import pytest
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


HOSTILE_KEYS = ["a", "A", "á", "a ", " a", "b", "ß", "ss", "İ", "i", "😀", "a\tb", "O'Brien", "x\\y", "%_", ""]
STATE_TABLES = ("segql_membership", "segql_membership_events", "segql_refreshes", "segql_refresh_lock")


@pytest.fixture(params=["duckdb", "sqlite", "postgres", "mysql", "mysql_general_ci"])
def people(request, tmp_path):
    """An engine whose table segql_t_people holds HOSTILE_KEYS (MariaDB: in a binary and in its default,
    case- and accent-folding collation), with no state tables yet."""
    kind = request.param
    if kind in ("duckdb", "sqlite"):
        eng = connect(f"{kind}:///{tmp_path / 'people.db'}")
    elif kind == "postgres":
        from test_operations import drop_postgres_schema, postgres_url_in_schema

        name = f"segql_keys_{os.getpid()}"
        eng = connect(postgres_url_in_schema(name))
        request.addfinalizer(lambda: drop_postgres_schema(name))
    else:
        eng = connect(engine_url("mysql"))
        for t in (*STATE_TABLES, "segql_t_people"):
            eng.execute(f"DROP TABLE IF EXISTS {t}")
    code = {"mysql": "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
            "mysql_general_ci": "VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"}.get(kind, "TEXT")
    eng.execute(f"CREATE TABLE segql_t_people (code {code}, n INTEGER)")
    for i, k in enumerate(HOSTILE_KEYS):
        eng.execute(f"INSERT INTO segql_t_people VALUES ({eng.placeholder}, {eng.placeholder})", [k, i])
    yield eng
    eng.close()


def test_string_keys_are_stored_exactly_on_every_engine(people):
    """Refresh on each engine with membership state, with string keys that differ only by case, accents,
    spaces, quotes or escapes: every key is its own member, stored as it is, and a second refresh reports
    exactly who left and entered (the FULL JOIN / anti-joins compare keys exactly, not by collation)."""
    from segql.api import load_segments

    [every] = load_segments([{"type": "people", "slug": "every", "filter": {"n": {"$gte": 0}}}], SCHEMA)
    [result] = refresh.refresh([every.segment], SCHEMA, people, "2026-01-01T00:00:00Z")
    assert result["members"] == result["entered"] == len(HOSTILE_KEYS) and result["left"] == 0
    stored = [k for (k,) in people.execute("SELECT member_key FROM segql_membership WHERE segment = 'every'")]
    assert sorted(stored) == sorted(HOSTILE_KEYS)
    gone = {"A", "a ", "ss", "İ", ""}  # each has a near twin that stays
    people.execute("DELETE FROM segql_t_people WHERE n IN (" + ", ".join(
        str(HOSTILE_KEYS.index(k)) for k in sorted(gone)) + ")")
    people.execute(f"INSERT INTO segql_t_people VALUES ({people.placeholder}, 99)", ["new"])
    [again] = refresh.refresh([every.segment], SCHEMA, people, "2026-01-02T00:00:00Z")
    assert (again["members"], again["entered"], again["left"]) == (len(HOSTILE_KEYS) - len(gone) + 1, 1, len(gone))
    stored = [k for (k,) in people.execute("SELECT member_key FROM segql_membership WHERE segment = 'every'")]
    assert sorted(stored) == sorted([k for k in HOSTILE_KEYS if k not in gone] + ["new"])
    history = people.execute("SELECT member_key, kind FROM segql_membership_events WHERE segment = 'every'")
    assert sorted((k, kind) for k, kind in history) == sorted(
        [(k, "entered") for k in HOSTILE_KEYS] + [(k, "left") for k in gone] + [("new", "entered")])


def test_postgres_samples_are_the_first_keys_in_byte_order_whatever_the_collation():
    """The entered/left samples are the first keys in byte order on every engine. In a PostgreSQL database
    whose collation is ICU's English (`a A b B`, where bytes give `A B a b`) they were another ten keys."""
    from urllib.parse import urlsplit, urlunsplit

    from segql.api import load_segments

    base = engine_url("postgres")
    name = f"segql_icu_{os.getpid()}"
    admin = connect(base)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en' "
                  "LOCALE 'C.UTF-8'")
    eng = connect(urlunsplit(urlsplit(base)._replace(path=f"/{name}")))
    try:
        keys = ["b", "B", "a", "A", "_x", "Z", "z", "10", "9", "é", "E", "e", "Ä", "ä", "-1", "~"]
        eng.execute("CREATE TABLE segql_t_people (code TEXT, n INTEGER)")
        for i, k in enumerate(keys):
            eng.execute("INSERT INTO segql_t_people VALUES (%s, %s)", [k, i])
        assert [r[0] for r in eng.execute("SELECT code FROM segql_t_people ORDER BY code LIMIT 4")] != \
            sorted(keys)[:4], "the database was meant to order text otherwise than by bytes"
        [every] = load_segments([{"type": "people", "slug": "every", "filter": {"n": {"$gte": 0}}}], SCHEMA)
        [first] = refresh.refresh([every.segment], SCHEMA, eng, "2026-01-01T00:00:00Z")
        assert first["entered_keys"] == sorted(keys)[:10]  # Python orders str by code point: UTF-8's bytes
        eng.execute("DELETE FROM segql_t_people WHERE n < 12")
        [second] = refresh.refresh([every.segment], SCHEMA, eng, "2026-01-02T00:00:00Z")
        assert second["left_keys"] == sorted(keys[:12])[:10]
    finally:
        eng.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
