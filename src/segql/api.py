"""The Python API (SPEC §4): everything the CLI does, as functions — this module only gathers them.

    schema = segql.load_schema("schema.yml")
    sql = segql.compile(source, schema=schema, dialect="bigquery", segment=None, on=None, now=None,
                        select="keys")

Stages: `parse` (any input form → syntax tree) → `check` / `to_ir` (→ typed IR) → `to_sql_tree`
(→ sqlglot tree) → `render` (→ SQL). Operations: `load_segments`, `counts`, `overlap`, `explain`,
`refresh`, `segments_for_record`, `connect`; the schema and the catalogue: `init_schema`, `init_files`,
`check_catalogue` (SPEC §5.2); the store of segments as things: `open_store` (SPEC §6.3).
"""
from segql.engines import connect  # noqa: F401
from segql.ops.compile import (  # noqa: F401
    PARAM_STYLES,
    SELECTS,
    Compiled,
    check,
    compile,
    parse,
    render,
    select_definition,
    to_ir,
    to_sql_tree,
)
from segql.ops.counts import counts, counts_sql, overlap  # noqa: F401
from segql.ops.explain import explain  # noqa: F401
from segql.ops.introspect import check_catalogue, init_files, init_schema  # noqa: F401
from segql.ops.load import Loaded, find_schema, load_segments  # noqa: F401
from segql.ops.record import segments_for_record  # noqa: F401
from segql.ops.refresh import refresh  # noqa: F401
from segql.ops.store import open_store  # noqa: F401
from segql.semantic.schemas import load_schema, parse_schema  # noqa: F401

__all__ = ["load_schema", "parse_schema", "parse", "check", "to_ir", "to_sql_tree", "render", "compile", "Compiled",
           "select_definition", "load_segments", "Loaded", "find_schema", "counts", "counts_sql", "overlap", "explain", "refresh",
           "segments_for_record", "connect", "open_store", "init_schema", "init_files", "check_catalogue"]
