"""segql: segments — dynamic groups of records defined by conditions — compiled to warehouse SQL.

    import segql
    schema = segql.load_schema("schema.yml")
    sql = segql.compile('country = "US"', schema=schema, dialect="postgres", on="contacts")

Stages (each a function in `segql.api`): parse → check (typed IR) → lower (sqlglot tree) → render.
"""
from .errors import SegqlError, UnsupportedError  # noqa: F401

__version__ = "0.1.0"

_API = ("load_schema", "parse_schema", "compile", "check", "parse", "to_ir", "to_sql_tree", "render", "Compiled",
        "select_definition")


def __getattr__(name):  # imported lazily: `import segql` stays cheap for the CLI
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(name)


__all__ = ["SegqlError", "UnsupportedError", *_API]
