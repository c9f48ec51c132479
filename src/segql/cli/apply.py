"""`segql apply FILE... --store URL [--db URL]`: make the store match the segment files, all or nothing
(SPEC §6.4); prints what it did, as `segql plan` shows it."""
from __future__ import annotations

from segql.cli.common import add_common
from segql.cli.plan import add_arguments, open_for, report


def add(sub) -> None:
    p = sub.add_parser("apply", help="make the store match segment files (all or nothing)",
                       description="Create, change and delete stored segments so that the organization's "
                       "segments are those of FILE(s), in one store transaction. Run `segql plan` first to "
                       "see what it will do. See docs/store.md.")
    add_arguments(p)
    add_common(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.store.plan import apply  # lazy: start-up time

    segments = open_for(args)
    try:
        actions = apply(segments, args.files, organization=args.organization, now=args.now)
        from segql.ops.store.plan import stamp

        at = stamp(args.now, segments.schema.timezone)
    finally:
        segments.close()
    report(actions, args, at, verb="did")
    print("Applied.")
    return 0
