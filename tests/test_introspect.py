"""`segql schema init` and `segql check --db` (SPEC §5.2) on real catalogues: DuckDB (a database file
and a folder of files), SQLite, PostgreSQL (its own schema via search_path) and MariaDB. Each database
holds the demo tables with primary and foreign keys plus tables with odd names and every type; the
generated schema must load, round-trip through `check --db`, and run the shipped example segments with
the same members as the example schema; drift (a renamed column, a dropped table, an instant column
declared `timestamp`) is reported at the schema's YAML lines.
"""
from __future__ import annotations

import json
import re
import uuid

import pytest
import yaml
from conftest import DEMO_NOW, EXAMPLES, run_cli
from test_operations import demo_rows, drop_postgres_schema, postgres_url_in_schema

import segql
from segql.engines import connect
from segql.ops.introspect import (
    classify,
    compatible,
    init_schema,
    usable_name,
    yaml_scalar,
)

SEGMENTS = [EXAMPLES / "segments" / n for n in ("seed002.segql", "high_value_prospects.segql", "spec_example.segql")]
DEMO = ("organizations", "contacts", "deals", "events", "list_members")  # in foreign-key order
KEYS = {"organizations": ("id", None), "contacts": ("id", ("organization_id", "organizations")),
        "deals": ("id", ("contact_id", "contacts")), "events": ("id", ("contact_id", "contacts")),
        "list_members": (None, None)}
# DDL per engine for segql types; SQLite gets the type names tools write (affinity keeps the text values)
SQLITE_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "BOOLEAN", "date": "DATE",
                "timestamp": "TIMESTAMP"}
# the odd table's extra types: (column, DDL per dialect or None where the engine has none)
ODD_TYPES = {
    "Seen At": {"postgres": "TIMESTAMP WITH TIME ZONE", "duckdb": "TIMESTAMPTZ", "mysql": "TIMESTAMP NULL"},
    "payload": {"postgres": "JSONB", "duckdb": "JSON", "mysql": "JSON", "sqlite": "JSON"},
    "raw": {"postgres": "BYTEA", "duckdb": "BLOB", "mysql": "BLOB", "sqlite": "BLOB"},
    "tags": {"postgres": "TEXT[]", "duckdb": "VARCHAR[]"},
    "ref": {"postgres": "UUID", "duckdb": "UUID"},
}


def ddl_types(engine):
    return SQLITE_TYPES if engine.dialect == "sqlite" else engine.TYPES


def create_database(engine) -> None:
    """The demo tables with keys, `Order Items` (odd names, two foreign keys to contacts, every type),
    `Audit` (upper case, no primary key but an id) and `nokey` (no key at all)."""
    q, types = engine._quote, ddl_types(engine)
    for table in DEMO:
        columns, rows = demo_rows(table)
        key, fk = KEYS[table]
        parts = [f"{q(c)} {types[t]}" for c, t in columns.items()]
        if key:
            parts.append(f"PRIMARY KEY ({q(key)})")
        if fk:
            parts.append(f"FOREIGN KEY ({q(fk[0])}) REFERENCES {q(fk[1])} ({q('id')})")
        engine.execute(f"CREATE TABLE {q(table)} ({', '.join(parts)})")
        if engine.dialect == "duckdb":
            path = (EXAMPLES / "data" / f"{table}.parquet").as_posix()
            engine.execute(f"INSERT INTO {q(table)} SELECT * FROM read_parquet('{path}')")
        elif rows:
            ph = ", ".join([engine.placeholder] * len(columns))
            cur = engine.conn.cursor()
            cur.executemany(f"INSERT INTO {q(table)} VALUES ({ph})",
                            [tuple(engine._convert(t, v) for t, v in zip(columns.values(), r)) for r in rows])
            cur.close()
            engine._commit()
    odd = [f"{q('Line ID')} {types['integer']} PRIMARY KEY", f"{q('select')} {types['string']}",
           f"{q('Amount')} {types['number']}", f"{q('contact_id')} {types['integer']}",
           f"{q('reviewer_id')} {types['integer']}", f"{q('Is Gift')} {types['boolean']}",
           f"{q('Ship Date')} {types['date']}", f"{q('Packed At')} {types['timestamp']}"]
    odd += [f"{q(c)} {ddl[engine.dialect]}" for c, ddl in ODD_TYPES.items() if engine.dialect in ddl]
    odd += [f"FOREIGN KEY ({q('contact_id')}) REFERENCES {q('contacts')} ({q('id')})",
            f"FOREIGN KEY ({q('reviewer_id')}) REFERENCES {q('contacts')} ({q('id')})"]
    engine.execute(f"CREATE TABLE {q('Order Items')} ({', '.join(odd)})")
    engine.execute(f"CREATE TABLE {q('Audit')} ({q('id')} {types['integer']}, {q('Note')} {types['string']})")
    engine.execute(f"CREATE TABLE {q('nokey')} ({q('a')} {types['integer']}, {q('b')} {types['string']})")


