"""What every command shares: its common options and how it finds the schema and its input."""
from __future__ import annotations

from pathlib import Path

from segql.ops.load import find_schema  # noqa: F401 - commands find the schema through here


class UsageError(Exception):
    """A bad combination of command-line arguments: exit 2."""


DEFAULT_STORE = "sqlite:///segql.db"


def apply_config(args) -> None:
    """Fill `--schema`, `--db`, `--store` and `--dialect` the user did not give from the config file
    (`segql.toml` or `[tool.segql]` in pyproject.toml; see docs/store.md). Flags win."""
    from segql.ops.config import (  # lazy: only commands with these options read it
        KEYS,
        load_config,
    )

    wanted = [k for k in KEYS if hasattr(args, k) and getattr(args, k) is None]
    if wanted:
        config = load_config()
        for key in wanted:
            if key in config:
                setattr(args, key, config[key])
    if hasattr(args, "store") and args.store is None:
        args.store = DEFAULT_STORE
    if hasattr(args, "dialect") and args.dialect is None:
        args.dialect = "duckdb"


def add_store(p) -> None:
    p.add_argument("--store", help=f"the store of segments: sqlite:///path or postgresql://… (default: the "
                   f"config file's, else {DEFAULT_STORE})")
    p.add_argument("--organization", default="default", help="the tenant whose segments these are")


def add_common(p, *, formats=("text", "json")) -> None:
    p.add_argument("--schema", help="schema file (default: schema.yml beside the first file, then ./schema.yml)")
    p.add_argument("--format", choices=formats, default="text", help="output for people (text) or tools")


def add_engine(p, *, now: bool = True) -> None:
    p.add_argument("--db", help="duckdb:///path, postgresql://…, mysql://…, sqlite:///…, chdb://… "
                   "(default: embedded DuckDB over the schema's source files)")
    if now:
        p.add_argument("--now", help="pin relative times to this ISO time (default: when the SQL runs)")
    add_query_timeout(p)


def add_query_timeout(p) -> None:
    p.add_argument("--query-timeout", metavar="PERIOD",
                   help="stop any warehouse statement running longer than this (30s, 10m, 1h): error E0606, "
                        "and a refresh it stops changes nothing; default: no limit")


def query_timeout(args) -> float | None:
    """`--query-timeout` in seconds (None: no limit); a bad period is a usage error (E0004, exit 2)."""
    text = getattr(args, "query_timeout", None)
    if not text:
        return None
    from segql.ops.service.scheduler import parse_period  # lazy: start-up time

    return parse_period(text, "--query-timeout")


def add_input(p) -> None:
    """FILE or `-e EXPR --on ENTITY`, and which segment."""
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("-e", "--expr", help="use this condition instead of a file (needs --on)")
    p.add_argument("--on", help="entity of a bare condition")
    p.add_argument("--segment", help="which segment, when the file defines several")


def check_input_args(args) -> None:
    if args.expr is not None and args.file:
        raise UsageError("give either FILE or -e EXPR, not both")
    if args.expr is not None and not args.on:
        raise UsageError("-e EXPR needs --on ENTITY")
    if args.expr is None and not args.file:
        raise UsageError("give a FILE or -e EXPR --on ENTITY")


def load_input(args, schema):
    """The document a compile/run command works on: FILE or `-e EXPR --on ENTITY` (checked by
    `check_input_args` before the schema is looked for)."""
    from segql.frontends.source import load_file, parse_source

    if args.expr is not None:
        return parse_source(args.expr, path="<expr>", on=args.on, schema=schema)
    return load_file(args.file, on=args.on, schema=schema)


def paths(files) -> list[Path]:
    """FILE arguments as paths: the API reads a string that does not end in .segql/.json as segment
    text, but on the command line every FILE is a file."""
    return [Path(f) for f in files]


def input_schema(args):
    check_input_args(args)
    return find_schema(args.schema, [args.file] if args.file else [])
