"""segql: segments — dynamic groups of records defined by conditions — compiled to warehouse SQL.

    import segql
    schema = segql.load_schema("schema.yml")
    sql = segql.compile('country = "US"', schema=schema, dialect="postgres", on="contacts")

Stages: `segql.parse` → `segql.check` / `segql.to_ir` (typed IR) → `segql.to_sql_tree` (sqlglot tree)
→ `segql.render` (SQL). The layers and where each kind of change goes: docs/architecture.md.
"""
from segql import codecache

codecache.install()  # before any dataclass is defined (start-up time; see segql/codecache.py)

from segql.errors import SegqlError, UnsupportedError  # noqa: F401

__version__ = "0.1.0"


_API = ("load_schema", "parse_schema", "parse", "check", "to_ir", "to_sql_tree", "render", "compile", "Compiled",
        "select_definition", "load_segments", "Loaded", "find_schema", "counts", "counts_sql", "overlap", "explain",
        "refresh",
        "segments_for_record", "connect", "open_store", "init_schema", "init_files", "check_catalogue")  # segql.api.__all__ (a test keeps the two equal)


def __getattr__(name):  # lazily: `import segql` stays cheap for the CLI (start-up time)
    if name in _API:
        from segql import api

        return getattr(api, name)
    raise AttributeError(f"module 'segql' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API])


__all__ = ["SegqlError", "UnsupportedError", "__version__"]
