"""PostgreSQL through psycopg 3 (`postgresql://user@host:port/db`); TIMESTAMP without time zone."""
from __future__ import annotations

from segql.engines.base import _DBAPIEngine, _missing, _refused


class PostgresEngine(_DBAPIEngine):
    schemes = ("postgresql", "postgres")
    label = "PostgreSQL"
    dialect = "postgres"
    paramstyle = "pyformat"  # psycopg 3: %s and %(name)s
    placeholder = "%s"
    transactional = True
    TYPES = {"string": "TEXT", "integer": "BIGINT", "number": "DOUBLE PRECISION", "boolean": "BOOLEAN",
             "date": "DATE", "timestamp": "TIMESTAMP WITHOUT TIME ZONE"}

    @classmethod
    def open(cls, url, parsed):
        try:
            import psycopg
        except ImportError:
            raise _missing("postgres", "postgres") from None
        try:
            conn = psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True,
                                   connect_timeout=10)
        except Exception as e:
            raise _refused(f"PostgreSQL at {parsed.hostname or 'localhost'}", e) from None
        return cls(conn)
