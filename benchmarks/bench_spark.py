"""10. Scale-out (issue "Performance", item 5): `segql counts` of the 50 segments of segments/fifty.segql (the
statement `run.py counts` times) on a LOCAL Spark session (pyspark, `local[2]`) against DuckDB on the same
data, at two or more data sizes (default 1M contacts / 10M events and 10M / 100M).

Data: gen_data.py's DuckDB file per scale, exported once to Parquet (DuckDB `COPY … (FORMAT parquet)`,
benchmarks/out/parquet_<size>/<table>.parquet); Spark reads the Parquet files as temporary views (one per
table of examples/schema.yml, re-registered before each timing, outside it). Contenders per scale:
- `spark`: `segql.api.counts` on a SparkEngine over ONE session for the whole run (driver memory
  `--driver-memory`, `spark.sql.shuffle.partitions` = `--shuffle-partitions`, ANSI on as `spark://local`);
- `duckdb`: the same call on a DuckDBEngine over the DuckDB file (as `run.py counts`);
- `duckdb_parquet`: DuckDB over views of the same Parquet files Spark reads (the like-for-like read path).
The members must agree on every contender at every scale. One warm-up round (Spark's first statement pays
for its JIT and code generation), then `--reps` rounds, each running every (scale, contender) in turn,
the order reversed every other round.

Figures: per contender, time at the largest scale / time at the smallest (median of the per-round
ratios; 10 = linear in the data for 1 → 10); Spark / DuckDB at each scale (median of paired ratios);
Spark's planning time (parse, analysis, optimisation, physical plan — no data read; median of 3 after the
warm-up) per scale: the part of a statement's time that does not grow with the data.
"""
from __future__ import annotations

import statistics
import time

from common import HERE, NOW_ISO, OUT, SCHEMA, save

FIFTY = HERE / "segments" / "fifty.segql"
TABLES = ("contacts", "organizations", "deals", "events", "list_members")


def _label(scale: float) -> str:
    import gen_data

    return gen_data.db_path(scale).stem.removeprefix("bench_")


def _lit(text: str) -> str:
    from sqlglot import exp

    return exp.Literal.string(text).sql(dialect="duckdb")


def export_parquet(scale: float):
    """benchmarks/out/parquet_<size>/ from gen_data's DuckDB file (written once; a finished export is a
    directory renamed into place, so an interrupted one is redone)."""
    import duckdb
    import gen_data

    db = gen_data.generate(scale, quiet=True)
    out = OUT / f"parquet_{_label(scale)}"
    if out.exists():
        return db, out
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    for t in TABLES:
        con.execute(f'COPY "{t}" TO {_lit(str(tmp / (t + ".parquet")))} (FORMAT parquet)')
    con.close()
    tmp.rename(out)
    return db, out


def spark_session(driver_memory: str, shuffle_partitions: int):
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("segql-bench-spark")
             .config("spark.driver.memory", driver_memory)
             .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.ansi.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _plan_time(spark, sql: str) -> float:
    """Seconds to parse, analyse, optimise and plan the statement physically (no data read)."""
    t0 = time.perf_counter()
    spark.sql(sql)._jdf.queryExecution().executedPlan()
    return time.perf_counter() - t0


