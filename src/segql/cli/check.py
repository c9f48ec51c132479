"""`segql check FILE... [--strict]`: parse and validate, with lint warnings."""
from __future__ import annotations

from segql.cli.common import add_common, find_schema, paths
from segql.cli.output import emit_errors, plural


def add(sub) -> None:
    p = sub.add_parser("check", help="parse and validate segment files (exit 0 when all are valid)",
                       description="Parse every segment in FILE(s) and check it against the schema; "
                       "print precise diagnostics for each problem.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--strict", action="store_true", help="treat lint warnings as errors")
    add_common(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.load import check_files  # lazy: start-up time (lark, sqlglot)

    schema = find_schema(args.schema, args.files)
    result = check_files(paths(args.files), schema)
    emit_errors(result.errors, args.format, warnings=result.warnings)
    if args.format != "json" and not result.errors:
        print(f"ok: {plural(result.checked, 'definition')} in {plural(len(args.files), 'file')}"
              + (f", {len(result.warnings)} warning(s)" if result.warnings else ""))
    return 1 if result.errors or (args.strict and result.warnings) else 0
