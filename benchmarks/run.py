"""segql benchmarks — each figure is a RATIO against a baseline measured in the same run (interleaved
repetitions, medians), so a noisy shared machine moves both sides alike.

    python benchmarks/run.py compile   [--reps 7] [--profile out.prof]   # 1. compile throughput
    python benchmarks/run.py startup   [--reps 21]                       # 2. CLI start-up
    python benchmarks/run.py quality   [--scale 1.0] [--postgres-scale 0.1]   # 3. query quality
    python benchmarks/run.py counts    [--scale 1.0] [--postgres-scale 1.0]   # 4. many segments
    python benchmarks/run.py growth    [--max-scale 10]                  # 5. growth (+ plot)
    python benchmarks/run.py service   [--clients 50] [--seconds 60]     # 6. the HTTP service under load
    python benchmarks/run.py refresh   [--scale 1.0] [--reps 3]          # 7. refresh vs INSERT … SELECT
    python benchmarks/run.py memory    [--scale 1.0]                     # 8. peak memory of counts, 50-500 segments
    python benchmarks/run.py spark     [--scales 1,10] [--reps 3]        # 10. counts on local Spark vs DuckDB, 1M -> 10M
    python benchmarks/run.py plot                                        # docs/*.png from results/
    python benchmarks/run.py readme                                      # figures table in README.md
    python benchmarks/run.py all       [--scale 0.1]                     # everything

Data for 3-5 comes from benchmarks/gen_data.py (DuckDB, hash-based, reproducible) into benchmarks/out/.
Raw figures are written as JSON under benchmarks/results/.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("compile", help="1. compile throughput vs sqlglot round-trip")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--dialects", help="comma-separated (default: duckdb,postgres,bigquery,snowflake,spark,tsql)")
    p.add_argument("--profile", help="write a cProfile of segql's side here and print the hot spots")
    p.add_argument("--callgrind", action="store_true",
                   help="also count instructions per compile under valgrind (load-independent; slow)")
    p = sub.add_parser("startup", help="2. CLI start-up vs python -c 'import sqlglot, lark, yaml' + one dialect")
    p.add_argument("--reps", type=int, default=21)
    p.add_argument("--importtime", action="store_true", help="also print the slowest imports (-X importtime)")
    p.add_argument("--callgrind", action="store_true", help="also count instructions under valgrind")
    p = sub.add_parser("quality", help="3. compiled SQL vs hand-written expert SQL (DuckDB; EXPLAIN on PostgreSQL)")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--postgres-scale", type=float, default=0.1)
    p.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--no-postgres", action="store_true")
    p = sub.add_parser("counts", help="4. `segql counts` of 50 segments vs 50 separate count queries")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--postgres-scale", type=float, default=1.0)
    p.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--no-postgres", action="store_true")
    p = sub.add_parser("growth", help="5. compile time vs conditions, query time vs contacts")
    p.add_argument("--max-scale", type=float, default=10.0, help="largest data scale (10 = 10M contacts)")
    p.add_argument("--compile-only", action="store_true", help="only the compile half (keeps the query figures)")
    p.add_argument("--reps", type=int, default=5)
    p = sub.add_parser("service", help="6. `segql serve` under N concurrent clients: p50/p99, errors")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--workers", type=int, default=2)
    p = sub.add_parser("refresh", help="7. `segql refresh` of 1M members vs a plain INSERT … SELECT of them")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--profile", action="store_true", help="print each statement of a refresh and its time")
    p = sub.add_parser("memory", help="8. peak memory of `segql counts` for 50 to 500 segments")
    p.add_argument("--scale", type=float, default=1.0)
    p = sub.add_parser("spark", help="10. `segql counts` on local Spark vs DuckDB, and how each scales with the data")
    p.add_argument("--scales", default="1,10", help="comma-separated data scales, smallest first (1 = 1M contacts)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--driver-memory", default="6g")
    p.add_argument("--shuffle-partitions", type=int, default=4)
    sub.add_parser("plot", help="plot results/growth.json to docs/benchmark_growth.png")
    sub.add_parser("readme", help="rewrite the figures table in benchmarks/README.md from results/")
    p = sub.add_parser("all", help="run everything")
    p.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args(argv)

    if args.cmd == "compile":
        import bench_compile

        bench_compile.main(args)
    elif args.cmd == "startup":
        import bench_startup

        bench_startup.main(args)
    elif args.cmd == "quality":
        import bench_quality

        bench_quality.main(args)
    elif args.cmd == "counts":
        import bench_counts

        bench_counts.main(args)
    elif args.cmd == "growth":
        import bench_growth

        bench_growth.main(args)
    elif args.cmd == "service":
        import bench_service

        bench_service.main(args)
    elif args.cmd == "refresh":
        import bench_refresh

        bench_refresh.main(args)
    elif args.cmd == "memory":
        import bench_memory

        bench_memory.main(args)
    elif args.cmd == "spark":
        import bench_spark

        bench_spark.main(args)
    elif args.cmd == "plot":
        import bench_growth

        bench_growth.plot()
    elif args.cmd == "readme":
        import report

        report.main()
    elif args.cmd == "all":
        for cmd in (["compile"], ["startup"], ["quality", "--scale", str(args.scale)],
                    ["counts", "--scale", str(args.scale)], ["growth", "--max-scale", str(max(args.scale, 1.0))],
                    ["readme"]):
            main(cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
