"""`segql webhooks deliver|list --store URL`: deliver the webhooks' outbox once (what the service's
dispatcher does continuously: useful from cron, or to drain the outbox without the service) and list an
organization's webhooks with their pending and failed deliveries. See docs/webhooks.md."""
from __future__ import annotations

import sys

from segql.cli.common import DEFAULT_STORE, UsageError, add_store
from segql.cli.output import dump_json, table


def add(sub) -> None:
    p = sub.add_parser("webhooks", help="webhooks: deliver the outbox once, list webhooks",
                       description="Deliver the events waiting in the store's webhook outbox (signed, with "
                       "retries scheduled on failure), or list the organization's webhooks. Register webhooks "
                       "with POST /v1/webhooks. See docs/webhooks.md.")
    p.add_argument("action", choices=("deliver", "list"))
    add_store(p)
    p.add_argument("--timeout", type=float, default=5.0, help="deliver: seconds to wait for each receiver (5)")
    p.add_argument("--limit", type=int, default=1000, help="deliver: at most N events in this run (1000)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output for people or tools")
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.store.webhooks import Webhooks, deliver_due  # lazy: start-up time

    if args.limit < 1 or not 0 < args.timeout <= 120:
        raise UsageError("--limit must be 1 or more and --timeout between 0 and 120 seconds")
    hooks = Webhooks.open(args.store or DEFAULT_STORE)
    try:
        if args.action == "list":
            rows = []
            for hook in hooks.list(organization=args.organization):
                counts = hooks.status_counts(hook.id, organization=args.organization)
                rows.append({**hook.to_dict(), "pending": counts["pending"], "failed": counts["failed"]})
            if args.format == "json":
                dump_json(rows)
            else:
                table(["id", "url", "events", "pending", "failed"],
                      [[r["id"], r["url"], ",".join(r["events"]), r["pending"], r["failed"]] for r in rows],
                      right=(3, 4))
            return 0
        total = {"claimed": 0, "delivered": 0, "retrying": 0, "failed": 0}
        while total["claimed"] < args.limit:
            done = deliver_due(hooks.db, limit=min(50, args.limit - total["claimed"]), timeout=args.timeout)
            for k in total:
                total[k] += done[k]
            if not done["claimed"]:
                break
        if args.format == "json":
            dump_json(total)
        else:
            print(f"delivered {total['delivered']}, retrying {total['retrying']}, failed {total['failed']}",
                  file=sys.stderr)
        return 0
    finally:
        hooks.close()