@pytest.fixture(scope="module", params=["duckdb", "sqlite", "postgres", "mysql"])
def database(request, tmp_path_factory):
    """(URL, dialect) of a fresh database holding `create_database`'s tables; dropped afterwards."""
    from conftest_engines import engine_url

    dialect = request.param
    folder = tmp_path_factory.mktemp(dialect)
    cleanup = None
    if dialect in ("duckdb", "sqlite"):
        url = f"{dialect}:///{folder / 'catalogue.db'}"
    elif dialect == "postgres":
        name = f"segql_introspect_{uuid.uuid4().hex[:8]}"
        url = postgres_url_in_schema(name)
        cleanup = lambda: drop_postgres_schema(name)
    else:
        base = engine_url("mysql")
        name = f"segql_introspect_{uuid.uuid4().hex[:8]}"
        admin = connect(base)
        admin.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        admin.close()
        url = base.rsplit("/", 1)[0] + "/" + name

        def cleanup():
            admin = connect(base)
            admin.execute(f"DROP DATABASE IF EXISTS `{name}`")
            admin.close()
    engine = connect(url)
    try:
        create_database(engine)
    finally:
        engine.close()
    yield url, dialect
    if cleanup:
        cleanup()


@pytest.fixture(scope="module")
def generated(database, tmp_path_factory):
    """`segql schema init --db URL -o schema.yml`: (path, text)."""
    url, dialect = database
    out = tmp_path_factory.mktemp(f"schema-{dialect}") / "schema.yml"
    code, _, err = run_cli("schema", "init", "--db", url, "-o", out)
    assert code == 0, err
    assert "wrote" in err and "guess" in err
    return out, out.read_text("utf-8")


def line_of(text: str, entity: str, needle: str) -> int:
    """The 1-based line of the first line starting with `needle` (stripped) inside `entity`'s block."""
    lines = text.splitlines()
    start = lines.index(f"  {entity}:")
    for n in range(start + 1, len(lines)):
        if re.match(r"  \S", lines[n]):
            break
        if lines[n].strip().startswith(needle):
            return n + 1
    raise AssertionError(f"{needle!r} not in {entity}")


# ---- schema init ---------------------------------------------------------------------------------
def test_generated_schema_loads_with_keys_types_and_both_directions_of_each_foreign_key(generated):
    path, text = generated
    schema = segql.load_schema(path)
    assert set(schema.entities) == {"organizations", "contacts", "deals", "events", "order_items", "Audit", "nokey"}
    contacts, orgs = schema.entities["contacts"], schema.entities["organizations"]
    assert contacts.key == "id" and "# guessed" not in text.splitlines()[line_of(text, "contacts", "key:") - 1]
    rels = {n: (r.target, r.kind, r.local, r.remote) for n, r in contacts.relationships.items()}
    assert rels == {"organization": ("organizations", "one", "organization_id", "id"),
                    "deals": ("deals", "many", "id", "contact_id"), "events": ("events", "many", "id", "contact_id"),
                    # two foreign keys from one table: names that say which column
                    "order_items_by_contact": ("order_items", "many", "id", "contact_id"),
                    "order_items_by_reviewer": ("order_items", "many", "id", "reviewer_id")}
    assert {n: r.kind for n, r in orgs.relationships.items()} == {"contacts": "many"}
    assert {n: (r.target, r.kind) for n, r in schema.entities["order_items"].relationships.items()} == {
        "contact": ("contacts", "one"), "reviewer": ("contacts", "one")}
    props = {n: p.type for n, p in contacts.properties.items()}
    example = segql.load_schema(EXAMPLES / "schema.yml").entities["contacts"]
    assert props == {n: p.type for n, p in example.properties.items()}, "every demo column keeps its type"
    assert schema.entities["events"].event_name == "name" and schema.entities["events"].event_time == "occurred_at"
    assert schema.lists is not None and schema.lists.table == "list_members"


