"""Connected engines for the verified dialects, for tests to import.

    from conftest_engines import engine   # a module-scoped fixture parametrised over VERIFIED

duckdb and sqlite are always available; postgres comes from SEGQL_TEST_POSTGRES_URL, mysql from
SEGQL_TEST_MYSQL_URL, clickhouse when `chdb` imports, spark when `pyspark` imports and Java is present.
A missing engine is a skip — or a failure when SEGQL_REQUIRE_ENGINES=1 (CI).

Every engine's *session* time zone is set to something other than UTC (America/Los_Angeles, or +05:00
on MySQL where named zones need the server's zone tables) so that tests catch SQL that follows it.
"""
from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

from segql.engines import connect
from segql.lower.dialects import VERIFIED

SESSION_TZ = "America/Los_Angeles"


def _unavailable(reason: str):
    if os.environ.get("SEGQL_REQUIRE_ENGINES") == "1":
        pytest.fail(f"engine required (SEGQL_REQUIRE_ENGINES=1) but unavailable: {reason}")
    pytest.skip(reason)


def engine_url(dialect: str) -> str:
    """The URL to test `dialect` on, or skip/fail with the reason it is unavailable."""
    if dialect == "duckdb":
        return "duckdb://"
    if dialect == "sqlite":
        return "sqlite://"
    if dialect == "postgres":
        url = os.environ.get("SEGQL_TEST_POSTGRES_URL")
        if not url:
            _unavailable("set SEGQL_TEST_POSTGRES_URL to test PostgreSQL")
        return url
    if dialect == "mysql":
        url = os.environ.get("SEGQL_TEST_MYSQL_URL")
        if not url:
            _unavailable("set SEGQL_TEST_MYSQL_URL to test MySQL/MariaDB")
        return url
    if dialect == "clickhouse":
        if importlib.util.find_spec("chdb") is None:
            _unavailable("chdb is not installed (pip install 'segql[clickhouse]')")
        return "chdb://"
    if dialect == "spark":
        if importlib.util.find_spec("pyspark") is None:
            _unavailable("pyspark is not installed (pip install 'segql[spark]')")
        if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
            _unavailable("Spark needs a Java runtime")
        return "spark://local"
    raise ValueError(dialect)


# MySQL/MariaDB sessions take fixed offsets (named zones need the server's zone tables; MariaDB's offsets
# stop at +13:00): the offset standing for each zone the tests use
MYSQL_OFFSETS = {SESSION_TZ: "+05:00", "Pacific/Kiritimati": "+13:00", "America/Adak": "-10:00"}


def set_session_zone(eng, zone: str = SESSION_TZ) -> None:
    """Put the engine's session in a zone that is not UTC (`zone`, an IANA name)."""
    d = eng.dialect
    if d == "duckdb":
        eng.execute(f"SET TimeZone = '{zone}'")
    elif d == "postgres":
        eng.execute(f"SET TIME ZONE '{zone}'")
    elif d == "mysql":
        eng.execute(f"SET time_zone = '{MYSQL_OFFSETS[zone]}'")
    elif d == "clickhouse":
        eng.execute(f"SET session_timezone = '{zone}'")
    elif d == "spark":
        eng.spark.conf.set("spark.sql.session.timeZone", zone)


def open_engine(dialect: str):
    eng = connect(engine_url(dialect))
    set_session_zone(eng)
    return eng


@pytest.fixture(scope="module", params=VERIFIED)
def engine(request):
    eng = open_engine(request.param)
    yield eng
    eng.close()
