"""The schema as segments see it: `load_schema` = its structure (`segql.schema`) + every calculated field
type-checked on its own entity, reported at its YAML line."""
from __future__ import annotations

from segql import schema as structure
from segql.errors import SegqlError
from segql.schema import Schema
from segql.semantic.checker import Checker
from segql.semantic.scope import Multi, Scope
from segql.syntax import ast


def parse_schema(text: str, path: str | None = None) -> Schema:
    """Read and check a schema from YAML text (SPEC §1.1); raises SchemaError at the offending line."""
    schema = structure.parse_schema(text, path)
    check_schema_calculated(schema)
    return schema


def load_schema(path) -> Schema:
    """Read and check a schema file (SPEC §1.1); raises SchemaError at the offending line."""
    schema = structure.load_schema(path)
    check_schema_calculated(schema)
    return schema


def check_schema_calculated(schema: Schema) -> None:
    """Every calculated field must parse and type-check on its own entity (reported at its YAML line);
    their types are recorded on the entity (the JSON front ends read values by them)."""
    checker = Checker(schema)
    for entity in schema.entities.values():
        for name in entity.calculated:
            where = ("entities", entity.name, "calculated", name)
            try:
                value = checker.expr(ast.Path((name,)), Scope(entity))
            except SegqlError as err:
                raise schema.error(err.code, f"calculated field {entity.name}.{name}: {err.message}", where,
                                   hints=err.hints) from None
            if isinstance(value, Multi):
                raise schema.error("E0305", f"calculated field {entity.name}.{name} has many values", where,
                                   hints=["use an aggregate such as count(...) or sum(...)"])
            entity.calculated_types[name] = getattr(value, "type", None)