def test_odd_names_are_quoted_and_mapped_to_usable_property_names(generated):
    path, text = generated
    schema = segql.load_schema(path)
    odd = schema.entities["order_items"]
    assert odd.table == "Order Items" and odd.key == "line_id"
    assert {n: p.column for n, p in odd.properties.items() if n != p.column} == {
        "line_id": "Line ID", "is_gift": "Is Gift", "ship_date": "Ship Date", "packed_at": "Packed At",
        **({"seen_at": "Seen At"} if "seen_at" in odd.properties else {})}
    assert odd.properties["select"].type == "string" and odd.properties["Amount"].type == "number"
    assert (odd.properties["is_gift"].type, odd.properties["ship_date"].type, odd.properties["packed_at"].type) == (
        "boolean", "date", "timestamp")
    assert yaml.safe_load(text)["entities"]["order_items"]["table"] == "Order Items"


def test_guessed_keys_and_unmapped_columns_are_said_in_comments(database, generated):
    _, dialect = database
    path, text = generated
    schema = segql.load_schema(path)
    assert schema.entities["Audit"].key == "id" and schema.entities["Audit"].table == "Audit"
    assert "# guessed: no primary key in the catalogue; the column named id" in text
    assert schema.entities["nokey"].key == "a"
    assert "# guessed: no primary key and no id column" in text
    odd = schema.entities["order_items"].properties
    assert "payload" not in odd and "raw" not in odd and "tags" not in odd
    assert re.search(r"# payload: not mapped, column 'payload' is \w+ \(JSON\)", text)
    assert re.search(r"# raw: not mapped, column 'raw' is \w+ \(binary\)", text)
    if dialect in ("postgres", "duckdb"):
        assert re.search(r"# tags: not mapped, column 'tags' is .+ \(an array\)", text)
        assert odd["ref"].type == "string" and "# uuid:" in text
    if dialect != "sqlite":  # an instant column is written `instant`, with no comment
        line = text.splitlines()[line_of(text, "order_items", "seen_at:") - 1]
        assert odd["seen_at"].declared == "instant" and odd["seen_at"].instant == "zoned"
        assert "type: instant" in line and "#" not in line


def test_init_is_deterministic_and_tables_narrows_it(database, generated, tmp_path):
    url, _ = database
    _, text = generated
    code, again, _ = run_cli("schema", "init", "--db", url)
    assert code == 0 and again == text
    code, out, err = run_cli("schema", "init", "--db", url, "--tables", "deals,contacts")
    assert code == 0, err
    doc = yaml.safe_load(out)
    assert list(doc["entities"]) == ["contacts", "deals"]
    assert set(doc["entities"]["contacts"]["relationships"]) == {"deals"}  # organizations was not read
    assert "not mapped: foreign key (organization_id) -> organizations (organizations is not among the tables" in out
    code, _, err = run_cli("schema", "init", "--db", url, "--tables", "contacs")
    assert code == 1 and "error[E0823]" in err and 'did you mean "contacts"?' in err


def test_round_trip_check_db_reports_nothing(database, generated):
    url, _ = database
    path, _ = generated
    code, out, err = run_cli("check", *SEGMENTS, "--schema", path, "--db", url)
    assert code == 0, err
    assert "the schema matches the catalogue" in out
    code, out, err = run_cli("schema", "check", "--schema", path, "--db", url, "--format", "json")
    assert code == 0 and json.loads(out) == [], err


