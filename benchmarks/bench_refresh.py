"""7. Refresh at bulk speed: `segql refresh` of one segment with 1M members (default scale 1) against a plain
`INSERT … SELECT` of the same members, measured in the same run, for four phases in order:

    first        all contacts enter            (state tables empty)
    no change    the same members again
    half leave   `id > N/2`: half the members leave
    half enter   all contacts again: that half enters

The baseline of each phase writes the phase's member set (the refresh's own member SELECT, keys as text,
the refresh time) into a table shaped like segql_membership with no key or index, in its own transaction
— what bulk-writing the membership costs at the least. Figure per phase: refresh / baseline (goal <= 2),
median of the paired ratios over `--reps` rounds (each round starts from empty state tables). Where the
engine keeps segql_membership's PRIMARY KEY (PostgreSQL, for member lookups), a second baseline `keyed`
writes the same rows, in key order, into a table with that key: bulk-writing THAT table at the least.

On DuckDB a copy of benchmarks/out/bench_<size>.duckdb (the state tables go into it); on PostgreSQL the
data `quality`/`counts` load into schema segql_bench (unless --no-postgres).
"""
from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import NOW_ISO, SCHEMA, save

PHASES = [("first", "all"), ("no change", "all"), ("half leave", "half"), ("half enter", "all")]
PLAIN = "segql_bench_plain_insert"
KEYED = "segql_bench_keyed_insert"


def _segments(tmp: Path, contacts: int) -> dict:
    import segql
    from segql import api

    schema = segql.load_schema(str(SCHEMA))
    out = {}
    for name, cond in (("all", "id > 0"), ("half", f"id > {contacts // 2}")):
        f = tmp / f"{name}.segql"
        f.write_text(f"segment everyone on contacts where {cond}\n", "utf-8")
        out[name] = api.load_segments([str(f)], schema)[0].segment
    return schema, out


def _baseline_sql(seg, schema, engine, at, table=PLAIN) -> str:
    """INSERT … SELECT of the segment's members (the refresh's own member SELECT) into the plain table."""
    from sqlglot import exp

    from segql.ops.compile import to_sql_tree
    from segql.ops.refresh import Db

    db = Db(engine, "benchmark")
    tree = to_sql_tree(seg, schema, engine.dialect, now=at, select="keys")
    key = exp.column(exp.to_identifier(schema.entities[seg.entity].key, quoted=True), table=exp.Identifier(this="m"))
    select = exp.select(exp.Literal.string(seg.slug), db.key_text(key), exp.Literal.string(str(at))).from_(
        tree.subquery("m", copy=False)).where(exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null())))
    if table == KEYED:
        select = select.order_by("2")
    return f"INSERT INTO {table} (segment, member_key, entered_at) " + select.sql(dialect=engine.dialect)


def _profiled(rf, log: list):
    """`Db.run` timed: each statement a refresh issues and its seconds go to `log` (--profile)."""
    run = rf.Db.run

    def timed(self, sql):
        t0 = time.perf_counter()
        try:
            return run(self, sql)
        finally:
            log.append((time.perf_counter() - t0, sql))
    return timed


