"""`segql keys create|list|revoke --store URL`: API keys with scopes, one organization each (SPEC §6.2).
A key is printed once, at creation; the store keeps only its hash."""
from __future__ import annotations

import sys

from segql.cli.common import UsageError
from segql.cli.output import dump_json, table

SCOPES = ("read:segments", "write:segments", "write:webhooks")


def add(sub) -> None:
    p = sub.add_parser("keys", help="API keys for `segql serve`: create, list, revoke",
                       description="Manage the service's API keys. `create` prints the key once; the store keeps "
                       "only its hash. A key belongs to one organization and sees only its segments.")
    p.add_argument("action", choices=("create", "list", "revoke"))
    p.add_argument("key_id", nargs="?", metavar="KEY_ID", help="the key to revoke (its id, from `keys list`)")
    p.add_argument("--organization", help="the organization (tenant) the key belongs to (create; filter for list)")
    p.add_argument("--scopes", default="read:segments",
                   help=f"comma-separated scopes (create): {', '.join(SCOPES)} (default: read:segments)")
    p.add_argument("--store", default=None, help="the store (default: sqlite:///segql.db)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output for people or tools")
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.store.keys import KeyStore  # lazy: start-up time

    keys = KeyStore.open(args.store or "sqlite:///segql.db")
    try:
        if args.action == "create":
            if not args.organization:
                raise UsageError("keys create needs --organization ORG")
            scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
            unknown = [s for s in scopes if s not in SCOPES]
            if unknown or not scopes:
                raise UsageError(f"unknown scope {', '.join(unknown) or '(none)'}; scopes: {', '.join(SCOPES)}")
            raw, key = keys.create(args.organization, scopes)
            if args.format == "json":
                dump_json({**key.to_dict(), "key": raw})
            else:
                print(raw)
                print(f"key {key.id} for {key.organization} with {', '.join(key.scopes)}: shown once, "
                      "store it now", file=sys.stderr)
            return 0
        if args.action == "list":
            rows = [k.to_dict() for k in keys.list(organization=args.organization)]
            if args.format == "json":
                dump_json(rows)
            else:
                table(["id", "organization", "scopes", "created_at", "revoked_at"],
                      [[r["id"], r["organization"], ",".join(r["scopes"]), r["created_at"],
                        r["revoked_at"] or ""] for r in rows])
            return 0
        if not args.key_id:
            raise UsageError("keys revoke needs KEY_ID")
        key = keys.revoke(args.key_id)
        if args.format == "json":
            dump_json(key.to_dict())
        else:
            print(f"revoked {key.id} ({key.organization})")
        return 0
    finally:
        keys.close()
