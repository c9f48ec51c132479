"""Instructions per call of `segql.compile` and of sqlglot's round trip (and of segql's stages) at 1, 5
and 25 conditions (bench_sizes' segments, DuckDB), steady state: callgrind counts only around the loop
(client requests from a small C helper built with gcc and valgrind's callgrind.h), R calls minus none,
after two warm-up calls. Faster than `run.py compile --callgrind` (which instruments the whole process)
and without prqlc.

    python benchmarks/cg_loop.py [1 5 25] [segql sqlglot parse check lower lower_render]
"""
from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER_C = """#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; CALLGRIND_TOGGLE_COLLECT; }
void cg_stop(void) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS_AT("loop"); CALLGRIND_STOP_INSTRUMENTATION; }
"""
SETUP = """
import sys, ctypes; sys.path.insert(0, {here!r})
cg = ctypes.CDLL({helper!r})
import bench_growth, segql, sqlglot
from common import NOW_ISO, SCHEMA
from segql.ops.compile import parse, to_ir, to_sql_tree, render
schema = segql.load_schema(str(SCHEMA)); text = bench_growth.condition({n})
sql = segql.compile(text, schema, "duckdb", on="contacts", now=NOW_ISO)
doc = parse(text, schema=schema, on="contacts"); seg = to_ir(doc, schema, on="contacts")
fs = {{"segql": lambda: segql.compile(text, schema, "duckdb", on="contacts", now=NOW_ISO),
      "sqlglot": lambda: sqlglot.parse_one(sql, read="duckdb").sql(dialect="duckdb", pretty=True, copy=False),
      "parse": lambda: parse(text, schema=schema, on="contacts"),
      "check": lambda: to_ir(doc, schema, on="contacts"),
      "lower": lambda: to_sql_tree(seg, schema, "duckdb", now=NOW_ISO),
      "lower_render": lambda: render(to_sql_tree(seg, schema, "duckdb", now=NOW_ISO), "duckdb")}}
f = fs[{name!r}]
f(); f()
cg.cg_start()
for _ in range({reps}): f()
cg.cg_stop()
"""
NAMES = ("segql", "sqlglot", "parse", "check", "lower", "lower_render")


def helper(tmp: str) -> str:
    src, lib = os.path.join(tmp, "cg.c"), os.path.join(tmp, "libcg.so")
    with open(src, "w", encoding="utf-8") as f:
        f.write(HELPER_C)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", lib, src], check=True)
    return lib


def total(lib: str, n: int, name: str, reps: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
                        f"--callgrind-out-file={out}", sys.executable, "-c",
                        SETUP.format(here=HERE, helper=lib, n=n, name=name, reps=reps)],
                       check=True, capture_output=True)
        for path in glob.glob(out + "*"):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if "loop" in text[:2000]:
                return int(re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE).group(1))
        raise RuntimeError("no callgrind dump of the loop")


def main(argv) -> dict:
    names = [a for a in NAMES if a in argv] or ["segql", "sqlglot"]
    sizes = [int(a) for a in argv if a.isdigit()] or [1, 5, 25]
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        lib = helper(tmp)
        for n in sizes:
            reps = max(4, 40 // n)
            res[n] = {k: (total(lib, n, k, reps) - total(lib, n, k, 0)) / reps for k in names}
            ratio = f", segql/sqlglot {res[n]['segql'] / res[n]['sqlglot']:.3f}" if {"segql", "sqlglot"} <= set(names) else ""
            print(n, {k: f"{v / 1e6:.3f} M" for k, v in res[n].items()}, ratio, flush=True)
    return res


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