def run_engine(label: str, open_engine, schema, segs, reps: int, profile: bool = False) -> dict:
    from segql.ops import refresh as rf

    log: list = []
    own = rf.Db.run
    if profile:
        rf.Db.run = rf.Db.execute = _profiled(rf, log)

    eng = open_engine()
    t, ts = eng.state_types["text"], eng.state_types["timestamp"]
    keyed = getattr(eng, "state_primary_key", True)
    for table, key in ((PLAIN, ""), (KEYED, ", PRIMARY KEY (segment, member_key)")):
        eng.execute(f"DROP TABLE IF EXISTS {table}")
        eng.execute(f"CREATE TABLE {table} (segment {t} NOT NULL, member_key {t} NOT NULL, entered_at {ts} NOT NULL"
                    f"{key})")
    at = rf.refresh_time(NOW_ISO, schema.timezone)
    base = {name: _baseline_sql(seg, schema, eng, at) for name, seg in segs.items()}
    kbase = {name: _baseline_sql(seg, schema, eng, at, KEYED) for name, seg in segs.items()}
    times = {p: {"refresh": [], "plain": [], "keyed": []} for p, _ in PHASES}
    counts = {}
    for rep in range(reps + 1):  # round 0 warms up
        for table in (rf.MEMBERSHIP, rf.EVENTS, rf.REFRESHES):
            eng.execute(f"DROP TABLE IF EXISTS {table}")
        for phase, which in PHASES:
            def do_refresh(which=which, phase=phase, rep=rep):
                log.clear()
                out = rf.refresh([segs[which]], schema, eng, NOW_ISO)[0]
                if profile and rep == 1:  # the statements of the first measured round, over 10 ms
                    print(f"{label} {phase}: " + "; ".join(f"{sql[:60]}… {secs:.2f} s" for secs, sql in log
                                                          if secs > 0.01))
                return out

            def do_plain(which=which):
                eng.execute(eng.begin_sql)
                eng.execute(base[which])
                eng.execute("COMMIT")

            def do_keyed(which=which):
                eng.execute(eng.begin_sql)
                eng.execute(kbase[which])
                eng.execute("COMMIT")

            order = [("refresh", do_refresh), ("plain", do_plain)] + ([("keyed", do_keyed)] if keyed else [])
            for name, f in (order if rep % 2 == 0 else order[::-1]):
                t0 = time.perf_counter()
                r = f()
                dt = time.perf_counter() - t0
                if rep:
                    times[phase][name].append(dt)
                if name == "refresh":
                    counts[phase] = {k: r[k] for k in ("members", "entered", "left")}
                else:
                    eng.execute(f"DELETE FROM {PLAIN if name == 'plain' else KEYED}")
    for table in (PLAIN, KEYED):
        eng.execute(f"DROP TABLE IF EXISTS {table}")
    eng.close()
    rf.Db.run = rf.Db.execute = own
    out = {}
    for phase, _ in PHASES:
        tt = times[phase]
        ratio = statistics.median(a / b for a, b in zip(tt["refresh"], tt["plain"]))
        out[phase] = {**counts[phase], "refresh_s": statistics.median(tt["refresh"]),
                      "plain_s": statistics.median(tt["plain"]), "ratio": ratio}
        if tt["keyed"]:
            out[phase]["keyed_s"] = statistics.median(tt["keyed"])
            out[phase]["ratio_keyed"] = statistics.median(a / b for a, b in zip(tt["refresh"], tt["keyed"]))
        print(f"{label} {phase:10s}: members {counts[phase]['members']:,} entered {counts[phase]['entered']:,} "
              f"left {counts[phase]['left']:,}: refresh {out[phase]['refresh_s']:.2f} s, plain INSERT … SELECT "
              f"{out[phase]['plain_s']:.2f} s -> {ratio:.2f}x (goal <= 2)"
              + (f"; into a keyed table {out[phase]['keyed_s']:.2f} s -> {out[phase]['ratio_keyed']:.2f}x"
                 if "keyed_s" in out[phase] else ""))
    return out


def main(args) -> None:
    import gen_data

    from segql.engines import connect

    path = gen_data.generate(args.scale, quiet=True)
    contacts = gen_data.sizes(args.scale)["contacts"]
    result = {"command": f"python benchmarks/run.py refresh --scale {args.scale:g} --reps {args.reps}",
              "scale": args.scale, "contacts": contacts}
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        tmp = Path(tmp)
        schema, segs = _segments(tmp, contacts)
        copy = tmp / "refresh.duckdb"
        shutil.copy(path, copy)
        result["duckdb"] = run_engine("DuckDB", lambda: connect(f"duckdb:///{copy}"), schema, segs, args.reps,
                                      args.profile)
        if not args.no_postgres:
            from urllib.parse import quote

            import bench_quality

            try:
                bench_quality.load_postgres(args.postgres_url, args.scale).close()
            except Exception as err:  # noqa: BLE001 - no server: keep the DuckDB figures
                print(f"PostgreSQL part skipped: {type(err).__name__}: {err}")
                result["postgres"] = {"skipped": str(err)}
            else:
                url = args.postgres_url + ("&" if "?" in args.postgres_url else "?") + "options=" + quote(
                    "-csearch_path=segql_bench")
                result["postgres"] = run_engine("PostgreSQL", lambda: connect(url), schema, segs, args.reps,
                                                args.profile)
    phases = [v for k in ("duckdb", "postgres") for v in (result.get(k) or {}).values() if isinstance(v, dict)
              and "ratio" in v]
    result["met"] = bool(phases) and all(v["ratio"] <= 2.0 for v in phases)
    save("refresh", result)
