"""Rewrite the figures table of benchmarks/README.md (between the FIGURES markers) from results/*.json."""
from __future__ import annotations

from common import HERE, load

START, END = "<!-- FIGURES:START -->", "<!-- FIGURES:END -->"


def rows() -> list[list[str]]:
    out = []

    def machine(r):
        m = r["machine"]
        return f"{m['nproc']} cores, Py {m['python']}", m["date"][:10]

    r = load("compile")
    if r:
        mach, date = machine(r)
        out.append([mach, f"`{r.get('command', 'python benchmarks/run.py compile')}`", date,
                    f"segql.compile / sqlglot round trip (pretty, copy=False) = **{r['ratio']:.2f}** "
                    f"({r['segql_ms_per_compile']:.2f} vs {r['sqlglot_ms_per_roundtrip']:.2f} ms, wall, "
                    f"{r['items']} compiles, {len(r['dialects'])} dialects)",
                    "≤ 0.5", "yes" if r["met"] else "**no**"])
        by = r.get("by_size")
        if by:
            cg = by["measure"].startswith("callgrind")
            key = "cg_ratio" if cg else "ratio"
            sizes = ", ".join(f"{x['conditions']}: **{x[key + '_sqlglot']:.2f}** / **{x[key + '_prql']:.2f}**"
                              for x in by["sizes"])
            out.append([mach, f"`{r.get('command', 'python benchmarks/run.py compile')}` (by size, DuckDB)", date,
                        f"segql / sqlglot round trip and segql / PRQL (prqlc) by conditions, {by['measure']}: {sizes}",
                        "≤ 0.5 both", "yes" if by["met"] else "**no**"])
    r = load("startup")
    if r:
        mach, date = machine(r)
        b = r["bytecode"]
        if "floor" in r.get("baseline", "") or "yaml" in r.get("baseline", ""):
            cg = r.get("callgrind")
            cgt = (f"; callgrind **{cg['ratio']:.2f}×** ({cg['segql'] / 1e6:.0f} M vs {cg['floor'] / 1e6:.0f} M "
                   "instructions)") if cg else ""
            out.append([mach, f"`{r.get('reproduce', 'python benchmarks/run.py startup')}`", date,
                        f"`segql compile` / floor (`import sqlglot, lark, yaml` + the postgres dialect) = "
                        f"**{b['ratio']:.2f}×** wall ({b['segql_ms']:.0f} vs {b['baseline_ms']:.0f} ms; without "
                        f"bytecode {r['as_is']['ratio']:.2f}×){cgt}", "≤ 1.1×", "yes" if r["met"] else "**no**"])
        else:
            out.append([mach, "`python benchmarks/run.py startup`", date,
                        f"`segql compile` / `import sqlglot, lark` = **{b['ratio']:.2f}×** ({b['segql_ms']:.0f} vs "
                        f"{b['baseline_ms']:.0f} ms; without bytecode {r['as_is']['ratio']:.2f}×)",
                        "≤ 1.2×", "yes" if r["met"] else "**no**"])
    r = load("quality")
    if r:
        mach, date = machine(r)
        d = r["duckdb"]
        out.append([mach, f"`python benchmarks/run.py quality --scale {d['scale']:g}`", date,
                    f"DuckDB {int(d['scale'] * 1e6):,} contacts: segql / expert geomean **{d['geomean_ratio']:.2f}**, "
                    f"worst **{d['worst_ratio']:.2f}** ({max(d['segments'], key=lambda s: d['segments'][s]['ratio'])})",
                    "≤ 1.0", "yes" if d["met"] else "**no**"])
        p = r.get("postgres") or {}
        if "segments" in p:
            used = [s for s, v in p["segments"].items() if v["uses_relationship_index"]]
            out.append([mach, f"`python benchmarks/run.py quality` (PostgreSQL, scale {p['scale']:g})", date,
                        f"geomean {p['geomean_ratio']:.2f}; relationship-key index in the plan for "
                        f"{len(used)}/{len(p['segments'])} segments (the others: hash semi/anti joins)",
                        "indexes usable", "yes"])
    r = load("counts")
    if r:
        mach, date = machine(r)
        f = r["inprocess"]
        if "over_floor" in f:
            out.append([mach, f"`python benchmarks/run.py counts --scale {r['scale']:g}` (DuckDB)", date,
                        f"`counts` of 50 segments = **{f['over_floor']:.2f}×** the scan floor ({f['counts_s']:.2f} vs "
                        f"{f['floor_s']:.2f} s); hand-written one-pass / counts **{f['hand_over_counts']:.2f}**; "
                        f"50 separate queries / counts **{f['speedup']:.2f}×**; CLI {r['cli']['speedup']:.1f}×",
                        "≤ 3× floor; > 1; ≥ 3×", "yes" if r["met"] else "**no**"])
        p = r.get("postgres") or {}
        if "over_floor" in p:
            out.append([mach, f"`python benchmarks/run.py counts` (PostgreSQL, scale {p['scale']:g})", date,
                        f"{int(p['scale'] * 1e6):,} contacts: counts = **{p['over_floor']:.2f}×** the scan floor "
                        f"({p['counts_s']:.2f} vs {p['floor_s']:.2f} s); hand-written / counts "
                        f"**{p['hand_over_counts']:.2f}**; 50 separate / counts **{p['speedup']:.2f}×**",
                        "≤ 3× floor; > 1; ≥ 3×", "yes" if p["met"] else "**no**"])
    r = load("refresh")
    if r:
        mach, date = machine(r)
        for key, label in (("duckdb", "DuckDB"), ("postgres", "PostgreSQL")):
            e = r.get(key) or {}
            if "first" not in e:
                continue
            txt = "; ".join(f"{ph} **{v['ratio']:.2f}**" + (f" (keyed table {v['ratio_keyed']:.2f})"
                                                              if "ratio_keyed" in v else "")
                            for ph, v in e.items())
            ok = all(v["ratio"] <= 2.0 for v in e.values())
            out.append([mach, f"`python benchmarks/run.py refresh --scale {r['scale']:g}` ({label})", date,
                        f"refresh / plain INSERT … SELECT, {r['contacts']:,} members: {txt}", "≤ 2 each",
                        "yes" if ok else "**no**"])
    r = load("memory")
    if r:
        mach, date = machine(r)
        sizes = ", ".join(f"{x['segments']}: {x['peak_mb']:.0f}" for x in r["sizes"])
        out.append([mach, f"`python benchmarks/run.py memory --scale {r['scale']:g}`", date,
                    f"peak MB of `segql counts` by segments — {sizes}; slope **{r['mb_per_segment']:.2f} MB/segment**; "
                    f"scan-floor process {r['floor_mb']:.0f} MB", "linear, < 300 MB at 500",
                    "yes" if r["met"] else "**no**"])
    r = load("spark")
    if r:
        mach, date = machine(r)
        ps, g = r["per_scale"], r["growth"]
        sizes = list(ps)
        lo, hi = sizes[0], sizes[-1]
        lo_, hi_ = lo.upper(), hi.upper()
        out.append([mach, f"`{r['command']}`", date,
                    f"`counts` of 50 segments, time at {hi_} / time at {lo_} contacts: Spark (local[2]) "
                    f"**{g['spark']:.2f}**, DuckDB **{g['duckdb']:.2f}**; Spark / DuckDB: {lo_} "
                    f"**{ps[lo]['spark_over_duckdb']:.1f}×** ({ps[lo]['spark_s']:.1f} vs {ps[lo]['duckdb_s']:.1f} s), "
                    f"{hi_} **{ps[hi]['spark_over_duckdb']:.1f}×** ({ps[hi]['spark_s']:.0f} vs {ps[hi]['duckdb_s']:.0f} s)",
                    "measured (scale-out)", "—"])
    r = load("growth")
    if r:
        mach, date = machine(r)
        q = r["query"]
        qtxt = ", ".join(f"{x['contacts']:,}: {x['segql_total_ms'] / x['expert_total_ms']:.2f}" for x in q)
        if "compile_exponent" in r:
            c, mem = r["compile"], r["compile_memory"]
            exp_ = r["compile_exponent"]
            ok = exp_ <= 1.1 and mem["peak_rss_mb"] < 300
            out.append([mach, f"`{r.get('command', 'python benchmarks/run.py growth')}`", date,
                        f"compile 100→{c[-1]['conditions']:,} conditions: log-log exponent **{exp_:.2f}** (1.0 = "
                        f"linear; sqlglot's round trip {r['compile_exponent_sqlglot']:.2f}); {mem['conditions']:,} "
                        f"conditions: {mem['cpu_s']:.1f} s CPU, peak RSS **{mem['peak_rss_mb']:.0f} MB**; query "
                        f"segql/expert by contacts: {qtxt}", "linear, < 300 MB", "yes" if ok else "**no**"])
        else:
            lin = r["compile_linearity_100_to_1000"]
            c = r["compile"][-1]
            out.append([mach, "`python benchmarks/run.py growth`", date,
                        f"compile 100→1,000 conditions: linearity {lin:.2f} (1.0 = linear; {c['segql_ms']:.0f} ms at "
                        f"1,000); query segql/expert by contacts: {qtxt}", "near-linear",
                        "yes" if lin <= 1.5 else "**no**"])
    return out


def main() -> None:
    readme = HERE / "README.md"
    text = readme.read_text("utf-8")
    table = ["| machine | command | date | figure | target | met? |", "|---|---|---|---|---|---|"]
    table += ["| " + " | ".join(r) + " |" for r in rows()]
    block = START + "\n" + "\n".join(table) + "\n" + END
    if START in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text += "\n" + block + "\n"
    readme.write_text(text, "utf-8")
    print("\n".join(table))
