"""The schema and the live catalogue (SPEC §5.2): `segql schema init` writes a schema from what a
database (or a folder of Parquet/CSV files) holds, and `segql check --db` / `segql schema check` report
every place where a schema and the catalogue disagree — before a segment runs into a raw engine error.

    text = init_schema(engine)                            # YAML; engine.tables() is the catalogue
    text = init_files("data/", out_dir=".")               # each file an entity with `source:`
    errors = check_catalogue(schema, engine)              # [SchemaError] at the schema's YAML lines

Each engine reads its own catalogue (`Engine.tables()`, in engines/); here the engine's type names are
classified into segql's types, names made usable in segments, and keys, relationships and event streams
derived — guessed only where the catalogue is silent, and then said so in a YAML comment.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from segql import engines
from segql.engines.base import Table
from segql.errors import SchemaError, SegqlError
from segql.schema import Schema, did_you_mean

FILE_SUFFIXES = {".parquet": "read_parquet", ".pq": "read_parquet", ".csv": "read_csv_auto",
                 ".tsv": "read_csv_auto"}
NAME = re.compile(r"[^\W\d]\w*")
YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}

# ---- types --------------------------------------------------------------------------------------
_INTEGER = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "hugeint", "int1", "int2", "int4",
            "int8", "int16", "int32", "int64", "int128", "utinyint", "usmallint", "uinteger", "ubigint",
            "uhugeint", "serial", "bigserial", "smallserial", "long", "short", "byte", "signed", "year"}
_NUMBER = {"decimal", "numeric", "real", "float", "float4", "float8", "double", "double precision", "number",
           "dec", "fixed"}
_STRING = {"varchar", "char", "character", "character varying", "text", "string", "bpchar", "tinytext",
           "mediumtext", "longtext", "name", "citext", "nvarchar", "nchar", "enum", "set", "clob"}
_TIMESTAMP = {"timestamp", "timestamp without time zone", "datetime", "timestamp_ns", "timestamp_ms",
              "timestamp_s", "timestamp_us", "datetime2", "smalldatetime", "timestamp_ntz"}
_INSTANT = {"timestamp with time zone", "timestamptz", "timestamp_tz", "timestamp_ltz", "datetimeoffset"}
_KINDS = [("json", "JSON"), ("jsonb", "JSON"), ("bytea", "binary"), ("blob", "binary"), ("binary", "binary"),
          ("varbinary", "binary"), ("bit", "bits"), ("interval", "an interval"), ("time", "a time of day"),
          ("struct", "a structure"), ("map", "a map"), ("union", "a union"), ("geometry", "a geometry"),
          ("point", "a geometry"), ("inet", "a network address"), ("tsvector", "a text-search vector")]


@dataclass(frozen=True)
class Mapped:
    """How a catalogue type reads in segql: `type` is a segql type, "instant", or None (not mapped);
    `note` says why (unmapped) or what to know (uuid)."""

    type: str | None
    note: str = ""


def classify(dialect: str, ctype: str) -> Mapped:
    """A catalogue type (`character varying`, `tinyint(1)`, `TIMESTAMP WITH TIME ZONE`, `VARCHAR[]`) as
    segql reads it on `dialect`'s engine."""
    t = " ".join(ctype.strip().lower().split())
    base = re.sub(r"\s*\(.*?\)", "", t).replace(" unsigned", "").replace(" zerofill", "").strip()
    if dialect == "sqlite":
        return _sqlite_affinity(t)
    if dialect == "mysql":
        if t.startswith("tinyint(1)") or base in ("bool", "boolean"):
            return Mapped("boolean")
        if base == "timestamp":  # MySQL/MariaDB TIMESTAMP is stored in UTC and read in the session zone
            return Mapped("instant")
    if dialect in ("spark", "databricks", "bigquery") and base == "timestamp":  # an instant there; the
        return Mapped("instant")  # naive type is TIMESTAMP_NTZ / DATETIME
    if t.endswith("]") or base == "array" or base.startswith(("list", "array")):
        return Mapped(None, "an array")
    if base in ("boolean", "bool", "logical"):
        return Mapped("boolean")
    if base in _INTEGER:
        return Mapped("integer")
    if base in _NUMBER:
        return Mapped("number")
    if base in _STRING:
        return Mapped("string")
    if base == "uuid":
        return Mapped("string", "uuid: `=` and `in` work; text functions (contains, starts with) may need a cast")
    if base == "date":
        return Mapped("date")
    if base in _TIMESTAMP:
        return Mapped("timestamp")
    if base in _INSTANT:
        return Mapped("instant")
    return Mapped(None, _kind(base))


