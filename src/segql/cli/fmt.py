"""`segql fmt FILE... [--check] [--stdout] [--to text|mongo]`: canonical form; conversion between forms."""
from __future__ import annotations

import sys
from pathlib import Path

from segql.cli.common import add_common, find_schema
from segql.errors import SegqlError


def add(sub) -> None:
    p = sub.add_parser("fmt", help="rewrite segment files in canonical form, or convert between forms",
                       description="Rewrite .segql files in canonical form (in place), check that they are "
                       "(--check), or print any input as canonical text or MongoDB JSON (--to).")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--check", action="store_true", help="only report files that are not canonical (exit 1)")
    p.add_argument("--to", choices=("text", "mongo"), help="print the input converted to this form on stdout")
    p.add_argument("--stdout", action="store_true", help="print the canonical text instead of rewriting files")
    p.add_argument("--on", help="entity of a bare condition or bare MongoDB filter")
    add_common(p)
    p.set_defaults(handler=run)


def _to_mongo(path, args, schema) -> str:
    import json

    from segql.frontends.source import load_file
    from segql.targets.mongo import definition_to_mongo

    doc = load_file(path, on=args.on, schema=schema)
    try:
        docs = [definition_to_mongo(d, schema) for d in doc.definitions]
    except SegqlError as err:
        err.path, err.source = err.path or path, err.source or doc.source
        raise
    return json.dumps(docs[0] if len(docs) == 1 else docs, ensure_ascii=False, indent=2)


def run(args) -> int:
    from segql.frontends.source import (  # lazy: start-up time
        is_json_text,
        load_file,
        read_text,
    )
    from segql.syntax.format import format_text
    from segql.syntax.printer import format_document

    schema = None
    if args.to == "mongo" or any(not f.endswith(".segql") for f in args.files):
        schema = find_schema(args.schema, args.files)
    changed, outputs = [], []
    for path in args.files:
        text = read_text(path)
        if args.to == "mongo":
            outputs.append(_to_mongo(path, args, schema))
        elif is_json_text(text):
            outputs.append(format_document(load_file(path, on=args.on, schema=schema)).rstrip("\n"))
        elif args.to == "text" or args.stdout:
            outputs.append(format_text(text, path).rstrip("\n"))
        else:
            canonical = format_text(text, path)
            if canonical != text:
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
