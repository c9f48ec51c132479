"""8. Memory of `segql counts` with many segments (issue "Performance", item 6, counts half): the peak
resident memory of the `segql counts` process (DuckDB in process, 1M contacts / 10M events) for 50, 100,
250 and 500 generated segments (bench_counts.fifty_segments), against the SCAN FLOOR process (a fresh
interpreter running the floor statement of the 500 segments on the same file: what reading the columns
costs DuckDB's buffer pool). Figures: peak MB per size, the least-squares slope in MB per segment and the
500-segment peak (goal: linear, under 300 MB). `counts` runs under its default DuckDB memory cap
(`--memory-limit auto`, docs/operations.md); the 500 segments are also measured with `--memory-limit none`
(DuckDB's own limit, 80% of RAM: what `counts` did before the cap).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from common import NOW_ISO, SCHEMA, save

SIZES = (50, 100, 250, 500)
_PEAK = ("import resource, runpy, sys\nsys.argv = sys.argv[1:]\ntry:\n    {run}\nexcept SystemExit:\n    pass\n"
         "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")


def _peak_mb(code_run: str, argv: list[str]) -> float:
    out = subprocess.run([sys.executable, "-c", _PEAK.format(run=code_run), *argv], capture_output=True,
                         text=True, check=True)
    line = [x for x in out.stderr.splitlines() if x.startswith("PEAK ")][-1]
    return int(line.split()[1]) / 1024


def main(args) -> None:
    import bench_counts
    import counts_baselines
    import gen_data

    import segql
    from segql import api
    from segql.lower.batch import count_query

    path = gen_data.generate(args.scale, quiet=True)
    schema = segql.load_schema(str(SCHEMA))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            f = Path(tmp) / f"seg{n}.segql"
            f.write_text(bench_counts.fifty_segments(n), "utf-8")
            mb = _peak_mb("runpy.run_module('segql', run_name='__main__')",
                          ["segql", "counts", str(f), "--schema", str(SCHEMA), "--db", f"duckdb:///{path}", "--now",
                           NOW_ISO, "--format", "json"])
            rows.append({"segments": n, "peak_mb": mb})
            print(f"segql counts, {n} segments: peak {mb:.0f} MB")
        uncapped = _peak_mb("runpy.run_module('segql', run_name='__main__')",
                            ["segql", "counts", str(f), "--schema", str(SCHEMA), "--db", f"duckdb:///{path}", "--now",
                             NOW_ISO, "--format", "json", "--memory-limit", "none"])
        print(f"segql counts --memory-limit none, {n} segments: peak {uncapped:.0f} MB")
        loaded = api.load_segments([str(f)], schema)
        floor = counts_baselines.floor_sql(count_query(schema, "duckdb", "contacts", [i.segment for i in loaded],
                                                       NOW_ISO), schema, "duckdb")
        q = Path(tmp) / "floor.sql"
        q.write_text(floor, "utf-8")
        floor_mb = _peak_mb("import duckdb; duckdb.connect(sys.argv[0], read_only=True).execute("
                            "open(sys.argv[1]).read()).fetchall()", [str(path), str(q)])
    print(f"scan floor process: peak {floor_mb:.0f} MB")
    xs, ys = [r["segments"] for r in rows], [r["peak_mb"] for r in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    print(f"slope {slope:.3f} MB per segment; 500 segments {ys[-1]:.0f} MB (goal < 300 MB)")
    save("memory", {"command": f"python benchmarks/run.py memory --scale {args.scale:g}", "scale": args.scale,
                    "sizes": rows, "floor_mb": floor_mb, "uncapped_500_mb": uncapped, "mb_per_segment": slope,
                    "peak_500_mb": ys[-1], "met": ys[-1] < 300})