def test_example_segments_have_the_same_members_on_the_generated_schema(database, generated):
    """Compiled against the generated schema and run on the database = the example schema over the files."""
    url, _ = database
    path, _ = generated
    code, out, err = run_cli("counts", *SEGMENTS, "--schema", path, "--db", url, "--now", DEMO_NOW, "--format", "json")
    assert code == 0, err
    code, expected, err = run_cli("counts", *SEGMENTS, "--now", DEMO_NOW, "--format", "json")
    assert code == 0, err
    got, want = json.loads(out), json.loads(expected)
    assert len(want) >= 20 and any(r["members"] for r in want)
    assert got == want


# ---- check --db: drift ---------------------------------------------------------------------------
def test_check_db_reports_drift_at_the_schema_lines(database, generated, tmp_path):
    """A renamed column, a dropped table and an instant column declared `timestamp`, each at its YAML line
    with its hint; everything listed, exit 1."""
    url, dialect = database
    _, text = generated
    # the instant column declared as a naive timestamp
    edited = re.sub(r"(?m)^(      seen_at: \{type: )instant", r"\1timestamp", text)
    assert edited != text or dialect == "sqlite"
    schema_path = tmp_path / "schema.yml"
    schema_path.write_text(edited, "utf-8")
    with connect(url) as engine:  # closed while the CLI runs: a DuckDB file has one writer
        q = engine._quote
        engine.execute(f"ALTER TABLE {q('events')} RENAME COLUMN {q('amount')} TO {q('amount_usd')}")
        engine.execute(f"DROP TABLE {q('nokey')}")
    try:
        code, out, err = run_cli("check", SEGMENTS[0], "--schema", schema_path, "--db", url, "--format", "json")
        text_code, _, text_err = run_cli("schema", "check", "--schema", schema_path, "--db", url)
    finally:  # put the database back for the tests after this one
        with connect(url) as engine:
            engine.execute(f"ALTER TABLE {q('events')} RENAME COLUMN {q('amount_usd')} TO {q('amount')}")
            types = ddl_types(engine)
            engine.execute(f"CREATE TABLE {q('nokey')} ({q('a')} {types['integer']}, {q('b')} {types['string']})")
    assert code == 1 and text_code == 1, err
    found = {(d["code"], d["line"]): d for d in json.loads(out)}
    expected = {("E0822", line_of(edited, "events", "amount:")), ("E0821", line_of(edited, "nokey", "table:"))}
    if dialect != "sqlite":
        expected.add(("E0810", line_of(edited, "order_items", "seen_at:")))
    assert set(found) == expected
    assert found[("E0822", line_of(edited, "events", "amount:"))]["hints"] == ['did you mean "amount_usd"?']
    assert found[("E0821", line_of(edited, "nokey", "table:"))]["hints"][0].startswith("tables: Audit, ")
    if dialect != "sqlite":
        e0810 = found[("E0810", line_of(edited, "order_items", "seen_at:"))]
        assert "holds instants" in e0810["message"] and e0810["hints"][0].startswith("declare it `instant`")
    assert str(schema_path) in text_err and "error[E0822]" in text_err and "^" in text_err


def test_check_db_reports_an_incompatible_type_with_the_fix(database, generated, tmp_path):
    url, _ = database
    _, text = generated
    edited = re.sub(r"(?m)^(      email): string$", r"\1: integer", text)
    edited = re.sub(r"(?m)^(      order_count): integer$", r"\1: number", edited)  # number on integer: fine
    schema_path = tmp_path / "schema.yml"
    schema_path.write_text(edited, "utf-8")
    code, out, err = run_cli("schema", "check", "--schema", schema_path, "--db", url, "--format", "json")
    assert code == 1, err
    [diag] = json.loads(out)
    assert (diag["code"], diag["line"]) == ("E0823", line_of(edited, "contacts", "email:"))
    assert diag["hints"] == ["declare it `string`"]


# ---- a folder of files ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """examples/data rewritten: organizations and deals as CSV, the rest Parquet."""
    import duckdb

    folder = tmp_path_factory.mktemp("files")
    con = duckdb.connect()
    for table in DEMO:
        src = (EXAMPLES / "data" / f"{table}.parquet").as_posix()
        fmt = "csv" if table in ("organizations", "deals") else "parquet"
        con.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{(folder / f'{table}.{fmt}').as_posix()}' "
                    f"(FORMAT {fmt})")
    con.close()
    return folder


