"""`segql schema init|check`: a schema from the database's catalogue (or a folder of Parquet/CSV files),
and a schema checked against the live catalogue (SPEC §5.2; docs/schema.md "From the database")."""
from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

from segql.cli.common import UsageError, add_common, find_schema
from segql.cli.output import emit_errors, plural


def add(sub) -> None:
    p = sub.add_parser("schema", help="write a schema from the database, or check one against it",
                       description="Work with the schema file against the database it describes.")
    inner = p.add_subparsers(dest="schema_command", metavar="ACTION", required=True)

    init = inner.add_parser("init", help="write a schema from the database's catalogue (or from files)",
                            description="Write a schema from the catalogue: an entity per table, keys from "
                            "primary keys, types mapped, relationships from foreign keys in both directions. "
                            "Guesses and columns segql cannot read are marked with YAML comments.")
    src = init.add_mutually_exclusive_group()
    src.add_argument("--db", metavar="URL", help="duckdb:///path, postgresql://…, mysql://…, sqlite:///… (default: the config file's)")
    src.add_argument("--files", metavar="DIR", help="a folder of .parquet/.csv files: each file an entity with `source:`")
    init.add_argument("--tables", help="only these tables, or files by name without suffix (comma-separated)")
    init.add_argument("-o", "--output", metavar="FILE", help="write the schema here (default: standard output)")
    init.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    init.add_argument("--format", choices=("text", "json"), default="text",
                      help="diagnostics for people (text) or tools (json); the schema is YAML either way")
    init.set_defaults(handler=run_init)

    check = inner.add_parser("check", help="check the schema against the database's catalogue",
                             description="Report every entity whose table, and every property whose column, "
                             "is missing from the database or has a type the property cannot read. Without "
                             "--db, the schema's `source:` files are checked.")
    check.add_argument("--db", metavar="URL", help="duckdb:///path, postgresql://…, mysql://…, sqlite:///… (default: the config "
                       "file's, else the schema's source files)")
    add_common(check)
    check.set_defaults(handler=run_check)


def run_init(args) -> int:
    from segql.engines import connect  # lazy: start-up time
    from segql.ops.introspect import init_files, init_schema

    out = Path(args.output) if args.output else None
    if out is not None and out.exists() and not args.force:
        raise UsageError(f"{out} exists; pass --force to overwrite it")
    tables = [t.strip() for t in args.tables.split(",") if t.strip()] if args.tables else None
    if args.files:
        generated = init_files(args.files, tables, out_dir=str(out.parent) if out else ".")
    elif args.db:
        with connect(args.db) as engine:
            generated = init_schema(engine, tables, origin=_shown(args.db))
    else:
        raise UsageError("give --db URL or --files DIR")
    if out is None:
        sys.stdout.write(generated.text)
    else:
        out.write_text(generated.text, "utf-8")
    print(f"{'wrote ' + str(out) if out else 'schema'}: {_entities(generated.entities)}, "
          f"{plural(generated.relationships, 'relationship')}, {generated.unmapped} column(s) not mapped, "
          f"{generated.guessed} guess(es) to review", file=sys.stderr)
    return 0


def run_check(args) -> int:
    from segql.ops.introspect import check_catalogue  # lazy: start-up time
    from segql.ops.run import open_engine

    schema = find_schema(args.schema, [])
    checked = [e for e in schema.entities.values() if args.db or e.source]
    if not checked:
        raise UsageError("give --db URL: the schema has no `source:` files to check without it")
    with open_engine(args.db, schema) as engine:
        errors = check_catalogue(schema, engine, sources_only=not args.db)
    emit_errors(errors, args.format)
    if args.format != "json" and not errors:
        print(f"ok: {_entities(len(checked))} match the catalogue"
              + ("" if len(checked) == len(schema.entities) else " (entities without `source:` need --db)"))
    return 1 if errors else 0


def _shown(url: str) -> str:
    """The URL without its password, for the schema's header comment."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":…@", 1)
    return url


def _entities(n: int) -> str:
    return f"{n} entit{'y' if n == 1 else 'ies'}"
