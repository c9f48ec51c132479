"""`segql playground [--schema F] [--db URL] [--store URL] [--port N] [--no-open]`: the playground page on
your data (without `--db`: the embedded DuckDB over the schema's `source:` files, e.g. the shipped demo
data), with a store and an API key made for the session, printed to paste into the page."""
from __future__ import annotations

import sys
import tempfile

from segql.cli.common import UsageError, add_common, add_query_timeout, find_schema, query_timeout


def add(sub) -> None:
    p = sub.add_parser("playground", help="open the playground page on your data (a key is made for you)",
                       description="Start the HTTP service with a fresh store (or --store) and a read/write API "
                       "key, print the key, and open the playground at http://HOST:PORT/. See docs/playground.md.")
    p.add_argument("--db", help="the warehouse (default: embedded DuckDB over the schema's source files)")
    p.add_argument("--store", help="the store (default: a new SQLite file in a temporary folder)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--no-open", action="store_true", help="do not open a web browser")
    add_query_timeout(p)
    add_common(p, formats=("text",))
    p.set_defaults(handler=run)


def run(args) -> int:
    from segql.ops.store import open_store  # lazy: start-up time (FastAPI, drivers)
    from segql.ops.store.keys import KeyStore

    try:
        import uvicorn
    except ImportError:
        from segql.errors import SegqlError

        raise SegqlError("E0601", "the playground needs FastAPI and uvicorn, which are not installed",
                         hints=["pip install 'segql[service]'"]) from None
    if not 0 < args.port < 65536:
        raise UsageError("--port must be between 1 and 65535")
    schema = find_schema(args.schema, [])
    store = args.store or f"sqlite:///{tempfile.mkdtemp(prefix='segql-playground-')}/store.db"
    segments = open_store(store, schema=schema, db=args.db, query_timeout=query_timeout(args))
    raw, _ = KeyStore(segments).create("playground", ["read:segments", "write:segments"])
    from segql.ops.service.app import create_app

    url = f"http://{args.host}:{args.port}/"
    print(f"segql playground on {url}\n  API key (paste it into the page): {raw}\n  store: {store}", file=sys.stderr)
    if not args.no_open:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(create_app(segments), host=args.host, port=args.port, log_level="warning")
    return 0
