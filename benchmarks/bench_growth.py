"""5. Growth.

- Compile CPU time as a segment grows from 1 to 10,000 leaf conditions (a realistic mix of comparisons, string
  tests, relative times and to-many quantifiers joined by `and`/`or`), with sqlglot's parse+generate round-trip of
  the same emitted SQL as the reference line; the figure is the exponent of a log-log least-squares fit
  over 100..10,000 conditions (1.0 = linear), and the peak RSS of compiling 10,000 conditions.
- Query time as contacts grow 100k -> 1M (-> 10M with --max-scale 10): the quality segments
  (benchmarks/segments/quality.segql), segql vs expert SQL, on DuckDB.

Raw figures: benchmarks/results/growth.json; plot: docs/benchmark_growth.png (`run.py plot`).
"""
from __future__ import annotations

import json
import statistics
import time

from common import NOW_ISO, RESULTS, ROOT, SCHEMA, interleaved, load, save

SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
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
    """CPU time (process_time, interleaved with sqlglot's round trip of the same SQL) per size."""
    import sqlglot

    import segql

    schema = segql.load_schema(str(SCHEMA))
    rows = []
    for n in SIZES:
        text = condition(n)
        sql = segql.compile(text, schema, "duckdb", on="contacts", now=NOW_ISO)
        r = reps * 4 if n < 100 else reps if n <= 2000 else max(2, reps // 2)
        seg = {"segql": [], "sqlglot": []}
        for i in range(r + 1):
            for name in (("segql", "sqlglot") if i % 2 else ("sqlglot", "segql")):
                t0 = time.process_time()
                if name == "segql":
                    segql.compile(text, schema, "duckdb", on="contacts", now=NOW_ISO)
                else:
                    sqlglot.parse_one(sql, read="duckdb").sql(dialect="duckdb", pretty=True, copy=False)
                if i:  # the first round warms up
                    seg[name].append(time.process_time() - t0)
        row = {"conditions": n, "segql_ms": statistics.median(seg["segql"]) * 1000,
               "sqlglot_ms": statistics.median(seg["sqlglot"]) * 1000, "sql_chars": len(sql), "reps": r}
        row["segql_us_per_condition"] = row["segql_ms"] * 1000 / n
        rows.append(row)
        print(f"  {n:6} conditions: segql {row['segql_ms']:9.2f} ms CPU ({row['segql_us_per_condition']:7.1f} us/cond), "
              f"sqlglot round trip {row['sqlglot_ms']:9.2f} ms", flush=True)
    return rows


def loglog_exponent(rows: list[dict], key: str, smallest: int = 100) -> float:
    """Least-squares slope of log(time) against log(conditions) over sizes >= smallest: 1.0 is linear,
    2.0 quadratic. A fit over several sizes, not a ratio of two noisy medians."""
    import math

    pts = [(math.log(r["conditions"]), math.log(r[key])) for r in rows if r["conditions"] >= smallest]
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def peak_memory(n: int = 10_000) -> dict:
    """Peak RSS of a fresh process compiling an n-condition segment (interpreter and imports included),
    and its CPU time."""
    import subprocess
    import sys

    code = (f"import resource, sys, time; sys.path.insert(0, {str(RESULTS.parent)!r}); import bench_growth, segql; "
            f"s = segql.load_schema({str(SCHEMA)!r}); t = bench_growth.condition({n}); c = time.process_time(); "
            f"sql = segql.compile(t, s, 'duckdb', on='contacts', now={NOW_ISO!r}); c = time.process_time() - c; "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, c, len(sql))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return {"conditions": n, "peak_rss_mb": int(out[0]) / 1024, "cpu_s": float(out[1]), "sql_chars": int(out[2])}


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
    exponent = loglog_exponent(comp, "segql_ms")
    base_exponent = loglog_exponent(comp, "sqlglot_ms")
    memory = peak_memory(SIZES[-1])
    print(f"compile 100 -> {SIZES[-1]:,} conditions: log-log exponent {exponent:.3f} (1.0 = linear; sqlglot's round "
          f"trip {base_exponent:.3f}); {SIZES[-1]:,} conditions: peak RSS {memory['peak_rss_mb']:.0f} MB, "
          f"{memory['cpu_s']:.2f} s CPU in a fresh process")
    previous = load("growth") or {}
    query = previous.get("query", [])
    if not getattr(args, "compile_only", False):
        print("query time vs contacts:")
        query = query_growth(args.max_scale, max(3, args.reps // 2 + 1))
    save("growth", {"compile": comp, "query": query, "compile_exponent": exponent,
                    "compile_exponent_sqlglot": base_exponent, "compile_memory": memory,
                    "max_scale": previous.get("max_scale") if getattr(args, "compile_only", False) else args.max_scale,
                    "command": "python benchmarks/run.py growth" + (" --compile-only" if getattr(args, "compile_only",
                                                                                                   False) else "")})
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