def _kind(base: str) -> str:
    for prefix, kind in _KINDS:
        if base == prefix or base.startswith((prefix + " ", prefix + "(")):
            return kind
    return "a type segql does not read"


def _sqlite_affinity(t: str) -> Mapped:
    """SQLite's declared types follow its affinity rules (https://sqlite.org/datatype3.html §3.1), with
    the names segql itself and most tools use for booleans, dates and timestamps first."""
    if not t:
        return Mapped(None, "no declared type")
    if "bool" in t:
        return Mapped("boolean")
    if "int" in t:
        return Mapped("integer")
    if "timestamp" in t or "datetime" in t:
        return Mapped("timestamp")
    if t.startswith("date"):
        return Mapped("date")
    if "json" in t:
        return Mapped(None, "JSON")
    if any(w in t for w in ("char", "clob", "text")):
        return Mapped("string")
    if "blob" in t:
        return Mapped(None, "binary")
    if any(w in t for w in ("real", "floa", "doub", "numeric", "decimal")):
        return Mapped("number")
    return Mapped(None, "a type segql does not read")


def compatible(dialect: str, declared: str, column: Mapped, ctype: str) -> bool:
    """Whether a property declared `declared` reads a column of this type faithfully (`declared` is the
    schema's word: "instant" for a zoned instant, "integer" for an epoch number)."""
    found = column.type
    if found == declared or (declared == "number" and found == "integer"):
        return True
    if dialect == "sqlite":
        # no declared type holds anything; segql's own SQLite tables keep booleans as INTEGER and dates
        # and timestamps as TEXT (engines/sqlite.py)
        return (not ctype.strip() or (declared == "boolean" and found == "integer")
                or (declared in ("date", "timestamp", "instant") and found in ("string", "date", "timestamp")))
    return dialect == "mysql" and declared == "boolean" and found == "integer"  # BOOLEAN is TINYINT


