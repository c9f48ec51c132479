"""`segql list add|remove|show LIST [KEY...] --db URL`: static list members."""
from __future__ import annotations

import json
import sys

from segql.cli.common import add_common, find_schema
from segql.cli.output import plain, plural, to_json
from segql.errors import SegqlError


def add(sub) -> None:
    p = sub.add_parser("list", help="manage static lists: add, remove, show members",
                       description="Add keys to, remove keys from, or show the members of a static list in the "
                       "schema's `lists:` table.")
    p.add_argument("action", choices=("add", "remove", "show"))
    p.add_argument("list", metavar="LIST", help="the list's slug")
    p.add_argument("keys", nargs="*", metavar="KEY", help="member keys (add, remove)")
    p.add_argument("--on", help="entity of the members (default: the one entity, or the common key type)")
    p.add_argument("--db", help="the database holding the lists table (required for add and remove)")
    add_common(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.lists import (  # lazy: start-up time
        change_list,
        convert_keys,
        key_type,
        list_members,
        require_lists,
    )
    from segql.ops.run import open_engine

    schema = find_schema(args.schema, [])
    lists = require_lists(schema)
    if args.action == "show":
        if args.keys:
            raise SegqlError("E0004", "`segql list show LIST` takes no keys")
        with open_engine(args.db, schema) as engine:
            members = list_members(engine, schema, args.list)
        if args.format == "json":
            print(to_json({"list": args.list, "members": [plain(m) for m in members]}, indent=None))
        else:
            for m in members:
                print(m)
            print(f"({plural(len(members), 'member')})", file=sys.stderr)
        return 0
    if not args.keys:
        raise SegqlError("E0004", f"`segql list {args.action}` needs at least one KEY")
    if args.db is None:
        raise SegqlError("E0702", f"cannot {args.action} list members without --db: the embedded default reads "
                         f"the lists table from its source file ({lists.source or 'a file'}), read-only",
                         hints=["pass --db with the database that holds the lists table"])
    convert_keys(args.keys, key_type(schema, args.on)[0])  # bad keys are reported before connecting
    with open_engine(args.db, schema) as engine:
        result = change_list(engine, schema, args.list, args.action, args.keys, on=args.on)
    verb = "added" if args.action == "add" else "removed"
    changed, unchanged, missing = result["changed"], result["unchanged"], result["unknown_records"]
    if args.format == "json":
        print(json.dumps({"list": args.list, verb: changed, "unchanged": unchanged, "unknown_records": missing}))
    else:
        print(f"{verb} {plural(changed, 'member')} ({'to' if args.action == 'add' else 'from'} {args.list}); "
              f"{unchanged} unchanged")
    entity = schema.entity(args.on) if args.on else None
    for k in missing:
        print(f"segql: warning: no {entity.name} record has key {k!r} (kept in the list; it counts once the "
              "record exists)", file=sys.stderr)
    return 0
