"""1b. Compile by segment size: `segql.compile` of a 1-, 5- and 25-condition segment (bench_growth's mix)
against two baselines in the same run:

- sqlglot's round trip of the SQL segql emitted, like for like: `parse_one(sql, read=d).sql(dialect=d,
  pretty=True, copy=False)` (segql renders pretty, without copying its tree; `.sql()` copies by default);
- PRQL's compiler (`prqlc.compile`, PyPI `prqlc`) on an equivalent PRQL query (`prql_query`): the same
  leaves over the same tables, to-many tests as grouped relations joined back (PRQL has no EXISTS).

Two measures: CPU time (process_time, interleaved, medians of paired ratios) and, with --callgrind,
instructions per compile under `valgrind --tool=callgrind` (a run with R compiles minus a run with none),
which do not move with the load of a shared machine. Target: ratio <= 0.5 against both, at every size.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from common import HERE, NOW_ISO, SCHEMA

SIZES = (1, 5, 25)
DIALECT = "duckdb"
NOW_PRQL = "@" + NOW_ISO
# the PRQL form of each of bench_growth.LEAVES, in the same order; (condition, relation to define)
PRQL_LEAVES = (
    ("c.opens >= {i}", None),
    ('c.country == "C{i}"', None),
    ("c.last_activity < " + NOW_PRQL + " - {i}days", None),
    ("(c.lifetime_value >= {i} && c.lifetime_value <= {j})", None),
    ('(c.email | text.lower | text.contains "x{i}")', None),
    ('(c.customer_tier | in ["Gold", "T{i}"])', None),
    ("r{n}.n != null",
     ('let r{n} = (from deals | filter (value >= {j} && stage == "S{i}") | group {{contact_id}} '
      "(aggregate {{n = count this}}))")),
    ("o.employees > {i}", None),
    ("r{n}.n != null",
     ('let r{n} = (from events | filter (name == "purchase" && occurred_at >= ' + NOW_PRQL + " - {j}days && "
      "occurred_at <= " + NOW_PRQL + ") | group {{contact_id}} (aggregate {{n = count this}}) | filter n >= {k})")),
    ("((c.clicks >= {k} || c.clicks == null) && c.purchases != null)", None),
)


def prql_query(n: int) -> str:
    """The PRQL equivalent of `bench_growth.condition(n)`: same leaves, same and/or grouping."""
    lets, joins, parts = [], [], []
    for k in range(n):
        cond, rel = PRQL_LEAVES[k % len(PRQL_LEAVES)]
        fmt = {"i": k, "j": k + 10, "k": k % 5 + 1, "n": k}
        parts.append(cond.format(**fmt))
        if rel:
            lets.append(rel.format(**fmt))
            joins.append(f"join side:left r{k} (r{k}.contact_id == c.id)")
    groups = [" && ".join(parts[g:g + 5]) for g in range(0, n, 5)]
    where = " || ".join(f"({g})" for g in groups) if len(groups) > 1 else groups[0]
    if any(p.startswith("o.") for p in parts):
        joins.insert(0, "join side:left o = organizations (o.id == c.organization_id)")
    return "\n".join(lets + ["from c = contacts"] + joins + [f"filter ({where})", "select {c.id}"]) + "\n"


def contenders(n: int) -> dict:
    """name -> a function doing one compile of the n-condition segment (warmed up: caches built)."""
    import bench_growth
    import prqlc
    import sqlglot

    import segql

    schema = segql.load_schema(str(SCHEMA))
    text = bench_growth.condition(n)
    sql = segql.compile(text, schema, DIALECT, on="contacts", now=NOW_ISO)
    prql = prql_query(n)
    opts = prqlc.CompileOptions(target=f"sql.{DIALECT}", signature_comment=False, format=True)
    prqlc.compile(prql, opts)  # raises if the PRQL is not valid
    return {
        "segql": lambda: segql.compile(text, schema, DIALECT, on="contacts", now=NOW_ISO),
        "sqlglot": lambda: sqlglot.parse_one(sql, read=DIALECT).sql(dialect=DIALECT, pretty=True, copy=False),
        "prql": lambda: prqlc.compile(prql, opts),
    }


def cpu_times(funcs: dict, reps: int, inner: int) -> dict[str, list[float]]:
    """Interleaved (A B C, C B A, …) CPU seconds per call, each sample the mean of `inner` calls."""
    for f in funcs.values():
        f()
    out = {k: [] for k in funcs}
    order = list(funcs)
    for r in range(reps):
        for name in (order if r % 2 == 0 else order[::-1]):
            f = funcs[name]
            t0 = time.process_time()
            for _ in range(inner):
                f()
            out[name].append((time.process_time() - t0) / inner)
    return out


def callgrind_total(n: int, name: str | None = None, reps: int = 0) -> int:
    """Instructions of a process that builds the contenders for size n and calls `name` `reps` times."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_sizes; "
                f"f = bench_sizes.contenders({n}).get({name!r})\nfor _ in range({reps}): f()")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", code],
                       check=True, capture_output=True)
        with open(out, encoding="utf-8") as f:
            return int(re.search(r"^(?:summary|totals): (\d+)", f.read(), re.MULTILINE).group(1))


def callgrind_instructions(n: int, names, reps: int) -> dict:
    """Instructions per call of each contender at size n: a run with `reps` calls minus one run with none
    (the same set-up for every contender: `contenders(n)` builds them all)."""
    base = callgrind_total(n)
    return {name: (callgrind_total(n, name, reps) - base) / reps for name in names}


def run(reps: int = 15, callgrind: bool = False) -> dict:
    rows = []
    for n in SIZES:
        funcs = contenders(n)
        inner = max(1, 40 // n)
        times = cpu_times(funcs, reps, inner)
        row = {"conditions": n, "inner": inner, "reps": reps}
        for k, v in times.items():
            row[f"{k}_ms"] = statistics.median(v) * 1000
        for base in ("sqlglot", "prql"):
            row[f"ratio_{base}"] = statistics.median(a / b for a, b in zip(times["segql"], times[base]))
        if callgrind:
            cg_reps = max(4, 40 // n)
            ins = callgrind_instructions(n, list(funcs), cg_reps)
            row["instructions"] = ins
            for base in ("sqlglot", "prql"):
                row[f"cg_ratio_{base}"] = ins["segql"] / ins[base]
        rows.append(row)
        cg = (f"; callgrind segql/sqlglot {row['cg_ratio_sqlglot']:.2f}, segql/prql {row['cg_ratio_prql']:.2f}"
              if callgrind else "")
        print(f"  {n:3} conditions: segql {row['segql_ms']:.3f} ms, sqlglot round trip {row['sqlglot_ms']:.3f} ms, "
              f"prql {row['prql_ms']:.3f} ms -> segql/sqlglot {row['ratio_sqlglot']:.2f}, "
              f"segql/prql {row['ratio_prql']:.2f} (CPU){cg}")
    key = "cg_ratio" if callgrind else "ratio"
    met = all(r[f"{key}_sqlglot"] <= 0.5 and r[f"{key}_prql"] <= 0.5 for r in rows)
    return {"sizes": rows, "measure": "callgrind instructions" if callgrind else "CPU time", "target": 0.5,
            "met": met}