def main(args) -> None:
    import duckdb

    import segql
    from segql import api, engines
    from segql.ops.counts import counts_sql

    scales = [float(s) for s in args.scales.split(",")]
    schema = segql.load_schema(str(SCHEMA))
    loaded = api.load_segments([str(FIFTY)], schema)
    data = {s: export_parquet(s) for s in scales}
    spark = spark_session(args.driver_memory, args.shuffle_partitions)
    sp = engines.SparkEngine(spark)

    def spark_views(pq):
        for t in TABLES:
            spark.read.parquet(str(pq / f"{t}.parquet")).createOrReplaceTempView(t)

    duck, duck_pq = {}, {}
    for s, (db, pq) in data.items():
        duck[s] = engines.DuckDBEngine(duckdb.connect(str(db), read_only=True))
        c = duckdb.connect()
        for t in TABLES:
            c.execute(f'CREATE VIEW "{t}" AS SELECT * FROM read_parquet({_lit(str(pq / (t + ".parquet")))})')
        duck_pq[s] = engines.DuckDBEngine(c)

    def run(scale, who):
        """Wall time of one `counts` (views registered beforehand, outside the time) and its members."""
        if who == "spark":
            spark_views(data[scale][1])
        eng = {"spark": sp, "duckdb": duck[scale], "duckdb_parquet": duck_pq[scale]}[who]
        t0 = time.perf_counter()
        members = [r["members"] for r in api.counts(loaded, schema, eng, NOW_ISO)]
        return time.perf_counter() - t0, members

    who_all = ["spark", "duckdb", "duckdb_parquet"]
    members = {}
    for s in scales:
        got = {}
        for who in who_all:  # warm-up round, and the members agree
            dt, got[who] = run(s, who)
            print(f"warm-up {_label(s)} {who}: {dt:.1f} s", flush=True)
        if len({tuple(v) for v in got.values()}) != 1:
            raise SystemExit(f"members differ at scale {s:g}: {got}")
        members[s] = got["duckdb"]
    (sql,) = counts_sql(loaded, schema, "spark", NOW_ISO).values()
    plan = {}
    for s in scales:  # after the warm-up: the JVM's first statement would count its own warming
        spark_views(data[s][1])
        plan[s] = statistics.median(_plan_time(spark, sql) for _ in range(3))
    times = {(s, w): [] for s in scales for w in who_all}
    order = list(times)
    for i in range(args.reps):
        for key in (order if i % 2 == 0 else order[::-1]):
            dt, got = run(*key)
            if got != members[key[0]]:
                raise SystemExit(f"members changed between runs: {key}")
            times[key].append(dt)
            print(f"round {i + 1} {_label(key[0])} {key[1]}: {dt:.1f} s", flush=True)
    version = spark.version
    spark.stop()

    small, large = scales[0], scales[-1]
    med = {f"{_label(s)} {w}": statistics.median(v) for (s, w), v in times.items()}
    per_scale = {}
    for s in scales:
        ratio = [a / b for a, b in zip(times[(s, "spark")], times[(s, "duckdb")])]
        ratio_pq = [a / b for a, b in zip(times[(s, "spark")], times[(s, "duckdb_parquet")])]
        per_scale[_label(s)] = {
            "scale": s, "spark_s": statistics.median(times[(s, "spark")]),
            "duckdb_s": statistics.median(times[(s, "duckdb")]),
            "duckdb_parquet_s": statistics.median(times[(s, "duckdb_parquet")]), "spark_plan_s": plan[s],
            "spark_over_duckdb": statistics.median(ratio), "spark_over_duckdb_parquet": statistics.median(ratio_pq)}
        f = per_scale[_label(s)]
        print(f"{_label(s)} contacts: Spark {f['spark_s']:.1f} s (planning {plan[s]:.1f} s), DuckDB {f['duckdb_s']:.2f} s "
              f"(on Parquet {f['duckdb_parquet_s']:.2f} s): Spark / DuckDB = {f['spark_over_duckdb']:.1f}x "
              f"(/ DuckDB on Parquet {f['spark_over_duckdb_parquet']:.1f}x)")
    growth = {w: statistics.median([a / b for a, b in zip(times[(large, w)], times[(small, w)])]) for w in who_all}
    print(f"time at {_label(large)} / time at {_label(small)} (data x{large / small:g}): "
          + ", ".join(f"{w} {g:.2f}" for w, g in growth.items()))
    save("spark", {
        "command": (f"python benchmarks/run.py spark --scales {args.scales} --reps {args.reps} "
                    f"--driver-memory {args.driver_memory} --shuffle-partitions {args.shuffle_partitions}"),
        "scales": scales, "segments": len(loaded), "reps": args.reps,
        "spark_conf": {"master": "local[2]", "spark.driver.memory": args.driver_memory,
                       "spark.sql.shuffle.partitions": args.shuffle_partitions, "spark.sql.ansi.enabled": True,
                       "pyspark": version},
        "members": {_label(s): dict(zip([i.slug for i in loaded], members[s])) for s in scales},
        "per_scale": per_scale, "growth": growth, "medians_s": med,
        "times_s": {f"{_label(s)} {w}": v for (s, w), v in times.items()},
    })
