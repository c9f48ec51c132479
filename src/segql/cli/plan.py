"""`segql plan FILE... --store URL [--db URL] [--format text|json|github]`: what applying segment files
would change in the store, and who would enter and leave (SPEC §6.4)."""
from __future__ import annotations

import json
import sys

from segql.cli.common import add_common, add_query_timeout, add_store, find_schema, query_timeout
from segql.cli.output import plain

MARK = {"create": "+", "change": "~", "delete": "-", "unchanged": "="}


def add(sub) -> None:
    p = sub.add_parser("plan", help="what applying segment files would change, and who would enter and leave",
                       description="Compare segment files with the store: segments created, changed (a diff), "
                       "deleted (stored segments of the organization whose slug is in no file), and for each "
                       "who would enter and leave if applied now. See docs/store.md.")
    add_arguments(p)
    add_common(p, formats=("text", "json", "github"))
    p.set_defaults(handler=run)


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE")
    add_store(p)
    p.add_argument("--db", help="the warehouse the members are computed on (default: embedded DuckDB over the "
                   "schema's source files)")
    p.add_argument("--now", help="evaluate old and new segments at this ISO time (default: now)")
    add_query_timeout(p)


def open_for(args):
    from segql.ops.store import open_store  # lazy: start-up time

    schema = find_schema(args.schema, args.files)
    return open_store(args.store, schema=schema, db=args.db, query_timeout=query_timeout(args))


def run(args) -> int:
    from segql.ops.store.plan import plan  # lazy: start-up time

    segments = open_for(args)
    try:
        actions = plan(segments, args.files, organization=args.organization, now=args.now)
        at = _at(segments, args.now)
    finally:
        segments.close()
    report(actions, args, at)
    return 0


def _at(segments, now) -> str:
    from segql.ops.store.plan import stamp

    return stamp(now, segments.schema.timezone)


def _keys(keys) -> str:
    return ", ".join(str(plain(k)) for k in keys)


def _effect(a) -> str:
    parts = []
    if a.entered:
        parts.append(f"{a.entered} would enter (e.g. {_keys(a.entered_keys)})")
    if a.left:
        parts.append(f"{a.left} would leave (e.g. {_keys(a.left_keys)})")
    return "; ".join(parts) or "no member would enter or leave"


def _cause(c) -> str:
    what = {"added": "added", "removed": "removed", "redefined": "referenced segment changed"}[c["change"]]
    moves = [f"{c['entered']} enter" if c["entered"] else "", f"{c['left']} leave" if c["left"] else ""]
    return f"{' and '.join(m for m in moves if m)} because of {what}: {c['condition']}"


def report(actions, args, at: str, verb: str = "would") -> None:
    from segql.ops.store.plan import summary

    counts = summary(actions)
    if args.format == "json":
        print(json.dumps({"store": args.store, "organization": args.organization, "at": at,
                          "summary": counts, "changes": [a.to_dict() for a in actions]},
                         ensure_ascii=False, indent=2, default=plain))
        return
    if args.format == "github":
        for a in actions:
            if a.action == "unchanged":
                continue
            message = f"{a.action} segment {a.slug} ({a.object_type}): {_effect(a)}"
            if a.causes:
                message += "\n" + "\n".join(_cause(c) for c in a.causes)
            if a.diff:
                message += "\n" + "\n".join(a.diff)
            props = f"file={_prop(a.path)},line={a.line}," if a.path else ""
            print(f"::notice {props}title={_prop('segql plan: ' + a.action + ' ' + a.slug)}::{_data(message)}")
        print(f"::notice title=segql plan::{_data(_summary_line(counts))}")
        return
    out = sys.stdout
    out.write(f"Plan for organization {args.organization!r} in {args.store}, members as of {at}:\n")
    for a in actions:
        if a.action == "unchanged":
            continue
        where = f"  ({a.path}:{a.line})" if a.path else ""
        out.write(f"\n{MARK[a.action]} {a.action} {a.slug} ({a.object_type}){where}\n")
        for line in a.diff:
            out.write(f"    {line}\n")
        out.write(f"    {_effect(a).replace('would', verb)}\n")
        for c in a.causes:
            out.write(f"      {_cause(c)}\n")
    out.write(f"\n{_summary_line(counts)}\n")


def _summary_line(counts) -> str:
    return (f"Plan: {counts['create']} to create, {counts['change']} to change, {counts['delete']} to delete, "
            f"{counts['unchanged']} unchanged.")


def _data(text: str) -> str:
    """A workflow command's message: %, CR and LF escaped (GitHub's rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(str(text)).replace(":", "%3A").replace(",", "%2C")
