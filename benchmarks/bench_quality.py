"""3. Query quality: segql's compiled SQL vs hand-written expert SQL on the same data.

DuckDB (default 1M contacts, 10M events): each segment of benchmarks/segments/quality.segql is compiled with
`select="count"` and timed against an expert query written the way a careful analyst would (semi-joins for
to-many paths, events pre-aggregated once per contact with GROUP BY/HAVING, no fan-out). Both must return
the same count (checked). Figure: segql time / expert time per segment (median of interleaved
repetitions); target <= 1.0 for each and for their geometric mean.

PostgreSQL (127.0.0.1:5432, db test, schema segql_bench; default 100k contacts): loads the same generated
data, indexes the relationship keys, and prints the relevant lines of EXPLAIN for each compiled segment, so
one can see whether the planner uses the relationship-key indexes; also times segql vs expert there.
"""
from __future__ import annotations

import math
import re
import statistics
import tempfile
import time
from pathlib import Path

from common import HERE, NOW_ISO, SCHEMA, interleaved, paired_ratios, save

SEGMENTS = HERE / "segments" / "quality.segql"
NOW = "TIMESTAMP '2026-11-15 12:00:00'"


def ago(n: int, unit: str = "days") -> str:
    return f"({NOW} - INTERVAL '{n} {unit}')"


# Expert SQL (runs unchanged on DuckDB and PostgreSQL). Written from SPEC §2's meaning of each segment.
EXPERT = {
    "q_high_value": f"""
SELECT count(*) FROM contacts c
JOIN organizations o ON o.id = c.organization_id
WHERE o.industry IN ('Software', 'Fintech')
  AND c.last_purchase > {ago(30)}
  AND c.id IN (SELECT contact_id FROM deals WHERE value >= 10000 AND stage = 'Negotiation')
  AND c.id IN (SELECT contact_id FROM events
               WHERE name = 'purchase' AND amount > 100 AND occurred_at >= {ago(90)} AND occurred_at <= {NOW}
               GROUP BY contact_id HAVING count(*) >= 2)""",
    "q_highly_engaged": f"""
SELECT count(*) FROM contacts c
WHERE c.id IN (SELECT contact_id FROM events
               WHERE name IN ('email_opened', 'email_clicked') AND occurred_at >= {ago(30)} AND occurred_at <= {NOW}
               GROUP BY contact_id
               HAVING count(CASE WHEN name = 'email_opened' THEN 1 END) >= 2
                  AND count(CASE WHEN name = 'email_clicked' THEN 1 END) >= 1)""",
    "q_at_risk": f"""
SELECT count(*) FROM contacts c
JOIN (SELECT contact_id, count(*) AS opens,
             count(CASE WHEN occurred_at >= {ago(60)} AND occurred_at <= {NOW} THEN 1 END) AS recent
      FROM events WHERE name = 'email_opened' GROUP BY contact_id) e ON e.contact_id = c.id
WHERE e.opens > 5 AND e.recent < 2 AND c.subscribed_at < {ago(90)}""",
    "q_clean_pipeline": """
SELECT count(*) FROM contacts c
WHERE c.id IN (SELECT contact_id FROM deals GROUP BY contact_id
               HAVING count(CASE WHEN stage = 'Lost' THEN 1 END) = 0)""",
    "q_deal_totals": """
SELECT count(*) FROM contacts c
WHERE c.id IN (SELECT contact_id FROM deals GROUP BY contact_id
               HAVING count(*) >= 2 AND sum(value) > 20000)""",
    "q_lapsed_us": f"""
SELECT count(*) FROM contacts c
WHERE c.country = 'USA'
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.contact_id = c.id AND e.name = 'purchase'
                  AND e.occurred_at >= {ago(90)} AND e.occurred_at <= {NOW})""",
    "q_won_deal": """
SELECT count(*) FROM contacts c WHERE c.id IN (SELECT contact_id FROM deals WHERE stage = 'Won')""",
    "q_plain": f"""
SELECT count(*) FROM contacts c
WHERE c.location IN ('USA', 'Canada') AND c.last_purchase < {ago(30)} AND c.total_spent > 500
  AND c.email_opens > 5""",
}


def compiled(dialect: str) -> dict[str, str]:
    import segql

    schema = segql.load_schema(str(SCHEMA))
    text = SEGMENTS.read_text("utf-8")
    return {slug: segql.compile(text, schema, dialect, segment=slug, now=NOW_ISO, select="count", pretty=False)
            for slug in EXPERT}


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def duckdb_part(scale: float, reps: int) -> dict:
    import duckdb

    import gen_data

    path = gen_data.generate(scale, quiet=True)
    con = duckdb.connect(str(path), read_only=True)
    sqls = compiled("duckdb")
    rows = {}
    for slug, sql in sqls.items():
        expert = EXPERT[slug]
        a = con.execute(sql).fetchone()[0]
        b = con.execute(expert).fetchone()[0]
        if a != b:
            raise SystemExit(f"{slug}: segql counts {a}, expert {b} — the expert SQL is wrong or segql is")
        times = interleaved({"segql": lambda s=sql: con.execute(s).fetchall(),
                             "expert": lambda s=expert: con.execute(s).fetchall()}, reps)
        ratio = statistics.median(paired_ratios(times, "segql", "expert"))
        rows[slug] = {"members": a, "segql_ms": statistics.median(times["segql"]) * 1000,
                      "expert_ms": statistics.median(times["expert"]) * 1000, "ratio": ratio}
        print(f"  {slug:18} {a:>9} members  segql {rows[slug]['segql_ms']:8.1f} ms  "
              f"expert {rows[slug]['expert_ms']:8.1f} ms  ratio {ratio:.2f}")
    con.close()
    gm = geomean([r["ratio"] for r in rows.values()])
    worst = max(rows.values(), key=lambda r: r["ratio"])["ratio"]
    print(f"DuckDB scale {scale}: geometric mean ratio {gm:.2f}, worst {worst:.2f} (target <= 1.0)")
    return {"scale": scale, "segments": rows, "geomean_ratio": gm, "worst_ratio": worst, "target": 1.0,
            "met": worst <= 1.0, "sql": sqls}


PG_TABLES = ("organizations", "contacts", "deals", "events", "list_members")
PG_INDEXES = (
    "CREATE INDEX ON deals (contact_id)", "CREATE INDEX ON events (contact_id)",
    "CREATE INDEX ON events (contact_id, name, occurred_at)",
    "CREATE INDEX ON contacts (organization_id)", "CREATE INDEX ON list_members (member_key)",
)


def load_postgres(url: str, scale: float):
    """(Re)load the generated data into schema segql_bench unless it already holds this scale."""
    import duckdb
    import psycopg

    import gen_data

    path = gen_data.generate(scale, quiet=True)
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("CREATE SCHEMA IF NOT EXISTS segql_bench")
    conn.execute("SET search_path TO segql_bench")
    want = gen_data.sizes(scale)["contacts"]
    try:
        have = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        have = None
    if have == want:
        return conn
    t0 = time.perf_counter()
    src = duckdb.connect(str(path), read_only=True)
    for table in PG_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        cols = src.execute(f"SELECT column_name, data_type FROM information_schema.columns "
                           f"WHERE table_name = '{table}' ORDER BY ordinal_position").fetchall()
        pgtype = {"INTEGER": "integer", "BIGINT": "bigint", "DOUBLE": "double precision", "VARCHAR": "text",
                  "DATE": "date", "TIMESTAMP": "timestamp", "BOOLEAN": "boolean"}
        conn.execute(f"CREATE TABLE {table} (" + ", ".join(f'"{c}" {pgtype[t]}' for c, t in cols) + ")")
        # DuckDB writes CSV, PostgreSQL's COPY parses it: 1M contacts / 10M events load in about a minute
        # (row-by-row `write_row` took many minutes)
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / f"{table}.csv"
            src.execute(f"COPY {table} TO '{csv}' (HEADER false)")
            with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy, open(csv, "rb") as f:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
    conn.execute("ALTER TABLE contacts ADD PRIMARY KEY (id)")
    conn.execute("ALTER TABLE organizations ADD PRIMARY KEY (id)")
    conn.execute("ALTER TABLE deals ADD PRIMARY KEY (id)")
    for ddl in PG_INDEXES:
        conn.execute(ddl)
    conn.execute("ANALYZE")
    print(f"loaded {want:,} contacts into PostgreSQL schema segql_bench in {time.perf_counter() - t0:.0f} s")
    return conn


_RELEVANT = re.compile(r"Index|Seq Scan|Join|Hash|SubPlan|Nested Loop|Aggregate|Anti|Semi")


def postgres_part(url: str, scale: float, reps: int) -> dict:
    conn = load_postgres(url, scale)
    sqls = compiled("postgres")
    out = {}
    for slug, sql in sqls.items():
        expert = EXPERT[slug]
        a = conn.execute(sql).fetchone()[0]
        b = conn.execute(expert).fetchone()[0]
        plan = [r[0] for r in conn.execute("EXPLAIN " + sql).fetchall()]
        relevant = [line for line in plan if _RELEVANT.search(line)]
        uses_index = [line.strip() for line in plan if "Index" in line and ("contact_id" in line or "_pkey" in line
                                                                            or "organization_id" in line)]
        times = interleaved({"segql": lambda s=sql: conn.execute(s).fetchall(),
                             "expert": lambda s=expert: conn.execute(s).fetchall()}, reps)
        ratio = statistics.median(paired_ratios(times, "segql", "expert"))
        out[slug] = {"members": a, "expert_members": b, "uses_relationship_index": bool(uses_index),
                     "plan": relevant, "segql_ms": statistics.median(times["segql"]) * 1000,
                     "expert_ms": statistics.median(times["expert"]) * 1000, "ratio": ratio}
        print(f"\n== {slug}: {a} members (expert {b}); segql {out[slug]['segql_ms']:.1f} ms, expert "
              f"{out[slug]['expert_ms']:.1f} ms, ratio {ratio:.2f}; relationship-key index used: {bool(uses_index)}")
        for line in relevant:
            print("   " + line)
    conn.close()
    gm = geomean([r["ratio"] for r in out.values()])
    print(f"\nPostgreSQL scale {scale}: geometric mean ratio {gm:.2f}")
    return {"scale": scale, "segments": out, "geomean_ratio": gm}


def main(args) -> None:
    result = {"duckdb": duckdb_part(args.scale, args.reps)}
    if not args.no_postgres:
        try:
            result["postgres"] = postgres_part(args.postgres_url, args.postgres_scale, max(3, args.reps // 2))
        except Exception as err:  # noqa: BLE001 - no server here: say so, keep the DuckDB figures
            print(f"PostgreSQL part skipped: {type(err).__name__}: {err}")
            result["postgres"] = {"skipped": str(err)}
    save("quality", result)
