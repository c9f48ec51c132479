"""`segql compile FILE --dialect D [--select keys|count] [--params STYLE] [--emit ast|ir|sql]`."""
from __future__ import annotations

import json

from segql.cli.common import add_common, add_input, input_schema, load_input
from segql.cli.output import dump_json, jsonable, to_json


def add(sub) -> None:
    p = sub.add_parser("compile", help="compile a segment to one SQL statement",
                       description="Compile one segment to one SQL statement for a dialect.")
    add_input(p)
    p.add_argument("--dialect", help="target dialect (default: the config file's, else duckdb)")
    p.add_argument("--select", choices=("keys", "count"), default="keys", help="member keys or their count")
    p.add_argument("--now", help="pin relative times to this ISO time (default: evaluated when the SQL runs)")
    p.add_argument("--params", choices=("qmark", "numeric", "named", "pyformat"),
                   help="emit bind parameters in this style instead of inline values")
    p.add_argument("--emit", choices=("ast", "ir", "sql"), default="sql", help="which stage to print")
    p.add_argument("--compact", action="store_true", help="SQL on one line")
    add_common(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql import ir  # lazy: start-up time (sqlglot)
    from segql.lower.dialects import get_ops
    from segql.ops.compile import (
        Compiled,
        render,
        select_definition,
        to_ir,
        to_sql_tree,
    )
    from segql.syntax import ast

    schema = input_schema(args)
    args.dialect = get_ops(args.dialect).name  # E0500 for an unknown one; `postgresql` is postgres
    doc = load_input(args, schema)
    if args.emit == "ast":
        print(json.dumps(ast.to_dict(select_definition(doc, args.segment)), ensure_ascii=False, indent=2,
                         default=str))
        return 0
    segment = to_ir(doc, schema, segment=args.segment)
    if args.emit == "ir":
        dump_json(ir.to_dict(segment))
        return 0
    tree = to_sql_tree(segment, schema, args.dialect, now=args.now, select=args.select)
    result = render(tree, args.dialect, pretty=not args.compact, params=args.params)
    if args.format == "json":
        payload = {"dialect": args.dialect, "segment": segment.slug, "entity": segment.entity}
        if isinstance(result, Compiled):
            payload.update(sql=result.sql, params=jsonable(result.params))
        else:
            payload["sql"] = result
        dump_json(payload)
        return 0
    if isinstance(result, Compiled):
        print(result.sql)
        print(f"-- params: {to_json(jsonable(result.params), indent=None)}")
    else:
        print(result)
    return 0