# ---- names --------------------------------------------------------------------------------------
def usable_name(raw: str) -> str:
    """A name a segment can write bare: the catalogue's own when it is one, else snake_case."""
    if NAME.fullmatch(raw):
        return raw
    name = re.sub(r"\W+", "_", raw).strip("_").lower()
    if not name:
        return "column"
    return name if NAME.fullmatch(name) else f"c_{name}"


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3` … so that no two names of one scope are equal, ignoring case."""
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate.casefold())
    return candidate


def yaml_scalar(value: str) -> str:
    """A YAML scalar for a name: plain when it is a simple name, else double-quoted (JSON escapes are
    YAML's too)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", value) and value.lower() not in YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


# ---- schema init --------------------------------------------------------------------------------
@dataclass
class _Prop:
    name: str
    column: str
    type: str | None  # segql type; None: not mapped (a comment)
    ctype: str
    note: str = ""


@dataclass
class _Entity:
    name: str
    table: Table
    source: str | None = None
    props: list[_Prop] = field(default_factory=list)
    key: str | None = None
    key_note: str = ""
    rels: dict[str, tuple] = field(default_factory=dict)  # name -> (target, kind, local, remote, note)
    notes: list[str] = field(default_factory=list)  # comments on the entity (keys not mapped …)
    event: tuple[str, str] | None = None

    def prop_for(self, column: str) -> _Prop | None:
        return next((p for p in self.props if p.column == column and p.type), None)


@dataclass
class Generated:
    """What `schema init` wrote, for its summary line."""

    text: str
    entities: int = 0
    relationships: int = 0
    unmapped: int = 0
    guessed: int = 0


def init_schema(engine, tables: list[str] | None = None, *, schema: str | None = None, origin: str = "",
                sources: dict[str, str] | None = None, guess_relationships: bool = False) -> Generated:
    """A schema from `engine.tables()`: `tables` keeps only those (E0823 for a name the catalogue lacks);
    `sources` maps a table to its `source:` file (a folder of files); `guess_relationships` derives them
    from `<entity>_id` columns where there are no foreign keys to read."""
    catalogue = engine.tables(schema)
    if not catalogue:
        raise SegqlError("E0823", f"no tables found in {origin or 'the database'}",
                         hints=["check the database (or schema / search_path) the URL names"])
    if tables:
        catalogue = _select(catalogue, tables, engine.fold_tables)
    lists, catalogue = _lists_table(catalogue)
    dialect = engine.dialect
    taken: set[str] = set()
    ents = [_entity(t, dialect, taken, (sources or {}).get(t.name)) for t in catalogue]
    if dialect == "sqlite":
        for ent in ents:
            _sqlite_values(engine, ent)
    by_table = {e.table.name: e for e in ents}
    _relationships(ents, by_table)
    if guess_relationships:
        _guess_relationships(ents)
    for e in ents:
        e.event = _guess_event(e)
    return _emit(ents, lists, origin, dialect, (sources or {}).get(lists.name) if lists else None)


def init_files(folder: str, tables: list[str] | None = None, *, out_dir: str = ".") -> Generated:
    """A schema over a folder's Parquet/CSV files, read by the embedded DuckDB as `segql run` reads them;
    `source:` paths are relative to `out_dir` (where the schema is written)."""
    root = Path(folder)
    if not root.is_dir():
        raise SegqlError("E0823", f"{folder} is not a folder", hints=["pass --files DIR, a folder of .parquet/.csv files"])
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES)
    if not files:
        raise SegqlError("E0823", f"no .parquet or .csv files in {folder}")
    engine = engines.connect(None)
    sources, seen = {}, set()
    try:
        for path in files:
            table = _unique(path.stem, seen)
            view = exp.Create(kind="VIEW", this=exp.Table(this=exp.Identifier(this=table, quoted=True)), replace=True,
                              expression=exp.select("*").from_(exp.Anonymous(this=FILE_SUFFIXES[path.suffix.lower()],
                                                                              expressions=[exp.Literal.string(str(path.resolve()))])))
            engine.execute(view.sql(dialect="duckdb"))
            sources[table] = _source_path(path.resolve(), Path(out_dir).resolve())
        return init_schema(engine, tables, origin=f"the files in {folder}", sources=sources, guess_relationships=True)
    finally:
        engine.close()


def _source_path(path: Path, out_dir: Path) -> str:
    """Relative to the schema's folder when the file is inside it (the project moves as one), else absolute."""
    rel = Path(os.path.relpath(path, out_dir))
    return (path if rel.parts and rel.parts[0] == ".." else rel).as_posix()


def _select(catalogue: list[Table], wanted: list[str], fold: bool) -> list[Table]:
    by_name = {t.name: t for t in catalogue}
    out = []
    for name in wanted:
        table = by_name.get(name) or _folded(by_name, name, fold)
        if table is None:
            raise SegqlError("E0823", f"table {name!r} is not in the catalogue", hints=did_you_mean(name, by_name)
                             or [f"tables: {', '.join(sorted(by_name)[:12])}"])
        if table not in out:
            out.append(table)
    return sorted(out, key=lambda t: t.name)


def _folded(by_name: dict, name: str, fold: bool = True):
    if not fold:
        return None
    matches = [v for k, v in by_name.items() if k.casefold() == name.casefold()]
    return matches[0] if len(matches) == 1 else None


def _lists_table(catalogue: list[Table]):
    """segql's own static-list table (`list_slug`, `member_key`) becomes `lists:`, not an entity."""
    for t in catalogue:
        names = {c.name for c in t.columns}
        if {"list_slug", "member_key"} <= names and len(names) == 2:
            return t, [x for x in catalogue if x is not t]
    return None, catalogue


def _entity(table: Table, dialect: str, taken: set[str], source: str | None) -> _Entity:
    ent = _Entity(_unique(usable_name(table.name), taken), table, source)
    names: set[str] = set()
    for col in table.columns:
        mapped = classify(dialect, col.type)
        ptype, note = mapped.type, mapped.note
        ent.props.append(_Prop(_unique(usable_name(col.name), names), col.name, ptype, col.type, note))
    pk = table.primary_key
    by_column = {p.column: p for p in ent.props}
    if len(pk) == 1:
        ent.key = by_column[pk[0]].name
    else:
        ids = [p for p in ent.props if p.column.lower() == "id"]
        if len(pk) > 1:
            ent.key = by_column[pk[0]].name
            ent.key_note = (f"guessed: the primary key ({', '.join(pk)}) has several columns and segql needs one; "
                            "set the column that identifies a record")
        elif ids:
            ent.key = ids[0].name
            ent.key_note = "guessed: no primary key in the catalogue; the column named id"
        else:
            ent.key = ent.props[0].name if ent.props else "id"
            ent.key_note = "guessed: no primary key and no id column; the first column — set the real key"
    key_prop = next((p for p in ent.props if p.name == ent.key), None)
    if key_prop is not None and key_prop.type is None:  # a key segql cannot type: compare it as text
        key_prop.type, key_prop.note = "string", f"{key_prop.ctype} key read as text"
    return ent


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([zZ]|[+-]\d{2}:?\d{2})")
SAMPLE = 200


def _sqlite_values(engine, ent: _Entity) -> None:
    """SQLite columns declared TEXT (or nothing) often hold dates and timestamps — segql's own SQLite
    tables do: a sample of the values decides, and the comment says it was guessed."""
    for prop in ent.props:
        if prop.type not in ("string", None) or (prop.type is None and prop.ctype.strip()):
            continue
        column = exp.column(exp.to_identifier(prop.column, quoted=True))
        query = (exp.select(column).from_(exp.Table(this=exp.to_identifier(ent.table.name, quoted=True)))
                 .where(exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null()))).limit(SAMPLE))
        values = [r[0] for r in engine.execute(query.sql(dialect="sqlite"))]
        guessed = _type_of_values(values, declared=bool(prop.ctype.strip()))
        if guessed and guessed != prop.type:
            prop.type = guessed
            prop.note = (f"guessed from the values: SQLite declares it {prop.ctype or 'without a type'}")


def _type_of_values(values: list, *, declared: bool) -> str | None:
    if not values:
        return None
    if all(isinstance(v, str) for v in values):
        if all(_ISO_DATE.fullmatch(v) for v in values):
            return "date"
        if all(_ISO_TIMESTAMP.fullmatch(v) for v in values):
            return "timestamp"
        if all(_ISO_INSTANT.fullmatch(v) for v in values):  # every one with its offset: instants
            return "instant"
        return "string"
    if declared:  # a TEXT column with numbers in it stays text
        return None
    if all(isinstance(v, int) for v in values):
        return "integer"
    if all(isinstance(v, (int, float)) for v in values):
        return "number"
    return None


def _relationships(ents: list[_Entity], by_table: dict[str, _Entity]) -> None:
    """Both directions of each single-column foreign key: to-one named after the column (`organization_id`
    → `organization`), to-many after the referencing entity (`deals`), `<entity>_by_<column>` when that
    would be ambiguous; names never collide with properties or each other."""
    links = []  # (source entity, local prop, target entity, remote prop)
    for ent in ents:
        for fk in sorted(ent.table.foreign_keys, key=lambda f: (f.columns, f.table)):
            target = by_table.get(fk.table)
            shown = f"foreign key ({', '.join(fk.columns)}) -> {fk.table}"
            if len(fk.columns) != 1 or len(fk.remote) != 1:
                ent.notes.append(f"not mapped: {shown} has several columns (segql relates records by one)")
                continue
            if target is None:
                ent.notes.append(f"not mapped: {shown} ({fk.table} is not among the tables read)")
                continue
            local, remote = ent.prop_for(fk.columns[0]), target.prop_for(fk.remote[0])
            if local is None or remote is None:
                ent.notes.append(f"not mapped: {shown} (a column segql does not read)")
                continue
            links.append((ent, local.name, target, remote.name))
    _add_links(links, "")


_ID_SUFFIX = re.compile(r"(?:_id|_ID|Id|ID)$")  # contact_id, contactId — not `paid`


def _add_links(links, note: str) -> None:
    many_count: dict[tuple[str, str], int] = {}
    for src, _local, tgt, _remote in links:
        many_count[(tgt.name, src.name)] = many_count.get((tgt.name, src.name), 0) + 1
    taken: dict[str, set[str]] = {}
    for src, local, tgt, remote in links:
        stem = _ID_SUFFIX.sub("", local) or tgt.name
        ones = [stem, tgt.name] if stem.casefold() != local.casefold() else [tgt.name]
        manys = ([src.name] if many_count[(tgt.name, src.name)] == 1 and src is not tgt else []) + [
            f"{src.name}_by_{stem}"]
        _add_rel(src, ones, (tgt.name, "one", local, remote, note), taken)
        _add_rel(tgt, manys, (src.name, "many", remote, local, note), taken)


def _add_rel(ent: _Entity, candidates: list[str], spec: tuple, taken: dict) -> None:
    """The first candidate name not yet used on the entity (a property `team` beside `team_id` makes
    the relationship `teams`), else the first with a number."""
    names = taken.setdefault(ent.name, {p.name.casefold() for p in ent.props} | {r.casefold() for r in ent.rels})
    free = [usable_name(c) for c in candidates if usable_name(c).casefold() not in names]
    name = free[0] if free else _unique(usable_name(candidates[0]), names)
    names.add(name.casefold())
    ent.rels[name] = spec


def _guess_relationships(ents: list[_Entity]) -> None:
    """Files have no foreign keys: `contact_id` relates to the entity `contact`, `contacts`, … whose key
    has the same type."""
    by_name = {e.name.casefold(): e for e in ents}
    links = []
    for ent in ents:
        for prop in ent.props:
            m = re.fullmatch(r"(.+?)" + _ID_SUFFIX.pattern, prop.name)
            if not m or prop.name == ent.key or prop.type not in ("integer", "string"):
                continue
            stem = m.group(1).lower()
            plurals = [stem, stem + "s", stem + "es", stem[:-1] + "ies" if stem.endswith("y") else stem]
            target = next((by_name[c] for c in plurals if c in by_name), None)
            if target is None or target.key_note.startswith("guessed: no primary key and no id"):
                continue
            remote = next((p for p in target.props if p.name == target.key), None)
            if remote is None or remote.type != prop.type:
                continue
            links.append((ent, prop.name, target, remote.name))
    _add_links(links, "guessed from the column name (files have no foreign keys)")


_EVENT_NAMES = ("name", "event", "event_name", "event_type", "type", "action")
_EVENT_TIMES = ("occurred_at", "timestamp", "event_time", "event_timestamp", "time", "happened_at", "created_at",
                "sent_at", "received_at", "ts")


def _guess_event(ent: _Entity) -> tuple[str, str] | None:
    """A table named like events, related to an entity, with a name column and a time column is an event
    stream (`performed`)."""
    if "event" not in ent.name.lower() or not any(r[1] == "one" for r in ent.rels.values()):
        return None  # events happen to someone: the stream relates to an entity
    props = {p.name.lower(): p for p in ent.props if p.type}
    name = next((props[n] for n in _EVENT_NAMES if n in props and props[n].type == "string"), None)
    time = next((props[n] for n in _EVENT_TIMES if n in props and props[n].type in ("timestamp", "instant", "date")), None)
    return (name.name, time.name) if name and time else None


def _emit(ents: list[_Entity], lists: Table | None, origin: str, dialect: str, lists_source: str | None) -> Generated:
    out = Generated("")
    q = yaml_scalar
    lines = [f"# Written by `segql schema init` from {origin or 'the catalogue'} ({dialect})."
             if origin else "# Written by `segql schema init`.",
             "# Review the comments: a key, relationship or event stream marked `guessed` is segql's guess, and",
             "# columns segql cannot read are listed, not mapped. `segql check --db URL` compares it with the database.",
             "timezone: UTC", "entities:"]
    for ent in sorted(ents, key=lambda e: e.name):
        out.entities += 1
        lines.append(f"  {q(ent.name)}:")
        lines.append(f"    table: {q(ent.table.name)}")
        if ent.source:
            lines.append(f"    source: {q(ent.source)}")
        if ent.key_note:
            out.guessed += 1
        lines.append(f"    key: {q(ent.key)}" + (f"  # {ent.key_note}" if ent.key_note else ""))
        if ent.event:
            out.guessed += 1
            lines.append(f"    event: {{name: {q(ent.event[0])}, time: {q(ent.event[1])}}}  "
                         "# guessed: an event stream (`performed`); check which columns are its name and time")
        lines.append("    properties:")
        for p in ent.props:
            if p.type is None:
                out.unmapped += 1
                lines.append(f"      # {q(p.name)}: not mapped, column {p.column!r} is {p.ctype} ({p.note})")
                continue
            value = p.type if p.name == p.column else f"{{type: {p.type}, column: {q(p.column)}}}"
            lines.append(f"      {q(p.name)}: {value}" + (f"  # {p.note}" if p.note else ""))
        for note in ent.notes:
            lines.append(f"    # {note}")
        if ent.rels:
            lines.append("    relationships:")
            for name in sorted(ent.rels):
                target, kind, local, remote, note = ent.rels[name]
                out.relationships += 1
                out.guessed += bool(note)
                lines.append(f"      {q(name)}: {{entity: {q(target)}, type: {kind}, local: {q(local)}, "
                             f"remote: {q(remote)}}}" + (f"  # {note}" if note else ""))
    if lists is not None:
        lines += ["lists:  # guessed: segql's table of static list members", f"  table: {q(lists.name)}",
                  "  list: list_slug", "  member: member_key"] + ([f"  source: {q(lists_source)}"] if lists_source else [])
    out.text = "\n".join(lines) + "\n"
    return out


# ---- check against the catalogue -----------------------------------------------------------------
def check_catalogue(schema: Schema, engine, *, sources_only: bool = False) -> list[SchemaError]:
    """Every entity's table and every property's column exists, with a type the property can read;
    each problem at the schema's YAML line (E0810 an instant column declared `timestamp`, E0821 a
    missing table, E0822 a missing column, E0823 an incompatible type). `sources_only`: the engine is
    the embedded DuckDB over the `source:` files, so entities without one are not checked."""
    checker = _Checker(schema, engine)
    for ent in schema.entities.values():
        if ent.source or not sources_only:
            checker.entity(ent)
    if schema.lists is not None and (schema.lists.source or not sources_only):
        checker.lists(schema.lists)
    return checker.errors


class _Checker:
    def __init__(self, schema: Schema, engine):
        self.schema, self.engine, self.dialect = schema, engine, engine.dialect
        self.errors: list[SchemaError] = []
        self._catalogues: dict[str | None, dict[str, Table]] = {}

    def catalogue(self, qualifier: str | None) -> dict[str, Table]:
        if qualifier not in self._catalogues:
            self._catalogues[qualifier] = {t.name: t for t in self.engine.tables(qualifier)}
        return self._catalogues[qualifier]

    def error(self, code, message, where: tuple, hints=(), key=False) -> None:
        doc = self.schema.yaml
        if doc is None:
            self.errors.append(SchemaError(code, message, hints=list(hints), path=self.schema.path))
            return
        while len(where) > 1 and where not in doc.marks:
            where = where[:-1]
        self.errors.append(doc.error(code, message, where, hints=hints, key=key))

    def table(self, name: str, where: tuple) -> Table | None:
        parts = name.split(".")
        qualifier = parts[-2] if len(parts) >= 2 else None
        tables = self.catalogue(qualifier)
        found = tables.get(parts[-1]) or _folded(tables, parts[-1], self.engine.fold_tables)
        if found is None:
            hints = did_you_mean(parts[-1], tables)
            case = _folded(tables, parts[-1])
            if case is not None:
                hints = [f'the catalogue spells it "{case.name}" (names are quoted, so case matters here)']
            self.error("E0821", f"table {name!r} does not exist" + (f" in schema {qualifier!r}" if qualifier else ""),
                       where, hints or [f"tables: {', '.join(sorted(tables)[:12]) or 'none'}"])
        return found

    def column(self, table: Table, column: str, where: tuple, what: str):
        cols = {c.name: c for c in table.columns}
        found = cols.get(column) or _folded(cols, column, self.engine.fold_columns)
        if found is None:
            hints = did_you_mean(column, cols)
            case = _folded(cols, column)
            if case is not None:
                hints = [f'the catalogue spells it "{case.name}" (names are quoted, so case matters here)']
            self.error("E0822", f"{what}: column {column!r} does not exist in table {table.name!r}", where,
                       hints or [f"columns: {', '.join(list(cols)[:12])}"], key=True)
        return found

    def entity(self, ent) -> None:
        base = ("entities", ent.name)
        table = self.table(ent.table, base + ("table",) if self._has(base + ("table",)) else base)
        if table is None:
            return
        for prop in ent.properties.values():
            where = base + ("properties", prop.name)
            if not self._has(where):
                where = base + ("key",)  # the key, added by the loader when not listed
            col = self.column(table, prop.column, where, f"property {prop.name!r} of {ent.name}")
            if col is not None:
                self.types(ent, prop, col, where)

    def types(self, ent, prop, col, where) -> None:
        mapped = classify(self.dialect, col.type)
        # an epoch number is an integer column; a zoned instant needs a zoned type
        declared = "integer" if prop.instant not in (None, "zoned") else prop.declared
        if compatible(self.dialect, declared, mapped, col.type):
            return
        type_where = where + ("type",) if self._has(where + ("type",)) else where
        if prop.declared == "timestamp" and mapped.type == "instant":
            self.error("E0810", f"the column {col.name!r} holds instants ({col.type}) but property {prop.name!r} of "
                       f"{ent.name} is declared `timestamp`: its members would follow the database session's "
                       "time zone", type_where, [_instant_fix(self.schema.timezone)])
            return
        found = mapped.type or f"not readable by segql: {mapped.note}"
        hint = ([f"declare it `{mapped.type}`"] if mapped.type in ("string", "integer", "number", "boolean", "date",
                                                                   "timestamp", "instant") else [])
        if prop.instant and prop.instant != "zoned":
            hint = [f"an instant in {prop.instant} since 1970 is an integer column"]
        self.error("E0823", f"property {prop.name!r} of {ent.name} is declared `{prop.declared}`"
                   + (f" in {prop.instant}" if declared == "integer" and prop.instant else "")
                   + f" but column {col.name!r} is {col.type} ({found})", type_where, hint)

    def lists(self, lists) -> None:
        table = self.table(lists.table, ("lists", "table") if self._has(("lists", "table")) else ("lists",))
        if table is None:
            return
        for key, column in (("list", lists.list_column), ("member", lists.member_column)):
            self.column(table, column, ("lists", key), f"lists.{key}")

    def _has(self, where: tuple) -> bool:
        return self.schema.yaml is not None and where in self.schema.yaml.marks



def _instant_fix(tz: str) -> str:
    """The hint of E0810."""
    return (f"declare it `instant`: segql then reads it as wall-clock time in the schema's zone ({tz}) "
            "whatever the session's zone is")
