"""The schema file (SPEC §1.1): which entities, properties, relationships, calculated fields, event
streams and lists a segment may talk about. Loading validates everything a segment will rely on, and
reports problems at the YAML line they come from.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from segql import limits
from segql.errors import SchemaError, Span
from segql.files import read_bytes

TYPES = ("string", "integer", "number", "boolean", "date", "timestamp", "instant")
TYPE_ALIASES = {"timestamptz": "instant"}
EPOCH_UNITS = ("seconds", "milliseconds", "microseconds")


@dataclass(frozen=True)
class Property:
    """`type` is what segments see; an `instant` (SPEC §5.1) is seen as a `timestamp` — its wall-clock
    time in the schema's zone — and `instant` says how the column stores the point in time: "zoned" (a
    native zoned type) or an epoch unit (`seconds` …, an integer column). The lowering and the evaluator
    convert an instant column where they read it, and nowhere else."""

    name: str
    type: str
    column: str
    instant: str | None = None

    @property
    def declared(self) -> str:
        """The type as the schema writes it (`instant` for an instant column)."""
        return "instant" if self.instant else self.type


@dataclass(frozen=True)
class Relationship:
    """A link from one entity to another (to-one or to-many)."""

    name: str
    target: str  # entity name
    kind: str  # one | many
    local: str  # property name on the owning entity
    remote: str  # property name on the target entity


@dataclass
class Entity:
    """A table whose records segments select."""

    name: str
    table: str
    key: str
    properties: dict[str, Property] = field(default_factory=dict)
    relationships: dict[str, Relationship] = field(default_factory=dict)
    calculated: dict[str, str] = field(default_factory=dict)  # name -> formula text
    calculated_spans: dict[str, Span] = field(default_factory=dict)
    source: str | None = None
    aliases: tuple[str, ...] = ()
    event_name: str | None = None  # property holding the event's name
    event_time: str | None = None  # property holding when it happened
    calculated_types: dict[str, str | None] = field(default_factory=dict)  # set by semantic.schemas

    @property
    def is_event_stream(self) -> bool:
        return self.event_name is not None

    def member_names(self) -> list[str]:
        return [*self.properties, *self.relationships, *self.calculated]

    def find(self, name: str) -> str | None:
        """Exact name first, then case-insensitive when that is unambiguous (SPEC §2.9)."""
        if name in self.properties or name in self.relationships or name in self.calculated:
            return name  # the dicts' keys: no list of every member built for the common case
        names = self.member_names()
        folded = [n for n in names if n.casefold() == name.casefold()]
        return folded[0] if len(folded) == 1 else None


@dataclass(frozen=True)
class ListsTable:
    """Where static lists keep their members."""

    table: str
    list_column: str
    member_column: str
    source: str | None = None  # a Parquet/CSV file DuckDB reads instead of the table


@dataclass
class Schema:
    """The checked schema: entities, relationships, zone, lists table."""

    entities: dict[str, Entity]
    timezone: str = "UTC"
    lists: ListsTable | None = None
    max_conditions: int | None = None
    max_depth: int | None = None
    path: str | None = None
    source: str | None = None  # the YAML text, for diagnostics
    yaml: Any = field(default=None, repr=False, compare=False)  # the parsed document, for YAML-line errors

    def error(self, code: str, message: str, where: tuple, hints=()) -> SchemaError:
        """An error at the YAML line of `where` (a path of keys), for checks made after loading."""
        if self.yaml is None:
            return SchemaError(code, message, hints=list(hints), path=self.path)
        return self.yaml.error(code, message, where, hints=hints)

    @property
    def base_dir(self) -> FsPath:
        return FsPath(self.path).resolve().parent if self.path else FsPath.cwd()

    def entity(self, name: str) -> Entity | None:
        """By name or alias, exact first, then case-insensitively when unambiguous."""
        if name in self.entities:
            return self.entities[name]
        for ent in self.entities.values():
            if name in ent.aliases:
                return ent
        folded = [e for e in self.entities.values()
                  if name.casefold() in {n.casefold() for n in (e.name, *e.aliases)}]
        return folded[0] if len(folded) == 1 else None

    def entity_names(self) -> list[str]:
        return [n for e in self.entities.values() for n in (e.name, *e.aliases)]


def did_you_mean(name: str, candidates) -> list[str]:
    candidates = list(candidates)
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return [f'did you mean "{lowered[close[0]]}"?'] if close else []


# ---- loading ------------------------------------------------------------------------------------
def _compose(text: str):
    """YAML text -> node graph with libyaml (`CSafeLoader`, ≈ 10× faster) when PyYAML has it; on any error
    the pure-Python loader composes again, so error messages and positions are always PyYAML's own."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except Exception:  # noqa: BLE001,S110 - the exact loader below reports it (or accepts it)
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


