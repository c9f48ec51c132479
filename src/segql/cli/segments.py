"""`segql segments create|list|get|update|delete|refresh|export|import --store URL [--db URL]`: the store
of segments (SPEC §6), a thin layer over the SDK (`segql.open_store`)."""
from __future__ import annotations

import json
import sys

from segql.cli.common import UsageError, add_common, add_query_timeout, add_store, find_schema, query_timeout
from segql.cli.output import dump_json, plural, table
from segql.errors import SegqlError

ACTIONS = ("create", "list", "get", "update", "delete", "refresh", "export", "import")


def add(sub) -> None:
    p = sub.add_parser("segments", help="stored segments: create, list, get, update, delete, refresh, export, "
                       "import", description="Segments as things, kept in a store segql owns (SQLite or "
                       "PostgreSQL). See docs/store.md.")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("ids", nargs="*", metavar="ID", help="segment ids or slugs (get, update, delete, refresh); "
                   "a file for import (- for stdin)")
    add_store(p)
    p.add_argument("--db", help="the warehouse (default: embedded DuckDB over the schema's source files; "
                   "membership then lives in the store)")
    add_query_timeout(p)
    p.add_argument("--name", help="create/update: the name (1–100 characters)")
    p.add_argument("--description", help="create/update: the description (at most 500 characters)")
    p.add_argument("--slug", help="create/update: the slug (default: from the name)")
    p.add_argument("--criteria", help="create/update: the segment as segql text or JSON text")
    p.add_argument("--conditions", help="create/update: a MongoDB-style filter, rule list or react-querybuilder "
                   "query (JSON)")
    p.add_argument("--type", dest="object_type", help="create/update/list: the entity (name or alias)")
    p.add_argument("--static", action="store_true", help="create: a static segment (members managed by hand)")
    p.add_argument("--expected-version", type=int, help="update: refuse unless the stored version is this")
    p.add_argument("--dynamic", choices=("true", "false"), help="list: only dynamic or only static segments")
    p.add_argument("-q", "--query", help="list: text in the name, slug or description")
    p.add_argument("--sort", help="list: e.g. --sort=-member_count (descending) or --sort name")
    p.add_argument("--limit", type=int, help="list: at most N")
    p.add_argument("--now", help="refresh: the refresh time (ISO; default: now)")
    p.add_argument("--force", action="store_true", help="refresh: even if --now is before the last refresh")
    p.add_argument("-o", "--output", help="export: write to this file instead of stdout")
    add_common(p)
    p.set_defaults(handler=run)


def _json_arg(text: str, what: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SegqlError("E0150", f"{what} is not valid JSON: {err.msg}") from None


def _show(seg, fmt: str) -> None:
    if fmt == "json":
        dump_json(seg.to_dict())
        return
    print(f"{seg.id}  {seg.slug}  ({seg.object_type}, {'dynamic' if seg.is_dynamic else 'static'}, "
          f"version {seg.version})")
    print(f"  name: {seg.name}")
    if seg.description:
        print(f"  description: {seg.description}")
    if seg.criteria:
        print("  criteria: " + seg.criteria.rstrip("\n").replace("\n", "\n            "))
    count = "not refreshed yet" if seg.member_count is None else f"{seg.member_count} (at {seg.member_count_at})"
    print(f"  members: {count}")


def run(args) -> int:
    from segql.ops.store import open_store  # lazy: start-up time

    needs_ids = args.action in ("get", "update", "delete", "refresh", "import")
    if needs_ids and not args.ids:
        raise UsageError(f"`segql segments {args.action}` needs {'a FILE' if args.action == 'import' else 'an ID'}")
    if not needs_ids and args.ids:
        raise UsageError(f"`segql segments {args.action}` takes no ID")
    schema = find_schema(args.schema, [])
    segments = open_store(args.store, schema=schema, db=args.db, query_timeout=query_timeout(args))
    org = args.organization
    try:
        return _run(segments, args, org)
    finally:
        segments.close()


def _run(segments, args, org) -> int:
    if args.action == "create":
        seg = segments.create(name=args.name, criteria=args.criteria,
                              conditions=None if args.conditions is None else _json_arg(args.conditions,
                                                                                        "--conditions"),
                              object_type=args.object_type, description=args.description, slug=args.slug,
                              is_dynamic=not args.static, organization=org)
        _show(seg, args.format)
    elif args.action == "list":
        found = segments.find(is_dynamic=None if args.dynamic is None else args.dynamic == "true",
                              object_type=args.object_type, q=args.query, sort=args.sort, limit=args.limit,
                              organization=org)
        if args.format == "json":
            dump_json([s.to_dict() for s in found])
        else:
            table(["id", "slug", "type", "kind", "members", "name"],
                  [[s.id, s.slug, s.object_type, "dynamic" if s.is_dynamic else "static",
                    "" if s.member_count is None else s.member_count, s.name] for s in found], right={4})
    elif args.action == "get":
        for i in args.ids:
            _show(segments.get(i, organization=org), args.format)
    elif args.action == "update":
        fields = {k: v for k, v in (("name", args.name), ("description", args.description), ("slug", args.slug),
                                    ("criteria", args.criteria), ("object_type", args.object_type)) if v is not None}
        if args.conditions is not None:
            fields["conditions"] = _json_arg(args.conditions, "--conditions")
        if not fields:
            raise UsageError("nothing to update: pass --name, --description, --slug, --criteria, --conditions "
                             "or --type")
        for i in args.ids:
            _show(segments.update(i, expected_version=args.expected_version, organization=org, **fields),
                  args.format)
    elif args.action == "delete":
        gone = [segments.delete(i, organization=org) for i in args.ids]
        if args.format == "json":
            dump_json([{"id": s.id, "slug": s.slug, "deleted": True} for s in gone])
        else:
            for s in gone:
                print(f"deleted {s.slug} ({s.id})")
    elif args.action == "refresh":
        rows = []
        for i in args.ids:
            seg = segments.get(i, organization=org)
            change = segments.refresh(seg.id, now=args.now, force=args.force, organization=org)
            rows.append({"id": seg.id, "slug": seg.slug, **change.to_dict()})
        if args.format == "json":
            dump_json(rows)
        else:
            table(["segment", "members", "entered", "left", "refreshed at"],
                  [[r["slug"], r["member_count"], r["entered"], r["left"],
                    "static: not refreshed" if r["noop"] else r["refreshed_at"]] for r in rows], right={1, 2, 3})
    elif args.action == "export":
        text = json.dumps(segments.export(organization=org), ensure_ascii=False, indent=2) + "\n"
        if args.output:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"exported to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    elif args.action == "import":
        from segql.frontends.source import load_json, read_text  # lazy: start-up time

        if len(args.ids) != 1:
            raise UsageError("`segql segments import` takes one FILE")
        path = args.ids[0]
        text = sys.stdin.read() if path == "-" else read_text(path)
        items = load_json(text, None if path == "-" else path)
        done = segments.import_(items, organization=org)
        if args.format == "json":
            dump_json([s.to_dict() for s in done])
        else:
            print(f"imported {plural(len(done), 'segment')}: {', '.join(s.slug for s in done)}")
    return 0
