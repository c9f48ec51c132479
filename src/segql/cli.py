"""The `segql` command line (SPEC §3).

Exit codes: 0 success; 1 the input is invalid (diagnostics on stderr); 2 bad command-line usage.
No Python traceback reaches a user for bad input, a bad schema, a missing driver or a refused
connection (set SEGQL_DEBUG=1 to see one for a genuine internal error).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import SegqlError

USAGE_CODES = {"E0003", "E0004"}  # choices a user must make on the command line: exit 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: exit 2, no traceback
        self.print_usage(sys.stderr)
        print(f"segql: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _common(p, *, formats=("text", "json")):
    p.add_argument("--schema", help="schema file (default: schema.yml beside the first file, then ./schema.yml)")
    p.add_argument("--format", choices=formats, default="text", help="output for people (text) or tools")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="segql", description="Segments — dynamic groups of records defined by conditions — "
                     "checked against a schema and compiled to SQL for your warehouse.")
    parser.add_argument("--version", action="version", version=f"segql {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("check", help="parse and validate segment files (exit 0 when all are valid)",
                       description="Parse every segment in FILE(s) and check it against the schema; "
                       "print precise diagnostics for each problem.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--strict", action="store_true", help="treat lint warnings as errors")
    _common(p)

    p = sub.add_parser("fmt", help="rewrite segment files in canonical form, or convert between forms",
                       description="Rewrite .segql files in canonical form (in place), check that they are "
                       "(--check), or print any input as canonical text or MongoDB JSON (--to).")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--check", action="store_true", help="only report files that are not canonical (exit 1)")
    p.add_argument("--to", choices=("text", "mongo"), help="print the input converted to this form on stdout")
    p.add_argument("--stdout", action="store_true", help="print the canonical text instead of rewriting files")
    p.add_argument("--on", help="entity of a bare condition or bare MongoDB filter")
    _common(p)

    p = sub.add_parser("compile", help="compile a segment to one SQL statement",
                       description="Compile one segment to one SQL statement for a dialect.")
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("-e", "--expr", help="compile this condition instead of a file (needs --on)")
    p.add_argument("--on", help="entity of a bare condition")
    p.add_argument("--segment", help="which segment, when the file defines several")
    p.add_argument("--dialect", default="duckdb", help="target dialect (default: duckdb)")
    p.add_argument("--select", choices=("keys", "count"), default="keys", help="member keys or their count")
    p.add_argument("--now", help="pin relative times to this ISO time (default: evaluated when the SQL runs)")
    p.add_argument("--params", choices=("qmark", "numeric", "named", "pyformat"),
                   help="emit bind parameters in this style instead of inline values")
    p.add_argument("--emit", choices=("ast", "ir", "sql"), default="sql", help="which stage to print")
    p.add_argument("--compact", action="store_true", help="SQL on one line")
    _common(p)

    p = sub.add_parser("run", help="run a segment and list its members",
                       description="Run a segment on a database (default: embedded DuckDB over the schema's "
                       "source files) and list its members ordered by key.")
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("-e", "--expr", help="run this condition instead of a file (needs --on)")
    p.add_argument("--on", help="entity of a bare condition")
    p.add_argument("--segment", help="which segment, when the file defines several")
    p.add_argument("--db", help="duckdb:///path, postgresql://…, mysql://…, sqlite:///…, chdb://…")
    p.add_argument("--count", action="store_true", help="print only the number of members")
    p.add_argument("--limit", type=int, help="at most N members")
    p.add_argument("--columns", help="extra properties to show, comma-separated")
    p.add_argument("--now", help="pin relative times to this ISO time")
    _common(p, formats=("text", "json", "csv"))

    from . import operations

    operations.add_commands(sub, _common)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


# ---- helpers ------------------------------------------------------------------------------------
def find_schema(explicit: str | None, files: list[str]):
    from .schema import load_schema

    if explicit:
        return load_schema(explicit)
    candidates = []
    if files:  # beside the first file, then its parent folders (a project keeps segments in a subfolder)
        folder = Path(files[0]).resolve().parent
        candidates.extend(p / "schema.yml" for p in (folder, *folder.parents))
    candidates.append(Path.cwd() / "schema.yml")
    for c in candidates:
        if c.exists():
            return load_schema(str(c))
    raise SegqlError("E0200", "no schema.yml found beside the file or in the current directory",
                     hints=["pass --schema PATH"])


def load_input(args, schema):
    """The document a compile/run command works on: FILE or `-e EXPR --on ENTITY` (checked by
    `_check_input_args` before the schema is looked for)."""
    from .workspace import load_file, parse_source

    if args.expr is not None:
        return parse_source(args.expr, path="<expr>", on=args.on, schema=schema)
    return load_file(args.file, on=args.on, schema=schema)


def emit_errors(errors, fmt: str, *, warnings=()) -> None:
    from . import diagnostics

    if fmt == "json":
        items = [diagnostics.to_json(e) for e in errors] + [diagnostics.to_json(w, severity="warning")
                                                            for w in warnings]
        print(diagnostics.dumps(items))
        return
    for w in warnings:
        print(diagnostics.render(w, severity="warning"), file=sys.stderr)
    for e in errors:
        print(diagnostics.render(e), file=sys.stderr)


# ---- commands -----------------------------------------------------------------------------------
def cmd_check(args) -> int:
    from .lint import lint_segment
    from .semantic.checker import Checker, check_policy
    from .workspace import library_for, load_file

    schema = find_schema(args.schema, args.files)
    errors, warnings, docs, checked = [], [], [], 0
    for path in args.files:
        try:
            docs.append(load_file(path, schema=schema))
        except SegqlError as err:
            errors.append(err)
    library = library_for(docs, schema)
    checker = Checker(schema, library)
    for doc in docs:
        for d in doc.definitions:
            try:
                check_policy(d, schema, library)
                seg = checker.check_definition(d)
                checked += 1
                for w in lint_segment(d, seg, schema):
                    w.path, w.source = w.path or doc.path, w.source or doc.source
                    warnings.append(w)
            except SegqlError as err:
                if err.path is None:
                    err.path, err.source = doc.path, doc.source
                errors.append(err)
    if args.format == "json":
        emit_errors(errors, "json", warnings=warnings)
    else:
        emit_errors(errors, "text", warnings=warnings)
        if not errors:
            print(f"ok: {checked} definition{'s' if checked != 1 else ''} in {len(args.files)} "
                  f"file{'s' if len(args.files) != 1 else ''}" + (f", {len(warnings)} warning(s)" if warnings else ""))
    return 1 if errors or (args.strict and warnings) else 0


def cmd_fmt(args) -> int:
    from .fmt import format_text
    from .workspace import is_json_text, load_file, read_text

    schema = None
    needs_schema = args.to == "mongo" or any(not f.endswith(".segql") for f in args.files)
    if needs_schema:
        schema = find_schema(args.schema, args.files)
    changed, outputs = [], []
    for path in args.files:
        text = read_text(path)
        if args.to == "mongo":
            import json

            from .frontends.to_mongo import definition_to_mongo

            doc = load_file(path, on=args.on, schema=schema)
            try:
                docs = [definition_to_mongo(d, schema) for d in doc.definitions]
            except SegqlError as err:
                err.path, err.source = err.path or path, err.source or doc.source
                raise
            outputs.append(json.dumps(docs[0] if len(docs) == 1 else docs, ensure_ascii=False, indent=2))
            continue
        if args.to == "text" or is_json_text(text):
            from .syntax.printer import format_document

            if is_json_text(text):
                outputs.append(format_document(load_file(path, on=args.on, schema=schema)).rstrip("\n"))
            else:
                outputs.append(format_text(text, path).rstrip("\n"))
            continue
        canonical = format_text(text, path)
        if args.stdout:
            outputs.append(canonical.rstrip("\n"))
        elif canonical != text:
            changed.append(path)
            if not args.check:
                Path(path).write_text(canonical, "utf-8")
    for out in outputs:
        print(out)
    if args.check:
        for path in changed:
            print(f"would reformat {path}", file=sys.stderr)
        return 1 if changed else 0
    for path in changed:
        print(f"reformatted {path}", file=sys.stderr)
    return 0


def _check_input_args(args):
    if args.expr is not None and args.file:
        raise UsageError("give either FILE or -e EXPR, not both")
    if args.expr is not None and not args.on:
        raise UsageError("-e EXPR needs --on ENTITY")
    if args.expr is None and not args.file:
        raise UsageError("give a FILE or -e EXPR --on ENTITY")


def cmd_compile(args) -> int:
    import json

    from . import api, ir
    from .lower.dialects import get_ops

    _check_input_args(args)
    schema = find_schema(args.schema, [args.file] if args.file else [])
    get_ops(args.dialect)
    doc = load_input(args, schema)
    if args.emit == "ast":
        definition = api.select_definition(doc, args.segment)
        print(json.dumps(_ast_json(definition), ensure_ascii=False, indent=2, default=str))
        return 0
    segment = api.to_ir(doc, schema, segment=args.segment)
    if args.emit == "ir":
        print(json.dumps(ir.to_dict(segment), ensure_ascii=False, indent=2))
        return 0
    tree = api.lower(segment, schema, args.dialect, now=args.now, select=args.select)
    result = api.render(tree, args.dialect, pretty=not args.compact, params=args.params)
    if args.format == "json":
        payload = {"dialect": args.dialect, "segment": segment.slug, "entity": segment.entity}
        if isinstance(result, api.Compiled):
            payload.update(sql=result.sql, params=_jsonable(result.params))
        else:
            payload["sql"] = result
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    if isinstance(result, api.Compiled):
        print(result.sql)
        print(f"-- params: {json.dumps(_jsonable(result.params), ensure_ascii=False)}")
    else:
        print(result)
    return 0


def _jsonable(params):
    from decimal import Decimal

    conv = lambda v: float(v) if isinstance(v, Decimal) else v  # noqa: E731
    if isinstance(params, dict):
        return {k: conv(v) for k, v in params.items()}
    return [conv(v) for v in params]


def _ast_json(node):
    import dataclasses

    from .syntax import ast

    if isinstance(node, ast.Node) and dataclasses.is_dataclass(node):
        out = {"node": type(node).__name__}
        for f in dataclasses.fields(node):
            if f.name.endswith("span") or f.name.endswith("spans"):
                continue
            out[f.name] = _ast_json(getattr(node, f.name))
        return out
    if isinstance(node, tuple):
        return [_ast_json(v) for v in node]
    if hasattr(node, "isoformat"):
        return node.isoformat()
    return node


def cmd_run(args) -> int:
    from .run import run_command

    _check_input_args(args)
    return run_command(args, find_schema, load_input)


COMMANDS = {"check": cmd_check, "fmt": cmd_fmt, "compile": cmd_compile, "run": cmd_run}


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    handler = COMMANDS.get(args.command) or getattr(args, "handler", None)
    try:
        code = handler(args)
    except UsageError as err:
        print(f"segql {args.command}: error: {err}", file=sys.stderr)
        return 2
    except SegqlError as err:
        errors = getattr(err, "errors", [err])
        emit_errors(errors, getattr(args, "format", "text") if getattr(args, "format", "text") == "json" else "text")
        return 2 if err.code in USAGE_CODES else 1
    except KeyboardInterrupt:
        print("segql: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except RecursionError:
        print("segql: error[E0113]: the input nests too deeply to process", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - a bug in segql, not bad input: say so, briefly
        if os.environ.get("SEGQL_DEBUG"):
            raise
        print(f"segql: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        print("  = hint: this is a bug in segql; rerun with SEGQL_DEBUG=1 for details and report it",
              file=sys.stderr)
        return 3
    sys.stdout.flush()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
