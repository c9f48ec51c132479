"""2. CLI start-up: wall time of `segql compile one.segql --dialect postgres` vs
`python -c "import sqlglot, lark"` (the floor: segql cannot start faster than its two dependencies import).
Target: <= 1.2x.

Both run through the same interpreter (the real console script, not a pyenv shim), interleaved, median
of --reps runs. Two environments:
- `bytecode`: PYTHONDONTWRITEBYTECODE unset, after a warm-up run, so segql's modules load from __pycache__
  like any installed wheel's (the dependencies in site-packages always have theirs);
- `as_is`: the caller's environment (this project's sandbox sets PYTHONDONTWRITEBYTECODE=1, so segql's own
  modules are recompiled from source on every start — not what a user sees).
"""
from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from common import HERE, SCHEMA, interleaved, paired_ratios, save

ONE = HERE / "segments" / "one.segql"


def segql_cmd() -> list[str]:
    script = Path(sys.executable).parent / "segql"
    if not script.exists():
        found = shutil.which("segql")
        return [found] if found else [sys.executable, "-m", "segql"]
    return [str(script)]


def commands():
    base = [sys.executable, "-c", "import sqlglot, lark"]
    seg = segql_cmd() + ["compile", str(ONE), "--schema", str(SCHEMA), "--dialect", "postgres"]
    return base, seg


def _runner(cmd, env):
    def run():
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return run


def measure(env, reps: int) -> dict:
    base, seg = commands()
    times = interleaved({"segql": _runner(seg, env), "baseline": _runner(base, env)}, reps, warmup=2)
    ratio = statistics.median(paired_ratios(times, "segql", "baseline"))
    return {"segql_ms": statistics.median(times["segql"]) * 1000,
            "baseline_ms": statistics.median(times["baseline"]) * 1000, "ratio": ratio}


def importtime(env, top: int = 25) -> list[tuple[int, int, str]]:
    _, seg = commands()
    code = ("import sys; from segql.cli import main; sys.argv = ['segql'] + sys.argv[1:]; "
            "sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code] + seg[-6:], env=env,
                          capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), m.group(4)))
    return sorted(rows, key=lambda r: -r[0])[:top]


def lark_cache_check(env) -> dict:
    code = ("import time; t = time.perf_counter(); from segql.syntax import parser as p; "
            "t1 = time.perf_counter(); p._parser(); t2 = time.perf_counter(); "
            "print((t2 - t1) * 1000, getattr(p, 'CACHE_PATH', None) or '')")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    ms, _, where = out.stdout.strip().partition(" ")
    return {"parser_build_ms": float(ms), "cache": where or "lark default (cache=True: temp dir)"}


def main(args) -> None:
    bytecode_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(commands()[1], env=bytecode_env, capture_output=True)  # writes segql's __pycache__
    results = {}
    for name, env in (("bytecode", bytecode_env), ("as_is", dict(os.environ))):
        r = measure(env, args.reps)
        results[name] = r
        print(f"start-up [{name}]: segql compile {r['segql_ms']:.0f} ms vs import sqlglot, lark "
              f"{r['baseline_ms']:.0f} ms -> {r['ratio']:.2f}x (target <= 1.2x)")
    lark = lark_cache_check(bytecode_env)
    print(f"lark parser construction in a fresh process: {lark['parser_build_ms']:.1f} ms ({lark['cache']})")
    top = importtime(bytecode_env)
    if args.importtime:
        print("slowest imports (self us, cumulative us):")
        for self_us, cum_us, name in top:
            print(f"  {self_us:7} {cum_us:8}  {name}")
    save("startup", {"command": " ".join(commands()[1]), "baseline": " ".join(commands()[0]), **results,
                     "lark": lark, "importtime_top": top, "ratio": results["bytecode"]["ratio"], "target": 1.2,
                     "met": results["bytecode"]["ratio"] <= 1.2})
