"""`segql check FILE... [--strict] [--db URL]`: parse and validate, with lint warnings; with `--db`, also
the schema against the live catalogue (SPEC §5.2)."""
from __future__ import annotations

from segql.cli.common import add_common, find_schema, paths
from segql.cli.output import emit_errors, plural


def add(sub) -> None:
    p = sub.add_parser("check", help="parse and validate segment files (exit 0 when all are valid)",
                       description="Parse every segment in FILE(s) and check it against the schema; "
                       "print precise diagnostics for each problem.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--strict", action="store_true", help="treat lint warnings as errors")
    # not `dest="db"`: the config file's `db` must not make every check contact the warehouse
    p.add_argument("--db", dest="catalogue_db", metavar="URL",
                   help="also check the schema against this database's catalogue: tables, columns, types")
    add_common(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.load import check_files  # lazy: start-up time (lark, sqlglot)

    schema = find_schema(args.schema, args.files)
    result = check_files(paths(args.files), schema)
    errors = list(result.errors)
    if args.catalogue_db:
        from segql.engines import connect  # lazy: drivers load only with --db
        from segql.ops.introspect import check_catalogue

        with connect(args.catalogue_db) as engine:
            errors[:0] = check_catalogue(schema, engine)
    emit_errors(errors, args.format, warnings=result.warnings)
    if args.format != "json" and not errors:
        print(f"ok: {plural(result.checked, 'definition')} in {plural(len(args.files), 'file')}"
              + (", the schema matches the catalogue" if args.catalogue_db else "")
              + (f", {len(result.warnings)} warning(s)" if result.warnings else ""))
    return 1 if errors or (args.strict and result.warnings) else 0