class _Doc:
    """The YAML document as plain Python values, plus the source position of every node."""

    def __init__(self, text: str, path: str | None):
        import yaml

        self.text, self.path = text, path
        self.marks: dict[tuple, Span] = {}
        try:
            node = _compose(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            span = Span(mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2) if mark else Span(1, 1, 1, 2)
            raise SchemaError("E0201", f"the schema is not valid YAML: {getattr(err, 'problem', err)}", span,
                              path=path, source=text) from None
        except RecursionError:  # PyYAML's composer recurses once per level of nesting
            raise SchemaError("E0201", f"the schema nests more than {limits.MAX_SCHEMA_DEPTH} levels deep",
                              Span(1, 1, 1, 2), path=path, source=text) from None
        self._constructor = None
        self.nodes = 0  # nodes built so far, aliases expanded: bounds a "billion laughs" document
        self.open: set[int] = set()  # the nodes being built: an alias to one of them is a cycle
        self.value = self._build(node, ()) if node is not None else {}

    def _span(self, node) -> Span:
        s, e = node.start_mark, node.end_mark
        return Span(s.line + 1, s.column + 1, e.line + 1, e.column + 1)

    def _build(self, node, where: tuple):
        """Plain values from YAML nodes. An alias is the same node object as its anchor, so it is built
        (and counted) once per use: expansion is bounded by MAX_SCHEMA_NODES, depth by MAX_SCHEMA_DEPTH,
        and an alias inside its own anchor is refused instead of recursing forever."""
        import yaml

        self.nodes += 1
        if self.nodes > limits.MAX_SCHEMA_NODES:
            raise self.error("E0201", f"the schema expands to more than {limits.MAX_SCHEMA_NODES:,} YAML nodes "
                             "(aliases counted each time they are used)", where, node,
                             ["write the repeated parts out, or use fewer nested aliases"])
        if len(where) > limits.MAX_SCHEMA_DEPTH:
            raise self.error("E0201", f"the schema nests more than {limits.MAX_SCHEMA_DEPTH} levels deep", where, node)
        self.marks[where] = self._span(node)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self.open:
                raise self.error("E0201", "a YAML alias refers to the node that contains it (a cycle)", where, node)
            self.open.add(id(node))
            try:
                return self._collection(node, where)
            finally:
                self.open.discard(id(node))
        if self._constructor is None:  # one constructor for the document: no reader, no parser
            self._constructor = yaml.constructor.SafeConstructor()
        try:
            return self._constructor.construct_object(node)
        except yaml.YAMLError as err:  # an unknown tag (`!foo`, `!!python/object`) or a bad tagged value
            raise self.error("E0201", f"the schema is not plain YAML: {getattr(err, 'problem', None) or err}",
                             where, node, ["remove the `!tag`"]) from None

    def _collection(self, node, where: tuple):
        import yaml

        if isinstance(node, yaml.SequenceNode):
            return [self._build(v, where + (i,)) for i, v in enumerate(node.value)]
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error("E0202", "a key must be a name, not a list or mapping", where, key_node)
            key = key_node.value
            if key in out:
                raise self.error("E0203", f"{key!r} is defined twice", where + (key,), key_node)
            self.marks[where + (key, "<key>")] = self._span(key_node)
            out[key] = self._build(value_node, where + (key,))
        return out

    def span(self, where: tuple, key: bool = False) -> Span:
        if key and where + ("<key>",) in self.marks:
            return self.marks[where + ("<key>",)]
        while where and where not in self.marks:
            where = where[:-1]
        return self.marks.get(where, Span(1, 1, 1, 2))

    def error(self, code, message, where: tuple, node=None, hints=(), key=False) -> SchemaError:
        span = self._span(node) if node is not None else self.span(where, key)
        return SchemaError(code, message, span, hints, path=self.path, source=self.text)


def load_schema(path: str | os.PathLike) -> Schema:
    """Read and validate a schema file's structure; raises `SchemaError` pointing at the offending line.
    Calculated fields are type-checked by `segql.semantic.load_schema` (what `segql.load_schema` is)."""
    path = str(path)
    data = read_bytes(path, limits.MAX_SCHEMA_BYTES, what="schema file", code="E0200", missing_hints=[
        "pass --schema PATH, or put schema.yml beside the segment file"])
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise SchemaError("E0200", f"cannot read schema file {path}: it is not valid UTF-8 "
                          f"(byte 0x{data[err.start]:02x} at offset {err.start})", path=path) from None
    return parse_schema(text, path)


def parse_schema(text: str, path: str | None = None) -> Schema:
    doc = _Doc(text, path)
    data = doc.value
    if not isinstance(data, dict):
        raise doc.error("E0202", "the schema must be a mapping with an `entities:` key", ())
    _known_keys(doc, data, (), ("timezone", "entities", "lists", "limits"))
    timezone = data.get("timezone", "UTC")
    _check_timezone(doc, timezone)
    raw_entities = data.get("entities")
    if not isinstance(raw_entities, dict) or not raw_entities:
        raise doc.error("E0202", "the schema needs `entities:` with at least one entity", ("entities",))
    entities = {name: _entity(doc, name, spec) for name, spec in raw_entities.items()}
    schema = Schema(entities, timezone, _lists(doc, data.get("lists")), path=path, source=text)
    schema.max_conditions, schema.max_depth = _limits(doc, data.get("limits"))
    _check_names(doc, schema)
    _check_relationships(doc, schema)
    schema.yaml = doc
    return schema


def _known_keys(doc, mapping, where, allowed):
    for key in mapping:
        if key not in allowed:
            raise doc.error("E0202", f"unknown key {key!r}", where + (key,), key=True,
                            hints=did_you_mean(str(key), allowed) or [f"allowed here: {', '.join(allowed)}"])


def _check_timezone(doc, tz):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise doc.error("E0204", f"unknown time zone {tz!r}", ("timezone",),
                        hints=['use an IANA name such as "UTC" or "Europe/Paris"']) from None


def _identifier(doc, value, where, what):
    if not isinstance(value, str) or not value.strip():
        raise doc.error("E0202", f"{what} must be a non-empty name", where)
    return value


def _entity(doc, name, spec) -> Entity:
    where = ("entities", name)
    if not isinstance(spec, dict):
        raise doc.error("E0202", f"entity {name!r} must be a mapping", where)
    _known_keys(doc, spec, where, ("table", "source", "aliases", "key", "properties", "relationships",
                                   "calculated", "event", "description"))
    table = _identifier(doc, spec.get("table", name), where + ("table",), "table")
    key = spec.get("key", "id")
    key_type = "integer"
    if isinstance(key, dict):
        key_type = key.get("type", "integer")
        key = key.get("name") or key.get("column")
    key = _identifier(doc, key, where + ("key",), "key")
    props: dict[str, Property] = {}
    raw_props = spec.get("properties") or {}
    if not isinstance(raw_props, dict):
        raise doc.error("E0202", "properties must be a mapping of name: type", where + ("properties",))
    for pname, pspec in raw_props.items():
        pwhere = where + ("properties", pname)
        column = pname
        ptype = pspec
        unit = None
        if isinstance(pspec, dict):
            _known_keys(doc, pspec, pwhere, ("type", "column", "unit", "description"))
            ptype, column, unit = pspec.get("type"), pspec.get("column", pname), pspec.get("unit")
            _identifier(doc, column, pwhere + ("column",), "column")
        ptype = TYPE_ALIASES.get(ptype, ptype) if isinstance(ptype, str) else ptype
        if ptype not in TYPES:
            raise doc.error("E0205", f"unknown type {ptype!r} for property {pname!r}", pwhere,
                            hints=did_you_mean(str(ptype), TYPES) or [f"types: {', '.join(TYPES)}"])
        if unit is not None and (ptype != "instant" or unit not in EPOCH_UNITS):
            raise doc.error("E0208", f"unit {unit!r} of property {pname!r}: a unit belongs to an `instant` "
                            f"stored as an epoch number, and is one of {', '.join(EPOCH_UNITS)}",
                            pwhere + ("unit",), hints=did_you_mean(str(unit), EPOCH_UNITS)
                            or [f"units: {', '.join(EPOCH_UNITS)}"])
        if ptype == "instant":
            props[pname] = Property(pname, "timestamp", column, unit or "zoned")
        else:
            props[pname] = Property(pname, ptype, column)
    if key not in props:
        if key_type not in TYPES or key_type == "instant":
            raise doc.error("E0205", f"unknown key type {key_type!r}", where + ("key",))
        props[key] = Property(key, key_type, key)
    rels = {}
    raw_rels = spec.get("relationships") or {}
    if not isinstance(raw_rels, dict):
        raise doc.error("E0202", "relationships must be a mapping of name: {entity, type, local, remote}",
                        where + ("relationships",))
    for rname, rspec in raw_rels.items():
        rwhere = where + ("relationships", rname)
        if not isinstance(rspec, dict):
            raise doc.error("E0202", f"relationship {rname!r} must be a mapping", rwhere)
        _known_keys(doc, rspec, rwhere, ("entity", "type", "local", "remote", "description"))
        kind = rspec.get("type", "many")
        if kind not in ("one", "many"):
            raise doc.error("E0206", f"relationship type must be `one` or `many`, not {kind!r}", rwhere + ("type",))
        target = _identifier(doc, rspec.get("entity"), rwhere + ("entity",), "the related entity")
        local = _identifier(doc, rspec.get("local", key), rwhere + ("local",), "local")
        remote = _identifier(doc, rspec.get("remote", "id"), rwhere + ("remote",), "remote")
        rels[rname] = Relationship(rname, target, kind, local, remote)
    calculated = {}
    spans = {}
    for cname, formula in (spec.get("calculated") or {}).items():
        if not isinstance(formula, (str, int, float)):
            raise doc.error("E0202", f"calculated field {cname!r} must be a formula", where + ("calculated", cname))
        calculated[cname] = str(formula)
        spans[cname] = doc.span(where + ("calculated", cname))
    event = spec.get("event")
    event_name = event_time = None
    if event is not None:
        if not isinstance(event, dict) or set(event) - {"name", "time"}:
            raise doc.error("E0202", "event must be {name: <property>, time: <property>}", where + ("event",))
        event_name, event_time = event.get("name", "name"), event.get("time")
        for role, prop in (("name", event_name), ("time", event_time)):
            _identifier(doc, prop, where + ("event", role), f"event {role}")
            if prop not in props:
                raise doc.error("E0207", f"event {role} {prop!r} is not a property of {name}", where + ("event", role),
                                hints=did_you_mean(str(prop), props))
        if props[event_time].type not in ("timestamp", "date"):
            raise doc.error("E0207", f"event time {event_time!r} must be a timestamp or date", where + ("event", "time"))
    aliases = spec.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list):
        raise doc.error("E0202", "aliases must be a name or a list of names", where + ("aliases",))
    for i, alias in enumerate(aliases):
        _identifier(doc, alias, where + ("aliases", i), "an alias")
    source = spec.get("source")
    if source is not None:
        _identifier(doc, source, where + ("source",), "source (a file path)")
    return Entity(name, table, key, props, rels, calculated, spans, source, tuple(aliases),
                  event_name, event_time)