def test_files_init_runs_the_examples_and_checks_clean(files, tmp_path):
    out = tmp_path / "project" / "schema.yml"
    out.parent.mkdir()
    code, _, err = run_cli("schema", "init", "--files", files, "-o", out)
    assert code == 0, err
    text = out.read_text("utf-8")
    schema = segql.load_schema(out)
    assert schema.entities["deals"].source == (files / "deals.csv").as_posix()  # outside the project: absolute
    assert schema.lists is not None and schema.lists.source.endswith("list_members.parquet")
    assert {n: r.kind for n, r in schema.entities["contacts"].relationships.items()} == {
        "organization": "one", "deals": "many", "events": "many"}
    assert "guessed from the column name" in text
    code, got, err = run_cli("counts", *SEGMENTS, "--schema", out, "--now", DEMO_NOW, "--format", "json")
    assert code == 0, err
    code, want, _ = run_cli("counts", *SEGMENTS, "--now", DEMO_NOW, "--format", "json")
    assert json.loads(got) == json.loads(want)
    code, ok, err = run_cli("schema", "check", "--schema", out)
    assert code == 0 and "match the catalogue" in ok, err
    # a misspelled column in the schema: E0822 with "did you mean", at its line
    bad = tmp_path / "project" / "bad.yml"
    bad.write_text(text.replace("      industry: string", "      industyr: string"), "utf-8")
    code, _, err = run_cli("schema", "check", "--schema", bad)
    assert code == 1 and f"bad.yml:{line_of(text, 'organizations', 'industry:')}:" in err
    assert "error[E0822]" in err and 'did you mean "industry"?' in err


def test_files_inside_the_project_get_relative_sources(files, tmp_path):
    code, out, err = run_cli("schema", "init", "--files", files.name, "--tables", "contacts,deals", cwd=files.parent)
    assert code == 0, err
    assert f'source: "{files.name}/contacts.parquet"' in out
    assert list(yaml.safe_load(out)["entities"]) == ["contacts", "deals"]


# ---- diagnostics and usage -----------------------------------------------------------------------
def test_bad_inputs_are_diagnostics_not_tracebacks(tmp_path):
    code, _, err = run_cli("schema", "init", "--db", f"sqlite:///{tmp_path}/missing/dir/x.db")
    assert code == 1 and "error[E0602]" in err and "Traceback" not in err
    empty = tmp_path / "empty.db"
    code, _, err = run_cli("schema", "init", "--db", f"sqlite:///{empty}")
    assert code == 1 and "error[E0823]" in err and "no tables" in err
    code, _, err = run_cli("schema", "init", "--files", tmp_path / "nowhere")
    assert code == 1 and "error[E0823]" in err
    code, _, err = run_cli("schema", "init")
    assert code == 2 and "--db URL or --files DIR" in err
    existing = tmp_path / "schema.yml"
    existing.write_text("keep me", "utf-8")
    code, _, err = run_cli("schema", "init", "--files", EXAMPLES / "data", "-o", existing)
    assert code == 2 and "--force" in err and existing.read_text("utf-8") == "keep me"
    code, _, err = run_cli("check", EXAMPLES / "segments" / "seed002.segql", "--db", "nosuch://x")
    assert code == 1 and "error[E0600]" in err
    no_sources = tmp_path / "tables.yml"
    no_sources.write_text("entities:\n  a:\n    table: a\n", "utf-8")
    code, _, err = run_cli("schema", "check", "--schema", no_sources)
    assert code == 2 and "give --db URL" in err


def test_an_engine_without_a_catalogue_reader_says_so():
    class Plain(segql.engines.Engine):
        dialect = "duckdb"

    with pytest.raises(segql.errors.SegqlError) as info:
        init_schema(Plain())
    assert info.value.code == "E0824"


