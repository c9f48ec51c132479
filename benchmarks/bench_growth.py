"""5. Growth.

- Compile time as a segment grows from 1 to 1,000 leaf conditions (a realistic mix of comparisons, string
  tests, relative times and to-many quantifiers joined by `and`/`or`), with sqlglot's parse+generate round-trip of
  the same emitted SQL as the reference line. Near-linear means time per condition stays flat.
- Query time as contacts grow 100k -> 1M (-> 10M with --max-scale 10): the quality segments
  (benchmarks/segments/quality.segql), segql vs expert SQL, on DuckDB.

Raw figures: benchmarks/results/growth.json; plot: docs/benchmark_growth.png (`run.py plot`).
"""
from __future__ import annotations

import json
import statistics
import time

from common import NOW_ISO, RESULTS, ROOT, SCHEMA, interleaved, load, save

SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
SCALES = (0.1, 0.3, 1.0, 3.0, 10.0)
LEAVES = (
    'opens >= {i}', 'country = "C{i}"', 'last_activity > {i} days ago', 'lifetime_value between {i} and {j}',
    'email contains "x{i}"', 'customer_tier in ("Gold", "T{i}")', 'any deals (value >= {j} and stage = "S{i}")',
    'organization.employees > {i}', 'performed "purchase" at least {k} times in last {j} days',
    'not (clicks < {k} or purchases is null)',
)


def condition(n: int) -> str:
    parts = [LEAVES[k % len(LEAVES)].format(i=k, j=k + 10, k=k % 5 + 1) for k in range(n)]
    # groups of five `and`ed leaves, `or`ed together: both connectives, no deep nesting
    groups = [" and ".join(parts[g:g + 5]) for g in range(0, n, 5)]
    return " or ".join(f"({g})" if len(groups) > 1 else g for g in groups)


def compile_growth(reps: int) -> list[dict]:
    import sqlglot

    import segql

    schema = segql.load_schema(str(SCHEMA))
    rows = []
    for n in SIZES:
        text = condition(n)
        sql = segql.compile(text, schema, "duckdb", on="contacts", now=NOW_ISO)
        r = max(3, reps if n >= 100 else reps * 4)
        times = interleaved({
            "segql": lambda: segql.compile(text, schema, "duckdb", on="contacts", now=NOW_ISO),
            "sqlglot": lambda: sqlglot.parse_one(sql, read="duckdb").sql(dialect="duckdb"),
        }, r)
        row = {"conditions": n, "segql_ms": statistics.median(times["segql"]) * 1000,
               "sqlglot_ms": statistics.median(times["sqlglot"]) * 1000, "sql_chars": len(sql)}
        row["segql_us_per_condition"] = row["segql_ms"] * 1000 / n
        rows.append(row)
        print(f"  {n:5} conditions: segql {row['segql_ms']:8.2f} ms ({row['segql_us_per_condition']:7.1f} us/cond), "
              f"sqlglot round-trip {row['sqlglot_ms']:8.2f} ms")
    return rows


def query_growth(max_scale: float, reps: int) -> list[dict]:
    import duckdb

    import bench_quality
    import gen_data

    sqls = bench_quality.compiled("duckdb")
    rows = []
    for scale in [s for s in SCALES if s <= max_scale]:
        t0 = time.perf_counter()
        path = gen_data.generate(scale, quiet=True)
        gen_s = time.perf_counter() - t0
        con = duckdb.connect(str(path), read_only=True)
        per = {}
        for slug, sql in sqls.items():
            expert = bench_quality.EXPERT[slug]
            times = interleaved({"segql": lambda s=sql: con.execute(s).fetchall(),
                                 "expert": lambda s=expert: con.execute(s).fetchall()}, reps)
            per[slug] = {"segql_ms": statistics.median(times["segql"]) * 1000,
                         "expert_ms": statistics.median(times["expert"]) * 1000}
        con.close()
        total_s = sum(p["segql_ms"] for p in per.values())
        total_e = sum(p["expert_ms"] for p in per.values())
        contacts = gen_data.sizes(scale)["contacts"]
        rows.append({"contacts": contacts, "segments": per, "segql_total_ms": total_s, "expert_total_ms": total_e,
                     "generate_s": gen_s})
        print(f"  {contacts:>10,} contacts: all {len(per)} segments segql {total_s:9.1f} ms, expert {total_e:9.1f} ms")
    return rows


def main(args) -> None:
    print("compile time vs conditions:")
    comp = compile_growth(args.reps)
    print("query time vs contacts:")
    query = query_growth(args.max_scale, max(3, args.reps // 2 + 1))
    a, b = comp[SIZES.index(100)], comp[-1]
    linearity = (b["segql_ms"] / a["segql_ms"]) / (b["conditions"] / a["conditions"])
    print(f"compile 100 -> 1000 conditions: time x{b['segql_ms'] / a['segql_ms']:.1f} for x10 conditions "
          f"(linearity {linearity:.2f}; 1.0 = linear)")
    save("growth", {"compile": comp, "query": query, "compile_linearity_100_to_1000": linearity,
                    "max_scale": args.max_scale})
    plot()


def plot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = load("growth")
    if data is None:
        raise SystemExit("no benchmarks/results/growth.json: run `python benchmarks/run.py growth` first")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    comp = data["compile"]
    xs = [r["conditions"] for r in comp]
    ax1.loglog(xs, [r["segql_ms"] for r in comp], "o-", label="segql.compile")
    ax1.loglog(xs, [r["sqlglot_ms"] for r in comp], "s--", label="sqlglot parse+generate of the same SQL")
    ref = comp[0]["segql_ms"] / comp[0]["conditions"] * 1.0
    ax1.loglog(xs, [max(ref * x, 1e-3) for x in xs], ":", color="grey", label="linear (from 1 condition)")
    ax1.set_xlabel("leaf conditions in the segment")
    ax1.set_ylabel("time (ms, median)")
    ax1.set_title("Compile time vs segment size (DuckDB dialect)")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend()
    query = data["query"]
    if query:
        cs = [r["contacts"] for r in query]
        ax2.loglog(cs, [r["segql_total_ms"] for r in query], "o-", label="segql SQL (8 segments, total)")
        ax2.loglog(cs, [r["expert_total_ms"] for r in query], "s--", label="expert SQL (same segments)")
        slugs = list(query[0]["segments"])
        for slug in slugs:
            ax2.loglog(cs, [r["segments"][slug]["segql_ms"] for r in query], "-", alpha=0.25, linewidth=1)
        ax2.set_xlabel("contacts (events = 10 x contacts)")
        ax2.set_ylabel("query time (ms, median)")
        ax2.set_title("Query time vs data size (DuckDB, 2 cores)")
        ax2.grid(True, which="both", alpha=0.3)
        ax2.legend()
    m = data.get("machine", {})
    fig.suptitle(f"segql growth — nproc {m.get('nproc')}, Python {m.get('python')}, {m.get('date', '')[:10]}")
    fig.tight_layout()
    out = ROOT / "docs" / "benchmark_growth.png"
    fig.savefig(out, dpi=110)
    print(f"-> {out.relative_to(ROOT)}")
    (RESULTS / "growth.json").write_text(json.dumps(data, indent=2) + "\n", "utf-8")
