"""Shared fixtures: the example schema and demo data (examples/), and helpers to run the CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DEMO_NOW = "2026-11-15T12:00:00Z"

settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci")

# Tests that share one expensive thing run on one pytest-xdist worker (`--dist loadgroup`): the Spark
# session (one JVM per run) and GoogleSQL's reference evaluator (≈ 20 s to load its WebAssembly; one
# instance per process, tests/zetasql_engine.py `shared_wasm`). A needle is a substring of the test's id,
# or a tuple of substrings that must all occur in it (the differential suite's runs on the evaluator).
_GROUPS = (("spark", ("spark", "databricks")),
           ("bigquery", ("test_bigquery.py", ("test_adversarial.py::", "[bigquery"))))


def pytest_configure(config):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        _own_databases(worker)


def _own_databases(worker: str) -> None:
    """Point this xdist worker at databases of its own (`test_gw1`, …) on the same servers, created on
    first use, so that workers never see each other's tables."""
    for var, create in (("SEGQL_TEST_POSTGRES_URL", _create_postgres), ("SEGQL_TEST_MYSQL_URL", _create_mysql)):
        url = os.environ.get(var)
        if not url:
            continue
        own = worker_url(url, worker)
        create(url, urlsplit(own).path.lstrip("/"))
        os.environ[var] = own


def worker_url(url: str, worker: str) -> str:
    """`url` with the worker's own database: `…/test` → `…/test_gw1` (no database named: `test_gw1`)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/') or 'test'}_{worker}"))


def _create_postgres(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _create_mysql(url: str, name: str) -> None:
    import pymysql

    parts = urlsplit(url)
    conn = pymysql.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                           user=parts.username or "root", password=parts.password or "")
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{name}`")
    finally:
        conn.close()


def pytest_itemcollected(item):
    """Marked as it is collected, before any pytest_collection_modifyitems: xdist's worker reads the marks
    in its own (and renames the item `…@group` for the scheduler: tests/test_suite.py checks)."""
    group = xdist_group(item.nodeid)
    if group is not None:
        item.add_marker(pytest.mark.xdist_group(group))


def xdist_group(nodeid: str) -> str | None:
    """The group of `_GROUPS` a test's id puts it in (the first that matches), or None."""
    nodeid = nodeid.lower()
    for group, needles in _GROUPS:
        if any(all(part in nodeid for part in ((n,) if isinstance(n, str) else n)) for n in needles):
            return group
    return None


@pytest.fixture(scope="session")
def schema():
    import segql

    return segql.load_schema(EXAMPLES / "schema.yml")


@pytest.fixture(scope="session")
def demo_engine(schema):
    from segql.ops.run import open_engine

    engine = open_engine(None, schema)
    yield engine
    engine.close()


def run_cli(*args, cwd=None, input=None):
    """Run `python -m segql ...` as a user would; returns (exit code, stdout, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "segql", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, input=input, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr
