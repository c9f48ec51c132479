"""Reproducible benchmark data in DuckDB (no Python loops: `range()` + hash-based pseudo-random values).

    python benchmarks/gen_data.py --scale 1.0       # 1M contacts, 10M events -> benchmarks/out/bench_1m.duckdb
    python benchmarks/gen_data.py --scale 0.1       # 100k contacts (quick)

The tables and columns are those of examples/schema.yml, so the example segments (and
`--schema examples/schema.yml --db duckdb:///…`) run unchanged. `hash(i, salt)` is DuckDB's deterministic
hash, so the same scale always gives the same data. Timestamps lie in the 400 days before NOW
(2026-11-15 12:00, the demo data's pinned time); every benchmark pins `--now` to it.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
NOW = "2026-11-15 12:00:00"
NOW_ISO = "2026-11-15T12:00:00"


def db_path(scale: float) -> Path:
    contacts = int(round(1_000_000 * scale))
    label = f"{contacts // 1_000_000}m" if contacts % 1_000_000 == 0 else f"{contacts // 1000}k"
    return OUT / f"bench_{label}.duckdb"


def sizes(scale: float) -> dict:
    n = int(round(1_000_000 * scale))
    return {"contacts": n, "organizations": max(n // 100, 10), "deals": n // 2, "events": n * 10}


def statements(scale: float) -> list[str]:
    s = sizes(scale)
    n, orgs, deals, events = s["contacts"], s["organizations"], s["deals"], s["events"]
    secs = 400 * 86400
    return [
        # r(i, salt, k): a pseudo-random integer in [0, k); u(i, salt): one in [0, 1)
        "CREATE OR REPLACE MACRO r(i, salt, k) AS (hash(i, salt) % k)::BIGINT",
        "CREATE OR REPLACE MACRO u(i, salt) AS (hash(i, salt) % 1000000)::DOUBLE / 1e6",
        f"CREATE OR REPLACE MACRO ago(i, salt, maxsecs) AS TIMESTAMP '{NOW}' - to_seconds(r(i, salt, maxsecs))",
        f"""CREATE OR REPLACE TABLE organizations AS
        SELECT i::INTEGER AS id, 'Org ' || i AS name,
               ['Software', 'Fintech', 'Retail', 'Health', NULL][r(i, 'ind', 5) + 1] AS industry,
               [5, 40, 120, 800, 5000, NULL][r(i, 'emp', 6) + 1]::INTEGER AS employees
        FROM range(1, {orgs} + 1) t(i)""",
        f"""CREATE OR REPLACE TABLE contacts AS
        SELECT i::INTEGER AS id,
               CASE WHEN r(i, 'em', 23) = 0 THEN NULL ELSE
                 ['ana', 'bjorn', 'chloe', 'eve', 'ian', 'zoe'][r(i, 'fn', 6) + 1] || '.' || i || '@' ||
                 ['company.com', 'gmail.com', 'example.org', 'mail.io'][r(i, 'dom', 4) + 1] END AS email,
               ['Ana', 'Björn', 'Chloé', 'Eve', 'Ian', 'Zoë'][r(i, 'fn', 6) + 1] AS first_name,
               ['USA', 'Canada', 'Germany', 'France', 'UK', NULL][r(i, 'ctry', 6) + 1] AS country,
               ['CA', 'NY', 'TX', 'WA', NULL][r(i, 'st', 5) + 1] AS state,
               ['PST', 'EST', 'CET', NULL][r(i, 'tz', 4) + 1] AS timezone,
               ['USA', 'Canada', 'Europe', NULL][r(i, 'loc', 4) + 1] AS location,
               ['Senior Developer', 'Marketing Lead', 'CEO', 'developer advocate', NULL][r(i, 'job', 5) + 1]
                 AS job_title,
               ['Software', 'Marketing', NULL][r(i, 'pi', 3) + 1] AS product_interest,
               ['Gold', 'Silver', 'Bronze', NULL][r(i, 'tier', 4) + 1] AS customer_tier,
               ['Active', 'Paused', NULL][r(i, 'sub', 3) + 1] AS subscription_status,
               CASE WHEN r(i, 'lv', 8) = 0 THEN NULL ELSE round(u(i, 'lv') * 3000, 2) END AS lifetime_value,
               round(u(i, 'ts') * 2000, 2) AS total_spent,
               CASE WHEN r(i, 'rev', 7) = 0 THEN NULL ELSE round(u(i, 'rev') * 5000, 2) END AS total_revenue,
               [500, 5000, 20000, NULL][r(i, 'bud', 4) + 1]::DOUBLE AS budget,
               [0, 0, 49.5, 120, NULL][r(i, 'cart', 5) + 1]::DOUBLE AS cart_value,
               [0, 0, 1, 2, 5, 12, NULL][r(i, 'oc', 7) + 1]::INTEGER AS order_count,
               r(i, 'op', 31)::INTEGER AS opens, r(i, 'cl', 11)::INTEGER AS clicks,
               r(i, 'pu', 7)::INTEGER AS purchases, r(i, 'eo', 41)::INTEGER AS email_opens,
               r(i, 'pv', 9)::INTEGER AS products_viewed, r(i, 'ci', 4)::INTEGER AS cart_items,
               [10, 150, 1000, NULL][r(i, 'cs', 4) + 1]::INTEGER AS company_size,
               (TIMESTAMP '{NOW}' - to_days(r(i, 'sd', 900)))::DATE AS signup_date,
               CASE WHEN r(i, 'bd', 10) = 0 THEN NULL ELSE DATE '1950-01-01' + r(i, 'bd2', 20000)::INTEGER END
                 AS birthday,
               CASE WHEN r(i, 'lpd', 10) = 0 THEN NULL ELSE (TIMESTAMP '{NOW}' - to_days(r(i, 'lpd2', 400)))::DATE
                 END AS last_purchase_date,
               CASE WHEN r(i, 'sa', 7) = 0 THEN NULL ELSE ago(i, 'sa2', {secs}) END AS subscribed_at,
               CASE WHEN r(i, 'lp', 7) = 0 THEN NULL ELSE ago(i, 'lp2', 300 * 86400) END AS last_purchase,
               CASE WHEN r(i, 'la', 7) = 0 THEN NULL ELSE ago(i, 'la2', 120 * 86400) END AS last_activity,
               CASE WHEN r(i, 'lvi', 7) = 0 THEN NULL ELSE ago(i, 'lvi2', 10 * 86400) END AS last_visit,
               CASE WHEN r(i, 'lo', 7) = 0 THEN NULL ELSE ago(i, 'lo2', 200 * 86400) END AS last_open,
               r(i, 'vip', 5) = 0 AS is_vip, r(i, 'wel', 2) = 0 AS welcome_email_sent,
               r(i, 'prev', 3) = 0 AS previous_customer,
               CASE WHEN r(i, 'org', 11) = 0 THEN NULL ELSE (r(i, 'org2', {orgs}) + 1)::INTEGER END
                 AS organization_id
        FROM range(1, {n} + 1) t(i)""",
        f"""CREATE OR REPLACE TABLE deals AS
        SELECT i::INTEGER AS id,
               CASE WHEN r(i, 'dc', 40) = 0 THEN NULL ELSE (r(i, 'dc2', {n}) + 1)::INTEGER END AS contact_id,
               [500, 2500, 10000, 15000, 80000, NULL][r(i, 'dv', 6) + 1]::DOUBLE AS value,
               ['Negotiation', 'Won', 'Lost', 'Prospecting', NULL][r(i, 'ds', 5) + 1] AS stage,
               CASE WHEN r(i, 'dca', 5) < 2 THEN NULL ELSE ago(i, 'dca2', 500 * 86400) END AS closed_at
        FROM range(1, {deals} + 1) t(i)""",
        # events: 10 per contact on average; purchases are rarer than opens and page views
        f"""CREATE OR REPLACE TABLE events AS
        SELECT i::BIGINT AS id,
               ['email_opened', 'email_opened', 'email_opened', 'page_view', 'page_view', 'page_view',
                'email_clicked', 'email_clicked', 'purchase', 'signup'][r(i, 'en', 10) + 1] AS name,
               ago(i, 'eat', {secs}) AS occurred_at,
               (r(i, 'ec', {n}) + 1)::INTEGER AS contact_id,
               CASE WHEN r(i, 'ea', 2) = 0 THEN NULL ELSE round(u(i, 'ea2') * 500, 2) END AS amount
        FROM range(1, {events} + 1) t(i)""",
        f"""CREATE OR REPLACE TABLE list_members AS
        SELECT 'vip_customers' AS list_slug, i::INTEGER AS member_key FROM range(1, {n} + 1, 9) t(i)
        UNION ALL
        SELECT 'beta_testers', i::INTEGER FROM range(3, {n} + 1, 17) t(i)""",
    ]


def generate(scale: float, path: Path | None = None, *, force: bool = False, quiet: bool = False) -> Path:
    import duckdb

    path = path or db_path(scale)
    if path.exists() and not force:
        if not quiet:
            print(f"{path} exists (use --force to rebuild)")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect(str(tmp))
    for sql in statements(scale):
        con.execute(sql)
    con.execute("DROP MACRO ago")
    con.execute("DROP MACRO u")
    con.execute("DROP MACRO r")
    con.execute("CHECKPOINT")
    con.close()
    tmp.replace(path)
    if not quiet:
        print(f"wrote {path} ({sizes(scale)}) in {time.perf_counter() - t0:.1f} s")
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M contacts, 10M events (default)")
    ap.add_argument("--out", type=Path, help="DuckDB file (default: benchmarks/out/bench_<size>.duckdb)")
    ap.add_argument("--force", action="store_true", help="rebuild even if the file exists")
    args = ap.parse_args(argv)
    generate(args.scale, args.out, force=args.force)


if __name__ == "__main__":
    main()