# ---- the pieces ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect,ctype,expected", [
    ("postgres", "character varying", "string"), ("postgres", "bigint", "integer"), ("postgres", "numeric", "number"),
    ("postgres", "double precision", "number"), ("postgres", "boolean", "boolean"), ("postgres", "date", "date"),
    ("postgres", "timestamp without time zone", "timestamp"), ("postgres", "timestamp with time zone", "instant"),
    ("postgres", "jsonb", None), ("postgres", "ARRAY", None), ("postgres", "interval", None),
    ("postgres", "time without time zone", None),
    ("duckdb", "DECIMAL(10,2)", "number"), ("duckdb", "TIMESTAMP WITH TIME ZONE", "instant"),
    ("duckdb", "VARCHAR[]", None), ("duckdb", "STRUCT(a INTEGER)", None), ("duckdb", "HUGEINT", "integer"),
    ("duckdb", "TIMESTAMP_NS", "timestamp"),
    ("mysql", "tinyint(1)", "boolean"), ("mysql", "tinyint(4)", "integer"), ("mysql", "int(10) unsigned", "integer"),
    ("mysql", "timestamp", "instant"), ("mysql", "datetime(6)", "timestamp"), ("mysql", "longtext", "string"),
    ("mysql", "enum('a','b')", "string"), ("mysql", "blob", None), ("mysql", "json", None),
    ("sqlite", "VARCHAR(20)", "string"), ("sqlite", "BIGINT", "integer"), ("sqlite", "DOUBLE", "number"),
    ("sqlite", "BOOLEAN", "boolean"), ("sqlite", "DATETIME", "timestamp"), ("sqlite", "DATE", "date"),
    ("sqlite", "", None), ("sqlite", "BLOB", None),
    ("spark", "timestamp", "instant"), ("spark", "timestamp_ntz", "timestamp"), ("bigquery", "TIMESTAMP", "instant"),
    ("bigquery", "DATETIME", "timestamp"),
])
def test_classify(dialect, ctype, expected):
    assert classify(dialect, ctype).type == expected


def test_compatible_types():
    text, integer, number = classify("postgres", "text"), classify("postgres", "integer"), classify("postgres", "real")
    assert compatible("postgres", "number", integer, "integer")
    assert not compatible("postgres", "integer", text, "text")
    assert not compatible("postgres", "integer", number, "real")
    assert not compatible("postgres", "timestamp", classify("postgres", "date"), "date")
    # segql's own SQLite tables: booleans are INTEGER, dates and timestamps TEXT; no type holds anything
    assert compatible("sqlite", "boolean", classify("sqlite", "INTEGER"), "INTEGER")
    assert compatible("sqlite", "timestamp", classify("sqlite", "TEXT"), "TEXT")
    assert compatible("sqlite", "integer", classify("sqlite", ""), "")
    assert not compatible("sqlite", "integer", classify("sqlite", "TEXT"), "TEXT")


def test_check_db_instants(tmp_path):
    """`instant` on a zoned column and an epoch `instant` on an integer column are accepted; `timestamp` on a
    zoned column is E0810 (hint: `instant`); `instant` on a naive column or an epoch unit on a non-integer
    column is E0823."""
    from segql.ops.introspect import check_catalogue

    path = tmp_path / "db.duckdb"
    with connect(f"duckdb:///{path}") as eng:
        eng.execute("CREATE TABLE t (id BIGINT, z TIMESTAMPTZ, n TIMESTAMP, e BIGINT, d DOUBLE)")
        text = """timezone: Europe/Paris
entities:
  t:
    table: t
    properties:
      ok_zoned: {type: instant, column: z}
      ok_epoch: {type: timestamptz, unit: milliseconds, column: e}
      naive_on_zoned: {type: timestamp, column: z}
      zoned_on_naive: {type: instant, column: n}
      epoch_on_double: {type: instant, unit: seconds, column: d}
"""
        (tmp_path / "schema.yml").write_text(text, "utf-8")
        errors = check_catalogue(segql.load_schema(tmp_path / "schema.yml"), eng)
    found = {(e.code, e.span.line): e for e in errors}
    assert set(found) == {("E0810", 8), ("E0823", 9), ("E0823", 10)}, found
    assert found[("E0810", 8)].hints[0].startswith("declare it `instant`") and "Europe/Paris" in found[("E0810", 8)].hints[0]
    assert found[("E0823", 9)].hints == ["declare it `timestamp`"]
    assert "declared `instant` in seconds" in found[("E0823", 10)].message


@pytest.mark.parametrize("raw,name", [("email", "email"), ("Email", "Email"), ("First Name", "first_name"),
                                      ("2fa enabled", "c_2fa_enabled"), ("%%", "column"), ("naïve", "naïve")])
