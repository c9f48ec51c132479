"""The ASGI entry point uvicorn imports in each worker (`segql serve --workers N`): the settings travel in
environment variables, because each worker is a fresh process."""
from __future__ import annotations

import os

ENV = {"schema": "SEGQL_SERVE_SCHEMA", "db": "SEGQL_SERVE_DB", "store": "SEGQL_SERVE_STORE",
       "refresh_every": "SEGQL_SERVE_REFRESH_EVERY", "max_body": "SEGQL_SERVE_MAX_BODY",
       "pool_size": "SEGQL_SERVE_POOL_SIZE", "query_timeout": "SEGQL_SERVE_QUERY_TIMEOUT"}


def settings_to_env(**settings) -> dict[str, str]:
    return {ENV[k]: str(v) for k, v in settings.items() if v is not None}


def create():
    """uvicorn's factory: the app for the settings in the environment."""
    from segql.ops.service.app import MAX_BODY, create_app
    from segql.ops.store import open_store
    from segql.ops.store.pool import DEFAULT_SIZE

    pool, timeout = os.environ.get(ENV["pool_size"]), os.environ.get(ENV["query_timeout"])
    segments = open_store(os.environ[ENV["store"]], schema=os.environ[ENV["schema"]],
                          db=os.environ.get(ENV["db"]) or None, pool_size=int(pool) if pool else DEFAULT_SIZE,
                          query_timeout=float(timeout) if timeout else None)
    every = os.environ.get(ENV["refresh_every"])
    return create_app(segments, max_body=int(os.environ.get(ENV["max_body"]) or MAX_BODY),
                      refresh_every=float(every) if every else None)
