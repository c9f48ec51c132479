"""1. Compile throughput: `segql.compile` over a realistic corpus vs sqlglot parsing and regenerating the
very SQL segql emitted (`sqlglot.parse_one(sql, read=d).sql(dialect=d, pretty=True, copy=False)`: like for like, since segql renders
pretty without copying its tree, and `.sql()` deep-copies by default). Target: ratio <= 0.5.
Then, by segment size against sqlglot and PRQL: bench_sizes.py.

Corpus: every segment of examples/segments/*.segql and tests/corpus/constructs.segql. Each item's source
is that definition's own text plus the definitions it refers to (`in segment x`, `in list y`), so each
compile parses what a user would have written for that segment, not a whole shared file.
"""
from __future__ import annotations

import re
import statistics
import time

from common import EXAMPLES, NOW_ISO, ROOT, SCHEMA, interleaved, paired_ratios, save, summarize

DIALECTS = ("duckdb", "postgres", "bigquery", "snowflake", "spark", "tsql")
FILES = sorted((EXAMPLES / "segments").glob("*.segql")) + [ROOT / "tests" / "corpus" / "constructs.segql"]
_REF = re.compile(r"\bin\s+(?:segment|list)\s+([A-Za-z_][\w-]*)", re.I)


def definitions() -> dict[str, str]:
    """slug -> the text of its definition (first definition of a slug wins, as in a library)."""
    import segql

    out = {}
    for path in FILES:
        text = path.read_text("utf-8")
        lines = text.split("\n")
        doc = segql.parse(text, path=str(path))
        for d in doc.definitions:
            out.setdefault(d.slug, "\n".join(lines[d.span.line - 1:d.span.end_line]))
    return out


def corpus() -> list[tuple[str, str]]:
    """(slug, source) where source = the definition and, after it, everything it refers to."""
    defs = definitions()
    items = []
    for slug, text in defs.items():
        needed, todo = [], [slug]
        while todo:
            s = todo.pop()
            if s in needed or s not in defs:
                continue
            needed.append(s)
            todo.extend(_REF.findall(defs[s]))
        items.append((slug, "\n\n".join(defs[s] for s in needed) + "\n"))
    return items


def work(schema, dialects=DIALECTS):
    """(dialect, slug, source, emitted SQL) for every item that compiles for the dialect."""
    import segql
    from segql.errors import SegqlError

    out, skipped = [], 0
    for d in dialects:
        for slug, source in corpus():
            try:
                sql = segql.compile(source, schema, d, segment=slug, now=NOW_ISO)
            except SegqlError:  # unsupported on this dialect, or a list without a lists table
                skipped += 1
                continue
            out.append((d, slug, source, sql))
    return out, skipped


def run(reps: int = 7, dialects=DIALECTS, profile: str | None = None) -> dict:
    import sqlglot

    import segql

    schema = segql.load_schema(str(SCHEMA))
    items, skipped = work(schema, dialects)

    def segql_all():
        for d, slug, source, _ in items:
            segql.compile(source, schema, d, segment=slug, now=NOW_ISO)

    def sqlglot_all():
        for d, _, _, sql in items:
            sqlglot.parse_one(sql, read=d).sql(dialect=d, pretty=True, copy=False)

    if profile:
        import cProfile
        import pstats

        cProfile.runctx("segql_all()", globals(), {"segql_all": segql_all}, profile)
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    times = interleaved({"segql": segql_all, "sqlglot": sqlglot_all}, reps)
    ratios = paired_ratios(times, "segql", "sqlglot")
    n = len(items)
    result = {
        "items": n, "skipped_unsupported": skipped, "dialects": list(dialects), "reps": reps,
        "times": summarize(times),
        "segql_ms_per_compile": statistics.median(times["segql"]) / n * 1000,
        "sqlglot_ms_per_roundtrip": statistics.median(times["sqlglot"]) / n * 1000,
        "ratio": statistics.median(ratios), "ratios": ratios, "target": 0.5,
    }
    result["met"] = result["ratio"] <= result["target"]
    print(f"compile: {n} compiles ({len(dialects)} dialects), segql {result['segql_ms_per_compile']:.3f} ms/compile, "
          f"sqlglot round-trip {result['sqlglot_ms_per_roundtrip']:.3f} ms -> ratio {result['ratio']:.3f} "
          f"(target <= 0.5: {'met' if result['met'] else 'NOT met'})")
    return result


def stage_breakdown(reps: int = 5, dialects=DIALECTS) -> dict:
    """Median time per stage (parse, check, lower, render) over the corpus, for the report."""
    import segql
    from segql import api

    schema = segql.load_schema(str(SCHEMA))
    items, _ = work(schema, dialects)
    stages = {"parse": [], "check": [], "lower": [], "render": []}
    for _ in range(reps):
        acc = dict.fromkeys(stages, 0.0)
        for d, slug, source, _ in items:
            t0 = time.perf_counter()
            doc = api.parse(source, schema=schema)
            t1 = time.perf_counter()
            seg = api.to_ir(doc, schema, segment=slug)
            t2 = time.perf_counter()
            tree = api.to_sql_tree(seg, schema, d, now=NOW_ISO)
            t3 = time.perf_counter()
            api.render(tree, d)
            t4 = time.perf_counter()
            for k, a, b in (("parse", t0, t1), ("check", t1, t2), ("lower", t2, t3), ("render", t3, t4)):
                acc[k] += b - a
        for k in stages:
            stages[k].append(acc[k] / len(items) * 1000)
    out = {k: statistics.median(v) for k, v in stages.items()}
    print("per compile (ms): " + ", ".join(f"{k} {v:.3f}" for k, v in out.items()))
    return out


def main(args) -> None:
    import bench_sizes

    dialects = tuple(args.dialects.split(",")) if args.dialects else DIALECTS
    result = run(args.reps, dialects, args.profile)
    result["baseline"] = "sqlglot.parse_one(sql, read=d).sql(dialect=d, pretty=True, copy=False)"
    result["stages_ms"] = stage_breakdown(max(3, args.reps // 2), dialects)
    print("by segment size (1, 5, 25 conditions; DuckDB):")
    result["by_size"] = bench_sizes.run(max(9, args.reps * 2), args.callgrind)
    result["command"] = "python benchmarks/run.py compile" + (" --callgrind" if args.callgrind else "")
    save("compile", result)
