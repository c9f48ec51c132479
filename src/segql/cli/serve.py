"""`segql serve [--schema F] [--db URL] [--store URL] [--host H] [--port N] [--workers N] [--refresh-every 15m]
[--pool-size N] [--query-timeout 30s]`."""
from __future__ import annotations

import os
import sys

from segql.cli.common import add_common, find_schema


def add(sub) -> None:
    p = sub.add_parser("serve", help="the HTTP API over the store (OpenAPI at /openapi.json, docs at /docs)",
                       description="Serve segments over HTTP (SPEC §6.2): create, list, count, refresh and page "
                       "members of stored segments, with API keys per organization. See docs/service.md.")
    p.add_argument("--db", help="the warehouse (default: embedded DuckDB over the schema's source files)")
    p.add_argument("--store", default=None, help="the store (default: sqlite:///segql.db)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    p.add_argument("--refresh-every", help="refresh dynamic segments this often (15m, 1h, …): cached counts")
    p.add_argument("--pool-size", type=int, default=None, metavar="N",
                   help="warehouse connections kept open between requests, per worker (default: 4; 0: one "
                        "connection per request)")
    p.add_argument("--query-timeout", metavar="PERIOD",
                   help="stop any warehouse statement running longer than this (30s, 2m, …): the request "
                        "answers 504 (E0606); default: no limit")
    add_common(p, formats=("text",))
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.cli.common import UsageError
    from segql.ops.service.asgi import settings_to_env  # lazy: start-up time (FastAPI)
    from segql.ops.service.scheduler import parse_period

    try:
        import uvicorn  # noqa: F401
        import fastapi  # noqa: F401
    except ImportError:
        from segql.errors import SegqlError

        raise SegqlError("E0601", "the service needs FastAPI and uvicorn, which are not installed",
                         hints=["pip install 'segql[service]'"]) from None
    if args.workers < 1 or not 0 < args.port < 65536:
        raise UsageError("--workers must be 1 or more and --port between 1 and 65535")
    if args.pool_size is not None and args.pool_size < 0:
        raise UsageError("--pool-size must be 0 or more")
    schema = find_schema(args.schema, [])
    store = args.store or "sqlite:///segql.db"
    every = parse_period(args.refresh_every) if args.refresh_every else None
    timeout = parse_period(args.query_timeout, "--query-timeout") if args.query_timeout else None
    # open once here, so a bad store or schema is a diagnostic before any worker starts
    from segql.ops.store import open_store

    open_store(store, schema=schema.path, db=args.db, query_timeout=timeout).close()
    os.environ.update(settings_to_env(schema=schema.path, db=args.db, store=store, refresh_every=every,
                                      pool_size=args.pool_size, query_timeout=timeout))
    import uvicorn

    print(f"segql: serving on http://{args.host}:{args.port} (docs at /docs; store {store})", file=sys.stderr)
    uvicorn.run("segql.ops.service.asgi:create", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="warning", timeout_graceful_shutdown=30)
    return 0