def test_usable_names(raw, name):
    assert usable_name(raw) == name


@pytest.mark.parametrize("value", ["plain", "Order Items", "yes", "null", "a: b", "#x", 'q"uote', "back\\slash",
                                   "ünï", "-", "1e3", "data/x.parquet"])
def test_yaml_scalars_read_back_as_the_same_string(value):
    assert yaml.safe_load(f"k: {yaml_scalar(value)}") == {"k": value}


def test_sqlite_text_columns_holding_dates_are_guessed_from_their_values():
    """segql's own SQLite tables keep dates and timestamps as TEXT: a sample of the values decides."""
    from test_operations import load_demo

    with connect("sqlite://") as engine:
        load_demo(engine)
        engine.execute("CREATE TABLE mixed AS SELECT 1 AS a, 'x' AS b, 2.5 AS c")
        engine.execute("CREATE TABLE words (code TEXT)")
        engine.execute("INSERT INTO words VALUES ('12'), ('2024-01-01'), (NULL)")
        engine.execute("CREATE TABLE seen (id INTEGER PRIMARY KEY, at TEXT, naive TEXT)")
        engine.execute("INSERT INTO seen VALUES (1, '2024-03-31T10:30:00+14:00', '2024-03-31 10:30:00'), "
                       "(2, '2024-03-31 10:30:00.123Z', '2024-03-31T10:30:00')")
        generated = init_schema(engine, ["contacts", "mixed", "words", "seen"])
    schema = segql.parse_schema(generated.text)
    contacts = schema.entities["contacts"].properties
    assert (contacts["signup_date"].type, contacts["last_activity"].type, contacts["email"].type) == (
        "date", "timestamp", "string")
    assert "signup_date: date  # guessed from the values: SQLite declares it TEXT" in generated.text
    assert {n: p.type for n, p in schema.entities["mixed"].properties.items()} == {
        "a": "integer", "b": "string", "c": "number"}
    assert schema.entities["words"].properties["code"].type == "string"  # not every value is a date
    seen = schema.entities["seen"].properties  # ISO text with offsets: instants (SQLite applies the offset)
    assert (seen["at"].declared, seen["naive"].declared) == ("instant", "timestamp")


def test_relationship_names_avoid_properties_and_self_references_say_their_column():
    with connect("duckdb://") as engine:
        engine.execute("CREATE TABLE teams (id INTEGER PRIMARY KEY, name VARCHAR)")
        engine.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, team VARCHAR, team_id INTEGER REFERENCES teams(id), "
                       "mentor_id INTEGER REFERENCES people(id), paid BOOLEAN)")
        schema = segql.parse_schema(init_schema(engine).text)
    people = {n: (r.target, r.kind, r.local, r.remote) for n, r in schema.entities["people"].relationships.items()}
    assert people == {"teams": ("teams", "one", "team_id", "id"),  # `team` is a property
                      "mentor": ("people", "one", "mentor_id", "id"),
                      "people_by_mentor": ("people", "many", "id", "mentor_id")}
    assert set(schema.entities["teams"].relationships) == {"people"}
    assert schema.entities["people"].event_name is None


def test_check_reads_a_qualified_table_in_its_own_schema(tmp_path):
    url = f"duckdb:///{tmp_path / 'q.db'}"
    with connect(url) as engine:
        engine.execute("CREATE SCHEMA crm")
        engine.execute("CREATE TABLE crm.accounts (id INTEGER, owner VARCHAR)")
    good = tmp_path / "good.yml"
    good.write_text("entities:\n  accounts:\n    table: crm.accounts\n    properties: {owner: string}\n", "utf-8")
    code, out, err = run_cli("schema", "check", "--schema", good, "--db", url)
    assert code == 0 and "1 entity match" in out, err
    bad = tmp_path / "bad.yml"
    bad.write_text("entities:\n  accounts:\n    table: crm.acounts\n    properties: {owner: string}\n", "utf-8")
    code, _, err = run_cli("schema", "check", "--schema", bad, "--db", url)
    assert code == 1 and "bad.yml:3:12: error[E0821]: table 'crm.acounts' does not exist in schema 'crm'" in err
    assert 'did you mean "accounts"?' in err
