"""PostgreSQL through psycopg 3 (`postgresql://user@host:port/db`); TIMESTAMP without time zone."""
from __future__ import annotations

from segql.engines.base import _DBAPIEngine, _missing, _refused, group_tables


class PostgresEngine(_DBAPIEngine):
    schemes = ("postgresql", "postgres")
    label = "PostgreSQL"
    dialect = "postgres"
    paramstyle = "pyformat"  # psycopg 3: %s and %(name)s
    placeholder = "%s"
    transactional = True
    poolable = True  # a server: a connection held between operations sees what a new one would
    TYPES = {"string": "TEXT", "integer": "BIGINT", "number": "DOUBLE PRECISION", "boolean": "BOOLEAN",
             "date": "DATE", "timestamp": "TIMESTAMP WITHOUT TIME ZONE",
             "instant": "TIMESTAMP WITH TIME ZONE"}

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

    def pooled(self):
        """No automatic server-side prepared statements (psycopg prepares a query from its 5th run on a
        connection): a per-operation connection never got there, and a kept one would break behind
        PgBouncer's transaction pooling (before 1.21) or on a plan cached before an ALTER TABLE."""
        self.conn.prepare_threshold = None

    def ping(self, timeout=None):
        """`SELECT 1`, waiting at most `timeout` seconds for the answer (libpq's asynchronous calls:
        psycopg's own wait has no timeout)."""
        if timeout is None:
            with self.conn.cursor() as cur:
                cur.execute("SELECT 1")
            return
        import select
        import time

        from psycopg import OperationalError, pq

        with self.conn.lock:
            pg = self.conn.pgconn
            pg.send_query(b"SELECT 1")  # raises OperationalError on a closed connection
            deadline = time.monotonic() + timeout
            while True:
                pg.consume_input()
                if not pg.is_busy():
                    break
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([pg.socket], [], [], left)[0]:
                    raise OperationalError(f"no answer to a ping within {timeout} s")
            results = []
            while (res := pg.get_result()) is not None:
                results.append(res.status)
            if results != [pq.ExecStatus.TUPLES_OK]:
                raise OperationalError(f"ping: {pg.get_error_message() or results}")

    def set_timeout(self, seconds):
        """The server's `statement_timeout`, for the session (whole milliseconds, at least 1: 0 is none)."""
        from sqlglot import exp

        ms = max(1, round(seconds * 1000)) if seconds else 0
        self.execute(f"SET statement_timeout = {exp.Literal.number(ms).sql()}")
        self.timeout = seconds or None

    def _is_timeout(self, exc):
        return getattr(exc, "sqlstate", None) == "57014" and "statement timeout" in str(exc)

    def reusable(self):
        from psycopg.pq import TransactionStatus

        return (not self.in_transaction and not self.conn.closed
                and self.conn.info.transaction_status == TransactionStatus.IDLE)

    def tables(self, schema=None):
        """information_schema for columns (an array is `ARRAY`, an enum or extension type its udt_name);
        pg_constraint for keys, whose column arrays keep their order."""
        columns = self.execute(
            "SELECT table_name, column_name, CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END "
            "FROM information_schema.columns WHERE table_schema = coalesce(%s, current_schema()) "
            "ORDER BY table_name, ordinal_position", [schema])
        keys = self.execute(
            "SELECT cl.relname, con.contype::text, "
            "ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a "
            "      ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i), "
            "CASE WHEN fns.nspname = ns.nspname THEN fcl.relname::text "
            "     ELSE fns.nspname::text || '.' || fcl.relname::text END, "
            "ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a "
            "      ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) "
            "FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid "
            "JOIN pg_namespace ns ON ns.oid = cl.relnamespace "
            "LEFT JOIN pg_class fcl ON fcl.oid = con.confrelid LEFT JOIN pg_namespace fns ON fns.oid = fcl.relnamespace "
            "WHERE ns.nspname = coalesce(%s, current_schema()) AND con.contype IN ('p', 'f') "
            "ORDER BY cl.relname, con.conname", [schema])
        return group_tables(columns, keys)
