"""Sequences (SPEC §8) on DuckDB: the self-join segql emits against a window-function form (the earliest
following B per A via MIN … OVER, `Lowerer.sequence_by_window`). Both must give the same count; the figure
is window / self-join (below 1: the window form is faster).

    python benchmarks/gen_data.py --scale 0.1
    python benchmarks/bench_sequence.py --scale 0.1
"""
from __future__ import annotations

import argparse
import statistics
import sys

import duckdb

from common import NOW_ISO, SCHEMA, interleaved, paired_ratios, save, summarize
from gen_data import generate

import segql
from segql import api
from segql.lower import sql as lowering

SEGMENTS = {
    "rare_then_common": 'performed "purchase" then "page_view" within 14 days in last 90 days',
    "common_then_common": 'performed "email_opened" then "email_clicked" within 1 day',
    "counted": 'performed "email_opened" then "purchase" within 7 days at least 2 times',
    "no_span": 'performed "page_view" then "purchase"',
}


def compiled(segment, schema, form: str) -> str:
    original = lowering.Lowerer.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.sequence_form = form
    lowering.Lowerer.__init__ = init
    try:
        return api.to_sql_tree(segment, schema, "duckdb", now=NOW_ISO, select="count").sql(dialect="duckdb")
    finally:
        lowering.Lowerer.__init__ = original


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args(argv)
    path = generate(args.scale, quiet=True)
    schema = segql.load_schema(SCHEMA)
    con = duckdb.connect(str(path), read_only=True)
    results, ratios = {}, []
    for name, text in SEGMENTS.items():
        seg = api.to_ir(text, schema, on="contacts")
        join_sql, window_sql = compiled(seg, schema, "join"), compiled(seg, schema, "window")
        counts = {f: con.execute(q).fetchone()[0] for f, q in (("join", join_sql), ("window", window_sql))}
        assert counts["join"] == counts["window"], (name, counts)
        times = interleaved({"join": lambda q=join_sql: con.execute(q).fetchall(),
                             "window": lambda q=window_sql: con.execute(q).fetchall()}, args.reps)
        ratio = statistics.median(paired_ratios(times, "window", "join"))
        ratios.append(ratio)
        results[name] = {"text": text, "members": counts["join"], "window_over_join": ratio, **summarize(times)}
        print(f"{name:20} members {counts['join']:>7}  join {statistics.median(times['join']) * 1000:7.1f} ms"
              f"  window {statistics.median(times['window']) * 1000:7.1f} ms  window/join {ratio:.2f}")
    geomean = statistics.geometric_mean(ratios)
    print(f"geomean window/join {geomean:.2f}")
    save("sequence", {"scale": args.scale, "segments": results, "geomean_window_over_join": geomean})
    return 0


if __name__ == "__main__":
    sys.exit(main())