def _lists(doc, spec) -> ListsTable | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise doc.error("E0202", "lists must be {table, list, member}", ("lists",))
    _known_keys(doc, spec, ("lists",), ("table", "list", "member", "source"))
    defaults = {"table": "list_members", "list": "list_slug", "member": "member_key", "source": None}
    values = {k: spec.get(k, d) for k, d in defaults.items()}
    for k, v in values.items():
        if v is not None or k != "source":
            _identifier(doc, v, ("lists", k), f"lists.{k}")
    return ListsTable(values["table"], values["list"], values["member"], values["source"])


def _limits(doc, spec):
    if spec is None:
        return None, None
    if not isinstance(spec, dict):
        raise doc.error("E0202", "limits must be {max_conditions, max_depth}", ("limits",))
    _known_keys(doc, spec, ("limits",), ("max_conditions", "max_depth"))
    out = []
    for key in ("max_conditions", "max_depth"):
        value = spec.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise doc.error("E0202", f"{key} must be a positive whole number", ("limits", key))
        out.append(value)
    return tuple(out)


def _check_names(doc, schema):
    for ent in schema.entities.values():
        seen: dict[str, str] = {}
        for section in ("properties", "relationships", "calculated"):
            for member in getattr(ent, section):
                if member in seen:
                    raise doc.error("E0203", f"{member!r} is both a {seen[member]} and a {section[:-1]} of {ent.name}",
                                    ("entities", ent.name, section, member))
                seen[member] = section.rstrip("s").replace("propertie", "property")
    names: dict[str, str] = {}
    for ent in schema.entities.values():
        for n in (ent.name, *ent.aliases):
            if n.casefold() in names and names[n.casefold()] != ent.name:
                raise doc.error("E0203", f"entity name or alias {n!r} is used twice", ("entities", ent.name))
            names[n.casefold()] = ent.name


def _check_relationships(doc, schema):
    for ent in schema.entities.values():
        for rel in ent.relationships.values():
            where = ("entities", ent.name, "relationships", rel.name)
            if rel.target not in schema.entities:
                raise doc.error("E0206", f"relationship {rel.name!r} of {ent.name} points to unknown entity {rel.target!r}",
                                where + ("entity",), hints=did_you_mean(rel.target, schema.entities))
            target = schema.entities[rel.target]
            if rel.local not in ent.properties:
                raise doc.error("E0206", f"relationship {rel.name!r}: {rel.local!r} is not a property of {ent.name}",
                                where + ("local",), hints=did_you_mean(rel.local, ent.properties))
            if rel.remote not in target.properties:
                raise doc.error("E0206", f"relationship {rel.name!r}: {rel.remote!r} is not a property of {target.name}",
                                where + ("remote",), hints=did_you_mean(rel.remote, target.properties))
